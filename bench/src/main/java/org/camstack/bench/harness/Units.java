package org.camstack.bench.harness;

import java.util.Locale;

/** Parses the sizes and durations of the command line: {@code 4k}, {@code 64m}, {@code 5s}, {@code 500ms}. */
public final class Units {
  private Units() {}

  /**
   * Bytes: a number with an optional {@code k}, {@code m}, {@code g} or {@code t} suffix (binary
   * multiples, an optional trailing {@code b} / {@code ib} ignored).
   *
   * @throws IllegalArgumentException with a one-line message
   */
  public static long bytes(String text) {
    String s = text.trim().toLowerCase(Locale.ROOT);
    if (s.endsWith("ib")) {
      s = s.substring(0, s.length() - 2);
    } else if (s.endsWith("b")) {
      s = s.substring(0, s.length() - 1);
    }
    long mult = 1;
    if (!s.isEmpty()) {
      switch (s.charAt(s.length() - 1)) {
        case 'k':
          mult = 1L << 10;
          break;
        case 'm':
          mult = 1L << 20;
          break;
        case 'g':
          mult = 1L << 30;
          break;
        case 't':
          mult = 1L << 40;
          break;
        default:
          mult = 1;
      }
      if (mult != 1) {
        s = s.substring(0, s.length() - 1);
      }
    }
    try {
      long v = Long.parseLong(s);
      if (v < 0) {
        throw new NumberFormatException();
      }
      return Math.multiplyExact(v, mult);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("not a size: '" + text + "' (expected e.g. 4k, 64m, 1g)");
    }
  }

  /**
   * Nanoseconds from {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1.5s} or a bare number of
   * seconds.
   *
   * @throws IllegalArgumentException with a one-line message
   */
  public static long nanos(String text) {
    String s = text.trim().toLowerCase(Locale.ROOT);
    double mult;
    if (s.endsWith("ms")) {
      mult = 1e6;
      s = s.substring(0, s.length() - 2);
    } else if (s.endsWith("us")) {
      mult = 1e3;
      s = s.substring(0, s.length() - 2);
    } else if (s.endsWith("s")) {
      mult = 1e9;
      s = s.substring(0, s.length() - 1);
    } else if (s.endsWith("m")) {
      mult = 60e9;
      s = s.substring(0, s.length() - 1);
    } else {
      mult = 1e9;
    }
    try {
      double v = Double.parseDouble(s);
      if (v < 0 || Double.isNaN(v) || Double.isInfinite(v)) {
        throw new NumberFormatException();
      }
      return Math.round(v * mult);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a duration: '" + text + "' (expected e.g. 500ms, 5s, 2m)");
    }
  }

  /** A list of ints: {@code 1,8,64} or a doubling range {@code 1-64}. */
  public static int[] intList(String text) {
    String s = text.trim();
    try {
      if (s.matches("\\d+-\\d+")) {
        int lo = Integer.parseInt(s.substring(0, s.indexOf('-')));
        int hi = Integer.parseInt(s.substring(s.indexOf('-') + 1));
        if (lo < 1 || hi < lo) {
          throw new NumberFormatException();
        }
        java.util.List<Integer> l = new java.util.ArrayList<>();
        for (long v = lo; v <= hi; v *= 2) {
          l.add((int) v);
        }
        if (l.get(l.size() - 1) != hi) {
          l.add(hi);
        }
        return l.stream().mapToInt(Integer::intValue).toArray();
      }
      String[] parts = s.split(",");
      int[] out = new int[parts.length];
      for (int i = 0; i < parts.length; i++) {
        out[i] = Integer.parseInt(parts[i].trim());
        if (out[i] < 1) {
          throw new NumberFormatException();
        }
      }
      return out;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a list: '" + text + "' (expected e.g. 1,8,64 or 1-64)");
    }
  }
}
