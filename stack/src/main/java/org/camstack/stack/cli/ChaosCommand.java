package org.camstack.stack.cli;

import java.io.PrintStream;
import java.util.Map;
import org.camstack.stack.chaos.ChaosEngine;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.persistence.audit.ViolationKind;

/**
 * {@code ./camstack chaos [--seed S] [--cycles N] [--clients C] [--legacy] [--stop-on-bugs]}: a
 * seeded chaos session on the real stack (see {@link ChaosEngine}). Prints progress, a summary
 * with violations by kind and the seed; exits 0 only when no violation was found.
 */
public final class ChaosCommand {
  private ChaosCommand() {}

  static final String USAGE =
      "usage: ./camstack chaos [--seed S] [--cycles N] [--clients C] [--legacy] [--stop-on-bugs]";

  /** @return 0 no violation, 1 violations found, 2 bad usage */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    long seed = System.nanoTime() & 0xffffffL;
    int cycles = 2000;
    int clients = 4;
    boolean legacy = false;
    boolean stopOnBugs = false;
    try {
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--seed" -> seed = Long.parseLong(value(args, ++i, a));
          case "--cycles" -> cycles = Integer.parseInt(value(args, ++i, a));
          case "--clients" -> clients = Integer.parseInt(value(args, ++i, a));
          case "--legacy" -> legacy = true;
          case "--stop-on-bugs" -> stopOnBugs = true;
          default -> throw new IllegalArgumentException("unknown option '" + a + "'");
        }
      }
      if (cycles < 0 || clients < 1 || clients > 64) {
        throw new IllegalArgumentException("--cycles must be >= 0 and --clients 1..64");
      }
    } catch (NumberFormatException e) {
      err.println("camstack chaos: not a number: " + e.getMessage() + " (" + USAGE + ")");
      return 2;
    } catch (IllegalArgumentException e) {
      err.println("camstack chaos: " + e.getMessage() + " (" + USAGE + ")");
      return 2;
    }
    if (System.getProperty("camstack.loglevel") == null) {
      System.setProperty("camstack.loglevel", "OFF"); // violations are reported below, not logged
    }
    org.slf4j.LoggerFactory.getILoggerFactory();
    String mode = legacy ? "legacy (2012-pre) mode" : "fixed mode";
    out.printf("chaos: seed %d, %d cycles, %d clients, %s%n", seed, cycles, clients, mode);
    out.flush();
    ChaosEngine.Settings settings =
        ChaosEngine.Settings.of(seed, cycles, clients, legacy)
            .withProgressEvery(Math.max(1, Math.min(500, Math.max(cycles / 10, 1))))
            .withStopOnSeedBugs(stopOnBugs);
    ChaosEngine.Report report;
    try {
      report =
          ChaosEngine.run(
              settings,
              line -> {
                out.println(line);
                out.flush();
              });
    } catch (IllegalArgumentException | IllegalStateException e) {
      err.println("camstack chaos: " + e.getMessage());
      return 2;
    }
    print(report, out);
    return report.violations() == 0 ? 0 : 1;
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return args[i];
  }

  static void print(ChaosEngine.Report r, PrintStream out) {
    StringBuilder opsText = new StringBuilder();
    for (Map.Entry<String, Long> e : r.opsByKind().entrySet()) {
      opsText.append(opsText.length() == 0 ? "" : ", ").append(e.getKey()).append(' ').append(e.getValue());
    }
    out.printf(
        "summary: %d cycles, %d ops (%s), %d violations, %.1f s%n",
        r.cyclesRun(), r.ops(), opsText, r.violations(), r.elapsed().toMillis() / 1000.0);
    StringBuilder ev = new StringBuilder();
    for (String k : new String[] {"PeriphRegistered", "DevfsNodeCreated", "AliasAdded", "PeriphInvalidated", "NodeGone", "DestructorRun", "UnitFreed", "CcbIssued", "CcbCompleted"}) {
      ev.append(ev.length() == 0 ? "" : ", ").append(k).append(' ').append(r.lifetimeEvents().getOrDefault(k, 0L));
    }
    out.println("lifetime events: " + ev);
    if (r.violations() > 0) {
      out.println("violations by kind:");
      for (Map.Entry<ViolationKind, Integer> e : r.violationsByKind().entrySet()) {
        LifetimeEvent.ProtocolViolation ex = r.examples().get(e.getKey());
        int at = r.firstCycle().getOrDefault(e.getKey(), 0);
        out.printf(
            "  %-22s %6d  first %s: %s%n",
            e.getKey(),
            e.getValue(),
            at == 0 ? "at teardown" : "at cycle " + at,
            ex == null ? "" : ex.message());
      }
    }
    if (r.settings().legacy()) {
      out.println(
          "bug A (duplicate name panic, pass): "
              + (r.bugAFoundAt() >= 0 ? "found at cycle " + r.bugAFoundAt() : "not found"));
      out.println(
          "bug B (close deadlock, ses):        "
              + (r.bugBFoundAt() >= 0 ? "found at cycle " + r.bugBFoundAt() : "not found"));
    }
    out.printf(
        "seed: %d   (reproduce: ./camstack chaos --seed %d --cycles %d --clients %d%s)%n",
        r.settings().seed(),
        r.settings().seed(),
        r.settings().cycles(),
        r.settings().clients(),
        r.settings().legacy() ? " --legacy" : "");
    out.flush();
  }
}
