package org.camstack.stack.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.camstack.persistence.cli.Cli;
import org.camstack.stack.node.EmulatorNode;
import org.camstack.stack.node.NodeLogging;
import org.camstack.stack.node.NodeSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./camstack node}: runs one emulator node in the foreground until SIGINT/SIGTERM, which
 * run Pekko's coordinated shutdown and exit 0. Exit 1 when the node cannot start (data directory
 * in use, port taken, ...), 2 for bad options.
 */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    description = "Run an emulator node: the stack on the configured topology, a durable journal and the management API.",
    footer = {
      "",
      "Start-up progress goes to stderr until the node is ready; then the devlist and",
      "'API listening on URL' (and 'iSCSI portal listening on ADDR') go to stdout. SIGINT/SIGTERM at any time stop the node: exit 0.",
      "Exit: 0 stopped by a signal, 1 cannot start (data directory in use, port taken, ...), 2 bad usage."
    },
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

  @Option(names = "--token", paramLabel = "T", description = "bearer token every API request must carry (visible in ps: prefer --token-file or CAMSTACK_TOKEN)")
  String token;

  @Option(names = "--token-file", paramLabel = "FILE", description = "read the API token from FILE (must be mode 0600)")
  Path tokenFile;

  @Option(names = "--allowed-host", paramLabel = "NAME", description = "a Host name the API accepts besides loopback and the bind address (repeatable)")
  List<String> allowedHosts = new ArrayList<>();

  @Option(names = "--iscsi-port", paramLabel = "N", description = "iSCSI portal port (default 3260; 0 = any; off = no portal)")
  String iscsiPort;

  @Option(names = "--iscsi-bind", paramLabel = "ADDR", description = "iSCSI portal address (default 127.0.0.1; others need --iscsi-chap-file)")
  String iscsiBind;

  @Option(names = "--iscsi-chap-file", paramLabel = "FILE", description = "CHAP credentials initiators must prove (mode 0600; docs/iscsi.md)")
  Path iscsiChapFile;

  @Option(names = "--iscsi-connect", paramLabel = "URL", description = "connect an iSCSI target as a bus at start-up: iscsi://HOST:PORT/IQN (repeatable; journalled)")
  List<String> iscsiConnect = new ArrayList<>();

  @Option(names = "--memory-budget", paramLabel = "SIZE", description = "bytes RAM stores and API buffers may hold together, e.g. 2GiB or 50%% of the heap (default 50%%)")
  String memoryBudget;

  @Option(names = "--shared-store", paramLabel = "DIR", description = "directory every cluster member reaches: the clustered LUNs' data (docs/cluster.md)")
  Path sharedStore;

  private final PrintStream out;
  private final PrintStream err;

  NodeCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  /** Parses {@code args} and runs the node ({@code ./camstack node ARGS}); returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    String[] all = new String[args.length + 1];
    all[0] = "node";
    System.arraycopy(args, 0, all, 1, args.length);
    return Main.run(all, out, err);
  }

  /** The gate installed by {@link #catchSignalsEarly}, if any. */
  private static StartupGate early;

  /**
   * Installs the SIGINT/SIGTERM handling of a node process before anything else runs, so a
   * signal while the JVM is still loading classes or parsing options also ends in exit 0.
   */
  static synchronized void catchSignalsEarly(PrintStream out, PrintStream err) {
    if (early == null) {
      early = new StartupGate(out, err);
      Signals.onTerminate(early::signal);
    }
  }

  private static synchronized StartupGate gate(PrintStream out, PrintStream err) {
    if (early != null) {
      return early;
    }
    StartupGate g = new StartupGate(out, err);
    Signals.onTerminate(g::signal);
    return g;
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
    if (tokenFile != null) {
      m.put("camstack.node.token-file", tokenFile.toString());
    }
    if (!allowedHosts.isEmpty()) {
      m.put("camstack.node.allowed-hosts", List.copyOf(allowedHosts));
    }
    if (memoryBudget != null) {
      m.put("camstack.node.memory-budget", memoryBudget);
    }
    if (iscsiPort != null) {
      m.put("camstack.iscsi.port", iscsiPort);
    }
    if (iscsiBind != null) {
      m.put("camstack.iscsi.bind", iscsiBind);
    }
    if (iscsiChapFile != null) {
      m.put("camstack.iscsi.chap-file", iscsiChapFile.toString());
    }
    if (!iscsiConnect.isEmpty()) {
      m.put("camstack.iscsi.initiator.connect", List.copyOf(iscsiConnect));
    }
    if (sharedStore != null) {
      m.put("camstack.cluster.shared-store", sharedStore.toString());
    }
    return m;
  }

  @Override
  public Integer call() {
    NodeSettings settings;
    try {
      settings = NodeSettings.load(Optional.ofNullable(config), overrides());
    } catch (IllegalArgumentException e) {
      throw new Cli.UsageException(e.getMessage());
    }
    StartupGate gate = gate(out, err);
    if (gate.signalled()) {
      err.println("camstack node: stopped before start-up");
      return 0;
    }
    gate.progress("starting: data " + settings.dataDir() + ", journal " + settings.journal());
    NodeLogging.configure(settings.dataDir());
    EmulatorNode node;
    try {
      node = EmulatorNode.start(settings, gate.stdout());
    } catch (RuntimeException e) {
      NodeLogging.stop();
      if (gate.signalled()) {
        err.println("camstack node: stopped during start-up");
        return 0;
      }
      err.println("camstack node: " + Cli.oneLine(e.getMessage()));
      return 1;
    } finally {
      gate.startupOver();
    }
    if (!gate.running(node)) {
      err.println("camstack node: stopping (signal during start-up)");
      node.shutdown();
    }
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

  /**
   * Start-up as the operator sees it: a progress line on stderr every few seconds until the node
   * is ready, then stdout for the devlist and "API listening". A signal before the node is ready
   * closes stdout (nothing announces a node that is about to stop) and the node is stopped as
   * soon as {@link EmulatorNode#start} returns; a signal afterwards stops it at once.
   */
  static final class StartupGate {
    private final PrintStream out;
    private final PrintStream err;
    private final long startNanos = System.nanoTime();
    private final Object lock = new Object();
    private final Thread ticker;
    private boolean signalled;
    private EmulatorNode node;
    private boolean over;

    StartupGate(PrintStream out, PrintStream err) {
      this.out = out;
      this.err = err;
      this.ticker = new Thread(this::tick, "camstack-startup-progress");
      ticker.setDaemon(true);
    }

    void progress(String line) {
      if (!ticker.isAlive() && ticker.getState() == Thread.State.NEW) {
        ticker.start();
      }
      err.println("camstack node: " + line);
      err.flush();
    }

    private void tick() {
      synchronized (lock) {
        while (!over && !signalled) {
          try {
            lock.wait(5000); // a clock for the operator, not a wait for an actor
          } catch (InterruptedException e) {
            return;
          }
          if (!over && !signalled) {
            progress(String.format("still starting (%ds): journal, recovery, first bus scan...", (System.nanoTime() - startNanos) / 1_000_000_000L));
          }
        }
      }
    }

    /** stdout while no signal came; after a signal, nothing reaches it. */
    PrintStream stdout() {
      PrintStream target = out;
      return new PrintStream(java.io.OutputStream.nullOutputStream()) {
        @Override
        public void write(byte[] b, int off, int len) {
          synchronized (lock) {
            if (!signalled) {
              target.write(b, off, len);
            }
          }
        }

        @Override
        public void write(int b) {
          synchronized (lock) {
            if (!signalled) {
              target.write(b);
            }
          }
        }

        @Override
        public void flush() {
          target.flush();
        }
      };
    }

    void signal() {
      EmulatorNode toStop;
      synchronized (lock) {
        if (signalled) {
          return;
        }
        signalled = true;
        toStop = node;
        lock.notifyAll();
      }
      if (toStop != null) {
        err.println("camstack node: shutting down");
        toStop.shutdown();
      } else {
        progress("signal during start-up: stopping once the start-up step in progress ends");
      }
    }

    boolean signalled() {
      synchronized (lock) {
        return signalled;
      }
    }

    void startupOver() {
      synchronized (lock) {
        over = true;
        lock.notifyAll();
      }
    }

    /** Hands the started node to the signal handler; false when a signal already came. */
    boolean running(EmulatorNode started) {
      synchronized (lock) {
        if (signalled) {
          return false;
        }
        node = started;
      }
      progress("ready (" + (System.nanoTime() - startNanos) / 1_000_000L + " ms)");
      return true;
    }
  }
}
