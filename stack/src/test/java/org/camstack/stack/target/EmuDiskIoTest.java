package org.camstack.stack.target;

import static org.camstack.stack.target.T.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.scsi.ScsiResponse;
import org.junit.jupiter.api.Test;

/** SBC media-access commands: CDB in, status / sense / data out. */
class EmuDiskIoTest {

  private final EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, 512));

  @Test
  void readWriteAllCdbSizes() {
    ByteString a = BackingStoreTest.pattern(512);
    assertGood(out(disk, rw6(0x0a, 1, 1), a));
    assertEquals(a, run(disk, rw6(0x08, 1, 1), 512).data());
    assertGood(out(disk, rw12(0xaa, 2, 1), a));
    assertEquals(a, run(disk, rw12(0xa8, 2, 1), 512).data());
    assertGood(out(disk, rw16(0x8a, 3, 1), a));
    assertEquals(a, run(disk, rw16(0x88, 3, 1), 512).data());
  }

  @Test
  void read6LengthZeroMeans256Blocks() {
    ScsiResponse r = run(disk, rw6(0x08, 0, 0), 256 * 512);
    assertGood(r);
    assertEquals(256 * 512, r.data().size());
    assertEquals(0, r.resid());
  }

  @Test
  void zeroLengthTransferIsGoodWithNoData() {
    ScsiResponse r = run(disk, read10(5, 0), 0);
    assertGood(r);
    assertEquals(0, r.data().size());
  }

  @Test
  void lbaOutOfRange() {
    assertSense(run(disk, read10(999, 2), 1024), Sense.ILLEGAL_REQUEST, 0x21, 0x00);
    assertSense(run(disk, read10(1000, 1), 512), Sense.ILLEGAL_REQUEST, 0x21, 0x00);
    assertGood(run(disk, read10(999, 1), 512));
    assertSense(out(disk, write10(1000, 1), bytes(512, 1)), Sense.ILLEGAL_REQUEST, 0x21, 0x00);
    assertSense(run(disk, rw16(0x88, -1L, 1), 512), Sense.ILLEGAL_REQUEST, 0x21, 0x00); // LBA 2^64-1
    assertSense(run(disk, rw16(0x88, 0, 0xffffffffL), 512), Sense.ILLEGAL_REQUEST, 0x21, 0x00);
  }

  @Test
  void transferLongerThanTheMaximumIsAnInvalidField() {
    EmuDisk big = new EmuDisk(LunSpec.disk(0, 1 << 20, 512).withStore(LunSpec.StoreKind.NULL, null));
    int max = EmuDisk.MAX_TRANSFER_BYTES / 512;
    assertGood(run(big, rw16(0x88, 0, max), max * 512));
    ScsiResponse r = run(big, rw16(0x88, 0, max + 1), (max + 1) * 512);
    assertSense(r, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertField(r, true, 10, -1);
  }

  @Test
  void dataOutLengthMismatch() {
    ScsiResponse r = out(disk, write10(0, 2), bytes(512, 1));
    assertSense(r, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertField(r, true, 7, -1);
    assertSense(out(disk, write10(0, 1), bytes(1024, 1)), Sense.ILLEGAL_REQUEST, 0x24, 0x00);
  }

  @Test
  void protectionFieldsAreRejected() {
    ByteString c = cdb(0x28, 0x20, 0, 0, 0, 0, 0, 0, 1, 0);
    ScsiResponse r = run(disk, c, 512);
    assertSense(r, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertField(r, true, 1, 7);
  }

  @Test
  void shortCdbIsRejected() {
    ScsiResponse r = run(disk, cdb(0x28, 0, 0, 0, 0, 0), 512);
    assertSense(r, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertSense(run(disk, cdb(0x88, 0, 0, 0, 0, 0, 0, 0, 0, 0), 512), Sense.ILLEGAL_REQUEST, 0x24, 0x00);
  }

  @Test
  void readTruncatedByTheInitiatorBufferAndResidOfALargerOne() {
    ScsiResponse r = run(disk, read10(0, 2), 4096);
    assertGood(r);
    assertEquals(1024, r.data().size());
    assertEquals(3072, r.resid());
  }

  @Test
  void verify() {
    ByteString data = BackingStoreTest.pattern(1024);
    assertGood(out(disk, write10(20, 2), data));
    assertGood(run(disk, cdb(0x2f, 0, 0, 0, 0, 20, 0, 0, 2, 0), 0)); // BYTCHK 0
    assertGood(out(disk, cdb(0x2f, 0x02, 0, 0, 0, 20, 0, 0, 2, 0), data)); // BYTCHK 1, equal
    byte[] bad = data.toArray();
    bad[700] ^= 1;
    ScsiResponse r = out(disk, cdb(0x2f, 0x02, 0, 0, 0, 20, 0, 0, 2, 0), ByteString.fromArrayUnsafe(bad));
    assertSense(r, Sense.MISCOMPARE, 0x1d, 0x00);
    assertEquals(700, be32(r.sense(), 3)); // INFORMATION: offset of the first miscompare
    assertTrue((u8(r.sense(), 0) & 0x80) != 0);
    // BYTCHK 3: one block compared against every block
    assertGood(out(disk, write10(30, 3), bytes(1536, 0x11)));
    assertGood(out(disk, cdb(0x2f, 0x06, 0, 0, 0, 30, 0, 0, 3, 0), bytes(512, 0x11)));
    assertSense(out(disk, cdb(0x2f, 0x06, 0, 0, 0, 29, 0, 0, 3, 0), bytes(512, 0x11)), Sense.MISCOMPARE, 0x1d, 0x00);
    // BYTCHK 2 is reserved
    ScsiResponse r2 = run(disk, cdb(0x2f, 0x04, 0, 0, 0, 30, 0, 0, 1, 0), 0);
    assertSense(r2, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertField(r2, true, 1, 2);
    assertSense(run(disk, rw16(0x8f, 1000, 1), 0), Sense.ILLEGAL_REQUEST, 0x21, 0x00);
    assertGood(run(disk, rw12(0xaf, 0, 10), 0));
  }

  @Test
  void synchronizeCache() {
    assertGood(run(disk, cdb(0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0), 0));
    assertGood(run(disk, rw16(0x91, 0, 1000), 0));
    assertSense(run(disk, cdb(0x35, 0, 0, 0, 0x03, 0xe8, 0, 0, 1, 0), 0), Sense.ILLEGAL_REQUEST, 0x21, 0x00);
  }

  @Test
  void writeSameAndUnmapBit() {
    ByteString block = BackingStoreTest.pattern(512);
    assertGood(out(disk, cdb(0x41, 0, 0, 0, 0, 100, 0, 0, 50, 0), block));
    ByteString r = run(disk, read10(100, 50), 50 * 512).data();
    for (int i = 0; i < 50; i++) {
      assertEquals(block, r.slice(i * 512, (i + 1) * 512));
    }
    assertTrue(Bytes.allZero(run(disk, read10(150, 1), 512).data()));
    // WRITE SAME(16) with UNMAP and a zero block deallocates
    assertGood(out(disk, withLba16(0x93, 0x08, 100, 50), bytes(512, 0)));
    assertTrue(Bytes.allZero(run(disk, read10(100, 50), 50 * 512).data()));
    // NDOB: no data out, zeros
    assertGood(out(disk, write10(7, 1), block));
    assertGood(run(disk, withLba16(0x93, 0x09, 7, 1), 0));
    assertTrue(Bytes.allZero(run(disk, read10(7, 1), 512).data()));
  }

  @Test
  void writeSameBadInput() {
    ScsiResponse zero = out(disk, cdb(0x41, 0, 0, 0, 0, 0, 0, 0, 0, 0), bytes(512, 1));
    assertSense(zero, Sense.ILLEGAL_REQUEST, 0x24, 0x00); // WSNZ
    assertField(zero, true, 7, -1);
    ScsiResponse anchor = out(disk, cdb(0x41, 0x10, 0, 0, 0, 0, 0, 0, 1, 0), bytes(512, 1));
    assertField(anchor, true, 1, 4);
    assertSense(out(disk, cdb(0x41, 0, 0, 0, 0, 0, 0, 0, 1, 0), bytes(1024, 1)), Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertSense(out(disk, cdb(0x41, 0, 0, 0, 0x03, 0xe7, 0, 0, 2, 0), bytes(512, 1)), Sense.ILLEGAL_REQUEST, 0x21, 0x00);
  }

  @Test
  void unmap() {
    assertGood(out(disk, write10(10, 4), bytes(2048, 0x77)));
    ByteString list = unmapList(new long[] {10, 1}, new long[] {12, 2});
    assertGood(out(disk, cdb(0x42, 0, 0, 0, 0, 0, 0, 0, list.size(), 0), list));
    ByteString r = run(disk, read10(10, 4), 2048).data();
    assertTrue(Bytes.allZero(r.slice(0, 512)));
    assertEquals(0x77, u8(r, 512));
    assertTrue(Bytes.allZero(r.slice(1024, 2048)));
  }

  @Test
  void unmapBadInput() {
    assertGood(run(disk, cdb(0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0), 0)); // empty list
    assertSense(out(disk, cdb(0x42, 0, 0, 0, 0, 0, 0, 0, 4, 0), bytes(4, 0)), Sense.ILLEGAL_REQUEST, 0x1a, 0x00);
    ByteString oob = unmapList(new long[] {999, 2});
    assertSense(out(disk, cdb(0x42, 0, 0, 0, 0, 0, 0, 0, oob.size(), 0), oob), Sense.ILLEGAL_REQUEST, 0x21, 0x00);
    ByteString ok = unmapList(new long[] {1, 1});
    assertSense(out(disk, cdb(0x42, 0, 0, 0, 0, 0, 0, 0, ok.size() + 1, 0), ok), Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    // not thin: UNMAP is not implemented at all
    EmuDisk thick = new EmuDisk(LunSpec.disk(0, 100, 512), new FileLikeThickStore(100 * 512));
    assertSense(out(thick, cdb(0x42, 0, 0, 0, 0, 0, 0, 0, ok.size(), 0), ok), Sense.ILLEGAL_REQUEST, 0x20, 0x00);
    ScsiResponse ws = out(thick, cdb(0x41, 0x08, 0, 0, 0, 0, 0, 0, 1, 0), bytes(512, 0));
    assertField(ws, true, 1, 3);
    assertEquals(0, u8(run(thick, readCapacity16(32), 32).data(), 14));
  }

  @Test
  void readCapacityOfAHugeDisk() {
    long blocks = (1L << 33) + 5;
    EmuDisk huge = new EmuDisk(LunSpec.disk(0, blocks, 4096).withStore(LunSpec.StoreKind.NULL, null));
    ScsiResponse r10 = run(huge, readCapacity10(), 8);
    assertEquals(0xffffffffL, be32(r10.data(), 0));
    assertEquals(4096, be32(r10.data(), 4));
    ScsiResponse r16 = run(huge, readCapacity16(12), 32);
    assertEquals(12, r16.data().size()); // allocation length truncates
    assertEquals(blocks - 1, be64(r16.data(), 0));
    assertEquals(20, r16.resid());
    assertSense(run(huge, cdb(0x25, 0, 0, 0, 0, 1, 0, 0, 0, 0), 8), Sense.ILLEGAL_REQUEST, 0x24, 0x00); // LBA w/o PMI
    ScsiResponse badSa = run(huge, cdb(0x9e, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0), 32);
    assertSense(badSa, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertField(badSa, true, 1, 4);
  }

  @Test
  void resizeRaisesCapacityChangedOnce() {
    disk.resize(2000);
    assertSense(run(disk, readCapacity10(), 8), Sense.UNIT_ATTENTION, 0x2a, 0x09);
    ScsiResponse rc = run(disk, readCapacity10(), 8);
    assertGood(rc);
    assertEquals(1999, be32(rc.data(), 0));
    assertGood(out(disk, write10(1999, 1), bytes(512, 1)));
    disk.resize(10);
    assertSense(run(disk, read10(1999, 1), 512), Sense.UNIT_ATTENTION, 0x2a, 0x09);
    assertSense(run(disk, read10(1999, 1), 512), Sense.ILLEGAL_REQUEST, 0x21, 0x00);
  }

  @Test
  void vpdBlockLimitsCharacteristicsAndProvisioning() {
    ByteString b0 = run(disk, vpd(0xb0, 255), 255).data();
    assertEquals(64, b0.size());
    assertEquals(0x3c, be16(b0, 2));
    assertEquals(EmuDisk.MAX_TRANSFER_BYTES / 512, be32(b0, 8));
    assertEquals(EmuDisk.MAX_UNMAP_BLOCKS, be32(b0, 20));
    assertEquals(EmuDisk.MAX_UNMAP_DESCRIPTORS, be32(b0, 24));
    ByteString b1 = run(disk, vpd(0xb1, 255), 255).data();
    assertEquals(1, be16(b1, 4)); // non-rotating
    EmuDisk hdd = new EmuDisk(LunSpec.parse("blocks = 10, rotation-rate = 7200"));
    assertEquals(7200, be16(run(hdd, vpd(0xb1, 255), 255).data(), 4));
    ByteString b2 = run(disk, vpd(0xb2, 255), 255).data();
    assertEquals(0xe4, u8(b2, 5)); // LBPU LBPWS LBPWS10 LBPRZ
    assertEquals(0x02, u8(b2, 6) & 0x07); // thin
    assertSense(run(disk, vpd(0xb3, 255), 255), Sense.ILLEGAL_REQUEST, 0x24, 0x00);
  }

  @Test
  void writeProtectBySwpInTheControlPage() {
    ByteString ms = modeSelect6(new byte[] {0x0a, 0x0a, 0x02, 0x10, 0x08, 0, 0, 0, (byte) 0xff, (byte) 0xff, 0, 0});
    assertGood(out(disk, cdb(0x15, 0x10, 0, 0, ms.size(), 0), ms));
    assertSense(out(disk, write10(0, 1), bytes(512, 1)), Sense.DATA_PROTECT, 0x27, 0x02);
    assertEquals(0x90, u8(run(disk, modeSense6(0x0a, 255), 255).data(), 2)); // WP | DPOFUA
    assertGood(run(disk, read10(0, 1), 512));
  }

  static ByteString modeSelect6(byte[] page) {
    byte[] b = new byte[4 + page.length];
    System.arraycopy(page, 0, b, 4, page.length);
    return ByteString.fromArrayUnsafe(b);
  }

  static ByteString withLba16(int op, int b1, long lba, long blocks) {
    byte[] c = rw16(op, lba, blocks).toArray();
    c[1] = (byte) b1;
    return ByteString.fromArrayUnsafe(c);
  }

  static ByteString unmapList(long[]... ranges) {
    byte[] b = new byte[8 + 16 * ranges.length];
    Bytes.put16(b, 0, b.length - 2);
    Bytes.put16(b, 2, 16 * ranges.length);
    for (int i = 0; i < ranges.length; i++) {
      Bytes.put64(b, 8 + 16 * i, ranges[i][0]);
      Bytes.put32(b, 16 + 16 * i, ranges[i][1]);
    }
    return ByteString.fromArrayUnsafe(b);
  }

  /** A RAM store that claims no thin provisioning, like a file. */
  static class FileLikeThickStore implements BackingStore {
    private final RamStore ram;

    FileLikeThickStore(long size) {
      ram = new RamStore(size);
    }

    @Override
    public ByteString read(long lba, int blocks, int blockSize) {
      return ram.read(lba, blocks, blockSize);
    }

    @Override
    public void write(long lba, ByteString data, int blockSize) {
      ram.write(lba, data, blockSize);
    }

    @Override
    public void unmap(long lba, long blocks, int blockSize) {
      ram.unmap(lba, blocks, blockSize);
    }

    @Override
    public long size() {
      return ram.size();
    }

    @Override
    public void resize(long bytes) {
      ram.resize(bytes);
    }

    @Override
    public boolean thin() {
      return false;
    }
  }

  @Test
  void readMatchesWrittenDataAcrossManyBlocks() {
    ByteString data = BackingStoreTest.pattern(64 * 512);
    assertGood(out(disk, write10(500, 64), data));
    assertArrayEquals(data.toArray(), run(disk, read10(500, 64), 64 * 512).data().toArray());
  }
}
