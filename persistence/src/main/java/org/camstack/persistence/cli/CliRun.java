package org.camstack.persistence.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * One in-process run of a camstack command line with its output captured: what a script (or a
 * test) sees from {@code ./camstack ...} without starting a JVM.
 *
 * @param exit the exit code
 * @param out everything printed on stdout
 * @param err everything printed on stderr
 */
public record CliRun(int exit, String out, String err) {

  /** A command's entry point: {@code run(args, out, err)} returning the exit code. */
  @FunctionalInterface
  public interface Entry {
    int run(String[] args, PrintStream out, PrintStream err);
  }

  /** Runs {@code entry} on {@code args} with both streams captured (UTF-8). */
  public static CliRun capture(Entry entry, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      exit = entry.run(args, o, e);
    }
    return new CliRun(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** stdout and stderr together (for assertion messages). */
  public String both() {
    return out + err;
  }
}
