package org.camstack.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.camstack.bench.harness.DispatcherSettings;
import org.camstack.persistence.cli.CamstackVersion;
import org.camstack.persistence.cli.Cli;
import org.camstack.bench.report.Progress;
import org.camstack.bench.report.Report;
import org.camstack.bench.report.RunEnvironment;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./camstack bench io|lifecycle|recovery|sweep|jmh|iscsi [options]}: the benchmark launcher.
 * Every sub-command prints a progress bar on stderr while it runs, an aligned table on stdout at
 * the end, and with {@code --json FILE} every figure plus the exact configuration. Bad options
 * get a one-line message and exit code 2.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    versionProvider = CamstackVersion.class,
    description = "camstack benchmarks: the CCB path, the lifecycle path and recovery, each with its baseline.",
    subcommands = {
      IoCommand.class,
      SweepCommand.class,
      LifecycleCommand.class,
      RecoveryCommand.class,
      JmhCommand.class,
      IscsiCommand.class,
      FailoverCommand.class
    })
public final class BenchMain implements Callable<Integer> {

  /** Resource with the bench's logging (warnings only, stderr). */
  static final String LOGBACK = "camstack-bench-logback.xml";

  final PrintStream out;
  final PrintStream err;

  public BenchMain() {
    this(System.out, System.err);
  }

  BenchMain(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    org.camstack.stack.dispatch.CommonPool.atLeastTwo(); // first: before anything starts the pool
    useBenchLogging();
    System.exit(run(args, System.out, System.err));
  }

  /** Before SLF4J starts: the stack jar on the classpath would otherwise bring its own logback.xml. */
  static void useBenchLogging() {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", LOGBACK);
    }
    // initialise SLF4J now, before Pekko's threads log (avoids SLF4J's replay warning)
    org.slf4j.LoggerFactory.getILoggerFactory();
  }

  /** Runs one command line; returns the exit code (0 ok, 1 failure, 2 bad usage). */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    useBenchLogging();
    RunEnvironment.markStart();
    CommandLine cl = commandLine(out, err);
    cl.getCommandSpec().name("camstack bench"); // as ./camstack help shows it
    return cl.execute(args);
  }

  /**
   * The bench command line printing to {@code out} and {@code err}, with the conventions of
   * {@link Cli} ({@code --help} exit 0, {@code -V}, bad usage one line and exit 2); {@code
   * ./camstack help} and the completion script mount it as the {@code bench} verb.
   */
  public static CommandLine commandLine(PrintStream out, PrintStream err) {
    CommandLine cl = new CommandLine(new BenchMain(out, err));
    Cli.configure(cl, out, err);
    cl.setExecutionExceptionHandler((ex, line, parse) -> {
      if (ex instanceof IllegalArgumentException || ex instanceof Cli.UsageException) {
        Cli.usageError(err, line, ex.getMessage());
        return Cli.USAGE;
      }
      err.println("bench: failed: " + ex);
      for (StackTraceElement e : ex.getStackTrace()) {
        err.println("    at " + e);
      }
      return Cli.FAILED;
    });
    return cl;
  }

  @Override
  public Integer call() {
    err.println("bench: missing sub-command: io, sweep, lifecycle, recovery, jmh or iscsi (try ./camstack bench --help)");
    return Cli.USAGE;
  }

  /** Options every sub-command has. */
  static final class Common {
    @Option(names = "--json", paramLabel = "FILE", description = "write every figure and the exact configuration as JSON")
    Path json;

    @Option(names = "--quick", description = "short runs, small grid: finishes well under a minute")
    boolean quick;

    @Option(names = "--threads", paramLabel = "N", description = "dispatcher threads (default: the cores)")
    Integer threads;

    @Option(names = "--throughput", paramLabel = "N", defaultValue = "100",
        description = "dispatcher throughput: messages per actor turn (default: ${DEFAULT-VALUE})")
    int throughput;

    @Option(names = "--quiet", description = "no progress output")
    boolean quiet;

    @Option(names = "--dispatcher", paramLabel = "KIND", defaultValue = "lanes",
        description = "executor: lanes (the node's: a LUN's pipeline on one thread per lane, other actors on a "
            + "fork-join pool; also: default), fork-join (every actor on the fork-join pool), affinity "
            + "(affinity-pool-executor, a LUN's actors on one queue) or pinned-groups (every actor on a lane) "
            + "(default: ${DEFAULT-VALUE})")
    String dispatcherKind;

    DispatcherSettings dispatcher() {
      int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
      return new DispatcherSettings(t, throughput, dispatcherKind);
    }

    /** The progress display of a run that starts now; warns first when the machine is busy. */
    Progress progress(int steps) {
      String busy = RunEnvironment.loadWarning();
      if (busy != null) {
        System.err.println("bench: " + busy);
      }
      return Progress.forConsole(steps, quiet);
    }
  }

  /** Prints the table (and writes JSON when asked). */
  void emit(Report report, Common common) throws IOException {
    report.note(RunEnvironment.oneLine(RunEnvironment.capture()));
    String busy = RunEnvironment.loadWarning();
    if (busy != null) {
      report.note(busy);
    }
    String jit = org.camstack.bench.harness.ResourceMeter.jitNote();
    if (jit != null) {
      report.note(jit);
    }
    report.printTable(out);
    out.flush();
    if (common.json != null) {
      report.writeJson(common.json);
      err.println("bench: wrote " + common.json);
    }
  }
}
