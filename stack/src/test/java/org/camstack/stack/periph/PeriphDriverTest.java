package org.camstack.stack.periph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.ccb.Errno;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.stack.scsi.pass.PassPeriph;
import org.camstack.stack.testkit.PeriphRig;
import org.camstack.stack.testkit.TestDevices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LogCapturingExtension.class)
class PeriphDriverTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static final CamPath D0 = CamPath.of(0, 0, 0);
  private static final CamPath D1 = CamPath.of(0, 1, 0);
  private static final CamPath D2 = CamPath.of(0, 2, 0);

  private PeriphRig rig() {
    return new PeriphRig(testKit, PassPeriph.SPEC, false);
  }

  /** Attaches a pass instance and lets its physical-path task finish without an alias. */
  private PeriphDriver.UnitInfo attach(PeriphRig rig, CamPath path) {
    rig.found(TestDevices.disk(path));
    PeriphDriver.UnitInfo u = rig.awaitUnitAt(path);
    PeriphRig.answerPhysPath(rig.nextCcb(path), "");
    return u;
  }

  @Test
  void everyDeviceGetsTheFirstFreeUnit() {
    PeriphRig rig = rig();
    assertEquals(0, attach(rig, D0).unit());
    assertEquals(1, attach(rig, D1).unit());
    assertEquals(2, attach(rig, D2).unit());
    rig.awaitNode("pass2");
    assertEquals(List.of("pass0", "pass1", "pass2"), rig.nodes().activeNames());
  }

  @Test
  void aUnitIsReusedOnlyAfterTheOldNodeIsGoneAndTheDestructorRan() {
    PeriphRig rig = rig();
    PeriphDriver.UnitInfo pass0 = attach(rig, D0);
    rig.awaitNode("pass0");

    rig.lost(D0);
    assertEquals(1, attach(rig, D1).unit()); // unit 0 still in use: devfs has not destroyed pass0

    rig.destroyTaskFor("pass0");
    TestProbe<Object> watcher = testKit.createTestProbe();
    watcher.expectTerminated(pass0.periph());
    assertEquals(0, attach(rig, D2).unit());

    List<LifetimeEvent> order = rig.checker.events();
    int gone = indexOf(order, LifetimeEvent.NodeGone.class, "pass0");
    int dtor = indexOf(order, LifetimeEvent.DestructorRun.class, "pass0");
    int freed = indexOf(order, LifetimeEvent.UnitFreed.class, "pass0");
    assertTrue(gone < dtor && dtor < freed, "order: gone " + gone + ", dtor " + dtor + ", freed " + freed);
    assertTrue(rig.checker.violations().isEmpty(), rig.checker.violations().toString());
  }

  private static int indexOf(List<LifetimeEvent> events, Class<?> type, String periph) {
    for (int i = 0; i < events.size(); i++) {
      LifetimeEvent e = events.get(i);
      if (type.isInstance(e) && e.periphName().equals(periph)) {
        return i;
      }
    }
    return -1;
  }

  @Test
  void hintsWireAndReserveUnits() {
    HintWiring hints =
        HintWiring.parse(
            Map.of(
                "hint.pass.5.at", "\"scbus0\"",
                "hint.pass.5.target", "2",
                "hint.pass.1.target", "9"));
    PeriphRig rig =
        new PeriphRig(testKit, PassPeriph.SPEC, false, hints, Devfs.Settings.manualDestroy());

    assertEquals(5, attach(rig, D2).unit()); // wired
    assertEquals(0, attach(rig, D0).unit());
    assertEquals(2, attach(rig, D1).unit()); // 1 is reserved for target 9
  }

  @Test
  void aSecondDeviceMatchingAWiredEntryIsNotWired() {
    HintWiring hints = HintWiring.parse(Map.of("hint.pass.5.at", "scbus0"));
    PeriphRig rig =
        new PeriphRig(testKit, PassPeriph.SPEC, false, hints, Devfs.Settings.manualDestroy());

    assertEquals(5, attach(rig, D0).unit());
    assertEquals(6, attach(rig, D1).unit());

    List<String> warnings = rig.units().warnings();
    assertEquals(1, warnings.size());
    assertTrue(warnings.get(0).startsWith("Duplicate Wired Device entry!"), warnings.get(0));
    assertTrue(warnings.get(0).contains("scbus0 target 1 lun 0"), warnings.get(0));
  }

  @Test
  void anArrivalOnThePathOfAnInvalidPeriphIsDeferredUntilItIsFreed() {
    PeriphRig rig = rig();
    PeriphDriver.UnitInfo old = attach(rig, D0);
    Devfs.FileHandle fh = rig.openOk("pass0");

    rig.lost(D0);
    rig.found(TestDevices.disk(D0)); // re-plugged while pass0 is still open
    TestProbe<PeriphDriver.Units> p = testKit.createTestProbe();
    p.awaitAssert(
        () -> {
          rig.driver.tell(new PeriphDriver.ListUnits(p.getRef()));
          assertEquals(List.of(D0), p.receiveMessage().deferred()); // CAM_REQ_INPROG
          return null;
        });
    assertEquals(old.generation(), rig.units().unit(0).generation());

    rig.awaitDestroyRequested("pass0");
    assertEquals(Errno.ENXIO, rig.close(fh).errno()); // destroy requested: close stays in devfs
    rig.runDestroyTask();

    PeriphDriver.UnitInfo again = rig.awaitUnitAt(D0);
    TestProbe<PeriphDriver.Units> q = testKit.createTestProbe();
    PeriphDriver.UnitInfo replayed =
        q.awaitAssert(
            () -> {
              rig.driver.tell(new PeriphDriver.ListUnits(q.getRef()));
              PeriphDriver.UnitInfo u = q.receiveMessage().unit(0);
              assertTrue(u != null && u.generation() > old.generation());
              return u;
            });
    assertEquals(D0, replayed.path());
    assertTrue(again.unit() == 0);
    rig.awaitNode("pass0");
    assertTrue(rig.checker.violations().isEmpty(), rig.checker.violations().toString());
  }

  @Test
  void aLostDeviceCancelsItsDeferredArrival() {
    PeriphRig rig = rig();
    attach(rig, D0);
    Devfs.FileHandle fh = rig.openOk("pass0");
    rig.lost(D0);
    rig.found(TestDevices.disk(D0));
    rig.lost(D0);

    rig.awaitDestroyRequested("pass0");
    rig.close(fh);
    rig.runDestroyTask();

    TestProbe<PeriphDriver.Units> p = testKit.createTestProbe();
    p.awaitAssert(
        java.time.Duration.ofSeconds(15), // the 3 s default ran out once on a machine at load 20
        () -> {
          rig.driver.tell(new PeriphDriver.ListUnits(p.getRef()));
          PeriphDriver.Units u = p.receiveMessage();
          assertTrue(u.units().isEmpty() && u.deferred().isEmpty(), u.toString());
          return null;
        });
    assertNull(rig.units().atPath(D0));
  }

  @Test
  void aHandleToTheOldIncarnationNeverReachesTheNewOneOfTheSameUnit() {
    PeriphRig rig = rig();
    PeriphDriver.UnitInfo old = attach(rig, D0);
    rig.awaitNode("pass0");
    rig.lost(D0);
    rig.destroyTaskFor("pass0");
    testKit.createTestProbe().expectTerminated(old.periph());
    PeriphDriver.UnitInfo neu = attach(rig, D1);
    assertEquals(0, neu.unit());
    assertTrue(neu.generation() > old.generation());

    TestProbe<org.apache.pekko.pattern.StatusReply<org.apache.pekko.Done>> reply = testKit.createTestProbe();
    old.periph().tell(new Periph.Acquire(RefToken.TOOL, reply.getRef()));
    reply.expectNoMessage(PeriphRig.SHORT); // dead letter: pass0#1 is gone
    assertTrue(!rig.refs(neu.periph()).held().containsKey(RefToken.TOOL));
    assertEquals(neu.generation(), rig.refs(neu.periph()).id().generation());
  }

  @Test
  void periphsAreRegisteredWithTheXptAndRemovedWhenFreed() {
    PeriphRig rig = rig();
    attach(rig, D0);
    attach(rig, D1);
    TestProbe<Object> p = testKit.createTestProbe();
    p.awaitAssert(
        () -> {
          assertEquals(List.of("pass1"), rig.xptState().periphs().get(D1));
          return null;
        });

    rig.lost(D1);
    rig.destroyTaskFor("pass1");

    p.awaitAssert(
        () -> {
          assertEquals(List.of(), rig.xptState().periphs().get(D1));
          return null;
        });
  }

  /** pass, but an {@code Invalidate("crash")} makes the actor throw (a bug hit mid-flight). */
  private static final PeriphDriver.Spec CRASHABLE =
      new PeriphDriver.Spec(
          "pass",
          info -> true,
          args ->
              org.apache.pekko.actor.typed.javadsl.Behaviors.intercept(
                  () ->
                      new org.apache.pekko.actor.typed.BehaviorInterceptor<Periph.Command, Periph.Command>(
                          Periph.Command.class) {
                        @Override
                        public org.apache.pekko.actor.typed.Behavior<Periph.Command> aroundReceive(
                            org.apache.pekko.actor.typed.TypedActorContext<Periph.Command> ctx,
                            Periph.Command msg,
                            ReceiveTarget<Periph.Command> target) {
                          if (msg instanceof Periph.Invalidate i && i.cause().equals("crash")) {
                            throw new IllegalStateException("injected crash");
                          }
                          return target.apply(ctx, msg);
                        }
                      },
                  PassPeriph.create(args)));

  @Test
  void aCrashedPeriphKeepsItsUnitUntilDevfsDroppedItsNodeAndLeavesTheXpt() {
    PeriphRig rig = new PeriphRig(testKit, CRASHABLE, false);
    PeriphDriver.UnitInfo pass0 = attach(rig, D0);
    rig.awaitNode("pass0");
    TestProbe<Object> w = testKit.createTestProbe();
    w.awaitAssert(
        () -> {
          assertEquals(List.of("pass0"), rig.xptState().periphs().get(D0));
          return null;
        });

    pass0.periph().tell(new Periph.Invalidate("crash"));
    w.expectTerminated(pass0.periph());
    w.awaitAssert(
        () -> {
          PeriphDriver.UnitInfo u = rig.units().unit(0);
          assertTrue(u != null && u.invalid(), "unit 0 stays reserved (invalid) after the crash: " + u);
          assertEquals(List.of(), rig.xptState().periphs().get(D0), "no ghost pass0 on the device");
          return null;
        });

    assertEquals(1, attach(rig, D1).unit()); // pass0 is still in devfs: not unit 0
    rig.awaitNode("pass1");
    rig.destroyTaskFor("pass0"); // devfs destroys the dead owner's node
    w.awaitAssert(
        () -> {
          assertNull(rig.units().unit(0), "unit 0 released once devfs has no node of the dead periph");
          return null;
        });
    assertEquals(0, attach(rig, D2).unit());
    rig.awaitNode("pass0");

    List<String> kinds = rig.devfsViolations().stream().map(v -> v.kind().name()).toList();
    assertEquals(List.of("PERIPH_CRASHED"), kinds, "the orphaned node, and no duplicate name");
  }
}
