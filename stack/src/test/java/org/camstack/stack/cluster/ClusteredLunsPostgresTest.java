package org.camstack.stack.cluster;

import static org.camstack.stack.durable.DurableJournal.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.camstack.persistence.cli.CliRun;
import org.camstack.persistence.device.FaultRule;
import org.camstack.stack.cli.CtlCommand;
import org.camstack.stack.durable.DurableJournal;
import org.camstack.stack.node.ApiModel;
import org.camstack.stack.node.ClusterProcesses;
import org.camstack.stack.node.EmulatorNode;
import org.camstack.stack.target.TargetPortGroups;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * Three nodes in one JVM on one PostgreSQL journal and one shared store, with one clustered LUN:
 * it is moved to B; a write through A's stack reads back through C's; REPORT TARGET PORT GROUPS
 * answers the same on all three (B active/optimized, A and C active/non-optimized); when B crashes
 * the survivors down it, the LUN runs again on one of them, the ALUA model drops B, and the data
 * written before the crash reads back; SET TARGET PORT GROUPS through C moves it to C.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@EnabledIfEnvironmentVariable(named = DurableJournal.PG_URL, matches = "jdbc:postgresql:.*")
class ClusteredLunsPostgresTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final ActorTestKit TESTKIT = ActorTestKit.create();
  private static final TestProbe<Void> PROBE = TESTKIT.createTestProbe();
  private static final HexFormat HEX = HexFormat.of();

  @AfterAll
  static void shutdownTestKit() {
    TESTKIT.shutdownTestKit();
  }

  private static EmulatorNode start(String tag, Path shared, String wwn, List<String> seeds) throws IOException {
    return ClusterProcesses.startInJvm(tag, shared, wwn, seeds, true);
  }


  /** A, B and C (seeded with A) on one shared store, added to {@code nodes} as they start; waits for 3 Up on each. */
  private static void threeNodes(String wwn, List<EmulatorNode> nodes) throws IOException {
    Path shared = Files.createTempDirectory("camstack-shared");
    EmulatorNode a = start("a", shared, wwn, List.of());
    nodes.add(a);
    String seed = "127.0.0.1:" + a.clusterPort();
    nodes.add(start("b", shared, wwn, List.of(seed)));
    nodes.add(start("c", shared, wwn, List.of(seed)));
    PROBE.awaitAssert(WAIT, Duration.ofMillis(200), () -> {
      for (EmulatorNode n : nodes) {
        assertEquals(3, up(n));
      }
      return null;
    });
  }

  private static Address self(EmulatorNode n) {
    return Cluster.get(n.system()).selfMember().address();
  }

  private static org.apache.pekko.cluster.Member member(EmulatorNode n) {
    return Cluster.get(n.system()).selfMember();
  }

  private static long up(EmulatorNode n) {
    return StreamSupport.stream(Cluster.get(n.system()).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up())
        .count();
  }

  /** The da unit of the clustered LUN (bus 1) on node {@code n}. */
  private static String da(EmulatorNode n) {
    return unit(n, "da");
  }

  private static String pass(EmulatorNode n) {
    return unit(n, "pass");
  }

  /** The clustered LUN's (bus 1) periph whose name starts with {@code driver} on node {@code n}. */
  private static String unit(EmulatorNode n, String driver) {
    for (ApiModel.Bus b : await(n.service().devlist()).buses()) {
      for (ApiModel.Device d : b.devices()) {
        if (d.bus() == 1 && !d.unconfigured()) {
          for (String p : d.periphs()) {
            if (p.startsWith(driver)) {
              return p;
            }
          }
        }
      }
    }
    throw new AssertionError("no " + driver + " on bus 1");
  }

  private static void write(EmulatorNode n, long offset, byte[] data) {
    ApiModel.Handle h = await(n.service().open("test", new ApiModel.Open(da(n))));
    try {
      await(n.service().write(h.handle(), new ApiModel.Write(offset, HEX.formatHex(data))));
    } finally {
      await(n.service().close(h.handle()));
    }
  }

  private static byte[] read(EmulatorNode n, long offset, int length) {
    ApiModel.Handle h = await(n.service().open("test", new ApiModel.Open(da(n))));
    try {
      return HEX.parseHex(await(n.service().read(h.handle(), new ApiModel.Read(offset, length))).dataHex());
    } finally {
      await(n.service().close(h.handle()));
    }
  }

  /** REPORT TARGET PORT GROUPS (extended header off) through the node's pass device; retries UAs. */
  private static byte[] rtpg(EmulatorNode n) {
    ApiModel.Handle h = await(n.service().open("test", new ApiModel.Open(pass(n))));
    try {
      for (int i = 0; i < 4; i++) {
        ApiModel.CdbResult r = await(n.service().cdb(h.handle(), new ApiModel.Cdb("a30a00000000000004000000", 1024, null, 5000)));
        if (r.scsiStatus() == 0) {
          return HEX.parseHex(r.dataHex());
        }
      }
      throw new AssertionError("REPORT TARGET PORT GROUPS failed on " + n.apiUrl());
    } finally {
      await(n.service().close(h.handle()));
    }
  }

  /** Group id &rarr; access state from RTPG data. */
  private static Map<Integer, Integer> states(byte[] rtpg) {
    Map<Integer, Integer> out = new java.util.TreeMap<>();
    int p = 4;
    while (p + 8 <= rtpg.length) {
      int id = ((rtpg[p + 2] & 0xff) << 8) | (rtpg[p + 3] & 0xff);
      out.put(id, rtpg[p] & 0x0f);
      p += 8 + 4 * (rtpg[p + 7] & 0xff);
    }
    return out;
  }

  @Test
  void oneOwnerForwardingAluaAndFailover() throws Exception {
    String wwn = DurableJournal.wwn(0xc0);
    List<EmulatorNode> nodes = new ArrayList<>();
    try {
      threeNodes(wwn, nodes);
      EmulatorNode a = nodes.get(0);
      EmulatorNode b = nodes.get(1);
      EmulatorNode c = nodes.get(2);
      String bHostPort = "127.0.0.1:" + b.clusterPort();
      CliRun mv = CliRun.capture(CtlCommand::run, "--node", c.apiUrl(), "lun", "move", "naa." + wwn, "--to", bHostPort);
      assertEquals(0, mv.exit(), mv::both);
      assertEquals("LUN " + wwn + " moving to " + self(b) + "\n", mv.out());
      String ownerB = self(b).toString();
      PROBE.awaitAssert(WAIT, Duration.ofMillis(200), () -> {
        for (EmulatorNode n : nodes) {
          assertEquals(ownerB, n.clusterLuns().orElseThrow().owner(wwn), n.apiUrl());
        }
        return null;
      });
      PROBE.awaitAssert(WAIT, Duration.ofMillis(200), () -> {
        CliRun st = CliRun.capture(CtlCommand::run, "--node", a.apiUrl(), "cluster", "status");
        assertEquals(0, st.exit(), st::both);
        String[] lines = st.out().split("\n");
        assertEquals(4, lines.length, st.out());
        assertEquals(3, st.out().split(" Up ", -1).length - 1, st.out());
        assertTrue(st.out().lines().anyMatch(l -> l.startsWith(ownerB + " ") && l.endsWith(" " + wwn)), st.out());
        CliRun dl = CliRun.capture(CtlCommand::run, "--node", c.apiUrl(), "devlist", "--cluster");
        assertEquals(0, dl.exit(), dl::both);
        assertEquals(2, dl.out().lines().count(), dl.out());
        String row = dl.out().lines().skip(1).findFirst().orElseThrow();
        assertTrue(row.startsWith("naa." + wwn + " ") && row.contains(" 1:0:0 ") && row.contains(" " + ownerB + " "), row);
        assertTrue(row.contains(ownerB + "=active/optimized") && row.contains(self(a) + "=active/non-optimized")
            && row.contains(self(c) + "=active/non-optimized"), row);
        return null;
      });
      byte[] data = new byte[4096];
      new java.util.Random(7).nextBytes(data);
      long ranOnA = a.clusterLuns().orElseThrow().commandsRunHere();
      long ranOnB = b.clusterLuns().orElseThrow().commandsRunHere();
      long ranOnC = c.clusterLuns().orElseThrow().commandsRunHere();
      write(a, 8192, data);
      assertArrayEquals(data, read(c, 8192, data.length));
      // A's write and C's read ran on the owner, B, and nowhere else
      assertTrue(b.clusterLuns().orElseThrow().commandsRunHere() >= ranOnB + 2);
      assertEquals(ranOnA, a.clusterLuns().orElseThrow().commandsRunHere());
      assertEquals(ranOnC, c.clusterLuns().orElseThrow().commandsRunHere());

      int gb = ClusterLuns.portGroup(member(b));
      Map<Integer, Integer> expected = new java.util.TreeMap<>();
      for (EmulatorNode n : nodes) {
        expected.put(ClusterLuns.portGroup(member(n)), n == b ? TargetPortGroups.ACTIVE_OPTIMIZED : TargetPortGroups.ACTIVE_NON_OPTIMIZED);
      }
      PROBE.awaitAssert(WAIT, Duration.ofMillis(200), () -> {
        byte[] ra = rtpg(a);
        assertEquals(expected, states(ra));
        assertArrayEquals(ra, rtpg(b));
        assertArrayEquals(ra, rtpg(c));
        return null;
      });
      assertTrue(expected.containsKey(gb));

      // B crashes: no coordinated shutdown, the survivors must find out and down it
      Address gone = self(b);
      int goneGroup = ClusterLuns.portGroup(member(b));
      nodes.remove(b);
      DurableJournal.crash(b.system());
      PROBE.awaitAssert(WAIT, Duration.ofMillis(200), () -> {
        for (EmulatorNode n : nodes) {
          String owner = n.clusterLuns().orElseThrow().owner(wwn);
          assertTrue(owner.equals(self(a).toString()) || owner.equals(self(c).toString()), owner);
          assertEquals(2, up(n));
        }
        return null;
      });
      assertArrayEquals(data, read(c, 8192, data.length));
      assertArrayEquals(data, read(a, 8192, data.length));
      PROBE.awaitAssert(WAIT, Duration.ofMillis(200), () -> {
        Map<Integer, Integer> s = states(rtpg(a));
        assertEquals(2, s.size(), s::toString);
        assertTrue(!s.containsKey(goneGroup), s::toString);
        assertEquals(1, s.values().stream().filter(v -> v == TargetPortGroups.ACTIVE_OPTIMIZED).count(), s::toString);
        assertArrayEquals(rtpg(a), rtpg(c));
        return null;
      });

      // explicit ALUA: SET TARGET PORT GROUPS through C asks active/optimized for C's group
      int gc = ClusterLuns.portGroup(member(c));
      String params = String.format("00000000%02x00%04x", TargetPortGroups.ACTIVE_OPTIMIZED, gc);
      ApiModel.Handle h = await(c.service().open("test", new ApiModel.Open(pass(c))));
      try {
        int status = -1;
        for (int i = 0; i < 4 && status != 0; i++) {
          status = await(c.service().cdb(h.handle(), new ApiModel.Cdb("a40a00000000000000080000", 0, params, 5000))).scsiStatus();
        }
        assertEquals(0, status);
      } finally {
        await(c.service().close(h.handle()));
      }
      String ownerC = self(c).toString();
      PROBE.awaitAssert(WAIT, Duration.ofMillis(200), () -> {
        for (EmulatorNode n : nodes) {
          assertEquals(ownerC, n.clusterLuns().orElseThrow().owner(wwn), n.apiUrl());
        }
        assertEquals(TargetPortGroups.ACTIVE_OPTIMIZED, states(rtpg(a)).get(gc));
        return null;
      });
      assertArrayEquals(data, read(a, 8192, data.length));
    } finally {
      for (int i = nodes.size() - 1; i >= 0; i--) {
        await(nodes.get(i).shutdown(), Duration.ofSeconds(60));
      }
    }
  }

  /** One CDB through the node's pass device, retried past unit attentions (sense key 6). */
  private static ApiModel.CdbResult cdb(EmulatorNode n, String cdbHex, int dataIn, String dataOut) {
    ApiModel.Handle h = await(n.service().open("test", new ApiModel.Open(pass(n))));
    try {
      ApiModel.CdbResult r = null;
      for (int i = 0; i < 8; i++) {
        r = await(n.service().cdb(h.handle(), new ApiModel.Cdb(cdbHex, dataIn, dataOut, 5000)));
        byte[] sense = r.senseHex() == null ? new byte[0] : HEX.parseHex(r.senseHex());
        if (!(r.scsiStatus() == 2 && sense.length > 2 && (sense[2] & 0x0f) == 6)) {
          return r;
        }
      }
      return r;
    } finally {
      await(n.service().close(h.handle()));
    }
  }

  private static final long PR_KEY = 0x1122334455667788L;

  /** MODE SENSE(10), DBD, caching page: the page's WCE bit. */
  private static boolean wce(EmulatorNode n) {
    ApiModel.CdbResult r = cdb(n, "5a08080000000000fc00", 252, null);
    assertEquals(0, r.scsiStatus(), r::toString);
    byte[] d = HEX.parseHex(r.dataHex());
    assertEquals(0x08, d[8] & 0x3f);
    return (d[10] & 0x04) != 0;
  }

  /**
   * The clustered LUN's shared state seen through {@code n}: PR key and WRITE EXCLUSIVE holder,
   * the fault rule, and (for the holder, A: MODE SENSE conflicts for others) WCE.
   */
  private static void assertCarried(EmulatorNode n, boolean holder, boolean wce) {
    ApiModel.CdbResult keys = cdb(n, "5e000000000000010000", 256, null);
    assertEquals(0, keys.scsiStatus(), keys::toString);
    byte[] k = HEX.parseHex(keys.dataHex());
    assertEquals(8, java.nio.ByteBuffer.wrap(k, 4, 4).getInt(), keys::toString);
    assertEquals(PR_KEY, java.nio.ByteBuffer.wrap(k, 8, 8).getLong());
    ApiModel.CdbResult res = cdb(n, "5e010000000000010000", 256, null);
    assertEquals(0, res.scsiStatus(), res::toString);
    byte[] rv = HEX.parseHex(res.dataHex());
    assertEquals(16, java.nio.ByteBuffer.wrap(rv, 4, 4).getInt(), res::toString);
    assertEquals(PR_KEY, java.nio.ByteBuffer.wrap(rv, 8, 8).getLong());
    assertEquals(0x01, rv[21] & 0x0f); // WRITE EXCLUSIVE
    if (holder) {
      assertEquals(wce, wce(n));
    } else {
      assertEquals(0x18, cdb(n, "5a08080000000000fc00", 252, null).scsiStatus()); // the reservation holds
    }
    ApiModel.CdbResult rd = cdb(n, "28000000006400000100", 512, null);
    assertEquals(2, rd.scsiStatus(), rd::toString);
    byte[] sense = HEX.parseHex(rd.senseHex());
    assertEquals(0x03, sense[2] & 0x0f, rd::toString);
    assertEquals(0x11, sense[12] & 0xff, rd::toString);
  }

  @Test
  void deviceStateFollowsTheLunOnFailoverAndMove() throws Exception {
    String wwn = DurableJournal.wwn(0xc1);
    List<EmulatorNode> nodes = new ArrayList<>();
    try {
      threeNodes(wwn, nodes);
      EmulatorNode a = nodes.get(0);
      EmulatorNode b = nodes.get(1);
      EmulatorNode c = nodes.get(2);
      moveAndWait(nodes, wwn, c, b);
      // through A (forwarded to the owner B): REGISTER, RESERVE WRITE EXCLUSIVE, WCE flipped
      String key = String.format("%016x", PR_KEY);
      ApiModel.CdbResult reg = cdb(a, "5f000000000000001800", 0, "0000000000000000" + key + "0000000000000000");
      assertEquals(0, reg.scsiStatus(), reg::toString);
      ApiModel.CdbResult rsv = cdb(a, "5f010100000000001800", 0, key + "0000000000000000" + "0000000000000000");
      assertEquals(0, rsv.scsiStatus(), rsv::toString);
      boolean before = wce(a);
      ApiModel.CdbResult ms = cdb(a, "5a08080000000000fc00", 252, null);
      byte[] page = java.util.Arrays.copyOfRange(HEX.parseHex(ms.dataHex()), 8, HEX.parseHex(ms.dataHex()).length);
      page[0] &= 0x3f;
      page[2] ^= 0x04;
      byte[] param = new byte[8 + page.length];
      System.arraycopy(page, 0, param, 8, page.length);
      ApiModel.CdbResult sel = cdb(a, String.format("55100000000000%04x00", param.length), 0, HEX.formatHex(param));
      assertEquals(0, sel.scsiStatus(), sel::toString);
      assertEquals(!before, wce(a));
      b.clusterLuns().orElseThrow().device(wwn).addFault(FaultRule.mediumError("cluster-state", FaultRule.READ, 100, 1).continuous());
      assertCarried(a, true, !before);

      // B crashes: the survivor that takes the LUN restores its state from the journal
      nodes.remove(b);
      DurableJournal.crash(b.system());
      PROBE.awaitAssert(WAIT, Duration.ofMillis(200), () -> {
        for (EmulatorNode n : nodes) {
          String owner = n.clusterLuns().orElseThrow().owner(wwn);
          assertTrue(owner.equals(self(a).toString()) || owner.equals(self(c).toString()), owner);
          assertEquals(2, up(n));
        }
        return null;
      });
      assertCarried(c, false, !before);
      assertCarried(a, true, !before);

      // planned move to the other survivor keeps it too
      EmulatorNode other = a.clusterLuns().orElseThrow().owner(wwn).equals(self(a).toString()) ? c : a;
      CliRun mv2 = CliRun.capture(CtlCommand::run, "--node", a.apiUrl(), "lun", "move", "naa." + wwn, "--to", "127.0.0.1:" + other.clusterPort());
      assertEquals(0, mv2.exit(), mv2::both);
      PROBE.awaitAssert(WAIT, Duration.ofMillis(200), () -> {
        for (EmulatorNode n : nodes) {
          assertEquals(self(other).toString(), n.clusterLuns().orElseThrow().owner(wwn), n.apiUrl());
        }
        return null;
      });
      assertCarried(a, true, !before);
      assertCarried(c, false, !before);
    } finally {
      for (int i = nodes.size() - 1; i >= 0; i--) {
        await(nodes.get(i).shutdown(), Duration.ofSeconds(60));
      }
    }
  }

  /** One CDB through the node's pass device, as it comes (no retry). */
  private static ApiModel.CdbResult once(EmulatorNode n, String cdbHex, int dataIn) {
    ApiModel.Handle h = await(n.service().open("test", new ApiModel.Open(pass(n))));
    try {
      return await(n.service().cdb(h.handle(), new ApiModel.Cdb(cdbHex, dataIn, null, 5000)));
    } finally {
      await(n.service().close(h.handle()));
    }
  }

  private static final String TUR = "000000000000";

  /** TEST UNIT READY through {@code n} until GOOD: whatever was pending is reported. */
  private static void drain(EmulatorNode n) {
    for (int i = 0; i < 16; i++) {
      if (once(n, TUR, 0).scsiStatus() == 0) {
        return;
      }
    }
    throw new AssertionError("TEST UNIT READY never GOOD through " + n.apiUrl());
  }

  /** The next TEST UNIT READY through {@code n} reports UNIT ATTENTION {@code asc/ascq}, and the one after it is GOOD (exactly once). */
  private static void assertUnitAttentionOnce(EmulatorNode n, int asc, int ascq) {
    ApiModel.CdbResult r = once(n, TUR, 0);
    assertEquals(2, r.scsiStatus(), () -> n.apiUrl() + ": " + r);
    byte[] sense = HEX.parseHex(r.senseHex());
    assertEquals(List.of(6, asc, ascq), List.of(sense[2] & 0x0f, sense[12] & 0xff, sense[13] & 0xff), () -> n.apiUrl() + ": " + r);
    ApiModel.CdbResult next = once(n, TUR, 0);
    assertEquals(0, next.scsiStatus(), () -> n.apiUrl() + ": reported twice? " + next);
  }

  /**
   * docs/cluster.md, "Unit attentions across the cluster": the owner is B. A MODE SELECT through A
   * (run on B) posts 2A/01 to the nexuses of B and C, once each, and not to A's, which changed the
   * parameters; a LUN reset arriving at A (as iSCSI task management and the SIM's BUS DEVICE RESET
   * call it) releases the SPC-2 reservation C holds on the owner and posts 29/03 to every nexus of
   * every node, once each.
   */
  @Test
  void unitAttentionsOfTheOwnerAndALunResetReachEveryNodeOnce() throws Exception {
    String wwn = DurableJournal.wwn(0xc2);
    List<EmulatorNode> nodes = new ArrayList<>();
    try {
      threeNodes(wwn, nodes);
      EmulatorNode a = nodes.get(0);
      EmulatorNode b = nodes.get(1);
      EmulatorNode c = nodes.get(2);
      moveAndWait(nodes, wwn, c, b);
      nodes.forEach(ClusteredLunsPostgresTest::drain);

      // MODE SELECT through A flips WCE on the owner: 2A/01 for every nexus but A's
      ApiModel.CdbResult ms = cdb(a, "5a08080000000000fc00", 252, null);
      byte[] page = java.util.Arrays.copyOfRange(HEX.parseHex(ms.dataHex()), 8, HEX.parseHex(ms.dataHex()).length);
      page[0] &= 0x3f;
      page[2] ^= 0x04;
      byte[] param = new byte[8 + page.length];
      System.arraycopy(page, 0, param, 8, page.length);
      ApiModel.CdbResult sel = cdb(a, String.format("55100000000000%04x00", param.length), 0, HEX.formatHex(param));
      assertEquals(0, sel.scsiStatus(), sel::toString);
      assertUnitAttentionOnce(c, 0x2a, 0x01);
      assertUnitAttentionOnce(b, 0x2a, 0x01);
      assertEquals(0, once(a, TUR, 0).scsiStatus(), "the nexus that changed the parameters is not told");

      // C reserves (SPC-2, on the owner B); A conflicts
      assertEquals(0, cdb(c, "160000000000", 0, null).scsiStatus());
      assertEquals(0x18, once(a, "28000000000000000100", 512).scsiStatus());

      // a LUN reset arriving at A: the owner's reservation goes, 29/03 on every node once
      await(a.clusterLuns().orElseThrow().device(wwn).lunReset(0x29, 0x03));
      for (EmulatorNode n : nodes) {
        assertUnitAttentionOnce(n, 0x29, 0x03);
      }
      assertEquals(0, once(a, "28000000000000000100", 512).scsiStatus(), "the reset released C's reservation on the owner");
    } finally {
      for (int i = nodes.size() - 1; i >= 0; i--) {
        await(nodes.get(i).shutdown(), Duration.ofSeconds(60));
      }
    }
  }

  /** {@code ctl lun move} through {@code via}'s API to {@code to}; returns once every node reports {@code to} as the owner. */
  private static void moveAndWait(List<EmulatorNode> nodes, String wwn, EmulatorNode via, EmulatorNode to) {
    CliRun mv = CliRun.capture(CtlCommand::run, "--node", via.apiUrl(), "lun", "move", "naa." + wwn, "--to", "127.0.0.1:" + to.clusterPort());
    assertEquals(0, mv.exit(), mv::both);
    PROBE.awaitAssert(WAIT, Duration.ofMillis(200), () -> {
      for (EmulatorNode n : nodes) {
        assertEquals(self(to).toString(), n.clusterLuns().orElseThrow().owner(wwn), n.apiUrl());
      }
      return null;
    });
  }
}
