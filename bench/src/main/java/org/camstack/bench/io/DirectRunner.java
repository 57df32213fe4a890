package org.camstack.bench.io;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.camstack.bench.harness.ResourceMeter;
import org.camstack.stack.ccb.Ccb;

/**
 * The two baselines over the very LUN objects the actor stack drives:
 *
 * <ul>
 *   <li>{@code direct-1t}: the same layers (DevQueue, SIM completion, LUN) as direct calls on one
 *       thread, no locks: what the work costs without messaging.
 *   <li>{@code kernel-lock}: the 2012-CAM shape: the same direct calls, one lock per SIM around
 *       each I/O's pass through the device queue and the SIM, driven by as many caller threads as
 *       cores.
 * </ul>
 */
public final class DirectRunner {
  private DirectRunner() {}

  /** SIM initiator id the direct layers use (the emulated SIMs' own, as {@code XptDevice} resolves -1). */
  public static final int INITIATOR = 7;

  public static Measurement singleThread(
      IoSpec spec, List<LunFixture> luns, Workload.CdbFactory cdbs, ActorRef<Ccb.Completed> dummy, int timeoutMs) {
    List<SlotDriver.Slot> slots = slots(spec, luns, cdbs);
    SlotDriver d = new SlotDriver(slots.toArray(new SlotDriver.Slot[0]), false, dummy, timeoutMs);
    if (spec.warmupNanos() > 0) {
      d.run(System.nanoTime() + spec.warmupNanos(), 0);
    }
    ResourceMeter.Snapshot snap = ResourceMeter.start();
    Tally t = d.run(spec.ops() > 0 ? Long.MAX_VALUE : System.nanoTime() + spec.durationNanos(), spec.ops());
    return new Measurement("direct-1t", "same layers as direct calls on 1 thread, no locks", t, snap.delta(), 1);
  }

  public static Measurement kernelLike(
      IoSpec spec, List<LunFixture> luns, Workload.CdbFactory cdbs, ActorRef<Ccb.Completed> dummy, int timeoutMs, int threads)
      throws InterruptedException {
    int totalSlots = spec.luns() * spec.qd();
    int n = Math.max(1, Math.min(threads, totalSlots));
    Object[] simLocks = new Object[spec.sims()];
    for (int i = 0; i < simLocks.length; i++) {
      simLocks[i] = new Object();
    }
    // one DirectLun per LUN shared by the threads (guarded by its SIM's lock)
    List<DirectLun> shared = new ArrayList<>();
    for (LunFixture f : luns) {
      shared.add(new DirectLun(f.path(), f.sim(), INITIATOR, spec.qd(), Math.max(spec.qd(), 256)));
    }
    SlotDriver[] drivers = new SlotDriver[n];
    for (int t = 0; t < n; t++) {
      List<SlotDriver.Slot> mine = new ArrayList<>();
      for (int lun = 0; lun < luns.size(); lun++) {
        Workload w = null;
        for (int k = 0; k < spec.qd(); k++) {
          int owner = luns.size() >= n ? lun % n : (lun * spec.qd() + k) % n;
          if (owner != t) {
            continue;
          }
          if (w == null) {
            LunFixture f = luns.get(lun);
            w = new Workload(spec, lun * 131 + t, f.logicalBlock(), f.capacityBlocks(), cdbs);
          }
          mine.add(new SlotDriver.Slot(shared.get(lun), simLocks[luns.get(lun).simIndex() % simLocks.length], w));
        }
      }
      drivers[t] = new SlotDriver(mine.toArray(new SlotDriver.Slot[0]), true, dummy, timeoutMs);
    }
    if (spec.warmupNanos() > 0) {
      runThreads(drivers, System.nanoTime() + spec.warmupNanos(), 0);
    }
    ResourceMeter.Snapshot snap = ResourceMeter.start();
    long deadline = spec.ops() > 0 ? Long.MAX_VALUE : System.nanoTime() + spec.durationNanos();
    Tally t = runThreads(drivers, deadline, spec.ops() > 0 ? Math.max(1, spec.ops() / n) : 0);
    ResourceMeter.Usage u = snap.delta();
    if (t.threadAllocatedBytes >= 0) {
      u = u.withAllocated(t.threadAllocatedBytes); // the caller threads are gone by now
    }
    return new Measurement("kernel-lock", n + " caller threads, same direct calls, one lock per SIM (" + spec.sims() + " SIM"
        + (spec.sims() == 1 ? "" : "s") + ")", t, u, n);
  }

  private static Tally runThreads(SlotDriver[] drivers, long deadline, long opsEach) throws InterruptedException {
    Tally[] out = new Tally[drivers.length];
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread[] th = new Thread[drivers.length];
    for (int i = 0; i < drivers.length; i++) {
      int idx = i;
      th[i] = new Thread(() -> {
        try {
          out[idx] = drivers[idx].run(deadline, opsEach);
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }, "bench-kernel-lock-" + i);
      th[i].start();
    }
    for (Thread x : th) {
      x.join();
    }
    if (failure.get() != null) {
      throw new IllegalStateException("kernel-like baseline failed", failure.get());
    }
    Tally sum = new Tally();
    for (Tally t : out) {
      sum.merge(t);
    }
    return sum;
  }

  private static List<SlotDriver.Slot> slots(
      IoSpec spec, List<LunFixture> luns, Workload.CdbFactory cdbs) {
    List<DirectLun> ls = new ArrayList<>();
    List<Workload> ws = new ArrayList<>();
    for (int i = 0; i < luns.size(); i++) {
      LunFixture f = luns.get(i);
      ls.add(new DirectLun(f.path(), f.sim(), INITIATOR, spec.qd(), Math.max(spec.qd(), 256)));
      ws.add(new Workload(spec, i, f.logicalBlock(), f.capacityBlocks(), cdbs));
    }
    // interleave: one request of each LUN in turn, as the actor stack's LUNs progress side by side
    List<SlotDriver.Slot> slots = new ArrayList<>();
    for (int k = 0; k < spec.qd(); k++) {
      for (int i = 0; i < luns.size(); i++) {
        slots.add(new SlotDriver.Slot(ls.get(i), null, ws.get(i)));
      }
    }
    return slots;
  }
}
