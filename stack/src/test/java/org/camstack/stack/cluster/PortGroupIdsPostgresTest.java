package org.camstack.stack.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.camstack.persistence.journal.JournalConfig;
import org.camstack.stack.durable.DurableJournal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * {@link PortGroupIds} on PostgreSQL: hosts starting at once get distinct ids, a host gets its id
 * back, a configured id is recorded (and taken from the host that held it); the role carries it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@EnabledIfEnvironmentVariable(named = DurableJournal.PG_URL, matches = "jdbc:postgresql:.*")
class PortGroupIdsPostgresTest {

  @Test
  void hostsStartingAtOnceGetDistinctSmallIdsAndKeepThem() throws Exception {
    JournalConfig pg = DurableJournal.postgres();
    String run = UUID.randomUUID().toString().substring(0, 8);
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Future<Integer>> got = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        String host = "tpg-test-" + run + "-" + i;
        got.add(pool.submit((Callable<Integer>) () -> PortGroupIds.assign(pg, host, 0)));
      }
      Set<Integer> ids = new HashSet<>();
      List<Integer> first = new ArrayList<>();
      for (Future<Integer> f : got) {
        int g = f.get(60, TimeUnit.SECONDS);
        assertTrue(g >= 1 && g <= PortGroupIds.MAX, "id " + g);
        first.add(g);
        ids.add(g);
      }
      assertEquals(6, ids.size(), "two hosts share an id: " + first);
      for (int i = 0; i < 6; i++) {
        assertEquals(first.get(i), PortGroupIds.assign(pg, "tpg-test-" + run + "-" + i, 0), "host " + i + " after a restart");
      }
      // a configured id wins and is recorded; the host that held it picks a new one on its next start
      int taken = first.get(0);
      assertEquals(taken, PortGroupIds.assign(pg, "tpg-test-" + run + "-x", taken));
      assertEquals(taken, PortGroupIds.assign(pg, "tpg-test-" + run + "-x", 0));
      assertNotEquals(taken, PortGroupIds.assign(pg, "tpg-test-" + run + "-0", 0));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void h2NodesAreGroupOneUnlessConfiguredAndTheRoleCarriesTheId() {
    JournalConfig h2 = JournalConfig.h2(Path.of("target", "h2", "tpg-unused"));
    assertEquals(1, PortGroupIds.assign(h2, "h", 0));
    assertEquals(7, PortGroupIds.assign(h2, "h", 7));
    assertThrows(IllegalArgumentException.class, () -> PortGroupIds.assign(h2, "h", PortGroupIds.MAX + 1));
    var roles = PortGroupIds.withRole(ConfigFactory.parseString("pekko.cluster.roles = [\"journal=h2\", \"tpg=9\"]"), 3).getStringList("pekko.cluster.roles");
    assertEquals(List.of("journal=h2", "tpg=3"), roles);
  }
}
