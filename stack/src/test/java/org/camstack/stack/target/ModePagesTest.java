package org.camstack.stack.target;

import static org.camstack.stack.target.T.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.scsi.ScsiResponse;
import org.junit.jupiter.api.Test;

/** MODE SENSE / MODE SELECT (6/10) over pages 0x01, 0x08, 0x0A. */
class ModePagesTest {

  private final EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, 512));

  @Test
  void allPagesInCodeOrder() {
    ByteString d = run(disk, modeSense6(0x3f, 255), 255).data();
    assertEquals(4 + 8 + 12 + 20 + 12, d.size());
    assertEquals(0x01, u8(d, 12) & 0x3f);
    assertEquals(0x08, u8(d, 24) & 0x3f);
    assertEquals(0x12, u8(d, 25));
    assertEquals(0x04, u8(d, 26) & 0x04); // WCE on by default
    assertEquals(0x0a, u8(d, 44) & 0x3f);
    assertEquals(0x10, u8(d, 2)); // DPOFUA
  }

  @Test
  void dbdAndAllocationLength() {
    ByteString d = run(disk, cdb(0x1a, 0x08, 0x08, 0, 255, 0), 255).data();
    assertEquals(4 + 20, d.size());
    assertEquals(0, u8(d, 3));
    assertEquals(0x08, u8(d, 4) & 0x3f);
    ScsiResponse r = run(disk, modeSense6(0x3f, 4), 255);
    assertEquals(4, r.data().size());
    assertEquals(4 + 8 + 44 - 1, u8(r.data(), 0)); // header still tells the full length
  }

  @Test
  void modeSense10WithLongLbaDescriptor() {
    ByteString d = run(disk, modeSense10(0x10, 0x0a, 255), 255).data();
    assertEquals(8 + 16 + 12, d.size());
    assertEquals(d.size() - 2, be16(d, 0));
    assertEquals(0x01, u8(d, 4)); // LONGLBA
    assertEquals(16, be16(d, 6));
    assertEquals(1000, be64(d, 8));
    assertEquals(512, be32(d, 20));
    ByteString s = run(disk, modeSense10(0, 0x0a, 255), 255).data();
    assertEquals(8, be16(s, 6));
  }

  @Test
  void pageControlChangeableDefaultSaved() {
    ByteString ch = run(disk, cdb(0x1a, 0x08, 0x48, 0, 255, 0), 255).data(); // PC=1 caching
    assertEquals(0x05, u8(ch, 6));
    ByteString def = run(disk, cdb(0x1a, 0x08, 0x88, 0, 255, 0), 255).data();
    assertEquals(0x04, u8(def, 6));
    ByteString saved = run(disk, cdb(0x1a, 0x08, 0xc8, 0, 255, 0), 255).data();
    assertEquals(0x04, u8(saved, 6));
  }

  @Test
  void unsupportedPageOrSubpage() {
    ScsiResponse p = run(disk, modeSense6(0x1c, 255), 255);
    assertSense(p, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertField(p, true, 2, 5);
    ScsiResponse s = run(disk, cdb(0x1a, 0, 0x0a, 0x01, 255, 0), 255);
    assertField(s, true, 3, -1);
    assertGood(run(disk, cdb(0x1a, 0, 0x3f, 0xff, 255, 0), 255));
  }

  @Test
  void modeSelectPersistsAndNotifiesOtherInitiators() {
    assertTrue(disk.writeCacheEnabled());
    ByteString caching = select6(cachingPage(0x00));
    assertGood(out(disk, cdb(0x15, 0x10, 0, 0, caching.size(), 0), caching, 1));
    assertFalse(disk.writeCacheEnabled());
    assertEquals(0, u8(run(disk, cdb(0x1a, 0x08, 0x08, 0, 255, 0), 255, 1).data(), 6) & 0x04);
    // the initiator that changed it gets no UA; the others do, once
    assertGood(run(disk, tur(), 0, 1));
    assertSense(run(disk, tur(), 0, 2), Sense.UNIT_ATTENTION, 0x2a, 0x01);
    assertGood(run(disk, tur(), 0, 2));
    // not saved: a reset reverts to the saved value
    disk.reset(0x29, 0x02);
    assertTrue(disk.writeCacheEnabled());
  }

  @Test
  void modeSelectWithSaveSurvivesReset() {
    ByteString caching = select6(cachingPage(0x00));
    assertGood(out(disk, cdb(0x15, 0x11, 0, 0, caching.size(), 0), caching));
    disk.reset(0x29, 0x02);
    assertFalse(disk.writeCacheEnabled());
    assertSense(run(disk, tur(), 0, 3), Sense.UNIT_ATTENTION, 0x29, 0x02);
    assertEquals(0, u8(run(disk, cdb(0x1a, 0x08, 0xc8, 0, 255, 0), 255, 3).data(), 6) & 0x04, "saved value");
  }

  @Test
  void modeSelect10WithBlockDescriptor() {
    byte[] page = cachingPage(0x00);
    byte[] b = new byte[8 + 8 + page.length];
    b[7] = 8;
    Bytes.put24(b, 8 + 5, 512);
    System.arraycopy(page, 0, b, 16, page.length);
    assertGood(out(disk, cdb(0x55, 0x10, 0, 0, 0, 0, 0, 0, b.length, 0), ByteString.fromArrayUnsafe(b)));
    assertFalse(disk.writeCacheEnabled());
    Bytes.put24(b, 8 + 5, 4096); // changing the block size is not supported
    ScsiResponse r = out(disk, cdb(0x55, 0x10, 0, 0, 0, 0, 0, 0, b.length, 0), ByteString.fromArrayUnsafe(b));
    assertSense(r, Sense.ILLEGAL_REQUEST, 0x26, 0x00);
    assertField(r, false, 13, -1);
  }

  @Test
  void modeSelectBadInput() {
    // unchangeable bit
    byte[] page = cachingPage(0x04);
    page[2] |= 0x40; // CAP is not changeable
    ScsiResponse r = out(disk, cdb(0x15, 0x10, 0, 0, 24, 0), select6(page));
    assertSense(r, Sense.ILLEGAL_REQUEST, 0x26, 0x00);
    assertField(r, false, 6, 6);
    // unknown page
    byte[] unknown = new byte[] {0x1c, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assertField(out(disk, cdb(0x15, 0x10, 0, 0, 16, 0), select6(unknown)), false, 4, 5);
    // wrong page length
    byte[] shortPage = new byte[] {0x08, 0x10, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assertField(out(disk, cdb(0x15, 0x10, 0, 0, 22, 0), select6(shortPage)), false, 5, -1);
    // page truncated by the parameter list length
    ByteString full = select6(cachingPage(0x04));
    ByteString cut = full.take(15);
    assertSense(out(disk, cdb(0x15, 0x10, 0, 0, 15, 0), cut), Sense.ILLEGAL_REQUEST, 0x1a, 0x00);
    assertSense(out(disk, cdb(0x15, 0x10, 0, 0, 2, 0), full.take(2)), Sense.ILLEGAL_REQUEST, 0x1a, 0x00);
    // data-out length differs from the parameter list length
    ScsiResponse mismatch = out(disk, cdb(0x15, 0x10, 0, 0, 30, 0), full);
    assertSense(mismatch, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertField(mismatch, true, 4, -1);
    // nothing changed, nobody told
    assertTrue(disk.writeCacheEnabled());
    assertGood(run(disk, tur(), 0, 9));
  }

  @Test
  void modeSelectOfZeroLengthIsANoOp() {
    assertGood(run(disk, cdb(0x15, 0x10, 0, 0, 0, 0), 0));
  }

  static byte[] cachingPage(int byte2) {
    byte[] p = new byte[20];
    p[0] = 0x08;
    p[1] = 0x12;
    p[2] = (byte) byte2;
    p[4] = (byte) 0xff;
    p[5] = (byte) 0xff;
    p[8] = (byte) 0xff;
    p[9] = (byte) 0xff;
    p[10] = (byte) 0xff;
    p[11] = (byte) 0xff;
    p[13] = 0x10;
    return p;
  }

  static ByteString select6(byte[] page) {
    return EmuDiskIoTest.modeSelect6(page);
  }
}
