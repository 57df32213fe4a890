package org.camstack.bench;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.camstack.bench.harness.Units;
import org.camstack.bench.io.IoBench;
import org.camstack.bench.io.IoSpec;
import org.camstack.bench.io.Measurement;
import org.camstack.bench.report.Column;
import org.camstack.bench.report.Progress;
import org.camstack.bench.report.Report;
import org.camstack.bench.report.RunEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code bench io}: closed-loop I/O through the actor stack, then the same load over the same
 * emulated LUNs through the direct-call baselines; IOPS, MB/s, latency percentiles, CPU, GC and
 * the ratios actor / baseline.
 */
@Command(name = "io", mixinStandardHelpOptions = true,
    description = "Closed-loop I/O: actor stack vs direct-call (1 thread) and kernel-like (lock per SIM) baselines.")
final class IoCommand implements Callable<Integer> {
  @ParentCommand BenchMain parent;

  @Mixin BenchMain.Common common;

  @Mixin IoOptions io;

  @Override
  public Integer call() throws Exception {
    IoSpec spec = io.spec(common.quick);
    IoBench.Options o = io.options(spec, common);
    if (io.iscsi != null) {
      return callIscsi(spec, o);
    }
    Progress progress = common.progress(IoBench.steps(o.baselines(), 1, o.repeat()));
    IoBench.Result r;
    try {
      r = IoBench.run(o, progress, "io");
    } finally {
      progress.finish();
    }
    Report report = new Report("io");
    spec.describe().forEach(report::config);
    report.config("periph", o.viaDa() ? "da" : "xpt").config("baselines", o.baselines())
        .config("callerThreads", o.callerThreads()).config("timeoutMs", o.timeoutMs()).config("repeat", o.repeat());
    report.note("actor: " + r.actor().how());
    report.environment(RunEnvironment.capture(o.dispatcher().describe()));
    addRows(report, r, "");
    report.columns(columns());
    summarise(report, r);
    parent.emit(report, common);
    return r.actor().tally().errors == 0 ? 0 : 1;
  }

  /** {@code --iscsi URL}: da over an iSCSI initiator bus, then iscsi-perf on the same target in the same run. */
  private int callIscsi(IoSpec spec, IoBench.Options o) throws Exception {
    if (!o.viaDa()) {
      throw new IllegalArgumentException("--iscsi needs --periph da");
    }
    Progress progress = common.progress(1);
    org.camstack.bench.io.IscsiIo.Result r;
    java.nio.file.Path work = java.nio.file.Files.createTempDirectory("camstack-bench-io-iscsi");
    try {
      progress.step("io over iSCSI " + io.iscsi);
      r = org.camstack.bench.io.IscsiIo.run(spec, o.dispatcher(), io.iscsi);
      progress.stepDone();
    } finally {
      progress.finish();
    }
    Report report = new Report("io");
    r.spec().describe().forEach(report::config);
    report.config("periph", "da").config("iscsi", io.iscsi).config("disks", r.disks());
    report.note("actor: " + r.actor().how());
    report.environment(RunEnvironment.capture(o.dispatcher().describe()));
    report.add("camstack-da-over-iscsi", r.actor().figures());
    int seconds = (int) Math.max(1, r.spec().durationNanos() / 1_000_000_000L);
    if (!org.camstack.bench.iscsi.Children.onPath("iscsi-perf")) {
      report.note("iscsi-perf: not installed (Debian libiscsi-bin), not run");
    } else if (r.spec().readPercent() != 100) {
      report.note("iscsi-perf: reads only; run with --read-pct 100 to compare");
    } else {
      try (org.camstack.bench.iscsi.Children children = new org.camstack.bench.iscsi.Children(work)) {
        org.camstack.bench.iscsi.IscsiBench.Options po = new org.camstack.bench.iscsi.IscsiBench.Options(
            r.spec().qd(), r.spec().blockSize() / 512, seconds, 0, 1, false, false, null, null, work);
        org.camstack.bench.iscsi.IscsiBench.Sample s = org.camstack.bench.iscsi.IscsiBench.perf(children,
            new org.camstack.bench.iscsi.IscsiBench.Served("target", -1, r.firstLunUrl()), po, seconds, "iscsi-perf-io");
        java.util.Map<String, Object> perf = new java.util.LinkedHashMap<>();
        perf.put("iops", (double) s.iops());
        perf.put("ratio", r.actor().iops() / s.iops());
        report.add("iscsi-perf", perf);
        report.note("iscsi-perf: -m " + r.spec().qd() + " -b " + r.spec().blockSize() / 512 + " -t " + seconds + " on " + r.firstLunUrl());
        report.summary("camstack da / iscsi-perf", fmt(r.actor().iops() / s.iops()) + "x");
      }
    }
    report.columns(columns());
    parent.emit(report, common);
    return r.actor().tally().errors == 0 ? 0 : 1;
  }

  static List<Column> columns() {
    return List.of(
        Column.count("iops", "IOPS"),
        Column.dec1("mbPerSec", "MB/s"),
        Column.dec1("p50us", "p50 us"),
        Column.dec1("p99us", "p99 us"),
        Column.dec1("p999us", "p99.9 us"),
        Column.dec1("maxus", "max us"),
        Column.dec2("cpuCoresBusy", "cores"),
        Column.dec2("cpuUsPerIo", "CPU us/IO"),
        Column.dec2("threadCpuUsPerIo", "thr CPU us/IO"),
        Column.count("gcMillis", "GC ms"),
        Column.count("allocBytesPerIo", "B/IO"),
        Column.dec2("threadsPerLun", "thr/LUN"),
        Column.dec2("threadHopsPerIo", "hops/IO"),
        Column.count("errors", "errors"),
        Column.of("spread", "IOPS min-max"),
        Column.ratio("ratio", "actor/x"));
  }

