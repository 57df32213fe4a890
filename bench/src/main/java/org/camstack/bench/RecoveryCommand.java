package org.camstack.bench;

import java.util.List;
import java.util.concurrent.Callable;
import org.camstack.bench.persist.JournalTarget;
import org.camstack.bench.persist.RecoveryBench;
import org.camstack.bench.report.Column;
import org.camstack.bench.report.Progress;
import org.camstack.bench.report.Report;
import org.camstack.bench.report.RunEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code bench recovery}: time to recover the durable state of N devices from the journal; with
 * {@code --max-luns}, the largest number of LUNs one node attaches within its heap.
 */
@Command(name = "recovery", mixinStandardHelpOptions = true,
    description = "Time to recover N devices' durable state from the journal; --max-luns: LUNs per node and memory per LUN.")
final class RecoveryCommand implements Callable<Integer> {
  @ParentCommand BenchMain parent;

  @Mixin BenchMain.Common common;

  @Option(names = "--devices", paramLabel = "N", description = "devices to write and recover (default 10000, quick 500)")
  Integer devices;

  @Option(names = "--cycles", defaultValue = "1", description = "stop/start pairs per device; events per device = 2 + 2 x cycles (default: ${DEFAULT-VALUE})")
  int cycles;

  @Option(names = "--window", defaultValue = "256", description = "commands / recoveries in flight (default: ${DEFAULT-VALUE})")
  int window;

  @Mixin JournalOptions journal;

  @Option(names = "--recoveries", paramLabel = "N",
      description = "pekko.persistence.max-concurrent-recoveries (default: the configured value, Pekko's default 50)")
  Integer recoveries;

  @Option(names = "--existing",
      description = "write nothing: recover every device already in --journal (written by an earlier run), in a JVM that has not"
          + " written them, as cold as a node start")
  boolean existing;

  @Option(names = "--max-luns", description = "instead: attach LUNs until the heap is nearly full (or --lun-limit), report LUNs and memory per LUN")
  boolean maxLuns;

  @Option(names = "--lun-limit", paramLabel = "N", description = "stop --max-luns at N LUNs (default 100000, quick 2000)")
  Integer lunLimit;

  @Option(names = "--lun-start", paramLabel = "N", defaultValue = "500", description = "first --max-luns step; doubles from there (default: ${DEFAULT-VALUE})")
  int lunStart;

  @Override
  public Integer call() throws Exception {
    if (maxLuns) {
      if (lunStart < 1) {
        throw new IllegalArgumentException("--lun-start must be >= 1");
      }
      return MaxLuns.run(parent, common, lunStart, lunLimit != null ? lunLimit : common.quick ? 2000 : 100_000);
    }
    int n = devices != null ? devices : common.quick ? 500 : 10_000;
    if (n < 1 || cycles < 0 || window < 1) {
      throw new IllegalArgumentException("--devices and --window must be >= 1, --cycles >= 0");
    }
    Report report = new Report("recovery");
    Progress progress = common.progress(2);
    RecoveryBench.Result r;
    try (JournalTarget target = journal.open()) {
      report.config("devices", n).config("cycles", cycles).config("eventsPerDevice", 2 + 2 * cycles)
          .config("window", window).config("journal", target.describe()).config("maxConcurrentRecoveries", recoveries);
      r = RecoveryBench.run(new RecoveryBench.Options(n, cycles, window, common.dispatcher(), recoveries, existing), target, progress);
      report.add(target.kind(), r.figures());
    } finally {
      progress.finish();
    }
    report.environment(RunEnvironment.capture(common.dispatcher().describe()));
    report.columns(List.of(
        Column.count("devices", "devices"),
        Column.count("eventsWritten", "events"),
        Column.count("eventsPersistedPerSec", "persist ev/s"),
        Column.dec2("recoverSeconds", "recover s"),
        Column.count("devicesRecoveredPerSec", "devices/s"),
        Column.count("eventsReplayedPerSec", "replay ev/s"),
        Column.count("recovered", "ok"),
        Column.dec2("queriesPerDevice", "queries/dev"),
        Column.dec2("bulkSeconds", "bulk s"),
        Column.count("bulkRecovered", "bulk ok"),
        Column.dec2("bulkCpuSeconds", "bulk cpu s"),
        Column.count("bulkJitMillis", "bulk jit ms"),
        Column.dec2("bulkWarmSeconds", "warm again s"),
        Column.dec2("bulkQueriesPerDevice", "bulk q/dev"),
        Column.dec2("cpuCoresBusy", "cores")));
    report.summary("bulk read of 10,000 device states at node start (scaled)", String.format(java.util.Locale.ROOT, "%.2f s",
        r.bulkSeconds() * 10_000.0 / r.devices()));
    double perTenK = r.recoverSeconds() * 10_000.0 / r.devices();
    report.summary("recovery of 10,000 devices (scaled)", String.format(java.util.Locale.ROOT, "%.2f s (target <= 5 s: %s)",
        perTenK, perTenK <= 5 ? "met" : "missed by " + String.format(java.util.Locale.ROOT, "%.1fx", perTenK / 5)));
    var ph = r.bulkPhases();
    report.note(String.format(java.util.Locale.ROOT,
        "bulk read phases: connect %.0f ms, %d queries %.0f ms, row fetch %.0f ms; decoding threads: decode %.0f ms,"
            + " fold %.0f ms; waiting for them after the last query %.0f ms (%d snapshot + %d event rows)",
        ph.connectNanos / 1e6, ph.queries, ph.queryNanos / 1e6, ph.fetchNanos / 1e6, ph.decodeNanos / 1e6, ph.foldNanos / 1e6,
        ph.waitNanos / 1e6, ph.snapshotRows, ph.eventRows));
    if (r.bulkRecovered() != r.devices()) {
      report.note((r.devices() - r.bulkRecovered()) + " devices did not come back configured and plugged from the bulk read");
    }
    if (r.recovered() != r.devices()) {
      report.note((r.devices() - r.recovered()) + " devices did not come back configured and plugged");
    }
    parent.emit(report, common);
    return r.recovered() == r.devices() && r.bulkRecovered() == r.devices() ? 0 : 1;
  }
}
