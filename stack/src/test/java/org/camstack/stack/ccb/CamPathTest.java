package org.camstack.stack.ccb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CamPathTest {

  @Test
  void parsesCamcontrolForms() {
    assertEquals(CamPath.of(0, 1, 2), CamPath.parse("0:1:2"));
    assertEquals(CamPath.bus(3), CamPath.parse("scbus3"));
    assertEquals(CamPath.target(1, 4), CamPath.parse("1:4"));
    assertEquals(CamPath.XPT, CamPath.parse("all"));
  }

  @Test
  void malformedPathsGiveOneLineErrors() {
    var e = assertThrows(IllegalArgumentException.class, () -> CamPath.parse("0:x:1"));
    assertEquals("malformed path '0:x:1': expected B, B:T or B:T:L", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> CamPath.parse("0:1:2:3"));
    assertThrows(IllegalArgumentException.class, () -> CamPath.parse("-5"));
  }

  @Test
  void wildcardsCoverConcretePathsAsXptPathCompDoes() {
    CamPath lun = CamPath.of(0, 1, 0);
    assertTrue(CamPath.bus(0).matches(lun));
    assertFalse(CamPath.bus(1).matches(lun));
    assertEquals(0, lun.compareTopology(CamPath.of(0, 1, 0)));
    assertEquals(1, CamPath.target(0, 1).compareTopology(lun));
    assertEquals(2, lun.compareTopology(CamPath.XPT));
    assertEquals(-1, lun.compareTopology(CamPath.of(0, 2, 0)));
  }

  @Test
  void camStatusRoundTripsItsCodeIgnoringFlagBits() {
    for (CamStatus s : CamStatus.values()) {
      assertEquals(s, CamStatus.fromCode(s.code() | CamStatus.DEV_QFRZN | CamStatus.AUTOSNS_VALID));
    }
  }
}
