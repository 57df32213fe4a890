package org.camstack.bench.report;

import java.util.Locale;

/**
 * One column of the text table: which figure, its header and how to print it. The JSON report
 * keeps the raw value; only the table is formatted.
 */
public record Column(String key, String header, Kind kind) {

  /** How a figure is printed. */
  public enum Kind {
    /** As-is ({@code toString}, numbers without a fraction when integral). */
    PLAIN,
    /** Grouped integer: {@code 1,234,567}. */
    COUNT,
    /** One decimal: {@code 12.3}. */
    DECIMAL1,
    /** Two decimals: {@code 0.42}. */
    DECIMAL2,
    /** A percentage from a 0..1 fraction: {@code 57%}. */
    PERCENT,
    /** A ratio: {@code 0.42x}. */
    RATIO
  }

  public static Column of(String key, String header) {
    return new Column(key, header, Kind.PLAIN);
  }

  public static Column count(String key, String header) {
    return new Column(key, header, Kind.COUNT);
  }

  public static Column dec1(String key, String header) {
    return new Column(key, header, Kind.DECIMAL1);
  }

  public static Column dec2(String key, String header) {
    return new Column(key, header, Kind.DECIMAL2);
  }

  public static Column percent(String key, String header) {
    return new Column(key, header, Kind.PERCENT);
  }

  public static Column ratio(String key, String header) {
    return new Column(key, header, Kind.RATIO);
  }

  public String format(Object value) {
    if (value == null) {
      return "-";
    }
    if (!(value instanceof Number n)) {
      return value.toString();
    }
    double d = n.doubleValue();
    if (Double.isNaN(d)) {
      return "-";
    }
    switch (kind) {
      case COUNT:
        return String.format(Locale.ROOT, "%,d", Math.round(d));
      case DECIMAL1:
        return String.format(Locale.ROOT, "%.1f", d);
      case DECIMAL2:
        return String.format(Locale.ROOT, "%.2f", d);
      case PERCENT:
        return String.format(Locale.ROOT, "%.0f%%", d * 100);
      case RATIO:
        return String.format(Locale.ROOT, "%.2fx", d);
      default:
        return formatAny(value);
    }
  }

  /** Integral numbers without a fraction, others with up to three significant decimals. */
  public static String formatAny(Object value) {
    if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        return String.format(Locale.ROOT, "%,d", (long) d);
      }
      return String.format(Locale.ROOT, "%.3f", d);
    }
    if (value instanceof Long || value instanceof Integer) {
      return String.format(Locale.ROOT, "%,d", ((Number) value).longValue());
    }
    return String.valueOf(value);
  }
}
