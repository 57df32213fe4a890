package org.camstack.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.camstack.bench.harness.Units;
import org.camstack.bench.report.Column;
import org.camstack.bench.report.Report;
import org.camstack.bench.report.SweepChart;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

class ReportTest {

  @Test
  void tableColumnsAreAlignedAndNumbersFormatted() {
    Report r = new Report("io");
    r.add("actor", Map.of("iops", 1234567.0, "p99", 12.345));
    r.add("direct-1t", Map.of("iops", 2000000.0, "p99", 0.8));
    r.columns(List.of(Column.count("iops", "IOPS"), Column.dec1("p99", "p99 us")));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    r.printTable(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");

    assertTrue(lines[2].startsWith("actor "), lines[2]);
    assertTrue(lines[2].contains("1,234,567"), lines[2]);
    assertTrue(lines[2].endsWith("12.3"), lines[2]);
    assertEquals(lines[2].length(), lines[3].length(), "right-aligned columns end together");
    assertEquals(lines[0].length(), lines[2].length());
  }

  @Test
  void sizesDurationsAndListsParse() {
    assertEquals(4096, Units.bytes("4k"));
    assertEquals(64L << 20, Units.bytes("64MiB"));
    assertEquals(1L << 30, Units.bytes("1g"));
    assertEquals(500_000_000L, Units.nanos("500ms"));
    assertEquals(2_000_000_000L, Units.nanos("2"));
    assertEquals(90_000_000_000L, Units.nanos("1.5m"));
    assertEquals(List.of(1, 2, 4, 8, 16, 32, 64), toList(Units.intList("1-64")));
    assertEquals(List.of(1, 8, 256), toList(Units.intList("1,8,256")));
    assertThrows(IllegalArgumentException.class, () -> Units.bytes("lots"));
    assertThrows(IllegalArgumentException.class, () -> Units.nanos("-1s"));
  }

  @Test
  void sweepChartIsWellFormedSvgWithBothPanelsAndLegend() throws Exception {
    List<SweepChart.Point> pts = new ArrayList<>();
    for (String s : List.of("actor", "direct-1t")) {
      for (int luns : new int[] {1, 8}) {
        for (int qd : new int[] {1, 32}) {
          pts.add(new SweepChart.Point(s, luns, qd, 1000.0 * luns * qd, 2.5 * qd));
        }
      }
    }
    String svg = SweepChart.render("t & t", "sub", pts);
    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));

    assertEquals("svg", doc.getDocumentElement().getTagName());
    assertEquals(8, doc.getElementsByTagName("path").getLength() - countMarkerPaths(svg), "4 lines per panel");
    assertTrue(svg.contains(">IOPS (completed I/Os per second)<"));
    assertTrue(svg.contains(">direct-1t<"));
    assertTrue(svg.contains("t &amp; t"));
  }

  private static long countMarkerPaths(String svg) {
    return svg.lines().filter(l -> l.startsWith("<path d=\"M") && l.contains("Z\"")).count();
  }

  private static List<Integer> toList(int[] a) {
    List<Integer> l = new ArrayList<>();
    for (int v : a) {
      l.add(v);
    }
    return l;
  }
}
