package org.camstack.stack.target.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.camstack.persistence.journal.JournalConfig;
import org.camstack.stack.durable.DurableJournal;
import org.camstack.stack.node.NodeProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * Three real node processes on loopback, one PostgreSQL journal, one shared store, one clustered
 * LUN owned by B. An iSCSI initiator writes through A's portal: the first block reads back through
 * C's portal; then B is killed with SIGKILL in the middle of a write loop. The survivors down B,
 * the LUN runs again on one of them, and every write A acknowledged, before and after the kill,
 * reads back through C. The initiator saw nothing but CHECK CONDITIONs it retried (unit attentions,
 * 02/04/0A while the owner was away).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@EnabledIfEnvironmentVariable(named = DurableJournal.PG_URL, matches = "jdbc:postgresql:.*")
class ClusterFailoverProcessTest {
  private static final ActorTestKit TESTKIT = ActorTestKit.create();
  private static final TestProbe<Void> PROBE = TESTKIT.createTestProbe();
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final int BS = 512;

  @AfterAll
  static void shutdownTestKit() {
    TESTKIT.shutdownTestKit();
  }

  private static byte[] block(int i) {
    byte[] b = new byte[BS];
    for (int k = 0; k < BS; k++) {
      b[k] = (byte) (i * 31 + k);
    }
    return b;
  }

  private static JsonNode get(String url, String path) throws IOException, InterruptedException {
    NodeProcess.Reply r = NodeProcess.call(url, "GET", path, null);
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  private static String self(String url) throws IOException, InterruptedException {
    return get(url, "/api/cluster/status").get("self").asText();
  }

  /** The IQN of the clustered bus's target 0 on the node's portal. */
  private static String iqn(String url) throws IOException, InterruptedException {
    for (JsonNode p : get(url, "/api/ports").get("ports")) {
      for (JsonNode t : p.get("targets")) {
        if (t.asText().endsWith(".b1.t0")) {
          return t.asText();
        }
      }
    }
    throw new AssertionError("no .b1.t0 target on " + url);
  }

  private static RawInitiator login(int port, String iqn, long isid) throws IOException {
    RawInitiator ini = new RawInitiator(port);
    org.camstack.stack.iscsi.Pdu r = ini.login("iqn.2026-12.org.camstack.test:failover", iqn, isid, "HeaderDigest=None", "DataDigest=None");
    assertNotNull(r, "no login answer");
    ini.testUnitReady(0);
    return ini;
  }

  @Test
  void everyAcknowledgedWriteSurvivesAKillOfTheOwner() throws Exception {
    Path work = Files.createTempDirectory("camstack-failover");
    Path shared = Files.createDirectories(work.resolve("shared"));
    String wwn = DurableJournal.wwn(0xf0);
    Path conf = work.resolve("cluster.conf");
    Files.writeString(
        conf,
        "camstack.topology.buses = [ { name = emusim, targets = [ { id = 0, luns = [ { lun = 0, size = 4M, store = ram } ] } ] } ]\n"
            + "camstack.cluster.bus = { targets = [ { id = 0, luns = [ { lun = 0, size = 8M, wwn = \"" + wwn + "\" } ] } ] }\n"
            + "camstack.cluster { acceptable-heartbeat-pause = 2s, stable-after = 2s, rebalance-interval = 500ms, owner-poll = 200ms, forward-timeout = 5s }\n"
            + "pekko.cluster { gossip-interval = 200ms, leader-actions-interval = 200ms }\n");
    JournalConfig pg = DurableJournal.postgres();
    Files.writeString(
        conf,
        "camstack.journal { user = \"" + pg.user() + "\", password = \"" + pg.password() + "\" }\n",
        java.nio.file.StandardOpenOption.APPEND);
    List<String> common = List.of("--config", conf.toString(), "--journal", pg.url(), "--shared-store", shared.toString(), "--iscsi-port", "0");
    List<NodeProcess> procs = new ArrayList<>();
    try {
      NodeProcess a = NodeProcess.start(PROBE, work.resolve("a"), "a", args(common, List.of(), pg));
      procs.add(a);
      String urlA = a.awaitReady();
      String seed = self(urlA).replace("pekko://camstack@", "");
      NodeProcess b = NodeProcess.start(PROBE, work.resolve("b"), "b", args(common, List.of("--seed", seed), pg));
      procs.add(b);
      NodeProcess c = NodeProcess.start(PROBE, work.resolve("c"), "c", args(common, List.of("--seed", seed), pg));
      procs.add(c);
      String urlB = b.awaitReady();
      String urlC = c.awaitReady();
      String ownerB = self(urlB);
      PROBE.awaitAssert(WAIT, Duration.ofMillis(250), () -> {
        assertEquals(3, get(urlA, "/api/cluster/status").get("members").size());
        return null;
      });
      NodeProcess.Reply mv = NodeProcess.call(urlA, "POST", "/api/cluster/luns/" + wwn + "/move?to=" + ownerB.replace("pekko://camstack@", ""), null);
      assertEquals(200, mv.status(), mv.body());
      PROBE.awaitAssert(WAIT, Duration.ofMillis(250), () -> {
        for (String u : List.of(urlA, urlB, urlC)) {
          assertEquals(ownerB, get(u, "/api/cluster/luns").get("luns").get(0).get("owner").asText(), u);
        }
        return null;
      });

      try (RawInitiator viaA = login(a.awaitIscsiPort(), iqn(urlA), 0x1a)) {
        List<Integer> acked = new ArrayList<>();
        long killedAt = 0;
        long firstAfterKill = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        for (int i = 0; i < 60 && System.nanoTime() < deadline; i++) {
          if (i == 20) {
            b.process().destroyForcibly(); // SIGKILL: no goodbye to the cluster
            killedAt = System.nanoTime();
          }
          while (viaA.write(0, i, block(i), BS, 0) != 0) {
            assertTrue(System.nanoTime() < deadline, "write " + i + " never succeeded");
          }
          acked.add(i);
          if (i == 20) {
            firstAfterKill = System.nanoTime();
          }
          if (i == 0) {
            try (RawInitiator viaC = login(c.awaitIscsiPort(), iqn(urlC), 0x1c)) {
              byte[] got = viaC.read(0, 0, 1, BS);
              assertArrayEquals(block(0), got, "A's write read through C while B owns the LUN");
            }
          }
        }
        assertEquals(60, acked.size());
        System.out.printf("cluster failover: owner killed, first acknowledged write after %d ms%n",
            TimeUnit.NANOSECONDS.toMillis(firstAfterKill - killedAt));
        try (RawInitiator viaC = login(c.awaitIscsiPort(), iqn(urlC), 0x2c)) {
          for (int i : acked) {
            byte[] got = null;
            for (int t = 0; t < 5 && got == null; t++) {
              got = viaC.read(0, i, 1, BS);
            }
            assertArrayEquals(block(i), got, "acknowledged write " + i);
          }
        }
      }
      String owner = get(urlC, "/api/cluster/luns").get("luns").get(0).get("owner").asText();
      assertTrue(owner.equals(self(urlA)) || owner.equals(self(urlC)), owner);
    } finally {
      for (NodeProcess p : procs) {
        p.close();
      }
    }
  }

  private static String[] args(List<String> common, List<String> extra, JournalConfig pg) {
    List<String> out = new ArrayList<>(common);
    out.addAll(extra);
    return out.toArray(String[]::new);
  }
}
