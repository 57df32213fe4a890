package org.camstack.stack.scsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/**
 * The one {@link Bytes} of the stack, used by the initiator's codecs and the emulated targets
 * alike. Pins its semantics: unsigned reads, zeros past the end (never an exception), raw 64-bit.
 */
class BytesTest {

  private static ByteString of(int... v) {
    byte[] b = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = (byte) v[i];
    }
    return ByteString.fromArray(b);
  }

  @Test
  void readsAreUnsignedAndBigEndian() {
    ByteString b = of(0xff, 0xfe, 0x80, 0x01, 0x00, 0x00, 0x00, 0x02);
    assertEquals(0xff, Bytes.u8(b, 0));
    assertEquals(0xfffe, Bytes.be16(b, 0));
    assertEquals(0xfffe80, Bytes.be24(b, 0));
    assertEquals(0xfffe8001L, Bytes.be32(b, 0));
    assertEquals(2L, Bytes.be32(b, 4));
  }

  @Test
  void be64IsRawSoATopBitReadsNegative() {
    assertEquals(-1L, Bytes.be64(of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 0));
    assertEquals(0x0102030405060708L, Bytes.be64(of(1, 2, 3, 4, 5, 6, 7, 8), 0));
  }

  @Test
  void readsPastTheEndYieldZerosNotExceptions() {
    ByteString b = of(0x12, 0x34);
    assertEquals(0, Bytes.u8(b, 2));
    assertEquals(0, Bytes.u8(b, -1));
    assertEquals(0, Bytes.u8(ByteString.emptyByteString(), 0));
    assertEquals(0x3400, Bytes.be16(b, 1));
    assertEquals(0x12340000L, Bytes.be32(b, 0));
    assertEquals(0x1234_0000_0000_0000L, Bytes.be64(b, 0));
  }

  @Test
  void putsAreBigEndianAndReadBack() {
    byte[] a = new byte[8];
    Bytes.put16(a, 0, 0xabcd);
    assertEquals(0xabcd, Bytes.be16(ByteString.fromArray(a), 0));
    Bytes.put24(a, 0, 0x123456);
    assertEquals(0x123456, Bytes.be24(ByteString.fromArray(a), 0));
    Bytes.put32(a, 0, 0xfedcba98L);
    assertEquals(0xfedcba98L, Bytes.be32(ByteString.fromArray(a), 0));
    Bytes.put64(a, 0, 0x0102030405060708L);
    assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, a);
  }

  @Test
  void asciiFieldsArePaddedWithSpacesOrCut() {
    byte[] a = new byte[10];
    Bytes.putAscii(a, 1, "AB", 4);
    assertArrayEquals(new byte[] {0, 'A', 'B', ' ', ' ', 0, 0, 0, 0, 0}, a);
    Bytes.putAscii(a, 0, "VENDORLONG", 3);
    assertEquals("VEN", new String(a, 0, 3, java.nio.charset.StandardCharsets.US_ASCII));
    assertArrayEquals(new byte[] {'a', '?'}, Bytes.ascii("a\u00e9"));
  }

  @Test
  void allZeroAndHex() {
    assertTrue(Bytes.allZero(ByteString.emptyByteString()));
    assertTrue(Bytes.allZero(of(0, 0, 0)));
    assertFalse(Bytes.allZero(of(0, 0, 1)));
    assertEquals("28 00 ff", Bytes.hex(of(0x28, 0, 0xff)));
  }
}
