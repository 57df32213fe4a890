package org.camstack.stack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.util.ByteString;
import org.camstack.persistence.cli.CliRun;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.node.DevlistFormat;
import org.camstack.stack.testkit.TestStack;
import org.camstack.stack.testkit.TopologyBuilder;
import org.camstack.stack.xpt.Xpt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./camstack devlist}: camcontrol's format, the default topology, flags and errors. */
class DevlistCommandTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static CliRun run(String... args) {
    return CliRun.capture(Main::run, args);
  }

  private static List<String> lines(Ccb.DevMatchResult edt, boolean verbose, DevlistFormat.Style style) {
    return DevlistFormat.format(DevlistFormat.of(edt), verbose, false, style).lines().toList();
  }

  private static DeviceInfo info(CamPath p, String vendor, String product, String rev) {
    byte[] inq = new byte[36];
    inq[4] = 31;
    String s = String.format("%-8s%-16s%-4s", vendor, product, rev);
    System.arraycopy(s.getBytes(StandardCharsets.US_ASCII), 0, inq, 8, 28);
    return new DeviceInfo(p, ByteString.fromArrayUnsafe(inq), null, null, null, null);
  }

  @Test
  void formatIsCamcontrolsIdentityIn33ColumnsThenTwoSpaces() {
    CamPath a = CamPath.of(0, 0, 0);
    CamPath b = CamPath.of(0, 1, 0);
    CamPath gone = CamPath.of(0, 2, 0);
    Ccb.DevMatchResult edt =
        new Ccb.DevMatchResult(
            List.of(
                new Ccb.BusMatch(0, "emusim", 0, 0, List.of(
                    new Ccb.DeviceMatch(a, info(a, "SEAGATE", "ST3146855LW", "0003"), List.of("pass0", "da0"), false),
                    new Ccb.DeviceMatch(b, info(b, "CAMSTACK", "EMU-DISK", "0001"), List.of(), false),
                    new Ccb.DeviceMatch(gone, info(gone, "X", "Y", "Z"), List.of("pass2"), true))),
                new Ccb.BusMatch(-1, "xpt", 0, 0, List.of(
                    new Ccb.DeviceMatch(CamPath.XPT, new DeviceInfo(CamPath.XPT, ByteString.emptyByteString(), null, null, null, null), List.of("xpt0"), true)))));
    assertEquals(
        List.of(
            "<SEAGATE ST3146855LW 0003>         at scbus0 target 0 lun 0 (pass0,da0)",
            "<CAMSTACK EMU-DISK 0001>           at scbus0 target 1 lun 0 ()"),
        lines(edt, false, DevlistFormat.Style.MODERN));
    assertEquals(
        List.of(
            "scbus0 on emusim0 bus 0:",
            "<SEAGATE ST3146855LW 0003>         at scbus0 target 0 lun 0 (pass0,da0)",
            "<CAMSTACK EMU-DISK 0001>           at scbus0 target 1 lun 0 ()",
            "<X Y Z>                            at scbus0 target 2 lun 0 (pass2)",
            "scbus-1 on xpt0 bus 0:",
            "<>                                 at scbus-1 target -1 lun -1 (xpt0)"),
        lines(edt, true, DevlistFormat.Style.LEGACY));
    assertEquals(
        List.of(
            "scbus0 on emusim0 bus 0:",
            "<>                                 at scbus0 target -1 lun ffffffff ()",
            "<SEAGATE ST3146855LW 0003>         at scbus0 target 0 lun 0 (pass0,da0)",
            "<CAMSTACK EMU-DISK 0001>           at scbus0 target 1 lun 0 ()",
            "<X Y Z>                            at scbus0 target 2 lun 0 (pass2)",
            "scbus-1 on xpt0 bus 0:",
            "<>                                 at scbus-1 target -1 lun ffffffff (xpt0)"),
        lines(edt, true, DevlistFormat.Style.MODERN));
  }

  @Test
  void periphsArePrintedNewestFirstFromTheLiveEdt() throws Exception {
    try (TestStack s = TestStack.start(testKit, TopologyBuilder.create().bus().disk(0, 0).disk(1, 0).build())) {
      s.stack().awaitPeriphs(TestStack.TIMEOUT); // pass and da attached by the periph layer
      s.xpt().tell(new Xpt.AddPeriph(s.path(0, 0, 0), "tst", 0));
      s.xpt().tell(new Xpt.AddPeriph(s.path(0, 0, 0), "tst", 1));
      s.xpt().tell(new Xpt.AddPeriph(s.path(0, 1, 0), "tst", 3));
      s.xpt().tell(new Xpt.AddPeriph(s.path(0, 1, 0), "tst", 2));
      String bus = "scbus" + s.pathId(0);
      List<String> lines = lines(s.devMatch(), false, DevlistFormat.Style.MODERN);
      assertEquals(2, lines.size(), lines.toString());
      assertTrue(
          lines.get(0).startsWith("<CAMSTACK EMU-DISK 0001>           at " + bus + " target 0 lun 0 (tst1,tst0,")
              && periphSet(lines.get(0)).equals(java.util.Set.of("tst1", "tst0", "pass0", "sg0", "da0")),
          lines.get(0));
      assertTrue(
          lines.get(1).startsWith("<CAMSTACK EMU-DISK 0001>           at " + bus + " target 1 lun 0 (tst2,tst3,")
              && periphSet(lines.get(1)).equals(java.util.Set.of("tst2", "tst3", "pass1", "sg1", "da1")),
          lines.get(1));
    }
  }

  @Test
  void devlistOnTheDefaultTopologyPrintsEveryDeviceWithItsPeriphsAndExitsZero() {
    CliRun r = run("devlist");
    assertEquals(0, r.exit(), r.err());
    List<String> lines = r.out().lines().toList();
    List<String> where =
        List.of(
            "<CAMSTACK EMU-DISK 0001>           at scbus0 target 0 lun 0 ",
            "<CAMSTACK EMU-DISK 0001>           at scbus0 target 1 lun 0 ",
            "<CAMSTACK EMU-DISK 0001>           at scbus0 target 2 lun 0 ",
            "<CAMSTACK EMU-SES 0001>            at scbus0 target 6 lun 0 ",
            "<CAMSTACK EMU-DISK 0001>           at scbus1 target 0 lun 0 ",
            "<CAMSTACK EMU-DISK 0001>           at scbus1 target 3 lun 0 ",
            "<CAMSTACK EMU-DISK 0001>           at scbus1 target 5 lun 0 ",
            "<CAMSTACK EMU-DISK 0001>           at scbus1 target 5 lun 3 ",
            "<CAMSTACK EMU-DISK 0001>           at scbus1 target 5 lun 7 ",
            "<CAMSTACK EMU-LIBRARY 0001>        at scbus2 target 0 lun 0 ",
            "<CAMSTACK EMU-LTO6 0001>           at scbus2 target 1 lun 0 ",
            "<CAMSTACK EMU-LTO6 0001>           at scbus2 target 2 lun 0 ",
            "<CAMSTACK EMU-CDROM 0001>          at scbus3 target 0 lun 0 ",
            "<CAMSTACK EMU-PROCESSOR 0001>      at scbus3 target 1 lun 0 ",
            "<CAMSTACK EMU-SAFTE 0001>          at scbus3 target 2 lun 0 ",
            "<CAMSTACK EMU-DISK 0001>           at scbus3 target 3 lun 0 ",
            "<CAMSTACK EMU-DISK 0001>           at scbus3 target 4 lun 0 ",
            "<CAMSTACK EMU-EXPANDER 0001>       at scbus3 target 5 lun 0 ");
    assertEquals(where.size(), lines.size(), r.out());
    java.util.Set<String> names = new java.util.TreeSet<>();
    for (int i = 0; i < where.size(); i++) {
      String line = lines.get(i);
      assertTrue(line.startsWith(where.get(i)), line);
      String w = where.get(i);
      List<String> kinds =
          w.contains("EMU-SES") ? List.of("pass", "sg", "ses")
              : w.contains("EMU-LIBRARY") ? List.of("pass", "sg", "ch")
              : w.contains("EMU-LTO6") ? List.of("pass", "sg", "sa")
              : w.contains("EMU-CDROM") ? List.of("pass", "sg", "cd")
              : w.contains("EMU-PROCESSOR") ? List.of("pass", "sg", "pt")
              : w.contains("EMU-SAFTE") ? List.of("pass", "sg", "pt", "ses")
              : w.contains("EMU-EXPANDER") ? List.of("pass", "sg")
              : List.of("pass", "sg", "da");
      java.util.Set<String> got = periphSet(line);
      assertEquals(new java.util.TreeSet<>(kinds), new java.util.TreeSet<>(got.stream().map(n -> n.replaceAll("\\d+$", "")).toList()), line);
      names.addAll(got);
    }
    // camcontrol's numbering: every unit once, the first free one (discovery order decides who)
    java.util.Set<String> expected = new java.util.TreeSet<>();
    for (int u = 0; u < 18; u++) {
      expected.add("pass" + u);
      expected.add("sg" + u);
    }
    for (int u = 0; u < 10; u++) {
      expected.add("da" + u);
    }
    expected.addAll(List.of("ses0", "ses1", "cd0", "pt0", "pt1", "ch0", "sa0", "sa1"));
    assertEquals(expected, names);
  }

  @Test
  void verboseAddsBusLinesAndTheXptDevice(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("topo.conf");
    Files.writeString(file, "buses = [ { name = \"emusim\", max-lun = 3, targets = [ { id = 2, luns = [ { lun = 0, size = 1MiB, product = \"MY-DISK\" } ] } ] } ]\n");
    CliRun r = run("devlist", "--topology", file.toString(), "-v");
    assertEquals(0, r.exit(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(5, lines.size(), r.out());
    assertEquals("scbus0 on emusim0 bus 0:", lines.get(0));
    assertEquals("<>                                 at scbus0 target -1 lun ffffffff ()", lines.get(1));
    // periphs newest first; which of pass0, sg0 and da0 attached last races, as in camcontrol's output
    assertTrue(
        lines.get(2).startsWith("<CAMSTACK MY-DISK 0001>            at scbus0 target 2 lun 0 (")
            && periphSet(lines.get(2)).equals(java.util.Set.of("pass0", "sg0", "da0")),
        lines.get(2));
    assertEquals("scbus-1 on xpt0 bus 0:", lines.get(3));
    assertEquals("<>                                 at scbus-1 target -1 lun ffffffff (xpt0)", lines.get(4));

    CliRun legacy = run("devlist", "--topology", file.toString(), "-v", "--legacy-format");
    assertEquals(0, legacy.exit(), legacy.err());
    assertEquals("<>                                 at scbus-1 target -1 lun -1 (xpt0)", legacy.out().lines().reduce((a, b) -> b).orElseThrow());
    assertEquals(4, legacy.out().lines().count(), legacy.out());
  }

  @Test
  void badFlagsAndBadTopologiesGiveOneLineAndExitTwo(@TempDir Path dir) throws IOException {
    CliRun bad = run("devlist", "--verbose");
    assertEquals(2, bad.exit());
    assertEquals(1, bad.err().lines().count());
    assertTrue(bad.err().contains("'--verbose'") && bad.err().contains("--help"), bad.err());
    assertEquals("", bad.out());

    CliRun missing = run("devlist", "--topology", dir.resolve("nope.conf").toString());
    assertEquals(2, missing.exit());
    assertEquals(1, missing.err().lines().count());
    assertTrue(missing.err().contains("not found"), missing.err());

    Path broken = dir.resolve("broken.conf");
    Files.writeString(broken, "buses = [ { initiator-id = 0, targets = [ { id = 0 } ] } ]\n");
    CliRun r = run("devlist", "--topology=" + broken);
    assertEquals(2, r.exit());
    assertEquals(1, r.err().lines().count(), r.err());

    CliRun noArg = run("devlist", "--topology");
    assertEquals(2, noArg.exit());
  }

  /** The periph names in the parentheses at the end of a devlist line. */
  private static java.util.Set<String> periphSet(String line) {
    String p = line.substring(line.lastIndexOf('(') + 1, line.length() - 1);
    java.util.Set<String> out = new java.util.HashSet<>(List.of(p.split(",")));
    if (out.size() != p.split(",").length) {
      throw new AssertionError("a periph listed twice: " + line);
    }
    return out;
  }
}
