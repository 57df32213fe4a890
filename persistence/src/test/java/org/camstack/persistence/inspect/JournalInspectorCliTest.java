package org.camstack.persistence.inspect;

import static org.camstack.persistence.journal.JournalTestSupport.inspect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import org.camstack.persistence.cli.CliRun;
import org.camstack.persistence.journal.JournalConfig;
import org.camstack.persistence.journal.JournalTestSupport;
import org.junit.jupiter.api.Test;

/** Exit codes and one-line errors of the inspector, without a journal. */
class JournalInspectorCliTest {

  private static void assertOneLineError(CliRun r, int exit, String start) {
    assertEquals(exit, r.exit(), r.out() + r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith(start), r.err());
    assertEquals("", r.out());
  }

  @Test
  void aMissingVerbIsBadUsage() {
    assertOneLineError(inspect(), 2, "journal: missing verb");
  }

  @Test
  void anUnknownVerbOrMissingArgumentIsBadUsage() {
    assertEquals(2, inspect("frobnicate").exit());
    assertEquals(2, inspect("show").exit());
    assertEquals(2, inspect("tail", "-n", "many").exit());
  }

  @Test
  void dbAndUrlTogetherIsBadUsage() {
    assertOneLineError(
        inspect("ids", "--db", "target/x", "--url", "jdbc:postgresql://127.0.0.1/x"),
        2,
        "journal: give --db or --url, not both");
  }

  @Test
  void helpPrintsUsageAndSucceeds() {
    CliRun r = inspect("--help");
    assertEquals(0, r.exit());
    assertTrue(r.out().contains("Usage: journal"), r.out());
    assertTrue(inspect("verify", "--help").out().contains("--live"));
  }

  @Test
  void aDataDirectoryWithoutAJournalIsAOneLineError() {
    Path dir = Path.of("target", "no-journal-" + JournalTestSupport.RUN);
    assertOneLineError(inspect("ids", "--db", dir.toString()), 1, "journal: no journal in " + dir);
    // the option also works before the verb
    assertOneLineError(inspect("--db", dir.toString(), "ids"), 1, "journal: no journal in " + dir);
  }

  @Test
  void anUnreachableDatabaseIsAOneLineError() {
    assertOneLineError(
        inspect("ids", "--url", "jdbc:postgresql://127.0.0.1:1/camstack", "--user", "u", "--password", "p"),
        1,
        "journal: cannot open journal jdbc:postgresql://127.0.0.1:1/camstack: ");
  }

  @Test
  void anUnsupportedUrlIsAOneLineError() {
    assertOneLineError(
        inspect("ids", "--url", "jdbc:mysql://127.0.0.1/camstack"), 1, "journal: unsupported journal URL");
  }

  @Test
  void aDatabaseWithoutTheJournalTableIsAOneLineError() throws Exception {
    Path dir = JournalTestSupport.freshH2Dir("empty");
    Files.createDirectories(dir);
    try (Connection c = DriverManager.getConnection(JournalConfig.h2Url(dir), JournalConfig.h2Existing(dir).user(), JournalConfig.h2Existing(dir).password())) {
      c.createStatement().execute("CREATE TABLE other(x INT)");
    }
    assertOneLineError(inspect("show", "x", "--db", dir.toString()), 1, "journal: cannot read journal");
  }
}
