package org.camstack.persistence.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The JDBC suite on the embedded H2 journal: a fresh file database under target/h2. */
class H2JournalTest extends JdbcJournalSuite {

  private final Path dataDir = JournalTestSupport.freshH2Dir("H2JournalTest");
  private final JournalConfig journal = JournalConfig.h2(dataDir);

  @Override
  JournalConfig journal() {
    return journal;
  }

  @Override
  List<String> dbArgs() {
    return List.of("--db", dataDir.toString());
  }

  /**
   * The schema the node created gives {@code "ordering"} the large identity cache, so an insert
   * only flushes the sequence (an MVStore commit) once per {@link JournalSchema#H2_ORDERING_CACHE}
   * events.
   */
  @Test
  void theOrderingIdentityFlushesOncePerCacheNotPer32Events() throws Exception {
    try (Connection c = DriverManager.getConnection(journal.url(), journal.user(), journal.password());
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT IDENTITY_CACHE FROM INFORMATION_SCHEMA.COLUMNS"
                    + " WHERE TABLE_NAME = 'event_journal' AND COLUMN_NAME = 'ordering'")) {
      rs.next();
      assertEquals(JournalSchema.H2_ORDERING_CACHE, rs.getLong(1));
    }
  }
}
