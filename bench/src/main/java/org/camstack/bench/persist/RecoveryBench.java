package org.camstack.bench.persist;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.camstack.bench.harness.DispatcherSettings;
import org.camstack.bench.harness.ResourceMeter;
import org.camstack.bench.report.Progress;
import org.camstack.persistence.device.DeviceEntity;
import org.camstack.persistence.device.DeviceStates;
import org.camstack.persistence.journal.JournalSchema;
import org.camstack.stack.CamStackConfig;

/**
 * Time to recover the durable state of N devices from the journal. A first ActorSystem writes N
 * {@code DeviceEntity} histories (create, plug, stop/start cycles) and terminates; a second one,
 * on the same journal, starts all N entities and asks each for its state: the clock runs from the
 * first start to the last answer (each answer follows the replay of its snapshot and events).
 * Before that, on the same fresh system, the bulk path ({@link DeviceStates}) reads all N states
 * (the way a node starts, see DurableDevices), timed and counted separately.
 */
public final class RecoveryBench {
  private RecoveryBench() {}

  /**
   * @param devices entities to write and recover
   * @param cycles stop/start pairs per device (events per device = 2 + 2 x cycles)
   * @param window commands (or recoveries) in flight
   * @param maxConcurrentRecoveries {@code pekko.persistence.max-concurrent-recoveries}, or null for
   *     the configured value
   */
  public record Options(
      int devices, int cycles, int window, DispatcherSettings dispatcher, Integer maxConcurrentRecoveries, boolean existing) {}

