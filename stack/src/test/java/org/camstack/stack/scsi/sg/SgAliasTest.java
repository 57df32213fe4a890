package org.camstack.stack.scsi.sg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.sim.EmuSim;
import org.camstack.stack.testkit.StackRig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Linux names of sg nodes (cf. sgregister() in scsi_sg.c): {@code sg<letter>} aliases of
 * {@code sgN}, opened like the node itself and gone with it when the device is pulled.
 */
@Timeout(60)
class SgAliasTest {
  private static final String TOPOLOGY =
      "camstack.topology.buses = [ { name = emusim, targets = [\n"
          + "  { id = 0, luns = [ { lun = 0, size = 1MiB, block-size = 512 } ] },\n"
          + "  { id = 1, luns = [ { lun = 0, size = 1MiB, block-size = 512 } ] }\n"
          + "] } ]\n";

  private static final ActorTestKit testKit = ActorTestKit.create("SgAliasTest", StackRig.config(TOPOLOGY));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @ParameterizedTest(name = "sg{0} -> {1}")
  @CsvSource({"0, sga", "1, sgb", "25, sgz", "26, sgaa", "27, sgab", "51, sgaz", "52, sgba", "701, sgzz"})
  void linuxNames(int unit, String name) {
    assertEquals(name, SgPeriph.linuxName(unit));
    assertEquals(unit, SgPeriph.unitOfLinuxName(name));
  }

  @Test
  void noNameBeyondTwoLetters() {
    assertNull(SgPeriph.linuxName(702));
    assertNull(SgPeriph.linuxName(-1));
    for (String notLinux : new String[] {"sg0", "sg", "sgaaa", "sgA", "pass0", "sg{a"}) {
      assertEquals(-1, SgPeriph.unitOfLinuxName(notLinux), notLinux);
    }
  }

  private static List<String> names(StackRig rig) {
    return rig.nodes().nodes().stream().map(Devfs.NodeInfo::name).toList();
  }

  @Test
  void theAliasOpensTheSgNodeAndGoesWithIt() {
    StackRig rig = new StackRig(testKit, false);
    rig.scanAndSettle();
    int unit = rig.units("sg").atPath(CamPath.of(0, 1, 0)).unit();
    String alias = SgPeriph.linuxName(unit);
    TestProbe<Object> p = testKit.createTestProbe();
    p.awaitAssert(StackRig.WAIT, () -> {
      assertTrue(names(rig).contains(alias), alias + " in " + names(rig));
      return null;
    });

    Devfs.FileHandle fh = rig.openOk(alias);
    Devfs.DevReply id = rig.ioctl(fh, new SgPeriph.GetScsiId());
    assertEquals(Errno.OK, id.errno());
    assertEquals(1, ((SgPeriph.ScsiId) id.result()).scsiId(), "the alias reaches sg" + unit);
    rig.close(fh);

    rig.simDo(rig.sim(0), r -> new EmuSim.RemoveTarget(1, r)); // rescan-on-change: AC_LOST_DEVICE
    p.awaitAssert(StackRig.WAIT, () -> {
      assertFalse(names(rig).contains(alias), "the alias went with sg" + unit + ": " + names(rig));
      assertFalse(names(rig).contains("sg" + unit));
      return null;
    });
    assertEquals(List.of(), rig.checker.violations());
  }
}
