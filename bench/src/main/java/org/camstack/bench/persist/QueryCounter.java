package org.camstack.bench.persist;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.camstack.persistence.journal.JournalConfig;

/**
 * Counts the SQL queries the database executed between {@link #start} and {@link #stop}, so a
 * recovery can say how many round trips each entity cost (issue 15). H2 only: its {@code
 * INFORMATION_SCHEMA.QUERY_STATISTICS} (enabled with {@code SET QUERY_STATISTICS TRUE}) counts every
 * execution by statement text; other databases answer -1. The count covers every connection of the
 * database (the journal's pool), so nothing else may use it meanwhile.
 */
final class QueryCounter {
  private final JournalConfig config;
  private final long before;

  private QueryCounter(JournalConfig config, long before) {
    this.config = config;
    this.before = before;
  }

  static QueryCounter start(JournalConfig config) {
    if (config.kind() != JournalConfig.Kind.H2) {
      return new QueryCounter(null, -1);
    }
    try (Connection c = DriverManager.getConnection(config.url(), config.user(), config.password());
        Statement st = c.createStatement()) {
      st.execute("SET QUERY_STATISTICS TRUE");
      st.execute("SET QUERY_STATISTICS_MAX_ENTRIES 1000");
      return new QueryCounter(config, selects(st));
    } catch (SQLException e) {
      return new QueryCounter(null, -1);
    }
  }

  /** SELECTs executed since {@link #start} (not counting this counter's own), or -1. */
  long stop() {
    if (config == null) {
      return -1;
    }
    try (Connection c = DriverManager.getConnection(config.url(), config.user(), config.password());
        Statement st = c.createStatement()) {
      return selects(st) - before;
    } catch (SQLException e) {
      return -1;
    }
  }

  private static long selects(Statement st) throws SQLException {
    long n = 0;
    try (ResultSet rs = st.executeQuery(
        "SELECT SQL_STATEMENT, EXECUTION_COUNT FROM INFORMATION_SCHEMA.QUERY_STATISTICS")) {
      while (rs.next()) {
        String sql = rs.getString(1).stripLeading().toUpperCase(java.util.Locale.ROOT);
        if (sql.startsWith("SELECT") && !sql.contains("INFORMATION_SCHEMA.QUERY_STATISTICS")) {
          n += rs.getLong(2);
        }
      }
    }
    return n;
  }
}
