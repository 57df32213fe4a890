package org.camstack.persistence.device;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
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
 * persistence id of the chunk ({@code IN (...)}), query 2 every event after that snapshot (a
 * correlated sub-query on the snapshot table's primary key). Only the asked devices are read, so
 * a journal shared by several hosts costs each host its own devices only. Payloads are decoded by Pekko serialization
 * (the same Jackson bindings and migrations as the journal) and folded with the entity's own
 * event handler, so the result equals what {@link DeviceEntity.Get} answers after recovery.
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

  /** Queries one {@link #read} of {@code devices} devices costs. */
  public static int queries(int devices) {
    return 2 * ((devices + CHUNK - 1) / CHUNK);
  }

  private static String snapshots(int n) {
    return "SELECT \"persistence_id\", \"sequence_number\", \"snapshot_ser_id\", \"snapshot_ser_manifest\","
        + " \"snapshot_payload\" FROM \"snapshot\" s WHERE \"persistence_id\" IN (" + params(n) + ")"
        + " AND \"sequence_number\" = (SELECT MAX(m.\"sequence_number\") FROM \"snapshot\" m"
        + " WHERE m.\"persistence_id\" = s.\"persistence_id\")";
  }

  private static String events(int n) {
    return "SELECT \"persistence_id\", \"sequence_number\", \"event_ser_id\", \"event_ser_manifest\","
        + " \"event_payload\" FROM \"event_journal\" e WHERE \"persistence_id\" IN (" + params(n) + ")"
        + " AND \"deleted\" = FALSE AND \"sequence_number\" > COALESCE((SELECT MAX(s.\"sequence_number\")"
        + " FROM \"snapshot\" s WHERE s.\"persistence_id\" = e.\"persistence_id\"), 0)"
        + " ORDER BY \"persistence_id\", \"sequence_number\"";
  }

  private static String params(int n) {
    return String.join(", ", java.util.Collections.nCopies(n, "?"));
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

  /** {@link #read} on the calling thread. */
  public static Map<String, DeviceEntity.State> readNow(ActorSystem<?> system, Collection<String> keys) throws SQLException {
    Config db = system.settings().config().getConfig("pekko-persistence-jdbc.shared-databases.slick.db");
    Serialization ser = SerializationExtension.get(system.classicSystem());
    Map<String, String> wanted = new HashMap<>();
    for (String k : keys) {
      wanted.put(DeviceEntity.persistenceId(k).id(), k);
    }
    Map<String, DeviceEntity.State> byPid = new HashMap<>();
    try {
      Class.forName(db.getString("driver"));
    } catch (ClassNotFoundException e) {
      throw new SQLException("JDBC driver missing: " + e.getMessage(), e);
    }
    try (Connection c = DriverManager.getConnection(db.getString("url"), db.getString("user"), db.getString("password"))) {
      c.setReadOnly(true);
      List<String> pids = new ArrayList<>(wanted.keySet());
      for (int from = 0; from < pids.size(); from += CHUNK) {
        List<String> chunk = pids.subList(from, Math.min(pids.size(), from + CHUNK));
        try (PreparedStatement st = c.prepareStatement(snapshots(chunk.size()))) {
          bind(st, chunk);
          try (ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
              Object s = ser.deserialize(rs.getBytes(5), rs.getInt(3), rs.getString(4)).get();
              byPid.put(rs.getString(1), (DeviceEntity.State) s);
            }
          }
        }
        try (PreparedStatement st = c.prepareStatement(events(chunk.size()))) {
          bind(st, chunk);
          st.setFetchSize(1000);
          try (ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
              String pid = rs.getString(1);
              Object e = ser.deserialize(rs.getBytes(5), rs.getInt(3), rs.getString(4)).get();
              DeviceEntity.State s = byPid.getOrDefault(pid, new DeviceEntity.Unconfigured());
              byPid.put(pid, apply(s, (DeviceEntity.Event) e));
            }
          }
        }
      }
    }
    Map<String, DeviceEntity.State> out = new TreeMap<>();
    wanted.forEach((pid, k) -> out.put(k, byPid.getOrDefault(pid, new DeviceEntity.Unconfigured())));
    return out;
  }

  private static void bind(PreparedStatement st, List<String> ids) throws SQLException {
    for (int i = 0; i < ids.size(); i++) {
      st.setString(i + 1, ids.get(i));
    }
  }

  /** One event applied as the entity applies it on recovery. */
  static DeviceEntity.State apply(DeviceEntity.State s, DeviceEntity.Event e) {
    return HANDLER.apply(s, e);
  }
}
