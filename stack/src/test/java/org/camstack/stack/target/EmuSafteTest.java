package org.camstack.stack.target;

import static org.camstack.stack.target.T.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.ScsiResponse;
import org.junit.jupiter.api.Test;

/** The SAF-TE buffers of the emulated enclosure processor, and its errors, as a table. */
class EmuSafteTest {
  private final List<SlotOccupant> plugged = new CopyOnWriteArrayList<>();
  private final EmuSafte safte = new EmuSafte(LunSpec.parse("lun = 0, type = safte, slots = 4"), () -> List.copyOf(plugged));

  private static ByteString readBuffer(int mode, int id, int alloc) {
    return cdb(0x3c, mode, id, 0, 0, 0, alloc >>> 16, alloc >>> 8, alloc, 0);
  }

  private static ByteString writeBuffer(int len) {
    return cdb(0x3b, 0x01, 0, 0, 0, 0, len >>> 16, len >>> 8, len, 0);
  }

  @Test
  void inquirySaysSafTe() {
    ByteString d = run(safte, inquiry(96), 96).data();
    assertEquals(0x03, u8(d, 0));
    assertEquals("SAF-TE", ascii(d, 44, 6));
  }

  @Test
  void configurationAndSlotStatusFollowOccupancy() {
    run(safte, tur(), 0);
    ByteString c = run(safte, readBuffer(1, 0x00, 64), 64).data();
    assertEquals(List.of(2, 1, 4, 0, 1), List.of(u8(c, 0), u8(c, 1), u8(c, 2), u8(c, 3), u8(c, 4)));
    assertEquals(0, u8(run(safte, readBuffer(1, 0x04, 16), 16).data(), 3) & 0x01);
    plugged.add(new SlotOccupant(2, "5000ca57ac000001", 0, 5));
    ByteString s = run(safte, readBuffer(1, 0x04, 16), 16).data();
    assertEquals(16, s.size());
    assertEquals(0x01, u8(s, 2 * 4 + 3) & 0x01, "slot 2 inserted");
    assertEquals(0, u8(s, 0 * 4 + 3) & 0x01);
    ByteString e = run(safte, readBuffer(1, 0x01, 64), 64).data();
    assertEquals(2 + 1 + 4 + 3 + 1 + 2, e.size());
  }

  @Test
  void writeSlotStatusAndPerformSlotOperation() {
    run(safte, tur(), 0);
    byte[] w = new byte[1 + 16];
    w[0] = 0x10;
    w[1 + 4] = 0x02; // slot 1 identify
    w[1 + 12] = 0x20; // slot 3 fault
    assertGood(out(safte, writeBuffer(w.length), ByteString.fromArray(w)));
    assertTrue(safte.ident(1));
    assertTrue(safte.fault(3));
    assertFalse(safte.ident(0));
    assertGood(out(safte, writeBuffer(3), ByteString.fromArray(new byte[] {0x12, 1, 0x02})));
    assertFalse(safte.ident(1), "identify toggles");
    assertGood(out(safte, writeBuffer(3), ByteString.fromArray(new byte[] {0x12, 0, 0x01})));
    assertEquals(0x02, u8(run(safte, readBuffer(1, 0x04, 16), 16).data(), 3) & 0x02, "ready for removal");
  }

  record Row(String what, ByteString cdb, ByteString data, int key, int asc) {}

  @Test
  void errors() {
    run(safte, tur(), 0);
    List<Row> rows = List.of(
        new Row("read buffer mode 2", readBuffer(2, 0x00, 64), null, 5, 0x24),
        new Row("unknown buffer id", readBuffer(1, 0x07, 64), null, 5, 0x24),
        new Row("unknown function", writeBuffer(1), ByteString.fromArray(new byte[] {0x77}), 5, 0x26),
        new Row("short slot status", writeBuffer(3), ByteString.fromArray(new byte[] {0x10, 0, 0}), 5, 0x1a),
        new Row("slot beyond the enclosure", writeBuffer(3), ByteString.fromArray(new byte[] {0x12, 9, 0x02}), 5, 0x26),
        new Row("bad slot operation", writeBuffer(3), ByteString.fromArray(new byte[] {0x12, 0, 0x09}), 5, 0x26),
        new Row("length mismatch", writeBuffer(5), ByteString.fromArray(new byte[] {0x15, 0}), 5, 0x24));
    for (Row r : rows) {
      ScsiResponse resp = r.data() == null ? run(safte, r.cdb(), 64) : out(safte, r.cdb(), r.data());
      assertSense(resp, r.key(), r.asc(), 0);
    }
  }
}