  static void addRows(Report report, IoBench.Result r, String prefix) {
    for (Measurement m : new Measurement[] {r.actor(), r.direct(), r.kernel()}) {
      if (m == null) {
        continue;
      }
      var f = m.figures();
      if (f.containsKey("iopsMin")) {
        f.put("spread", String.format(Locale.ROOT, "%.0fk-%.0fk", (Double) f.get("iopsMin") / 1e3, (Double) f.get("iopsMax") / 1e3));
      }
      if (m != r.actor()) {
        f.put("ratio", r.actor().iops() / m.iops());
      }
      report.add(prefix + m.stack(), f);
    }
  }

  /** Ratios and the targets of issue 6 that match this workload. */
  static void summarise(Report report, IoBench.Result r) {
    IoSpec s = r.spec();
    if (r.direct() != null) {
      report.summary("actor / direct-1t", fmt(r.ratioToDirect()) + "x  (" + (s.store().equals("null") ? "target >= 0.25x for null" : "target >= 0.4x for 4 KiB") + ")");
      report.summary("actor / kernel-lock", fmt(r.ratioToKernel()) + "x  (target >= 1.0x with 8 LUNs)");
    }
    int i = 0;
    for (String t : Targets.check(s, r.actor())) {
      report.summary("target " + ++i, t);
    }
    if (r.actor().tally().errors > 0) {
      report.note("the actor stack completed " + r.actor().tally().errors + " CCBs with errors, first: " + r.actor().tally().firstError);
    }
  }

  static String fmt(double d) {
    return String.format(Locale.ROOT, "%.2f", d);
  }

  /** The I/O workload options, shared with {@code sweep}. */
  static final class IoOptions {
    @Option(names = "--luns", defaultValue = "1", description = "emulated LUNs (default: ${DEFAULT-VALUE})")
    int luns;

    @Option(names = "--qd", defaultValue = "32", description = "queue depth per LUN (default: ${DEFAULT-VALUE})")
    int qd;

    @Option(names = "--bs", defaultValue = "4k", description = "bytes per I/O (default: ${DEFAULT-VALUE})")
    String bs;

    @Option(names = "--pattern", defaultValue = "rand", description = "rand or seq (default: ${DEFAULT-VALUE})")
    String pattern;

    @Option(names = "--read-pct", defaultValue = "100", description = "share of reads, 0..100 (default: ${DEFAULT-VALUE})")
    int readPct;

    @Option(names = "--store", defaultValue = "ram", description = "backing store: null, ram or file (default: ${DEFAULT-VALUE})")
    String store;

    @Option(names = "--store-size", defaultValue = "64m", description = "capacity of each LUN (default: ${DEFAULT-VALUE})")
    String storeSize;

    @Option(names = "--duration", description = "measured time (default 5s, quick 1s)")
    String duration;

    @Option(names = "--ops", description = "measured I/Os in total instead of a duration")
    Long ops;

    @Option(names = "--warmup", description = "warm-up before each stack (default 2s, quick 0.5s)")
    String warmup;

    @Option(names = "--sims", defaultValue = "1", description = "SIMs (buses) the LUNs are spread over (default: ${DEFAULT-VALUE})")
    int sims;

    @Option(names = "--seed", defaultValue = "42", description = "LBA generator seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--no-baselines", description = "measure the actor stack only")
    boolean noBaselines;

    @Option(names = "--caller-threads", description = "threads of the kernel-like baseline (default: the cores)")
    Integer callerThreads;

    @Option(names = "--timeout-ms", defaultValue = "0", description = "CCB timeout in the headers, 0 = the SIM default (default: ${DEFAULT-VALUE})")
    int timeoutMs;

    @Option(names = "--repeat", defaultValue = "1",
        description = "runs of each stack, interleaved (actor, direct-1t, kernel-lock, actor, ...); the median is reported (default: ${DEFAULT-VALUE})")
    int repeat;

    @Option(names = "--iscsi", paramLabel = "URL",
        description = "with --periph da: the LUNs are the disks of this iSCSI target (iscsi://HOST:PORT/IQN), reached through "
            + "the initiator SIM; iscsi-perf runs against the same target in the same run")
    String iscsi;

    @Option(names = "--periph", defaultValue = "xpt",
        description = "xpt: load generators in the periph's position send CCBs to the device queues; "
            + "da: read/write on the daN nodes through devfs and the da periph (default: ${DEFAULT-VALUE})")
    String periph;

    IoSpec spec(boolean quick) {
      if (!pattern.equals("rand") && !pattern.equals("seq")) {
        throw new IllegalArgumentException("--pattern must be rand or seq");
      }
      long dur = duration != null ? Units.nanos(duration) : quick ? 1_000_000_000L : 5_000_000_000L;
      long warm = warmup != null ? Units.nanos(warmup) : quick ? 500_000_000L : 2_000_000_000L;
      long bytes = Units.bytes(bs);
      if (bytes > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("--bs too large");
      }
      return new IoSpec(luns, qd, (int) bytes, pattern.equals("seq"), readPct, store, Units.bytes(storeSize),
          ops != null ? 0 : dur, ops != null ? ops : 0, warm, Math.min(sims, luns), seed);
    }

    IoBench.Options options(IoSpec spec, BenchMain.Common common) {
      if (!periph.equals("xpt") && !periph.equals("da")) {
        throw new IllegalArgumentException("--periph must be xpt or da");
      }
      int callers = callerThreads != null ? callerThreads : Runtime.getRuntime().availableProcessors();
      return new IoBench.Options(spec, common.dispatcher(), !noBaselines, callers, timeoutMs, periph.equals("da"), repeat);
    }
  }
}
