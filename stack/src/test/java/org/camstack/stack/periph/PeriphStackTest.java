package org.camstack.stack.periph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
import org.camstack.stack.scsi.Cdbs;
import org.camstack.stack.scsi.da.DaPeriph;
import org.camstack.stack.scsi.pass.PassPeriph;
import org.camstack.stack.scsi.ses.SesPages;
import org.camstack.stack.scsi.ses.SesPeriph;
import org.camstack.stack.sim.EmuSim;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.testkit.StackRig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The periph drivers on the real stack: XPT, EmuSim, emulated disks and enclosure, devfs. */
@ExtendWith(LogCapturingExtension.class)
class PeriphStackTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create("PeriphStackTest", StackRig.config(StackRig.TOPOLOGY));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static final StackRig rig = new StackRig(testKit, false);
  private static final Ccb.DevMatchResult edt = rig.scanAndSettle();

  private static Map<CamPath, List<String>> periphsByPath() {
    Map<CamPath, List<String>> m = new TreeMap<>((a, b) -> a.btl().compareTo(b.btl()));
    for (Ccb.BusMatch b : edt.buses()) {
      for (Ccb.DeviceMatch d : b.devices()) {
        if (!d.unconfigured()) {
          m.put(d.path(), d.periphs());
        }
      }
    }
    return m;
  }

  @Test
  void everyDeviceGetsPassAndItsTypeDriver() {
    Map<CamPath, List<String>> p = periphsByPath();
    assertEquals(4, p.size(), p.toString());
    for (int t : new int[] {0, 1, 2}) {
      List<String> names = p.get(CamPath.of(0, t, 0));
      assertEquals(3, names.size(), names.toString());
      assertTrue(names.stream().anyMatch(n -> n.matches("sg[0-9]+")), names.toString());
      // the order inside the list is attach order (newest first), which races between drivers
      assertTrue(names.stream().anyMatch(n -> n.startsWith("pass")), names.toString());
      assertTrue(names.stream().anyMatch(n -> n.startsWith("da")), names.toString());
    }
    List<String> enc = p.get(CamPath.of(0, 6, 0));
    assertEquals(3, enc.size(), enc.toString());
    assertTrue(enc.contains("ses0") && enc.stream().anyMatch(n -> n.startsWith("pass")), enc.toString());
    List<String> active = rig.nodes().activeNames();
    assertTrue(active.containsAll(List.of("da0", "da1", "da2", "pass0", "pass1", "pass2", "pass3", "ses0")), active.toString());
    assertEquals(List.of(), rig.checker.violations());
  }

  private static String daAt(int target) {
    return "da" + rig.units("da").atPath(CamPath.of(0, target, 0)).unit();
  }

  private static String passAt(int target) {
    return "pass" + rig.units("pass").atPath(CamPath.of(0, target, 0)).unit();
  }

  @Test
  void daReadsWritesFlushesAndDeletesThroughDevfs() {
    Devfs.FileHandle fh = rig.openOk(daAt(1));
    DaPeriph.MediaInfo mi = (DaPeriph.MediaInfo) rig.ioctl(fh, new DaPeriph.GetMediaInfo()).result();
    assertEquals(4096, mi.sectorSize());
    assertEquals(64L * 1024 * 1024, mi.mediaSize());
    assertEquals("UNMAP", mi.deleteMethod());

    byte[] data = new byte[3 * 4096 + 4096 * 40];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 31 + 7);
    }
    Devfs.DevReply w = rig.call(r -> new Devfs.Write(fh, 8192, ByteString.fromArray(data), r));
    assertEquals(Errno.OK, w.errno());
    Devfs.DevReply rd = rig.call(r -> new Devfs.Read(fh, 8192, data.length, r));
    assertEquals(Errno.OK, rd.errno());
    assertEquals(ByteString.fromArray(data), rd.data());
    assertEquals(Errno.OK, rig.ioctl(fh, new DaPeriph.Flush()).errno());
    assertEquals(Errno.OK, rig.ioctl(fh, new DaPeriph.Delete(8192, 4096)).errno());
    Devfs.DevReply zero = rig.call(r -> new Devfs.Read(fh, 8192, 4096, r));
    assertEquals(ByteString.fromArray(new byte[4096]), zero.data());
    assertEquals(Errno.EINVAL, rig.call(r -> new Devfs.Read(fh, 100, 4096, r)).errno());
    assertEquals(Errno.OK, rig.close(fh).errno());
  }

  @Test
  void theEnclosurePublishesPhysicalPathsThatPassTurnsIntoAliases() {
    String pass0 = passAt(0);
    String pass1 = passAt(1);
    TestProbe<Object> p = testKit.createTestProbe();
    List<String> aliases =
        p.awaitAssert(
            () -> {
              List<String> a =
                  rig.nodes().nodes().stream()
                      .filter(n -> n.parent().matches("pass[0-9]+")) // pass's physical paths, not sg's Linux names
                      .map(Devfs.NodeInfo::name)
                      .toList();
              assertTrue(a.stream().anyMatch(n -> n.matches("enc@n[0-9a-f]+/type@0/slot@0/" + pass0)), a.toString());
              assertTrue(a.stream().anyMatch(n -> n.matches("enc@n[0-9a-f]+/type@0/slot@1/" + pass1)), a.toString());
              return a;
            });
    assertEquals(2, aliases.size(), aliases.toString()); // the disk at target 2 sits in no slot
    Devfs.FileHandle viaAlias = rig.openOk(aliases.get(0));
    assertEquals(Errno.OK, rig.close(viaAlias).errno());
  }

  @Test
  void daReReadsItsCapacityAfterTheCapacityChangedUnitAttention() {
    StackRig local = new StackRig(ActorTestKitHolder.kit(), false);
    local.scanAndSettle();
    String da = "da" + local.units("da").atPath(CamPath.of(0, 0, 0)).unit();
    Devfs.FileHandle fh = local.openOk(da);
    assertEquals(64L * 1024 * 1024, ((DaPeriph.MediaInfo) local.ioctl(fh, new DaPeriph.GetMediaInfo()).result()).mediaSize());

    local.simDo(local.sim(0), r -> new EmuSim.ResizeLun(0, 0, 2 * 131072, r)); // UA 2A/09 pending
    assertEquals(Errno.OK, local.call(r -> new Devfs.Read(fh, 0, 512, r)).errno()); // UA retried
    TestProbe<Object> p = testKit.createTestProbe();
    p.awaitAssert(
        () -> {
          DaPeriph.MediaInfo mi = (DaPeriph.MediaInfo) local.ioctl(fh, new DaPeriph.GetMediaInfo()).result();
          assertEquals(128L * 1024 * 1024, mi.mediaSize());
          return null;
        });
    local.close(fh);
  }

  @Test
  void passRunsUserCcbsAndRefusesXptOnlyFunctionCodes() {
    Devfs.FileHandle fh = rig.openOk(passAt(0));
    TestProbe<Ccb.Completed> ignored = testKit.createTestProbe();
    Ccb.ScsiIo tur =
        new Ccb.ScsiIo(
            new Ccb.Header(1, CamPath.of(0, 0, 0), CamPriority.NORMAL, CcbFlags.DIR_NONE, 0, 0, ignored.getRef()),
            Cdbs.testUnitReady(),
            ByteString.emptyByteString(),
            0);
    Devfs.DevReply r = rig.ioctl(fh, new PassPeriph.CamIoCommand(tur));
    assertEquals(Errno.OK, r.errno());
    assertEquals(CamStatus.REQ_CMP, ((PassPeriph.CamIoResult) r.result()).completed().status());

    Ccb.ScanBus scan = new Ccb.ScanBus(Ccb.Header.of(2, CamPath.bus(0), ignored.getRef()));
    assertEquals(Errno.ENODEV, rig.ioctl(fh, new PassPeriph.CamIoCommand(scan)).errno());
    rig.close(fh);
  }

  @Test
  void sesReadsItsPagesAndControlsSlotIdent() {
    Devfs.FileHandle fh = rig.openOk("ses0");
    TestProbe<Object> p = testKit.createTestProbe();
    SesPeriph.ElementMap map =
        p.awaitAssert(
            () -> {
              SesPeriph.ElementMap m = (SesPeriph.ElementMap) rig.ioctl(fh, new SesPeriph.GetElementMap()).result();
              assertTrue(!m.elements().isEmpty());
              return m;
            });
    assertEquals(SesPages.ELM_ARRAY_DEVICE_SLOT, map.elements().get(0).elementType());
    SesPeriph.ElementStatus slot0 = (SesPeriph.ElementStatus) rig.ioctl(fh, new SesPeriph.GetElementStatus(0)).result();
    assertEquals(SesPages.STATUS_OK, slot0.statusCode()); // da at target 0 sits in slot 0
    assertTrue(!slot0.ident());

    assertEquals(Errno.OK, rig.ioctl(fh, new SesPeriph.SetElementStatus(0, true, false)).errno());
    p.awaitAssert(
        () -> {
          SesPeriph.ElementStatus s = (SesPeriph.ElementStatus) rig.ioctl(fh, new SesPeriph.GetElementStatus(0)).result();
          assertTrue(s.ident());
          return null;
        });
    rig.ioctl(fh, new SesPeriph.SetElementStatus(0, false, false));
    rig.close(fh);
  }

  @Test
  void aPulledAndReplugedTargetGetsNewPeriphsOnlyAfterTheOldOnesAreGone() {
    StackRig local = new StackRig(ActorTestKitHolder.kit(), false);
    local.scanAndSettle();
    String pass = "pass" + local.units("pass").atPath(CamPath.of(0, 2, 0)).unit();
    Devfs.FileHandle fh = local.openOk(pass);

    local.simDo(local.sim(0), r -> new EmuSim.RemoveTarget(2, r));
    TestProbe<Object> p = testKit.createTestProbe();
    p.awaitAssert(
        () -> {
          assertEquals(Errno.ENXIO, local.ioctl(fh, new PassPeriph.GetPassthru()).errno());
          return null;
        });
    assertEquals(Errno.ENXIO, local.close(fh).errno());

    local.simDo(
        local.sim(0), r -> new EmuSim.AddTarget(2, List.of(LunSpec.disk(0, 16384, 512)), r));
    p.awaitAssert(
        () -> {
          assertTrue(local.units("da").atPath(CamPath.of(0, 2, 0)) != null);
          assertTrue(local.units("da").atPath(CamPath.of(0, 2, 0)).generation() > 1);
          return null;
        });
    assertEquals(List.of(), local.checker.violations());
    Set<String> nodes = Set.copyOf(local.nodes().activeNames());
    assertTrue(nodes.contains(pass), nodes.toString());
  }

  /** A second stack in its own actor system, for tests that change the topology. */
  static final class ActorTestKitHolder {
    private static final ActorTestKit KIT =
        ActorTestKit.create("PeriphStackTest2", StackRig.config(StackRig.TOPOLOGY));

    static ActorTestKit kit() {
      return KIT;
    }
  }

  @AfterAll
  static void shutdownSecond() {
    ActorTestKitHolder.kit().shutdownTestKit();
  }
}