  /** Figures of one run. */
  public record Result(
      int devices,
      long eventsWritten,
      double writeSeconds,
      double recoverSeconds,
      long recovered,
      ResourceMeter.Usage recoverUsage,
      long heapAfterRecoveryBytes,
      long recoveryQueries,
      double bulkSeconds,
      long bulkRecovered,
      long bulkQueries,
      double bulkCpuSeconds,
      long bulkJitMillis,
      double bulkWarmSeconds,
      DeviceStates.Phases bulkPhases) {

    public Map<String, Object> figures() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("devices", devices);
      m.put("eventsWritten", eventsWritten);
      m.put("writeSeconds", writeSeconds);
      m.put("eventsPersistedPerSec", writeSeconds > 0 ? eventsWritten / writeSeconds : null);
      m.put("recoverSeconds", recoverSeconds);
      m.put("devicesRecoveredPerSec", devices / recoverSeconds);
      m.put("eventsReplayedPerSec", eventsWritten / recoverSeconds);
      m.put("recovered", recovered);
      m.putAll(recoverUsage.describe());
      m.put("heapUsedAfterBytes", heapAfterRecoveryBytes);
      m.put("recoveryQueries", recoveryQueries < 0 ? null : recoveryQueries);
      m.put("queriesPerDevice", recoveryQueries < 0 || devices == 0 ? null : (double) recoveryQueries / devices);
      m.put("bulkSeconds", bulkSeconds);
      m.put("bulkRecovered", bulkRecovered);
      m.put("bulkQueries", bulkQueries < 0 ? null : bulkQueries);
      m.put("bulkCpuSeconds", bulkCpuSeconds);
      m.put("bulkJitMillis", bulkJitMillis);
      m.put("bulkWarmSeconds", bulkWarmSeconds);
      m.put("bulkQueriesPerDevice", bulkQueries < 0 || devices == 0 ? null : (double) bulkQueries / devices);
      m.put("bulkPhases", bulkPhases.describe());
      return m;
    }
  }

  public static Result run(Options o, JournalTarget journal, Progress progress) throws Exception {
    String run = Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffL);
    List<String> keys = new ArrayList<>(o.devices());
    if (o.existing()) {
      // every device already in the journal (earlier runs with the same --journal): this JVM has
      // written nothing, so the read below is as cold as a node start
      keys.addAll(existingDevices(journal));
    } else {
      for (int i = 0; i < o.devices(); i++) {
        // an NAA-5 style key, unique per run so a kept PostgreSQL journal never mixes runs
        keys.add(String.format(Locale.ROOT, "naa.5%s%08x", run, i));
      }
    }
    Config base = o.dispatcher().toConfig().withFallback(CamStackConfig.load());
    if (o.maxConcurrentRecoveries() != null) {
      base = ConfigFactory.parseString("pekko.persistence.max-concurrent-recoveries = " + o.maxConcurrentRecoveries()).withFallback(base);
    }
    Config cfg = journal.config().applyTo(base);

    progress.step(o.existing()
        ? "recovery: " + keys.size() + " devices already in the journal"
        : "recovery: write " + o.devices() + " device histories to " + journal.kind());
    long events = o.existing() ? existingEvents(journal) : 0;
    double writeSeconds = 0;
    ActorSystem<Fleet.Command> writer =
        o.existing() ? null : ActorSystem.create(Fleet.create(), "bench-recovery-write", cfg);
    try {
      if (writer == null) {
        // nothing to write
      } else {
      JournalSchema.createIfNotExists(writer).toCompletableFuture().get(60, TimeUnit.SECONDS);
      CompletableFuture<Long> done = new CompletableFuture<>();
      long t0 = System.nanoTime();
      writer.tell(new Fleet.Populate(keys, o.cycles(), o.window(), done));
      events = done.get(30, TimeUnit.MINUTES);
      writeSeconds = (System.nanoTime() - t0) / 1e9;
      }
    } finally {
      if (writer != null) {
        terminate(writer);
      }
    }
    progress.stepDone();

    progress.step("recovery: recover " + keys.size() + " devices on a fresh system");
    ActorSystem<Fleet.Command> reader = ActorSystem.create(Fleet.create(), "bench-recovery-read", cfg);
    try {
      JournalSchema.createIfNotExists(reader).toCompletableFuture().get(60, TimeUnit.SECONDS);
      // the bulk path first (DeviceStates: two queries per 1,000 devices), on the cold database
      QueryCounter bulkQueries = QueryCounter.start(journal.config());
      ResourceMeter.Snapshot bulkMeter = ResourceMeter.start();
      long jit0 = java.lang.management.ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
      long b0 = System.nanoTime();
      DeviceStates.Phases phases = new DeviceStates.Phases();
      Map<String, DeviceEntity.State> bulk = DeviceStates.readNow(reader, keys, phases);
      double bulkSecs = (System.nanoTime() - b0) / 1e9;
      double bulkCpu = bulkMeter.delta().cpuNanos() / 1e9;
      long bulkJitMs = java.lang.management.ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jit0;
      long bulkQ = bulkQueries.stop();
      // the same read again, now that the JIT has seen it: what of the first read was cold code
      long w0 = System.nanoTime();
      DeviceStates.readNow(reader, keys);
      double bulkWarm = (System.nanoTime() - w0) / 1e9;
      long bulkOk = bulk.values().stream().filter(st -> st instanceof DeviceEntity.Configured c && c.plugged()).count();
      // then every entity recovering itself (three round trips each)
      CompletableFuture<Long> done = new CompletableFuture<>();
      QueryCounter queries = QueryCounter.start(journal.config());
      ResourceMeter.Snapshot snap = ResourceMeter.start();
      long t0 = System.nanoTime();
      reader.tell(new Fleet.Recover(keys, o.window(), done));
      long recovered = done.get(30, TimeUnit.MINUTES);
      double secs = (System.nanoTime() - t0) / 1e9;
      ResourceMeter.Usage usage = snap.delta();
      Runtime rt = Runtime.getRuntime();
      long heap = rt.totalMemory() - rt.freeMemory();
      progress.stepDone();
      return new Result(keys.size(), events, writeSeconds, secs, recovered, usage, heap, queries.stop(), bulkSecs, bulkOk, bulkQ, bulkCpu, bulkJitMs, bulkWarm, phases);
    } finally {
      terminate(reader);
    }
  }

  /** The device keys of every {@code DeviceEntity} in the journal. */
  private static List<String> existingDevices(JournalTarget journal) throws java.sql.SQLException {
    String prefix = DeviceEntity.ENTITY_TYPE + "|";
    List<String> keys = new ArrayList<>();
    try (java.sql.Connection c = connect(journal);
        java.sql.PreparedStatement st = c.prepareStatement(
            "SELECT DISTINCT \"persistence_id\" FROM \"event_journal\" WHERE \"persistence_id\" LIKE ?")) {
      st.setString(1, prefix + "%");
      try (java.sql.ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          keys.add(rs.getString(1).substring(prefix.length()));
        }
      }
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("--existing: no device in the journal; run once without --existing first");
    }
    return keys;
  }

  /** Events of those devices. */
  private static long existingEvents(JournalTarget journal) throws java.sql.SQLException {
    try (java.sql.Connection c = connect(journal);
        java.sql.PreparedStatement st = c.prepareStatement(
            "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" LIKE ?")) {
      st.setString(1, DeviceEntity.ENTITY_TYPE + "|%");
      try (java.sql.ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static java.sql.Connection connect(JournalTarget journal) throws java.sql.SQLException {
    return java.sql.DriverManager.getConnection(journal.config().url(), journal.config().user(), journal.config().password());
  }

  private static void terminate(ActorSystem<?> system) throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
