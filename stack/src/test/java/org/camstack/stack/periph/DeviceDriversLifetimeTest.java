package org.camstack.stack.periph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.persistence.audit.ViolationKind;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.scsi.pt.PtPeriph;
import org.camstack.stack.scsi.sg.SgPeriph;
import org.camstack.stack.testkit.PeriphRig;
import org.camstack.stack.testkit.TestDevices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The lifetime bugs on the drivers of issue 14, run in both modes like {@link SeedBugsTest}: pt
 * reuses a unit while the old node is still in devfs (bug A) in legacy mode; sg's close races the
 * node's own destroy (the 2012-05-27 ch/sg close fix) in legacy mode; fixed mode is clean.
 */
@ExtendWith(LogCapturingExtension.class)
class DeviceDriversLifetimeTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static CamPath target(int t) {
    return CamPath.of(0, t, 0);
  }

  private static void awaitEvent(PeriphRig rig, Class<? extends LifetimeEvent> type, String periph) {
    TestProbe<Object> p = testKit.createTestProbe();
    p.awaitAssert(
        () -> {
          assertTrue(rig.checker.eventsOf(type).stream().anyMatch(e -> e.periphName().equals(periph)), type.getSimpleName() + " of " + periph);
          return null;
        });
  }

  private static List<LifetimeEvent.ProtocolViolation> awaitViolation(PeriphRig rig, ViolationKind kind) {
    TestProbe<Object> p = testKit.createTestProbe();
    return p.awaitAssert(
        () -> {
          List<LifetimeEvent.ProtocolViolation> v = rig.checker.violations().stream().filter(x -> x.kind() == kind).toList();
          assertTrue(!v.isEmpty(), "no " + kind + " in " + rig.checker.violations());
          return v;
        });
  }

  private static void assertClean(PeriphRig rig) {
    assertEquals(List.of(), rig.checker.violations());
    assertEquals(List.of(), rig.devfsViolations());
  }

  /** pt1 open, lost, closed; a new processor arrives before devfs ran the destroy task. */
  private PeriphRig ptUnitReuse(boolean legacy) {
    PeriphRig rig = new PeriphRig(testKit, PtPeriph.SPEC, legacy);
    for (int t = 0; t < 2; t++) {
      rig.found(TestDevices.processor(target(t)));
      rig.awaitUnitAt(target(t));
    }
    rig.awaitNode("pt1");
    Devfs.FileHandle fh = rig.openOk("pt1");
    rig.lost(target(1));
    if (legacy) {
      awaitEvent(rig, LifetimeEvent.PeriphInvalidated.class, "pt1");
    } else {
      rig.awaitDestroyRequested("pt1");
    }
    assertEquals(legacy ? Errno.OK : Errno.ENXIO, rig.close(fh).errno());
    if (legacy) {
      awaitEvent(rig, LifetimeEvent.NodeDestroyRequested.class, "pt1");
    }
    rig.found(TestDevices.processor(target(5)));
    return rig;
  }

  @Test
  void ptFixedTheUnitWaitsForTheNode() {
    PeriphRig rig = ptUnitReuse(false);
    assertEquals(2, rig.awaitUnitAt(target(5)).unit());
    rig.runDestroyTask();
    awaitEvent(rig, LifetimeEvent.UnitFreed.class, "pt1");
    assertClean(rig);
  }

  @Test
  void ptLegacyReusesTheUnitOfALiveNode() {
    PeriphRig rig = ptUnitReuse(true);
    List<LifetimeEvent.ProtocolViolation> dup = awaitViolation(rig, ViolationKind.DUPLICATE_NAME);
    assertTrue(dup.get(0).message().contains("si_name=pt1"), dup.get(0).message());
  }

  /** sg0 open, the device lost, then the last close. */
  private PeriphRig sgCloseRace(boolean legacy) {
    PeriphRig rig = new PeriphRig(testKit, SgPeriph.SPEC, legacy);
    rig.found(TestDevices.disk(target(3)));
    rig.awaitUnitAt(target(3));
    rig.awaitNode("sg0");
    Devfs.FileHandle fh = rig.openOk("sg0");
    rig.lost(target(3));
    if (legacy) {
      awaitEvent(rig, LifetimeEvent.PeriphInvalidated.class, "sg0");
    } else {
      rig.awaitDestroyRequested("sg0");
    }
    assertEquals(legacy ? Errno.OK : Errno.ENXIO, rig.close(fh).errno());
    return rig;
  }

  @Test
  void sgFixedCloseNeverDestroysTheNode() {
    PeriphRig rig = sgCloseRace(false);
    rig.runDestroyTask();
    awaitEvent(rig, LifetimeEvent.UnitFreed.class, "sg0");
    assertClean(rig);
  }

  @Test
  void sgLegacyTheLastCloseRacesTheNodesDestroy() {
    PeriphRig rig = sgCloseRace(true);
    List<LifetimeEvent.ProtocolViolation> dl = awaitViolation(rig, ViolationKind.DESTROY_DEADLOCK);
    assertTrue(dl.get(0).message().startsWith("destroy_dev(sg0): deadlock"), dl.get(0).message());
    assertTrue(dl.get(0).message().contains("d_close"), dl.get(0).message());
  }

  private static List<String> nodeNames(PeriphRig rig) {
    return rig.nodes().nodes().stream().map(Devfs.NodeInfo::name).toList();
  }

  /**
   * sg's Linux name (cf. sgregister()'s make_dev_alias) lives exactly as long as the node: sg0 is
   * opened as {@code sga} and lost; a disk arriving before devfs ran the destroy task gets sg1 /
   * {@code sgb}; once the task ran, sg0 and {@code sga} are gone together and only then is unit 0
   * free, so the next disk makes sg0 and {@code sga} again without a duplicate name.
   */
  @Test
  void sgFixedTheLinuxAliasIsGoneBeforeTheUnitIsReused() {
    PeriphRig rig = new PeriphRig(testKit, SgPeriph.SPEC, false);
    rig.found(TestDevices.disk(target(3)));
    rig.awaitUnitAt(target(3));
    awaitNames(rig, "sg0", "sga");
    Devfs.FileHandle fh = rig.openOk("sga");
    rig.lost(target(3));
    rig.awaitDestroyRequested("sg0");
    assertEquals(Errno.ENXIO, rig.close(fh).errno());
    assertEquals(Errno.ENXIO, rig.open("sga").errno(), "the alias of a dying node opens nothing");

    rig.found(TestDevices.disk(target(4)));
    assertEquals(1, rig.awaitUnitAt(target(4)).unit(), "unit 0 waits for its node");
    awaitNames(rig, "sg1", "sgb");
    assertTrue(nodeNames(rig).contains("sga"), nodeNames(rig).toString());

    rig.runDestroyTask();
    awaitEvent(rig, LifetimeEvent.UnitFreed.class, "sg0");
    assertFalse(nodeNames(rig).contains("sga"), nodeNames(rig).toString());
    rig.found(TestDevices.disk(target(5)));
    assertEquals(0, rig.awaitUnitAt(target(5)).unit());
    awaitNames(rig, "sg0", "sga");
    assertClean(rig);
  }

  private static void awaitNames(PeriphRig rig, String... names) {
    TestProbe<Object> p = testKit.createTestProbe();
    p.awaitAssert(
        () -> {
          assertTrue(nodeNames(rig).containsAll(List.of(names)), nodeNames(rig).toString());
          return null;
        });
  }
}
