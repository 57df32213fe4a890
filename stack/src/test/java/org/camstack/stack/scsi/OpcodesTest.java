package org.camstack.stack.scsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.camstack.stack.ccb.DeviceInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OpcodesTest {

  @ParameterizedTest(name = "0x{0} type {1} = {2}")
  @CsvSource({
    "00, 0, TEST UNIT READY",
    "01, 1, REWIND",
    "01, 0, REZERO UNIT",
    "03, 0, REQUEST SENSE",
    "05, 1, READ BLOCK LIMITS",
    "07, 8, INITIALIZE ELEMENT STATUS",
    "08, 0, READ(6)",
    "08, 1, READ(6)",
    "08, 3, RECEIVE",
    "0a, 0, WRITE(6)",
    "0a, 3, SEND(6)",
    "10, 1, WRITE FILEMARKS(6)",
    "11, 1, SPACE(6)",
    "12, 13, INQUIRY",
    "15, 0, MODE SELECT(6)",
    "16, 0, RESERVE(6)",
    "17, 0, RELEASE(6)",
    "19, 1, ERASE(6)",
    "1a, 0, MODE SENSE(6)",
    "1b, 0, START STOP UNIT",
    "1b, 1, LOAD UNLOAD",
    "1c, 13, RECEIVE DIAGNOSTIC RESULTS",
    "1d, 13, SEND DIAGNOSTIC",
    "1e, 0, PREVENT ALLOW MEDIUM REMOVAL",
    "25, 0, READ CAPACITY(10)",
    "25, 5, READ CD CAPACITY",
    "28, 0, READ(10)",
    "2a, 0, WRITE(10)",
    "2b, 1, LOCATE(10)",
    "2b, 8, POSITION TO ELEMENT",
    "2e, 0, WRITE AND VERIFY(10)",
    "2f, 0, VERIFY(10)",
    "34, 1, READ POSITION",
    "35, 0, SYNCHRONIZE CACHE(10)",
    "3b, 13, WRITE BUFFER",
    "3c, 13, READ BUFFER",
    "41, 0, WRITE SAME(10)",
    "42, 0, UNMAP",
    "42, 5, READ SUB-CHANNEL",
    "43, 5, READ TOC/PMA/ATIP",
    "4c, 0, LOG SELECT",
    "4d, 0, LOG SENSE",
    "55, 0, MODE SELECT(10)",
    "5a, 0, MODE SENSE(10)",
    "5e, 0, PERSISTENT RESERVE IN",
    "5f, 0, PERSISTENT RESERVE OUT",
    "85, 0, ATA COMMAND PASS THROUGH(16)",
    "88, 0, READ(16)",
    "8a, 0, WRITE(16)",
    "8f, 0, VERIFY(16)",
    "91, 0, SYNCHRONIZE CACHE(16)",
    "93, 0, WRITE SAME(16)",
    "9e, 0, SERVICE ACTION IN(16)",
    "a0, 13, REPORT LUNS",
    "a1, 0, ATA COMMAND PASS THROUGH(12)",
    "a3, 0, MAINTENANCE (IN)",
    "a4, 0, MAINTENANCE (OUT)",
    "a5, 8, MOVE MEDIUM",
    "a6, 8, EXCHANGE MEDIUM",
    "a8, 0, READ(12)",
    "aa, 0, WRITE(12)",
    "af, 0, VERIFY(12)",
    "b6, 8, SEND VOLUME TAG",
    "b8, 8, READ ELEMENT STATUS",
  })
  void namesEveryBriefOpcode(String op, int type, String name) {
    assertEquals(name, Opcodes.name(Integer.parseInt(op, 16), type));
  }

  @Test
  void unknownTypeFallsBackToTheFirstName() {
    assertEquals("READ(6)", Opcodes.name(0x08));
    assertEquals("READ(6)", Opcodes.name(0x08, DeviceInfo.T_ENCLOSURE));
    assertEquals("Vendor Specific Command", Opcodes.name(0xc5));
    assertEquals("UNKNOWN OPCODE 0x20", Opcodes.name(0x20));
    assertFalse(Opcodes.isKnown(0x20));
    assertTrue(Opcodes.isKnown(Opcodes.INQUIRY));
  }

  @Test
  void describeResolvesServiceActions() {
    assertEquals("READ CAPACITY(16)", Opcodes.describe(Cdbs.readCapacity16(32), 0));
    assertEquals("REPORT TARGET PORT GROUPS", Opcodes.describe(ScsiFixtures.bytes(0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 0));
    assertEquals("INQUIRY", Opcodes.describe(Cdbs.inquiry(false, 0, 36), 0));
    assertEquals("(empty CDB)", Opcodes.describe(org.apache.pekko.util.ByteString.emptyByteString(), 0));
  }

  @Test
  void cdbLengthFollowsTheGroupCode() {
    assertEquals(6, Opcodes.cdbLength(0x00));
    assertEquals(6, Opcodes.cdbLength(0x1f));
    assertEquals(10, Opcodes.cdbLength(0x28));
    assertEquals(10, Opcodes.cdbLength(0x5a));
    assertEquals(-1, Opcodes.cdbLength(0x7f));
    assertEquals(16, Opcodes.cdbLength(0x88));
    assertEquals(12, Opcodes.cdbLength(0xa0));
    assertEquals(-1, Opcodes.cdbLength(0xc0));
    assertEquals(-1, Opcodes.cdbLength(0xff));
  }

  @Test
  void constantsMatchTheBrief() {
    assertEquals(0x12, Opcodes.INQUIRY);
    assertEquals(0x9e, Opcodes.SERVICE_ACTION_IN_16);
    assertEquals(0x10, Opcodes.SA_READ_CAPACITY_16);
    assertEquals(0xa0, Opcodes.REPORT_LUNS);
    assertNotEquals(Opcodes.READ_10, Opcodes.WRITE_10);
  }
}
