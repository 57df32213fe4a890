package org.camstack.stack.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.camstack.stack.CamStack;
import org.camstack.stack.CamStackConfig;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.sim.Topology;

/**
 * {@code ./camstack devlist [--topology FILE] [-v]}: builds the stack in-process on the default
 * (or given) topology, scans every bus and prints the EDT exactly as {@code camcontrol devlist}
 * does (cf. {@code getdevtree()} in sbin/camcontrol/camcontrol.c).
 */
public final class DevlistCommand {
  private DevlistCommand() {}

  static final String USAGE = "usage: ./camstack devlist [--topology FILE] [-v]";
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  /** @return the exit code: 0 ok, 1 the stack failed, 2 bad usage or topology */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    boolean verbose = false;
    String topologyFile = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("-v")) {
        verbose = true;
      } else if (a.equals("--topology")) {
        if (i + 1 >= args.length) {
          err.println("camstack devlist: --topology needs a file (" + USAGE + ")");
          return 2;
        }
        topologyFile = args[++i];
      } else if (a.startsWith("--topology=")) {
        topologyFile = a.substring("--topology=".length());
      } else {
        err.println("camstack devlist: unknown option '" + a + "' (" + USAGE + ")");
        return 2;
      }
    }
    boolean v = verbose;
    return withStack(
        "devlist",
        topologyFile,
        err,
        (stack, edt) -> {
          out.print(format(edt, v));
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

  /**
   * camcontrol's devlist text: per device {@code "%-33s  at scbus%d target %d lun %d (%s)"} with
   * the periphs newest first; with {@code verbose} a {@code "scbus%d on %s%d bus %d:"} line before
   * each bus and the unconfigured devices (the xpt0 device among them).
   */
  public static String format(Ccb.DevMatchResult edt, boolean verbose) {
    StringBuilder sb = new StringBuilder();
    for (Ccb.BusMatch bus : edt.buses()) {
      if (verbose) {
        sb.append(String.format("scbus%d on %s%d bus %d:%n", bus.pathId(), bus.devName(), bus.unitNumber(), bus.busId()));
      }
      for (Ccb.DeviceMatch d : bus.devices()) {
        if (d.unconfigured() && !verbose) {
          continue;
        }
        String identity = d.info() == null || d.info().inquiry().isEmpty() ? "<>" : d.info().identity();
        sb.append(
            String.format(
                "%-33s  at scbus%d target %d lun %d (%s)%n",
                identity,
                bus.pathId(),
                d.path().target(),
                d.path().lun(),
                String.join(",", d.periphs())));
      }
    }
    return sb.toString();
  }

  /** The devlist lines of {@link #format} as a list (tests). */
  static List<String> lines(Ccb.DevMatchResult edt, boolean verbose) {
    return format(edt, verbose).lines().toList();
  }
}
