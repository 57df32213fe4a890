package org.camstack.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.camstack.bench.io.IoSpec;
import org.camstack.bench.io.Measurement;

/** The speed targets of issue 6 (perf.md 4.3) that apply to a given workload, checked. */
final class Targets {
  private Targets() {}

  static List<String> check(IoSpec s, Measurement actor) {
    List<String> out = new ArrayList<>();
    boolean read4k = s.blockSize() == 4096 && s.readPercent() == 100 && !s.sequential();
    double iops = actor.iops();
    if (read4k && s.store().equals("ram") && s.qd() == 32) {
      if (s.luns() == 1 && s.storeBytes() == 64L << 20) {
        out.add(line("4 KiB rand read, 1 LUN QD32, 64 MiB RAM", iops, 800_000));
      } else if (s.luns() == 8 && s.storeBytes() == 64L << 20) {
        out.add(line("4 KiB rand read, 8 LUNs QD32, 64 MiB RAM", iops, 1_600_000));
      } else if (s.luns() == 1 && s.storeBytes() == 1L << 30) {
        out.add(line("4 KiB rand read, 1 LUN QD32, 1 GiB RAM", iops, 600_000));
      }
    }
    if (s.store().equals("null") && s.qd() == 32) {
      if (s.luns() == 1) {
        out.add(line("null store, 1 LUN QD32", iops, 1_500_000));
      } else if (s.luns() == 8) {
        out.add(line("null store, 8 LUNs QD32", iops, 3_000_000));
      }
    }
    if (s.qd() == 1 && s.luns() == 1) {
      double p50 = actor.micros(50);
      double p99 = actor.micros(99);
      out.add(String.format(Locale.ROOT, "QD1 latency p50 %.1f us (target <= 2: %s), p99 %.1f us (target <= 10: %s)",
          p50, p50 <= 2 ? "met" : "missed", p99, p99 <= 10 ? "met" : "missed"));
    }
    if (s.qd() == 32) {
      double p99 = actor.micros(99);
      out.add(String.format(Locale.ROOT, "QD32 p99 %.1f us (target <= 150: %s)", p99, p99 <= 150 ? "met" : "missed by " + String.format(Locale.ROOT, "%.1fx", p99 / 150)));
    }
    return out;
  }

  private static String line(String what, double iops, double target) {
    return String.format(Locale.ROOT, "%s: %,.0f IOPS (target >= %,.0f: %s)", what, iops, target,
        iops >= target ? "met" : String.format(Locale.ROOT, "missed, %.0f%% of it", 100 * iops / target));
  }
}
