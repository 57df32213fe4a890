package org.camstack.stack.scsi.ses;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class SesPagesTest {

  /** Configuration: one enclosure (logical id 0x5000cafe), 2 slots and 1 fan. */
  private static ByteString config() {
    byte[] b = new byte[8 + 40 + 8 + 6];
    b[0] = 0x01;
    int len = b.length - 4;
    b[2] = (byte) (len >> 8);
    b[3] = (byte) len;
    b[7] = 9; // generation
    b[8] = 0x11;
    b[10] = 2; // two type descriptor headers
    b[11] = 36;
    b[12 + 6] = 0x50;
    b[12 + 7] = (byte) 0xca;
    b[48] = SesPages.ELM_ARRAY_DEVICE_SLOT;
    b[49] = 2;
    b[51] = 4;
    b[52] = SesPages.ELM_COOLING;
    b[53] = 1;
    b[55] = 2;
    System.arraycopy("SlotFn".getBytes(), 0, b, 56, 6);
    return ByteString.fromArray(b);
  }

  @Test
  void configurationListsTheTypesWithTheirTexts() {
    SesPages.Configuration c = SesPages.parseConfiguration(config());
    assertEquals(9, c.generation());
    assertEquals(3, c.elementCount());
    assertEquals(0x50caL, c.logicalId());
    assertEquals("Slot", c.types().get(0).text());
    assertEquals("Fn", c.types().get(1).text());
    assertThrows(IllegalArgumentException.class, () -> SesPages.parseConfiguration(config().take(20)));
  }

  @Test
  void statusControlAndAdditionalStatusFollowTheTypeOrder() {
    SesPages.Configuration c = SesPages.parseConfiguration(config());
    byte[] st = new byte[8 + 4 * 5];
    st[0] = 0x02;
    st[3] = (byte) (st.length - 4);
    st[7] = 9;
    st[12] = 0x01; // slot 0 OK
    st[14] = 0x02; // IDENT
    st[16] = 0x05; // slot 1 not installed
    st[19] = 0x20; // FAULT REQSTD
    SesPages.Status s = SesPages.parseStatus(ByteString.fromArray(st), c);
    assertTrue(SesPages.slotIdent(s.elements().get(0).get(0)));
    assertFalse(SesPages.slotFault(s.elements().get(0).get(0)));
    assertTrue(SesPages.slotFault(s.elements().get(0).get(1)));
    assertEquals(SesPages.STATUS_NOT_INSTALLED, SesPages.statusCode(s.elements().get(0).get(1)));

    ByteString ctl = SesPages.control(c, 0, 1, SesPages.slotControl(true, true));
    assertEquals(8 + 4 * 5, ctl.size());
    assertEquals(9, ctl.apply(7));
    assertEquals((byte) 0x80, ctl.apply(16)); // SELECT on slot 1 only
    assertEquals(0x02, ctl.apply(18));
    assertEquals(0x20, ctl.apply(19));
    assertEquals(0, ctl.apply(12));

    byte[] add = new byte[8 + 36];
    add[0] = 0x0a;
    add[3] = (byte) (add.length - 4);
    add[8] = 0x16; // EIP, SAS
    add[9] = 34;
    add[11] = 1; // element index 1
    add[12] = 1; // one phy
    add[8 + 8 + 12 + 7] = 0x42; // SAS address ...42
    List<SesPages.Attached> a = SesPages.parseAdditionalStatus(ByteString.fromArray(add));
    assertEquals(List.of(new SesPages.Attached(1, 0x42)), a);
    assertEquals("id1,enc@n50ca/type@0/slot@1", SesPages.physPath(c, 1));
    assertEquals("id1,enc@n50ca/type@1/slot@0", SesPages.physPath(c, 2));
  }
}
