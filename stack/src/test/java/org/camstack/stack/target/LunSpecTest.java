package org.camstack.stack.target;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LunSpecTest {

  @Test
  void defaultsForADisk() {
    LunSpec s = LunSpec.fromConfig(ConfigFactory.parseString("lun = 3"), 1, 2);
    assertEquals(3, s.lun());
    assertEquals(LunSpec.Type.DISK, s.type());
    assertEquals("CAMSTACK", s.vendor());
    assertEquals("EMU-DISK", s.product());
    assertEquals("0001", s.revision());
    assertEquals("EMU01020003", s.serial());
    assertEquals(LunSpec.DEFAULT_BLOCKS, s.blocks());
    assertEquals(512, s.blockSize());
    assertEquals(LunSpec.StoreKind.RAM, s.store());
    assertFalse(s.removable());
    assertEquals(-1, s.enclosureSlot());
    assertEquals(32, s.queueDepth());
    assertEquals(16, s.wwn().length());
    assertEquals('5', s.wwn().charAt(0));
  }

  @Test
  void defaultIdentityDigits() {
    assertEquals("EMU00000000", LunSpec.defaultSerial(0, 0, 0));
    assertEquals("EMUFF0A1234", LunSpec.defaultSerial(0x1ff, 10, 0x51234)); // bus 8 bits, LUN 16 bits
    assertEquals("5ca57ac000000000", LunSpec.defaultWwn(0, 0, 0));
    assertEquals("5ca57ac1200a0003", LunSpec.defaultWwn(0x12, 10, 3));
    assertEquals("5ca57acff000ffff", LunSpec.defaultWwn(0xff, 0x1000, 0x1ffff)); // target 12 bits
  }

  @Test
  void derivedIdentityIsStableAndUnique() {
    LunSpec a = LunSpec.fromConfig(ConfigFactory.parseString("lun = 0"), 0, 1);
    LunSpec b = LunSpec.fromConfig(ConfigFactory.parseString("lun = 0"), 0, 1);
    LunSpec c = LunSpec.fromConfig(ConfigFactory.parseString("lun = 0"), 1, 1);
    assertEquals(a.wwn(), b.wwn());
    assertNotEquals(a.wwn(), c.wwn());
    assertNotEquals(a.serial(), c.serial());
  }

  @Test
  void everyKey() {
    LunSpec s = LunSpec.parse(
        "lun = 300, type = disk, vendor = ACME, product = \"ROCKET 9\", revision = \"A1\", serial = \"SN42\","
            + " wwn = \"0x5000C50012345678\", blocks = 4096, block-size = 4096, store = null, removable = true,"
            + " rotation-rate = 7200, enclosure-slot = 4, queue-depth = 8");
    assertEquals(300, s.lun());
    assertEquals("ACME", s.vendor());
    assertEquals("ROCKET 9", s.product());
    assertEquals("SN42", s.serial());
    assertEquals("5000c50012345678", s.wwn());
    assertEquals(0x5000C50012345678L, s.wwnValue());
    assertEquals(4096, s.blocks());
    assertEquals(4096, s.blockSize());
    assertEquals(LunSpec.StoreKind.NULL, s.store());
    assertTrue(s.removable());
    assertEquals(7200, s.rotationRate());
    assertEquals(4, s.enclosureSlot());
    assertEquals(8, s.queueDepth());
  }

  @Test
  void quotedNullStoreAndEnclosureDefaults() {
    assertEquals(LunSpec.StoreKind.NULL, LunSpec.parse("store = \"null\"").store());
    LunSpec e = LunSpec.parse("lun = 5, type = enclosure");
    assertEquals(LunSpec.Type.ENCLOSURE, e.type());
    assertEquals("EMU-SES", e.product());
    assertEquals(8, e.slots());
  }

  @Test
  void badInputHasOneLineMessages() {
    assertMessage("block-size 1000", "block-size = 1000");
    assertMessage("unknown type 'cartridge'", "type = cartridge");
    assertMessage("unknown store 'disk'", "store = disk");
    assertMessage("not an NAA 5", "wwn = \"6000c50012345678\"");
    assertMessage("lun 20000 out of range", "lun = 20000");
    assertMessage("needs a file path", "store = file");
    assertMessage("blocks must be positive", "blocks = 0");
  }

  private static void assertMessage(String expected, String hocon) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LunSpec.parse(hocon));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @Test
  void devicesFromSpecs(@TempDir Path dir) throws Exception {
    EmuDevice d = EmuDevices.create(LunSpec.parse("lun = 1, blocks = 100"), null);
    assertInstanceOf(EmuDisk.class, d);
    assertInstanceOf(RamStore.class, ((EmuDisk) d).store());
    EmuDevice n = EmuDevices.create(LunSpec.parse("lun = 1, blocks = 100, store = null"), null);
    assertInstanceOf(NullStore.class, ((EmuDisk) n).store());
    Path img = dir.resolve("disk.img");
    EmuDisk f = (EmuDisk) EmuDevices.create(LunSpec.parse("lun = 1, blocks = 100, store = file, file = \"" + img + "\""), null);
    assertInstanceOf(FileStore.class, f.store());
    assertEquals(100 * 512, Files.size(img));
    f.store().close();
    assertInstanceOf(EmuEnclosure.class, EmuDevices.create(LunSpec.parse("type = ses, slots = 4"), EnclosureView.EMPTY));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> EmuDevices.create(LunSpec.parse("store = file, file = \"" + dir.resolve("no/such/dir/x.img") + "\""), null));
    assertTrue(e.getMessage().startsWith("cannot open backing file"), e.getMessage());
  }
}
