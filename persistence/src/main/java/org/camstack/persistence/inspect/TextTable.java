package org.camstack.persistence.inspect;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * An aligned text table: columns padded to their widest cell, the last column unpadded. Numeric
 * columns are right-aligned.
 */
final class TextTable {
  private final String[] headers;
  private final boolean[] right;
  private final List<String[]> rows = new ArrayList<>();
  private final int[] widths;

  TextTable(String... headers) {
    this.headers = headers;
    this.right = new boolean[headers.length];
    this.widths = new int[headers.length];
    for (int i = 0; i < headers.length; i++) {
      widths[i] = headers[i].length();
    }
  }

  /** Right-aligns the given columns. */
  TextTable rightAligned(int... columns) {
    for (int c : columns) {
      right[c] = true;
    }
    return this;
  }

  TextTable add(Object... cells) {
    if (cells.length != headers.length) {
      throw new IllegalArgumentException("expected " + headers.length + " cells");
    }
    String[] row = new String[cells.length];
    for (int i = 0; i < cells.length; i++) {
      row[i] = cells[i] == null ? "" : cells[i].toString();
      widths[i] = Math.max(widths[i], row[i].length());
    }
    rows.add(row);
    return this;
  }

  int size() {
    return rows.size();
  }

  void printHeader(PrintStream out) {
    out.println(format(headers));
  }

  /** Prints the header and every row. */
  void print(PrintStream out) {
    printHeader(out);
    printRows(out);
  }

  /** Prints the rows added since the last call, then forgets them (widths only grow). */
  void printRows(PrintStream out) {
    for (String[] row : rows) {
      out.println(format(row));
    }
    rows.clear();
  }

  private String format(String[] cells) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      boolean last = i == cells.length - 1;
      if (i > 0) {
        sb.append("  ");
      }
      String c = cells[i];
      int pad = widths[i] - c.length();
      if (right[i]) {
        sb.append(" ".repeat(Math.max(0, pad))).append(c);
      } else {
        sb.append(c);
        if (!last) {
          sb.append(" ".repeat(Math.max(0, pad)));
        }
      }
    }
    return sb.toString().stripTrailing();
  }
}
