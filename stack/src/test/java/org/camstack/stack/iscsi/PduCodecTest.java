package org.camstack.stack.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.camstack.stack.iscsi.PduCodec.Decoded;
import org.camstack.stack.iscsi.PduCodec.Decoder;
import org.camstack.stack.iscsi.PduCodec.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class PduCodecTest {

  private static final Settings PLAIN = new Settings(false, false, 65536);
  private static final Settings DIGESTS = new Settings(true, true, 65536);

  private static byte[] seq(int n, int seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** A PDU with every field set to something distinctive. */
  private static Pdu sample(Opcode op, int dataLen, int ahsWords) {
    byte[] specific = seq(Pdu.SPECIFIC_LENGTH, op.code());
    return new Pdu(op, op.fromInitiator(), true, 0x55 & 0x7F, 0xBEEF, 0x0001_0203_0405_0607L ^ op.code(),
        0xDEAD_0000 | op.code(), specific, seq(ahsWords * 4, 7), seq(dataLen, dataLen));
  }

  private static List<Pdu> frames(List<Decoded> ds) {
    List<Pdu> out = new ArrayList<>();
    for (Decoded d : ds) {
      out.add(assertInstanceOf(Decoded.Frame.class, d, () -> "not a frame: " + d).pdu());
    }
    return out;
  }

  @ParameterizedTest
  @EnumSource(Opcode.class)
  void everyOpcodeRoundTrips(Opcode op) {
    for (Settings s : List.of(PLAIN, DIGESTS)) {
      for (int dataLen : new int[] {0, 1, 2, 3, 4, 5, 48, 1021}) {
        Pdu p = sample(op, dataLen, dataLen % 3);
        byte[] wire = PduCodec.encode(p, s);
        List<Pdu> back = frames(new Decoder(s).feed(wire));
        assertEquals(List.of(p), back, op + " " + s + " data " + dataLen);
        Pdu q = back.get(0);
        assertEquals(op, q.opcode());
        assertEquals(op.fromInitiator(), q.immediate());
        assertTrue(q.fin());
        assertEquals(0x55, q.flags());
        assertEquals(0xBEEF, q.bytes2to3());
        assertEquals(0xDEAD_0000 | op.code(), q.initiatorTaskTag());
        assertEquals(dataLen, q.dataSegmentLength());
        assertEquals(dataLen % 3, q.totalAhsLength());
      }
    }
  }

  @Test
  void bhsFieldsSitWhereTheRfcSays() {
    Pdu p = new Pdu(Opcode.SCSI_COMMAND, true, true, 0x21, 0x0102, 0x1122_3344_5566_7788L, 0xCAFEBABE,
        new byte[Pdu.SPECIFIC_LENGTH], new byte[8], new byte[0x010203]);
    byte[] b = p.bhs();
    assertEquals(48, b.length);
    assertEquals(0x41, b[0] & 0xFF); // I | 0x01
    assertEquals(0xA1, b[1] & 0xFF); // F | flags
    assertEquals(0x01, b[2]);
    assertEquals(0x02, b[3]);
    assertEquals(2, b[4]); // AHS words
    assertArrayEquals(new byte[] {1, 2, 3}, Arrays.copyOfRange(b, 5, 8));
    assertEquals(0x11, b[8]);
    assertEquals((byte) 0x88, b[15]);
    assertEquals((byte) 0xCA, b[16]);
    assertEquals((byte) 0xBE, b[19]);
  }

  static Stream<Arguments> paddingTable() {
    // data length -> bytes on the wire without digests, with both digests
    return Stream.of(
        Arguments.of(0, 48, 48 + 4),
        Arguments.of(1, 52, 52 + 8),
        Arguments.of(3, 52, 52 + 8),
        Arguments.of(4, 52, 52 + 8),
        Arguments.of(5, 56, 56 + 8),
        Arguments.of(8192, 48 + 8192, 48 + 8192 + 8));
  }

  @ParameterizedTest
  @MethodSource("paddingTable")
  void dataIsPaddedToFourWithZeros(int dataLen, int plainLen, int digestLen) {
    Pdu p = Pdu.of(Opcode.SCSI_DATA_IN, true, 0, 1, seq(dataLen, 3));
    byte[] wire = PduCodec.encode(p, PLAIN);
    assertEquals(plainLen, wire.length);
    for (int i = 48 + dataLen; i < wire.length; i++) {
      assertEquals(0, wire[i], "pad byte " + i);
    }
    assertEquals(digestLen, PduCodec.encode(p, DIGESTS).length);
  }

  private static byte[] stream(List<Pdu> pdus, Settings s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Pdu p : pdus) {
      out.writeBytes(PduCodec.encode(p, s));
    }
    return out.toByteArray();
  }

  private static List<Pdu> many() {
    List<Pdu> pdus = new ArrayList<>();
    int i = 0;
    for (Opcode op : Opcode.values()) {
      pdus.add(sample(op, (i * 37) % 300, i % 2));
      i++;
    }
    return pdus;
  }

  @Test
  void byteByByteYieldsTheSamePdus() {
    for (Settings s : List.of(PLAIN, DIGESTS)) {
      List<Pdu> pdus = many();
      byte[] wire = stream(pdus, s);
      Decoder d = new Decoder(s);
      List<Decoded> got = new ArrayList<>();
      for (byte b : wire) {
        got.addAll(d.feed(new byte[] {b}));
      }
      assertEquals(pdus, frames(got));
      assertEquals(0, d.buffered());
    }
  }

  @Test
  void randomChunksYieldTheSamePdus() {
    for (long seed = 1; seed <= 50; seed++) {
      Random r = new Random(seed);
      Settings s = r.nextBoolean() ? PLAIN : DIGESTS;
      List<Pdu> pdus = many();
      byte[] wire = stream(pdus, s);
      Decoder d = new Decoder(s);
      List<Decoded> got = new ArrayList<>();
      int pos = 0;
      while (pos < wire.length) {
        int n = Math.min(wire.length - pos, 1 + r.nextInt(r.nextBoolean() ? 7 : 700));
        got.addAll(d.feed(wire, pos, n));
        pos += n;
      }
      assertEquals(pdus, frames(got), "seed " + seed);
      assertEquals(0, d.buffered(), "seed " + seed);
    }
  }

  @Test
  void digestsCanSwitchOnBetweenPdus() {
    Pdu login = sample(Opcode.LOGIN_RESPONSE, 20, 0);
    Pdu cmd = sample(Opcode.SCSI_COMMAND, 20, 0);
    byte[] first = PduCodec.encode(login, PLAIN);
    Decoder d = new Decoder(PLAIN);
    assertEquals(List.of(login), frames(d.feed(first)));
    d.settings(DIGESTS);
    assertEquals(List.of(cmd), frames(d.feed(PduCodec.encode(cmd, DIGESTS))));
  }

  // --- CRC32C: the check value and RFC 3720 Appendix B.4 vectors (B.4 lists the bytes as sent)

  static Stream<Arguments> crcTable() {
    byte[] inc = new byte[32];
    byte[] dec = new byte[32];
    for (int i = 0; i < 32; i++) {
      inc[i] = (byte) i;
      dec[i] = (byte) (31 - i);
    }
    byte[] ff = new byte[32];
    Arrays.fill(ff, (byte) 0xFF);
    return Stream.of(
        Arguments.of("ASCII 123456789", "123456789".getBytes(StandardCharsets.US_ASCII), 0xE3069283),
        Arguments.of("32 bytes of zeros", new byte[32], 0x8A9136AA),
        Arguments.of("32 bytes of 0xFF", ff, 0x62A8AB43),
        Arguments.of("32 incrementing bytes", inc, 0x46DD794E),
        Arguments.of("32 decrementing bytes", dec, 0x113FDB5C));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("crcTable")
  void crc32cKnownVectors(String what, byte[] input, int crc) {
    assertEquals(crc, PduCodec.crc32c(input, 0, input.length));
  }

  @Test
  void dataDigestGoesOnTheWireLeastSignificantByteFirst() {
    // RFC 3720 B.4: 32 bytes of zeros -> "CRC: aa 36 91 8a" in transmission order
    Pdu p = Pdu.of(Opcode.SCSI_DATA_OUT, true, 0, 1, new byte[32]);
    byte[] wire = PduCodec.encode(p, new Settings(false, true, 8192));
    assertArrayEquals(new byte[] {(byte) 0xAA, 0x36, (byte) 0x91, (byte) 0x8A},
        Arrays.copyOfRange(wire, 48 + 32, 48 + 36));
  }

  @Test
  void headerDigestCoversBhsAndAhs() {
    Pdu p = sample(Opcode.NOP_OUT, 0, 2);
    byte[] wire = PduCodec.encode(p, new Settings(true, false, 8192));
    int crc = PduCodec.crc32c(wire, 0, 48 + 8);
    assertEquals(48 + 8 + 4, wire.length);
    assertEquals(crc & 0xFF, wire[56] & 0xFF);
    assertEquals(crc >>> 24, wire[59] & 0xFF);
  }

  // --- bad input: a value, never an exception, and the decoder stays failed

  private static Decoded.Error error(List<Decoded> ds) {
    return assertInstanceOf(Decoded.Error.class, ds.get(ds.size() - 1));
  }

  static Stream<Arguments> corruptionTable() {
    // byte to flip (from the end when negative) -> the error message's start
    return Stream.of(
        Arguments.of("BHS byte", 20, "header digest mismatch"),
        Arguments.of("AHS byte", 50, "header digest mismatch"),
        Arguments.of("header digest", 57, "header digest mismatch"),
        Arguments.of("data byte", 61, "data digest mismatch"),
        Arguments.of("pad byte", -5, "data digest mismatch"),
        Arguments.of("data digest", -1, "data digest mismatch"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corruptionTable")
  void digestMismatchIsAnError(String what, int at, String message) {
    Pdu p = sample(Opcode.SCSI_COMMAND, 10, 2); // 48 + 8 AHS + 4 HD + 12 data + 4 DD
    byte[] wire = PduCodec.encode(p, DIGESTS);
    int i = at >= 0 ? at : wire.length + at;
    wire[i] ^= 0x01;
    Decoder d = new Decoder(DIGESTS);
    Decoded.Error e = error(d.feed(wire));
    assertTrue(e.message().startsWith(message), e.message());
    assertTrue(d.failed());
    assertEquals(0, d.buffered());
    // a failed decoder answers every later chunk with an error, holding nothing
    assertInstanceOf(Decoded.Error.class, d.feed(PduCodec.encode(p, DIGESTS)).get(0));
    assertEquals(0, d.buffered());
  }

  @Test
  void oversizedSegmentIsAnErrorAtTheHeaderWithoutBuffering() {
    Settings s = new Settings(false, false, 8192);
    byte[] wire = PduCodec.encode(Pdu.of(Opcode.SCSI_DATA_OUT, true, 0, 1, new byte[8193]), s);
    Decoder d = new Decoder(s);
    Decoded.Error e = error(d.feed(wire, 0, 48)); // the header alone is enough to refuse
    assertEquals("data segment of 8193 bytes exceeds the maximum of 8192", e.message());
    assertEquals(0, d.buffered());
    // exactly the maximum is fine
    assertEquals(1, frames(new Decoder(s).feed(PduCodec.encode(Pdu.of(Opcode.SCSI_DATA_OUT, true, 0, 1, new byte[8192]), s))).size());
  }

  @Test
  void reservedOpcodeIsAnError() {
    for (int code : new int[] {0x07, 0x0F, 0x11, 0x1F, 0x27, 0x30, 0x33, 0x3E}) {
      byte[] wire = PduCodec.encode(Pdu.of(Opcode.NOP_OUT, true, 0, 1, new byte[0]), PLAIN);
      wire[0] = (byte) code;
      Decoded.Error e = error(new Decoder(PLAIN).feed(wire));
      assertEquals(String.format("reserved opcode 0x%02x", code), e.message());
    }
  }

  @Test
  void goodPdusBeforeTheBadOneAreDelivered() {
    Pdu good = sample(Opcode.NOP_OUT, 3, 0);
    byte[] a = PduCodec.encode(good, PLAIN);
    byte[] b = PduCodec.encode(good, PLAIN);
    b[0] = 0x3E;
    byte[] both = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    List<Decoded> ds = new Decoder(PLAIN).feed(both);
    assertEquals(2, ds.size());
    assertEquals(good, assertInstanceOf(Decoded.Frame.class, ds.get(0)).pdu());
    error(ds);
  }

  @Test
  void randomGarbageNeverThrows() {
    for (long seed = 1; seed <= 200; seed++) {
      Random r = new Random(seed);
      Decoder d = new Decoder(r.nextBoolean() ? PLAIN : DIGESTS);
      for (int k = 0; k < 20 && !d.failed(); k++) {
        byte[] chunk = new byte[r.nextInt(200)];
        r.nextBytes(chunk);
        d.feed(chunk);
        assertTrue(d.buffered() <= 48 + 1020 + 4 + 65536 + 4 + 200, "seed " + seed);
      }
    }
  }

  @Test
  void pduIsImmutableAndChecksItsShape() {
    byte[] data = {1, 2, 3};
    Pdu p = Pdu.of(Opcode.TEXT_REQUEST, true, 0, 1, data);
    data[0] = 9;
    p.data()[1] = 9;
    assertArrayEquals(new byte[] {1, 2, 3}, p.data());
    assertThrows(IllegalArgumentException.class,
        () -> new Pdu(Opcode.NOP_OUT, false, true, 0, 0, 0, 0, new byte[28], new byte[3], new byte[0]));
    assertThrows(IllegalArgumentException.class,
        () -> new Pdu(Opcode.NOP_OUT, false, true, 0x80, 0, 0, 0, new byte[28], new byte[0], new byte[0]));
    assertThrows(IllegalArgumentException.class,
        () -> new Pdu(Opcode.NOP_OUT, false, true, 0, 0, 0, 0, new byte[27], new byte[0], new byte[0]));
  }

  @Test
  void opcodeCodesAreTheRfcs() {
    int[] expected = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x10, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x31, 0x32, 0x3F};
    Opcode[] all = Opcode.values();
    assertEquals(expected.length, all.length);
    for (int i = 0; i < all.length; i++) {
      assertEquals(expected[i], all[i].code(), all[i].name());
      assertEquals(all[i], Opcode.of(expected[i]).orElseThrow());
    }
    assertTrue(Opcode.of(0x40).isEmpty());
  }
}
