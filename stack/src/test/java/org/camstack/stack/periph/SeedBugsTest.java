package org.camstack.stack.periph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.ccb.Errno;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.persistence.audit.ViolationKind;
import org.camstack.stack.scsi.pass.PassPeriph;
import org.camstack.stack.scsi.ses.SesPeriph;
import org.camstack.stack.testkit.PeriphRig;
import org.camstack.stack.testkit.TestDevices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The four lifetime bugs of FreeBSD commit ea37f51942, each as a deterministic scenario run twice:
 * in fixed mode it passes with no violation, in legacy (2012-pre) mode the violation the kernel
 * suffered is detected. Timelines: docs/lifetime.md.
 */
@ExtendWith(LogCapturingExtension.class)
class SeedBugsTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static CamPath target(int t) {
    return CamPath.of(0, t, 0);
  }

  private static PeriphDriver.UnitInfo attachPass(PeriphRig rig, CamPath path) {
    rig.found(TestDevices.disk(path));
    PeriphDriver.UnitInfo u = rig.awaitUnitAt(path);
    PeriphRig.answerPhysPath(rig.nextCcb(path), "");
    return u;
  }

  private static void awaitEvent(PeriphRig rig, Class<? extends LifetimeEvent> type, String periph) {
    TestProbe<Object> p = testKit.createTestProbe();
    p.awaitAssert(
        () -> {
          boolean seen = false;
          for (LifetimeEvent e : rig.checker.eventsOf(type)) {
            seen |= e.periphName().equals(periph);
          }
          assertTrue(seen, type.getSimpleName() + " of " + periph);
          return null;
        });
  }

  private static List<LifetimeEvent.ProtocolViolation> awaitViolation(PeriphRig rig, ViolationKind kind) {
    TestProbe<Object> p = testKit.createTestProbe();
    return p.awaitAssert(
        () -> {
          List<LifetimeEvent.ProtocolViolation> v =
              rig.checker.violations().stream().filter(x -> x.kind() == kind).toList();
          assertTrue(!v.isEmpty(), "no " + kind + " in " + rig.checker.violations());
          return v;
        });
  }

  private static void assertClean(PeriphRig rig) {
    assertEquals(List.of(), rig.checker.violations());
    assertEquals(List.of(), rig.devfsViolations());
  }

  // ---------------------------------------------------------------------------------------------
  // Bug A: unit reuse while the old node is still in devfs

  /** open pass3, lose the device, close, rescan before devfs ran the destroy task. */
  private PeriphRig bugA(boolean legacy) {
    PeriphRig rig = new PeriphRig(testKit, PassPeriph.SPEC, legacy);
    for (int t = 0; t < 4; t++) {
      attachPass(rig, target(t));
    }
    rig.awaitNode("pass3");
    Devfs.FileHandle fh = rig.openOk("pass3");

    rig.lost(target(3));
    if (legacy) {
      awaitEvent(rig, LifetimeEvent.PeriphInvalidated.class, "pass3");
    } else {
      rig.awaitDestroyRequested("pass3");
    }
    Devfs.DevReply closed = rig.close(fh);
    assertEquals(legacy ? Errno.OK : Errno.ENXIO, closed.errno());
    if (legacy) {
      awaitEvent(rig, LifetimeEvent.NodeDestroyRequested.class, "pass3");
    }

    rig.found(TestDevices.disk(target(7))); // rescan: a new device; the destroy task has not run
    return rig;
  }

  @Test
  void bugAFixedTheUnitStaysInUseUntilDevfsDestroyedTheNode() {
    PeriphRig rig = bugA(false);

    assertEquals(4, rig.awaitUnitAt(target(7)).unit());
    rig.awaitNode("pass4");
    rig.runDestroyTask();
    awaitEvent(rig, LifetimeEvent.UnitFreed.class, "pass3");
    assertClean(rig);
  }

  @Test
  void bugALegacyMakeDevOfTheStillActiveNameIsThe2012Panic() {
    PeriphRig rig = bugA(true);

    List<LifetimeEvent.ProtocolViolation> dup = awaitViolation(rig, ViolationKind.DUPLICATE_NAME);
    assertTrue(
        dup.get(0).message().startsWith("make_dev_credv: bad si_name (error=17, si_name=pass3)"),
        dup.get(0).message());
    assertEquals(3, rig.awaitUnitAt(target(7)).unit());
    assertTrue(
        rig.checker.violations().stream().anyMatch(v -> v.kind() == ViolationKind.UNIT_REUSED),
        rig.checker.violations().toString());
  }

  /**
   * Bug A with nobody holding the node open: only the DEVFS reference keeps pass3 (and so unit 3)
   * until devfs destroyed the node. A periph that dropped it at invalidation would be freed at once
   * and hand unit 3 to the new device while "pass3" is still in devfs.
   */
  private PeriphRig bugANoOpenFile(boolean legacy) {
    PeriphRig rig = new PeriphRig(testKit, PassPeriph.SPEC, legacy);
    for (int t = 0; t < 4; t++) {
      attachPass(rig, target(t));
    }
    rig.awaitNode("pass3");
    rig.lost(target(3));
    if (legacy) {
      awaitEvent(rig, LifetimeEvent.NodeDestroyRequested.class, "pass3");
    } else {
      rig.awaitDestroyRequested("pass3");
    }
    rig.found(TestDevices.disk(target(7))); // rescan before the destroy task ran
    return rig;
  }

  @Test
  void bugAFixedWithoutAnOpenFileTheNodeReferenceAloneKeepsTheUnit() {
    PeriphRig rig = bugANoOpenFile(false);

    assertEquals(4, rig.awaitUnitAt(target(7)).unit());
    rig.awaitNode("pass4");
    assertEquals(3, rig.units().unit(3).unit()); // still reserved, invalid
    rig.runDestroyTask();
    awaitEvent(rig, LifetimeEvent.UnitFreed.class, "pass3");
    assertClean(rig);
  }

  @Test
  void bugALegacyWithoutAnOpenFileTheUnitGoesAtInvalidation() {
    PeriphRig rig = bugANoOpenFile(true);

    List<LifetimeEvent.ProtocolViolation> dup = awaitViolation(rig, ViolationKind.DUPLICATE_NAME);
    assertTrue(dup.get(0).message().contains("si_name=pass3"), dup.get(0).message());
  }

  /** The same device comes back at once, nobody had it open: deferred until the node is gone. */
  @Test
  void bugAFixedWithoutAnOpenFileTheSamePathWaitsForTheNode() {
    PeriphRig rig = new PeriphRig(testKit, PassPeriph.SPEC, false);
    attachPass(rig, target(0));
    rig.awaitNode("pass0");
    rig.lost(target(0));
    rig.awaitDestroyRequested("pass0");
    rig.found(TestDevices.disk(target(0)));
    TestProbe<Object> p = testKit.createTestProbe();
    p.awaitAssert(
        () -> {
          assertEquals(List.of(target(0)), rig.units().deferred(), "the arrival is deferred");
          return null;
        });

    rig.runDestroyTask();
    PeriphRig.answerPhysPath(rig.nextCcb(target(0)), "");
    p.awaitAssert(
        () -> {
          assertEquals(2, rig.checker.eventsOf(LifetimeEvent.DevfsNodeCreated.class).size());
          return null;
        });
    assertClean(rig);
  }

  /** enc without an open file: the destroy request and the unit, as for pass. */
  @Test
  void bugBFixedWithoutAnOpenFileTheUnitWaitsForTheNode() {
    PeriphRig rig = new PeriphRig(testKit, SesPeriph.SPEC, false);
    CamPath enc = target(5);
    rig.found(TestDevices.enclosure(enc));
    rig.awaitUnitAt(enc);
    PeriphRig.complete(rig.nextCcb(enc), CamStatus.REQ_INVALID);
    rig.awaitNode("ses0");
    rig.lost(enc);
    rig.awaitDestroyRequested("ses0");
    CamPath other = target(6);
    rig.found(TestDevices.enclosure(other));

    assertEquals(1, rig.awaitUnitAt(other).unit());
    rig.runDestroyTask();
    awaitEvent(rig, LifetimeEvent.UnitFreed.class, "ses0");
    assertClean(rig);
  }

  /** The same-path variant: the device comes back while pass0 is invalid but still open. */
  private PeriphRig bugAReplay(boolean legacy) {
    PeriphRig rig = new PeriphRig(testKit, PassPeriph.SPEC, legacy);
    attachPass(rig, target(0));
    rig.awaitNode("pass0");
    Devfs.FileHandle fh = rig.openOk("pass0");
    rig.lost(target(0));
    rig.found(TestDevices.disk(target(0))); // deferred: CAM_REQ_INPROG
    if (legacy) {
      awaitEvent(rig, LifetimeEvent.PeriphInvalidated.class, "pass0");
    } else {
      rig.awaitDestroyRequested("pass0");
    }
    rig.close(fh); // legacy: frees pass0, which replays the arrival at once
    return rig;
  }

  @Test
  void bugAFixedTheDeferredArrivalIsReplayedOnlyAfterTheNodeIsGone() {
    PeriphRig rig = bugAReplay(false);

    rig.runDestroyTask();
    PeriphRig.answerPhysPath(rig.nextCcb(target(0)), ""); // the new pass0's task
    rig.awaitNode("pass0");
    TestProbe<Object> p = testKit.createTestProbe();
    p.awaitAssert(
        () -> {
          assertEquals(2, rig.checker.eventsOf(LifetimeEvent.DevfsNodeCreated.class).size());
          return null;
        });
    assertClean(rig);
  }

  @Test
  void bugALegacyTheReplayedArrivalBeatsTheDestroyTask() {
    PeriphRig rig = bugAReplay(true);

    List<LifetimeEvent.ProtocolViolation> dup = awaitViolation(rig, ViolationKind.DUPLICATE_NAME);
    assertTrue(dup.get(0).message().contains("si_name=pass0"), dup.get(0).message());
  }

  // ---------------------------------------------------------------------------------------------
  // Bug B: enc destroys its own node from inside its close

  private PeriphRig bugB(boolean legacy) {
    PeriphRig rig = new PeriphRig(testKit, SesPeriph.SPEC, legacy);
    CamPath enc = target(5);
    rig.found(TestDevices.enclosure(enc));
    rig.awaitUnitAt(enc);
    PeriphRig.complete(rig.nextCcb(enc), CamStatus.REQ_INVALID); // the daemon's first read
    rig.awaitNode("ses0");
    Devfs.FileHandle fh = rig.openOk("ses0");

    rig.lost(enc);
    if (legacy) {
      awaitEvent(rig, LifetimeEvent.PeriphInvalidated.class, "ses0");
    } else {
      rig.awaitDestroyRequested("ses0");
    }
    Devfs.DevReply closed = rig.close(fh);
    assertEquals(legacy ? Errno.OK : Errno.ENXIO, closed.errno());
    return rig;
  }

  @Test
  void bugBFixedCloseNeverDestroysTheNode() {
    PeriphRig rig = bugB(false);

    rig.runDestroyTask();
    awaitEvent(rig, LifetimeEvent.UnitFreed.class, "ses0");
    assertClean(rig);
  }

  @Test
  void bugBLegacyTheDestructorDestroysItsNodeFromInsideClose() {
    PeriphRig rig = bugB(true);

    List<LifetimeEvent.ProtocolViolation> dl = awaitViolation(rig, ViolationKind.DESTROY_DEADLOCK);
    assertTrue(dl.get(0).message().startsWith("destroy_dev(ses0): deadlock"), dl.get(0).message());
    assertTrue(dl.get(0).message().contains("d_close"), dl.get(0).message());
  }

  // ---------------------------------------------------------------------------------------------
  // Bug C: the physical-path task against teardown

  private PeriphRig bugC(boolean legacy) {
    PeriphRig rig = new PeriphRig(testKit, PassPeriph.SPEC, legacy);
    CamPath d = target(2);
    rig.found(TestDevices.disk(d));
    rig.awaitUnitAt(d);
    Ccb physpath = rig.nextCcb(d); // the task is queued; its answer is held back
    rig.awaitNode("pass0");

    rig.lost(d);
    if (legacy) {
      awaitEvent(rig, LifetimeEvent.UnitFreed.class, "pass0");
    } else {
      rig.destroyTaskFor("pass0");
      awaitEvent(rig, LifetimeEvent.NodeGone.class, "pass0");
    }
    PeriphRig.answerPhysPath(physpath, "id1,enc@n5000cafe00000005/type@0/slot@2");
    return rig;
  }

  @Test
  void bugCFixedTheTaskHoldsThePeriphAndAddsNoAliasOnceInvalid() {
    PeriphRig rig = bugC(false);

    awaitEvent(rig, LifetimeEvent.UnitFreed.class, "pass0");
    assertEquals(List.of(), rig.checker.eventsOf(LifetimeEvent.AliasAdded.class));
    List<LifetimeEvent> ev = rig.checker.events();
    int gone = -1;
    int dtor = -1;
    for (int i = 0; i < ev.size(); i++) {
      if (ev.get(i) instanceof LifetimeEvent.NodeGone) {
        gone = i;
      } else if (ev.get(i) instanceof LifetimeEvent.DestructorRun) {
        dtor = i;
      }
    }
    assertTrue(gone < dtor, "node gone before the destructor");
    assertClean(rig);
  }

  @Test
  void bugCLegacyTheTaskAddsAnAliasForAFreedPeriph() {
    PeriphRig rig = bugC(true);

    List<LifetimeEvent.ProtocolViolation> v = awaitViolation(rig, ViolationKind.ALIAS_ON_INVALID);
    assertTrue(v.get(0).message().contains("enc@n5000cafe00000005/type@0/slot@2/pass0"), v.get(0).message());
  }

  // ---------------------------------------------------------------------------------------------
  // Bug D: a call inside devfs while the periph is freed

  private PeriphRig bugD(boolean legacy, TestProbe<Devfs.DevReply>[] ioctlOut, Ccb[] ccbOut) {
    PeriphRig rig = new PeriphRig(testKit, PassPeriph.SPEC, legacy);
    CamPath d = target(1);
    attachPass(rig, d);
    rig.awaitNode("pass0");
    Devfs.FileHandle a = rig.openOk("pass0");
    Devfs.FileHandle b = rig.openOk("pass0");
    Ccb.ScsiIo tur =
        new Ccb.ScsiIo(
            new Ccb.Header(1, d, CamPriority.NORMAL, CcbFlags.DIR_NONE, 5000, 0, testKit.createTestProbe(Ccb.Completed.class).getRef()),
            ByteString.fromArray(new byte[6]),
            ByteString.emptyByteString(),
            0);
    ioctlOut[0] = rig.ioctl(a, new PassPeriph.CamIoCommand(tur));
    ccbOut[0] = rig.nextCcb(d); // the ioctl is inside pass0, waiting for the device

    rig.lost(d);
    if (legacy) {
      awaitEvent(rig, LifetimeEvent.PeriphInvalidated.class, "pass0");
    } else {
      rig.awaitDestroyRequested("pass0");
    }
    rig.close(b);
    rig.close(a); // legacy: the last close frees pass0 with the ioctl still inside
    return rig;
  }

  @Test
  @SuppressWarnings("unchecked")
  void bugDFixedTheNodeAndThePeriphOutliveEveryCallInside() {
    TestProbe<Devfs.DevReply>[] ioctl = new TestProbe[1];
    Ccb[] ccb = new Ccb[1];
    PeriphRig rig = bugD(false, ioctl, ccb);

    rig.runDestroyTask(); // nothing happens yet: the ioctl is inside
    PeriphRig.complete(ccb[0], CamStatus.REQ_CMP);
    Devfs.DevReply r = ioctl[0].receiveMessage();
    assertTrue(r.isOk());
    assertEquals(CamStatus.REQ_CMP, ((PassPeriph.CamIoResult) r.result()).completed().status());
    rig.runDestroyTask();
    awaitEvent(rig, LifetimeEvent.UnitFreed.class, "pass0");
    assertClean(rig);
  }

  @Test
  @SuppressWarnings("unchecked")
  void bugDLegacyThePeriphIsFreedWithACallInside() {
    TestProbe<Devfs.DevReply>[] ioctl = new TestProbe[1];
    Ccb[] ccb = new Ccb[1];
    PeriphRig rig = bugD(true, ioctl, ccb);

    List<LifetimeEvent.ProtocolViolation> v = awaitViolation(rig, ViolationKind.CALL_IN_FLIGHT_AT_FREE);
    assertTrue(v.get(0).message().contains("d_ioctl"), v.get(0).message());
    assertEquals(Errno.ENXIO, ioctl[0].receiveMessage().errno());
  }
}
