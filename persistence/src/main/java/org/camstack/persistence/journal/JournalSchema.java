package org.camstack.persistence.journal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the journal tables at start: {@code event_journal}, {@code event_tag}, {@code snapshot},
 * {@code durable_state}, from the DDL shipped inside the pekko-persistence-jdbc jar, chosen by the
 * Slick profile, so H2 and PostgreSQL use the same schema source. Idempotent ({@code CREATE TABLE
 * IF NOT EXISTS}).
 *
 * <p>One H2 deviation: the plugin's H2 script declares {@code "ordering"} {@code UNIQUE} and then
 * creates a second unique index on the same column ({@code event_journal_ordering_idx}). Every
 * insert maintains both, which costs about a third of the journal's insert rate (measured; it is
 * what the lifetime audit trail is bound by). On H2 the script runs without that statement and an
 * existing copy of the index is dropped; {@code "ordering"} stays uniquely indexed through its
 * constraint. PostgreSQL runs the plugin's script unchanged ({@code SchemaUtils.createIfNotExists}).
 *
 * <p>A second H2 deviation: {@code "ordering"}'s identity sequence keeps {@value #H2_ORDERING_CACHE}
 * values in memory instead of H2's default 32. H2 flushes a sequence (a meta-table update and an
 * MVStore commit) each time its cache runs out, so with 32 every 32nd inserted event paid a store
 * commit: 29 % of the journal thread's CPU in {@code bench lifecycle} (JFR, docs/benchmarks.md,
 * "Lifecycle"). A larger cache only means that a crash (not a clean close, which stores the
 * current value) leaves a gap of up to that many numbers in {@code "ordering"}; readers only
 * compare orderings ({@code > last}, {@code ORDER BY}), as with PostgreSQL's sequences, which have
 * gaps too.
 */
public final class JournalSchema {
  private static final Logger LOG = LoggerFactory.getLogger(JournalSchema.class);

  /** The plugin's H2 DDL, inside the pekko-persistence-jdbc jar. */
  static final String H2_SCRIPT = "schema/h2/h2-create-schema.sql";

  /** The redundant second unique index on "ordering" in the plugin's H2 script. */
  static final String REDUNDANT_H2_INDEX = "event_journal_ordering_idx";

  /** Identity values of {@code "ordering"} H2 pre-allocates per sequence flush (its default: 32). */
  static final int H2_ORDERING_CACHE = 4096;

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
    String profile = config.getString("pekko-persistence-jdbc.shared-databases.slick.profile");
    LOG.info("ensuring journal schema at [{}]", config.getString("camstack.journal.url"));
    if (profile.contains("H2Profile")) {
      return SchemaUtils.applyScript(h2Script(), system);
    }
    return SchemaUtils.createIfNotExists(system);
  }

  /**
   * The plugin's H2 script without the redundant index, plus dropping an existing copy, plus the
   * larger identity cache of {@code "ordering"} (also applied to an existing table).
   */
  static String h2Script() {
    String script;
    try (InputStream in = JournalSchema.class.getClassLoader().getResourceAsStream(H2_SCRIPT)) {
      if (in == null) {
        throw new IllegalStateException(H2_SCRIPT + " missing from the classpath");
      }
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + H2_SCRIPT, e);
    }
    String kept =
        Arrays.stream(script.split(";"))
            .filter(s -> !s.isBlank() && !s.contains("\"" + REDUNDANT_H2_INDEX + "\""))
            .collect(Collectors.joining(";"));
    return kept + ";\nDROP INDEX IF EXISTS PUBLIC.\"" + REDUNDANT_H2_INDEX + "\";\n"
        + "ALTER TABLE PUBLIC.\"event_journal\" ALTER COLUMN \"ordering\" SET CACHE " + H2_ORDERING_CACHE + ";\n";
  }
}
