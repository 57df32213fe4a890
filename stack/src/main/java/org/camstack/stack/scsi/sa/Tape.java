package org.camstack.stack.scsi.sa;

import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.Cdbs;

/**
 * The SSC (stream) CDBs sa(4) sends, next to the SPC ones of {@link Cdbs}. cf. scsi_sa.c's {@code
 * scsi_read_write}, {@code scsi_space}, {@code scsi_write_filemarks}, {@code scsi_rewind}, {@code
 * scsi_load_unload}, {@code scsi_erase}, {@code scsi_read_position}.
 */
public final class Tape {
  private Tape() {}

  /** Tape motion can be slow: the timeout sa uses for SPACE / REWIND class commands, shortened. */
  static final int TIMEOUT_MS = 120_000;

  private static ByteString cdb(int... b) {
    byte[] a = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      a[i] = (byte) b[i];
    }
    return ByteString.fromArrayUnsafe(a);
  }

  /** READ(6), variable block: one block of at most {@code len} bytes. */
  public static ByteString read6(int len) {
    return cdb(0x08, 0, len >>> 16, len >>> 8, len, 0);
  }

  /** WRITE(6), variable block: one block of {@code len} bytes. */
  public static ByteString write6(int len) {
    return cdb(0x0a, 0, len >>> 16, len >>> 8, len, 0);
  }

  /** WRITE FILEMARKS(6). */
  public static ByteString writeFilemarks(int n) {
    return cdb(0x10, 0, n >>> 16, n >>> 8, n, 0);
  }

  /** SPACE(6): code 0 blocks, 1 filemarks, 3 end-of-data; a negative count spaces backwards. */
  public static ByteString space(int code, int count) {
    return cdb(0x11, code & 0x07, count >>> 16, count >>> 8, count, 0);
  }

  public static ByteString rewind() {
    return cdb(0x01, 0, 0, 0, 0, 0);
  }

  /** LOAD UNLOAD: load, or unload (rewind, not ready). */
  public static ByteString loadUnload(boolean load) {
    return cdb(0x1b, 0, 0, 0, load ? 1 : 0, 0);
  }

  /** ERASE(6); {@code longErase}: to the end of the medium. */
  public static ByteString erase(boolean longErase) {
    return cdb(0x19, longErase ? 1 : 0, 0, 0, 0, 0);
  }

  /** READ POSITION, long form (service action 06h), 32 bytes. */
  public static ByteString readPositionLong() {
    return cdb(0x34, 0x06, 0, 0, 0, 0, 0, 0, 0, 0);
  }

  /** LOCATE(10) to a logical object. */
  public static ByteString locate10(long object) {
    return cdb(0x2b, 0, 0, (int) (object >>> 24), (int) (object >>> 16), (int) (object >>> 8), (int) object, 0, 0, 0);
  }

  public static ByteString testUnitReady() {
    return Cdbs.testUnitReady();
  }

  /** MODE SENSE(6) of the block descriptor and the device configuration page. */
  public static ByteString modeSense6() {
    return Cdbs.modeSense6(false, 0, 0x10, 0, 255);
  }

  public static ByteString modeSelect6(int len) {
    return Cdbs.modeSelect6(true, false, len);
  }

  /** MODE SELECT(6) parameters: a header and a block descriptor with block length {@code bs} (0 variable). */
  public static ByteString blockSizeParameters(int bs) {
    byte[] p = new byte[12];
    p[3] = 8;
    Bytes.put24(p, 9, bs);
    return ByteString.fromArrayUnsafe(p);
  }
}
