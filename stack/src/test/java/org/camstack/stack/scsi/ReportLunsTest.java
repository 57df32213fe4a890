package org.camstack.stack.scsi;

import static org.camstack.stack.scsi.ScsiFixtures.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class ReportLunsTest {

  @Test
  void encodesPeripheralFlatAndExtendedFlat() {
    assertEquals("00 05 00 00 00 00 00 00", Bytes.hex(ReportLuns.encodeLun(5)));
    assertEquals("00 ff 00 00 00 00 00 00", Bytes.hex(ReportLuns.encodeLun(255)));
    assertEquals("41 00 00 00 00 00 00 00", Bytes.hex(ReportLuns.encodeLun(256)));
    assertEquals("7f ff 00 00 00 00 00 00", Bytes.hex(ReportLuns.encodeLun(16383)));
    assertEquals("d2 00 40 00 00 00 00 00", Bytes.hex(ReportLuns.encodeLun(16384)));
    assertThrows(IllegalArgumentException.class, () -> ReportLuns.encodeLun(1 << 24));
    assertThrows(IllegalArgumentException.class, () -> ReportLuns.encodeLun(-1));
  }

  @Test
  void buildAndParseRoundTrip() {
    List<Long> luns = List.of(0L, 1L, 7L, 255L, 256L, 1000L, 16383L, 16384L, 0xabcdefL);
    ByteString data = ReportLuns.build(luns);
    assertEquals(8 + 8 * luns.size(), data.size());
    assertEquals(8L * luns.size(), ReportLuns.listLength(data));
    assertEquals(luns, ReportLuns.parse(data));
  }

  @Test
  void truncatedDataAnnouncesTheFullLength() {
    ByteString data = ReportLuns.build(List.of(0L, 1L, 2L, 3L));
    ByteString cut = data.take(24); // room for two entries
    assertEquals(List.of(0L, 1L), ReportLuns.parse(cut));
    assertEquals(40, ReportLuns.requiredLength(cut));
    assertEquals(List.of(), ReportLuns.parse(data.take(8)));
    assertEquals(List.of(), ReportLuns.parse(ByteString.emptyByteString()));
  }

  @Test
  void emptyList() {
    ByteString data = ReportLuns.build(List.of());
    assertEquals("00 00 00 00 00 00 00 00", Bytes.hex(data));
    assertEquals(List.of(), ReportLuns.parse(data));
  }

  @Test
  void multiLevelLunsUseCamsSwizzledId() {
    ByteString twoLevel = bytes(0, 0, 0, 8, 0, 0, 0, 0, 0x40, 0x01, 0x40, 0x02, 0, 0, 0, 0);
    long id = ReportLuns.parse(twoLevel).get(0);
    assertEquals(0x0000000040024001L, id);
  }
}
