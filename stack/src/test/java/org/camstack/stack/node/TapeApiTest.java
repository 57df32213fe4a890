package org.camstack.stack.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.camstack.stack.scsi.ch.ChPeriph;
import org.camstack.stack.scsi.sa.SaPeriph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How the tape API reads what a client writes: mt operation words and chio element names. */
class TapeApiTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "rewind, REWIND", "REW, REWIND", "fsf, FSF", "bsf, BSF", "fsr, FSR", "bsr, BSR", "weof, WEOF", "eof, WEOF",
    "eod, EOD", "eom, EOD", "erase, ERASE", "offline, OFFLINE", "unload, OFFLINE", "load, LOAD", "blocksize, SETBSIZ",
    "nop, NOP"
  })
  void mtOperations(String word, SaPeriph.Op op) {
    assertEquals(op, TapeApi.parseOp(word));
  }

  @ParameterizedTest(name = "{0} -> {1} {2}")
  @CsvSource({
    "slot 0, SLOT, 0", "slot:7, SLOT, 7", "drive1, DRIVE, 1", "DRIVE 0, DRIVE, 0", "portal 0, PORTAL, 0",
    "mailslot 0, PORTAL, 0", "picker 0, PICKER, 0", "st 3, SLOT, 3", "dt 1, DRIVE, 1"
  })
  void elementNames(String text, ChPeriph.Kind kind, int unit) {
    assertEquals(new ChPeriph.Element(kind, unit), TapeApi.element(text, "from"));
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @CsvSource({"'', missing from", "shelf 1, unknown element type", "slot, bad from element", "slot x, bad from element"})
  void badElementsAreBadRequests(String text, String message) {
    ApiException e = assertThrows(ApiException.class, () -> TapeApi.element(text, "from"));
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @ParameterizedTest(name = "[{index}] '{0}'")
  @CsvSource({"spin", "''"})
  void unknownOperationsAreBadRequests(String word) {
    assertThrows(ApiException.class, () -> TapeApi.parseOp(word));
  }
}
