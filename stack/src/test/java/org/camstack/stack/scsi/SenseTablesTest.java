package org.camstack.stack.scsi;

import static org.camstack.stack.ccb.CcbFlags.SF_NO_RECOVERY;
import static org.camstack.stack.ccb.CcbFlags.SF_NO_RETRY;
import static org.camstack.stack.ccb.CcbFlags.SF_QUIET_IR;
import static org.camstack.stack.ccb.CcbFlags.SF_RETRY_UA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.scsi.SenseAction.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SenseTablesTest {

  @ParameterizedTest(name = "key {0} = {1}, {2} {3}")
  @CsvSource({
    "0, NO SENSE, NOP, EIO",
    "1, RECOVERED ERROR, NOP, EIO",
    "2, NOT READY, RETRY, EIO",
    "3, MEDIUM ERROR, RETRY, EIO",
    "4, HARDWARE FAILURE, RETRY, EIO",
    "5, ILLEGAL REQUEST, FAIL, EINVAL",
    "6, UNIT ATTENTION, FAIL, ENXIO",
    "7, DATA PROTECT, FAIL, EACCES",
    "8, BLANK CHECK, FAIL, ENOSPC",
    "9, Vendor Specific, FAIL, EIO",
    "10, COPY ABORTED, FAIL, EIO",
    "11, ABORTED COMMAND, RETRY, EIO",
    "12, EQUAL, NOP, EIO",
    "13, VOLUME OVERFLOW, FAIL, EIO",
    "14, MISCOMPARE, FAIL, EIO",
    "15, COMPLETED, NOP, EIO",
  })
  void senseKeys(int key, String name, Kind kind, Errno errno) {
    assertEquals(name, SenseTables.keyName(key));
    assertEquals(kind, SenseTables.keyAction(key).kind());
    assertEquals(errno, SenseTables.keyAction(key).errno());
  }

  /** Every row of cam-brief 6.4: ASC/ASCQ, text, kind, errno, flags. */
  @ParameterizedTest(name = "{0}/{1} {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "00|00|No additional sense information|NOP|EIO|",
        "04|00|Logical unit not ready, cause not reportable|RETRY|EIO|",
        "04|01|Logical unit is in process of becoming ready|TUR|EBUSY|many",
        "04|02|Logical unit not ready, initializing command required|START_UNIT|ENXIO|",
        "11|00|Unrecovered read error|FAIL|EIO|",
        "1A|00|Parameter list length error|RETRY|EIO|",
        "20|00|Invalid command operation code|FAIL|EINVAL|",
        "21|00|Logical block address out of range|FAIL|EINVAL|",
        "24|00|Invalid field in CDB|FAIL|EINVAL|",
        "25|00|Logical unit not supported|FAIL|ENXIO|lost",
        "27|00|Write protected|FAIL|EACCES|",
        "28|00|Not ready to ready change, medium may have changed|FAIL|ENXIO|",
        "29|00|Power on, reset, or bus device reset occurred|FAIL|ENXIO|",
        "29|01|Power on occurred|RETRY|EIO|",
        "29|02|SCSI bus reset occurred|RETRY|EIO|",
        "29|03|Bus device reset function occurred|RETRY|EIO|",
        "2A|01|Mode parameters changed|RETRY|EIO|",
        "2A|09|Capacity data has changed|RETRY|EIO|",
        "2F|00|Commands cleared by another initiator|RETRY|EIO|",
        "3A|00|Medium not present|FAIL|ENXIO|",
        "3E|00|Logical unit has not self-configured yet|RETRY|EIO|",
        "3F|01|Microcode has been changed|RETRY|EIO|",
        "3F|03|INQUIRY data has changed|RETRY|EIO|",
        "3F|0E|Reported LUNs data has changed|RETRY|EIO|rescan",
        "53|02|Medium removal prevented|RETRY|EIO|",
      })
  void briefTable(String asc, String ascq, String text, Kind kind, Errno errno, String flag) {
    int a = Integer.parseInt(asc, 16);
    int q = Integer.parseInt(ascq, 16);
    SenseTables.AscEntry e = SenseTables.lookup(a, q).orElseThrow();
    assertEquals(text, e.text());
    assertEquals(kind, e.action().kind());
    assertEquals(errno, e.action().errno());
    assertEquals("lost".equals(flag), e.action().lost());
    assertEquals("rescan".equals(flag), e.action().rescan());
    assertEquals("many".equals(flag), e.action().many());
  }

  @Test
  void tableIsBroad() {
    assertTrue(SenseTables.entries().size() >= 120, "entries: " + SenseTables.entries().size());
    Set<Integer> seen = new HashSet<>();
    for (SenseTables.AscEntry e : SenseTables.entries()) {
      assertTrue(seen.add(e.asc() << 8 | e.ascq()), "duplicate " + e);
      assertFalse(e.text().isEmpty());
    }
    int[][] required = {
      {0x0C, 0}, {0x14, 1}, {0x1A, 0}, {0x20, 0}, {0x21, 0}, {0x21, 1}, {0x24, 0}, {0x25, 0},
      {0x26, 0}, {0x26, 1}, {0x26, 2}, {0x27, 0}, {0x28, 0}, {0x2C, 0}, {0x2F, 0}, {0x30, 0},
      {0x3D, 0}, {0x3E, 0}, {0x3E, 1}, {0x44, 0}, {0x47, 0}, {0x48, 0}, {0x49, 0}, {0x4B, 0},
      {0x4E, 0}, {0x53, 0}, {0x53, 1}, {0x53, 2}, {0x55, 3}, {0x5D, 0}
    };
    for (int[] r : required) {
      assertTrue(SenseTables.lookup(r[0], r[1]).isPresent(), String.format("%02X/%02X", r[0], r[1]));
    }
    for (int q = 0; q <= 7; q++) {
      assertTrue(SenseTables.lookup(0x29, q).isPresent(), "29/" + q);
    }
    for (int q = 0; q <= 9; q++) {
      assertTrue(SenseTables.lookup(0x2A, q).isPresent(), "2A/" + q);
    }
    for (int q = 0; q <= 4; q++) {
      assertTrue(SenseTables.lookup(0x3A, q).isPresent(), "3A/" + q);
    }
    for (int q = 0; q <= 0x0E; q++) {
      assertTrue(SenseTables.lookup(0x3F, q).isPresent(), "3F/" + q);
    }
  }

  @Test
  void rangedEntriesAndUnknownText() {
    assertEquals("Diagnostic failure on component 85h", SenseTables.ascText(0x40, 0x85));
    assertEquals("Tagged overlapped commands (task tag 07h)", SenseTables.ascText(0x4D, 0x07));
    assertEquals("Vendor Specific ASC", SenseTables.ascText(0x80, 0x00));
    assertEquals("Vendor Specific ASCQ", SenseTables.ascText(0x29, 0x90));
    assertEquals("ASC 0x7e ASCQ 0x01", SenseTables.ascText(0x7E, 0x01));
    assertEquals("Invalid Sense Key", SenseTables.keyName(16));
  }

  @Test
  void unknownAscUsesTheKeyAction() {
    assertEquals(SenseTables.keyAction(Sense.ILLEGAL_REQUEST), SenseTables.action(Sense.ILLEGAL_REQUEST, 0x7E, 0x01));
    assertEquals(SenseTables.keyAction(Sense.UNIT_ATTENTION), SenseTables.action(Sense.UNIT_ATTENTION, 0, 0));
    assertEquals(SenseTables.keyAction(Sense.MEDIUM_ERROR), SenseTables.action(Sense.MEDIUM_ERROR, -1, -1));
  }

  @Test
  void senseFlagsShapeTheAction() {
    SenseAction ua = SenseTables.errorAction(Sense.UNIT_ATTENTION, 0x29, 0x00, 0);
    assertEquals(Kind.FAIL, ua.kind());
    assertTrue(ua.unitAttention());
    SenseAction retried = SenseTables.errorAction(Sense.UNIT_ATTENTION, 0x29, 0x00, SF_RETRY_UA);
    assertEquals(Kind.RETRY, retried.kind());
    assertEquals(Errno.ENXIO, retried.errno());
    assertTrue(retried.decrementCount());
    // RETRY_UA drops the qualifiers of a fatal UA (25/00 under a UA key loses LOST)
    assertFalse(SenseTables.errorAction(Sense.UNIT_ATTENTION, 0x25, 0x00, SF_RETRY_UA).lost());
    assertTrue(SenseTables.errorAction(Sense.UNIT_ATTENTION, 0x3F, 0x0E, SF_RETRY_UA).rescan());
    assertFalse(SenseTables.errorAction(Sense.ILLEGAL_REQUEST, 0x24, 0, SF_QUIET_IR).print());
    assertTrue(SenseTables.errorAction(Sense.ILLEGAL_REQUEST, 0x24, 0, 0).print());
    assertEquals(Kind.FAIL, SenseTables.errorAction(Sense.NOT_READY, 4, 1, SF_NO_RECOVERY).kind());
    assertEquals(Kind.FAIL, SenseTables.errorAction(Sense.NOT_READY, 4, 2, SF_NO_RECOVERY).kind());
    assertEquals(Kind.TUR, SenseTables.errorAction(Sense.NOT_READY, 4, 1, SF_NO_RETRY).kind());
    assertEquals(Kind.FAIL, SenseTables.errorAction(Sense.MEDIUM_ERROR, 0x0C, 0, SF_NO_RETRY).kind());
    SenseAction recovered = SenseTables.errorAction(Sense.RECOVERED_ERROR, 0x11, 0, 0);
    assertEquals(Kind.NOP, recovered.kind());
    assertTrue(recovered.print());
  }

  @Test
  void turWaitParameters() {
    SenseAction a = SenseTables.action(Sense.NOT_READY, 4, 1);
    assertEquals(120, a.waitCount());
    assertEquals(500, a.waitDelayMs());
    assertEquals(1, SenseAction.tur(Errno.EIO).waitCount());
    assertFalse(SenseAction.tur(Errno.EIO).many());
  }

  @Test
  void errnoNumbersAndTexts() {
    assertEquals(5, Errno.EIO.number());
    assertEquals("Device not configured", Errno.ENXIO.strerror());
    assertEquals("Device busy", Errno.EBUSY.strerror());
    assertEquals("Operation timed out", Errno.ETIMEDOUT.strerror());
    assertEquals(Errno.EINVAL, Errno.fromNumber(22));
    assertEquals(-1, Errno.ERESTART.number());
    assertEquals("ENOSPC (No space left on device)", Errno.ENOSPC.describe());
    Set<Integer> numbers = new HashSet<>();
    for (Errno e : Errno.values()) {
      assertTrue(numbers.add(e.number()), "duplicate errno " + e);
    }
  }
}
