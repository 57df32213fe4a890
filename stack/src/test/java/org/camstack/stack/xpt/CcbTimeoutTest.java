package org.camstack.stack.xpt;

import static org.camstack.stack.xpt.XptFixture.assertStatus;
import static org.camstack.stack.xpt.XptFixture.header;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.scsi.ScsiResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Delayed and dropped device answers: the only CCBs that arm timers. Runs on ManualTime, so the
 * clock moves only when the test says so. The device queue is driven directly (no scan: the probe
 * would need the clock too).
 */
class CcbTimeoutTest {

  private static final ActorTestKit testKit = ActorTestKit.create(ManualTime.config());
  private static final ManualTime time = ManualTime.get(testKit.system());
  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final CamPath PATH = CamPath.of(0, 0, 0);

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private final FakeBus bus = new FakeBus(1, 0, 7);
  private final FakeBus.Lun lun = bus.addLun(0, 0);
  private final TestProbe<Xpt.Command> xpt = testKit.createTestProbe();
  private final ActorRef<XptDevice.Command> dev =
      testKit.spawn(XptDevice.create(PATH, bus, 7, 8, Duration.ofSeconds(30), xpt.getRef()));
  private final TestProbe<Ccb.Completed> done = testKit.createTestProbe();

  private Ccb.ScsiIo io(int timeoutMs) {
    byte[] cdb = new byte[10];
    cdb[0] = 0x28;
    cdb[8] = 1;
    Ccb.Header h = new Ccb.Header(XptFixture.nextId(), PATH, CamPriority.NORMAL, CcbFlags.DIR_IN, timeoutMs, 0, done.getRef());
    return new Ccb.ScsiIo(h, ByteString.fromArrayUnsafe(cdb), ByteString.emptyByteString(), 512);
  }

  private XptDevice.Counters counters() {
    TestProbe<XptDevice.Counters> p = testKit.createTestProbe();
    dev.tell(new XptDevice.GetCounters(p.getRef()));
    return p.expectMessageClass(XptDevice.Counters.class, WAIT);
  }

  /** Makes sure the device processed everything sent so far (its timers are scheduled). */
  private void sync() {
    counters();
  }

  @Test
  void droppedAnswerTimesOutWithCmdTimeoutAndFreezesTheQueue() {
    lun.faultHook = cdb -> ScsiResponse.DROPPED;
    Ccb.ScsiIo io = io(1000);
    dev.tell(new XptDevice.Action(io));
    sync();
    time.timePasses(Duration.ofMillis(999));
    done.expectNoMessage(Duration.ofMillis(50));
    time.timePasses(Duration.ofMillis(1));
    Ccb.Completed c = done.expectMessageClass(Ccb.Completed.class, WAIT);
    assertEquals(io, c.ccb());
    assertStatus(CamStatus.CMD_TIMEOUT, c);
    assertTrue(c.devQueueFrozen());
    assertEquals(1, counters().timedOut());
    lun.faultHook = null;
    dev.tell(new XptDevice.ReleaseDevq(1, true));
    assertStatus(CamStatus.REQ_CMP, runAt0(io(1000)));
  }

  private Ccb.Completed runAt0(Ccb.ScsiIo io) {
    dev.tell(new XptDevice.Action(io));
    Ccb.Completed c = done.expectMessageClass(Ccb.Completed.class, WAIT);
    assertEquals(io, c.ccb());
    return c;
  }

  @Test
  void delayedAnswerCompletesAfterItsDelayWithItsData() {
    lun.faultHook = cdb -> ScsiResponse.good(ByteString.fromArrayUnsafe(new byte[512]), 512).withDelay(Duration.ofMillis(200).toNanos());
    Ccb.ScsiIo io = io(1000);
    dev.tell(new XptDevice.Action(io));
    sync();
    time.timePasses(Duration.ofMillis(150));
    done.expectNoMessage(Duration.ofMillis(50));
    time.timePasses(Duration.ofMillis(50));
    Ccb.Completed c = done.expectMessageClass(Ccb.Completed.class, WAIT);
    assertStatus(CamStatus.REQ_CMP, c);
    assertEquals(512, c.data().size());
    // the timeout was cancelled: nothing more ever comes
    time.timePasses(Duration.ofSeconds(2));
    done.expectNoMessage(Duration.ofMillis(50));
    XptDevice.Counters k = counters();
    assertEquals(0, k.timedOut());
    assertEquals(0, k.lateCompletions());
  }

