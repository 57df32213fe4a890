package org.camstack.persistence.device;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.HashSet;
import java.util.concurrent.CompletionException;
import java.util.regex.Pattern;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import com.typesafe.config.Config;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;

/**
 * The bulk read path of device recovery (issue 15): the states of many {@link DeviceEntity}s in
 * two SQL queries per {@value #CHUNK} devices, instead of the three round trips per entity of an
 * entity's own recovery (load snapshot, highest sequence number, replay).
 *
 * <p>It reads the JDBC plugin's tables directly (a documented exception to "only the plugin
 * touches its tables", see docs/persistence.md): query 1 takes the latest snapshot of each
 * persistence id of the chunk ({@code IN (...)}), query 2 every event of the devices without a
 * snapshot, and, only when the chunk has devices with one, query 3 every event after their
 * snapshot (a correlated sub-query on the snapshot table's primary key). Only the asked devices
 * are read, so a journal shared by several hosts costs each host its own devices only.
 *
 * <p>The {@code IN} lists carry the ids as SQL literals when they are plain (letters, digits and
 * {@code .:_|-}; anything else is bound as a parameter): H2 then tests each row's id against a hash
 * set instead of comparing it with each of the 1,000 parameters, which was most of the query time
 * (docs/benchmarks.md, "Recovery: the bulk read, profiled").
 *
 * <p>Payloads are decoded by Pekko serialization (the same Jackson bindings and migrations as the
 * journal) and folded with the entity's own event handler, so the result equals what
 * {@link DeviceEntity.Get} answers after recovery. Decoding and folding a chunk runs on the
 * actor system's default dispatcher while the next chunk is queried (node start: the cores are
 * otherwise idle); chunks hold disjoint devices, so they fold independently.
 *
 * <p>Read-only: the entity stays the single writer. A state read here is a view at read time; a
 * caller that then writes goes through the entity, which recovers itself on first use.
 *
 * <p>Needs the JDBC journal ({@code pekko-persistence-jdbc.shared-databases.slick.db.url}, as set
 * by {@link org.camstack.persistence.journal.JournalConfig}); fails otherwise.
 */
public final class DeviceStates {
  private DeviceStates() {}

  /** Devices per pair of queries. */
  public static final int CHUNK = 1000;

  /**
   * Queries one {@link #read} of {@code devices} devices costs when none has a snapshot (a chunk
   * holding devices with and without snapshots costs one more).
   */
  public static int queries(int devices) {
    return 2 * ((devices + CHUNK - 1) / CHUNK);
  }

  /** Ids written into the SQL as literals; others are bound as parameters. */
  private static final Pattern PLAIN_ID = Pattern.compile("[A-Za-z0-9.:_|-]+");

  /** The {@code IN (...)} list of {@code pids}: literals for plain ids, {@code ?} (added to {@code binds}) for others. */
  static String inList(Collection<String> pids, List<String> binds) {
    StringBuilder b = new StringBuilder(pids.size() * 40).append("\"persistence_id\" IN (");
    boolean first = true;
    for (String pid : pids) {
      if (!first) {
        b.append(", ");
      }
      first = false;
      if (PLAIN_ID.matcher(pid).matches()) {
        b.append('\'').append(pid).append('\'');
      } else {
        b.append('?');
        binds.add(pid);
      }
    }
    return b.append(')').toString();
  }

  private static String snapshots(String in) {
    return "SELECT \"persistence_id\", \"sequence_number\", \"snapshot_ser_id\", \"snapshot_ser_manifest\","
        + " \"snapshot_payload\" FROM \"snapshot\" s WHERE " + in
        + " AND \"sequence_number\" = (SELECT MAX(m.\"sequence_number\") FROM \"snapshot\" m"
        + " WHERE m.\"persistence_id\" = s.\"persistence_id\")";
  }

