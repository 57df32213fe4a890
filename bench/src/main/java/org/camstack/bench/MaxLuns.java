package org.camstack.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.camstack.bench.io.ActorStack;
import org.camstack.bench.io.EmulatedLuns;
import org.camstack.bench.io.IoSpec;
import org.camstack.bench.report.Column;
import org.camstack.bench.report.Progress;
import org.camstack.bench.report.Report;
import org.camstack.bench.report.RunEnvironment;

/**
 * {@code bench recovery --max-luns}: how many LUNs one node attaches within its heap. Boots the
 * real XPT over N null-store emulated disks (scan, probe, one XptDevice each) for growing N
 * (doubling from {@code --lun-start}), measures the heap after a full GC, and stops at the limit, when a boot
 * fails, or when the next step would pass 80 % of the max heap by the measured cost per LUN.
 * {@code --lun-start} sets the first step (e.g. straight to 100,000).
 */
final class MaxLuns {
  private MaxLuns() {}

  static int run(BenchMain parent, BenchMain.Common common, int start, int limit) throws Exception {
    Report report = new Report("recovery --max-luns");
    long maxHeap = Runtime.getRuntime().maxMemory();
    report.config("lunLimit", limit).config("maxHeapBytes", maxHeap).config("store", "null, 1 MiB per LUN");
    report.environment(RunEnvironment.capture(common.dispatcher().describe()));
    int steps = 0;
    for (long n = start; n < limit; n *= 2) {
      steps++;
    }
    Progress progress = common.progress(steps + 1);
    long base = usedAfterGc();
    double perLun = 0;
    int reached = 0;
    try {
      for (int n = Math.min(start, limit); ; n = (int) Math.min((long) n * 2, limit)) {
        if (perLun > 0 && base + perLun * n > 0.8 * maxHeap) {
          report.note(String.format(Locale.ROOT, "stopped before %,d LUNs: would pass 80%% of the heap at %,.0f B per LUN", n, perLun));
          break;
        }
        progress.step("max-luns: boot " + n + " LUNs");
        IoSpec spec = new IoSpec(n, 1, 4096, false, 100, "null", 1 << 20, 1, 0, 0, 1 + n / 4000, 1);
        long t0 = System.nanoTime();
        long used;
        try (EmulatedLuns luns = EmulatedLuns.create(spec);
            ActorStack stack = ActorStack.boot(luns, 32, common.dispatcher())) {
          double bootSeconds = (System.nanoTime() - t0) / 1e9;
          used = usedAfterGc();
          perLun = (double) (used - base) / n;
          Map<String, Object> v = new LinkedHashMap<>();
          v.put("luns", stack.luns().size());
          v.put("buses", spec.sims());
          v.put("bootSeconds", bootSeconds);
          v.put("lunsPerSec", n / bootSeconds);
          v.put("heapUsedBytes", used);
          v.put("bytesPerLun", perLun);
          report.add(n + " LUNs", v);
          reached = n;
        } catch (Exception e) {
          report.note("boot of " + n + " LUNs failed: " + e);
          break;
        } finally {
          progress.stepDone();
        }
        if (n >= limit) {
          break;
        }
      }
    } finally {
      progress.finish();
    }
    report.columns(List.of(
        Column.count("luns", "LUNs"),
        Column.count("buses", "buses"),
        Column.dec1("bootSeconds", "boot s"),
        Column.count("lunsPerSec", "LUNs/s"),
        Column.count("heapUsedBytes", "heap B"),
        Column.count("bytesPerLun", "B/LUN")));
    long fit = perLun > 0 ? (long) ((0.8 * maxHeap - base) / perLun) : 0;
    report.summary("largest attached", String.format(Locale.ROOT, "%,d LUNs (target 100,000: %s)", reached, reached >= 100_000 ? "met" : "not reached"));
    report.summary("memory per LUN", String.format(Locale.ROOT, "%,.0f B (XptDevice + emulated disk + EDT entry)", perLun));
    report.summary("heap allows", String.format(Locale.ROOT, "~%,d LUNs within 80%% of %,d MiB", fit, maxHeap >> 20));
    parent.emit(report, common);
    return 0;
  }

  private static long usedAfterGc() {
    MemoryMXBean m = ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return m.getHeapMemoryUsage().getUsed();
  }
}
