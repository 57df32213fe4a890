package org.camstack.stack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.camstack.stack.node.DevlistFormat.Style.LEGACY;
import static org.camstack.stack.node.DevlistFormat.Style.MODERN;

import java.util.List;
import org.camstack.persistence.cli.Cli;
import org.camstack.stack.node.ApiModel;
import org.camstack.stack.node.DevlistFormat;
import org.junit.jupiter.api.Test;

class CamcontrolFormatTest {

  private static ApiModel.Device disk(int bus, int target, long lun, List<String> periphs) {
    return new ApiModel.Device(
        bus + ":" + target + ":" + lun, bus, target, lun, "scsi", "SEAGATE", "ST3146855LW", "0003", 0, "SN1", periphs, false);
  }

  private static final ApiModel.Devlist DEVLIST =
      new ApiModel.Devlist(
          List.of(
              new ApiModel.Bus(0, "emusim", 0, 0, List.of(disk(0, 0, 0, List.of("pass0", "da0")), disk(0, 1, 0, List.of("da1", "pass1")))),
              new ApiModel.Bus(
                  -1,
                  "xpt",
                  0,
                  0,
                  List.of(new ApiModel.Device("-1:-1:-1", -1, -1, -1, "none", "", "", "", 0x1f, "", List.of("xpt0"), true)))));

  @Test
  void devlistPrintsIdentityIn33ColumnsThenPathAndPeriphs() {
    String expected =
        "<SEAGATE ST3146855LW 0003>         at scbus0 target 0 lun 0 (pass0,da0)\n"
            + "<SEAGATE ST3146855LW 0003>         at scbus0 target 1 lun 0 (da1,pass1)\n";
    assertEquals(expected, DevlistFormat.format(DEVLIST, false, false, MODERN));
    assertEquals(expected, DevlistFormat.format(DEVLIST, false, false, LEGACY));
  }

  @Test
  void modernVerboseDevlistAddsBusLinesEachBusWildcardAndHexLuns() {
    assertEquals(
        "scbus0 on emusim0 bus 0:\n"
            + "<>                                 at scbus0 target -1 lun ffffffff ()\n"
            + "<SEAGATE ST3146855LW 0003>         at scbus0 target 0 lun 0 (pass0,da0)\n"
            + "<SEAGATE ST3146855LW 0003>         at scbus0 target 1 lun 0 (da1,pass1)\n"
            + "scbus-1 on xpt0 bus 0:\n"
            + "<>                                 at scbus-1 target -1 lun ffffffff (xpt0)\n",
        DevlistFormat.format(DEVLIST, true, false, MODERN));
    assertEquals("scbus0 on emusim0 bus 0\nscbus-1 on xpt0 bus 0\n", DevlistFormat.format(DEVLIST, false, true, MODERN));
  }

  @Test
  void legacyVerboseDevlistHasDecimalLunsAndNoBusWildcard() {
    assertEquals(
        "scbus0 on emusim0 bus 0:\n"
            + "<SEAGATE ST3146855LW 0003>         at scbus0 target 0 lun 0 (pass0,da0)\n"
            + "<SEAGATE ST3146855LW 0003>         at scbus0 target 1 lun 0 (da1,pass1)\n"
            + "scbus-1 on xpt0 bus 0:\n"
            + "<>                                 at scbus-1 target -1 lun -1 (xpt0)\n",
        DevlistFormat.format(DEVLIST, true, false, LEGACY));
  }

  @Test
  void lunNumbersAreHexInTheModernFormatAndDecimalInTheLegacyOne() {
    var devlist = new ApiModel.Devlist(List.of(new ApiModel.Bus(1, "emusim", 1, 0, List.of(disk(1, 5, 10, List.of("da7")), disk(1, 5, 255, List.of("da8"))))));
    assertEquals(
        "<SEAGATE ST3146855LW 0003>         at scbus1 target 5 lun a (da7)\n"
            + "<SEAGATE ST3146855LW 0003>         at scbus1 target 5 lun ff (da8)\n",
        DevlistFormat.format(devlist, false, false, MODERN));
    assertEquals(
        "<SEAGATE ST3146855LW 0003>         at scbus1 target 5 lun 10 (da7)\n"
            + "<SEAGATE ST3146855LW 0003>         at scbus1 target 5 lun 255 (da8)\n",
        DevlistFormat.format(devlist, false, false, LEGACY));
    assertEquals("ffffffff", DevlistFormat.lun(-1, MODERN));
    assertEquals("4000000000000000", DevlistFormat.lun(1L << 62, MODERN));
  }

