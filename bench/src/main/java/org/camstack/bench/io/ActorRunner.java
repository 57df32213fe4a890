package org.camstack.bench.io;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.camstack.bench.harness.ResourceMeter;
import org.camstack.stack.xpt.XptDevice;

/**
 * The actor stack under load: one {@link LoadGenerator} per LUN in the periph's position, each
 * keeping {@code qd} CCBs in flight at its LUN's {@link XptDevice} (which calls the SIM data path
 * on its own thread). Every actor runs on the benchmark dispatcher.
 */
public final class ActorRunner {
  private ActorRunner() {}

  /** Spawns actors in the stack's ActorSystem. */
  public interface Spawner {
    <T> ActorRef<T> spawn(Behavior<T> behavior, String name);
  }

  /**
   * @param devices the LUNs' device queues, index-aligned with {@code luns}
   * @param how how the load reaches the stack (for the report)
   */
  public static Measurement run(
      IoSpec spec,
      List<LunFixture> luns,
      List<ActorRef<XptDevice.Command>> devices,
      Workload.CdbFactory cdbs,
      Spawner spawner,
      int threads,
      int timeoutMs,
      String how,
      String runId) throws Exception {
    List<ActorRef<Object>> gens = new ArrayList<>();
    for (int i = 0; i < luns.size(); i++) {
      LunFixture f = luns.get(i);
      Workload w = new Workload(spec, i, f.logicalBlock(), f.capacityBlocks(), cdbs);
      gens.add(spawner.spawn(LoadGenerator.create(devices.get(i), f.path(), w, spec.qd(), timeoutMs), "load-" + runId + "-" + i));
    }
    try {
      if (spec.warmupNanos() > 0) {
        phase(gens, System.nanoTime() + spec.warmupNanos(), 0, spec.warmupNanos());
      }
      ResourceMeter.Snapshot snap = ResourceMeter.start();
      long deadline = spec.ops() > 0 ? Long.MAX_VALUE : System.nanoTime() + spec.durationNanos();
      long opsEach = spec.ops() > 0 ? Math.max(1, spec.ops() / luns.size()) : 0;
      Tally t = phase(gens, deadline, opsEach, spec.durationNanos());
      return new Measurement("actor", how, t, snap.delta(), threads);
    } finally {
      for (ActorRef<Object> g : gens) {
        g.tell(LoadGenerator.Stop.INSTANCE);
      }
    }
  }

  private static Tally phase(List<ActorRef<Object>> gens, long deadline, long opsEach, long expectNanos) throws Exception {
    List<CompletableFuture<Tally>> fs = new ArrayList<>();
    for (ActorRef<Object> g : gens) {
      CompletableFuture<Tally> f = new CompletableFuture<>();
      fs.add(f);
      g.tell(new LoadGenerator.Run(deadline, opsEach, f));
    }
    Tally sum = new Tally();
    long budget = Math.max(TimeUnit.SECONDS.toNanos(60), expectNanos * 4);
    long until = System.nanoTime() + budget;
    for (CompletableFuture<Tally> f : fs) {
      long left = Math.max(1, until - System.nanoTime());
      sum.merge(f.get(left, TimeUnit.NANOSECONDS));
    }
    return sum;
  }
}
