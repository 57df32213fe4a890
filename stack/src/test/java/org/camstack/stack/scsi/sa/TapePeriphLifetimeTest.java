package org.camstack.stack.scsi.sa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.persistence.audit.ViolationKind;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.periph.PeriphDriver;
import org.camstack.stack.scsi.ch.ChPeriph;
import org.camstack.stack.testkit.PeriphRig;
import org.camstack.stack.testkit.TestDevices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The lifetime of sa(4) and ch(4) nodes: attach, open, pull while open, reattach on the same path
 * (fixed mode: the unit and the name wait for devfs, no violation), and the 2012-05-27 close race
 * in legacy mode (the changer or drive coming back in the window panics make_dev, as pass did).
 */
@ExtendWith(LogCapturingExtension.class)
class TapePeriphLifetimeTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static PeriphDriver.Spec spec(String driver) {
    return driver.equals("sa") ? SaPeriph.SPEC : ChPeriph.SPEC;
  }

  private static DeviceInfo device(String driver, CamPath path) {
    DeviceInfo d = TestDevices.disk(path);
    int type = driver.equals("sa") ? DeviceInfo.T_SEQUENTIAL : DeviceInfo.T_CHANGER;
    return new DeviceInfo(path, TestDevices.inquiry(type, true, "CAMSTACK", "EMU" + driver.toUpperCase(), "0001"),
        d.supportedVpd(), d.serial(), d.deviceId(), "");
  }

  private static CamPath target(int t) {
    return CamPath.of(2, t, 0);
  }

  private static void awaitEvent(PeriphRig rig, Class<? extends LifetimeEvent> type, String periph) {
    TestProbe<Object> p = testKit.createTestProbe();
    p.awaitAssert(
        () -> {
          assertTrue(rig.checker.eventsOf(type).stream().anyMatch(e -> e.periphName().equals(periph)), type.getSimpleName() + " of " + periph);
          return null;
        });
  }

  @ParameterizedTest
  @ValueSource(strings = {"sa", "ch"})
  void fixedAttachOpenPullWhileOpenReattachSameUnit(String driver) {
    PeriphRig rig = new PeriphRig(testKit, spec(driver), false);
    rig.found(device(driver, target(0)));
    assertEquals(0, rig.awaitUnitAt(target(0)).unit());
    rig.awaitNode(driver + "0");
    Devfs.FileHandle fh = rig.openOk(driver + "0");

    rig.lost(target(0));
    rig.awaitDestroyRequested(driver + "0");
    assertEquals(Errno.ENXIO, rig.close(fh).errno()); // devfs no longer calls the driver
    rig.found(device(driver, target(0))); // back on the same path: deferred until the node is gone
    TestProbe<Object> p = testKit.createTestProbe();
    p.awaitAssert(
        () -> {
          assertEquals(List.of(target(0)), rig.units().deferred());
          return null;
        });
    rig.runDestroyTask();
    awaitEvent(rig, LifetimeEvent.UnitFreed.class, driver + "0");
    p.awaitAssert(
        () -> {
          assertEquals(2, rig.checker.eventsOf(LifetimeEvent.DevfsNodeCreated.class).size());
          return null;
        });
    assertEquals(0, rig.awaitUnitAt(target(0)).unit()); // the same unit, reattached
    rig.awaitNode(driver + "0");
    assertEquals(List.of(), rig.checker.violations());
    assertEquals(List.of(), rig.devfsViolations());
  }

  @ParameterizedTest
  @ValueSource(strings = {"sa", "ch"})
  void legacyCloseRaceReusesTheUnitWhileTheNodeExists(String driver) {
    PeriphRig rig = new PeriphRig(testKit, spec(driver), true);
    rig.found(device(driver, target(0)));
    rig.found(device(driver, target(1)));
    rig.awaitUnitAt(target(1));
    rig.awaitNode(driver + "1");
    Devfs.FileHandle fh = rig.openOk(driver + "1");

    rig.lost(target(1));
    awaitEvent(rig, LifetimeEvent.PeriphInvalidated.class, driver + "1");
    assertEquals(Errno.OK, rig.close(fh).errno()); // the last close reaches the driver and frees it
    awaitEvent(rig, LifetimeEvent.NodeDestroyRequested.class, driver + "1");
    rig.found(device(driver, target(7))); // a new device before the destroy task ran

    TestProbe<Object> p = testKit.createTestProbe();
    List<LifetimeEvent.ProtocolViolation> dup =
        p.awaitAssert(
            () -> {
              List<LifetimeEvent.ProtocolViolation> v =
                  rig.checker.violations().stream().filter(x -> x.kind() == ViolationKind.DUPLICATE_NAME).toList();
              assertTrue(!v.isEmpty(), "no DUPLICATE_NAME in " + rig.checker.violations());
              return v;
            });
    assertTrue(dup.get(0).message().contains("si_name=" + driver + "1"), dup.get(0).message());
    assertEquals(1, rig.awaitUnitAt(target(7)).unit());
  }
}
