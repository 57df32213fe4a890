package org.camstack.stack.scsi;

import static org.camstack.stack.scsi.ScsiFixtures.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class VpdTest {

  @Test
  void supportedPages() {
    ByteString page = Vpd.supportedPagesPage(0, 0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2);
    assertEquals("00 00 00 06 00 80 83 b0 b1 b2", Bytes.hex(page));
    assertEquals(List.of(0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2), Vpd.supportedPages(page));
    // a page cut short by the allocation length lists what arrived
    assertEquals(List.of(0x00, 0x80), Vpd.supportedPages(page.take(6)));
  }

  @Test
  void unitSerial() {
    ByteString page = Vpd.unitSerialPage(0, "  3NM1ABCD  ");
    assertEquals(0x80, page.apply(1) & 0xff);
    assertEquals("3NM1ABCD", Vpd.unitSerial(page));
    assertEquals("", Vpd.unitSerial(bytes(0, 0x80, 0, 0)));
  }

  @Test
  void deviceIdentificationRoundTrip() {
    List<Vpd.Designator> ds = List.of(
        Vpd.Designator.t10("CAMSTACK", "EMU-DISK 0001"),
        Vpd.Designator.naa(0x5000c50000000001L),
        Vpd.Designator.relativePort(1),
        Vpd.Designator.targetPortNaa(0x500000e012345678L));
    ByteString page = Vpd.deviceIdPage(0, ds);
    assertEquals(ds, Vpd.designators(page));
    assertEquals("01 03 00 08 50 00 c5 00 00 00 00 01",
        Bytes.hex(page.drop(4 + 4 + 8 + 13).take(12)));
    assertEquals(Optional.of("naa.5000c50000000001"), Vpd.lunId(page));
    assertEquals("t10.CAMSTACKEMU-DISK 0001", ds.get(0).text());
    assertEquals("port.1", ds.get(2).text());
  }

  @Test
  void lunIdPreference() {
    ByteString euiOnly = Vpd.deviceIdPage(0, List.of(Vpd.Designator.t10("V", "x"), Vpd.Designator.eui64(0x0011223344556677L)));
    assertEquals(Optional.of("eui.0011223344556677"), Vpd.lunId(euiOnly));
    ByteString portOnly = Vpd.deviceIdPage(0, List.of(Vpd.Designator.targetPortNaa(0x5000000000000001L)));
    assertEquals(Optional.empty(), Vpd.lunId(portOnly));
    ByteString scsiName = Vpd.deviceIdPage(0, List.of(new Vpd.Designator(5, Vpd.CODESET_UTF8, true, Vpd.ASSOC_LUN, Vpd.ID_SCSI_NAME,
        ByteString.fromString("iqn.2012-06.org.camstack:disk0\0\0"))));
    assertEquals(Optional.of("iqn.2012-06.org.camstack:disk0"), Vpd.lunId(scsiName));
  }

  @Test
  void truncatedDescriptorIsDropped() {
    ByteString page = Vpd.deviceIdPage(0, List.of(Vpd.Designator.naa(1), Vpd.Designator.naa(2)));
    assertEquals(1, Vpd.designators(page.take(4 + 12 + 6)).size());
    assertEquals(List.of(), Vpd.designators(ByteString.emptyByteString()));
  }
}
