package org.camstack.bench.report;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress on stderr. On a terminal a bar is redrawn in place ({@code \r}); otherwise one plain
 * line per finished step, so logs of CI runs stay readable. Steps are the unit of work the caller
 * announces ({@link #step}); the fraction within a step is optional ({@link #within}).
 *
 * <p>Called from the harness thread only (never from actors), so no per-I/O cost.
 */
public final class Progress {
  private static final int WIDTH = 30;

  private final PrintStream err;
  private final boolean tty;
  private final boolean quiet;
  private final int totalSteps;
  private final long startNanos = System.nanoTime();
  private int done;
  private String label = "";

  public Progress(PrintStream err, int totalSteps, boolean tty, boolean quiet) {
    this.err = err;
    this.totalSteps = Math.max(1, totalSteps);
    this.tty = tty;
    this.quiet = quiet;
  }

  /** A bar on stderr when stdout/stderr is a terminal, else plain lines. */
  public static Progress forConsole(int totalSteps, boolean quiet) {
    return new Progress(System.err, totalSteps, System.console() != null, quiet);
  }

  /** A progress that prints nothing (tests, nested runs). */
  public static Progress silent() {
    return new Progress(System.err, 1, false, true);
  }

  /** Announces the step now running. */
  public synchronized void step(String what) {
    label = what;
    draw(0.0);
  }

  /** Fraction (0..1) of the current step; redraws the bar on a terminal only. */
  public synchronized void within(double fraction) {
    if (tty) {
      draw(fraction);
    }
  }

  /** The current step finished. */
  public synchronized void stepDone() {
    done++;
    if (quiet) {
      return;
    }
    if (tty) {
      draw(0.0);
    } else {
      err.printf(Locale.ROOT, "[%d/%d %5.1fs] %s%n", done, totalSteps, elapsedSeconds(), label);
      err.flush();
    }
  }

  /** Clears the bar line (terminal) before the final table. */
  public synchronized void finish() {
    if (tty && !quiet) {
      err.print("\r" + " ".repeat(WIDTH + 80) + "\r");
      err.flush();
    }
  }

  private void draw(double fraction) {
    if (!tty || quiet) {
      return;
    }
    double f = Math.min(1.0, (done + Math.max(0, Math.min(1, fraction))) / totalSteps);
    int filled = (int) Math.round(f * WIDTH);
    String l = label.length() > 60 ? label.substring(0, 57) + "..." : label;
    err.printf(
        Locale.ROOT,
        "\r[%s%s] %3.0f%% %5.1fs %-60s",
        "#".repeat(filled),
        " ".repeat(WIDTH - filled),
        f * 100,
        elapsedSeconds(),
        l);
    err.flush();
  }

  private double elapsedSeconds() {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
