package org.camstack.stack.target;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NexusesTest {

  @Test
  void sameInitiatorPortThroughSamePortKeepsItsId() {
    String a = "iqn.2026-12.test:nexuses-a,i,0x400000000001";
    int id = Nexuses.idFor(a, Nexuses.ISCSI_PORT);
    assertTrue(id >= Nexuses.FIRST_REGISTERED);
    assertEquals(id, Nexuses.idFor(a, Nexuses.ISCSI_PORT));
    assertNotEquals(id, Nexuses.idFor(a, 3));
    assertNotEquals(id, Nexuses.idFor("iqn.2026-12.test:nexuses-b,i,0x400000000001", Nexuses.ISCSI_PORT));
    assertEquals(new Nexuses.Nexus(id, a, Nexuses.ISCSI_PORT), Nexuses.describe(id));
  }

  @Test
  void simInitiatorIdsAreTheCamSimPort() {
    assertEquals(Nexuses.CAM_SIM_PORT, Nexuses.describe(7).relativeTargetPort());
    assertEquals(7, Nexuses.describe(7).initiatorId());
  }

  @Test
  void badNamesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> Nexuses.idFor(" ", 2));
    assertThrows(IllegalArgumentException.class, () -> Nexuses.idFor("x", 0));
    assertThrows(IllegalArgumentException.class, () -> Nexuses.describe(1 << 30));
  }
}
