package org.camstack.bench.io;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.camstack.stack.dispatch.Lanes;
import org.camstack.bench.harness.ResourceMeter;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.xpt.XptDevice;

/**
 * The actor stack under load: one generator per LUN, either a {@link LoadGenerator} in the
 * periph's position keeping {@code qd} CCBs in flight at its LUN's {@link XptDevice} (which calls
 * the SIM data path on its own thread), or a {@link DaLoadGenerator} reading and writing the
 * LUN's {@code daN} node through devfs and the da periph. Every actor runs on the benchmark
 * dispatcher.
 */
public final class ActorRunner {
  private ActorRunner() {}

  /** Spawns actors in the stack's ActorSystem. */
  public interface Spawner {
    <T> ActorRef<T> spawn(Behavior<T> behavior, String name);
  }

  /**
   * Load generators in the periph's position, one per LUN, talking to the LUNs' device queues.
   *
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
      ActorRef<Object> g = spawner.spawn(LoadGenerator.create(devices.get(i), f.path(), w, spec.qd(), timeoutMs), "load-" + runId + "-" + i);
      Lanes.assign(g, i); // next to its LUN's device queue (affinity / pinned-groups)
      gens.add(g);
    }
    return measure(spec, gens, threads, how, "actor");
  }

  /**
   * Load through the da periphs: one generator per disk on devfs node {@code daN}
   * (read(2)/write(2) at byte offsets).
   */
  public static Measurement runDa(
      IoSpec spec, List<LunFixture> luns, ActorRef<Devfs.Command> devfs, java.util.function.IntFunction<String> daNode,
      Spawner spawner, int threads, String how, String runId)
      throws Exception {
    List<ActorRef<Object>> gens = new ArrayList<>();
    List<CompletableFuture<String>> opened = new ArrayList<>();
    for (int i = 0; i < luns.size(); i++) {
      LunFixture f = luns.get(i);
      Workload w = new Workload(spec, i, f.logicalBlock(), f.capacityBlocks(), null);
      ActorRef<Object> g = spawner.spawn(DaLoadGenerator.create(devfs, w, spec.qd(), f.logicalBlock(), i), "daload-" + runId + "-" + i);
      Lanes.assign(g, i); // with its LUN's device queue and, once open, the da periph
      CompletableFuture<String> o = new CompletableFuture<>();
      g.tell(new DaLoadGenerator.Open(daNode.apply(i), o));
      opened.add(o);
      gens.add(g);
    }
    for (int i = 0; i < opened.size(); i++) {
      String errno = opened.get(i).get(30, TimeUnit.SECONDS);
      if (!errno.equals("OK")) {
        throw new IllegalStateException("open da" + i + ": " + errno);
      }
    }
    return measure(spec, gens, threads, how, "actor");
  }

  private static Measurement measure(IoSpec spec, List<ActorRef<Object>> gens, int threads, String how, String stack) throws Exception {
    try {
      if (spec.warmupNanos() > 0) {
        phase(gens, System.nanoTime() + spec.warmupNanos(), 0, spec.warmupNanos());
      }
      ResourceMeter.Snapshot snap = ResourceMeter.start();
      long deadline = spec.ops() > 0 ? Long.MAX_VALUE : System.nanoTime() + spec.durationNanos();
      long opsEach = spec.ops() > 0 ? Math.max(1, spec.ops() / gens.size()) : 0;
      ThreadTrace.start(spec.luns());
      Tally t;
      try {
        t = phase(gens, deadline, opsEach, spec.durationNanos());
      } finally {
        ThreadTrace.stop();
      }
      return new Measurement(stack, how, t, snap.delta(), threads).withTrace(ThreadTrace.threadsPerLun(), ThreadTrace.hops());
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
