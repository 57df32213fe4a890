package org.camstack.stack.scsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class ModeDataTest {

  private final ModeData disk =
      new ModeData(0, ModeData.DEV_SPEC_DPOFUA, List.of(new ModeData.BlockDescriptor(2097152, 512)),
          List.of(ModeData.cachingPage(true, false), ModeData.controlPage(false)));

  @Test
  void modeSense6RoundTrip() {
    ByteString data = disk.toBytes6();
    assertEquals(4 + 8 + 20 + 12, data.size());
    assertEquals("2b 00 10 08 00 20 00 00 00 00 02 00 88 12 04", Bytes.hex(data.take(15)));
    assertEquals(disk, ModeData.parse6(data));
    assertTrue((ModeData.parse6(data).page(ModeData.PAGE_CACHING).orElseThrow().byteAt(2) & ModeData.CACHING_WCE) != 0);
  }

  @Test
  void modeSense10RoundTripWithLongLba() {
    ModeData big = new ModeData(0, 0, List.of(new ModeData.BlockDescriptor(1L << 33, 4096)), List.of(ModeData.controlPage(true)));
    ByteString data = big.toBytes10();
    assertEquals(8 + 16 + 12, data.size());
    assertEquals(1, data.apply(4));
    assertEquals(big, ModeData.parse10(data));
    assertEquals(disk, ModeData.parse10(disk.toBytes10()));
  }

  @Test
  void selectListHasReservedFieldsClear() {
    ByteString sel = ModeData.ofPages(List.of(ModeData.cachingPage(false, false))).toSelect6();
    assertEquals(0, sel.apply(0));
    assertEquals(0x08, sel.apply(4)); // PS cleared
    ModeData parsed = ModeData.parse6(sel);
    assertFalse(parsed.page(ModeData.PAGE_CACHING).orElseThrow().ps());
    assertEquals(0, ModeData.parse10(ModeData.ofPages(List.of()).toSelect10()).pages().size());
  }

  @Test
  void subpagesAndTruncation() {
    ModeData.Page sub = new ModeData.Page(0x0a, 0x01, false, Bytes.wrap(new byte[28]));
    ModeData md = ModeData.ofPages(List.of(ModeData.controlPage(false), sub));
    ByteString data = md.toBytes10();
    assertEquals(md, ModeData.parse10(data));
    assertTrue(ModeData.parse10(data).page(0x0a, 0x01).isPresent());
    // cut inside the second page: the page comes back short, nothing throws
    ModeData cut = ModeData.parse10(data.take(8 + 12 + 10));
    assertEquals(2, cut.pages().size());
    assertEquals(6, cut.pages().get(1).params().size());
  }

  @Test
  void rejectsOversizedSense6() {
    List<ModeData.Page> many = List.of(
        new ModeData.Page(0x20, 0, false, Bytes.wrap(new byte[200])),
        new ModeData.Page(0x21, 0, false, Bytes.wrap(new byte[200])));
    assertThrows(IllegalArgumentException.class, () -> ModeData.ofPages(many).toBytes6());
    assertEquals(8 + 404, ModeData.ofPages(many).toBytes10().size());
  }
}
