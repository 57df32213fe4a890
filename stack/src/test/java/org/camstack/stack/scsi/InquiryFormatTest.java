package org.camstack.stack.scsi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InquiryFormatTest {

  private static ByteString disk(int version, boolean removable) {
    return InquiryFormat.standardInquiry(0, removable, version, true, "SEAGATE", "ST3146855LW", "0003");
  }

  @Test
  void modernInquiryLine() {
    assertEquals("<SEAGATE ST3146855LW 0003> Fixed Direct Access SPC-4 SCSI device", InquiryFormat.describe(disk(6, false)));
    assertEquals("pass0: <SEAGATE ST3146855LW 0003> Removable Direct Access SPC-3 SCSI device",
        InquiryFormat.inquiryLine("pass0", disk(5, true)));
    assertEquals("<SEAGATE ST3146855LW 0003> Fixed Direct Access SCSI-2 device", InquiryFormat.describe(disk(2, false)));
    assertEquals("<SEAGATE ST3146855LW 0003> Fixed Direct Access SCSI device", InquiryFormat.describe(disk(0, false)));
    assertEquals("<SEAGATE ST3146855LW 0003> Fixed Direct Access SPC-1 SCSI device", InquiryFormat.describe(disk(3, false)));
  }

  @Test
  void qualifierIsShown() {
    byte[] b = disk(6, false).toArray();
    b[0] = (byte) 0x20; // qualifier 1
    assertEquals("<SEAGATE ST3146855LW 0003> Fixed Direct Access SPC-4 SCSI device (offline)",
        InquiryFormat.describe(ByteString.fromArray(b)));
  }

  @ParameterizedTest(name = "type {0} = {1}")
  @CsvSource({
    "0, Direct Access", "1, Sequential Access", "2, Printer", "3, Processor", "4, WORM", "5, CD-ROM",
    "6, Scanner", "7, Optical", "8, Changer", "9, Communication", "12, Storage Array",
    "13, Enclosure Services", "14, Simplified Direct Access", "15, Optical Card Read/Write",
    "17, Object-Based Storage", "18, Automation/Drive Interface", "20, Host Managed Zoned Block",
    "31, Uninstalled", "10, unknown", "11, unknown", "16, unknown"
  })
  void typeNames(int type, String name) {
    assertEquals(name, InquiryFormat.deviceTypeName(type));
  }

  @Test
  void enclosureLine() {
    ByteString ses = InquiryFormat.standardInquiry(0x0d, false, 6, false, "CAMSTACK", "EMU-SES", "0001");
    assertEquals("<CAMSTACK EMU-SES 0001> Fixed Enclosure Services SPC-4 SCSI device", InquiryFormat.describe(ses));
    assertEquals(36, ses.size());
    assertEquals(31, ses.apply(4));
  }

  @Test
  void serialAndRateLines() {
    assertEquals("pass0: Serial Number 3NM1ABCD", InquiryFormat.serialLine("pass0", "3NM1ABCD"));
    assertEquals("3NM1ABCD", InquiryFormat.serialLine(null, "3NM1ABCD"));
    assertEquals(60, InquiryFormat.serialLine(null, "x".repeat(80)).length());
    assertEquals("pass0: 300.000MB/s transfers, Command Queueing Enabled",
        InquiryFormat.rateLine("pass0", 300000, "", true));
    assertEquals("da1: 3.300MB/s transfers (3.300MHz, offset 8)",
        InquiryFormat.rateLine("da1", 3300, " (3.300MHz, offset 8)", false));
    assertEquals("cd0: 150KB/s transfers", InquiryFormat.rateLine("cd0", 150, null, false));
  }
}
