package org.camstack.stack.cli;

import java.io.PrintStream;
import java.util.Arrays;

/**
 * The {@code ./camstack} dispatcher: one sub-command per verb. Every verb catches its own errors,
 * prints one line, and returns an exit code.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || args[0].equals("help") || args[0].equals("--help")) {
      usage(out);
      return 0;
    }
    String verb = args[0];
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    switch (verb) {
      case "devlist":
        return DevlistCommand.run(rest, out, err);
      case "chaos":
        return ChaosCommand.run(rest, out, err);
      case "periphlist":
        return PeriphlistCommand.run(rest, out, err);
      default:
        err.println("camstack: unknown command '" + verb + "' (try ./camstack help)");
        return 2;
    }
  }

  private static void usage(PrintStream out) {
    out.println("usage: ./camstack <command> [options]");
    out.println("  devlist [--topology FILE] [-v]   build the stack in-process, scan, print the EDT");
    out.println("  periphlist DEV [--topology FILE] periphs of one device (da0, pass3 or B:T:L), camcontrol's format");
    out.println("  chaos [--seed S] [--cycles N] [--clients C] [--legacy] [--stop-on-bugs]");
    out.println("                                   seeded lifetime chaos on the real stack; exit 0 = no violation");
  }
}
