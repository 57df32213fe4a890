package org.camstack.stack.periph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.lifetime.DeviceIdentity;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.persistence.audit.ViolationKind;
import org.camstack.stack.scsi.pass.PassPeriph;
import org.camstack.stack.testkit.PeriphRig;
import org.camstack.stack.testkit.TestDevices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The lifetime invariants I1-I7 (style.md B6), one test each, plus hold/unhold and DumpRefs. */
@ExtendWith(LogCapturingExtension.class)
class LifetimeInvariantsTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static final CamPath D = CamPath.of(0, 4, 0);

  private final PeriphRig rig = new PeriphRig(testKit, PassPeriph.SPEC, false);

  private ActorRef<Periph.Command> pass0() {
    rig.found(TestDevices.disk(D));
    ActorRef<Periph.Command> p = rig.awaitUnitAt(D).periph();
    PeriphRig.answerPhysPath(rig.nextCcb(D), "");
    rig.awaitNode("pass0");
    return p;
  }

  private <T extends LifetimeEvent> List<T> events(Class<T> type) {
    return rig.checker.eventsOf(type);
  }

  private void awaitCount(Class<? extends LifetimeEvent> type, int n) {
    TestProbe<Object> p = testKit.createTestProbe();
    p.awaitAssert(
        () -> {
          assertEquals(n, events(type).size(), type.getSimpleName());
          return null;
        });
  }

  @Test
  void i1AcquireAfterInvalidateIsRefused() {
    ActorRef<Periph.Command> p = pass0();
    assertTrue(rig.acquire(p, RefToken.TOOL).isSuccess());
    p.tell(new Periph.Release(RefToken.TOOL));

    p.tell(new Periph.Invalidate("test"));
    StatusReply<Done> r = rig.acquire(p, RefToken.TOOL);

    assertTrue(r.isError());
    assertEquals(1, events(LifetimeEvent.AcquireRefused.class).size());
    assertEquals(List.of(), rig.checker.violations());
  }

  @Test
  void i2InvalidateIsIdempotent() {
    ActorRef<Periph.Command> p = pass0();

    p.tell(new Periph.Invalidate("first"));
    p.tell(new Periph.Invalidate("second"));
    rig.lost(D); // and the async path too
    Periph.Refs refs = rig.refs(p);

    assertTrue(refs.invalid());
    assertEquals(Map.of(RefToken.DEVFS, 1), refs.held()); // ALLOC dropped once
    assertEquals(1, events(LifetimeEvent.PeriphInvalidated.class).size());
    assertEquals("first", events(LifetimeEvent.PeriphInvalidated.class).get(0).cause());
    assertEquals(1, events(LifetimeEvent.NodeDestroyRequested.class).size());
  }

  @Test
  void i3TheUnitIsFreedOnlyAfterDevfsReportsTheNodeGone() {
    ActorRef<Periph.Command> p = pass0();

    p.tell(new Periph.Invalidate("AC_LOST_DEVICE"));
    rig.awaitDestroyRequested("pass0");
    assertEquals(Map.of(RefToken.DEVFS, 1), rig.refs(p).held());
    assertEquals(0, events(LifetimeEvent.UnitFreed.class).size());
    assertEquals(0, rig.units().unit(0).unit());

    rig.runDestroyTask();
    testKit.createTestProbe().expectTerminated(p);
    awaitCount(LifetimeEvent.UnitFreed.class, 1);
    assertTrue(rig.units().units().isEmpty());
  }

  @Test
  void i4TheDestructorRunsBeforeTheUnitIsFreed() {
    ActorRef<Periph.Command> p = pass0();
    p.tell(new Periph.Invalidate("test"));
    rig.destroyTaskFor("pass0");
    awaitCount(LifetimeEvent.UnitFreed.class, 1);

    List<LifetimeEvent> ev = rig.checker.events();
    int dtor = ev.indexOf(events(LifetimeEvent.DestructorRun.class).get(0));
    int freed = ev.indexOf(events(LifetimeEvent.UnitFreed.class).get(0));
    assertTrue(dtor < freed);
    assertEquals(List.of(), rig.checker.violations());
  }

  @Test
  void i4InLegacyModeTheUnitIsFreedBeforeTheDestructorAndTheCheckerSaysSo() {
    PeriphRig legacy = new PeriphRig(testKit, PassPeriph.SPEC, true);
    legacy.found(TestDevices.disk(D));
    ActorRef<Periph.Command> p = legacy.awaitUnitAt(D).periph();
    PeriphRig.answerPhysPath(legacy.nextCcb(D), "");
    legacy.awaitNode("pass0");

    p.tell(new Periph.Invalidate("test"));
    testKit.createTestProbe().expectTerminated(p);

    // the driver frees the unit after the periph stopped, and the checker drains its inbox on its own
    // time: wait for the verdict rather than read it at the instant the periph died
    testKit.createTestProbe().awaitAssert(
        () -> {
          assertTrue(
              legacy.checker.violations().stream().anyMatch(v -> v.kind() == ViolationKind.UNIT_FREED_EARLY),
              legacy.checker.violations().toString());
          return null;
        });
  }

  @Test
  void i5AnUnbalancedExternalReleaseOrUnholdIsAnsweredWithAnErrorNotACrash() {
    ActorRef<Periph.Command> p = pass0();
    TestProbe<StatusReply<Done>> r = testKit.createTestProbe();

    p.tell(new Periph.Release(RefToken.OPEN, r.getRef())); // held, but by devfs opens, not a client
    assertTrue(r.receiveMessage().isError());
    p.tell(new Periph.Release(RefToken.DEVFS, r.getRef())); // the periph's own
    assertTrue(r.receiveMessage().isError());
    p.tell(new Periph.Unhold(r.getRef())); // nobody holds
    assertTrue(r.receiveMessage().isError());

    assertTrue(rig.acquire(p, RefToken.TOOL).isSuccess());
    p.tell(new Periph.Release(RefToken.TOOL, r.getRef()));
    assertTrue(r.receiveMessage().isSuccess());
    p.tell(new Periph.Release(RefToken.TOOL, r.getRef())); // once too often
    assertTrue(r.receiveMessage().isError());

    assertEquals(Map.of(RefToken.ALLOC, 1, RefToken.DEVFS, 1), rig.refs(p).held()); // alive, intact
    assertEquals(List.of(), rig.checker.violations());
  }

  @Test
  void aHoldWaiterThatGaveUpIsNeverGrantedAndHoldDoesNotLeak() {
    ActorRef<Periph.Command> p = pass0();
    TestProbe<StatusReply<Done>> holder = testKit.createTestProbe();
    TestProbe<StatusReply<Done>> quitter = testKit.createTestProbe();
    p.tell(new Periph.Hold(holder.getRef()));
    assertTrue(holder.receiveMessage().isSuccess());
    p.tell(new Periph.Hold(quitter.getRef()));
    assertEquals(2, rig.refs(p).held().get(RefToken.HOLD));

    quitter.stop(); // its ask timed out: the waiting actor is gone (cf. PCATCH, EINTR)
    TestProbe<Object> w = testKit.createTestProbe();
    w.awaitAssert(
        () -> {
          assertEquals(1, rig.refs(p).held().get(RefToken.HOLD), "the waiter's HOLD is dropped");
          return null;
        });
    p.tell(new Periph.Unhold());

    TestProbe<StatusReply<Done>> next = testKit.createTestProbe();
    p.tell(new Periph.Hold(next.getRef()));
    assertTrue(next.receiveMessage().isSuccess(), "the section is free: nobody dead holds it");
    assertEquals(1, rig.refs(p).held().get(RefToken.HOLD));
  }

  @Test
  void aCancelThatCrossesTheGrantGivesTheSectionBack() {
    ActorRef<Periph.Command> p = pass0();
    TestProbe<StatusReply<Done>> holder = testKit.createTestProbe();
    TestProbe<StatusReply<Done>> waiter = testKit.createTestProbe();
    TestProbe<StatusReply<Done>> queued = testKit.createTestProbe();
    p.tell(new Periph.Hold(holder.getRef()));
    assertTrue(holder.receiveMessage().isSuccess());
    p.tell(new Periph.Hold(waiter.getRef()));
    p.tell(new Periph.Hold(queued.getRef()));

    p.tell(new Periph.CancelHold(queued.getRef())); // still queued: dropped, never granted
    p.tell(new Periph.Unhold());
    assertTrue(waiter.receiveMessage().isSuccess()); // granted ...
    p.tell(new Periph.CancelHold(waiter.getRef())); // ... while it gave up: the section goes back

    assertFalse(rig.refs(p).held().containsKey(RefToken.HOLD));
    queued.expectNoMessage(PeriphRig.SHORT);
  }

  @Test
  void holdWithATimeoutCancelsItselfOnTimeout() throws Exception {
    ActorRef<Periph.Command> p = pass0();
    TestProbe<StatusReply<Done>> holder = testKit.createTestProbe();
    p.tell(new Periph.Hold(holder.getRef()));
    assertTrue(holder.receiveMessage().isSuccess());

    java.util.concurrent.CompletableFuture<Done> gaveUp =
        Periph.hold(p, java.time.Duration.ofMillis(1), testKit.scheduler()).toCompletableFuture();
    java.util.concurrent.ExecutionException failed =
        org.junit.jupiter.api.Assertions.assertThrows(
            java.util.concurrent.ExecutionException.class, () -> gaveUp.get(5, java.util.concurrent.TimeUnit.SECONDS));
    assertTrue(failed.getCause() instanceof java.util.concurrent.TimeoutException, failed.toString());
    TestProbe<Object> w = testKit.createTestProbe();
    w.awaitAssert(
        () -> {
          assertEquals(1, rig.refs(p).held().get(RefToken.HOLD));
          return null;
        });
    p.tell(new Periph.Unhold());
    assertTrue(Periph.hold(p, java.time.Duration.ofSeconds(5), testKit.scheduler()).toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS) != null);
  }

  @Test
  void i6EveryCcbCompletesExactlyOnceAlsoAcrossInvalidation() {
    ActorRef<Periph.Command> p = pass0();
    Devfs.FileHandle fh = rig.openOk("pass0");
    Ccb.ScsiIo tur =
        new Ccb.ScsiIo(
            new Ccb.Header(9, D, CamPriority.NORMAL, CcbFlags.DIR_NONE, 5000, 0, testKit.<Ccb.Completed>createTestProbe().getRef()),
            ByteString.fromArray(new byte[6]),
            ByteString.emptyByteString(),
            0);
    TestProbe<Devfs.DevReply> reply = rig.ioctl(fh, new PassPeriph.CamIoCommand(tur));
    Ccb sent = rig.nextCcb(D);
    assertEquals(Map.of(RefToken.DEVFS, 1, RefToken.ALLOC, 1, RefToken.OPEN, 1, RefToken.CCB, 1), rig.refs(p).held());

    p.tell(new Periph.Invalidate("AC_LOST_DEVICE"));
    PeriphRig.complete(sent, CamStatus.DEV_NOT_THERE); // the device queue flushes it
    PeriphRig.complete(sent, CamStatus.REQ_CMP); // a second completion is a transport bug

    Devfs.DevReply r = reply.receiveMessage();
    assertEquals(CamStatus.DEV_NOT_THERE, ((PassPeriph.CamIoResult) r.result()).completed().status());
    reply.expectNoMessage(PeriphRig.SHORT);
    TestProbe<Object> w = testKit.createTestProbe();
    w.awaitAssert(
        () -> {
          assertEquals(
              List.of(ViolationKind.CCB_COMPLETED_TWICE),
              rig.checker.violations().stream().map(v -> v.kind()).toList());
          return null;
        });
    assertEquals(0, rig.refs(p).ccbsOutstanding());
  }

  @Test
  void i7EventsCarryTheDeviceIdentityNotTheUnit() {
    CamPath a = CamPath.of(0, 1, 0);
    CamPath b = CamPath.of(0, 2, 0);
    rig.found(TestDevices.disk(a));
    PeriphRig.answerPhysPath(rig.nextCcb(a), "");
    rig.awaitNode("pass0");
    rig.lost(a);
    rig.destroyTaskFor("pass0");
    awaitCount(LifetimeEvent.UnitFreed.class, 1);
    rig.found(TestDevices.disk(b)); // another device gets unit 0 again
    PeriphRig.answerPhysPath(rig.nextCcb(b), "");
    awaitCount(LifetimeEvent.PeriphRegistered.class, 2);

    List<LifetimeEvent.PeriphRegistered> reg = events(LifetimeEvent.PeriphRegistered.class);
    assertEquals(reg.get(0).periphName(), reg.get(1).periphName());
    assertNotEquals(reg.get(0).incarnation(), reg.get(1).incarnation()); // generation differs
    assertNotEquals(reg.get(0).deviceId(), reg.get(1).deviceId());
    assertEquals(DeviceIdentity.of(TestDevices.disk(a)).key(), reg.get(0).deviceId());
    assertTrue(reg.get(0).deviceId().startsWith("naa.5000c5"), reg.get(0).deviceId());
  }

  @Test
  void holdIsExclusiveAndWaitersAreServedInOrderOrRefusedOnceInvalid() {
    ActorRef<Periph.Command> p = pass0();
    TestProbe<StatusReply<Done>> first = testKit.createTestProbe();
    TestProbe<StatusReply<Done>> second = testKit.createTestProbe();
    TestProbe<StatusReply<Done>> third = testKit.createTestProbe();

    p.tell(new Periph.Hold(first.getRef()));
    assertTrue(first.receiveMessage().isSuccess());
    p.tell(new Periph.Hold(second.getRef()));
    p.tell(new Periph.Hold(third.getRef()));
    second.expectNoMessage(PeriphRig.SHORT);
    assertEquals(3, rig.refs(p).held().get(RefToken.HOLD));

    p.tell(new Periph.Unhold());
    assertTrue(second.receiveMessage().isSuccess());
    third.expectNoMessage(PeriphRig.SHORT);

    p.tell(new Periph.Invalidate("test"));
    p.tell(new Periph.Unhold());
    assertTrue(third.receiveMessage().isError()); // woke up, periph invalid: ENXIO
    assertFalse(rig.refs(p).held().containsKey(RefToken.HOLD));

    TestProbe<StatusReply<Done>> late = testKit.createTestProbe();
    p.tell(new Periph.Hold(late.getRef()));
    assertTrue(late.receiveMessage().isError());
  }

  @Test
  void dumpRefsNamesEveryReferenceByReason() {
    ActorRef<Periph.Command> p = pass0();
    rig.openOk("pass0");
    rig.openOk("pass0");
    rig.acquire(p, RefToken.TOOL);

    Periph.Refs refs = rig.refs(p);

    assertEquals(
        Map.of(RefToken.ALLOC, 1, RefToken.DEVFS, 1, RefToken.OPEN, 2, RefToken.TOOL, 1), refs.held());
    assertEquals("pass0", refs.node());
    assertEquals(5, refs.total());
  }
}
