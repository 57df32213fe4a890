package org.camstack.persistence.journal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the journal tables at start: {@code event_journal}, {@code event_tag}, {@code snapshot},
 * {@code durable_state}, from the DDL shipped inside the pekko-persistence-jdbc jar (the script is
 * chosen by the Slick profile, so H2 and PostgreSQL use the same schema source). Idempotent
 * ({@code CREATE TABLE IF NOT EXISTS}).
 */
public final class JournalSchema {
  private static final Logger LOG = LoggerFactory.getLogger(JournalSchema.class);

  private JournalSchema() {}

  /**
   * Creates the schema if the JDBC journal is configured and {@code camstack.journal.create-schema}
   * is on; completes at once otherwise (e.g. with the in-memory journal of unit tests). Fails if
   * the database cannot be reached.
   */
  public static CompletionStage<Done> createIfNotExists(ActorSystem<?> system) {
    var config = system.settings().config();
    boolean jdbc = "jdbc-journal".equals(config.getString("pekko.persistence.journal.plugin"));
    boolean wanted =
        !config.hasPath("camstack.journal.create-schema")
            || config.getBoolean("camstack.journal.create-schema");
    if (!jdbc || !wanted) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    LOG.info("ensuring journal schema at [{}]", config.getString("camstack.journal.url"));
    return SchemaUtils.createIfNotExists(system);
  }
}