  @Test
  void periphlistCountsIndexFromOne() {
    var list =
        new ApiModel.PeriphList(
            "da0",
            "0:0:0",
            List.of(new ApiModel.PeriphEntry("pass", 0, 3, 1, "MORE"), new ApiModel.PeriphEntry("da", 0, 3, 2, "LAST")));
    assertEquals(
        "pass0:  generation: 3 index: 1 status: MORE\nda0:  generation: 3 index: 2 status: LAST\n",
        CamcontrolFormat.periphlist(list));
  }

  private static ApiModel.ReadCap rc(long last, long len) {
    return new ApiModel.ReadCap("da0", "0:0:0", last, len, false);
  }

  private static CamcontrolFormat.ReadcapFlags flags(String f) {
    return new CamcontrolFormat.ReadcapFlags(
        f.contains("b"), f.contains("h") || f.contains("H"), f.contains("H"), f.contains("N"), f.contains("q"), f.contains("s"));
  }

  @Test
  void readcapFormatsEveryFlagAsCamcontrol() {
    var r = rc(2097151, 512); // 1 GiB
    assertEquals("Last Block: 2097151, Block Length: 512 bytes\n", CamcontrolFormat.readcap(r, flags("")));
    assertEquals("Blocks: 2097152, Block Length: 512 bytes\n", CamcontrolFormat.readcap(r, flags("N")));
    assertEquals("2097151, 512\n", CamcontrolFormat.readcap(r, flags("q")));
    assertEquals("2097152\n", CamcontrolFormat.readcap(r, flags("Nqs")));
    assertEquals("Last Block: 2097151\n", CamcontrolFormat.readcap(r, flags("s")));
    assertEquals("Block Length: 512 bytes\n", CamcontrolFormat.readcap(r, flags("b")));
    assertEquals("512\n", CamcontrolFormat.readcap(r, flags("bq")));
    assertEquals("Device Size: 1.0 G, Block Length: 512 bytes\n", CamcontrolFormat.readcap(r, flags("h")));
    assertEquals("Device Size: 1.1 G\n", CamcontrolFormat.readcap(r, flags("Hs")));
  }

  @Test
  void readcapRejectsTheCombinationsCamcontrolRejects() {
    assertEquals("you can only specify one of -b or -N", flags("bN").conflict());
    assertEquals("you can only specify one of -b or -s", flags("bs").conflict());
    assertEquals("you can only specify one of -h/-H or -q", flags("hq").conflict());
    assertEquals("you can only specify one of -h/-H or -b", flags("Hb").conflict());
    assertNull(flags("Nqs").conflict());
  }

  @Test
  void humanizeKeepsThreeDigitsAndOneDecimalBelowTen() {
    assertEquals("512 B", CamcontrolFormat.humanize(512, false));
    assertEquals("999 B", CamcontrolFormat.humanize(999, false));
    assertEquals("1.0 K", CamcontrolFormat.humanize(1000, false));
    assertEquals("500 M", CamcontrolFormat.humanize(500L << 20, false));
    assertEquals("8.0 G", CamcontrolFormat.humanize(8L << 30, false));
    assertEquals("10 G", CamcontrolFormat.humanize(10L << 30, false));
    assertEquals("1.8 T", CamcontrolFormat.humanize(2_000_398_934_016L, false));
    assertEquals("2.0 T", CamcontrolFormat.humanize(2_000_398_934_016L, true));
    assertEquals("500 k", CamcontrolFormat.humanize(500_000, true));
  }

  @Test
  void inquiryPrintsAllThreePartsByDefault() {
    var inq =
        new ApiModel.Inquiry(
            "da0", "0:0:0", "CAMSTACK", "EMU-DISK", "0001", 0, 0, false, 6, "Fixed Direct Access SCSI-6 device ",
            "EMU000001", true, 300000, "sas", 0, 0, 0, true);
    assertEquals(
        "da0: <CAMSTACK EMU-DISK 0001> Fixed Direct Access SPC-4 SCSI device\n"
            + "da0: Serial Number EMU000001\n"
            + "da0: 300.000MB/s transfers, Command Queueing Enabled\n",
        CamcontrolFormat.inquiry(inq, false, false, false, MODERN));
    assertEquals("EMU000001\n", CamcontrolFormat.inquiry(inq, false, true, false, MODERN));
    assertEquals(
        "da0: <CAMSTACK EMU-DISK 0001> Fixed Direct Access SCSI-6 device \n",
        CamcontrolFormat.inquiry(inq, true, false, false, LEGACY));
  }

