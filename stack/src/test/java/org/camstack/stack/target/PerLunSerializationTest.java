package org.camstack.stack.target;

import static org.camstack.stack.target.T.cdb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.junit.jupiter.api.Test;

/**
 * Several frontends call one LUN from their own threads, each thread a different I_T nexus (SIM
 * initiator ids and iSCSI nexus ids): commands of one LUN never overlap, and a unit attention
 * posted meanwhile reaches every nexus exactly once.
 */
class PerLunSerializationTest {
  private static final int THREADS = 4;
  private static final int COMMANDS = 3_000;

  @Test
  void commandsOfOneLunRunOneAtATimeWhateverTheNexus() throws Exception {
    ProbeLun lun = new ProbeLun(0);
    int[] nexus = {
      7,
      8,
      Nexuses.idFor("iqn.2026-12.org.example:p,i,0x000000000001", Nexuses.ISCSI_PORT),
      Nexuses.idFor("iqn.2026-12.org.example:q,i,0x000000000002", Nexuses.ISCSI_PORT),
    };
    ByteString probe = cdb(ProbeLun.PROBE, 0, 0, 0, 0, 0);
    CyclicBarrier start = new CyclicBarrier(THREADS + 1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicInteger[] resized = new AtomicInteger[THREADS];
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int me = t;
      resized[t] = new AtomicInteger();
      Thread th = new Thread(() -> {
        try {
          start.await(10, TimeUnit.SECONDS);
          int done = 0;
          while (done < COMMANDS) {
            ScsiResponse r = lun.execute(probe, ByteString.emptyByteString(), 0, nexus[me]);
            if (r.scsiStatus() == ScsiStatus.CHECK_COND) {
              assertEquals(Sense.UNIT_ATTENTION, Sense.key(r.sense()), T.describe(r));
              assertEquals(0x2a, Sense.asc(r.sense()));
              resized[me].incrementAndGet();
              continue;
            }
            assertEquals(ScsiStatus.GOOD, r.scsiStatus(), T.describe(r));
            done++;
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }, "frontend-" + t);
      threads.add(th);
      th.start();
    }
    start.await(10, TimeUnit.SECONDS);
    lun.resize(2000); // UA 2A/09 to every nexus, posted while they run
    for (Thread th : threads) {
      th.join(60_000);
    }
    assertNull(failure.get(), () -> "first failure: " + failure.get());
    assertEquals(1, lun.maxActive.get(), "commands overlapped on one LUN");
    assertEquals((long) THREADS * COMMANDS, lun.counter, "lost updates: commands overlapped");
    for (int t = 0; t < THREADS; t++) {
      assertEquals(1, resized[t].get(), "nexus " + nexus[t] + " told of the resize");
    }
  }

  @Test
  void differentLunsDoNotWaitForEachOther() throws Exception {
    ProbeLun blocked = new ProbeLun(0);
    ProbeLun free = new ProbeLun(1);
    Thread holder = new Thread(() -> blocked.execute(cdb(ProbeLun.BLOCK, 0, 0, 0, 0, 0), ByteString.emptyByteString(), 0, 7));
    holder.start();
    blocked.awaitEntered(1);
    // LUN 0 holds its lock inside a command; LUN 1 answers at once, even to the same nexus
    T.assertGood(free.execute(cdb(ProbeLun.PROBE, 0, 0, 0, 0, 0), ByteString.emptyByteString(), 0, 7));
    // and the control plane of LUN 0 is not blocked either
    blocked.postUnitAttention(0x3f, 0x0e);
    blocked.addFault(org.camstack.persistence.device.FaultRule.busy("b", "any"));
    blocked.gate.countDown();
    holder.join(10_000);
    assertEquals(1, blocked.pendingUnitAttentions(8).size());
  }
}
