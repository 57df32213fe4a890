package org.camstack.stack.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.camstack.persistence.journal.JournalConfig;
import org.junit.jupiter.api.Test;

/** Which members may share a cluster: one PostgreSQL journal for all, never an embedded H2. */
class JournalRoleTest {

  private static final String H2 = JournalRole.of(JournalConfig.h2(Path.of("/tmp/x")));
  private static final String PG = JournalRole.of(JournalConfig.jdbc("jdbc:postgresql://db:5432/camstack", "u", "p"));
  private static final String PG_SAME = JournalRole.of(JournalConfig.jdbc("jdbc:postgresql://DB:5432/camstack?ssl=false", "other", "pw"));
  private static final String PG_OTHER = JournalRole.of(JournalConfig.jdbc("jdbc:postgresql://db:5432/camstack2", "u", "p"));

  @Test
  void rolesNameTheJournalWithoutItsAddressOrPassword() {
    assertEquals("journal=h2", H2);
    assertTrue(PG.startsWith("journal=postgres:"), PG);
    assertTrue(!PG.contains("db") && !PG.contains("camstack"), PG);
    assertEquals(PG, PG_SAME);
    assertEquals(Optional.of(PG), JournalRole.in(List.of("dc-default", PG)));
    assertEquals(Optional.empty(), JournalRole.in(List.of("dc-default")));
  }

  @Test
  void onlyMembersOnTheSamePostgresJournalMayShareACluster() {
    String[][] table = {
      // self, other, expected start of the reason ("" = allowed)
      {PG, PG_SAME, ""},
      {H2, H2, "this node's journal is the embedded H2 database"},
      {H2, PG, "this node's journal is the embedded H2 database"},
      {PG, H2, "member m:1 runs on its embedded H2 journal"},
      {PG, PG_OTHER, "member m:1 writes to another journal"},
      {PG, "", "member m:1 writes to another journal"},
    };
    for (String[] row : table) {
      String reason = JournalRole.conflict(row[0], row[1], "m:1").orElse("");
      assertTrue(reason.startsWith(row[2]) && (row[2].isEmpty() == reason.isEmpty()), row[0] + " with " + row[1] + ": " + reason);
      assertTrue(!reason.contains("\n"), reason);
    }
  }
}
