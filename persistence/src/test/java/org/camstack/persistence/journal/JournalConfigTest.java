package org.camstack.persistence.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class JournalConfigTest {

  @Test
  void theDefaultIsEmbeddedH2UnderTheDataDirWithAutoServer() {
    JournalConfig jc = JournalConfig.fromConfig(ConfigFactory.load());
    assertEquals(JournalConfig.Kind.H2, jc.kind());
    String expected = Path.of("data").toAbsolutePath().normalize().resolve("camstack").toString();
    assertEquals("jdbc:h2:file:" + expected + ";AUTO_SERVER=TRUE;WRITE_DELAY=0;MAX_LENGTH_INPLACE_LOB=262144", jc.url());
  }

  @Test
  void theDataDirComesFromTheConfig() {
    Config c =
        ConfigFactory.parseString("camstack.data-dir = \"/var/lib/camstack\"")
            .withFallback(ConfigFactory.load());
    assertEquals(
        "jdbc:h2:file:/var/lib/camstack/camstack;AUTO_SERVER=TRUE;WRITE_DELAY=0;MAX_LENGTH_INPLACE_LOB=262144", JournalConfig.fromConfig(c).url());
  }

  @Test
  void aPostgresUrlSelectsThePostgresProfile() {
    Config c =
        ConfigFactory.parseString(
                "camstack.journal { url = \"jdbc:postgresql://db:5432/camstack\", user = camstack,"
                    + " password = secret }")
            .withFallback(ConfigFactory.load());
    JournalConfig jc = JournalConfig.fromConfig(c);
    assertEquals(JournalConfig.Kind.POSTGRES, jc.kind());
    Config applied = jc.applyTo(c);
    assertEquals("jdbc-journal", applied.getString("pekko.persistence.journal.plugin"));
    assertEquals("jdbc-snapshot-store", applied.getString("pekko.persistence.snapshot-store.plugin"));
    assertEquals(
        "slick.jdbc.PostgresProfile$",
        applied.getString("pekko-persistence-jdbc.shared-databases.slick.profile"));
    assertEquals(
        "org.postgresql.Driver",
        applied.getString("pekko-persistence-jdbc.shared-databases.slick.db.driver"));
    assertEquals("secret", applied.getString("pekko-persistence-jdbc.shared-databases.slick.db.password"));
    assertEquals("slick", applied.getString("jdbc-read-journal.use-shared-db"));
  }

  @Test
  void thePasswordNeverShowsInToString() {
    JournalConfig jc = JournalConfig.jdbc("jdbc:postgresql://db/camstack", "camstack", "s3cret");
    assertFalse(jc.toString().contains("s3cret"));
    assertTrue(jc.toString().contains("camstack"));
  }

  @Test
  void otherDatabasesAreRefused() {
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> JournalConfig.jdbc("jdbc:mysql://x/y", "u", "p"));
    assertTrue(e.getMessage().startsWith("unsupported journal URL"));
  }

  @Test
  void theH2ScriptKeepsEveryTableButTheRedundantIndex() {
    String script = JournalSchema.h2Script();
    assertTrue(script.contains("CREATE TABLE IF NOT EXISTS PUBLIC.\"event_journal\""));
    assertTrue(script.contains("\"snapshot\""));
    assertFalse(script.contains("CREATE UNIQUE INDEX \"event_journal_ordering_idx\""));
    assertTrue(script.contains("DROP INDEX IF EXISTS PUBLIC.\"event_journal_ordering_idx\""));
    assertTrue(script.contains("ALTER COLUMN \"ordering\" SET CACHE " + JournalSchema.H2_ORDERING_CACHE));
  }
}
