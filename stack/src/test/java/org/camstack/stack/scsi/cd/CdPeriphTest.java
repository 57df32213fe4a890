package org.camstack.stack.scsi.cd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.scsi.pt.PtPeriph;
import org.camstack.stack.scsi.sg.SgIo;
import org.camstack.stack.scsi.sg.SgPeriph;
import org.camstack.stack.scsi.ErrorClassifier;
import org.camstack.stack.sim.EmuSim;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.testkit.StackRig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * cd, pt and sg on the real stack (XPT, EmuSim, emulated drive and processor, devfs): attach, open,
 * I/O, pull while open, reattach on the same unit, with the lifetime checker watching.
 */
@ExtendWith(LogCapturingExtension.class)
class CdPeriphTest {
  private static final int SECTORS = 100;
  private static final Path ISO = iso();

  private static Path iso() {
    try {
      Path p = Files.createTempFile("camstack-cd", ".iso");
      p.toFile().deleteOnExit();
      byte[] b = new byte[SECTORS * 2048];
      for (int s = 0; s < SECTORS; s++) {
        b[s * 2048] = (byte) s;
        b[s * 2048 + 2047] = (byte) ~s;
      }
      Files.write(p, b);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final String TOPOLOGY =
      "camstack.topology.buses = [ { name = emusim, max-target = 15, max-lun = 7, targets = [\n"
          + "  { id = 0, luns = [ { lun = 0, size = 8MiB, block-size = 512 } ] }\n"
          + "  { id = 1, luns = [ { lun = 0, type = cd, file = \"" + ISO.toString().replace("\\", "/") + "\" } ] }\n"
          + "  { id = 2, luns = [ { lun = 0, type = processor } ] }\n"
          + "] } ]\n";

  private static final ActorTestKit testKit = ActorTestKit.create("CdPeriphTest", StackRig.config(TOPOLOGY));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static final StackRig rig = new StackRig(testKit, false);

  static {
    rig.scanAndSettle();
  }

  private static String unitAt(String driver, int target) {
    return driver + rig.units(driver).atPath(CamPath.of(0, target, 0)).unit();
  }

  @Test
  void theDriversAttachByType() {
    List<String> active = rig.nodes().activeNames();
    assertTrue(active.contains(unitAt("cd", 1)), active.toString());
    assertTrue(active.contains(unitAt("pt", 2)), active.toString());
    for (int t = 0; t < 3; t++) {
      assertTrue(active.contains(unitAt("sg", t)), active.toString());
      assertTrue(active.contains(unitAt("pass", t)), active.toString());
    }
    assertEquals(null, rig.units("cd").atPath(CamPath.of(0, 0, 0)), "no cd on a disk");
    assertEquals(List.of(), rig.checker.violations());
  }

  @Test
  void cdReadsTheDiscAndWorksTheTray() {
    Devfs.FileHandle fh = rig.openOk(unitAt("cd", 1));
    CdPeriph.MediaInfo mi = (CdPeriph.MediaInfo) rig.ioctl(fh, new CdPeriph.GetMediaInfo()).result();
    assertTrue(mi.present(), mi.toString());
    assertEquals(SECTORS, mi.sectors());
    assertEquals(2048, mi.sectorSize());
    CdPeriph.Toc toc = (CdPeriph.Toc) rig.ioctl(fh, new CdPeriph.ReadToc()).result();
    assertEquals(new CdPeriph.Toc(1, 1, SECTORS), toc);

    Devfs.DevReply rd = rig.call(r -> new Devfs.Read(fh, 2048L * 97, 3 * 2048, r));
    assertEquals(Errno.OK, rd.errno());
    assertEquals(3 * 2048, rd.data().size());
    assertEquals(97, rd.data().apply(0));
    assertEquals((byte) ~99, rd.data().apply(3 * 2048 - 1));
    Devfs.DevReply big = rig.call(r -> new Devfs.Read(fh, 0, SECTORS * 2048, r)); // more than one CCB
    assertEquals(SECTORS * 2048, big.data().size());
    assertEquals(Errno.EINVAL, rig.call(r -> new Devfs.Read(fh, 100, 2048, r)).errno());

    assertEquals(Errno.OK, rig.ioctl(fh, new CdPeriph.Prevent(true)).errno());
    Devfs.DevReply refused = rig.ioctl(fh, new CdPeriph.Eject());
    assertTrue(refused.errno() != Errno.OK, "05/53/02 while prevented");
    assertTrue(((CdPeriph.Outcome) refused.result()).detail().contains("asc:53,2"), refused.toString());
    assertEquals(Errno.OK, rig.ioctl(fh, new CdPeriph.Prevent(false)).errno());
    assertEquals(Errno.OK, rig.ioctl(fh, new CdPeriph.Eject()).errno());
    CdPeriph.MediaInfo none = (CdPeriph.MediaInfo) rig.ioctl(fh, new CdPeriph.GetMediaInfo()).result();
    assertFalse(none.present());
    assertEquals(Errno.ENXIO, rig.call(r -> new Devfs.Read(fh, 0, 2048, r)).errno());
    assertEquals(Errno.OK, rig.close(fh).errno());
    assertEquals(List.of(), rig.checker.violations());
  }

  @Test
  void ptSendsAndReceives() {
    Devfs.FileHandle fh = rig.openOk(unitAt("pt", 2));
    ByteString msg = ByteString.fromString("hello, processor");
    assertEquals(Errno.OK, rig.call(r -> new Devfs.Write(fh, 0, msg, r)).errno());
    Devfs.DevReply back = rig.call(r -> new Devfs.Read(fh, 0, 4096, r));
    assertEquals(Errno.OK, back.errno());
    assertEquals(msg, back.data());
    assertEquals(0, rig.call(r -> new Devfs.Read(fh, 0, 4096, r)).data().size(), "nothing queued");
    assertEquals(60, ((PtPeriph.Timeout) rig.ioctl(fh, new PtPeriph.GetTimeout()).result()).seconds());
    rig.close(fh);
  }

  @Test
  void sgRunsSgIoWithStatusSenseAndResid() {
    Devfs.FileHandle fh = rig.openOk(unitAt("sg", 0));
    SgIo.Request inq = new SgIo.Request(SgIo.SG_DXFER_FROM_DEV, ByteString.fromArray(new byte[] {0x12, 0, 0, 0, 96, 0}), 96, null, 32, 0);
    SgIo.Response r = ((SgPeriph.SgIoResult) rig.ioctl(fh, new SgPeriph.SgIoCmd(inq)).result()).response();
    assertEquals(0, r.status());
    assertEquals(SgIo.DID_OK, r.hostStatus());
    assertEquals(SgIo.SG_INFO_OK, r.info());
    assertEquals(96 - r.data().size(), r.resid());
    // READ(10) beyond the end: CHECK CONDITION with sense, no recovery
    SgIo.Request bad = new SgIo.Request(SgIo.SG_DXFER_FROM_DEV, ByteString.fromArray(new byte[] {0x28, 0, 0x7f, 0, 0, 0, 0, 0, 1, 0}), 512, null, 18, 0);
    SgIo.Response b = ((SgPeriph.SgIoResult) rig.ioctl(fh, new SgPeriph.SgIoCmd(bad)).result()).response();
    assertEquals(0x02, b.status());
    assertEquals(0x01, b.maskedStatus());
    assertEquals(SgIo.DRIVER_SENSE, b.driverStatus());
    assertEquals(18, b.sbLenWr());
    assertEquals(0x21, b.sense().apply(12) & 0xff, "LBA out of range");
    assertEquals(512, b.resid());
    assertEquals(SgIo.SG_INFO_CHECK, b.info());
    SgIo.Request malformed = new SgIo.Request(SgIo.SG_DXFER_NONE, ByteString.fromArray(new byte[] {0, 0}), 0, null, 0, 0);
    assertEquals(Errno.EINVAL, rig.ioctl(fh, new SgPeriph.SgIoCmd(malformed)).errno());
    assertEquals(new SgPeriph.ScsiId(0, 0, 0, 0, 0), rig.ioctl(fh, new SgPeriph.GetScsiId()).result());
    rig.close(fh);
  }

  @Test
  void aCdPulledWhileOpenComesBackOnTheSameUnit() {
    StackRig local = new StackRig(Second.KIT, false);
    local.scanAndSettle();
    CamPath at = CamPath.of(0, 1, 0);
    int unit = local.units("cd").atPath(at).unit();
    Devfs.FileHandle fh = local.openOk("cd" + unit);

    local.simDo(local.sim(0), r -> new EmuSim.RemoveTarget(1, r));
    TestProbe<Object> p = Second.KIT.createTestProbe();
    // the re-scan finds the target gone only after selection timeouts, each retried after
    // periph_selto_delay (ErrorClassifier.SELTO_DELAY_MS): 2 s and more, past the probe's 3 s default
    p.awaitAssert(
        Duration.ofMillis(10 * ErrorClassifier.SELTO_DELAY_MS),
        () -> {
          assertEquals(Errno.ENXIO, local.ioctl(fh, new CdPeriph.GetMediaInfo()).errno());
          return null;
        });
    assertEquals(Errno.ENXIO, local.close(fh).errno());

    local.simDo(
        local.sim(0),
        r -> new EmuSim.AddTarget(1, List.of(LunSpec.parse("lun = 0, type = cd, bus = 0, target = 1, file = \"" + ISO.toString().replace("\\", "/") + "\"")), r));
    p.awaitAssert(
        () -> {
          assertTrue(local.units("cd").atPath(at) != null);
          assertTrue(local.nodes().activeNames().contains("cd" + unit));
          return null;
        });
    assertEquals(unit, local.units("cd").atPath(at).unit(), "the same unit again");
    Devfs.FileHandle again = local.openOk("cd" + unit);
    assertTrue(((CdPeriph.MediaInfo) local.ioctl(again, new CdPeriph.GetMediaInfo()).result()).present());
    local.close(again);
    assertEquals(List.of(), local.checker.violations());
  }

  /** A second stack for the test that changes the topology. */
  static final class Second {
    static final ActorTestKit KIT = ActorTestKit.create("CdPeriphTest2", StackRig.config(TOPOLOGY));
  }

  @AfterAll
  static void shutdownSecond() {
    Second.KIT.shutdownTestKit();
  }
}