  @Test
  void modernInquiryNamesTheSpcLevelTheTypeAndTheQualifier() {
    var removableOffline =
        new ApiModel.Inquiry("pass3", "0:6:0", "V", "P", "R", 0x0d, 1, true, 5, "", "", false, 0, "sas", 0, 0, 0, false);
    assertEquals("Removable Enclosure Services SPC-3 SCSI device (offline)", CamcontrolFormat.description(removableOffline));
    var scsi2 = new ApiModel.Inquiry("pass0", "0:0:0", "V", "P", "R", 0, 0, false, 2, "", "", false, 0, "spi", 0, 0, 0, false);
    assertEquals("Fixed Direct Access SCSI-2 device", CamcontrolFormat.description(scsi2));
    var none = new ApiModel.Inquiry("pass0", "0:0:0", "V", "P", "R", 0, 0, false, 0, "", "", false, 0, "spi", 0, 0, 0, false);
    assertEquals("Fixed Direct Access SCSI device", CamcontrolFormat.description(none));
  }

  @Test
  void spiTransferRateShowsClockOffsetAndWidth() {
    var inq =
        new ApiModel.Inquiry(
            "pass0", "0:0:0", "V", "P", "R", 0, 0, false, 3, "", "", false, 320000, "spi", 63, 160000, 1, true);
    assertEquals(
        "pass0: 320.000MB/s transfers (160.000MHz, offset 63, 16bit), Command Queueing Enabled",
        CamcontrolFormat.xferRate(inq));
  }

  @Test
  void scanReportsOneLinePerBusOrLun() {
    var rep =
        new ApiModel.ScanReport(
            List.of(
                new ApiModel.ScanItem("bus", 0, -1, -1, true, 1),
                new ApiModel.ScanItem("bus", 1, -1, -1, false, 0x11),
                new ApiModel.ScanItem("lun", 0, 3, 0, true, 1)));
    assertEquals(
        "Re-scan of bus 0 was successful\nRe-scan of bus 1 returned error 0x11\nRe-scan of 0:3:0 was successful\n",
        CamcontrolFormat.scanReport(rep, true));
    assertEquals("Reset of bus 0 was successful\n", CamcontrolFormat.scanReport(new ApiModel.ScanReport(List.of(rep.items().get(0))), false));
  }

  @Test
  void turAndStartStopUseCamcontrolsWords() {
    var ok = new ApiModel.CommandResult("da0", "0:0:0", true, 1, 0, "");
    var bad = new ApiModel.CommandResult("da0", "0:0:0", false, 0xc, 2, "NOT READY asc:3a,0 (Medium not present)");
    assertEquals("Unit is ready\n", CamcontrolFormat.tur(ok, false));
    assertEquals("Unit is not ready\n", CamcontrolFormat.tur(bad, false));
    assertEquals("Unit started successfully\n", CamcontrolFormat.startStop(ok, true, false));
    assertEquals("Unit started successfully, Media loaded\n", CamcontrolFormat.startStop(ok, true, true));
    assertEquals("Unit stopped successfully, Media ejected\n", CamcontrolFormat.startStop(ok, false, true));
    assertEquals("Error received from stop unit command\n", CamcontrolFormat.startStop(bad, false, false));
  }

  @Test
  void hexdumpShowsOffsetsBytesAndAscii() {
    assertEquals(
        "00000200  41 42 00                                         |AB.|\n", CamcontrolFormat.hexdump(512, "414200"));
  }

  @Test
  void sizesTakeBinarySuffixes() {
    assertEquals(512L << 20, CtlCommand.size("512M"));
    assertEquals(2L << 30, CtlCommand.size("2G"));
    assertEquals(1L << 40, CtlCommand.size("1TiB"));
    assertEquals(4096, CtlCommand.size("4096"));
    org.junit.jupiter.api.Assertions.assertThrows(Cli.UsageException.class, () -> CtlCommand.size("-5"));
    org.junit.jupiter.api.Assertions.assertThrows(Cli.UsageException.class, () -> CtlCommand.size("1X"));
  }
}
