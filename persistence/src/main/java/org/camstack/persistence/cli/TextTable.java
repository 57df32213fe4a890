package org.camstack.persistence.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The one aligned text table of every camstack CLI (journal inspector, bench reports, ...):
 * columns padded to their widest cell, chosen columns right-aligned, trailing blanks stripped,
 * optionally a rule of dashes under the header. Rows can be printed as they come ({@link
 * #printRows}, for {@code journal tail -f}); widths only grow.
 */
public final class TextTable {
  private final String[] headers;
  private final boolean[] right;
  private final List<String[]> rows = new ArrayList<>();
  private final int[] widths;
  private boolean rule;
  private String nullCell = "";

  public TextTable(String... headers) {
    this.headers = headers.clone();
    this.right = new boolean[headers.length];
    this.widths = new int[headers.length];
    for (int i = 0; i < headers.length; i++) {
      widths[i] = headers[i].length();
    }
  }

  /** Right-aligns the given columns (0-based). */
  public TextTable rightAligned(int... columns) {
    for (int c : columns) {
      right[c] = true;
    }
    return this;
  }

  /** Right-aligns every column but the first (the layout of the bench reports). */
  public TextTable rightAlignedAfterFirst() {
    for (int c = 1; c < right.length; c++) {
      right[c] = true;
    }
    return this;
  }

  /** A line of dashes as wide as the table under the header. */
  public TextTable withRule() {
    this.rule = true;
    return this;
  }

  /** What a null cell shows (default: nothing). */
  public TextTable nullAs(String text) {
    this.nullCell = text;
    return this;
  }

  /** Adds one row; {@code cells} must have one value per column ({@code toString()} is shown). */
  public TextTable add(Object... cells) {
    if (cells.length != headers.length) {
      throw new IllegalArgumentException("expected " + headers.length + " cells, got " + cells.length);
    }
    String[] row = new String[cells.length];
    for (int i = 0; i < cells.length; i++) {
      row[i] = cells[i] == null ? nullCell : cells[i].toString();
      widths[i] = Math.max(widths[i], row[i].length());
    }
    rows.add(row);
    return this;
  }

  public int size() {
    return rows.size();
  }

  /** Prints the header (and the rule, if asked for). */
  public void printHeader(PrintStream out) {
    out.print(headerText());
  }

  /** Prints the header and every row, then forgets the rows (as {@link #printRows}). */
  public void print(PrintStream out) {
    out.print(render());
    rows.clear();
  }

  /** The header and every row as text, each line ending in a newline; the rows stay. */
  public String render() {
    StringBuilder sb = new StringBuilder(headerText());
    for (String[] row : rows) {
      sb.append(format(row)).append('\n');
    }
    return sb.toString();
  }

  /** Prints the rows added since the last call, then forgets them (widths only grow). */
  public void printRows(PrintStream out) {
    for (String[] row : rows) {
      out.println(format(row));
    }
    rows.clear();
  }

  private String headerText() {
    String h = format(headers) + "\n";
    if (rule) {
      int total = 0;
      for (int i = 0; i < widths.length; i++) {
        total += widths[i] + (i > 0 ? 2 : 0);
      }
      h += "-".repeat(total) + "\n";
    }
    return h;
  }

  private String format(String[] cells) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      if (i > 0) {
        sb.append("  ");
      }
      String c = cells[i];
      int pad = Math.max(0, widths[i] - c.length());
      if (right[i]) {
        sb.append(" ".repeat(pad)).append(c);
      } else {
        sb.append(c).append(" ".repeat(pad));
      }
    }
    return sb.toString().stripTrailing();
  }
}
