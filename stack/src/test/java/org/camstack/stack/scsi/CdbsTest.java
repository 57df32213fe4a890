package org.camstack.stack.scsi;

import static org.camstack.stack.scsi.ScsiFixtures.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CdbsTest {

  private static String hex(ByteString b) {
    return Bytes.hex(b);
  }

  static Stream<Arguments> builders() {
    return Stream.of(
        Arguments.of("TUR", Cdbs.testUnitReady(), "00 00 00 00 00 00"),
        Arguments.of("REQUEST SENSE desc", Cdbs.requestSense(true, 252), "03 01 00 00 fc 00"),
        Arguments.of("INQUIRY std", Cdbs.inquiry(false, 0, 36), "12 00 00 00 24 00"),
        Arguments.of("INQUIRY vpd 83", Cdbs.inquiry(true, 0x83, 0x1ff), "12 01 83 01 ff 00"),
        Arguments.of("READ CAPACITY(10)", Cdbs.readCapacity10(), "25 00 00 00 00 00 00 00 00 00"),
        Arguments.of("READ CAPACITY(16)", Cdbs.readCapacity16(32), "9e 10 00 00 00 00 00 00 00 00 00 00 00 20 00 00"),
        Arguments.of("READ(6) 256", Cdbs.read6(0x12345, 256), "08 01 23 45 00 00"),
        Arguments.of("WRITE(6)", Cdbs.write6(7, 8), "0a 00 00 07 08 00"),
        Arguments.of("READ(10) dpo fua", Cdbs.read10(0x01020304L, 0x0506, true, true), "28 18 01 02 03 04 00 05 06 00"),
        Arguments.of("WRITE(12)", Cdbs.write12(0xffffffffL, 0x10000, false, true), "aa 08 ff ff ff ff 00 01 00 00 00 00"),
        Arguments.of("READ(16)", Cdbs.read16(0x0102030405060708L, 9, false, false), "88 00 01 02 03 04 05 06 07 08 00 00 00 09 00 00"),
        Arguments.of("VERIFY(10) bytchk", Cdbs.verify10(16, 2, true), "2f 02 00 00 00 10 00 00 02 00"),
        Arguments.of("VERIFY(12)", Cdbs.verify12(16, 2, false), "af 00 00 00 00 10 00 00 00 02 00 00"),
        Arguments.of("VERIFY(16)", Cdbs.verify16(16, 2, false), "8f 00 00 00 00 00 00 00 00 10 00 00 00 02 00 00"),
        Arguments.of("SYNC CACHE(10) all", Cdbs.synchronizeCache10(0, 0, false), "35 00 00 00 00 00 00 00 00 00"),
        Arguments.of("SYNC CACHE(16) immed", Cdbs.synchronizeCache16(1, 2, true), "91 02 00 00 00 00 00 00 00 01 00 00 00 02 00 00"),
        Arguments.of("WRITE SAME(10) unmap", Cdbs.writeSame10(8, 16, true), "41 08 00 00 00 08 00 00 10 00"),
        Arguments.of("WRITE SAME(16)", Cdbs.writeSame16(8, 16, false), "93 00 00 00 00 00 00 00 00 08 00 00 00 10 00 00"),
        Arguments.of("UNMAP", Cdbs.unmap(24, false), "42 00 00 00 00 00 00 00 18 00"),
        Arguments.of("MODE SENSE(6)", Cdbs.modeSense6(true, Cdbs.PC_CURRENT, 0x0a, 0, 0xff), "1a 08 0a 00 ff 00"),
        Arguments.of("MODE SENSE(6) changeable all", Cdbs.modeSense6(false, Cdbs.PC_CHANGEABLE, 0x3f, 0xff, 0xff), "1a 00 7f ff ff 00"),
        Arguments.of("MODE SENSE(10)", Cdbs.modeSense10(false, Cdbs.PC_SAVED, 0x08, 0, 0x1000), "5a 00 c8 00 00 00 00 10 00 00"),
        Arguments.of("MODE SELECT(6)", Cdbs.modeSelect6(true, true, 28), "15 11 00 00 1c 00"),
        Arguments.of("MODE SELECT(10)", Cdbs.modeSelect10(true, false, 0x120), "55 10 00 00 00 00 00 01 20 00"),
        Arguments.of("REPORT LUNS", Cdbs.reportLuns(Cdbs.RPL_REPORT_ALL, 0x1008), "a0 00 02 00 00 00 00 00 10 08 00 00"),
        Arguments.of("START UNIT", Cdbs.startStopUnit(true, false, false), "1b 00 00 00 01 00"),
        Arguments.of("EJECT immed", Cdbs.startStopUnit(false, true, true), "1b 01 00 00 02 00"),
        Arguments.of("PREVENT", Cdbs.preventAllow(true), "1e 00 00 00 01 00"),
        Arguments.of("ALLOW", Cdbs.preventAllow(false), "1e 00 00 00 00 00"),
        Arguments.of("RECEIVE DIAGNOSTIC", Cdbs.receiveDiagnostic(true, 0x02, 0x400), "1c 01 02 04 00 00"),
        Arguments.of("SEND DIAGNOSTIC", Cdbs.sendDiagnostic(true, 0x30), "1d 10 00 00 30 00"),
        Arguments.of("SEND DIAGNOSTIC self-test", Cdbs.sendDiagnosticSelfTest(), "1d 04 00 00 00 00"),
        Arguments.of("RESERVE(6)", Cdbs.reserve6(), "16 00 00 00 00 00"),
        Arguments.of("RELEASE(6)", Cdbs.release6(), "17 00 00 00 00 00"),
        Arguments.of("RESERVE(10)", Cdbs.reserve10(), "56 00 00 00 00 00 00 00 00 00"),
        Arguments.of("RELEASE(10)", Cdbs.release10(), "57 00 00 00 00 00 00 00 00 00"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("builders")
  void buildsTheExpectedBytes(String what, ByteString cdb, String expected) {
    assertEquals(expected, hex(cdb), what);
    assertEquals(Opcodes.cdbLength(cdb.apply(0) & 0xff), cdb.size(), what + " length matches its group");
  }

  /** (lba, blocks, dpo/fua, min size) &rarr; opcode picked, as scsi_read_write() does. */
  static Stream<Arguments> readWriteSizes() {
    return Stream.of(
        Arguments.of(0L, 1L, false, 6, 0x08),
        Arguments.of((1L << 21) - 1, 256L, false, 6, 0x08),
        Arguments.of(1L << 21, 1L, false, 6, 0x28),
        Arguments.of(0L, 257L, false, 6, 0x28),
        Arguments.of(0L, 0L, false, 6, 0x28),
        Arguments.of(0L, 8L, true, 6, 0x28),
        Arguments.of(0L, 8L, false, 10, 0x28),
        Arguments.of(0xffffffffL, 65535L, false, 6, 0x28),
        Arguments.of(0L, 65536L, false, 6, 0xa8),
        Arguments.of(0xffffffffL, 0xffffffffL, false, 6, 0xa8),
        Arguments.of(0L, 8L, false, 12, 0xa8),
        Arguments.of(1L << 32, 1L, false, 6, 0x88),
        Arguments.of(0L, 8L, false, 16, 0x88));
  }

  @ParameterizedTest(name = "lba {0} blocks {1} fua {2} min {3} -> {4}")
  @MethodSource("readWriteSizes")
  void picksTheSmallestCdb(long lba, long blocks, boolean fua, int min, int opcode) {
    ByteString read = Cdbs.readWrite(false, lba, blocks, false, fua, min);
    ByteString write = Cdbs.readWrite(true, lba, blocks, false, fua, min);
    assertEquals(opcode, read.apply(0) & 0xff);
    assertEquals(opcode + 2, write.apply(0) & 0xff);
    assertEquals(lba, Cdbs.lba(read));
    assertEquals(blocks, Cdbs.transferLength(write));
    assertEquals(fua, Cdbs.fua(read));
  }

  @Test
  void defaultReadAndWriteUseTheSmallestCdb() {
    assertEquals(6, Cdbs.read(100, 8).size());
    assertEquals(10, Cdbs.write(1L << 22, 8).size());
    assertEquals(16, Cdbs.read(1L << 40, 1).size());
  }

  @Test
  void rejectsFieldsThatDoNotFit() {
    assertThrows(IllegalArgumentException.class, () -> Cdbs.read6(1 << 21, 1));
    assertThrows(IllegalArgumentException.class, () -> Cdbs.read6(0, 0));
    assertThrows(IllegalArgumentException.class, () -> Cdbs.read6(0, 257));
    assertThrows(IllegalArgumentException.class, () -> Cdbs.read10(1L << 32, 1, false, false));
    assertThrows(IllegalArgumentException.class, () -> Cdbs.read10(0, 65536, false, false));
    assertThrows(IllegalArgumentException.class, () -> Cdbs.readWrite(false, -1, 1, false, false, 6));
    assertThrows(IllegalArgumentException.class, () -> Cdbs.inquiry(false, 0x80, 36));
    assertThrows(IllegalArgumentException.class, () -> Cdbs.inquiry(true, 0x80, 70000));
    assertThrows(IllegalArgumentException.class, () -> Cdbs.modeSense6(false, 4, 0, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> Cdbs.modeSense6(false, 0, 0x40, 0, 1));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Cdbs.requestSense(false, 300));
    assertEquals("allocation length 300 does not fit one byte", e.getMessage());
  }

  @Test
  void parsesLbaAndTransferLength() {
    assertEquals(256, Cdbs.transferLength(Cdbs.read6(5, 256)));
    assertEquals(5, Cdbs.lba(Cdbs.read6(5, 256)));
    // READ(6) ignores the reserved top bits of byte 1
    assertEquals(0x1fffff, Cdbs.lba(bytes(0x08, 0xff, 0xff, 0xff, 1, 0)));
    assertEquals(0x0102030405060708L, Cdbs.lba(Cdbs.writeSame16(0x0102030405060708L, 1, true)));
    assertEquals(0xfffffffeL, Cdbs.transferLength(Cdbs.verify12(0, 0xfffffffeL, false)));
    assertEquals(0, Cdbs.transferLength(Cdbs.synchronizeCache10(0, 0, false)));
    assertEquals(-1, Cdbs.lba(Cdbs.inquiry(false, 0, 36)));
    assertEquals(-1, Cdbs.transferLength(Cdbs.testUnitReady()));
    assertEquals(-1, Cdbs.lba(ByteString.emptyByteString()));
    // short CDB: missing bytes read as zero, no exception
    assertEquals(0x01020000L, Cdbs.lba(bytes(0x28, 0, 1, 2)));
  }

  @Test
  void parsesAllocationAndParameterLengths() {
    assertEquals(0x1ff, Cdbs.allocationLength(Cdbs.inquiry(true, 0x83, 0x1ff)));
    assertEquals(252, Cdbs.allocationLength(Cdbs.requestSense(false, 252)));
    assertEquals(0xff, Cdbs.allocationLength(Cdbs.modeSense6(false, 0, 0x3f, 0, 0xff)));
    assertEquals(0x1000, Cdbs.allocationLength(Cdbs.modeSense10(false, 0, 0x3f, 0, 0x1000)));
    assertEquals(0x1008, Cdbs.allocationLength(Cdbs.reportLuns(0, 0x1008)));
    assertEquals(32, Cdbs.allocationLength(Cdbs.readCapacity16(32)));
    assertEquals(8, Cdbs.allocationLength(Cdbs.readCapacity10()));
    assertEquals(0x400, Cdbs.allocationLength(Cdbs.receiveDiagnostic(true, 2, 0x400)));
    assertEquals(-1, Cdbs.allocationLength(Cdbs.read10(0, 1, false, false)));
    assertEquals(28, Cdbs.parameterListLength(Cdbs.modeSelect6(true, false, 28)));
    assertEquals(0x120, Cdbs.parameterListLength(Cdbs.modeSelect10(true, false, 0x120)));
    assertEquals(0x30, Cdbs.parameterListLength(Cdbs.sendDiagnostic(true, 0x30)));
    assertEquals(24, Cdbs.parameterListLength(Cdbs.unmap(24, false)));
    assertEquals(-1, Cdbs.parameterListLength(Cdbs.testUnitReady()));
  }

  @Test
  void unmapParameterListRoundTrips() {
    List<Cdbs.LbaRange> ranges = List.of(new Cdbs.LbaRange(0, 8), new Cdbs.LbaRange(1L << 40, 0xffffffffL));
    ByteString params = Cdbs.unmapParameters(ranges);
    assertEquals(40, params.size());
    assertEquals("00 26 00 20 00 00 00 00", hex(params.take(8)));
    assertEquals("00 00 01 00 00 00 00 00 ff ff ff ff 00 00 00 00", hex(params.drop(24)));
    assertEquals(ranges, Cdbs.parseUnmapParameters(params));
    // a truncated list yields only the complete descriptors
    assertEquals(ranges.subList(0, 1), Cdbs.parseUnmapParameters(params.take(30)));
    assertEquals(List.of(), Cdbs.parseUnmapParameters(bytes(0, 6)));
  }

  @Test
  void classifiesReadsAndWrites() {
    assertTrue(Cdbs.isRead(Opcodes.READ_16));
    assertFalse(Cdbs.isRead(Opcodes.VERIFY_10));
    assertTrue(Cdbs.isWrite(Opcodes.UNMAP));
    assertTrue(Cdbs.isWrite(Opcodes.WRITE_SAME_10));
    assertFalse(Cdbs.isWrite(Opcodes.READ_10));
    assertFalse(Cdbs.dpo(Cdbs.read6(0, 1)));
    assertTrue(Cdbs.dpo(Cdbs.read16(0, 1, true, false)));
  }
}
