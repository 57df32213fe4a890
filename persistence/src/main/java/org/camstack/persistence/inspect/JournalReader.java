package org.camstack.persistence.inspect;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;
import org.camstack.persistence.audit.LifetimeAudit;
import org.camstack.persistence.journal.JournalConfig;

/**
 * Read-only plain-JDBC access to a journal's {@code event_journal} table, on H2 or PostgreSQL. No
 * ActorSystem, no event classes. Identifiers are quoted lower case, which both databases accept
 * for the schema the plugin creates.
 *
 * <p>Every method returns EVENTS: a lifetime trail's batch row is expanded into its events ({@link
 * JournalRow#events()}), numbered by their place in the log, so callers see what a journal of one
 * event per row showed. Counts ({@code latest(n)}) are in events; {@link #after} pages by whole
 * rows (the events of one row share its {@code ordering}), so following by ordering never splits
 * a row.
 */
final class JournalReader implements AutoCloseable {

  /** A failure to reach or read the journal, with a one-line message. */
  static final class JournalUnavailable extends Exception {
    JournalUnavailable(String message) {
      super(message);
    }
  }

  /** Per-entity summary for {@code ids}. */
  record EntitySummary(String persistenceId, long events, long lastSeqNr, long lastWrite) {}

  private static final String COLUMNS =
      "\"ordering\", \"persistence_id\", \"sequence_number\", \"write_timestamp\","
          + " \"event_ser_id\", \"event_ser_manifest\", \"event_payload\"";
  private static final String FROM = " FROM \"event_journal\" WHERE \"deleted\" = FALSE";

  private final Connection connection;

  private JournalReader(Connection connection) {
    this.connection = connection;
  }

  /**
   * Opens the H2 journal in a node's data directory. Uses the node's URL ({@code AUTO_SERVER=TRUE})
   * so that it works while the node runs; never creates a database ({@code IFEXISTS=TRUE}).
   */
  static JournalReader openDataDir(Path dataDir) throws JournalUnavailable {
    Path file = dataDir.toAbsolutePath().normalize().resolve(JournalConfig.H2_DATABASE_NAME + ".mv.db");
    if (!Files.isRegularFile(file)) {
      throw new JournalUnavailable("no journal in " + dataDir + " (" + file + " not found)");
    }
    JournalConfig jc = JournalConfig.h2Existing(dataDir);
    return open(jc.url() + ";IFEXISTS=TRUE", jc.user(), jc.password(), dataDir.toString());
  }

  /** Opens a journal at a JDBC URL (PostgreSQL or H2). */
  static JournalReader openUrl(String url, String user, String password) throws JournalUnavailable {
    try {
      JournalConfig.kindOf(url);
    } catch (IllegalArgumentException e) {
      throw new JournalUnavailable(e.getMessage());
    }
    return open(url, user, password, url);
  }

  private static JournalReader open(String url, String user, String password, String what)
      throws JournalUnavailable {
    Properties props = new Properties();
    props.setProperty("user", user == null ? "" : user);
    props.setProperty("password", password == null ? "" : password);
    if (url.startsWith("jdbc:postgresql:")) {
      props.setProperty("connectTimeout", "5");
      props.setProperty("ApplicationName", "camstack journal inspector");
    }
    Connection c;
    try {
      loadDriver(url);
      c = DriverManager.getConnection(url, props);
    } catch (SQLException e) {
      throw new JournalUnavailable("cannot open journal " + what + ": " + message(e));
    }
    try {
      c.setReadOnly(true);
      c.setAutoCommit(true);
      try (PreparedStatement st = c.prepareStatement("SELECT COUNT(*) FROM \"event_journal\"")) {
        st.executeQuery().close();
      }
      return new JournalReader(c);
    } catch (SQLException e) {
      closeQuietly(c);
      throw new JournalUnavailable(
          "cannot read journal " + what + " (no event_journal table?): " + message(e));
    }
  }

  private static void loadDriver(String url) {
    // DriverManager finds both through ServiceLoader; the explicit load helps odd class loaders.
    try {
      Class.forName(url.startsWith("jdbc:h2:") ? "org.h2.Driver" : "org.postgresql.Driver");
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("JDBC driver missing from the classpath", e);
    }
  }

  static String message(SQLException e) {
    String m = DecodedEvent.firstLine(e.getMessage());
    if (m.isEmpty() && e.getCause() != null) {
      m = DecodedEvent.firstLine(e.getCause().toString());
    }
    return m;
  }

