package org.camstack.stack.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.camstack.stack.chaos.ChaosEngine;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.persistence.audit.ViolationKind;
import org.camstack.stack.chaos.ChaosSchedule;
import org.camstack.stack.chaos.ChaosShrinker;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./camstack chaos}: a seeded chaos session on the real stack (see {@link ChaosEngine}).
 * Deterministic by default (one thread, seeded scheduler, virtual time: the same seed and cycles
 * print the same summary line); {@code --record}/{@code --replay} write and rerun the schedule,
 * {@code --shrink} reduces a failing one and prints it as a timeline; {@code --threads} runs on real
 * threads (stress, not reproducible). Exits 0 only when no violation was found, 2 on bad usage.
 */
@Command(
    name = "chaos",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Seeded lifetime chaos on the real stack (XPT, periphs, devfs, emulated SIMs).",
      "Clients open, do I/O and close while a nemesis unplugs, replugs, rescans,",
      "resets and acquires; the lifetime rules are checked throughout.",
      "Deterministic by default (one thread, seeded scheduler, virtual time): the",
      "same seed and cycles print the same summary line.",
      "Exit 0 = no violation, 1 = violations, 2 = bad usage."
    })
public final class ChaosCommand implements Callable<Integer> {

  @Option(names = "--seed", paramLabel = "S", description = "the seed (default: derived from the clock, printed)")
  Long seed;

  @Option(names = "--cycles", paramLabel = "N", description = "cycles to run (default ${DEFAULT-VALUE})")
  int cycles = 2000;

  @Option(names = "--clients", paramLabel = "C", description = "concurrent clients, 1..64 (default ${DEFAULT-VALUE})")
  int clients = 4;

  @Option(names = "--legacy", description = "run the 2012-pre orderings (finds the seed bugs)")
  boolean legacy;

  @Option(names = "--stop-on-bugs", description = "stop once both seed bugs were seen (legacy mode)")
  boolean stopOnBugs;

  @Option(names = "--record", paramLabel = "FILE", description = "write the schedule that ran (with --shrink: the shrunk one)")
  Path record;

  @Option(names = "--replay", paramLabel = "FILE", description = "rerun a recorded schedule exactly")
  Path replay;

  @Option(names = "--shrink", description = "reduce a failing schedule to a minimal one and print it as a timeline")
  boolean shrink;

  @Option(
      names = "--shrink-kind",
      paramLabel = "KIND",
      description = "the violation kind --shrink keeps (default: DUPLICATE_NAME, else DESTROY_DEADLOCK, else the first seen)")
  ViolationKind shrinkKind;

  @Option(names = "--timeline", description = "print the run's timeline (mermaid; for short runs, e.g. a --replay)")
  boolean printTimeline;

  @Option(names = "--threads", description = "real dispatcher threads and the wall clock: stress, NOT reproducible")
  boolean threads;

  @Option(
      names = "--iscsi",
      description = {
        "across the network: every device is a LUN of an in-JVM camstack iSCSI portal attached through",
        "the initiator SIM and a TCP proxy; the nemesis cuts and restores the connection (fail-on-disconnection",
        "250 ms: a reconnect storm loses the devices) and pulls and plugs LUNs on the target; implies --threads"
      })
  boolean iscsi;

  private PrintStream out;
  private PrintStream err;