  @Test
  void answerLaterThanTheTimeoutCompletesOnceWithCmdTimeoutAndTheLateOneIsCountedAndDropped() {
    lun.faultHook = cdb -> ScsiResponse.GOOD.withDelay(Duration.ofMillis(500).toNanos());
    Ccb.ScsiIo io = io(100);
    dev.tell(new XptDevice.Action(io));
    sync();
    time.timePasses(Duration.ofMillis(100));
    Ccb.Completed c = done.expectMessageClass(Ccb.Completed.class, WAIT);
    assertStatus(CamStatus.CMD_TIMEOUT, c);
    time.timePasses(Duration.ofMillis(400));
    done.expectNoMessage(Duration.ofMillis(50));
    XptDevice.Counters k = counters();
    assertEquals(1, k.timedOut());
    assertEquals(1, k.lateCompletions());
  }

  @Test
  void infiniteTimeoutWaitsForeverUntilAborted() {
    lun.faultHook = cdb -> ScsiResponse.DROPPED;
    Ccb.ScsiIo io = io(Ccb.Header.TIME_INFINITY);
    dev.tell(new XptDevice.Action(io));
    sync();
    time.timePasses(Duration.ofHours(1));
    done.expectNoMessage(Duration.ofMillis(50));
    Ccb.Abort abort = new Ccb.Abort(header(PATH, done.getRef()), io.ccbId());
    dev.tell(new XptDevice.Action(abort));
    assertStatus(CamStatus.REQ_ABORTED, done.expectMessageClass(Ccb.Completed.class, WAIT));
    assertStatus(CamStatus.REQ_CMP, done.expectMessageClass(Ccb.Completed.class, WAIT));
    assertEquals(1, counters().aborted());
  }

  @Test
  void defaultTimeoutAppliesWhenTheHeaderSaysZero() {
    lun.faultHook = cdb -> ScsiResponse.DROPPED;
    dev.tell(new XptDevice.Action(io(0)));
    sync();
    time.timePasses(Duration.ofSeconds(29));
    done.expectNoMessage(Duration.ofMillis(50));
    time.timePasses(Duration.ofSeconds(1));
    assertStatus(CamStatus.CMD_TIMEOUT, done.expectMessageClass(Ccb.Completed.class, WAIT));
  }

  @Test
  void delayedCcbsHoldOpeningsAndLaterCcbsQueueBehindThem() {
    lun.faultHook = cdb -> ScsiResponse.GOOD.withDelay(Duration.ofMillis(10).toNanos());
    dev.tell(new XptDevice.SetTags(2));
    Ccb.ScsiIo a = io(1000);
    Ccb.ScsiIo b = io(1000);
    Ccb.ScsiIo c = io(1000);
    dev.tell(new XptDevice.Action(a));
    dev.tell(new XptDevice.Action(b));
    dev.tell(new XptDevice.Action(c));
    sync();
    TestProbe<Ccb.Completed> stats = testKit.createTestProbe();
    dev.tell(new XptDevice.Action(new Ccb.GetDevStats(header(PATH, stats.getRef()))));
    Ccb.DevStatsResult s = stats.expectMessageClass(Ccb.Completed.class, WAIT).resultAs(Ccb.DevStatsResult.class);
    assertEquals(2, s.devActive());
    assertEquals(1, s.queued());
    time.timePasses(Duration.ofMillis(10));
    // both timers are due at the same instant: either may fire first
    assertEquals(
        java.util.Set.of(a, b),
        java.util.Set.of(done.expectMessageClass(Ccb.Completed.class, WAIT).ccb(), done.expectMessageClass(Ccb.Completed.class, WAIT).ccb()));
    sync(); // c went to the SIM when a completed; its delay timer is now armed
    time.timePasses(Duration.ofMillis(10));
    assertEquals(c, done.expectMessageClass(Ccb.Completed.class, WAIT).ccb());
  }

  @Test
  void busResetCompletesHeldCcbsWithScsiBusReset() {
    lun.faultHook = cdb -> ScsiResponse.DROPPED;
    Ccb.ScsiIo io = io(5000);
    dev.tell(new XptDevice.Action(io));
    dev.tell(new XptDevice.Reset(CamStatus.SCSI_BUS_RESET, 1));
    Ccb.Completed c = done.expectMessageClass(Ccb.Completed.class, WAIT);
    assertStatus(CamStatus.SCSI_BUS_RESET, c);
    assertTrue(c.devQueueFrozen());
    time.timePasses(Duration.ofSeconds(10));
    done.expectNoMessage(Duration.ofMillis(50));
  }
}
