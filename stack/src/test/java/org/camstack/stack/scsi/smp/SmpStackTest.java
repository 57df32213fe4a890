package org.camstack.stack.scsi.smp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.util.ByteString;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.periph.PeriphDriver;
import org.camstack.stack.scsi.pass.PassPeriph;
import org.camstack.stack.testkit.StackRig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * XPT_SMP_IO through pass(4) to the emulated expander on the real stack, and PHY CONTROL taking a
 * disk off the bus and back: da and pass of the disk leave through the lifetime protocol while the
 * phy is disabled, and a link reset brings the disk back under the same unit numbers.
 */
@ExtendWith(LogCapturingExtension.class)
class SmpStackTest {
  private static final String TOPOLOGY =
      "camstack.topology.buses = [ { name = emusim, max-target = 15, max-lun = 7, targets = [\n"
          + "  { id = 3, luns = [ { lun = 0, size = 4MiB, block-size = 512 } ] }\n"
          + "  { id = 4, luns = [ { lun = 0, size = 4MiB, block-size = 512 } ] }\n"
          + "  { id = 5, luns = [ { lun = 0, type = expander, slots = 4 } ] }\n"
          + "] } ]\n";

  private static final ActorTestKit testKit = ActorTestKit.create("SmpStackTest", StackRig.config(TOPOLOGY));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static final StackRig rig = new StackRig(testKit, false);

  static {
    rig.scanAndSettle();
  }

  private static final CamPath DISK = CamPath.of(0, 3, 0);
  private static final CamPath EXPANDER = CamPath.of(0, 5, 0);

  private static Ccb.Completed smp(Devfs.FileHandle fh, ByteString request) {
    Ccb.SmpIo io = new Ccb.SmpIo(
        new Ccb.Header(0, CamPath.XPT, 0, CcbFlags.DIR_IN, 0, 0, testKit.system().ignoreRef()), request, Smp.MAX_RESPONSE);
    Devfs.DevReply r = rig.ioctl(fh, new PassPeriph.CamIoCommand(io));
    assertEquals(Errno.OK, r.errno());
    return ((PassPeriph.CamIoResult) r.result()).completed();
  }

  private static String pass(CamPath p) {
    PeriphDriver.UnitInfo u = rig.units("pass").atPath(p);
    assertNotNull(u, "no pass at " + p);
    return "pass" + u.unit();
  }

  @Test
  void smpIoReachesTheExpanderAndOnlyIt() {
    Devfs.FileHandle fh = rig.openOk(pass(EXPANDER));
    Ccb.Completed rg = smp(fh, Smp.reportGeneral());
    assertEquals(CamStatus.REQ_CMP, rg.status());
    assertEquals(4, Smp.general(rg.data()).phys());
    assertEquals(Smp.MAX_RESPONSE - 32, rg.resid());
    Ccb.Completed bad = smp(fh, Smp.raw(0x7e, 4));
    assertEquals(CamStatus.REQ_CMP, bad.status(), "an SMP function result is not a transport error");
    assertEquals(Smp.FR_UNKNOWN_FUNCTION, Smp.result(bad.data()));
    rig.close(fh);

    Devfs.FileHandle disk = rig.openOk(pass(DISK));
    assertEquals(CamStatus.REQ_INVALID, smp(disk, Smp.reportGeneral()).status(), "a disk is no SMP target");
    rig.close(disk);
    assertEquals(0, rig.units("da").units().stream().filter(u -> u.path().equals(EXPANDER)).count(), "no da on the expander");
  }

  @Test
  void phyDisableDetachesTheDiskAndLinkResetBringsItBackAsTheSameUnit() {
    int da = rig.units("da").atPath(DISK).unit();
    String diskPass = pass(DISK);
    Devfs.FileHandle fh = rig.openOk(pass(EXPANDER));
    Devfs.FileHandle held = rig.openOk("da" + da); // open while it goes away

    Ccb.Completed off = smp(fh, Smp.phyControl(0, Smp.PC_DISABLE));
    assertEquals(Smp.FR_ACCEPTED, Smp.result(off.data()));
    TestProbe<Object> p = testKit.createTestProbe();
    p.awaitAssert(StackRig.WAIT, () -> {
      assertNull(rig.units("da").atPath(DISK), "da left");
      assertNull(rig.units("pass").atPath(DISK), "pass left");
      return null;
    });
    assertEquals(Smp.RATE_PHY_DISABLED, Smp.discoverPhy(smp(fh, Smp.discover(0)).data()).linkRate());
    assertNotNull(rig.units("da").atPath(CamPath.of(0, 4, 0)), "the disk on phy 1 stays");
    assertEquals(Errno.ENXIO, rig.close(held).errno(), "the last close of a gone da");
    p.awaitAssert(StackRig.WAIT, () -> {
      assertTrue(rig.checker.eventsOf(LifetimeEvent.UnitFreed.class).stream().anyMatch(e -> e.periphName().equals("da" + da)),
          "da" + da + " freed");
      return null;
    });

    assertEquals(Smp.FR_ACCEPTED, Smp.result(smp(fh, Smp.phyControl(0, Smp.PC_LINK_RESET)).data()));
    p.awaitAssert(StackRig.WAIT, () -> {
      assertNotNull(rig.units("da").atPath(DISK), "da back");
      assertNotNull(rig.units("pass").atPath(DISK), "pass back");
      return null;
    });
    assertEquals(da, rig.units("da").atPath(DISK).unit(), "the same da unit");
    assertEquals(diskPass, pass(DISK), "the same pass unit");
    assertEquals(Smp.DEV_END_DEVICE, Smp.discoverPhy(smp(fh, Smp.discover(0)).data()).attachedType());
    rig.close(fh);
    assertEquals(List.of(), rig.checker.violations());
  }
}
