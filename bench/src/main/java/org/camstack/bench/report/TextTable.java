package org.camstack.bench.report;

import java.util.List;

/** Renders rows of cells as an aligned text table: first column left-aligned, the rest right. */
public final class TextTable {
  private TextTable() {}

  /**
   * @param cells the header row first, then the data rows; all rows have the same length
   * @return the table, one line per row plus a rule under the header, each line ending in a newline
   */
  public static String render(List<String[]> cells) {
    if (cells.isEmpty()) {
      return "";
    }
    int n = cells.get(0).length;
    int[] width = new int[n];
    for (String[] row : cells) {
      for (int i = 0; i < n; i++) {
        width[i] = Math.max(width[i], row[i] == null ? 1 : row[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (int r = 0; r < cells.size(); r++) {
      String[] row = cells.get(r);
      for (int i = 0; i < n; i++) {
        String c = row[i] == null ? "-" : row[i];
        if (i > 0) {
          sb.append("  ");
        }
        if (i == 0) {
          sb.append(c).append(" ".repeat(width[i] - c.length()));
        } else {
          sb.append(" ".repeat(width[i] - c.length())).append(c);
        }
      }
      stripTrailing(sb);
      sb.append('\n');
      if (r == 0) {
        int total = 0;
        for (int i = 0; i < n; i++) {
          total += width[i] + (i > 0 ? 2 : 0);
        }
        sb.append("-".repeat(total)).append('\n');
      }
    }
    return sb.toString();
  }

  private static void stripTrailing(StringBuilder sb) {
    int end = sb.length();
    while (end > 0 && sb.charAt(end - 1) == ' ') {
      end--;
    }
    sb.setLength(end);
  }
}
