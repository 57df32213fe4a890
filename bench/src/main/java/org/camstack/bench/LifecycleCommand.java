package org.camstack.bench;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.camstack.bench.harness.CountingMailbox;
import org.camstack.bench.harness.ResourceMeter;
import org.camstack.bench.harness.Units;
import org.camstack.bench.lifecycle.HotplugStorm;
import org.camstack.bench.persist.JournalTarget;
import org.camstack.bench.report.Column;
import org.camstack.bench.report.Progress;
import org.camstack.bench.report.Report;
import org.camstack.bench.report.RunEnvironment;
import org.camstack.persistence.journal.JournalSchema;
import org.camstack.stack.CamStackConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code bench lifecycle}: a hot-plug storm. LUNs are plugged and pulled on an emulated bus and
 * rescanned through the real XPT; the pass and da drivers attach and detach periphs with their devfs
 * nodes; every lifetime event is journaled (H2 by default, PostgreSQL with {@code --journal}).
 */
@Command(name = "lifecycle", mixinStandardHelpOptions = true,
    description = "Hot-plug storm: attach + detach cycles per second with pass and da periphs and devfs nodes, lifetime events journaled.")
final class LifecycleCommand implements Callable<Integer> {
  @ParentCommand BenchMain parent;

  @Mixin BenchMain.Common common;

  @Mixin JournalOptions journal;

  @Option(names = "--slots", defaultValue = "16", description = "targets cycling at once (default: ${DEFAULT-VALUE})")
  int slots;

  @Option(names = "--duration", description = "measured time of each run (default 10s, quick 1s)")
  String duration;

  @Option(names = "--warmup", description = "un-measured storm before the first run (default 60s, quick 0.5s): "
      + "a cycle runs ~10,000 distinct methods (Pekko, the journal, the stack), which the JIT needs about a minute "
      + "of this storm to compile on 2 cores; a shorter warm-up measures the compiler (the JIT column says how busy it was)")
  String warmup;

  @Option(names = "--repeat", defaultValue = "1", description = "measured runs after the one warm-up; the summary gives the median (default: ${DEFAULT-VALUE})")
  int repeat;

  @Option(names = "--no-journal", description = "do not journal lifetime events (isolates the stack's own cost)")
  boolean noJournal;

  @Option(names = "--count-messages", description = "count the messages and actor starts of a cycle (a counting mailbox on every actor)")
  boolean countMessages;

  /** Default warm-up: long enough for the JIT to compile a cycle's path (see {@code --warmup}). */
  static final long DEFAULT_WARMUP_NANOS = 60_000_000_000L;

