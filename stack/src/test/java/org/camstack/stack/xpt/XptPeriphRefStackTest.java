package org.camstack.stack.xpt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.periph.Periph;
import org.camstack.stack.periph.PeriphDriver;
import org.camstack.stack.periph.RefToken;
import org.camstack.stack.scsi.pass.PassPeriph;
import org.camstack.stack.sim.EmuSim;
import org.camstack.stack.testkit.PeriphRig;
import org.camstack.stack.testkit.StackRig;
import org.camstack.stack.testkit.TestDevices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Real periphs hold their device (PeriphBase: AcquireDevice at registration, ReleaseDevice after
 * the destructor): a pulled disk whose pass periph is still referenced (a tool's reference, cf.
 * {@code cam_periph_acquire()}) stays in the EDT, unconfigured, until that last periph is freed;
 * then the XPT retires it.
 */
@ExtendWith(LogCapturingExtension.class)
class XptPeriphRefStackTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create("XptPeriphRefStackTest", StackRig.config(StackRig.TOPOLOGY));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static Ccb.DeviceMatch entry(StackRig rig, CamPath path) {
    Ccb.DevMatchResult m;
    try {
      m = rig.stack.devMatch(StackRig.WAIT).toCompletableFuture().get(StackRig.WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("DEV_MATCH: " + e, e);
    }
    for (Ccb.BusMatch b : m.buses()) {
      for (Ccb.DeviceMatch d : b.devices()) {
        if (d.path().equals(path)) {
          return d;
        }
      }
    }
    return null;
  }

  @Test
  void aPulledDiskStaysUnconfiguredWhileAPeriphIsReferencedAndGoesWhenItIsFreed() {
    StackRig rig = new StackRig(testKit, false);
    rig.scanAndSettle();
    CamPath disk = CamPath.of(0, 2, 0);
    PeriphDriver.UnitInfo pass = rig.units("pass").atPath(disk);
    ActorRef<Periph.Command> passRef = pass.periph();
    TestProbe<StatusReply<Done>> ack = testKit.createTestProbe();
    passRef.tell(new Periph.Acquire(RefToken.TOOL, ack.getRef()));
    assertTrue(ack.receiveMessage(StackRig.WAIT).isSuccess());

    rig.simDo(rig.sim(0), r -> new EmuSim.RemoveTarget(2, r)); // rescan-on-change: AC_LOST_DEVICE
    TestProbe<Object> p = testKit.createTestProbe();
    p.awaitAssert(
        () -> {
          assertNull(rig.units("da").atPath(disk), "da (unreferenced) is freed");
          assertTrue(rig.units("pass").atPath(disk).invalid());
          return null;
        });
    // da has released its reference; the invalid pass periph still holds one: the device stays
    Ccb.DeviceMatch held = entry(rig, disk);
    assertNotNull(held, "retired while a periph still holds it");
    assertTrue(held.unconfigured());

    passRef.tell(new Periph.Release(RefToken.TOOL)); // the last periph reference: destructor, ReleaseDevice
    p.expectTerminated(passRef, StackRig.WAIT);
    p.awaitAssert(
        () -> {
          assertNull(entry(rig, disk), "not retired after the last periph was freed");
          return null;
        });
    assertEquals(List.of(), rig.checker.violations());
  }

  @Test
  void aPeriphHoldsItsDeviceFromRegistrationUntilItsDestructorRan() {
    PeriphRig rig = new PeriphRig(testKit, PassPeriph.SPEC, false);
    CamPath d0 = CamPath.of(0, 0, 0);
    rig.found(TestDevices.disk(d0));
    PeriphDriver.UnitInfo pass0 = rig.awaitUnitAt(d0);
    PeriphRig.answerPhysPath(rig.nextCcb(d0), "");
    TestProbe<Object> p = testKit.createTestProbe();
    p.awaitAssert(
        () -> {
          assertEquals(Map.of(d0, 1), rig.xptState().deviceRefs());
          return null;
        });
    rig.lost(d0);
    rig.awaitUnitAt(d0); // invalid, its node not yet destroyed: still holding
    assertEquals(Map.of(d0, 1), rig.xptState().deviceRefs());
    rig.destroyTaskFor("pass0");
    p.expectTerminated(pass0.periph(), StackRig.WAIT);
    assertEquals(Map.of(), rig.xptState().deviceRefs(), "released after the destructor");
  }
}
