package org.camstack.stack.scsi;

import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;

/**
 * Big-endian field access on CDBs, parameter lists and SCSI data, for both sides of the wire: the
 * initiator's codecs and drivers, and the emulated targets ({@code target}). cf. {@code
 * scsi_ulto4b()}, {@code scsi_4btoul()}, {@code scsi_u64to8b()} and friends in
 * sys/cam/scsi/scsi_all.h.
 *
 * <p>Reads past the end of a buffer (or at a negative index) yield 0 bytes, never an exception:
 * the SCSI convention for truncated data, which an initiator gets whenever a device returns less
 * than the allocation length. A target that must refuse a short CDB or parameter list checks the
 * length first (the emulator does: CDB length by group code, then the parameter list length
 * against its header) and reads only inside it.
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

  /** Raw 64-bit value; a caller that wants an unsigned quantity treats a negative one as too big. */
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

  /**
   * ASCII, space padded (or truncated) to {@code len} bytes at {@code i}, as INQUIRY's and SES's
   * identification fields. Characters outside ASCII become {@code '?'}.
   */
  public static void putAscii(byte[] a, int i, String s, int len) {
    byte[] src = ascii(s);
    for (int k = 0; k < len; k++) {
      a[i + k] = k < src.length ? src[k] : (byte) ' ';
    }
  }

  /** The ASCII bytes of {@code s} (characters outside ASCII become {@code '?'}). */
  public static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** True when every byte of {@code b} is 0 (true for an empty buffer). */
  public static boolean allZero(ByteString b) {
    for (int i = 0, n = b.size(); i < n; i++) {
      if (b.apply(i) != 0) {
        return false;
      }
    }
    return true;
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
