package org.camstack.stack.target;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.scsi.ScsiResponse;

/** Hand-built CDBs and response assertions for the emulator conformance tests. */
final class T {
  private T() {}

  static final int INI = 7;

  static ByteString cdb(int... bytes) {
    byte[] b = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      b[i] = (byte) bytes[i];
    }
    return ByteString.fromArrayUnsafe(b);
  }

  static ByteString bytes(int n, int fill) {
    byte[] b = new byte[n];
    java.util.Arrays.fill(b, (byte) fill);
    return ByteString.fromArrayUnsafe(b);
  }

  static ScsiResponse run(ScsiLun lun, ByteString cdb, int dxferLen) {
    return lun.execute(cdb, ByteString.emptyByteString(), dxferLen, INI);
  }

  static ScsiResponse run(ScsiLun lun, ByteString cdb, int dxferLen, int initiator) {
    return lun.execute(cdb, ByteString.emptyByteString(), dxferLen, initiator);
  }

  static ScsiResponse out(ScsiLun lun, ByteString cdb, ByteString data) {
    return lun.execute(cdb, data, data.size(), INI);
  }

  static ScsiResponse out(ScsiLun lun, ByteString cdb, ByteString data, int initiator) {
    return lun.execute(cdb, data, data.size(), initiator);
  }

  static void assertGood(ScsiResponse r) {
    assertEquals(ScsiStatus.GOOD, r.scsiStatus(), () -> "expected GOOD, got " + describe(r));
  }

  static void assertSense(ScsiResponse r, int key, int asc, int ascq) {
    assertEquals(ScsiStatus.CHECK_COND, r.scsiStatus(), () -> "expected CHECK CONDITION, got " + describe(r));
    assertEquals(key, Sense.key(r.sense()), () -> "sense key of " + describe(r));
    assertEquals(asc, Sense.asc(r.sense()), () -> "asc of " + describe(r));
    assertEquals(ascq, Sense.ascq(r.sense()), () -> "ascq of " + describe(r));
  }

  /** Fixed-format SKSV field pointer: {C/D, byte, bit or -1}. */
  static int[] fieldPointer(ByteString sense) {
    int sks = sense.apply(15) & 0xff;
    if ((sks & 0x80) == 0) {
      return null;
    }
    int ptr = ((sense.apply(16) & 0xff) << 8) | (sense.apply(17) & 0xff);
    return new int[] {(sks & 0x40) != 0 ? 1 : 0, ptr, (sks & 0x08) != 0 ? sks & 7 : -1};
  }

  static void assertField(ScsiResponse r, boolean inCdb, int ptr, int bit) {
    int[] fp = fieldPointer(r.sense());
    assertEquals(inCdb ? 1 : 0, fp == null ? -1 : fp[0], "C/D");
    assertEquals(ptr, fp[1], "field pointer");
    assertEquals(bit, fp[2], "bit pointer");
  }

  static String describe(ScsiResponse r) {
    return ScsiStatus.name(r.scsiStatus())
        + (r.sense().isEmpty() ? "" : String.format(" sense %x/%02x/%02x", Sense.key(r.sense()), Sense.asc(r.sense()), Sense.ascq(r.sense())))
        + " data " + r.data().size() + " resid " + r.resid();
  }

  static int u8(ByteString b, int i) {
    return b.apply(i) & 0xff;
  }

  static int be16(ByteString b, int i) {
    return (u8(b, i) << 8) | u8(b, i + 1);
  }

  static long be32(ByteString b, int i) {
    return ((long) u8(b, i) << 24) | (u8(b, i + 1) << 16) | (u8(b, i + 2) << 8) | u8(b, i + 3);
  }

  static long be64(ByteString b, int i) {
    return (be32(b, i) << 32) | be32(b, i + 4);
  }

  static String ascii(ByteString b, int from, int len) {
    return b.slice(from, from + len).utf8String();
  }

  // ---- CDB builders
  static ByteString inquiry(int alloc) {
    return cdb(0x12, 0, 0, alloc >>> 8, alloc, 0);
  }

  static ByteString vpd(int page, int alloc) {
    return cdb(0x12, 1, page, alloc >>> 8, alloc, 0);
  }

  static ByteString tur() {
    return cdb(0, 0, 0, 0, 0, 0);
  }

  static ByteString requestSense(boolean desc, int alloc) {
    return cdb(0x03, desc ? 1 : 0, 0, 0, alloc, 0);
  }

  static ByteString reportLuns(int select, int alloc) {
    return cdb(0xa0, 0, select, 0, 0, 0, alloc >>> 24, alloc >>> 16, alloc >>> 8, alloc, 0, 0);
  }

  static ByteString read10(long lba, int blocks) {
    return cdb(0x28, 0, (int) (lba >>> 24), (int) (lba >>> 16), (int) (lba >>> 8), (int) lba, 0, blocks >>> 8, blocks, 0);
  }

  static ByteString write10(long lba, int blocks) {
    return cdb(0x2a, 0, (int) (lba >>> 24), (int) (lba >>> 16), (int) (lba >>> 8), (int) lba, 0, blocks >>> 8, blocks, 0);
  }

  static ByteString rw16(int op, long lba, long blocks) {
    return cdb(op, 0, (int) (lba >>> 56), (int) (lba >>> 48), (int) (lba >>> 40), (int) (lba >>> 32),
        (int) (lba >>> 24), (int) (lba >>> 16), (int) (lba >>> 8), (int) lba,
        (int) (blocks >>> 24), (int) (blocks >>> 16), (int) (blocks >>> 8), (int) blocks, 0, 0);
  }

  static ByteString rw12(int op, long lba, long blocks) {
    return cdb(op, 0, (int) (lba >>> 24), (int) (lba >>> 16), (int) (lba >>> 8), (int) lba,
        (int) (blocks >>> 24), (int) (blocks >>> 16), (int) (blocks >>> 8), (int) blocks, 0, 0);
  }

  static ByteString rw6(int op, long lba, int blocks) {
    return cdb(op, (int) (lba >>> 16) & 0x1f, (int) (lba >>> 8), (int) lba, blocks, 0);
  }

  static ByteString readCapacity10() {
    return cdb(0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  }

  static ByteString readCapacity16(int alloc) {
    return cdb(0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, alloc >>> 24, alloc >>> 16, alloc >>> 8, alloc, 0, 0);
  }

  static ByteString modeSense6(int pcPage, int alloc) {
    return cdb(0x1a, 0, pcPage, 0, alloc, 0);
  }

  static ByteString modeSense10(int b1, int pcPage, int alloc) {
    return cdb(0x5a, b1, pcPage, 0, 0, 0, 0, alloc >>> 8, alloc, 0);
  }
}
