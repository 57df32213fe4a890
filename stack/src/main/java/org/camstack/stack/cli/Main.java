package org.camstack.stack.cli;

import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.camstack.persistence.cli.CamstackVersion;
import org.camstack.persistence.cli.Cli;
import org.camstack.persistence.inspect.JournalInspector;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code ./camstack}: one picocli command line for every verb (node, ctl and its verbs, devlist,
 * periphlist, chaos, journal, bench, completion, help). {@code --help} exits 0 everywhere, {@code
 * -V} prints the project version, bad usage prints one line and exits 2 (see {@link Cli}).
 */
@Command(
    name = "camstack",
    mixinStandardHelpOptions = true,
    versionProvider = CamstackVersion.class,
    synopsisSubcommandLabel = "VERB",
    description = "FreeBSD's CAM SCSI stack on Pekko typed actors: an emulator node, camcontrol verbs, tools.",
    footer = {"", "'./camstack help VERB' or './camstack VERB --help' for a verb's options."})
public final class Main implements Callable<Integer> {

  /** The bench module's entry point, mounted when it is on the class path. */
  static final String BENCH_MAIN = "org.camstack.bench.BenchMain";

  @Spec CommandSpec spec;

  private final PrintStream out;

  private Main(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) {
    org.camstack.stack.dispatch.CommonPool.atLeastTwo(); // first: before anything starts the pool
    if (args.length > 0 && args[0].equals("node")) {
      NodeCommand.catchSignalsEarly(System.out, System.err); // a signal during start-up: exit 0 too
    }
    System.exit(run(args, System.out, System.err));
  }

  /** Runs one command line in-process; returns the exit code (0 ok, 1 failed, 2 bad usage). */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    try {
      return commandLine(out, err).execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** The whole command tree, printing to {@code out} and {@code err}. */
  public static CommandLine commandLine(PrintStream out, PrintStream err) {
    CommandLine cl = new CommandLine(new Main(out));
    cl.addSubcommand("help", new CommandLine.HelpCommand());
    cl.addSubcommand("node", new NodeCommand(out, err));
    cl.addSubcommand("ctl", new CtlCommand(out));
    cl.addSubcommand("devlist", new DevlistCommand(out, err));
    cl.addSubcommand("periphlist", new PeriphlistCommand(out, err));
    cl.addSubcommand("journal", JournalInspector.commandLine(out, err));
    cl.addSubcommand("chaos", new Chaos(out, err));
    cl.addSubcommand("bench", bench(out, err));
    cl.addSubcommand("completion", new Completion(out));
    Cli.configure(cl, out, err);
    CommandLine chaos = cl.getSubcommands().get("chaos");
    chaos.setUnmatchedOptionsArePositionalParams(true);
    chaos.setUnmatchedArgumentsAllowed(true);
    return cl;
  }

  /** No verb: the usage, exit 0 (as {@code ./camstack help}). */
  @Override
  public Integer call() {
    spec.commandLine().usage(out);
    return 0;
  }

  /** The bench module's command line when it is on the class path, else a stand-in. */
  private static Object bench(PrintStream out, PrintStream err) {
    try {
      Class<?> c = Class.forName(BENCH_MAIN);
      Method m = c.getMethod("commandLine", PrintStream.class, PrintStream.class);
      return m.invoke(null, out, err);
    } catch (ClassNotFoundException | NoSuchMethodException | IllegalAccessException | InvocationTargetException e) {
      return new BenchStandIn(err);
    }
  }

  /**
   * {@code chaos}: the seeded lifetime chaos of {@link ChaosCommand}, which parses its own
   * options; only {@code --help} is answered here.
   */
  @Command(
      name = "chaos",
      description = {
        "Seeded lifetime chaos on the real stack; exit 0 = no violation, 1 = violations, 2 = bad usage.",
        "Options (parsed by the chaos engine): --seed S  --cycles N  --clients C  --legacy  --stop-on-bugs  --iscsi"
      })
  static final class Chaos implements Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "OPTION", description = "passed to the chaos engine")
    List<String> args = new ArrayList<>();

    @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    private final PrintStream out;
    private final PrintStream err;

    Chaos(PrintStream out, PrintStream err) {
      this.out = out;
      this.err = err;
    }

    @Override
    public Integer call() {
      return ChaosCommand.run(args.toArray(String[]::new), out, err);
    }
  }

  /** {@code bench} where the bench module is not on the class path: {@code ./camstack bench} runs it. */
  @Command(
      name = "bench",
      mixinStandardHelpOptions = true,
      description = "Benchmarks (io, sweep, lifecycle, recovery, jmh, iscsi): run them as ./camstack bench VERB.")
  static final class BenchStandIn implements Callable<Integer> {
    @Unmatched List<String> args = new ArrayList<>();

    private final PrintStream err;

    BenchStandIn(PrintStream err) {
      this.err = err;
    }

    @Override
    public Integer call() {
      err.println("camstack bench: the bench module is not on this class path; run ./camstack bench " + String.join(" ", args));
      return Cli.USAGE;
    }
  }

  /** {@code completion}: the bash completion script of the whole command tree. */
  @Command(
      name = "completion",
      mixinStandardHelpOptions = true,
      description = {
        "Print a bash completion script for ./camstack and the camstack command.",
        "Use: ./camstack completion > camstack.bash && source camstack.bash"
      })
  static final class Completion implements Callable<Integer> {
    @Spec CommandSpec spec;

    private final PrintStream out;

    Completion(PrintStream out) {
      this.out = out;
    }

    @Override
    public Integer call() {
      out.print(script(spec.root().commandLine()));
      out.flush();
      return 0;
    }

    /** picocli's generated script, also registered for {@code ./camstack}. */
    static String script(CommandLine root) {
      String s = AutoComplete.bash("camstack", root);
      return s + "\n# also when called through the launcher\ncomplete -F _complete_camstack -o default ./camstack\n";
    }
  }
}
