package org.camstack.stack.target.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.camstack.stack.durable.DurableJournal;
import org.camstack.stack.node.ClusterProcesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * Rolling restart under I/O with real node processes ({@link ClusterProcesses}): three nodes, three
 * clustered LUNs, LUN k owned by node k. One client thread per LUN writes a fresh block after
 * another through the iSCSI portals the way a multipath initiator does: it retries a CHECK
 * CONDITION (unit attentions, 02/04/0A while a LUN changes hands) and moves to the next node's
 * portal when its connection breaks. Node 0, then 1, then 2 is stopped (SIGTERM: it leaves the
 * cluster, its LUNs hand over) and started again with the same arguments and data directory, each
 * time until all three are Up. No LUN went longer than {@link ClusterProcesses#FAILOVER_BOUND}
 * without an acknowledged write, every acknowledged write reads back at the end, and the cluster
 * ends with three members Up and every LUN owned by exactly one of them.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
@EnabledIfEnvironmentVariable(named = DurableJournal.PG_URL, matches = "jdbc:postgresql:.*")
class ClusterRollingRestartProcessTest {
  private static final int BS = 512;
  private static final int LUNS = 3;
  /** The writers cycle through the first LBAS blocks (block i at LBA i % LBAS). */
  private static final int LBAS = 1024;

  private static byte[] block(int lun, int i) {
    byte[] b = new byte[BS];
    for (int k = 0; k < BS; k++) {
      b[k] = (byte) (lun * 71 + i * 31 + k);
    }
    return b;
  }

  /** A multipath-like writer of one LUN: fresh blocks i = 0, 1, 2, ... at LBA i % LBAS, until stopped. */
  private static final class Writer implements Runnable {
    private final ClusterProcesses c;
    private final List<String> iqns;
    private final int lun;
    private volatile boolean stop;
    private RawInitiator session;
    private int path;
    /** Acknowledged blocks so far. */
    final AtomicInteger acked = new AtomicInteger();
    /** Longest time without an acknowledged write, ns. */
    volatile long longestGap;
    volatile Throwable failed;
    volatile int reconnects;
    volatile int retries;
    /** CHECK CONDITIONs in a row on the current path. */
    private int failing;
    volatile String last = "";

    Writer(ClusterProcesses c, List<String> iqns, int lun) {
      this.c = c;
      this.iqns = iqns;
      this.lun = lun;
      this.path = (lun + 1) % c.size(); // starts on a node that does not own it: forwarded
    }

    @Override
    public void run() {
      long last = System.nanoTime();
      try {
        while (!stop) {
          int i = acked.get();
          if (write(i)) {
            long now = System.nanoTime();
            longestGap = Math.max(longestGap, now - last);
            last = now;
            acked.incrementAndGet();
          }
        }
        longestGap = Math.max(longestGap, System.nanoTime() - last);
      } catch (Throwable t) {
        failed = t;
      } finally {
        drop();
      }
    }

    /** One attempt: true when acknowledged; a broken or refused connection moves to the next node. */
    private boolean write(int i) {
      try {
        if (session == null) {
          RawInitiator s = new RawInitiator(c.iscsiPort(path));
          session = s;
          s.socket.setSoTimeout(3000); // a stopping node's dead socket: give up on it quickly
          org.camstack.stack.iscsi.Pdu r =
              s.login("iqn.2026-12.org.camstack.test:rolling-" + lun, iqns.get(path), 0x4000 + lun, "HeaderDigest=None", "DataDigest=None");
          if (r == null || (r.specificInt(36) >>> 16) != 0) {
            throw new IOException("login refused by node " + path);
          }
          reconnects++;
        }
        int status = session.write(lun, i % LBAS, block(lun, i), BS, 0);
        if (status == 0) {
          failing = 0;
          return true;
        }
        // CHECK CONDITION: a unit attention or a LUN in transition; the initiator retries, and
        // gives up on a path that keeps failing (as dm-multipath does)
        retries++;
        last = "status " + status + " via node " + path;
        if (++failing >= 20) {
          throw new IOException(failing + " failures in a row");
        }
        return false;
      } catch (IOException e) {
        last = e + " via node " + path;
        failing = 0;
        drop();
        path = (path + 1) % c.size();
        return false;
      }
    }

    private void drop() {
      if (session != null) {
        try {
          session.close();
        } catch (IOException e) {
          // already gone
        }
        session = null;
      }
    }
  }

  @Test
  void noLunIsUnavailableLongerThanAFailoverWhileEveryNodeRestarts() throws Exception {
    List<String> wwns = new ArrayList<>();
    for (int k = 0; k < LUNS; k++) {
      wwns.add(DurableJournal.wwn(0xf10 + k));
    }
    try (ClusterProcesses c = ClusterProcesses.start("camstack-rolling", 3, wwns, false)) {
      try {
        run(c, wwns);
      } catch (Throwable t) {
        System.out.println(c.logs());
        throw t;
      }
    }
  }

  private void run(ClusterProcesses c, List<String> wwns) throws Exception {
    for (int k = 0; k < LUNS; k++) {
      c.move(0, wwns.get(k), k, c.all());
    }
    List<String> iqns = new ArrayList<>();
    for (int i : c.all()) {
      iqns.add(c.iqn(i));
    }
    List<Writer> writers = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int k = 0; k < LUNS; k++) {
      Writer w = new Writer(c, iqns, k);
      writers.add(w);
      Thread t = new Thread(w, "rolling-writer-" + k);
      threads.add(t);
      t.start();
    }
    try {
      awaitProgress(c, writers);
      for (int i : c.all()) {
        long t0 = System.nanoTime();
        assertEquals(0, c.stop(i), "node " + i + " exit code");
        c.restart(i);
        c.awaitMembers(3, c.all());
        System.out.printf("cluster rolling restart: node %d stopped, back and Up in %d ms%n", i,
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        awaitProgress(c, writers);
      }
    } finally {
      for (Writer w : writers) {
        w.stop = true;
      }
      for (Thread t : threads) {
        t.join(TimeUnit.SECONDS.toMillis(30));
      }
    }
    for (Writer w : writers) {
      assertTrue(w.failed == null, () -> "writer of LUN " + w.lun + " failed: " + w.failed);
      Duration gap = Duration.ofNanos(w.longestGap);
      System.out.printf("cluster rolling restart: LUN %d: %d writes acknowledged, longest gap %d ms, %d reconnects, %d retried%n",
          w.lun, w.acked.get(), gap.toMillis(), w.reconnects, w.retries);
      assertTrue(gap.compareTo(ClusterProcesses.FAILOVER_BOUND) < 0,
          "LUN " + w.lun + " went " + gap.toMillis() + " ms without an acknowledged write (bound " + ClusterProcesses.FAILOVER_BOUND + ")");
    }

    // every acknowledged write reads back (through node 1, retrying the first command's unit attention)
    try (RawInitiator r = ClusterFailoverProcessTest.login(c.iscsiPort(1), iqns.get(1), 0x4f00)) {
      for (Writer w : writers) {
        for (int i = Math.max(0, w.acked.get() - LBAS); i < w.acked.get(); i++) { // the last write of each LBA
          byte[] got = null;
          for (int t = 0; t < 5 && got == null; t++) {
            got = r.read(w.lun, i % LBAS, 1, BS);
          }
          assertArrayEquals(block(w.lun, i), got, "LUN " + w.lun + " acknowledged write " + i);
        }
      }
    }

    // three Up, every LUN owned once, all nodes agree
    c.awaitMembers(3, c.all());
    Map<String, String> owners = c.owners(0);
    assertEquals(new TreeSet<>(wwns), owners.keySet());
    for (int i : c.all()) {
      assertEquals(owners, c.owners(i), "owners as node " + i + " sees them");
    }
    Map<String, String> owned = new TreeMap<>();
    for (JsonNode m : c.get(0, "/api/cluster/status").get("members")) {
      for (JsonNode w : m.get("lunsOwned")) {
        assertEquals(null, owned.put(w.asText(), m.get("address").asText()), "LUN " + w.asText() + " owned twice");
      }
    }
    assertEquals(owners, owned);
  }

  /**
   * Polls (bounded: the writers are threads of this test driving other processes) until every
   * writer has acknowledged a few more writes than now.
   */
  private static void awaitProgress(ClusterProcesses c, List<Writer> writers) {
    int[] from = writers.stream().mapToInt(w -> w.acked.get()).toArray();
    c.probe().awaitAssert(ClusterProcesses.WAIT, Duration.ofMillis(100), () -> {
      for (int k = 0; k < writers.size(); k++) {
        assertTrue(writers.get(k).failed == null, "writer " + k + " failed: " + writers.get(k).failed);
        Writer w = writers.get(k);
        assertTrue(w.acked.get() >= from[k] + 5, "LUN " + k + " makes no progress: " + w.acked.get() + " acknowledged, "
            + w.reconnects + " logins, " + w.retries + " retried, last: " + w.last);
      }
      return null;
    });
  }
}
