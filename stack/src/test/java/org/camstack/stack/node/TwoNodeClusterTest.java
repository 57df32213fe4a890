package org.camstack.stack.node;

import static org.camstack.stack.durable.DurableJournal.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.camstack.persistence.cli.CliRun;
import org.camstack.persistence.journal.JournalConfig;
import org.camstack.stack.durable.DurableJournal;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.cli.CtlCommand;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * Two nodes in one JVM form one cluster ({@code ./camstack node --seed HOST:PORT}) on one shared
 * PostgreSQL journal (when {@code CAMSTACK_PG_URL} is set, as CI does): node A joins itself, node B
 * seeds from A's cluster port; both see two members Up, each serves its own stack's devlist (A has
 * two disks, B three) through its service and its API, their default WWNs differ (derived from
 * each host id: no device history is shared by accident), and when B stops A sees it removed and
 * stays Up and serving. Both ActorSystems are named {@value NodeSettings#SYSTEM_NAME}.
 *
 * <p>Without PostgreSQL: a node on the embedded H2 journal is refused a seed (one-line reason, at
 * start), and a node on another journal is refused by an H2 member (it does not start; the member
 * stays Up alone).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TwoNodeClusterTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final ActorTestKit TESTKIT = ActorTestKit.create();
  private static final TestProbe<Void> PROBE = TESTKIT.createTestProbe();

  @AfterAll
  static void shutdownTestKit() {
    TESTKIT.shutdownTestKit();
  }

  /** A one-bus topology with {@code disks} disks at targets 0..disks-1. */
  private static Path topologyFile(Path dir, int disks) throws IOException {
    StringBuilder t = new StringBuilder("camstack.topology.buses = [ { name = emusim, max-lun = 7, targets = [\n");
    for (int target = 0; target < disks; target++) {
      t.append("{ id = ").append(target).append(", luns = [ { lun = 0, size = 16M, store = ram } ] }\n");
    }
    t.append("] } ]\n");
    Path f = dir.resolve("topology.conf");
    Files.writeString(f, t.toString());
    return f;
  }

  private static EmulatorNode start(String tag, int disks, List<String> seeds) throws IOException {
    return start(tag, disks, seeds, Map.of());
  }

  /** The overrides that put a node on the run's PostgreSQL journal. */
  private static Map<String, Object> postgres() {
    JournalConfig pg = DurableJournal.postgres();
    return Map.of("camstack.journal.url", pg.url(), "camstack.journal.user", pg.user(), "camstack.journal.password", pg.password());
  }

  private static EmulatorNode start(String tag, int disks, List<String> seeds, Map<String, Object> journal) throws IOException {
    return EmulatorNode.start(settings(tag, disks, seeds, journal), new PrintStream(OutputStream.nullOutputStream()));
  }

  private static NodeSettings settings(String tag, int disks, List<String> seeds, Map<String, Object> journal) throws IOException {
    Path dir = Files.createTempDirectory("camstack-cluster-" + tag);
    Map<String, Object> o = new HashMap<>(journal);
    o.put("camstack.node.port", 0);
    o.put("camstack.node.cluster-port", 0);
    o.put("camstack.node.seed-nodes", seeds);
    o.put("camstack.data-dir", dir.resolve("data").toString());
    // tests only: faster convergence (defaults 1s)
    o.put("pekko.cluster.gossip-interval", "200ms");
    o.put("pekko.cluster.leader-actions-interval", "200ms");
    return NodeSettings.load(Optional.of(topologyFile(dir, disks)), o);
  }

  /** The device keys ({@code naa.<wwn>}) of the node's attached devices, from its wiring. */
  private static Set<String> deviceKeys(EmulatorNode n) {
    Set<String> out = new TreeSet<>();
    for (ApiModel.WiringEntry w : await(n.service().wiring()).entries()) {
      out.add(w.deviceId());
    }
    return out;
  }

  private static void stop(EmulatorNode n) {
    if (n != null) {
      await(n.shutdown(), Duration.ofSeconds(60));
    }
  }

  private static List<Address> up(EmulatorNode n) {
    return StreamSupport.stream(Cluster.get(n.system()).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up())
        .map(Member::address)
        .sorted(Address.addressOrdering())
        .toList();
  }

  private static Address self(EmulatorNode n) {
    return Cluster.get(n.system()).selfMember().address();
  }

  /** The configured devices of the node's devlist, through its {@link NodeService}. */
  private static List<String> paths(EmulatorNode n) {
    List<String> out = new ArrayList<>();
    for (ApiModel.Bus b : await(n.service().devlist()).buses()) {
      for (ApiModel.Device d : b.devices()) {
        if (!d.unconfigured() && d.bus() >= 0) {
          out.add(d.path());
        }
      }
    }
    out.sort(null);
    return out;
  }

  /** {@code camstack ctl devlist} against the node's API. */
  private static String ctlDevlist(EmulatorNode n) {
    CliRun r = CliRun.capture(CtlCommand::run, "--node", n.apiUrl(), "devlist");
    assertEquals(0, r.exit(), () -> "ctl devlist on " + n.apiUrl() + " failed: " + r.both());
    return r.out();
  }

  /** The node serves exactly its own {@code disks} disks, through its service and its API. */
  private static void servesOwnDevlist(EmulatorNode n, int disks) {
    List<String> expected = new ArrayList<>();
    for (int t = 0; t < disks; t++) {
      expected.add("0:" + t + ":0");
    }
    PROBE.awaitAssert(
        WAIT,
        Duration.ofMillis(100),
        () -> {
          assertTrue(n.service().ready(), "not ready");
          assertEquals(expected, paths(n));
          String text = ctlDevlist(n);
          for (int t = 0; t < 8; t++) {
            assertEquals(t < disks, text.contains("at scbus0 target " + t + " lun 0 "), text);
          }
          return null;
        });
  }

  @Test
  void aNodeOnTheEmbeddedH2JournalIsRefusedASeed() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> settings("h2seed", 1, List.of("127.0.0.1:25999"), Map.of()));
    assertEquals(
        "a node on the embedded H2 journal cannot join a cluster (--seed): give every member the same --journal jdbc:postgresql://...",
        e.getMessage());
  }

  @Test
  void aNodeOnAnotherJournalIsRefusedByAnH2MemberWhichStaysUpAlone() throws Exception {
    EmulatorNode a = null;
    try {
      a = start("h2a", 1, List.of());
      EmulatorNode na = a;
      PROBE.awaitAssert(WAIT, Duration.ofMillis(100), () -> {
        assertEquals(List.of(self(na)), up(na));
        return null;
      });
      // never reached: the node checks its peers before it touches its journal
      Map<String, Object> elsewhere =
          Map.of("camstack.journal.url", "jdbc:postgresql://127.0.0.1:9/nowhere", "camstack.journal.user", "x", "camstack.journal.password", "x");
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> start("pgb", 1, List.of("127.0.0.1:" + na.clusterPort()), elsewhere));
      assertTrue(e.getMessage().startsWith("member camstack@127.0.0.1:" + na.clusterPort() + " runs on its embedded H2 journal"), e.getMessage());
      assertFalse(e.getMessage().contains("\n"));
      PROBE.awaitAssert(WAIT, Duration.ofMillis(100), () -> {
        assertEquals(List.of(self(na)), up(na));
        return null;
      });
      servesOwnDevlist(a, 1);
    } finally {
      stop(a);
    }
  }

  @Test
  @EnabledIfEnvironmentVariable(named = DurableJournal.PG_URL, matches = "jdbc:postgresql:.*")
  void aSeededNodeJoinsEachServesItsOwnStackAndTheFirstSurvivesTheSecondLeaving() throws Exception {
    EmulatorNode a = null;
    EmulatorNode b = null;
    try {
      a = start("a", 2, List.of(), postgres());
      int seedPort = a.clusterPort();
      assertTrue(seedPort > 0, "no cluster port: " + seedPort);
      EmulatorNode na = a;
      PROBE.awaitAssert(
          WAIT,
          Duration.ofMillis(100),
          () -> {
            assertEquals(List.of(self(na)), up(na));
            return null;
          });

      b = start("b", 3, List.of("127.0.0.1:" + seedPort), postgres());
      EmulatorNode nb = b;
      assertEquals(NodeSettings.SYSTEM_NAME, a.system().name());
      assertEquals(NodeSettings.SYSTEM_NAME, b.system().name());
      assertTrue(seedPort != b.clusterPort());
      List<Address> both = new ArrayList<>(List.of(self(a), self(b)));
      both.sort(Address.addressOrdering());
      PROBE.awaitAssert(
          WAIT,
          Duration.ofMillis(100),
          () -> {
            assertEquals(both, up(na), "members Up as A sees them");
            assertEquals(both, up(nb), "members Up as B sees them");
            return null;
          });

      servesOwnDevlist(a, 2);
      servesOwnDevlist(b, 3);
      // one journal, no shared device: default WWNs come from each node's host id
      Set<String> ka = deviceKeys(a);
      Set<String> kb = deviceKeys(b);
      assertEquals(2, ka.size(), ka::toString);
      assertEquals(3, kb.size(), kb::toString);
      assertTrue(ka.stream().noneMatch(kb::contains), () -> "A " + ka + " and B " + kb + " share a WWN");
      assertFalse(ka.contains("naa." + LunSpec.defaultWwn(0, 0, 0)), ka::toString);

      Address gone = self(b);
      b = null;
      stop(nb);
      PROBE.awaitAssert(
          WAIT,
          Duration.ofMillis(100),
          () -> {
            Cluster c = Cluster.get(na.system());
            assertEquals(MemberStatus.up(), c.selfMember().status());
            assertTrue(
                StreamSupport.stream(c.state().getMembers().spliterator(), false).noneMatch(m -> m.address().equals(gone)),
                () -> "B still a member as A sees it: " + c.state().getMembers());
            assertEquals(List.of(self(na)), up(na));
            return null;
          });
      servesOwnDevlist(a, 2);
    } finally {
      // one after the other (deps.md pitfall 7): B, then A
      stop(b);
      stop(a);
    }
  }
}
