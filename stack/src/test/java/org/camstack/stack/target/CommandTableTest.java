package org.camstack.stack.target;

import static org.camstack.stack.target.CommandTable.F_KNOWN;
import static org.camstack.stack.target.CommandTable.F_READY;
import static org.camstack.stack.target.CommandTable.F_RES_OK;
import static org.camstack.stack.target.CommandTable.UNKNOWN_SERVICE_ACTION;
import static org.camstack.stack.target.T.cdb;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/** The command table alone: declarations, lookups, and the RSOC parameter data built from them. */
class CommandTableTest {

  private final CommandTable t = new CommandTable();

  CommandTableTest() {
    t.define(0x00, F_READY); // TEST UNIT READY
    t.define(0x28, F_READY); // READ(10)
    t.define(0xa3, 0x0c, F_RES_OK); // MAINTENANCE IN / RSOC
    t.define(0xa3, 0x0a, F_RES_OK); // MAINTENANCE IN / RTPG
  }

  @Test
  void plainAndServiceActionLookups() {
    assertEquals(F_READY | F_KNOWN, t.known(0x28));
    assertEquals(F_READY | F_KNOWN, t.flags(0x28, cdb(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0)));
    assertEquals(0, t.known(0x2a));
    assertEquals(F_KNOWN, t.known(0xa3)); // known through its service actions
    assertEquals(F_RES_OK | F_KNOWN, t.flags(0xa3, maint(0x0c)));
    assertEquals(F_RES_OK | F_KNOWN, t.flags(0xa3, maint(0xec))); // the SA is the low 5 bits
    assertEquals(UNKNOWN_SERVICE_ACTION, t.flags(0xa3, maint(0x0b)));
    assertTrue(t.hasServiceActions(0xa3));
    assertFalse(t.hasServiceActions(0x28));
    assertThrows(IllegalArgumentException.class, () -> t.define(0xa3, 0x20, 0));
  }

  @Test
  void aPlainDeclarationCatchesUndeclaredServiceActions() {
    t.define(0x9e, F_READY); // a subclass that checks the SA itself
    t.define(0x9e, 0x10, F_READY | F_RES_OK);
    assertEquals(F_READY | F_RES_OK | F_KNOWN, t.flags(0x9e, cdb(0x9e, 0x10)));
    assertEquals(F_READY | F_KNOWN, t.flags(0x9e, cdb(0x9e, 0x12)));
    // RSOC lists the declared service action only
    byte[] all = t.allCommands(false);
    assertEquals(5 * 8, be32(all, 0)); // 00, 28, 9e/10, a3/0a, a3/0c
    assertEquals(0x9e, all[4 + 16] & 0xff);
    assertEquals(0x10, be16(all, 4 + 16 + 2));
    assertEquals(0x01, all[4 + 16 + 5]); // SERVACTV
  }

  @Test
  void cdbLengthAndControlByte() {
    assertEquals(6, CommandTable.cdbLength(0x00));
    assertEquals(10, CommandTable.cdbLength(0x28));
    assertEquals(12, CommandTable.cdbLength(0xa3));
    assertEquals(16, CommandTable.cdbLength(0x88));
    assertEquals(6, CommandTable.cdbLength(0xc0)); // vendor specific: the subclass checks
    assertEquals(11, CommandTable.controlByte(0xa3));
    assertEquals(1, CommandTable.controlByte(0x7f));
  }

  @Test
  void allCommandsDescriptorsInOpcodeThenServiceActionOrder() {
    byte[] b = t.allCommands(false);
    assertEquals(4 * 8, be32(b, 0));
    assertEquals(4 + 4 * 8, b.length);
    int[][] expect = {{0x00, 0, 0, 6}, {0x28, 0, 0, 10}, {0xa3, 0x0a, 1, 12}, {0xa3, 0x0c, 1, 12}};
    for (int i = 0; i < expect.length; i++) {
      int d = 4 + 8 * i;
      assertEquals(expect[i][0], b[d] & 0xff, "opcode " + i);
      assertEquals(expect[i][1], be16(b, d + 2), "service action " + i);
      assertEquals(expect[i][2], b[d + 5] & 0x03, "CTDP/SERVACTV " + i);
      assertEquals(expect[i][3], be16(b, d + 6), "cdb length " + i);
    }
  }

  @Test
  void rctdAddsATimeoutsDescriptorToEach() {
    byte[] b = t.allCommands(true);
    assertEquals(4 * 20, be32(b, 0));
    for (int i = 0; i < 4; i++) {
      int d = 4 + 20 * i;
      assertEquals(0x02, b[d + 5] & 0x02, "CTDP");
      assertEquals(0x0a, be16(b, d + 8), "timeouts descriptor length");
      assertEquals(CommandTable.NOMINAL_TIMEOUT_S, be32(b, d + 12));
      assertEquals(CommandTable.RECOMMENDED_TIMEOUT_S, be32(b, d + 16));
    }
  }

  @Test
  void oneCommandOptions() {
    // 001b: an opcode without service actions
    byte[] tur = t.oneCommand(1, 0x00, 0, false);
    assertArrayEquals(new byte[] {0, 0x03, 0, 6, 0, -1, -1, -1, -1, 0}, tur); // usage: fields the LUN may read
    byte[] read = t.oneCommand(1, 0x28, 0, false);
    assertEquals(0x28, read[4] & 0xff);
    assertEquals(10, be16(read, 2));
    assertEquals(0, read[4 + 9]); // CONTROL: neither NACA nor LINK
    assertNull(t.oneCommand(1, 0xa3, 0x0c, false)); // has service actions: 010b must be used
    assertArrayEquals(new byte[] {0, 0x01, 0, 0}, t.oneCommand(1, 0x2a, 0, false)); // not supported
    // 010b: opcode and service action
    byte[] rsoc = t.oneCommand(2, 0xa3, 0x0c, true);
    assertEquals(0x83, rsoc[1] & 0xff); // CTDP, supported
    assertEquals(12, be16(rsoc, 2));
    assertEquals(0xa3, rsoc[4] & 0xff);
    assertEquals(0x0c, rsoc[5] & 0xff);
    assertEquals(4 + 12 + 12, rsoc.length);
    assertEquals(0x0a, be16(rsoc, 16));
    assertArrayEquals(new byte[] {0, 0x01, 0, 0}, t.oneCommand(2, 0xa3, 0x0b, false));
    assertNull(t.oneCommand(2, 0x28, 0, false)); // no service actions: 001b must be used
    assertArrayEquals(new byte[] {0, 0x01, 0, 0}, t.oneCommand(2, 0x2a, 0, false)); // unknown opcode
    // 011b: either
    assertEquals(0x03, t.oneCommand(3, 0x28, 0, false)[1]);
    assertEquals(0x01, t.oneCommand(3, 0x28, 1, false)[1]);
    assertEquals(0x03, t.oneCommand(3, 0xa3, 0x0a, false)[1]);
    assertEquals(0x01, t.oneCommand(3, 0xa3, 0x1f, false)[1]);
  }

  private static ByteString maint(int b1) {
    return cdb(0xa3, b1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  }

  private static int be16(byte[] b, int i) {
    return ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
  }

  private static long be32(byte[] b, int i) {
    return ((long) be16(b, i) << 16) | be16(b, i + 2);
  }
}
