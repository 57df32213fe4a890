package org.camstack.persistence.journal;

import java.util.List;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The JDBC suite on PostgreSQL, when {@code CAMSTACK_PG_URL} (and {@code CAMSTACK_PG_USER}, {@code
 * CAMSTACK_PG_PASSWORD}; default {@code camstack}) is set. Ids are unique per run, so the database
 * may hold earlier runs.
 */
@EnabledIfEnvironmentVariable(named = "CAMSTACK_PG_URL", matches = "jdbc:postgresql:.*")
class PostgresJournalTest extends JdbcJournalSuite {

  private final JournalConfig journal = JournalTestSupport.postgresFromEnv();

  @Override
  JournalConfig journal() {
    return journal;
  }

  @Override
  List<String> dbArgs() {
    return List.of("--url", journal.url(), "--user", journal.user(), "--password", journal.password());
  }

  @Override
  int minAuditRate() {
    return 5_000; // a server round trip per batch; the 20,000/s target is for the embedded journal
  }
}
