package org.camstack.stack.target.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.camstack.stack.durable.DurableJournal;
import org.camstack.stack.node.ClusterProcesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * A partition of one node, with real processes ({@link ClusterProcesses} with artery proxies):
 * node 2 owns the clustered LUN; its artery traffic is cut both ways while its iSCSI portal keeps
 * running. The split-brain resolver of the majority (nodes 0 and 1) downs node 2 — it leaves their
 * membership — and the LUN is served through node 0 within {@link ClusterProcesses#FAILOVER_BOUND};
 * node 2 no longer serves it: a write through its portal does not succeed and does not reach the
 * data (no split brain). When the partition heals, node 2 (downed, by the majority and by its own
 * resolver as the minority) has ended: its process exits (code 0), and started again with the same
 * arguments it rejoins — three Up, the LUN owned once, the data intact.
 */
@Timeout(value = 480, unit = TimeUnit.SECONDS)
@EnabledIfEnvironmentVariable(named = DurableJournal.PG_URL, matches = "jdbc:postgresql:.*")
class ClusterPartitionProcessTest {
  private static final int BS = 512;
  private static final int V = 2; // the isolated node

  private static byte[] block(int i) {
    byte[] b = new byte[BS];
    Arrays.fill(b, (byte) (0x40 + i));
    return b;
  }

  /** A write of one block through node {@code i}'s portal: true only if acknowledged (a broken connection is false). */
  private static boolean tryWrite(ClusterProcesses c, int i, String iqn, long lba, byte[] data) {
    try (RawInitiator ini = new RawInitiator(c.iscsiPort(i))) {
      ini.socket.setSoTimeout(3000);
      org.camstack.stack.iscsi.Pdu r = ini.login("iqn.2026-12.org.camstack.test:partition", iqn, 0x5000 + i, "HeaderDigest=None", "DataDigest=None");
      if (r == null || (r.specificInt(36) >>> 16) != 0) {
        return false;
      }
      for (int t = 0; t < 4; t++) { // a new nexus: unit attentions first
        if (ini.write(0, lba, data, BS, 0) == 0) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void theMinorityIsDownedItsLunServedByTheMajorityAndItRejoinsAfterRestart() throws Exception {
    String wwn = DurableJournal.wwn(0xf20);
    try (ClusterProcesses c = ClusterProcesses.start("camstack-partition", 3, List.of(wwn), true)) {
      try {
        run(c, wwn);
      } catch (Throwable t) {
        System.out.println(c.logs());
        throw t;
      }
    }
  }

  private static void run(ClusterProcesses c, String wwn) throws Exception {
    c.move(0, wwn, V, c.all());
    String iqn0 = c.iqn(0);
    String iqnV = c.iqn(V);
    assertTrue(tryWrite(c, 0, iqn0, 0, block(0)), "write before the partition");

    long cutAt = System.nanoTime();
    c.cut(V);
    // the majority downs node 2: bounded polling of their APIs (other processes)
    c.awaitMembers(2, 0, 1);
    long downedAt = System.nanoTime();
    // ... and serves its LUN: polling a real initiator's retries through node 0's portal
    c.probe().awaitAssert(ClusterProcesses.WAIT, Duration.ofMillis(200), () -> {
      String owner = c.owners(0).get(wwn);
      assertTrue(owner.equals(c.address(0)) || owner.equals(c.address(1)), owner);
      assertTrue(tryWrite(c, 0, iqn0, 1, block(1)), "write through node 0");
      return null;
    });
    Duration served = Duration.ofNanos(System.nanoTime() - cutAt);
    System.out.printf("cluster partition: node %d cut off, downed by the majority after %d ms, its LUN served again after %d ms%n", V,
        TimeUnit.NANOSECONDS.toMillis(downedAt - cutAt), served.toMillis());
    assertTrue(served.compareTo(ClusterProcesses.FAILOVER_BOUND) < 0, "the majority served the LUN only after " + served);

    // no split brain: the minority does not take a write for the LUN any more
    boolean minorityWrote = tryWrite(c, V, iqnV, 2, block(2));
    assertFalse(minorityWrote, "node " + V + " acknowledged a write after the majority took its LUN");
    try (RawInitiator ini = ClusterFailoverProcessTest.login(c.iscsiPort(0), iqn0, 0x5100)) {
      assertArrayEquals(block(0), ini.read(0, 0, 1, BS));
      assertArrayEquals(block(1), ini.read(0, 1, 1, BS));
      assertArrayEquals(new byte[BS], ini.read(0, 2, 1, BS), "the minority's write reached the data");
    }

    // healed: the downed node has ended (a downed member cannot come back); restarted, it rejoins
    c.heal();
    assertTrue(c.process(V).process().waitFor(ClusterProcesses.WAIT.toSeconds(), TimeUnit.SECONDS), "the downed node still runs");
    System.out.printf("cluster partition: node %d exited with %d after it was downed%n", V, c.process(V).process().exitValue());
    c.restart(V);
    c.awaitMembers(3, c.all());
    c.probe().awaitAssert(ClusterProcesses.WAIT, Duration.ofMillis(200), () -> {
      String owner = c.owners(0).get(wwn);
      for (int i : c.all()) {
        assertEquals(owner, c.owners(i).get(wwn), "owner as node " + i + " sees it");
      }
      return null;
    });
    try (RawInitiator ini = ClusterFailoverProcessTest.login(c.iscsiPort(V), iqnV, 0x5200)) {
      byte[] got = null;
      for (int t = 0; t < 5 && got == null; t++) {
        got = ini.read(0, 1, 1, BS);
      }
      assertArrayEquals(block(1), got, "the majority's write read through the rejoined node");
    }
  }
}
