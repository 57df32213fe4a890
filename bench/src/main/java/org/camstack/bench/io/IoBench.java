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
   * @param repeat runs of each stack, interleaved; the median (by IOPS) is reported
   */
  public record Options(
      IoSpec spec, DispatcherSettings dispatcher, boolean baselines, int callerThreads, int timeoutMs, boolean viaDa, int repeat) {
    public Options {
      if (repeat < 1) {
        throw new IllegalArgumentException("--repeat must be >= 1");
      }
    }
  }

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
        List<Measurement> actors = new ArrayList<>();
        List<Measurement> directs = new ArrayList<>();
        List<Measurement> kernels = new ArrayList<>();
        for (int rep = 1; rep <= o.repeat(); rep++) {
          String r = o.repeat() > 1 ? " (" + rep + "/" + o.repeat() + ")" : "";
          progress.step(at + ": actor stack" + r);
          String runId = Long.toString(System.nanoTime(), 36);
          actors.add(o.viaDa()
              ? ActorRunner.runDa(spec, stack.luns(), stack.devfs(), stack::daNode, stack, o.dispatcher().threads(),
                  "open daN (devfs), then bios on the da periph strategy path -> XptDevice (SIM called on its thread) -> emulated LUN; dispatcher "
                      + o.dispatcher(), runId)
              : ActorRunner.run(spec, stack.luns(), stack.devices(), CDBS, stack, o.dispatcher().threads(), o.timeoutMs(),
                  "load generator per LUN (periph position) -> XptDevice (SIM called on its thread) -> emulated LUN; dispatcher "
                      + o.dispatcher(), runId));
          progress.stepDone();
          if (o.baselines()) {
            ActorRef<Ccb.Completed> dummy = stack.system().ignoreRef();
            progress.step(at + ": baseline direct-1t" + r);
            directs.add(DirectRunner.singleThread(spec, stack.luns(), CDBS, dummy, o.timeoutMs()));
            progress.stepDone();
            progress.step(at + ": baseline kernel-lock" + r);
            kernels.add(DirectRunner.kernelLike(spec, stack.luns(), CDBS, dummy, o.timeoutMs(), o.callerThreads()));
            progress.stepDone();
          }
        }
        Measurement actor = median(actors);
        Measurement direct = median(directs);
        Measurement kernel = median(kernels);
        sink.accept(new Result(spec, actor, direct, kernel));
      }
    }
  }

  /**
   * The run with the median IOPS of {@code ms} (the stacks are interleaved run by run, so noise
   * from other processes hits them alike), with the spread of all runs added to its figures.
   */
  static Measurement median(List<Measurement> ms) {
    if (ms.isEmpty()) {
      return null;
    }
    List<Measurement> sorted = new ArrayList<>(ms);
    sorted.sort((a, b) -> Double.compare(a.iops(), b.iops()));
    Measurement m = sorted.get((sorted.size() - 1) / 2);
    if (ms.size() == 1) {
      return m;
    }
    double[] all = ms.stream().mapToDouble(Measurement::iops).toArray();
    return m.withSpread(all);
  }

  /** Progress steps one {@link #run} announces. */
  public static int steps(boolean baselines) {
    return steps(baselines, 1);
  }

  /** Progress steps of a {@link #runSeries} over {@code qds} queue depths. */
  public static int steps(boolean baselines, int qds) {
    return steps(baselines, qds, 1);
  }

  /** Progress steps of a {@link #runSeries} over {@code qds} queue depths, {@code repeat} runs each. */
  public static int steps(boolean baselines, int qds, int repeat) {
    return 1 + qds * repeat * (baselines ? 3 : 1);
  }
}