  @Override
  public Integer call() throws Exception {
    if (slots < 1 || slots > 254) {
      throw new IllegalArgumentException("--slots must be in 1..254");
    }
    if (repeat < 1 || repeat > 100) {
      throw new IllegalArgumentException("--repeat must be in 1..100");
    }
    long dur = duration != null ? Units.nanos(duration) : common.quick ? 1_000_000_000L : 10_000_000_000L;
    long warm = warmup != null ? Units.nanos(warmup) : common.quick ? 500_000_000L : DEFAULT_WARMUP_NANOS;
    Report report = new Report("lifecycle");
    Progress progress = common.progress(1 + repeat);
    List<Double> rates = new ArrayList<>();
    long droppedTotal = 0;
    try (JournalTarget target = journal.open()) {
      report.config("slots", slots).config("durationSeconds", dur / 1e9).config("warmupSeconds", warm / 1e9)
          .config("repeat", repeat)
          .config("journal", noJournal ? "off" : target.describe()).config("periphDrivers", List.of("pass", "da"));
      Config cfg = common.dispatcher().toConfig().withFallback(CamStackConfig.load());
      if (!noJournal) {
        cfg = target.config().applyTo(cfg);
      }
      if (countMessages) {
        cfg = CountingMailbox.config().withFallback(cfg);
      }
      ActorSystem<Object> system = ActorSystem.create(HotplugStorm.create(!noJournal), "bench-lifecycle", cfg);
      try {
        if (!noJournal) {
          JournalSchema.createIfNotExists(system).toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        progress.step("lifecycle: warm-up storm");
        storm(system, warm);
        progress.stepDone();
        for (int i = 1; i <= repeat; i++) {
          progress.step("lifecycle: measured storm, " + slots + " slots" + (repeat > 1 ? " (" + i + "/" + repeat + ")" : ""));
          Map<String, Object> v = measure(system, dur, i == repeat ? report : null);
          progress.stepDone();
          rates.add((Double) v.get("cyclesPerSec"));
          droppedTotal += (Long) v.get("dropped");
          String name = noJournal ? "no journal" : target.kind();
          report.add(repeat > 1 ? name + " " + i + "/" + repeat : name, v);
        }
        double cps = median(rates);
        String of = repeat > 1 ? String.format(Locale.ROOT, " (median of %d runs)", repeat) : "";
        String verdict;
        if (droppedTotal > 0) {
          verdict = String.format(Locale.ROOT, "NOT VALID: the journal fell behind and %,d lifetime events were dropped", droppedTotal);
        } else if (noJournal) {
          verdict = "journal off: the stack's own cost, not the issue-15 row";
        } else {
          verdict = String.format(Locale.ROOT, "issue 15 with %s: floor 2,000 %s, goal 5,000 %s", target.kind(),
              cps >= 2000 ? "met" : String.format(Locale.ROOT, "missed, %.0f%% of it", cps / 20),
              cps >= 5000 ? "met" : String.format(Locale.ROOT, "missed, %.0f%% of it", cps / 50));
        }
        report.summary("attach + detach cycles/s (pass + da)", String.format(Locale.ROOT, "%,.0f%s (%s)", cps, of, verdict));
      } finally {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
    } finally {
      progress.finish();
    }
    report.note("each cycle = scan, probe, AC_FOUND_DEVICE, "
        + "pass and da attach (da reads the capacity) + a devfs node each, pull, rescan, AC_LOST_DEVICE, invalidate, devfs destroy + callback, dtor, units freed");
    report.environment(RunEnvironment.capture(common.dispatcher().describe()));
    report.columns(List.of(
        Column.count("cycles", "cycles"),
        Column.count("cyclesPerSec", "cycles/s"),
        Column.count("lifetimeEvents", "events"),
        Column.count("eventsPerSec", "events/s"),
        Column.count("persisted", "persisted"),
        Column.count("persistedPerSec", "persisted/s"),
        Column.dec2("eventsPerCycle", "events/cycle"),
        Column.dec2("persistedPerCycle", "persisted/cycle"),
        Column.dec2("journalWritesPerCycle", "writes/cycle"),
        Column.dec2("messagesPerCycle", "msgs/cycle"),
        Column.dec2("actorsPerCycle", "actors/cycle"),
        Column.dec2("cpuCoresBusy", "cores"),
        Column.count("cpuMicrosPerCycle", "CPU µs/cycle"),
        Column.count("workCpuMicrosPerCycle", "non-JIT µs/cycle"),
        Column.count("allocatedBytesPerCycle", "B/cycle"),
        Column.count("gcMillis", "GC ms"),
        Column.count("jitMillis", "JIT ms"),
        Column.count("dropped", "dropped")));
    parent.emit(report, common);
    return 0;
  }

  /**
   * One measured storm of {@code nanos}: every figure of the run, by column key; the per-kind and
   * per-receiver notes go to {@code notes} (null: none).
   */
  private Map<String, Object> measure(ActorSystem<Object> system, long nanos, Report notes) throws Exception {
    ResourceMeter.Snapshot snap = ResourceMeter.start();
    long work0 = workCpuNanos();
    Map<String, CountingMailbox.Count> counted0 = CountingMailbox.snapshot();
    HotplugStorm.Result r = storm(system, nanos);
    Map<String, CountingMailbox.Count> counted = CountingMailbox.delta(counted0, CountingMailbox.snapshot());
    long work = workCpuNanos() - work0;
    ResourceMeter.Usage u = snap.delta();
    double secs = (r.endNanos() - r.startNanos()) / 1e9;
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("cycles", r.cycles());
    v.put("cyclesPerSec", r.cycles() / secs);
    v.put("lifetimeEvents", r.lifetimeEvents());
    v.put("eventsPerSec", r.lifetimeEvents() / secs);
    v.put("persisted", r.persisted());
    v.put("persistedPerSec", r.persisted() / secs);
    double n = Math.max(1, r.cycles());
    v.put("eventsPerCycle", r.lifetimeEvents() / n);
    v.put("persistedPerCycle", r.persisted() / n);
    v.put("journalWritesPerCycle", r.journalWrites() / n);
    v.put("cpuMicrosPerCycle", u.cpuNanos() / 1e3 / n);
    v.put("workCpuMicrosPerCycle", work / 1e3 / n);
    v.put("allocatedBytesPerCycle", u.allocatedBytes() < 0 ? -1 : u.allocatedBytes() / n);
    if (countMessages) {
      v.put("messagesPerCycle", counted.values().stream().mapToLong(CountingMailbox.Count::messages).sum() / n);
      v.put("actorsPerCycle", counted.values().stream().mapToLong(CountingMailbox.Count::actors).sum() / n);
    }
    v.put("dropped", r.dropped());
    v.put("seconds", secs);
    v.putAll(u.describe());
    if (notes == null) {
      return v;
    }
    StringBuilder kinds = new StringBuilder("lifetime events per cycle by kind:");
    r.eventKinds().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
        kinds.append(String.format(Locale.ROOT, " %s %.2f", e.getKey(), e.getValue() / n)));
    notes.note(kinds.toString());
    if (countMessages) {
      StringBuilder msgs = new StringBuilder("messages (actor starts) per cycle by receiver:");
      counted.forEach((k, c) -> msgs.append(String.format(Locale.ROOT, " %s %.2f", k, c.messages() / n))
          .append(c.actors() == 0 ? "" : String.format(Locale.ROOT, " (%.2f)", c.actors() / n)));
      notes.note(msgs.toString());
    }
    return v;
  }

  static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(null);
    int m = s.size() / 2;
    return s.size() % 2 == 1 ? s.get(m) : (s.get(m - 1) + s.get(m)) / 2;
  }

  /**
   * CPU time of the JVM's Java threads except the JIT compiler's: the actors, the journal's
   * threads, the harness (the process CPU also counts compilation and GC, which under a busy
   * machine's long warm-up dominate a short run).
   */
  static long workCpuNanos() {
    java.lang.management.ThreadMXBean t = java.lang.management.ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (java.lang.management.ThreadInfo i : t.getThreadInfo(t.getAllThreadIds())) {
      if (i != null && !i.getThreadName().contains("CompilerThread")) {
        sum += Math.max(0, t.getThreadCpuTime(i.getThreadId()));
      }
    }
    return sum;
  }

  private HotplugStorm.Result storm(ActorSystem<Object> system, long nanos) throws Exception {
    CompletableFuture<HotplugStorm.Result> done = new CompletableFuture<>();
    system.tell(new HotplugStorm.Run(slots, System.nanoTime() + nanos, done));
    return done.get(Math.max(120, 10 * nanos / 1_000_000_000L), TimeUnit.SECONDS);
  }
}
