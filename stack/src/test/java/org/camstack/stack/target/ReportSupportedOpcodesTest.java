package org.camstack.stack.target;

import static org.camstack.stack.target.T.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.Sense;
import org.junit.jupiter.api.Test;

/**
 * REPORT SUPPORTED OPERATION CODES (MAINTENANCE IN, service action 0Ch) on real LUNs, checked the
 * way libiscsi's test-tool (test_report_supported_opcodes_{simple,one_command,rctd,servactv}) does.
 */
class ReportSupportedOpcodesTest {

  private final EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, 512));

  static ByteString rsoc(boolean rctd, int option, int opcode, int sa, int alloc) {
    return cdb(0xa3, 0x0c, (rctd ? 0x80 : 0) | option, opcode, sa >>> 8, sa,
        alloc >>> 24, alloc >>> 16, alloc >>> 8, alloc, 0, 0);
  }

  record Desc(int opcode, int sa, boolean servactv, boolean ctdp, int cdbLength, int timeoutsLength) {}

  static List<Desc> parseAll(ByteString d) {
    long len = be32(d, 0);
    assertEquals(d.size() - 4, len, "command data length");
    List<Desc> out = new ArrayList<>();
    int p = 4;
    while (p < d.size()) {
      boolean ctdp = (u8(d, p + 5) & 0x02) != 0;
      out.add(new Desc(u8(d, p), be16(d, p + 2), (u8(d, p + 5) & 0x01) != 0, ctdp, be16(d, p + 6),
          ctdp ? be16(d, p + 8) : -1));
      p += ctdp ? 20 : 8;
    }
    return out;
  }

  @Test
  void simpleWithASmallAllocationLength() {
    ScsiResponse r = run(disk, rsoc(false, 0, 0, 0, 1024), 1024);
    assertGood(r);
    assertTrue(r.data().size() > 4);
  }

  @Test
  void everyCommandOfTheLunIsListedIncludingTheSubclassOnes() {
    List<Desc> all = parseAll(run(disk, rsoc(false, 0, 0, 0, 65535), 65535).data());
    List<Integer> ops = all.stream().map(Desc::opcode).toList();
    for (int op : new int[] {0x00, 0x03, 0x12, 0x1a, 0x5a, 0x15, 0x55, 0xa0, 0x28, 0x2a, 0x88, 0x8a, 0x35, 0x42, 0x25}) {
      assertTrue(ops.contains(op), "opcode " + Integer.toHexString(op) + " listed");
    }
    assertTrue(all.contains(new Desc(0x9e, 0x10, true, false, 16, -1)), "READ CAPACITY(16)");
    assertTrue(all.contains(new Desc(0xa3, 0x0c, true, false, 12, -1)), "RSOC itself");
    assertTrue(all.contains(new Desc(0xa3, 0x0a, true, false, 12, -1)), "REPORT TARGET PORT GROUPS");
    assertFalse(ops.contains(0x9e) && all.stream().anyMatch(d -> d.opcode() == 0x9e && !d.servactv()));
    // an enclosure lists its own
    EmuEnclosure enc = new EmuEnclosure(LunSpec.enclosure(1, 4), EnclosureView.EMPTY);
    List<Integer> encOps = parseAll(run(enc, rsoc(false, 0, 0, 0, 65535), 65535).data()).stream().map(Desc::opcode).toList();
    assertTrue(encOps.contains(0x1c));
    assertFalse(encOps.contains(0x28));
  }

  @Test
  void aCommandAddedBySupportsIsListedAndExecutable() {
    EmuDisk vendor = new EmuDisk(LunSpec.disk(0, 1000, 512)) {
      {
        supports(0xc1, 0);
        supports(0x9f, 0x05, 0);
      }
    };
    List<Desc> all = parseAll(run(vendor, rsoc(false, 0, 0, 0, 65535), 65535).data());
    assertTrue(all.contains(new Desc(0xc1, 0, false, false, 6, -1)));
    assertTrue(all.contains(new Desc(0x9f, 0x05, true, false, 16, -1)));
    ByteString one = run(vendor, rsoc(false, 2, 0x9f, 0x05, 512), 512).data();
    assertEquals(0x03, u8(one, 1) & 0x07);
    assertEquals(0x9f, u8(one, 4));
    assertEquals(0x05, u8(one, 5));
    // an undeclared service action of it is refused by the precheck
    assertSense(run(vendor, cdb(0x9f, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 0), Sense.ILLEGAL_REQUEST, 0x24, 0x00);
  }

  @Test
  void servactvClearMeansServiceActionZero() {
    for (Desc d : parseAll(run(disk, rsoc(false, 0, 0, 0, 65535), 65535).data())) {
      assertTrue(d.servactv() || d.sa() == 0, d.toString());
    }
  }

  @Test
  void rctdGivesEveryDescriptorATimeoutsDescriptorOfLengthTen() {
    for (Desc d : parseAll(run(disk, rsoc(false, 0, 0, 0, 65535), 65535).data())) {
      assertFalse(d.ctdp(), d.toString());
    }
    List<Desc> with = parseAll(run(disk, rsoc(true, 0, 0, 0, 65535), 65535).data());
    assertFalse(with.isEmpty());
    for (Desc d : with) {
      assertTrue(d.ctdp(), d.toString());
      assertEquals(0x0a, d.timeoutsLength(), d.toString());
    }
  }

  @Test
  void oneCommandForEveryListedCommand() {
    for (Desc d : parseAll(run(disk, rsoc(false, 0, 0, 0, 65535), 65535).data())) {
      ScsiResponse byOpcode = run(disk, rsoc(false, 1, d.opcode(), d.sa(), 65535), 65535);
      ScsiResponse bySa = run(disk, rsoc(false, 2, d.opcode(), d.sa(), 65535), 65535);
      if (d.servactv()) {
        assertSense(byOpcode, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
        assertGood(bySa);
      } else {
        assertGood(byOpcode);
        assertSense(bySa, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
      }
      ByteString one = (d.servactv() ? bySa : byOpcode).data();
      assertEquals(0x03, u8(one, 1) & 0x07, "supported " + d);
      assertNotEquals(0, be16(one, 2), "cdb length " + d);
      assertEquals(d.cdbLength(), be16(one, 2), "cdb length " + d);
      assertEquals(d.opcode(), u8(one, 4), "usage[0] " + d);
      ByteString both = run(disk, rsoc(true, 3, d.opcode(), d.sa(), 65535), 65535).data();
      assertEquals(0x83, u8(both, 1), "011b with RCTD " + d);
      assertEquals(4 + d.cdbLength() + 12, both.size());
    }
  }

  @Test
  void unsupportedCommandAndBadOptions() {
    ByteString none = run(disk, rsoc(false, 1, 0xe7, 0, 64), 64).data();
    assertEquals(4, none.size());
    assertEquals(0x01, u8(none, 1)); // not supported
    ScsiResponse bad = run(disk, rsoc(false, 4, 0, 0, 64), 64);
    assertSense(bad, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertField(bad, true, 2, 2);
    ScsiResponse badSa = run(disk, cdb(0xa3, 0x0b, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0), 256);
    assertSense(badSa, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertField(badSa, true, 1, 4);
  }

  @Test
  void allocationLengthCutsTheData() {
    ScsiResponse r = run(disk, rsoc(false, 0, 0, 0, 12), 512);
    assertEquals(12, r.data().size());
    assertEquals(500, r.resid());
  }
}
