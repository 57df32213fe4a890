package org.camstack.stack.scsi;

import org.apache.pekko.util.ByteString;

/**
 * Big-endian field access on CDBs and SCSI data. cf. {@code scsi_ulto4b()}, {@code scsi_4btoul()},
 * {@code scsi_u64to8b()} and friends in sys/cam/scsi/scsi_all.h. Reads past the end of a buffer
 * yield 0 bytes (the SCSI convention for truncated data).
 */
public final class Bytes {
  private Bytes() {}

  /** Unsigned byte at {@code i}, or 0 when {@code i} is past the end. */
  public static int u8(ByteString b, int i) {
    return i >= 0 && i < b.size() ? b.apply(i) & 0xff : 0;
  }

  public static int be16(ByteString b, int i) {
    return (u8(b, i) << 8) | u8(b, i + 1);
  }

  public static int be24(ByteString b, int i) {
    return (u8(b, i) << 16) | (u8(b, i + 1) << 8) | u8(b, i + 2);
  }

  /** Unsigned 32-bit value as a long. */
  public static long be32(ByteString b, int i) {
    return ((long) be16(b, i) << 16) | be16(b, i + 2);
  }

  public static long be64(ByteString b, int i) {
    return (be32(b, i) << 32) | be32(b, i + 4);
  }

  public static void put16(byte[] b, int i, int v) {
    b[i] = (byte) (v >>> 8);
    b[i + 1] = (byte) v;
  }

  public static void put24(byte[] b, int i, int v) {
    b[i] = (byte) (v >>> 16);
    b[i + 1] = (byte) (v >>> 8);
    b[i + 2] = (byte) v;
  }

  public static void put32(byte[] b, int i, long v) {
    b[i] = (byte) (v >>> 24);
    b[i + 1] = (byte) (v >>> 16);
    b[i + 2] = (byte) (v >>> 8);
    b[i + 3] = (byte) v;
  }

  public static void put64(byte[] b, int i, long v) {
    put32(b, i, v >>> 32);
    put32(b, i + 4, v);
  }

  /** {@code 28 00 00 00 00 00 00 00 01 00}: lowercase hex bytes separated by spaces. */
  public static String hex(ByteString b) {
    StringBuilder sb = new StringBuilder(b.size() * 3);
    for (int i = 0; i < b.size(); i++) {
      if (i > 0) {
        sb.append(' ');
      }
      int v = b.apply(i) & 0xff;
      sb.append(Character.forDigit(v >> 4, 16)).append(Character.forDigit(v & 0xf, 16));
    }
    return sb.toString();
  }

  /** Wraps an array this code just filled and will not touch again. */
  static ByteString wrap(byte[] b) {
    return ByteString.fromArrayUnsafe(b);
  }
}
