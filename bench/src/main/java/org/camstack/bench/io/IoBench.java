package org.camstack.bench.io;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.camstack.stack.ccb.Ccb;
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
   * @param viaDa drive the da periphs through devfs instead of the device queues directly
   */
  public record Options(IoSpec spec, DispatcherSettings dispatcher, boolean baselines, int callerThreads, int timeoutMs, boolean viaDa) {}

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
    List<Result> out = new ArrayList<>();
    runSeries(o, new int[] {o.spec().qd()}, progress, label, out::add);
    return out.get(0);
  }

  /**
   * One stack (LUNs, XPT, devices) for several queue depths: for each QD the actor stack, then
   * the baselines, each reported to {@code sink}. {@code o.spec()} gives everything but the QD.
   */
  public static void runSeries(Options o, int[] qds, Progress progress, String label, Consumer<Result> sink) throws Exception {
    IoSpec base = o.spec();
    progress.step(label + ": build " + base.luns() + " emulated LUNs (" + base.store() + ")");
    int maxQd = Arrays.stream(qds).max().orElse(base.qd());
    try (EmulatedLuns emulated = EmulatedLuns.create(base);
        ActorStack stack = ActorStack.boot(emulated, Math.max(32, maxQd), o.dispatcher(), o.viaDa())) {
      progress.stepDone();
      for (int qd : qds) {
        IoSpec spec = base.with(base.luns(), qd);
        String at = label + " L" + spec.luns() + " QD" + qd;
        progress.step(at + ": actor stack");
        String runId = Long.toString(System.nanoTime(), 36);
        Measurement actor = o.viaDa()
            ? ActorRunner.runDa(spec, stack.luns(), stack.devfs(), stack, o.dispatcher().threads(),
                "read/write on daN -> devfs -> da periph -> XptDevice (SIM called on its thread) -> emulated LUN; dispatcher "
                    + o.dispatcher(), runId)
            : ActorRunner.run(spec, stack.luns(), stack.devices(), CDBS, stack, o.dispatcher().threads(), o.timeoutMs(),
                "load generator per LUN (periph position) -> XptDevice (SIM called on its thread) -> emulated LUN; dispatcher "
                    + o.dispatcher(), runId);
        progress.stepDone();
        Measurement direct = null;
        Measurement kernel = null;
        if (o.baselines()) {
          ActorRef<Ccb.Completed> dummy = stack.system().ignoreRef();
          progress.step(at + ": baseline direct-1t");
          direct = DirectRunner.singleThread(spec, stack.luns(), CDBS, dummy, o.timeoutMs());
          progress.stepDone();
          progress.step(at + ": baseline kernel-lock");
          kernel = DirectRunner.kernelLike(spec, stack.luns(), CDBS, dummy, o.timeoutMs(), o.callerThreads());
          progress.stepDone();
        }
        sink.accept(new Result(spec, actor, direct, kernel));
      }
    }
  }

  /** Progress steps one {@link #run} announces. */
  public static int steps(boolean baselines) {
    return steps(baselines, 1);
  }

  /** Progress steps of a {@link #runSeries} over {@code qds} queue depths. */
  public static int steps(boolean baselines, int qds) {
    return 1 + qds * (baselines ? 3 : 1);
  }
}
