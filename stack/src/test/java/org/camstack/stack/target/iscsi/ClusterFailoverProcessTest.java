package org.camstack.stack.target.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.camstack.stack.durable.DurableJournal;
import org.camstack.stack.node.ClusterProcesses;
import org.camstack.stack.target.TargetPortGroups;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * Three real node processes on loopback ({@link ClusterProcesses}: one PostgreSQL journal, one
 * shared store), one clustered LUN owned by B. libiscsi's {@code iscsi-test-cu} runs its
 * SCSI.MultipathIO suite with path 1 on A's portal and path 2 on C's (a write on one path read back
 * on the other, COMPARE AND WRITE across paths, a LUN reset on one path seen on the other): every
 * test passes although neither node owns the LUN. REPORT TARGET PORT GROUPS answers the same
 * through all three portals (B active/optimized). Then an iSCSI initiator writes through A's portal:
 * the first block reads back through C's portal; B is killed with SIGKILL in the middle of a write
 * loop. The survivors down B, the LUN runs again on one of them, and every write A acknowledged,
 * before and after the kill, reads back through C. The initiator saw nothing but CHECK CONDITIONs
 * it retried (unit attentions, 02/04/0A while the owner was away).
 */
@Timeout(value = 480, unit = TimeUnit.SECONDS)
@EnabledIfEnvironmentVariable(named = DurableJournal.PG_URL, matches = "jdbc:postgresql:.*")
class ClusterFailoverProcessTest {
  private static final int BS = 512;
  private static final int A = 0;
  private static final int B = 1;
  private static final int C = 2;
  private static final List<String> MULTIPATH =
      List.of("SCSI.MultipathIO.Simple", "SCSI.MultipathIO.Reset", "SCSI.MultipathIO.CompareAndWrite", "SCSI.MultipathIO.CompareAndWriteAsync");

  private static byte[] block(int i) {
    byte[] b = new byte[BS];
    for (int k = 0; k < BS; k++) {
      b[k] = (byte) (i * 31 + k);
    }
    return b;
  }

  static RawInitiator login(int port, String iqn, long isid) throws IOException {
    RawInitiator ini = new RawInitiator(port);
    org.camstack.stack.iscsi.Pdu r = ini.login("iqn.2026-12.org.camstack.test:failover", iqn, isid, "HeaderDigest=None", "DataDigest=None");
    assertNotNull(r, "no login answer");
    ini.testUnitReady(0);
    return ini;
  }

  /** REPORT TARGET PORT GROUPS through node {@code i}'s portal, retried past unit attentions. */
  static Map<Integer, Integer> rtpg(ClusterProcesses c, int i) throws IOException, InterruptedException {
    try (RawInitiator ini = login(c.iscsiPort(i), c.iqn(i), 0x3000 + i)) {
      byte[] d = null;
      for (int t = 0; t < 4 && d == null; t++) {
        d = ini.dataIn(0, HexFormat.of().parseHex("a30a00000000000004000000"), 1024);
      }
      assertNotNull(d, "REPORT TARGET PORT GROUPS failed through node " + i);
      int end = 4 + java.nio.ByteBuffer.wrap(d, 0, 4).getInt();
      Map<Integer, Integer> states = new TreeMap<>(); // group id -> access state
      for (int p = 4; p + 8 <= end; p += 8 + 4 * (d[p + 7] & 0xff)) {
        states.put(((d[p + 2] & 0xff) << 8) | (d[p + 3] & 0xff), d[p] & 0x0f);
      }
      return states;
    }
  }