  /** @return 0 no violation, 1 violations found, 2 bad usage */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    ChaosCommand cmd = new ChaosCommand();
    cmd.out = out;
    cmd.err = err;
    CommandLine cl = new CommandLine(cmd);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    cl.setExecutionExceptionHandler(
        (ex, line, parsed) -> {
          err.println("camstack chaos: " + ex.getMessage());
          return 2;
        });
    return cl.execute(args);
  }

  @Override
  public Integer call() {
    if (iscsi) {
      threads = true; // the target answers on socket threads: not reproducible
    }
    if (threads && (record != null || replay != null || shrink)) {
      err.println("camstack chaos: --threads runs are not reproducible: no --record, --replay or --shrink");
      return 2;
    }
    if (cycles < 0 || clients < 1 || clients > 64) {
      err.println("camstack chaos: --cycles must be >= 0 and --clients 1..64");
      return 2;
    }
    if (System.getProperty("camstack.loglevel") == null) {
      System.setProperty("camstack.loglevel", "OFF"); // violations are reported below, not logged
    }
    org.slf4j.LoggerFactory.getILoggerFactory();
    ChaosEngine.Settings settings;
    ChaosSchedule replayed = null;
    if (replay != null) {
      try {
        replayed = ChaosSchedule.read(replay);
      } catch (IOException | IllegalArgumentException e) {
        err.println("camstack chaos: cannot read " + replay + ": " + e.getMessage());
        return 2;
      }
      settings = ChaosEngine.Settings.replaying(replayed);
    } else {
      long s = seed != null ? seed : System.nanoTime() & 0xffffffL;
      settings =
          ChaosEngine.Settings.of(s, cycles, clients, legacy)
              .withStopOnSeedBugs(stopOnBugs)
              .withMode(threads ? ChaosEngine.Mode.THREADS : ChaosEngine.Mode.DETERMINISTIC)
              .withIscsi(iscsi);
    }
    if (printTimeline) {
      settings = settings.withTimeline(true);
    }
    int n = settings.cycles();
    settings = settings.withProgressEvery(Math.max(1, Math.min(500, Math.max(n / 10, 1))));
    String mode = (settings.legacy() ? "legacy (2012-pre) mode" : "fixed mode") + (iscsi ? ", over iSCSI (TCP proxy, 250 ms fail-on-disconnection)" : "");
    out.printf(
        "chaos: seed %d, %d cycles, %d clients, %s, %s%n",
        settings.seed(),
        n,
        settings.clients(),
        mode,
        threads
            ? "THREADS: real dispatcher threads and wall clock (stress only: not reproducible, not replayable)"
            : "deterministic (one thread, seeded scheduler, virtual time)" + (replay != null ? ", replaying " + replay : ""));
    out.flush();
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
    if (replayed != null && !replayed.summary().isEmpty()) {
      out.println(
          replayed.summary().equals(report.summaryLine())
              ? "replay: identical to the recorded run"
              : "replay: DIFFERENT from the recorded run: " + replayed.summary());
    }
    if (printTimeline) {
      printTimeline(report, out);
    }
    ChaosSchedule toWrite = report.schedule().withSummary(report.summaryLine());
    if (shrink) {
      if (report.violations() == 0
          || (shrinkKind != null && report.violationsByKind().getOrDefault(shrinkKind, 0) == 0)) {
        out.println("shrink: nothing to shrink, the run found no " + (shrinkKind == null ? "violation" : shrinkKind));
      } else {
        toWrite = shrink(report);
      }
    }
    if (record != null) {
      try {
        toWrite.write(record);
        out.println("schedule written to " + record + " (" + toWrite.cycles().size() + " cycles, " + toWrite.opCount() + " ops)");
      } catch (IOException e) {
        err.println("camstack chaos: cannot write " + record + ": " + e.getMessage());
        return 2;
      }
    }
    out.flush();
    return report.violations() == 0 ? 0 : 1;
  }

  private ChaosSchedule shrink(ChaosEngine.Report report) {
    long t0 = System.nanoTime();
    ChaosShrinker.Result r =
        ChaosShrinker.shrink(
            report,
            shrinkKind != null ? shrinkKind : ChaosShrinker.defaultKind(report),
            line -> {
              out.println(line);
              out.flush();
            },
            600);
    ChaosEngine.Report again = ChaosEngine.run(ChaosEngine.Settings.replaying(r.schedule()), null);
    out.printf(
        "shrunk: %s in %d cycles, %d ops (%d reruns, %.1f s); a replay of it %s%n",
        r.kind(),
        r.schedule().cycles().size(),
        r.schedule().opCount(),
        r.runs(),
        (System.nanoTime() - t0) / 1e9,
        again.violationsByKind().getOrDefault(r.kind(), 0) > 0 ? "still fails with " + r.kind() : "DOES NOT FAIL");
    LifetimeEvent.ProtocolViolation ex = again.examples().get(r.kind());
    if (ex != null) {
      out.println("  " + ChaosEngine.sanitize(ex.message()));
    }
    out.println("schedule:");
    out.print(r.schedule().format().replaceAll("(?m)^", "  "));
    printTimeline(r.report(), out);
    return r.schedule();
  }

  private static void printTimeline(ChaosEngine.Report r, PrintStream out) {
    out.println("timeline (mermaid, virtual time):");
    out.println("```mermaid");
    out.print(r.timeline().toMermaid());
    out.println("```");
  }

  static void print(ChaosEngine.Report r, PrintStream out) {
    out.println("summary: " + r.summaryLine());
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
            ex == null ? "" : ChaosEngine.sanitize(ex.message()));
      }
    }
    if (r.settings().legacy()) {
      out.println(
          (r.settings().iscsi() ? "bug A (duplicate name panic):       " : "bug A (duplicate name panic, pass): ")
              + (r.bugAFoundAt() >= 0 ? "found at cycle " + r.bugAFoundAt() : "not found"));
      out.println(
          "bug B (close deadlock, ses):        "
              + (r.settings().iscsi() ? "not applicable (no enclosure behind --iscsi)"
                  : r.bugBFoundAt() >= 0 ? "found at cycle " + r.bugBFoundAt() : "not found"));
    }
    double wall = r.elapsed().toNanos() / 1e9;
    if (r.settings().mode() == ChaosEngine.Mode.DETERMINISTIC) {
      double cpu = r.cpu().toNanos() / 1e9;
      out.printf(
          "time: %.1f s wall (%.0f cycles/s), %.1f s CPU of the one thread (%.0f cycles/s), %.3f s virtual, %d actor turns%n",
          wall, r.cyclesRun() / Math.max(wall, 1e-9), cpu, r.cyclesRun() / Math.max(cpu, 1e-9), r.virtualNanos() / 1e9, r.turns());
      out.printf(
          "seed: %d   (reproduce: ./camstack chaos --seed %d --cycles %d --clients %d%s)%n",
          r.settings().seed(),
          r.settings().seed(),
          r.settings().replay() != null ? r.settings().replay().cycles().size() : r.settings().cycles(),
          r.settings().clients(),
          r.settings().legacy() ? " --legacy" : "");
    } else {
      out.printf("time: %.1f s wall (%.0f cycles/s)%n", wall, r.cyclesRun() / Math.max(wall, 1e-9));
      out.printf(
          "seed: %d   (threads mode: the interleaving is not reproducible; run without --threads to replay)%n",
          r.settings().seed());
    }
    out.flush();
  }
}
