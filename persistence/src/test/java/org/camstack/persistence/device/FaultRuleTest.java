package org.camstack.persistence.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The one fault rule: journal form and the emulator's reading of it are the same value. */
class FaultRuleTest {

  @Test
  void factoriesAreOneShotUntilMadeContinuous() {
    FaultRule r = FaultRule.busy("b", FaultRule.WRITE);
    assertTrue(r.oneShot());
    assertFalse(r.continuous().oneShot());
    assertEquals(new FaultRule("b", "busy", "write", 0, Long.MAX_VALUE, false, ""), r.continuous());
  }

  @Test
  void lbaRangesAreInclusiveAndNoRangeIsTheWholeDevice() {
    FaultRule whole = FaultRule.timeout("t", FaultRule.ANY);
    assertFalse(whole.hasLbaRange());
    assertTrue(whole.onLbas(0, 10).hasLbaRange(), "a range from LBA 0 is still a range");
    FaultRule r = FaultRule.mediumError("m", FaultRule.READ, 100, 10);
    assertTrue(r.hasLbaRange());
    assertEquals(100, r.lbaFirst());
    assertEquals(109, r.lbaLast());
    assertTrue(r.overlaps(109, 1));
    assertTrue(r.overlaps(90, 11));
    assertFalse(r.overlaps(110, 5));
    assertFalse(r.overlaps(90, 10));
    assertFalse(r.overlaps(100, 0));
    assertThrows(IllegalArgumentException.class, () -> whole.onLbas(5, 0));
    assertThrows(IllegalArgumentException.class, () -> whole.onLbas(Long.MAX_VALUE, 2));
  }

  @Test
  void senseIsFixedFormatAndReadsBack() {
    String hex = FaultRule.fixedSense(0x04, 0x44, 0x01);
    assertEquals("700004000000000a0000000044010000" + "0000", hex);
    FaultRule c = FaultRule.customSense("c", FaultRule.ANY, 0x04, 0x44, 0x01);
    assertEquals(0x04, c.senseKey());
    assertEquals(0x44, c.asc());
    assertEquals(0x01, c.ascq());
    FaultRule plain = FaultRule.abortedCommand("a", FaultRule.ANY);
    assertEquals(-1, plain.senseKey());
    assertEquals(-1, plain.asc());
    assertEquals(-1, plain.ascq());
    FaultRule descriptor = new FaultRule("d", FaultRule.CUSTOM_SENSE, "any", 0, Long.MAX_VALUE, true, "720b4703");
    assertEquals(0x0b, descriptor.senseKey());
    assertEquals(0x47, descriptor.asc());
    assertEquals(0x03, descriptor.ascq());
    assertThrows(IllegalArgumentException.class, () -> FaultRule.fixedSense(16, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> FaultRule.unitAttention("u", FaultRule.ANY, 0x100, 0));
  }

  @Test
  void theJournalAcceptsKindsTheEmulatorDoesNotKnow() {
    FaultRule r = new FaultRule("r1", "error", null, 10, 20, true, "");
    assertEquals(FaultRule.ANY, r.opClass());
    assertThrows(IllegalArgumentException.class, () -> new FaultRule("r", "busy", "any", 5, 4, true, ""));
    assertThrows(IllegalArgumentException.class, () -> new FaultRule("r", "busy", "any", 0, 4, true, "xyz"));
  }
}
