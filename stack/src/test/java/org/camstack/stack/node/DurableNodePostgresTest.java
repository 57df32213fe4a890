package org.camstack.stack.node;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.camstack.persistence.journal.JournalConfig;
import org.camstack.stack.durable.DurableJournal;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The durable-node suite on PostgreSQL, when {@code CAMSTACK_PG_URL} (and {@code
 * CAMSTACK_PG_USER}, {@code CAMSTACK_PG_PASSWORD}) is set, as CI does. Hosts are unique per run.
 */
@EnabledIfEnvironmentVariable(named = DurableJournal.PG_URL, matches = "jdbc:postgresql:.*")
class DurableNodePostgresTest extends DurableNodeSuite {

  private final JournalConfig pg = DurableJournal.postgres();

  @Override
  Map<String, Object> journalOverrides() {
    return Map.of("camstack.journal.url", pg.url(), "camstack.journal.user", pg.user(), "camstack.journal.password", pg.password());
  }

  @Override
  List<String> inspectorArgs(Path dataDir) {
    return List.of("--url", pg.url(), "--user", pg.user(), "--password", pg.password());
  }
}
