package org.camstack.stack.scsi.ses;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.sim.EmuSim;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.testkit.StackRig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** enc's SAF-TE backend against the emulated SAF-TE processor: elements, ident, hot-plug. */
@ExtendWith(LogCapturingExtension.class)
class SafTeTest {
  private static final String TOPOLOGY =
      "camstack.topology.buses = [ { name = emusim, max-target = 15, max-lun = 7, targets = [\n"
          + "  { id = 2, luns = [ { lun = 0, type = safte, slots = 4 } ] }\n"
          + "  { id = 3, luns = [ { lun = 0, size = 4MiB, block-size = 512, enclosure-slot = 0 } ] }\n"
          + "] } ]\n";

  private static final ActorTestKit testKit = ActorTestKit.create("SafTeTest", StackRig.config(TOPOLOGY));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static final StackRig rig = new StackRig(testKit, false);

  static {
    rig.scanAndSettle();
  }

  private SesPeriph.ElementStatus slot(Devfs.FileHandle fh, int i) {
    return (SesPeriph.ElementStatus) rig.ioctl(fh, new SesPeriph.GetElementStatus(i)).result();
  }

  @Test
  void slotsFollowHotPlugAndIdentGoesOutAsWriteBuffer() {
    assertEquals(0, rig.units("ses").atPath(CamPath.of(0, 2, 0)).unit());
    Devfs.FileHandle fh = rig.openOk("ses0");
    TestProbe<Object> p = testKit.createTestProbe();
    SesPeriph.ElementMap map =
        p.awaitAssert(
            () -> {
              SesPeriph.ElementMap m = (SesPeriph.ElementMap) rig.ioctl(fh, new SesPeriph.GetElementMap()).result();
              assertEquals(4 + 1 + 2 + 1, m.elements().size(), m.toString());
              assertTrue(slot(fh, 0) != null);
              return m;
            });
    assertEquals(SesPages.ELM_DEVICE_SLOT, map.elements().get(0).elementType());
    assertEquals(SesPages.STATUS_OK, slot(fh, 0).statusCode(), "the disk at target 3 sits in slot 0");
    assertEquals(SesPages.STATUS_NOT_INSTALLED, slot(fh, 1).statusCode());

    assertEquals(Errno.OK, rig.ioctl(fh, new SesPeriph.SetElementStatus(1, true, false)).errno());
    p.awaitAssert(
        () -> {
          assertTrue(slot(fh, 1).ident());
          assertFalse(slot(fh, 0).ident());
          return null;
        });

    rig.simDo(rig.sim(0), r -> new EmuSim.AddTarget(4, List.of(LunSpec.parse("lun = 0, blocks = 8192, enclosure-slot = 1, bus = 0, target = 4")), r));
    p.awaitAssert(
        () -> {
          assertEquals(SesPages.STATUS_OK, slot(fh, 1).statusCode(), "plugged into slot 1");
          return null;
        });
    assertTrue(slot(fh, 1).ident(), "the LED stays on");
    rig.close(fh);
    assertEquals(List.of(), rig.checker.violations());
  }
}