  /** Events of devices without a snapshot ({@code afterSnapshot} false), or after their latest snapshot. */
  private static String events(String in, boolean afterSnapshot) {
    return "SELECT \"persistence_id\", \"sequence_number\", \"event_ser_id\", \"event_ser_manifest\","
        + " \"event_payload\" FROM \"event_journal\" e WHERE " + in + " AND \"deleted\" = FALSE"
        + (afterSnapshot
            ? " AND \"sequence_number\" > COALESCE((SELECT MAX(s.\"sequence_number\")"
                + " FROM \"snapshot\" s WHERE s.\"persistence_id\" = e.\"persistence_id\"), 0)"
            : "")
        + " ORDER BY \"persistence_id\", \"sequence_number\"";
  }

  /** The pure event handler of the entity (no actor needed to apply events). */
  private static final EventHandler<DeviceEntity.State, DeviceEntity.Event> HANDLER =
      ((DeviceEntity) DeviceEntity.create("naa.5000000000000000")).eventHandler();

  /**
   * The states of {@code keys} (device keys, {@code naa.<wwn>}), read on the blocking dispatcher.
   * A key without journal rows is {@link DeviceEntity.Unconfigured}. Fails with the SQL or
   * decoding error; the caller may then fall back to the entities.
   */
  public static CompletionStage<Map<String, DeviceEntity.State>> read(ActorSystem<?> system, Collection<String> keys) {
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return readNow(system, keys);
          } catch (SQLException e) {
            throw new IllegalStateException("bulk device read failed: " + e.getMessage(), e);
          }
        },
        blocking);
  }

  /**
   * Where one {@link #readNow} spent its time, in nanoseconds (for {@code bench recovery}): opening
   * the connection, executing the queries (up to the first row), fetching the rows, and (on the
   * decoding threads, summed) decoding payloads and folding events; {@code waitNanos} is the reading
   * thread waiting for the decoders after its last query.
   */
  public static final class Phases {
    public long connectNanos;
    public long queryNanos;
    public long fetchNanos;
    public long decodeNanos;
    public long foldNanos;
    public long waitNanos;
    public long queries;
    public long snapshotRows;
    public long eventRows;

    /** Milliseconds per phase and counts, for a report. */
    public Map<String, Object> describe() {
      Map<String, Object> m = new java.util.LinkedHashMap<>();
      m.put("connectMs", connectNanos / 1e6);
      m.put("queryMs", queryNanos / 1e6);
      m.put("fetchMs", fetchNanos / 1e6);
      m.put("decodeMs", decodeNanos / 1e6);
      m.put("foldMs", foldNanos / 1e6);
      m.put("waitMs", waitNanos / 1e6);
      m.put("queries", queries);
      m.put("snapshotRows", snapshotRows);
      m.put("eventRows", eventRows);
      return m;
    }
  }

  /** One journal or snapshot row, not yet decoded. */
  private record Row(String pid, int serId, String manifest, byte[] payload) {}

  /** The folded states of one chunk and what decoding and folding them cost. */
  private record Part(Map<String, DeviceEntity.State> states, long decodeNanos, long foldNanos) {}

  /**
   * {@link #read} on the calling thread, which then waits for the decoding on the system's default
   * dispatcher: never call it from that dispatcher (use {@link #read}).
   */
  public static Map<String, DeviceEntity.State> readNow(ActorSystem<?> system, Collection<String> keys) throws SQLException {
    return readNow(system, keys, new Phases());
  }

  /** {@link #read} on the calling thread, adding its times to {@code phases}. */
  public static Map<String, DeviceEntity.State> readNow(ActorSystem<?> system, Collection<String> keys, Phases phases)
      throws SQLException {
    Config db = system.settings().config().getConfig("pekko-persistence-jdbc.shared-databases.slick.db");
    Serialization ser = SerializationExtension.get(system.classicSystem());
    Executor decoders = system.executionContext();
    Map<String, String> wanted = new HashMap<>();
    for (String k : keys) {
      wanted.put(DeviceEntity.persistenceId(k).id(), k);
    }
    try {
      Class.forName(db.getString("driver"));
    } catch (ClassNotFoundException e) {
      throw new SQLException("JDBC driver missing: " + e.getMessage(), e);
    }
    List<CompletableFuture<Part>> parts = new ArrayList<>();
    long t = System.nanoTime();
    try (Connection c = DriverManager.getConnection(db.getString("url"), db.getString("user"), db.getString("password"))) {
      c.setReadOnly(true);
      phases.connectNanos += System.nanoTime() - t;
      List<String> pids = new ArrayList<>(wanted.keySet());
      for (int from = 0; from < pids.size(); from += CHUNK) {
        List<String> chunk = pids.subList(from, Math.min(pids.size(), from + CHUNK));
        List<Row> snaps = fetch(c, chunk, in -> snapshots(in), phases);
        phases.snapshotRows += snaps.size();
        Set<String> snapshotted = new HashSet<>();
        for (Row r : snaps) {
          snapshotted.add(r.pid());
        }
        List<Row> events = new ArrayList<>();
        List<String> plain = snapshotted.isEmpty() ? chunk : chunk.stream().filter(p -> !snapshotted.contains(p)).toList();
        if (!plain.isEmpty()) {
          events.addAll(fetch(c, plain, in -> events(in, false), phases));
        }
        if (!snapshotted.isEmpty()) {
          events.addAll(fetch(c, snapshotted, in -> events(in, true), phases));
        }
        phases.eventRows += events.size();
        parts.add(CompletableFuture.supplyAsync(() -> fold(ser, snaps, events), decoders));
      }
    }
    Map<String, DeviceEntity.State> byPid = new HashMap<>();
    t = System.nanoTime();
    try {
      for (CompletableFuture<Part> f : parts) {
        Part p = f.join();
        byPid.putAll(p.states());
        phases.decodeNanos += p.decodeNanos();
        phases.foldNanos += p.foldNanos();
      }
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("bulk device read: decoding failed: " + e.getCause(), e.getCause());
    }
    phases.waitNanos += System.nanoTime() - t;
    Map<String, DeviceEntity.State> out = new TreeMap<>();
    wanted.forEach((pid, k) -> out.put(k, byPid.getOrDefault(pid, new DeviceEntity.Unconfigured())));
    return out;
  }

  /** Runs the query {@code sql} builds from the {@code IN} list of {@code pids}; the undecoded rows, in the query's order. */
  private static List<Row> fetch(Connection c, Collection<String> pids, java.util.function.Function<String, String> sql, Phases phases)
      throws SQLException {
    List<String> binds = new ArrayList<>();
    String query = sql.apply(inList(pids, binds));
    List<Row> rows = new ArrayList<>();
    try (PreparedStatement st = c.prepareStatement(query)) {
      for (int i = 0; i < binds.size(); i++) {
        st.setString(i + 1, binds.get(i));
      }
      st.setFetchSize(1000);
      long t = System.nanoTime();
      try (ResultSet rs = st.executeQuery()) {
        long t1 = System.nanoTime();
        phases.queryNanos += t1 - t;
        phases.queries++;
        while (rs.next()) {
          rows.add(new Row(rs.getString(1), rs.getInt(3), rs.getString(4), rs.getBytes(5)));
        }
        phases.fetchNanos += System.nanoTime() - t1;
      }
    }
    return rows;
  }

  /** Decodes a chunk's latest snapshots and later events and folds them, per device in sequence order. */
  private static Part fold(Serialization ser, List<Row> snaps, List<Row> events) {
    Map<String, DeviceEntity.State> byPid = new HashMap<>();
    long decode = 0;
    long fold = 0;
    for (Row r : snaps) {
      long t = System.nanoTime();
      byPid.put(r.pid(), (DeviceEntity.State) ser.deserialize(r.payload(), r.serId(), r.manifest()).get());
      decode += System.nanoTime() - t;
    }
    for (Row r : events) {
      long t = System.nanoTime();
      DeviceEntity.Event e = (DeviceEntity.Event) ser.deserialize(r.payload(), r.serId(), r.manifest()).get();
      long t1 = System.nanoTime();
      byPid.put(r.pid(), apply(byPid.getOrDefault(r.pid(), new DeviceEntity.Unconfigured()), e));
      fold += System.nanoTime() - t1;
      decode += t1 - t;
    }
    return new Part(byPid, decode, fold);
  }

  /** One event applied as the entity applies it on recovery. */
  static DeviceEntity.State apply(DeviceEntity.State s, DeviceEntity.Event e) {
    return HANDLER.apply(s, e);
  }
}
