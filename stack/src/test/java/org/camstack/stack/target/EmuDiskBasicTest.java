package org.camstack.stack.target;

import static org.camstack.stack.target.T.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.ScsiResponse;
import org.junit.jupiter.api.Test;

/** The commands the XPT probe relies on. */
class EmuDiskBasicTest {

  private final EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, 512));

  @Test
  void standardInquiry() {
    ScsiResponse r = run(disk, inquiry(96), 96);
    assertGood(r);
    ByteString d = r.data();
    assertEquals(74, d.size());
    assertEquals(96 - 74, r.resid());
    assertEquals(0x00, u8(d, 0));
    assertEquals(6, u8(d, 2));
    assertEquals(69, u8(d, 4));
    assertEquals(0x02, u8(d, 7) & 0x02);
    assertEquals("CAMSTACK", ascii(d, 8, 8));
    assertEquals("EMU-DISK        ", ascii(d, 16, 16));
    assertEquals("0001", ascii(d, 32, 4));
  }

  @Test
  void shortInquiryTruncatesToAllocationLength() {
    ScsiResponse r = run(disk, inquiry(36), 255);
    assertGood(r);
    assertEquals(36, r.data().size());
    assertEquals(255 - 36, r.resid());
  }

  @Test
  void vpdPages() {
    ByteString p0 = run(disk, vpd(0x00, 255), 255).data();
    assertEquals(List.of(0x00, 0x80, 0x83, 0x8f, 0xb0, 0xb1, 0xb2), List.of(u8(p0, 4), u8(p0, 5), u8(p0, 6), u8(p0, 7), u8(p0, 8), u8(p0, 9), u8(p0, 10)));
    ByteString p80 = run(disk, vpd(0x80, 255), 255).data();
    assertEquals(disk.spec().serial(), ascii(p80, 4, u8(p80, 3)));
    ByteString p83 = run(disk, vpd(0x83, 255), 255).data();
    assertEquals(0x03, u8(p83, 5) & 0x0f); // NAA
    assertEquals(disk.spec().wwnValue(), be64(p83, 8));
    assertEquals(0x01, u8(p83, 17) & 0x0f); // T10 vendor id
    assertEquals("CAMSTACK", ascii(p83, 20, 8));
  }

  @Test
  void testUnitReadyAndReadCapacity() {
    assertGood(run(disk, tur(), 0));
    ScsiResponse rc = run(disk, readCapacity10(), 8);
    assertGood(rc);
    assertEquals(999, be32(rc.data(), 0));
    assertEquals(512, be32(rc.data(), 4));
    ScsiResponse rc16 = run(disk, readCapacity16(32), 32);
    assertGood(rc16);
    assertEquals(999, be64(rc16.data(), 0));
    assertEquals(512, be32(rc16.data(), 8));
    assertEquals(0xc0, u8(rc16.data(), 14)); // LBPME, LBPRZ: RAM store is thin
  }

  @Test
  void writeThenRead() {
    ByteString data = bytes(1024, 0x5a);
    assertGood(out(disk, write10(10, 2), data));
    ScsiResponse r = run(disk, read10(9, 4), 2048);
    assertGood(r);
    byte[] got = r.data().toArray();
    assertEquals(2048, got.length);
    for (int i = 0; i < 2048; i++) {
      assertEquals(i >= 512 && i < 1536 ? 0x5a : 0, got[i] & 0xff, "byte " + i);
    }
  }

  @Test
  void reportLunsOfStandaloneDisk() {
    ScsiResponse r = run(disk, reportLuns(0, 256), 256);
    assertGood(r);
    assertEquals(8, be32(r.data(), 0));
    assertEquals(16, r.data().size());
  }

  @Test
  void modeSenseControlPage() {
    ScsiResponse r = run(disk, modeSense6(0x0a, 255), 255);
    assertGood(r);
    ByteString d = r.data();
    assertEquals(4 + 8 + 12, d.size());
    assertEquals(d.size() - 1, u8(d, 0));
    assertEquals(8, u8(d, 3));
    assertEquals(1000, be32(d, 4));
    assertEquals(512, (int) (be32(d, 8) & 0xffffff));
    assertEquals(0x0a, u8(d, 12) & 0x3f);
    assertEquals(0x0a, u8(d, 13));
    assertTrue((u8(d, 12) & 0x80) != 0, "PS");
    assertArrayEquals(new byte[] {0x02, 0x10}, d.slice(14, 16).toArray());
  }
}
