package org.camstack.stack.durable;

import org.camstack.persistence.journal.JournalConfig;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The durable-device suite on PostgreSQL, when {@code CAMSTACK_PG_URL} (and {@code
 * CAMSTACK_PG_USER}, {@code CAMSTACK_PG_PASSWORD}; default {@code camstack}) is set, as CI does.
 * Hosts and WWNs are unique per run, so the database may hold earlier runs.
 */
@EnabledIfEnvironmentVariable(named = DurableJournal.PG_URL, matches = "jdbc:postgresql:.*")
class DurableDevicesPostgresTest extends DurableDevicesJdbcSuite {

  private final JournalConfig journal = DurableJournal.postgres();

  @Override
  JournalConfig journal() {
    return journal;
  }
}
