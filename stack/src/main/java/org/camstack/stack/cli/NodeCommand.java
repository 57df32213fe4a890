package org.camstack.stack.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.camstack.stack.node.EmulatorNode;
import org.camstack.stack.node.NodeLogging;
import org.camstack.stack.node.NodeSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./camstack node}: runs one emulator node in the foreground until SIGINT/SIGTERM, which
 * run Pekko's coordinated shutdown and exit 0. Exit 1 when the node cannot start (data directory
 * in use, port taken, ...), 2 for bad options.
 */
@Command(
    name = "node",
    description = "Run an emulator node: the stack on the configured topology, a durable journal and the management API.",
    sortOptions = false)
public final class NodeCommand implements Callable<Integer> {

  @Option(names = "--config", paramLabel = "FILE", description = "HOCON file (topology, camstack.node.* keys)")
  Path config;

  @Option(names = "--data", paramLabel = "DIR", description = "data directory (default ./data)")
  Path data;

  @Option(names = "--journal", paramLabel = "URL", description = "JDBC URL of the journal (default: H2 under DIR)")
  String journal;

  @Option(names = "--seed", paramLabel = "HOST:PORT", description = "cluster seed node (repeatable); none = join itself")
  List<String> seeds = new ArrayList<>();

  @Option(names = "--port", paramLabel = "N", description = "management API port (default 8080; 0 = any)")
  Integer port;

  @Option(names = "--cluster-port", paramLabel = "N", description = "Pekko remoting port (default 25520; 0 = any)")
  Integer clusterPort;

  @Option(names = "--bind", paramLabel = "ADDR", description = "API bind address (default 127.0.0.1; others need --token)")
  String bind;

  @Option(names = "--token", paramLabel = "T", description = "bearer token every API request must carry")
  String token;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "this help")
  boolean help;

  private PrintStream out;
  private PrintStream err;

  /** Parses {@code args} and runs the node; returns the process exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    NodeCommand cmd = new NodeCommand();
    cmd.out = out;
    cmd.err = err;
    CommandLine cl = new CommandLine(cmd);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    cl.setParameterExceptionHandler(
        (ex, a) -> {
          err.println("camstack node: " + ex.getMessage());
          err.println("usage: ./camstack node [--config FILE] [--data DIR] [--journal URL] [--seed HOST:PORT ...]"
              + " [--port N] [--cluster-port N] [--bind ADDR] [--token T]");
          return 2;
        });
    return cl.execute(args);
  }

  /** The command-line values as config overrides (full keys). */
  Map<String, Object> overrides() {
    Map<String, Object> m = new HashMap<>();
    if (data != null) {
      m.put("camstack.data-dir", data.toString());
    }
    if (journal != null) {
      m.put("camstack.journal.url", journal);
    }
    if (!seeds.isEmpty()) {
      m.put("camstack.node.seed-nodes", List.copyOf(seeds));
    }
    if (port != null) {
      m.put("camstack.node.port", port);
    }
    if (clusterPort != null) {
      m.put("camstack.node.cluster-port", clusterPort);
    }
    if (bind != null) {
      m.put("camstack.node.bind", bind);
    }
    if (token != null) {
      m.put("camstack.node.token", token);
    }
    return m;
  }

  @Override
  public Integer call() {
    NodeSettings settings;
    try {
      settings = NodeSettings.load(Optional.ofNullable(config), overrides());
    } catch (IllegalArgumentException e) {
      err.println("camstack node: " + e.getMessage());
      return 2;
    }
    NodeLogging.configure(settings.dataDir());
    EmulatorNode node;
    try {
      node = EmulatorNode.start(settings, out);
    } catch (RuntimeException e) {
      err.println("camstack node: " + e.getMessage());
      NodeLogging.stop();
      return 1;
    }
    AtomicBoolean signalled = new AtomicBoolean();
    Runnable stop =
        () -> {
          if (signalled.compareAndSet(false, true)) {
            err.println("camstack node: shutting down");
            node.shutdown();
          }
        };
    Signals.onTerminate(stop);
    try {
      node.awaitTermination();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } catch (IllegalStateException e) {
      err.println("camstack node: " + e.getMessage());
      NodeLogging.stop();
      return 1;
    }
    err.println("camstack node: stopped");
    NodeLogging.stop();
    return 0;
  }
}
