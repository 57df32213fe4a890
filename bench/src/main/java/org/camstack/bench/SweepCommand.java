package org.camstack.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.camstack.bench.harness.Units;
import org.camstack.bench.io.IoBench;
import org.camstack.bench.io.IoSpec;
import org.camstack.bench.io.Measurement;
import org.camstack.bench.report.Progress;
import org.camstack.bench.report.Report;
import org.camstack.bench.report.RunEnvironment;
import org.camstack.bench.report.SweepChart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code bench sweep}: the I/O benchmark over a grid of LUN counts and queue depths, the ratio
 * actor / baseline at each point, and with {@code --svg} the chart (IOPS and p99 vs QD, actor
 * and baselines side by side).
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
    description = "I/O sweep over LUNs (1..256) and queue depth (1..64), actor vs baselines at each point.")
final class SweepCommand implements Callable<Integer> {
  @ParentCommand BenchMain parent;

  @Mixin BenchMain.Common common;

  @Mixin IoCommand.IoOptions io;

  @Option(names = "--luns-list", description = "LUN counts (default 1,8,64,256; quick 1,8)")
  String lunsList;

  @Option(names = "--qd-list", description = "queue depths (default 1,4,16,64; quick 1,32)")
  String qdList;

  @Option(names = "--svg", paramLabel = "FILE", description = "write the sweep chart")
  Path svg;

  @Option(names = "--store-budget", defaultValue = "1g",
      description = "total store over all LUNs; each LUN gets min(--store-size, budget / LUNs) (default: ${DEFAULT-VALUE})")
  String storeBudget;

  @Override
  public Integer call() throws Exception {
    int[] lunCounts = Units.intList(lunsList != null ? lunsList : common.quick ? "1,8" : "1,8,64,256");
    int[] qds = Units.intList(qdList != null ? qdList : common.quick ? "1,32" : "1,4,16,64");
    if (io.duration == null) {
      io.duration = common.quick ? "400ms" : "2s";
    }
    if (io.warmup == null) {
      io.warmup = common.quick ? "300ms" : "1s";
    }
    IoSpec base = io.spec(common.quick);
    long budget = Units.bytes(storeBudget);
    IoBench.Options o0 = io.options(base, common);
    Progress progress = common.progress(lunCounts.length * IoBench.steps(o0.baselines(), qds.length, o0.repeat()));
    List<IoBench.Result> results = new ArrayList<>();
    try {
      for (int luns : lunCounts) {
        long perLun = Math.max(base.blockSize() * 16L, Math.min(base.storeBytes(), budget / luns));
        IoSpec s = new IoSpec(luns, qds[0], base.blockSize(), base.sequential(), base.readPercent(), base.store(), perLun,
            base.durationNanos(), base.ops(), base.warmupNanos(), Math.min(base.sims(), luns), base.seed());
        IoBench.runSeries(io.options(s, common), qds, progress, "sweep", results::add);
      }
    } finally {
      progress.finish();
    }

    Report report = new Report("sweep");
    base.describe().forEach(report::config);
    report.config("lunCounts", lunCounts).config("queueDepths", qds).config("storeBudgetBytes", budget)
        .config("baselines", o0.baselines()).config("callerThreads", o0.callerThreads());
    report.environment(RunEnvironment.capture(o0.dispatcher().describe()));
    List<SweepChart.Point> points = new ArrayList<>();
    for (IoBench.Result r : results) {
      String at = "L" + r.spec().luns() + " QD" + r.spec().qd() + " ";
      IoCommand.addRows(report, r, at);
      for (Measurement m : new Measurement[] {r.actor(), r.direct(), r.kernel()}) {
        if (m != null) {
          points.add(new SweepChart.Point(m.stack(), r.spec().luns(), r.spec().qd(), m.iops(), m.micros(99)));
        }
      }
      report.summary(at.trim(), String.format(Locale.ROOT, "actor %,.0f IOPS; actor/direct-1t %s; actor/kernel-lock %s",
          r.actor().iops(), ratio(r.ratioToDirect()), ratio(r.ratioToKernel())));
    }
    report.columns(IoCommand.columns());
    if (svg != null) {
      var env = RunEnvironment.capture();
      String title = String.format(Locale.ROOT, "camstack bench sweep: %d B %s, %d%% read, %s store",
          base.blockSize(), base.sequential() ? "sequential" : "random", base.readPercent(), base.store());
      String sub = String.format(Locale.ROOT,
          "JDK %s, %s cores, dispatcher %s, %s s per point%s, load average %.1f; actor = %s",
          env.get("jdk"), env.get("cores"), o0.dispatcher(), Units.nanos(io.duration) / 1e9,
          o0.repeat() > 1 ? " (median of " + o0.repeat() + ")" : "", ((Number) env.get("loadAverage")).doubleValue(),
          o0.viaDa() ? "open daN (devfs), then bios on the da periph strategy path -> XptDevice -> SIM -> LUN" : "load generator -> XptDevice -> SIM -> LUN");
      SweepChart.write(svg, title, sub, points);
      parent.err.println("bench: wrote " + svg);
    }
    parent.emit(report, common);
    return results.stream().allMatch(r -> r.actor().tally().errors == 0) ? 0 : 1;
  }

  private static String ratio(double d) {
    return Double.isNaN(d) ? "-" : String.format(Locale.ROOT, "%.2fx", d);
  }
}
