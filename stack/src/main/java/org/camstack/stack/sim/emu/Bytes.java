package org.camstack.stack.sim.emu;

import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;

/** Big-endian field access on CDBs, parameter lists and reply buffers. Package-private helpers. */
final class Bytes {
  private Bytes() {}

  static int u8(ByteString b, int i) {
    return b.apply(i) & 0xff;
  }

  static int be16(ByteString b, int i) {
    return (u8(b, i) << 8) | u8(b, i + 1);
  }

  static int be24(ByteString b, int i) {
    return (u8(b, i) << 16) | (u8(b, i + 1) << 8) | u8(b, i + 2);
  }

  /** Unsigned 32-bit value as a long. */
  static long be32(ByteString b, int i) {
    return ((long) u8(b, i) << 24) | (u8(b, i + 1) << 16) | (u8(b, i + 2) << 8) | u8(b, i + 3);
  }

  /** Raw 64-bit value; callers treat a negative result as out of range. */
  static long be64(ByteString b, int i) {
    return (be32(b, i) << 32) | be32(b, i + 4);
  }

  static void put16(byte[] a, int i, int v) {
    a[i] = (byte) (v >>> 8);
    a[i + 1] = (byte) v;
  }

  static void put24(byte[] a, int i, int v) {
    a[i] = (byte) (v >>> 16);
    a[i + 1] = (byte) (v >>> 8);
    a[i + 2] = (byte) v;
  }

  static void put32(byte[] a, int i, long v) {
    a[i] = (byte) (v >>> 24);
    a[i + 1] = (byte) (v >>> 16);
    a[i + 2] = (byte) (v >>> 8);
    a[i + 3] = (byte) v;
  }

  static void put64(byte[] a, int i, long v) {
    put32(a, i, v >>> 32);
    put32(a, i + 4, v);
  }

  /** ASCII, space padded (or truncated) to {@code len} bytes, as INQUIRY's identification fields. */
  static void putAscii(byte[] a, int i, String s, int len) {
    byte[] src = s.getBytes(StandardCharsets.US_ASCII);
    for (int k = 0; k < len; k++) {
      a[i + k] = k < src.length ? src[k] : (byte) ' ';
    }
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  static boolean allZero(ByteString b) {
    for (int i = 0, n = b.size(); i < n; i++) {
      if (b.apply(i) != 0) {
        return false;
      }
    }
    return true;
  }
}
