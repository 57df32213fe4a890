package org.camstack.bench.io;

import java.util.LinkedHashMap;
import java.util.Map;
import org.camstack.bench.harness.DispatcherSettings;
import org.camstack.bench.report.Progress;
import org.camstack.stack.scsi.Cdbs;

/**
 * One I/O measurement: the actor stack and, over the very same emulated LUNs and stores with the
 * same workload, the two direct-call baselines, in one run.
 */
public final class IoBench {
  private IoBench() {}

  /** READ/WRITE(10) like da's default minimum command size; larger LBAs get READ(16). */
  public static final Workload.CdbFactory CDBS = new Workload.CdbFactory() {
    @Override
    public org.apache.pekko.util.ByteString read(long lba, int blocks) {
      return Cdbs.readWrite(false, lba, blocks, false, false, 10);
    }

    @Override
    public org.apache.pekko.util.ByteString write(long lba, int blocks) {
      return Cdbs.readWrite(true, lba, blocks, false, false, 10);
    }
  };

  /**
   * @param baselines also run direct-1t and kernel-lock
   * @param callerThreads threads of the kernel-like baseline (the cores)
   * @param timeoutMs CCB timeout in the headers (0 = the SIM default)
   */
  public record Options(IoSpec spec, DispatcherSettings dispatcher, boolean baselines, int callerThreads, int timeoutMs) {}

  /** The three measurements of one run (baselines null when not run). */
  public record Result(IoSpec spec, Measurement actor, Measurement direct, Measurement kernel) {

    public double ratioToDirect() {
      return direct == null ? Double.NaN : actor.iops() / direct.iops();
    }

    public double ratioToKernel() {
      return kernel == null ? Double.NaN : actor.iops() / kernel.iops();
    }

    public Map<String, Object> ratios() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("actorOverDirect1t", ratioToDirect());
      m.put("actorOverKernelLock", ratioToKernel());
      return m;
    }
  }

  /** Builds the LUNs, runs actor, direct-1t and kernel-lock in turn, tears everything down. */
  public static Result run(Options o, Progress progress, String label) throws Exception {
    IoSpec spec = o.spec();
    progress.step(label + ": build " + spec.luns() + " emulated LUNs (" + spec.store() + ")");
    try (EmulatedLuns emulated = EmulatedLuns.create(spec)) {
      Measurement actor;
      Measurement direct = null;
      Measurement kernel = null;
      try (ActorStack stack = ActorStack.boot(emulated, Math.max(32, spec.qd()), o.dispatcher())) {
        progress.stepDone();
        progress.step(label + ": actor stack");
        actor = ActorRunner.run(spec, stack.luns(), stack.devices(), CDBS, stack, o.dispatcher().threads(), o.timeoutMs(),
            "load generator per LUN -> XptDevice (SIM called on its thread) -> emulated LUN; dispatcher " + o.dispatcher(),
            Long.toString(System.nanoTime(), 36));
        progress.stepDone();
        if (o.baselines()) {
          var dummy = stack.system().ignoreRef();
          progress.step(label + ": baseline direct-1t");
          direct = DirectRunner.singleThread(spec, stack.luns(), CDBS, dummy.narrow(), o.timeoutMs());
          progress.stepDone();
          progress.step(label + ": baseline kernel-lock");
          kernel = DirectRunner.kernelLike(spec, stack.luns(), CDBS, dummy.narrow(), o.timeoutMs(), o.callerThreads());
          progress.stepDone();
        }
      }
      return new Result(spec, actor, direct, kernel);
    }
  }

  /** Progress steps one {@link #run} announces. */
  public static int steps(boolean baselines) {
    return baselines ? 4 : 2;
  }
}
