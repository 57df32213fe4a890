package org.camstack.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The sweep chart, hand-written SVG: two panels side by side, IOPS vs queue depth (linear y) and
 * p99 latency vs queue depth (log y), x in log2 steps of QD. One colour per LUN count, one dash
 * style per stack (actor solid, baselines dashed/dotted), a legend for both.
 */
public final class SweepChart {
  private SweepChart() {}

  /**
   * One measured point.
   *
   * @param stack {@code actor}, {@code direct-1t}, {@code kernel-lock}
   * @param luns LUN count
   * @param qd queue depth per LUN
   * @param iops completed I/Os per second
   * @param p99Micros 99th percentile latency in microseconds
   */
  public record Point(String stack, int luns, int qd, double iops, double p99Micros) {}

  private static final String[] COLOURS = {
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"
  };
  private static final String[] DASHES = {"", "7,4", "2,3", "10,3,2,3"};

  private static final int PANEL_W = 460;
  private static final int PANEL_H = 320;
  private static final int MARGIN_L = 78;
  private static final int MARGIN_T = 64;
  private static final int GAP = 110;
  private static final int LEGEND_H = 86;

  public static void write(Path file, String title, String subtitle, List<Point> points) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, render(title, subtitle, points), StandardCharsets.UTF_8);
  }

  public static String render(String title, String subtitle, List<Point> points) {
    List<String> stacks = new ArrayList<>();
    TreeSet<Integer> lunSet = new TreeSet<>();
    TreeSet<Integer> qdSet = new TreeSet<>();
    for (Point p : points) {
      if (!stacks.contains(p.stack())) {
        stacks.add(p.stack());
      }
      lunSet.add(p.luns());
      qdSet.add(p.qd());
    }
    List<Integer> luns = new ArrayList<>(lunSet);
    int width = MARGIN_L + PANEL_W + GAP + PANEL_W + 40;
    int height = MARGIN_T + PANEL_H + 60 + LEGEND_H;
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            + "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">%n",
        width, height, width, height));
    s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
    s.append(String.format(Locale.ROOT,
        "<text x=\"%d\" y=\"24\" font-size=\"17\" font-weight=\"bold\" text-anchor=\"middle\">%s</text>%n",
        width / 2, esc(title)));
    s.append(String.format(Locale.ROOT,
        "<text x=\"%d\" y=\"43\" font-size=\"12\" fill=\"#444\" text-anchor=\"middle\">%s</text>%n",
        width / 2, esc(subtitle)));

    double qdMin = qdSet.isEmpty() ? 1 : qdSet.first();
    double qdMax = qdSet.isEmpty() ? 2 : Math.max(qdSet.last(), qdMin * 2);
    double iopsMax = points.stream().mapToDouble(Point::iops).filter(Double::isFinite).max().orElse(1);
    double latMin = points.stream().mapToDouble(Point::p99Micros).filter(d -> d > 0 && Double.isFinite(d)).min().orElse(1);
    double latMax = points.stream().mapToDouble(Point::p99Micros).filter(Double::isFinite).max().orElse(10);

    int x0 = MARGIN_L;
    int x1 = MARGIN_L + PANEL_W + GAP;
    Axis xAxis = Axis.log2(qdMin, qdMax, new ArrayList<>(qdSet));
    Axis iopsAxis = Axis.linear(0, niceCeil(iopsMax * 1.05));
    Axis latAxis = Axis.log10(Math.pow(10, Math.floor(Math.log10(latMin))), Math.pow(10, Math.ceil(Math.log10(Math.max(latMax, latMin * 10)))));

    panel(s, x0, "IOPS (completed I/Os per second)", "queue depth per LUN", xAxis, iopsAxis, true);
    panel(s, x1, "p99 latency (µs, log scale)", "queue depth per LUN", xAxis, latAxis, false);

    for (int si = 0; si < stacks.size(); si++) {
      for (int li = 0; li < luns.size(); li++) {
        TreeMap<Integer, Point> line = new TreeMap<>();
        for (Point p : points) {
          if (p.stack().equals(stacks.get(si)) && p.luns() == luns.get(li)) {
            line.put(p.qd(), p);
          }
        }
        if (line.isEmpty()) {
          continue;
        }
        String colour = COLOURS[li % COLOURS.length];
        String dash = DASHES[si % DASHES.length];
        series(s, x0, xAxis, iopsAxis, line, true, colour, dash, si);
        series(s, x1, xAxis, latAxis, line, false, colour, dash, si);
      }
    }
    legend(s, MARGIN_T + PANEL_H + 58, width, stacks, luns);
    s.append("</svg>\n");
    return s.toString();
  }

  private static void panel(StringBuilder s, int x, String yTitle, String xTitle, Axis xa, Axis ya, boolean grouped) {
    int y = MARGIN_T;
    s.append(String.format(Locale.ROOT,
        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" stroke=\"#888\"/>%n",
        x, y, PANEL_W, PANEL_H));
    for (Map.Entry<Double, String> t : ya.ticks().entrySet()) {
      double py = y + PANEL_H - ya.frac(t.getKey()) * PANEL_H;
      s.append(String.format(Locale.ROOT,
          "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n", x, py, x + PANEL_W, py));
      s.append(String.format(Locale.ROOT,
          "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" dominant-baseline=\"middle\">%s</text>%n",
          x - 6, py, t.getValue()));
    }
    for (Map.Entry<Double, String> t : xa.ticks().entrySet()) {
      double px = x + xa.frac(t.getKey()) * PANEL_W;
      s.append(String.format(Locale.ROOT,
          "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>%n", px, y, px, y + PANEL_H));
      s.append(String.format(Locale.ROOT,
          "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", px, y + PANEL_H + 16, t.getValue()));
    }
    s.append(String.format(Locale.ROOT,
        "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"13\">%s</text>%n",
        x + PANEL_W / 2, y + PANEL_H + 36, esc(xTitle)));
    s.append(String.format(Locale.ROOT,
        "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 %d %d)\">%s</text>%n",
        x - 62, y + PANEL_H / 2, x - 62, y + PANEL_H / 2, esc(yTitle)));
  }

  private static void series(StringBuilder s, int x, Axis xa, Axis ya, TreeMap<Integer, Point> line,
      boolean iops, String colour, String dash, int marker) {
    StringBuilder d = new StringBuilder();
    List<double[]> pts = new ArrayList<>();
    for (Point p : line.values()) {
      double v = iops ? p.iops() : p.p99Micros();
      if (!Double.isFinite(v) || (!iops && v <= 0)) {
        continue;
      }
      double px = x + xa.frac(p.qd()) * PANEL_W;
      double py = MARGIN_T + PANEL_H - Math.max(0, Math.min(1, ya.frac(v))) * PANEL_H;
      d.append(d.length() == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", px, py));
      pts.add(new double[] {px, py});
    }
    if (pts.isEmpty()) {
      return;
    }
    s.append(String.format(Locale.ROOT,
        "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s/>%n",
        d, colour, dash.isEmpty() ? "" : " stroke-dasharray=\"" + dash + "\""));
    for (double[] p : pts) {
      s.append(marker(p[0], p[1], colour, marker));
    }
  }

  private static String marker(double x, double y, String colour, int kind) {
    switch (kind % 3) {
      case 0:
        return String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>%n", x, y, colour);
      case 1:
        return String.format(Locale.ROOT,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"7\" height=\"7\" fill=\"white\" stroke=\"%s\" stroke-width=\"1.5\"/>%n",
            x - 3.5, y - 3.5, colour);
      default:
        return String.format(Locale.ROOT,
            "<path d=\"M%.1f %.1f L%.1f %.1f L%.1f %.1f Z\" fill=\"white\" stroke=\"%s\" stroke-width=\"1.5\"/>%n",
            x, y - 4.5, x - 4.5, y + 3.5, x + 4.5, y + 3.5, colour);
    }
  }

  private static void legend(StringBuilder s, int y, int width, List<String> stacks, List<Integer> luns) {
    int x = MARGIN_L;
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">stack</text>%n", x, y + 4));
    int cx = x + 56;
    for (int i = 0; i < stacks.size(); i++) {
      String dash = DASHES[i % DASHES.length];
      s.append(String.format(Locale.ROOT,
          "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\" stroke-width=\"2\"%s/>%n",
          cx, y, cx + 36, y, dash.isEmpty() ? "" : " stroke-dasharray=\"" + dash + "\""));
      s.append(marker(cx + 18, y, "#333", i));
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", cx + 44, y + 4, esc(stacks.get(i))));
      cx += 60 + 8 * stacks.get(i).length() + 20;
    }
    int ly = y + 28;
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">LUNs</text>%n", x, ly + 4));
    cx = x + 56;
    for (int i = 0; i < luns.size(); i++) {
      String colour = COLOURS[i % COLOURS.length];
      s.append(String.format(Locale.ROOT,
          "<rect x=\"%d\" y=\"%d\" width=\"18\" height=\"10\" fill=\"%s\"/>%n", cx, ly - 5, colour));
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%d</text>%n", cx + 24, ly + 4, luns.get(i)));
      cx += 70;
      if (cx > width - 80) {
        cx = x + 56;
        ly += 20;
      }
    }
  }

  static double niceCeil(double v) {
    if (v <= 0) {
      return 1;
    }
    double mag = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) {
      if (m * mag >= v) {
        return m * mag;
      }
    }
    return 10 * mag;
  }

  static String si(double v) {
    if (v >= 1e6) {
      return trim(v / 1e6) + "M";
    }
    if (v >= 1e3) {
      return trim(v / 1e3) + "k";
    }
    return trim(v);
  }

  private static String trim(double v) {
    String t = String.format(Locale.ROOT, "%.2f", v);
    t = t.replaceAll("0+$", "");
    return t.endsWith(".") ? t.substring(0, t.length() - 1) : t;
  }

  private static String esc(String t) {
    return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  /** Maps data values to 0..1 and names the ticks. */
  private interface Axis {
    double frac(double v);

    Map<Double, String> ticks();

    static Axis linear(double lo, double hi) {
      return new Axis() {
        public double frac(double v) {
          return (v - lo) / (hi - lo);
        }

        public Map<Double, String> ticks() {
          Map<Double, String> t = new TreeMap<>();
          double step = niceCeil((hi - lo) / 6);
          for (double v = lo; v <= hi + step / 1000; v += step) {
            t.put(v, si(v));
          }
          return t;
        }
      };
    }

    static Axis log10(double lo, double hi) {
      return new Axis() {
        public double frac(double v) {
          return (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo));
        }

        public Map<Double, String> ticks() {
          Map<Double, String> t = new TreeMap<>();
          boolean fewDecades = Math.log10(hi / lo) <= 3.01;
          for (double d = lo; d <= hi * 1.0001; d *= 10) {
            t.put(d, si(d));
            if (fewDecades && d * 2 < hi) {
              t.put(d * 2, si(d * 2));
              t.put(d * 5, si(d * 5));
            }
          }
          return t;
        }
      };
    }

    static Axis log2(double lo, double hi, List<Integer> at) {
      return new Axis() {
        public double frac(double v) {
          double span = Math.log(hi / lo);
          return span == 0 ? 0.5 : 0.04 + 0.92 * Math.log(v / lo) / span;
        }

        public Map<Double, String> ticks() {
          Map<Double, String> t = new TreeMap<>();
          for (int q : at) {
            t.put((double) q, Integer.toString(q));
          }
          return t;
        }
      };
    }
  }
}
