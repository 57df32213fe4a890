package org.camstack.persistence.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The conventions every camstack command line shares (node, ctl, devlist, periphlist, chaos,
 * journal, bench): picocli; {@code --help} prints to stdout and exits 0; {@code -V} prints
 * {@link CamstackVersion}; bad usage prints one line, {@code <command>: <what is wrong> (try
 * <command> --help)}, on stderr and exits {@value #USAGE}.
 */
public final class Cli {
  private Cli() {}

  /** Success. */
  public static final int OK = 0;

  /** The command ran and failed (camcontrol's exit code for every error). */
  public static final int FAILED = 1;

  /** Bad usage: unknown option, missing or malformed argument. */
  public static final int USAGE = 2;

  /** A usage mistake found after parsing (e.g. a malformed size): one line, exit {@link #USAGE}. */
  public static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * A failure a command reports as one line, {@code <who>: <message>}, with exit {@link #FAILED}
   * (e.g. {@code camstack ctl: cannot reach node at URL}).
   */
  public static class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String who;

    public Failure(String who, String message) {
      super(message, null, false, false);
      this.who = who;
    }

    /** The prefix of the line, e.g. {@code camstack ctl}. */
    public String who() {
      return who;
    }
  }

  /**
   * Wires {@code cl} to the given streams and the shared conventions: one-line usage errors with
   * exit 2 (also for a {@link UsageException} thrown by a command), the version provider on every
   * sub-command that has {@code -V}.
   */
  public static CommandLine configure(CommandLine cl, PrintStream out, PrintStream err) {
    PrintWriter o = new PrintWriter(out, true);
    PrintWriter e = new PrintWriter(err, true);
    cl.setOut(o);
    cl.setErr(e);
    withVersion(cl);
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          usageError(err, ex.getCommandLine(), describe(ex));
          return USAGE;
        });
    cl.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          if (ex instanceof UsageException) {
            usageError(err, cmd, ex.getMessage());
            return USAGE;
          }
          if (ex instanceof Failure f) {
            err.println(f.who() + ": " + f.getMessage());
            return FAILED;
          }
          if (ex instanceof ParameterException pe) {
            usageError(err, pe.getCommandLine(), oneLine(pe.getMessage()));
            return USAGE;
          }
          err.println(qualifiedName(cmd) + ": " + oneLine(String.valueOf(ex)));
          return FAILED;
        });
    return cl;
  }

  /** Gives every command of the tree without a version provider {@link CamstackVersion}. */
  private static void withVersion(CommandLine cl) {
    if (cl.getCommandSpec().versionProvider() == null) {
      cl.getCommandSpec().versionProvider(new CamstackVersion());
    }
    for (CommandLine sub : cl.getSubcommands().values()) {
      withVersion(sub);
    }
  }

  /** {@code camstack ctl lun add: <message> (try ./camstack ctl lun add --help)}. */
  public static void usageError(PrintStream err, CommandLine cmd, String message) {
    String name = qualifiedName(cmd);
    err.println(name + ": " + message + " (try " + helpHint(name) + " --help)");
    err.flush();
  }

  /** The command's full name, e.g. {@code camstack ctl lun add}. */
  public static String qualifiedName(CommandLine cmd) {
    return cmd == null ? "camstack" : cmd.getCommandSpec().qualifiedName();
  }

  private static String helpHint(String qualifiedName) {
    return qualifiedName.startsWith("camstack") ? "./" + qualifiedName : qualifiedName;
  }

  /** picocli's message, with an unknown verb called by its name. */
  private static String describe(ParameterException ex) {
    if (ex instanceof UnmatchedArgumentException u
        && !u.getCommandLine().getSubcommands().isEmpty()
        && !u.getUnmatched().isEmpty()
        && !u.getUnmatched().get(0).startsWith("-")) {
      return "unknown verb '" + u.getUnmatched().get(0) + "'";
    }
    return oneLine(ex.getMessage());
  }

  /** The first line of a message (picocli's may have several). */
  public static String oneLine(String message) {
    if (message == null) {
      return "";
    }
    int nl = message.indexOf('\n');
    return (nl < 0 ? message : message.substring(0, nl)).strip();
  }
}
