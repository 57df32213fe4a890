package org.camstack.stack.xpt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The queue bookkeeping by direct calls (cf. cam_queue.c). */
class DevQueueTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final TestProbe<Ccb.Completed> sink = testKit.createTestProbe();
  private static final CamPath PATH = CamPath.of(0, 0, 0);

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static Ccb ccb(long id, int priority, int flags) {
    return new Ccb.Noop(new Ccb.Header(id, PATH, priority, flags, 0, 0, sink.getRef()));
  }

  @Test
  void hotPathStartsAtOnceAndCompletesWithoutFlags() {
    DevQueue q = new DevQueue(1, 32);
    assertTrue(q.tryStartNow());
    assertFalse(q.tryStartNow()); // one opening (untagged)
    assertEquals(0, q.complete(ccb(1, CamPriority.NORMAL, 0), CamStatus.REQ_CMP));
    assertEquals(0, q.active());
  }

  @Test
  void errorFreezesUnlessQfrzdisAndQfreezeFreezesAfterTheCcb() {
    DevQueue q = new DevQueue(4, 32);
    q.tryStartNow();
    assertEquals(CamStatus.DEV_QFRZN, q.complete(ccb(1, CamPriority.NORMAL, 0), CamStatus.SCSI_STATUS_ERROR));
    assertEquals(1, q.frozen());
    assertFalse(q.tryStartNow());
    q.tryStartNow();
    q.release(1);
    assertTrue(q.tryStartNow());
    assertEquals(0, q.complete(ccb(2, CamPriority.NORMAL, CcbFlags.DEV_QFRZDIS), CamStatus.SEL_TIMEOUT));
    assertEquals(0, q.frozen());
    q.tryStartNow();
    assertEquals(CamStatus.DEV_QFRZN, q.complete(ccb(3, CamPriority.NORMAL, CcbFlags.DEV_QFREEZE), CamStatus.REQ_CMP));
    assertEquals(1, q.frozen());
  }

  @Test
  void queuedCcbsLeaveByPriorityThenArrivalOnceReleased() {
    DevQueue q = new DevQueue(8, 32);
    q.freeze(1);
    Ccb low1 = ccb(1, CamPriority.NORMAL, 0);
    Ccb low2 = ccb(2, CamPriority.NORMAL, 0);
    Ccb urgent = ccb(3, CamPriority.OOB, 0);
    q.enqueue(low1);
    q.enqueue(low2);
    q.enqueue(urgent);
    assertNull(q.pollStartable());
    q.release(1);
    assertSame(urgent, q.pollStartable());
    assertSame(low1, q.pollStartable());
    assertSame(low2, q.pollStartable());
    assertEquals(3, q.active());
  }

  @Test
  void openingsLimitDispatchAndAdjustOpeningsClampsToTheSim() {
    DevQueue q = new DevQueue(2, 4);
    q.enqueue(ccb(1, CamPriority.NORMAL, 0));
    q.enqueue(ccb(2, CamPriority.NORMAL, 0));
    q.enqueue(ccb(3, CamPriority.NORMAL, 0));
    q.pollStartable();
    q.pollStartable();
    assertNull(q.pollStartable());
    q.releaseSimq(Ccb.RelSimQ.ADJUST_OPENINGS, 100, 0, false);
    assertEquals(4, q.openings());
    assertTrue(q.pollStartable() != null);
    q.setOpenings(0);
    assertEquals(1, q.openings());
  }

  @Test
  void releaseSimqWithoutDelayedFlagsReleasesNowAndOverReleaseIsClamped() {
    DevQueue q = new DevQueue(1, 1);
    q.freeze(2);
    assertFalse(q.releaseSimq(0, 0, 1, false));
    assertEquals(1, q.frozen());
    q.releaseSimq(0, 0, 1, true); // CAM_DEV_QFREEZE on the REL_SIMQ: count only
    assertEquals(1, q.frozen());
    q.release(5);
    assertEquals(0, q.frozen());
    assertEquals(4, q.overReleases());
  }

  @Test
  void releaseAfterTimeoutHoldsTheFreezeUntilTheTimerAndASecondOneReleasesAtOnce() {
    DevQueue q = new DevQueue(1, 1);
    q.freeze(2);
    assertTrue(q.releaseSimq(Ccb.RelSimQ.RELEASE_AFTER_TIMEOUT, 0, 1, false));
    assertEquals(2, q.frozen());
    assertTrue(q.releaseSimq(Ccb.RelSimQ.RELEASE_AFTER_TIMEOUT, 0, 1, false));
    assertEquals(1, q.frozen()); // a pending timeout is extended; this freeze goes now
    q.releaseTimeoutFired();
    assertEquals(0, q.frozen());
  }

  @Test
  void releaseAfterCmdcmpltWaitsForTheNextCompletionThatDidNotFreeze() {
    DevQueue q = new DevQueue(4, 4);
    q.tryStartNow();
    q.tryStartNow(); // two CCBs at the SIM
    q.freeze(1);
    q.releaseSimq(Ccb.RelSimQ.RELEASE_AFTER_CMDCMPLT, 0, 1, false);
    assertEquals(1, q.frozen());
    assertEquals(CamStatus.DEV_QFRZN, q.complete(ccb(1, CamPriority.NORMAL, 0), CamStatus.SCSI_STATUS_ERROR));
    assertEquals(2, q.frozen()); // an error completion does not fire the delayed release
    assertEquals(0, q.complete(ccb(2, CamPriority.NORMAL, 0), CamStatus.REQ_CMP));
    assertEquals(1, q.frozen());
  }

  @Test
  void releaseAfterCmdcmpltWithNothingActiveReleasesAtOnce() {
    DevQueue q = new DevQueue(4, 4);
    q.freeze(1);
    q.releaseSimq(Ccb.RelSimQ.RELEASE_AFTER_CMDCMPLT, 0, 1, false);
    assertEquals(0, q.frozen());
  }

  @Test
  void releaseAfterQemptyWaitsUntilNothingIsActive() {
    DevQueue q = new DevQueue(4, 4);
    q.tryStartNow();
    q.tryStartNow();
    q.freeze(1);
    q.releaseSimq(Ccb.RelSimQ.RELEASE_AFTER_QEMPTY, 0, 1, false);
    q.complete(ccb(1, CamPriority.NORMAL, 0), CamStatus.REQ_CMP);
    assertEquals(1, q.frozen());
    q.complete(ccb(2, CamPriority.NORMAL, 0), CamStatus.REQ_CMP);
    assertEquals(0, q.frozen());
  }

  @Test
  void schedulingGrantsOpeningsByPriorityAndOobGetsOneEvenWhenNoneIsFree() {
    DevQueue q = new DevQueue(2, 2);
    ActorRef<XptDevice.Start> a = testKit.<XptDevice.Start>createTestProbe().getRef();
    ActorRef<XptDevice.Start> b = testKit.<XptDevice.Start>createTestProbe().getRef();
    q.schedule(CamPriority.NORMAL, 2, a);
    assertEquals(new DevQueue.Grant(CamPriority.NORMAL, 2, a), q.pollGrant());
    q.schedule(CamPriority.NORMAL, 1, b);
    assertNull(q.pollGrant());
    q.schedule(CamPriority.OOB, 1, a);
    assertEquals(new DevQueue.Grant(CamPriority.OOB, 1, a), q.pollGrant());
    q.releaseOpenings(3);
    assertEquals(new DevQueue.Grant(CamPriority.NORMAL, 1, b), q.pollGrant());
  }
}
