package org.camstack.stack.xpt;

import static org.camstack.stack.xpt.XptFixture.WAIT;
import static org.camstack.stack.xpt.XptFixture.assertStatus;
import static org.camstack.stack.xpt.XptFixture.header;
import static org.camstack.stack.xpt.XptFixture.read;
import static org.camstack.stack.xpt.XptFixture.tur;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.AsyncCode;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.scsi.ScsiResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Device queues: status mapping, freeze/release, REL_SIMQ, abort, scheduling, loss. */
class XptDeviceTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Duration QUIET = Duration.ofMillis(150);

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /** One configured LUN 0:0:0 on a fresh XPT. */
  private static final class Rig {
    final FakeBus bus = new FakeBus(3, 7, 7);
    final FakeBus.Lun lun = bus.addLun(0, 0);
    final XptFixture x = new XptFixture(testKit);
    final CamPath path;
    final ActorRef<XptDevice.Command> dev;
    final TestProbe<Ccb.Completed> done = testKit.createTestProbe();

    Rig() {
      int b = x.register(bus, 0);
      path = CamPath.of(b, 0, 0);
      assertStatus(CamStatus.REQ_CMP, x.scanLun(path));
      dev = x.deviceRef(path);
    }

    void send(Ccb ccb) {
      dev.tell(new XptDevice.Action(ccb));
    }

    Ccb.Completed run(Ccb ccb) {
      send(ccb);
      Ccb.Completed c = done.expectMessageClass(Ccb.Completed.class, WAIT);
      assertEquals(ccb, c.ccb());
      return c;
    }

    Ccb.RelSimResult relsim(int flags, int openings, int timeoutMs, int count) {
      Ccb.Completed c = run(new Ccb.RelSimQ(header(path, done.getRef()), flags, openings, timeoutMs, count));
      assertStatus(CamStatus.REQ_CMP, c);
      return c.resultAs(Ccb.RelSimResult.class);
    }

    Ccb.DevStatsResult stats() {
      return run(new Ccb.GetDevStats(header(path, done.getRef()))).resultAs(Ccb.DevStatsResult.class);
    }
  }

  /** Fails the first command with {@code r}, then behaves. */
  private static void failOnce(FakeBus.Lun lun, ScsiResponse r) {
    AtomicInteger n = new AtomicInteger();
    lun.faultHook = cdb -> n.getAndIncrement() == 0 ? r : null;
  }

  @Test
  void goodIoCompletesWithDataAndNoFlags() {
    Rig r = new Rig();
    Ccb.Completed c = r.run(read(r.path, 0, r.done.getRef()));
    assertStatus(CamStatus.REQ_CMP, c);
    assertEquals(0, c.statusFlags());
    assertEquals(512, c.data().size());
    assertEquals(0, c.resid());
  }

  @Test
  void checkConditionCompletesWithAutosenseAndFreezesTheQueueUntilReleased() {
    Rig r = new Rig();
    failOnce(r.lun, FakeBus.check(Sense.MEDIUM_ERROR, 0x11, 0x00));
    Ccb.Completed c = r.run(read(r.path, 0, r.done.getRef()));
    assertStatus(CamStatus.SCSI_STATUS_ERROR, c);
    assertEquals(ScsiStatus.CHECK_COND, c.scsiStatus());
    assertTrue(c.autosenseValid());
    assertTrue(c.devQueueFrozen());
    assertEquals(0x11, Sense.asc(c.sense()));
    assertEquals(CamStatus.SCSI_STATUS_ERROR.code() | CamStatus.DEV_QFRZN | CamStatus.AUTOSNS_VALID, c.statusWord());

    Ccb.ScsiIo next = tur(r.path, 0, r.done.getRef());
    r.send(next);
    r.done.expectNoMessage(QUIET); // frozen: the TUR waits in the queue
    assertEquals(1, r.stats().queued());
    r.dev.tell(new XptDevice.ReleaseDevq(1, true));
    Ccb.Completed c2 = r.done.expectMessageClass(Ccb.Completed.class, WAIT);
    assertEquals(next, c2.ccb());
    assertStatus(CamStatus.REQ_CMP, c2);
  }

  @Test
  void disAutosenseDropsTheSenseAndQfrzdisKeepsTheQueueRunning() {
    Rig r = new Rig();
    failOnce(r.lun, FakeBus.check(Sense.MEDIUM_ERROR, 0x11, 0x00));
    Ccb.Completed c = r.run(read(r.path, CcbFlags.DIS_AUTOSENSE | CcbFlags.DEV_QFRZDIS, r.done.getRef()));
    assertStatus(CamStatus.SCSI_STATUS_ERROR, c);
    assertEquals(ScsiStatus.CHECK_COND, c.scsiStatus());
    assertFalse(c.autosenseValid());
    assertTrue(c.sense().isEmpty());
    assertFalse(c.devQueueFrozen());
    assertStatus(CamStatus.REQ_CMP, r.run(tur(r.path, 0, r.done.getRef())));
  }

  @Test
  void busyTaskSetFullAndReservationConflictAreScsiStatusErrorsWithThatStatus() {
    Rig r = new Rig();
    for (int st : new int[] {ScsiStatus.BUSY, ScsiStatus.QUEUE_FULL, ScsiStatus.RESERV_CONFLICT}) {
      failOnce(r.lun, FakeBus.status(st));
      Ccb.Completed c = r.run(tur(r.path, 0, r.done.getRef()));
      assertStatus(CamStatus.SCSI_STATUS_ERROR, c);
      assertEquals(st, c.scsiStatus());
      assertFalse(c.autosenseValid());
      assertTrue(c.devQueueFrozen());
      r.dev.tell(new XptDevice.ReleaseDevq(1, true));
    }
  }

  @Test
  void relSimqReleasesOneFreezeAndAnswersTheRemainingCount() {
    Rig r = new Rig();
    r.dev.tell(new XptDevice.FreezeDevq(2));
    Ccb.ScsiIo io = tur(r.path, 0, r.done.getRef());
    r.send(io);
    assertEquals(1, r.relsim(0, 0, 0, 1).qfrozenCnt());
    // the REL_SIMQ completion came first; the TUR still waits
    r.done.expectNoMessage(QUIET);
    assertEquals(0, r.relsim(0, 0, 0, 1).qfrozenCnt());
    assertEquals(io, r.done.expectMessageClass(Ccb.Completed.class, WAIT).ccb());
  }

  @Test
  void relSimqReleaseAfterTimeoutReleasesWhenTheTimerFires() {
    Rig r = new Rig();
    r.dev.tell(new XptDevice.FreezeDevq(1));
    Ccb.ScsiIo io = tur(r.path, 0, r.done.getRef());
    r.send(io);
    assertEquals(1, r.relsim(Ccb.RelSimQ.RELEASE_AFTER_TIMEOUT, 0, 1500, 1).qfrozenCnt());
    assertEquals(1, r.stats().queued()); // still held: the release waits for the timer
    Ccb.Completed c = r.done.expectMessageClass(Ccb.Completed.class, WAIT);
    assertEquals(io, c.ccb());
    assertEquals(0, r.stats().qfrozenCnt());
  }

  @Test
  void relSimqAdjustOpeningsChangesTheTagDepth() {
    Rig r = new Rig();
    assertEquals(32, r.stats().maxtags());
    assertEquals(32, r.stats().devOpenings()); // tagged device: the SIM's queue depth
    r.relsim(Ccb.RelSimQ.ADJUST_OPENINGS, 4, 0, 0);
    assertEquals(4, r.stats().devOpenings());
  }

  @Test
  void relSimqWithQfreezeFlagOnlyReportsTheCount() {
    Rig r = new Rig();
    r.dev.tell(new XptDevice.FreezeDevq(3));
    Ccb.Completed c =
        r.run(new Ccb.RelSimQ(header(r.path, CcbFlags.DEV_QFREEZE, r.done.getRef()), 0, 0, 0, 1));
    assertEquals(3, c.resultAs(Ccb.RelSimResult.class).qfrozenCnt());
    assertStatus(CamStatus.REQ_INVALID, r.run(new Ccb.RelSimQ(header(r.path, r.done.getRef()), 0, 0, 0, -1)));
  }

  @Test
  void noopWithQfreezeFreezesTheQueueAndSaysSo() {
    Rig r = new Rig();
    Ccb.Completed c = r.run(new Ccb.Noop(header(r.path, CcbFlags.DEV_QFREEZE, r.done.getRef())));
    assertStatus(CamStatus.REQ_CMP, c);
    assertTrue(c.devQueueFrozen());
    assertEquals(1, r.stats().qfrozenCnt());
    // the same through the XPT
    TestProbe<Ccb.Completed> p = testKit.createTestProbe();
    assertTrue(r.x.action(new Ccb.Noop(header(r.path, CcbFlags.DEV_QFREEZE, p.getRef())), p).devQueueFrozen());
    assertEquals(2, r.stats().qfrozenCnt());
  }

  @Test
  void qfreezeFlagOnAnIoFreezesAfterIt() {
    Rig r = new Rig();
    Ccb.Completed c = r.run(tur(r.path, CcbFlags.DEV_QFREEZE, r.done.getRef()));
    assertStatus(CamStatus.REQ_CMP, c);
    assertTrue(c.devQueueFrozen());
    assertEquals(1, r.stats().qfrozenCnt());
  }

  @Test
  void abortOfAQueuedCcbCompletesItAbortedAndTheAbortOk() {
    Rig r = new Rig();
    r.dev.tell(new XptDevice.FreezeDevq(1));
    Ccb.ScsiIo victim = read(r.path, 0, r.done.getRef());
    Ccb.ScsiIo other = tur(r.path, 0, r.done.getRef());
    r.send(victim);
    r.send(other);
    Ccb.Abort abort = new Ccb.Abort(header(r.path, r.done.getRef()), victim.ccbId());
    r.send(abort);
    Ccb.Completed aborted = r.done.expectMessageClass(Ccb.Completed.class, WAIT);
    assertEquals(victim, aborted.ccb());
    assertStatus(CamStatus.REQ_ABORTED, aborted);
    assertFalse(aborted.devQueueFrozen());
    Ccb.Completed ack = r.done.expectMessageClass(Ccb.Completed.class, WAIT);
    assertEquals(abort, ack.ccb());
    assertStatus(CamStatus.REQ_CMP, ack);
    // not queued (any more): unable to abort
    assertStatus(CamStatus.UA_ABORT, r.run(new Ccb.Abort(header(r.path, r.done.getRef()), victim.ccbId())));
    // a CCB of another sender with the same id is not touched
    TestProbe<Ccb.Completed> stranger = testKit.createTestProbe();
    r.dev.tell(new XptDevice.Action(new Ccb.Abort(header(r.path, stranger.getRef()), other.ccbId())));
    assertStatus(CamStatus.UA_ABORT, stranger.expectMessageClass(Ccb.Completed.class, WAIT));
    r.dev.tell(new XptDevice.ReleaseDevq(1, true));
    assertEquals(other, r.done.expectMessageClass(Ccb.Completed.class, WAIT).ccb());
  }

  @Test
  void missingTargetGivesSelectionTimeoutAndFreezes() {
    Rig r = new Rig();
    r.bus.targets.remove(0);
    Ccb.Completed c = r.run(read(r.path, 0, r.done.getRef()));
    assertStatus(CamStatus.SEL_TIMEOUT, c);
    assertTrue(c.devQueueFrozen());
    assertEquals(512, c.resid());
  }

  @Test
  void lostDeviceFlushesQueuedCcbsAndRefusesNewOnes() {
    Rig r = new Rig();
    r.dev.tell(new XptDevice.FreezeDevq(1));
    Ccb.ScsiIo queued = read(r.path, 0, r.done.getRef());
    r.send(queued);
    TestProbe<AsyncEvent> lost = r.x.subscribe(r.path, EnumSet.of(AsyncCode.AC_LOST_DEVICE));
    r.x.xpt.tell(new Xpt.RaiseAsync(new AsyncEvent.LostDevice(CamPath.target(r.path.bus(), 0))));
    assertEquals(r.path, lost.expectMessageClass(AsyncEvent.LostDevice.class, WAIT).path());
    Ccb.Completed c = r.done.expectMessageClass(Ccb.Completed.class, WAIT);
    assertEquals(queued, c.ccb());
    assertStatus(CamStatus.DEV_NOT_THERE, c);
    // the device entry is gone (no periphs held it): the XPT answers DEV_NOT_THERE itself
    TestProbe<Ccb.Completed> p = testKit.createTestProbe();
    assertStatus(CamStatus.DEV_NOT_THERE, r.x.action(tur(r.path, 0, p.getRef()), p));
  }

  @Test
  void lostDeviceWithAPeriphAttachedStaysAndAnswersDevNotThere() {
    Rig r = new Rig();
    TestProbe<Object> pass0 = testKit.createTestProbe();
    r.x.xpt.tell(new Xpt.AcquireDevice(r.path, pass0.getRef())); // cf. xpt_create_path() at registration
    r.x.xpt.tell(new Xpt.AddPeriph(r.path, "pass", 0));
    TestProbe<AsyncEvent> lost = r.x.subscribe(r.path, EnumSet.of(AsyncCode.AC_LOST_DEVICE));
    r.x.xpt.tell(new Xpt.RaiseAsync(new AsyncEvent.LostDevice(r.path)));
    lost.expectMessageClass(AsyncEvent.LostDevice.class, WAIT);
    assertStatus(CamStatus.DEV_NOT_THERE, r.run(tur(r.path, 0, r.done.getRef())));
    Ccb.DevMatchResult m = r.x.devMatch(CamPath.XPT);
    Ccb.DeviceMatch d = m.buses().get(0).devices().get(0);
    assertTrue(d.unconfigured());
    assertEquals(java.util.List.of("pass0"), d.periphs());
    // once the periph goes (off the list, then its reference after the destructor), the device goes
    r.x.xpt.tell(new Xpt.RemovePeriph(r.path, "pass", 0));
    r.x.xpt.tell(new Xpt.ReleaseDevice(r.path, pass0.getRef()));
    assertEquals(java.util.List.of(), r.x.devMatch(CamPath.XPT).buses().get(0).devices());
  }

  @Test
  void scheduleGrantsOpeningsAndCompletionsReturnThem() {
    Rig r = new Rig();
    r.relsim(Ccb.RelSimQ.ADJUST_OPENINGS, 2, 0, 0);
    TestProbe<XptDevice.Start> a = testKit.createTestProbe();
    TestProbe<XptDevice.Start> b = testKit.createTestProbe();
    r.dev.tell(new XptDevice.Schedule(CamPriority.NORMAL, 2, a.getRef()));
    assertEquals(new XptDevice.Start(CamPriority.NORMAL, 2), a.expectMessageClass(XptDevice.Start.class, WAIT));
    r.dev.tell(new XptDevice.Schedule(CamPriority.NORMAL, 1, b.getRef()));
    b.expectNoMessage(QUIET);
    r.run(tur(r.path, 0, r.done.getRef())); // returns one opening
    assertEquals(new XptDevice.Start(CamPriority.NORMAL, 1), b.expectMessageClass(XptDevice.Start.class, WAIT));
    assertEquals(2, r.stats().allocated());
    r.dev.tell(new XptDevice.ReleaseOpenings(2));
    assertEquals(0, r.stats().allocated());
  }

  @Test
  void scheduledActionRunsAtOnceWhenAnOpeningIsFreeAndIsDeclinedOtherwise() {
    Rig r = new Rig();
    r.relsim(Ccb.RelSimQ.ADJUST_OPENINGS, 2, 0, 0);
    TestProbe<XptDevice.Declined> declined = testKit.createTestProbe();
    TestProbe<XptDevice.Start> a = testKit.createTestProbe();
    // an opening is free and no one waits: granted and run in the same message
    Ccb first = tur(r.path, 0, r.done.getRef());
    r.dev.tell(new XptDevice.ScheduledAction(first, declined.getRef()));
    assertEquals(first, r.done.expectMessageClass(Ccb.Completed.class, WAIT).ccb());
    declined.expectNoMessage(QUIET);
    assertEquals(0, r.stats().allocated()); // its completion returned the opening it was granted
    // both openings granted to another periph: declined, nothing changed at the device
    r.dev.tell(new XptDevice.Schedule(CamPriority.NORMAL, 2, a.getRef()));
    assertEquals(new XptDevice.Start(CamPriority.NORMAL, 2), a.expectMessageClass(XptDevice.Start.class, WAIT));
    Ccb second = tur(r.path, 0, r.done.getRef());
    r.dev.tell(new XptDevice.ScheduledAction(second, declined.getRef()));
    assertEquals(new XptDevice.Declined(second), declined.expectMessageClass(XptDevice.Declined.class, WAIT));
    r.done.expectNoMessage(QUIET);
    assertEquals(2, r.stats().allocated());
    // one opening handed back and granted to yet another periph: still none free, declined again
    r.dev.tell(new XptDevice.ReleaseOpenings(1));
    TestProbe<XptDevice.Start> b = testKit.createTestProbe();
    r.dev.tell(new XptDevice.Schedule(CamPriority.NORMAL, 2, b.getRef()));
    assertEquals(new XptDevice.Start(CamPriority.NORMAL, 1), b.expectMessageClass(XptDevice.Start.class, WAIT));
    Ccb third = tur(r.path, 0, r.done.getRef());
    r.dev.tell(new XptDevice.ScheduledAction(third, declined.getRef()));
    assertEquals(new XptDevice.Declined(third), declined.expectMessageClass(XptDevice.Declined.class, WAIT));
    r.dev.tell(new XptDevice.ReleaseOpenings(3));
    // nobody waits and the openings are free again: runs, and completes exactly once
    r.dev.tell(new XptDevice.ScheduledAction(third, declined.getRef()));
    assertEquals(third, r.done.expectMessageClass(Ccb.Completed.class, WAIT).ccb());
    r.done.expectNoMessage(QUIET);
    declined.expectNoMessage(QUIET);
  }

  @Test
  void malformedCcbsCompleteWithAnErrorStatus() {
    Rig r = new Rig();
    Ccb.ScsiIo empty = new Ccb.ScsiIo(header(r.path, r.done.getRef()), ByteString.emptyByteString(), ByteString.emptyByteString(), 0);
    assertStatus(CamStatus.REQ_INVALID, r.run(empty));
    r.dev.tell(new XptDevice.ReleaseDevq(1, true));
    assertStatus(CamStatus.PATH_INVALID, r.run(tur(CamPath.of(r.path.bus(), 1, 0), 0, r.done.getRef())));
    TestProbe<Ccb.Completed> p = testKit.createTestProbe();
    assertStatus(CamStatus.DEV_NOT_THERE, r.x.action(tur(CamPath.of(r.path.bus(), 2, 0), 0, p.getRef()), p));
    assertStatus(CamStatus.REQ_INVALID, r.x.action(tur(CamPath.target(r.path.bus(), 0), 0, p.getRef()), p));
    assertStatus(CamStatus.PATH_INVALID, r.x.action(tur(CamPath.of(9, 0, 0), 0, p.getRef()), p));
    assertStatus(CamStatus.PATH_INVALID, r.x.action(tur(CamPath.XPT, 0, p.getRef()), p));
    assertStatus(CamStatus.DEV_NOT_THERE, r.x.action(new Ccb.GetDevType(header(CamPath.of(r.path.bus(), 0, 5), p.getRef())), p));
  }

  @Test
  void resetDevSendsBdrAndTheLunReportsTheReset() {
    Rig r = new Rig();
    TestProbe<AsyncEvent> ev = r.x.subscribe(CamPath.bus(r.path.bus()), EnumSet.of(AsyncCode.AC_SENT_BDR, AsyncCode.AC_BUS_RESET));
    assertStatus(CamStatus.REQ_CMP, r.run(new Ccb.ResetDev(header(r.path, r.done.getRef()))));
    assertEquals(CamPath.target(r.path.bus(), 0), ev.expectMessageClass(AsyncEvent.SentBdr.class, WAIT).path());
    Ccb.Completed c = r.run(tur(r.path, 0, r.done.getRef()));
    assertEquals(0x29, Sense.asc(c.sense()));
    assertEquals(0x03, Sense.ascq(c.sense()));
    r.dev.tell(new XptDevice.ReleaseDevq(1, true));

    TestProbe<Ccb.Completed> p = testKit.createTestProbe();
    assertStatus(CamStatus.REQ_CMP, r.x.action(new Ccb.ResetBus(header(CamPath.bus(r.path.bus()), p.getRef())), p));
    assertEquals(CamPath.bus(r.path.bus()), ev.expectMessageClass(AsyncEvent.BusReset.class, WAIT).path());
    Ccb.Completed c2 = r.run(tur(r.path, 0, r.done.getRef()));
    assertEquals(0x29, Sense.asc(c2.sense()));
    assertEquals(0x02, Sense.ascq(c2.sense()));
    assertTrue(r.stats().lastResetMillis() > 0);
    long pathReset =
        r.x.action(new Ccb.PathStats(header(CamPath.bus(r.path.bus()), p.getRef())), p).resultAs(Ccb.PathStatsResult.class).lastResetMillis();
    assertTrue(pathReset > 0);
  }
}
