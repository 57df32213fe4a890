package org.camstack.stack.xpt;

import static org.camstack.stack.xpt.XptFixture.assertStatus;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.sim.EmuBus;
import org.camstack.stack.target.CommandRouter;
import org.camstack.stack.testkit.LaterRouter;
import org.camstack.stack.target.EmuDevice;
import org.camstack.stack.target.EmuDevices;
import org.camstack.stack.target.LunSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A command a LUN forwards to another node (a clustered LUN's copy, {@link CommandRouter}) does not
 * block its device queue's thread: both LUNs' queues run on ONE dispatcher thread, the router
 * answers later from the test's thread, and meanwhile the other LUN completes. The pending CCB waits
 * as an asynchronous SIM's does: its timeout is armed (ManualTime), a late answer is counted and
 * dropped, an answer the owner delayed is held back, and the LUN stays held until the answer came.
 */
class ForwardedCcbTest {

  private static final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString(
          "one-thread { type = Dispatcher, executor = thread-pool-executor, thread-pool-executor.fixed-pool-size = 1, throughput = 1 }")
      .withFallback(ManualTime.config()));
  private static final ManualTime time = ManualTime.get(testKit.system());
  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final CamPath ROUTED = CamPath.of(0, 0, 0);
  private static final CamPath LOCAL = CamPath.of(0, 0, 1);

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private final EmuBus bus = new EmuBus();
  private final EmuDevice routed = EmuDevices.create(LunSpec.disk(0, 1000, 512), null);
  private final EmuDevice local = EmuDevices.create(LunSpec.disk(1, 1000, 512), null);
  private final LaterRouter router = new LaterRouter();
  private final TestProbe<Xpt.Command> xpt = testKit.createTestProbe();
  private final TestProbe<Ccb.Completed> done = testKit.createTestProbe();
  private final ActorRef<XptDevice.Command> routedQueue;
  private final ActorRef<XptDevice.Command> localQueue;

  ForwardedCcbTest() {
    bus.attach(0, routed);
    bus.attach(0, local);
    routed.setRouter(router);
    routed.clearUnitAttentions();
    local.clearUnitAttentions();
    DispatcherSelector oneThread = DispatcherSelector.fromConfig("one-thread");
    routedQueue = testKit.spawn(XptDevice.create(ROUTED, bus, 7, 8, Duration.ofSeconds(30), xpt.getRef()), "routed-" + XptFixture.nextId(), oneThread);
    localQueue = testKit.spawn(XptDevice.create(LOCAL, bus, 7, 8, Duration.ofSeconds(30), xpt.getRef()), "local-" + XptFixture.nextId(), oneThread);
  }

  /** Whatever a failing test left forwarded is answered, so that no thread stays parked on it. */
  @AfterEach
  void answerTheRest() {
    router.answerAll();
  }

  private Ccb.ScsiIo read(CamPath path, int timeoutMs) {
    byte[] cdb = new byte[10];
    cdb[0] = 0x28;
    cdb[8] = 1;
    Ccb.Header h = new Ccb.Header(XptFixture.nextId(), path, CamPriority.NORMAL, CcbFlags.DIR_IN, timeoutMs, 0, done.getRef());
    return new Ccb.ScsiIo(h, ByteString.fromArrayUnsafe(cdb), ByteString.emptyByteString(), 512);
  }

  private XptDevice.Counters counters(ActorRef<XptDevice.Command> dev) {
    TestProbe<XptDevice.Counters> p = testKit.createTestProbe();
    dev.tell(new XptDevice.GetCounters(p.getRef()));
    return p.expectMessageClass(XptDevice.Counters.class, WAIT);
  }

  private static ByteString block(int fill) {
    byte[] b = new byte[512];
    java.util.Arrays.fill(b, (byte) fill);
    return ByteString.fromArrayUnsafe(b);
  }

  @Test
  void aForwardedCcbPendingDoesNotStopAnotherLunOnTheSameThread() throws Exception {
    Ccb.ScsiIo first = read(ROUTED, 30_000);
    routedQueue.tell(new XptDevice.Action(first));
    LaterRouter.Forwarded f = router.next();
    assertEquals(0x28, f.cdb().apply(0) & 0xff);
    assertEquals(1, routed.tasksInFlight(), "the LUN is held while its answer is pending");

    Ccb.ScsiIo second = read(LOCAL, 30_000);
    localQueue.tell(new XptDevice.Action(second));
    Ccb.Completed c2 = done.expectMessageClass(Ccb.Completed.class, WAIT);
    assertEquals(second, c2.ccb(), "the local LUN completes while the forwarded command is pending");
    assertStatus(CamStatus.REQ_CMP, c2);

    f.done().accept(ScsiResponse.good(block(0x5a), 512)); // the owner answers, on this thread
    Ccb.Completed c1 = done.expectMessageClass(Ccb.Completed.class, WAIT);
    assertEquals(first, c1.ccb());
    assertStatus(CamStatus.REQ_CMP, c1);
    assertArrayEquals(block(0x5a).toArray(), c1.data().toArray());
    assertEquals(0, routed.tasksInFlight(), "released once the answer was delivered");
    assertEquals(0, counters(routedQueue).lateCompletions());
  }

  @Test
  void aForwardedCcbTimesOutAtItsTimeoutAndTheLateAnswerIsDroppedAndReleasesTheLun() throws Exception {
    Ccb.ScsiIo io = read(ROUTED, 1000);
    routedQueue.tell(new XptDevice.Action(io));
    LaterRouter.Forwarded f = router.next();
    counters(routedQueue); // the timeout is armed
    time.timePasses(Duration.ofMillis(999));
    done.expectNoMessage(Duration.ofMillis(50));
    time.timePasses(Duration.ofMillis(1));
    Ccb.Completed c = done.expectMessageClass(Ccb.Completed.class, WAIT);
    assertEquals(io, c.ccb());
    assertStatus(CamStatus.CMD_TIMEOUT, c);

    bus.detach(0, 0); // the LUN is removed while its forwarded command is out
    assertFalse(routed.isFreed(), "not freed before the forwarded command's answer came");
    f.done().accept(ScsiResponse.GOOD);
    assertTrue(routed.isFreed(), "freed when the late answer came");
    XptDevice.Counters k = counters(routedQueue);
    assertEquals(1, k.timedOut());
    assertEquals(1, k.lateCompletions());
    done.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void anAnswerTheOwnerDelayedIsHeldBackForItsDelay() throws Exception {
    Ccb.ScsiIo io = read(ROUTED, 1000);
    routedQueue.tell(new XptDevice.Action(io));
    router.next().done().accept(ScsiResponse.good(block(1), 512).withDelay(Duration.ofMillis(200).toNanos()));
    counters(routedQueue); // the answer arrived, its delay is scheduled
    time.timePasses(Duration.ofMillis(199));
    done.expectNoMessage(Duration.ofMillis(50));
    time.timePasses(Duration.ofMillis(1));
    Ccb.Completed c = done.expectMessageClass(Ccb.Completed.class, WAIT);
    assertStatus(CamStatus.REQ_CMP, c);
    assertEquals(512, c.data().size());
    time.timePasses(Duration.ofSeconds(2)); // the CCB timeout was cancelled
    done.expectNoMessage(Duration.ofMillis(50));
    assertEquals(0, counters(routedQueue).timedOut());
  }

  @Test
  void aRouterThatAnswersAtOnceCompletesInlineWithoutWaiting() {
    routed.setRouter((device, cdb, dataOut, dxferLen, initiatorId, answer) -> answer.accept(ScsiResponse.good(block(7), dxferLen)));
    Ccb.ScsiIo io = read(ROUTED, 1000);
    routedQueue.tell(new XptDevice.Action(io));
    Ccb.Completed c = done.expectMessageClass(Ccb.Completed.class, WAIT);
    assertStatus(CamStatus.REQ_CMP, c);
    assertArrayEquals(block(7).toArray(), c.data().toArray());
    assertEquals(0, routed.tasksInFlight());
  }
}