  @Test
  void multipathThroughTwoNonOwnersAluaAgreesAndEveryAcknowledgedWriteSurvivesAKillOfTheOwner() throws Exception {
    ConformanceIscsiTestCuTest.requireTool("iscsi-test-cu");
    String wwn = DurableJournal.wwn(0xf0);
    try (ClusterProcesses c = ClusterProcesses.start("camstack-failover", 3, List.of(wwn), false)) {
      c.move(A, wwn, B, c.all());

      // libiscsi's multipath suite: path 1 through A, path 2 through C, the owner is B
      String pathA = "iscsi://127.0.0.1:" + c.iscsiPort(A) + "/" + c.iqn(A) + "/0";
      String pathC = "iscsi://127.0.0.1:" + c.iscsiPort(C) + "/" + c.iqn(C) + "/0";
      ConformanceIscsiTestCuTest.ToolRun mp = ConformanceIscsiTestCuTest.runTool(c.work(), Duration.ofSeconds(90), "iscsi-test-cu", "--dataloss",
          "--test=SCSI.MultipathIO", "-i", ConformanceIscsiTestCuTest.INITIATOR_1, "-I", ConformanceIscsiTestCuTest.INITIATOR_2, pathA, pathC);
      ConformanceResults.Run run = ConformanceResults.parse("SCSI", mp.output());
      System.out.println("cluster multipath: iscsi-test-cu SCSI.MultipathIO via A and C, owner B, in " + mp.took().toMillis() + " ms: "
          + run.describe());
      assertEquals(MULTIPATH, run.results().stream().map(ConformanceResults.Result::name).toList(), mp.output());
      for (ConformanceResults.Result r : run.results()) {
        assertEquals(ConformanceResults.Outcome.PASS, r.outcome(), () -> r + "\n" + mp.output());
      }

      // ALUA: the same answer through every portal, B's group the one active/optimized
      Map<Integer, Integer> alua = rtpg(c, A);
      assertEquals(3, alua.size(), alua::toString);
      assertEquals(1, alua.values().stream().filter(v -> v == TargetPortGroups.ACTIVE_OPTIMIZED).count(), alua::toString);
      assertEquals(TargetPortGroups.ACTIVE_OPTIMIZED, alua.get(portGroup(c, B)), alua::toString);
      assertEquals(alua, rtpg(c, B));
      assertEquals(alua, rtpg(c, C));
      try (RawInitiator viaA = login(c.iscsiPort(A), c.iqn(A), 0x1a)) {
        List<Integer> acked = new ArrayList<>();
        long killedAt = 0;
        long firstAfterKill = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        for (int i = 0; i < 60 && System.nanoTime() < deadline; i++) {
          if (i == 20) {
            c.process(B).process().destroyForcibly(); // SIGKILL: no goodbye to the cluster
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
            try (RawInitiator viaC = login(c.iscsiPort(C), c.iqn(C), 0x1c)) {
              byte[] got = viaC.read(0, 0, 1, BS);
              assertArrayEquals(block(0), got, "A's write read through C while B owns the LUN");
            }
          }
        }
        assertEquals(60, acked.size());
        Duration failover = Duration.ofNanos(firstAfterKill - killedAt);
        System.out.printf("cluster failover: owner killed, first acknowledged write after %d ms%n", failover.toMillis());
        assertTrue(failover.compareTo(ClusterProcesses.FAILOVER_BOUND) < 0, "failover took " + failover);
        // the crash detector (on by default) confirmed B dead and downed it, not the resolver
        String b = c.address(B);
        c.probe().awaitAssert(ClusterProcesses.WAIT, () -> {
          String logs = Files.readString(c.process(A).stderrFile()) + Files.readString(c.process(C).stderrFile());
          assertTrue(logs.lines().anyMatch(l -> l.contains("failover phase confirmed-dead at ") && l.contains(b)), "no confirmed-dead phase for " + b);
          return null;
        });
        try (RawInitiator viaC = login(c.iscsiPort(C), c.iqn(C), 0x2c)) {
          for (int i : acked) {
            byte[] got = null;
            for (int t = 0; t < 5 && got == null; t++) {
              got = viaC.read(0, i, 1, BS);
            }
            assertArrayEquals(block(i), got, "acknowledged write " + i);
          }
        }
      }
      String owner = c.owners(C).get(wwn);
      assertTrue(owner.equals(c.address(A)) || owner.equals(c.address(C)), owner);
    }
  }

  /** Node {@code i}'s ALUA target port group, from its member entry. */
  private static int portGroup(ClusterProcesses c, int i) throws IOException, InterruptedException {
    for (JsonNode m : c.get(i, "/api/cluster/status").get("members")) {
      if (m.get("self").asBoolean()) {
        return m.get("portGroup").asInt();
      }
    }
    throw new AssertionError("no self member on node " + i);
  }
}