  /**
   * Every entity with its event count, last sequence number and last write time. A lifetime
   * trail's count and last number are in events (its last row says which event is the last; Pekko
   * never deletes audit rows, so the count is the last number).
   */
  List<EntitySummary> summaries() throws SQLException {
    String sql =
        "SELECT \"persistence_id\", COUNT(*), MAX(\"sequence_number\"), MAX(\"write_timestamp\")"
            + FROM
            + " GROUP BY \"persistence_id\" ORDER BY \"persistence_id\"";
    List<EntitySummary> out = new ArrayList<>();
    try (PreparedStatement st = connection.prepareStatement(sql);
        ResultSet rs = st.executeQuery()) {
      while (rs.next()) {
        out.add(new EntitySummary(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4)));
      }
    }
    for (int i = 0; i < out.size(); i++) {
      EntitySummary s = out.get(i);
      if (s.persistenceId().startsWith(LifetimeAudit.ENTITY_TYPE + "|")) {
        List<JournalRow> last = lastRow(s.persistenceId());
        if (!last.isEmpty() && last.get(0).isBatch()) {
          long events = last.get(0).lastEventSeqNr();
          out.set(i, new EntitySummary(s.persistenceId(), events, events, s.lastWrite()));
        }
      }
    }
    return out;
  }

  private List<JournalRow> lastRow(String persistenceId) throws SQLException {
    return rowsOf(
        "SELECT " + COLUMNS + FROM + " AND \"persistence_id\" = ? ORDER BY \"sequence_number\" DESC LIMIT 1",
        st -> st.setString(1, persistenceId));
  }

  /** The persistence ids whose entity id (after {@code |}) is {@code entityId}. */
  List<String> persistenceIdsFor(String entityId) throws SQLException {
    String sql =
        "SELECT DISTINCT \"persistence_id\"" + FROM + " AND \"persistence_id\" LIKE ? ORDER BY 1";
    List<String> out = new ArrayList<>();
    try (PreparedStatement st = connection.prepareStatement(sql)) {
      st.setString(1, "%|" + escapeLike(entityId));
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          String pid = rs.getString(1);
          if (pid.endsWith("|" + entityId)) {
            out.add(pid);
          }
        }
      }
    }
    return out;
  }

  /** The events of one entity in sequence order. */
  List<JournalRow> events(String persistenceId) throws SQLException {
    return query(
        "SELECT " + COLUMNS + FROM + " AND \"persistence_id\" = ? ORDER BY \"sequence_number\"",
        st -> st.setString(1, persistenceId));
  }

  /** The events of every entity of a type, in global order. */
  List<JournalRow> eventsOfType(String entityType) throws SQLException {
    return query(
        "SELECT " + COLUMNS + FROM + " AND \"persistence_id\" LIKE ? ORDER BY \"ordering\"",
        st -> st.setString(1, escapeLike(entityType) + "|%"));
  }

  /**
   * The last {@code n} events across all entities, oldest first. The last {@code n} rows hold at
   * least {@code n} events; a batch row straddling the cut contributes its last events only.
   */
  List<JournalRow> latest(int n) throws SQLException {
    List<JournalRow> rows =
        rowsOf(
            "SELECT " + COLUMNS + FROM + " ORDER BY \"ordering\" DESC LIMIT ?",
            st -> st.setInt(1, n));
    Collections.reverse(rows);
    List<JournalRow> events = expand(rows);
    return List.copyOf(events.subList(Math.max(0, events.size() - n), events.size()));
  }

  /**
   * The events of up to {@code limit} rows written after {@code ordering}, in global order: every
   * event of each row (a batch row is never split), so the next page starts after the last
   * ordering returned.
   */
  List<JournalRow> after(long ordering, int limit) throws SQLException {
    return query(
        "SELECT " + COLUMNS + FROM + " AND \"ordering\" > ? ORDER BY \"ordering\" LIMIT ?",
        st -> {
          st.setLong(1, ordering);
          st.setInt(2, limit);
        });
  }

  /** Streams every event in global order. */
  void forEach(Consumer<JournalRow> sink) throws SQLException {
    try (PreparedStatement st =
        connection.prepareStatement("SELECT " + COLUMNS + FROM + " ORDER BY \"ordering\"")) {
      st.setFetchSize(500);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          row(rs).events().forEach(sink);
        }
      }
    }
  }

  private interface Binder {
    void bind(PreparedStatement st) throws SQLException;
  }

  /** The events of the rows {@code sql} selects, in the rows' order. */
  private List<JournalRow> query(String sql, Binder binder) throws SQLException {
    return expand(rowsOf(sql, binder));
  }

  private static List<JournalRow> expand(List<JournalRow> rows) {
    List<JournalRow> out = new ArrayList<>(rows.size());
    for (JournalRow row : rows) {
      out.addAll(row.events());
    }
    return out;
  }

  /** The rows {@code sql} selects, as stored. */
  private List<JournalRow> rowsOf(String sql, Binder binder) throws SQLException {
    List<JournalRow> out = new ArrayList<>();
    try (PreparedStatement st = connection.prepareStatement(sql)) {
      binder.bind(st);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(row(rs));
        }
      }
    }
    return out;
  }

  private static JournalRow row(ResultSet rs) throws SQLException {
    byte[] payload = rs.getBytes(7);
    return new JournalRow(
        rs.getLong(1),
        rs.getString(2),
        rs.getLong(3),
        rs.getLong(4),
        rs.getInt(5),
        rs.getString(6),
        payload == null ? new byte[0] : payload);
  }

  private static String escapeLike(String s) {
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // already failing; the first error is the one reported
    }
  }

  @Override
  public void close() {
    closeQuietly(connection);
  }
}
