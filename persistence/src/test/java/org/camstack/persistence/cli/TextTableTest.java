package org.camstack.persistence.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The one text table: alignment, rule, null cells, rows printed once while following. */
class TextTableTest {

  private static String printed(java.util.function.Consumer<PrintStream> print) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      print.accept(out);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void columnsArePaddedRightAlignedWhereAskedAndTrailingBlanksStripped() {
    TextTable t = new TextTable("ID", "N", "NOTE").rightAligned(1);
    t.add("a", 1, "x").add("bbb", 100, "");
    assertEquals("ID     N  NOTE\na      1  x\nbbb  100\n", t.render());
  }

  @Test
  void benchLayoutHasARuleAndDashesForMissingFigures() {
    TextTable t = new TextTable("config", "IOPS", "p99").rightAlignedAfterFirst().withRule().nullAs("-");
    t.add("actor", "1,234", null);
    assertEquals("config   IOPS  p99\n------------------\nactor   1,234    -\n", t.render());
  }

  @Test
  void rowsArePrintedOnceWhenFollowing() {
    TextTable t = new TextTable("SEQ", "EVENT").rightAligned(0);
    t.add(1, "Created");
    String first = printed(t::print);
    t.add(2, "Plugged");
    String next = printed(t::printRows);
    assertEquals("SEQ  EVENT\n  1  Created\n", first);
    assertEquals("  2  Plugged\n", next);
    assertEquals("", printed(t::printRows));
  }
}
