package org.camstack.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.camstack.bench.iscsi.IscsiBench;
import org.camstack.bench.iscsi.IscsiBench.Sample;
import org.camstack.bench.report.Column;
import org.camstack.bench.report.Progress;
import org.camstack.bench.report.Report;
import org.camstack.bench.report.RunEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code bench iscsi}: libiscsi's iscsi-perf (4 KiB random READ(16), QD 32) against a camstack node
 * and against tgt, both started by the bench on free loopback ports with an equal 1 GiB RAM-backed
 * LUN, in the same run; IOPS of each, their ratio, and the cores client and server used. Every
 * process it starts is stopped by PID, on failure too.
 */
@Command(name = "iscsi", mixinStandardHelpOptions = true,
    description = "iscsi-perf random reads against a camstack node and tgt (both started here, loopback, 1 GiB RAM LUNs): IOPS, ratio, CPU.")
final class IscsiCommand implements Callable<Integer> {
  @ParentCommand BenchMain parent;

  @Mixin BenchMain.Common common;

  @Option(names = "--qd", defaultValue = "32", description = "requests in flight, iscsi-perf -m (default: ${DEFAULT-VALUE})")
  int qd;

  @Option(names = "--blocks", defaultValue = "8", description = "512-byte blocks per read, iscsi-perf -b; 8 = 4 KiB (default: ${DEFAULT-VALUE})")
  int blocks;

  @Option(names = "--duration", paramLabel = "S", description = "measured seconds per run (default 20, quick 5)")
  Integer duration;

  @Option(names = "--warmup", paramLabel = "S", description = "unmeasured seconds per target first (default 10, quick 3)")
  Integer warmup;

  @Option(names = "--repeat", defaultValue = "1", description = "runs per target, interleaved; the median is reported (default: ${DEFAULT-VALUE})")
  int repeat;

  @Option(names = "--no-tgt", description = "measure camstack only")
  boolean noTgt;

  @Option(names = "--no-camstack", description = "measure tgt only")
  boolean noCamstack;

  @Override
  public Integer call() throws Exception {
    int seconds = duration != null ? duration : common.quick ? 5 : 20;
    int warm = warmup != null ? warmup : common.quick ? 3 : 10;
    if (qd < 1 || blocks < 1 || seconds < 1 || warm < 0 || repeat < 1 || (noTgt && noCamstack)) {
      throw new IllegalArgumentException("--qd, --blocks, --duration and --repeat must be >= 1, --warmup >= 0, and one target left");
    }
    Path work = Files.createTempDirectory("camstack-bench-iscsi");
    IscsiBench.Options o = new IscsiBench.Options(qd, blocks, seconds, warm, repeat, !noCamstack, !noTgt,
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), System.getProperty("java.class.path"), work);
    Report report = new Report("iscsi");
    report.config("tool", "iscsi-perf -m " + qd + " -b " + blocks + " -t " + seconds + " -r (random READ(16); iscsi-perf has no write mode)")
        .config("bytesPerIo", blocks * 512).config("qd", qd).config("seconds", seconds).config("warmupSeconds", warm)
        .config("repeat", repeat).config("lun", "1 GiB sparse RAM: camstack default topology 0:0:0, tgt /dev/shm file")
        .config("work", work.toString());
    Progress progress = common.progress(IscsiBench.steps(o));
    Map<String, List<Sample>> samples;
    double load0 = loadAverage();
    try {
      samples = IscsiBench.run(o, progress);
    } finally {
      progress.finish();
    }
    double load1 = loadAverage();
    Map<String, Double> median = new LinkedHashMap<>();
    for (Map.Entry<String, List<Sample>> e : samples.entrySet()) {
      List<Sample> runs = new ArrayList<>(e.getValue());
      runs.sort((a, b) -> Long.compare(a.iops(), b.iops()));
      Sample m = runs.get(runs.size() / 2);
      median.put(e.getKey(), (double) m.iops());
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("iops", (double) m.iops());
      f.put("mbPerSec", m.iops() * blocks * 512 / 1e6);
      f.put("clientCores", m.clientCores());
      f.put("serverCores", m.serverCores());
      f.put("runs", runs.size());
      f.put("spread", runs.get(0).iops() + "-" + runs.get(runs.size() - 1).iops());
      report.add(e.getKey(), f);
    }
    int cores = Runtime.getRuntime().availableProcessors();
    report.columns(List.of(
        Column.count("iops", "IOPS"),
        Column.dec1("mbPerSec", "MB/s"),
        Column.dec2("clientCores", "client cores"),
        Column.dec2("serverCores", "server cores"),
        Column.count("runs", "runs"),
        Column.of("spread", "IOPS min-max")));
    if (median.containsKey("camstack") && median.containsKey("tgt")) {
      double ratio = median.get("camstack") / median.get("tgt");
      report.summary("camstack / tgt IOPS", String.format(Locale.ROOT, "%.2fx (floor 2x: %s, goal 5x: %s)", ratio,
          ratio >= 2 ? "met" : "missed", ratio >= 5 ? "met" : "missed"));
    }
    report.note("cores are CPU seconds / wall seconds of each process, out of " + cores + " on this machine; client and server share them");
    report.note(String.format(Locale.ROOT, "load average before %.2f, after %.2f", load0, load1));
    report.environment(RunEnvironment.capture());
    parent.emit(report, common);
    return 0;
  }

  private static double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split("\\s+")[0]);
    } catch (Exception e) {
      return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
  }
}
