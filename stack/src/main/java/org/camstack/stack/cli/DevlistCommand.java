package org.camstack.stack.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.camstack.stack.CamStack;
import org.camstack.stack.CamStackConfig;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.node.DevlistFormat;
import org.camstack.stack.sim.Topology;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./camstack devlist [--topology FILE] [-v] [-b] [--legacy-format]}: builds the stack
 * in-process on the default (or given) topology, scans every bus and prints the EDT as {@code
 * camcontrol devlist} does (cf. {@code getdevtree()} in sbin/camcontrol/camcontrol.c), through the
 * one devlist formatter, {@link DevlistFormat}.
 */
@Command(
    name = "devlist",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Build the stack in-process on the topology, scan every bus, print the EDT as camcontrol devlist does.",
    footer = {"", "Exit: 0 ok, 1 the stack failed, 2 bad usage or topology."})
public final class DevlistCommand implements Callable<Integer> {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @Option(names = "--topology", paramLabel = "FILE", description = "HOCON topology (default: the built-in one)")
  String topology;

  @Option(names = "-v", description = "bus lines, each bus's wildcard device and the unconfigured devices")
  boolean verbose;

  @Option(names = "-b", description = "bus lines only")
  boolean busOnly;

  @Option(names = "--legacy-format", description = "camcontrol's 2012 wording (decimal LUNs, no wildcard lines)")
  boolean legacyFormat;

  private final PrintStream out;
  private final PrintStream err;

  DevlistCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() {
    DevlistFormat.Style style = legacyFormat ? DevlistFormat.Style.LEGACY : DevlistFormat.Style.MODERN;
    return withStack(
        "devlist",
        topology,
        err,
        (stack, edt) -> {
          out.print(DevlistFormat.format(DevlistFormat.of(edt), verbose, busOnly, style));
          out.flush();
          return 0;
        });
  }

  /** What an in-process CLI verb does once the stack has booted and settled. */
  @FunctionalInterface
  interface StackVerb {
    int run(CamStack stack, Ccb.DevMatchResult edt)
        throws ExecutionException, TimeoutException, InterruptedException;
  }

  /**
   * Boots the stack in-process on the default (or given) topology, waits until every bus was
   * scanned once and the periph layer settled, runs {@code verb}, and shuts the actor system down.
   * Errors become one line on {@code err} prefixed with {@code camstack <name>:}.
   *
   * @return the verb's exit code; 1 when the stack failed, 2 for a bad topology
   */
  static int withStack(String name, String topologyFile, PrintStream err, StackVerb verb) {
    Config config;
    try {
      config = config(topologyFile);
      Topology.fromConfig(config); // validate before starting anything
    } catch (IllegalArgumentException e) {
      err.println("camstack " + name + ": " + e.getMessage());
      return 2;
    }
    // initialise SLF4J before the actor system logs from several threads (no "replayed" notice)
    org.slf4j.LoggerFactory.getILoggerFactory();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "camstack", config);
    try {
      CamStack stack = CamStack.start(system, config);
      stack.scannedOnce(TIMEOUT).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      return verb.run(stack, stack.awaitPeriphs(TIMEOUT));
    } catch (ExecutionException | TimeoutException e) {
      err.println("camstack " + name + ": " + (e.getCause() != null ? e.getCause().getMessage() : e));
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("camstack " + name + ": interrupted");
      return 1;
    } catch (IllegalArgumentException e) {
      err.println("camstack " + name + ": " + e.getMessage());
      return 2;
    } finally {
      system.terminate();
      try {
        system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // exiting anyway
      }
    }
  }

  /** The CLI's config: quiet logging, the topology file (if any) over the defaults. */
  static Config config(String topologyFile) {
    Config quiet =
        ConfigFactory.parseString(
            "pekko.loglevel = WARNING\n"
                + "pekko.stdout-loglevel = WARNING\n"
                + "pekko.log-dead-letters = off\n"
                + "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off\n");
    Config base = CamStackConfig.load();
    if (topologyFile == null) {
      return quiet.withFallback(base);
    }
    Config file = Topology.loadFile(new File(topologyFile));
    return quiet.withFallback(file).withFallback(base).resolve();
  }
}
