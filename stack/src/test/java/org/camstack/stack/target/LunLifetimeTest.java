package org.camstack.stack.target;

import static org.camstack.stack.target.T.assertGood;
import static org.camstack.stack.target.T.assertSense;
import static org.camstack.stack.target.T.cdb;
import static org.camstack.stack.target.T.tur;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.junit.jupiter.api.Test;

/**
 * Target-side lifetime (cf. ctl_free_lun()): a LUN removed with tasks in flight completes each once,
 * is freed after the last, and its number is not reused on the target until then.
 */
class LunLifetimeTest {

  private final EmuTarget target = new EmuTarget(0);

  private static ScsiResponse exec(ScsiLun l, ByteString cdb) {
    return l.execute(cdb, ByteString.emptyByteString(), 0, 7);
  }

  @Test
  void aCommandExecutingOnAnotherThreadKeepsTheRemovedLunAndItsNumber() throws Exception {
    ProbeLun lun = new ProbeLun(0);
    EmuTarget target = new EmuTarget(0, List.of(lun, new ProbeLun(1))); // no UA pending
    AtomicInteger freedCalls = new AtomicInteger();
    lun.whenFreed(freedCalls::incrementAndGet);
    AtomicReference<ScsiResponse> answer = new AtomicReference<>();
    Thread frontend = new Thread(() -> answer.set(target.execute(0, cdb(ProbeLun.BLOCK, 0, 0, 0, 0, 0), ByteString.emptyByteString(), 0, 7)));
    frontend.start();
    lun.awaitEntered(1);
    assertTrue(target.removeLun(0) == lun);
    assertEquals(1, lun.tasksInFlight());
    assertFalse(lun.isFreed());
    assertEquals(java.util.Set.of(0L), target.drainingLuns());
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> target.addLun(new ProbeLun(0)));
    assertTrue(refused.getMessage().contains("1 task(s) still in flight"), refused.getMessage());
    // a new command to that number, or to the old object, is not admitted
    assertSense(target.execute(0, tur(), ByteString.emptyByteString(), 0, 7), Sense.ILLEGAL_REQUEST, 0x25, 0x00);
    assertSense(exec(lun, tur()), Sense.ILLEGAL_REQUEST, 0x25, 0x00);
    // the other LUN was told
    assertSense(target.execute(1, tur(), ByteString.emptyByteString(), 0, 7), Sense.UNIT_ATTENTION, 0x3f, 0x0e);

    lun.gate.countDown();
    frontend.join(10_000);
    assertGood(answer.get()); // completed, once
    assertEquals(1, lun.entered.get());
    assertTrue(lun.isFreed());
    assertEquals(1, freedCalls.get());
    assertEquals(java.util.Set.of(), target.drainingLuns());
    target.addLun(new ProbeLun(0)); // the number is free again
    assertGood(target.execute(0, tur(), ByteString.emptyByteString(), 0, 7));
  }

  @Test
  void aDelayedAnswerHoldsTheLunUntilTheFrontendCompletesIt() {
    EmuDisk lun = new EmuDisk(LunSpec.disk(3, 100, 512));
    lun.setDelay(Delay.fixed(1_000_000));
    target.addLun(lun);
    LunTask task = target.start(3, tur(), ByteString.emptyByteString(), 0, 7);
    assertEquals(1_000_000, task.response().delayNanos());
    target.removeLun(3);
    assertFalse(lun.isFreed());
    assertThrows(IllegalArgumentException.class, () -> target.addLun(new EmuDisk(LunSpec.disk(3, 100, 512))));
    task.complete();
    assertTrue(lun.isFreed());
    assertThrows(IllegalStateException.class, task::complete); // exactly once
    target.addLun(new EmuDisk(LunSpec.disk(3, 100, 512)));
    LunTask none = target.start(9, tur(), ByteString.emptyByteString(), 0, 7); // no such LUN
    assertSense(none.response(), Sense.ILLEGAL_REQUEST, 0x25, 0x00);
    none.complete();
  }

  @Test
  void aLunRemovedIdleIsFreedAtOnceAndCannotComeBack() {
    EmuDisk lun = new EmuDisk(LunSpec.disk(2, 100, 512));
    target.addLun(lun);
    target.removeLun(2);
    assertTrue(lun.isFreed());
    assertEquals(0, lun.tasksInFlight());
    LunTask late = lun.start(tur(), ByteString.emptyByteString(), 0, 7);
    assertSense(late.response(), Sense.ILLEGAL_REQUEST, 0x25, 0x00);
    late.complete(); // holds nothing
    assertEquals(0, lun.tasksInFlight());
    assertThrows(IllegalArgumentException.class, () -> target.addLun(lun)); // a removed object stays removed
    target.addLun(new EmuDisk(LunSpec.disk(2, 100, 512)));
  }

  @Test
  void removalRacingManyFrontendsCompletesEveryCommandOnceAndFreesAfterTheLast() throws Exception {
    for (int round = 0; round < 20; round++) {
      EmuTarget t = new EmuTarget(1);
      ProbeLun lun = new ProbeLun(0);
      t.addLun(lun);
      AtomicInteger activeAtFree = new AtomicInteger(-1);
      lun.whenFreed(() -> activeAtFree.set(lun.active.get() + lun.tasksInFlight()));
      int threads = 3;
      int each = 300;
      AtomicInteger answers = new AtomicInteger();
      AtomicInteger good = new AtomicInteger();
      List<Thread> ts = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        int nexus = 10 + i;
        Thread th = new Thread(() -> {
          for (int k = 0; k < each; k++) {
            ScsiResponse r = t.execute(0, cdb(ProbeLun.PROBE, 0, 0, 0, 0, 0), ByteString.emptyByteString(), 0, nexus);
            answers.incrementAndGet();
            if (r.scsiStatus() == ScsiStatus.GOOD) {
              good.incrementAndGet();
            }
          }
        });
        ts.add(th);
        th.start();
      }
      lun.awaitEntered(20 * (round % 5 + 1));
      t.removeLun(0);
      for (Thread th : ts) {
        th.join(30_000);
      }
      assertEquals(threads * each, answers.get(), "every command answered");
      assertEquals(lun.entered.get(), good.get(), "each admitted command completed once, GOOD");
      assertEquals(lun.counter, good.get());
      assertTrue(lun.isFreed());
      assertEquals(0, activeAtFree.get(), "freed while a command still ran");
      assertNull(t.device(0));
      assertNotNull(t.luns());
    }
  }
}
