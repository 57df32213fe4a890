package org.camstack.stack.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.camstack.persistence.journal.JournalConfig;
import org.camstack.stack.durable.DurableJournal;
import org.camstack.stack.sim.iscsi.TcpProxy;

/**
 * The shared rig of the clustered-node tests (test code, issue 13): the clustered topology and
 * the failure-detection settings every cluster test uses, a node in this JVM on them ({@link
 * #startInJvm}), and a cluster of real {@code camstack node} processes ({@link #start}): N nodes
 * on loopback with ports chosen free at run time, the PostgreSQL journal of {@code
 * CAMSTACK_PG_URL}, one shared store directory, every node seeded with every other node (node 0's
 * first start alone has no seed: it forms the cluster; a node restarted with its arguments joins
 * the running members), waited for until {@code /api/cluster/status} shows N Up on every node, and
 * stopped by PID in {@link #close()}.
 *
 * <p>With {@code proxied}, each node's artery (Pekko remoting) traffic reaches it through a small
 * TCP proxy in this JVM: the node advertises the proxy's port ({@code --cluster-port}) and binds
 * another ({@code pekko.remote.artery.bind.port} in its config file). {@link #cut} makes that
 * proxy drop everything and the other proxies drop what the node's process sends — a partition of
 * one node, both ways, without root; {@link #heal} ends it.
 */
public final class ClusterProcesses implements AutoCloseable {
  /**
   * The longest a clustered LUN may be without a successful command in the process tests — a
   * failover, a planned hand-over or a restart — with the settings of {@link #FAST}: failure
   * detection (2 s pause + phi margin) + split-brain resolver (2 s stable) + the entity's restart
   * from the journal, measured at 5-12 s under CI load; issue 13's floor for {@code bench
   * failover} (default settings) is 10 s. docs/cluster.md, "Tests".
   */
  public static final Duration FAILOVER_BOUND = Duration.ofSeconds(20);

  /** How long a cluster may take to agree on a change (bounded polling of the API). */
  public static final Duration WAIT = Duration.ofSeconds(90);

  /**
   * How long a clustered node process may take to be ready (journal, recovery, joining, the first
   * scan of the clustered bus, which waits for the shard coordinator's state): over 90 s has been
   * seen on a 2-core machine running six builds.
   */
  public static final Duration READY = Duration.ofSeconds(180);

  /** Failure detection and placement tuned for tests (in-JVM and process clusters alike). */
  public static final Map<String, String> FAST = fast();

  private static Map<String, String> fast() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("camstack.cluster.acceptable-heartbeat-pause", "2s");
    m.put("camstack.cluster.stable-after", "2s");
    m.put("camstack.cluster.rebalance-interval", "500ms");
    m.put("camstack.cluster.owner-poll", "200ms");
    m.put("pekko.cluster.gossip-interval", "200ms");
    m.put("pekko.cluster.leader-actions-interval", "200ms");
    return java.util.Collections.unmodifiableMap(m);
  }

  /**
   * The topology of a clustered test node: a 4M RAM disk on the emulated bus 0, and clustered bus
   * 1 with one 8M LUN per WWN on target 0 (LUN 0, 1, ...).
   */
  public static String topology(List<String> wwns) {
    StringBuilder luns = new StringBuilder();
    for (int i = 0; i < wwns.size(); i++) {
      luns.append(i == 0 ? "" : ", ").append("{ lun = ").append(i).append(", size = 8M, wwn = \"").append(wwns.get(i)).append("\" }");
    }
    return "camstack.topology.buses = [ { name = emusim, targets = [ { id = 0, luns = [ { lun = 0, size = 4M, store = ram } ] } ] } ]\n"
        + "camstack.cluster.bus = { targets = [ { id = 0, luns = [ " + luns + " ] } ] }\n";
  }

  /**
   * A clustered node in this JVM (API and artery on free ports, no iSCSI portal, output dropped)
   * with the {@link #topology} of {@code wwn}, {@link #FAST} settings and {@code shared} as its
   * shared store; on the PostgreSQL journal when {@code postgres}, else on its own H2 journal.
   */
  public static EmulatorNode startInJvm(String tag, Path shared, String wwn, List<String> seeds, boolean postgres) throws IOException {
    Path dir = Files.createTempDirectory("camstack-cluster-" + tag);
    Path topo = dir.resolve("topology.conf");
    Files.writeString(topo, topology(List.of(wwn)));
    Map<String, Object> o = new HashMap<>(FAST);
    if (postgres) {
      JournalConfig pg = DurableJournal.postgres();
      o.put("camstack.journal.url", pg.url());
      o.put("camstack.journal.user", pg.user());
      o.put("camstack.journal.password", pg.password());
    }
    o.put("camstack.node.port", 0);
    o.put("camstack.node.cluster-port", 0);
    o.put("camstack.node.seed-nodes", seeds);
    o.put("camstack.data-dir", dir.resolve("data").toString());
    o.put("camstack.iscsi.port", "off");
    o.put("camstack.cluster.shared-store", shared.toString());
    return EmulatorNode.start(NodeSettings.load(Optional.of(topo), o), new PrintStream(OutputStream.nullOutputStream()));
  }

  // ------------------------------------------------------------------ process clusters

  private final NodeProcess.Rig rig;
  private final int n;
  private final int[] clusterPort;
  private final int[] iscsiPort;
  private final List<List<String>> args = new ArrayList<>();
  private final NodeProcess[] procs;
  private final String[] urls;
  private final TcpProxy[] proxies;
  private final List<String> wwns;

  private ClusterProcesses(NodeProcess.Rig rig, int n, List<String> wwns, boolean proxied) throws IOException {
    this.rig = rig;
    this.n = n;
    this.wwns = List.copyOf(wwns);
    clusterPort = new int[n];
    iscsiPort = new int[n];
    procs = new NodeProcess[n];
    urls = new String[n];
    proxies = new TcpProxy[n];
    int[] bindPort = new int[n];
    for (int i = 0; i < n; i++) {
      if (proxied) {
        bindPort[i] = freePort();
        proxies[i] = new TcpProxy(bindPort[i]);
        clusterPort[i] = proxies[i].port();
      } else {
        clusterPort[i] = freePort();
      }
      iscsiPort[i] = freePort();
    }
    JournalConfig pg = DurableJournal.postgres();
    Path shared = Files.createDirectories(rig.work().resolve("shared"));
    StringBuilder common = new StringBuilder(topology(wwns));
    FAST.forEach((k, v) -> common.append(k).append(" = ").append(v).append('\n'));
    common.append("camstack.cluster.forward-timeout = 5s\n");
    common.append("camstack.journal { user = \"").append(pg.user()).append("\", password = \"").append(pg.password()).append("\" }\n");
    for (int i = 0; i < n; i++) {
      Path conf = rig.work().resolve("node" + i + ".conf");
      String own = proxied ? "pekko.remote.artery.bind { hostname = \"127.0.0.1\", port = " + bindPort[i] + " }\n" : "";
      Files.writeString(conf, common + own);
      List<String> a = new ArrayList<>(List.of("--config", conf.toString(), "--journal", pg.url(), "--shared-store", shared.toString(),
          "--iscsi-port", Integer.toString(iscsiPort[i]), "--cluster-port", Integer.toString(clusterPort[i])));
      // seeded with every other node: a node can only join running members, never form an island
      // of its own (as a first seed node restarted under load may); node 0's first start alone
      // has no seed and forms the cluster (launch)
      for (int j = 0; j < n; j++) {
        if (j != i) {
          a.addAll(List.of("--seed", hostPort(j)));
        }
      }
      args.add(a);
    }
  }

  /**
   * Starts {@code n} node processes (PostgreSQL journal, shared store, iSCSI portals, one
   * clustered LUN per WWN) and waits until every one shows {@code n} members Up.
   */
  public static ClusterProcesses start(String prefix, int n, List<String> wwns, boolean proxied) throws Exception {
    NodeProcess.Rig rig = new NodeProcess.Rig(prefix);
    ClusterProcesses c = null;
    try {
      c = new ClusterProcesses(rig, n, wwns, proxied);
      c.launch(0, List.of("--seed"));
      for (int i = 1; i < n; i++) {
        c.launch(i, List.of());
      }
      for (int i = 0; i < n; i++) {
        c.urls[i] = c.procs[i].awaitReady(READY);
      }
      c.awaitMembers(n, c.all());
      return c;
    } catch (Exception | Error e) {
      if (c != null) {
        System.out.println(c.logs());
        c.close();
      } else {
        rig.close();
      }
      throw e;
    }
  }

  /**
   * A port that is free now, chosen below the kernel's ephemeral range: a port handed out by the
   * kernel (port 0) is soon reused for some outbound connection on a busy machine, while the node
   * that is to bind it is still starting; one below that range is only taken by a listener.
   */
  private static int freePort() throws IOException {
    int low = 32768;
    try {
      // readAllLines: Files.readString trusts the size /proc reports and returns a truncated value
      low = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      // not Linux: the usual start of the range
    }
    low = low > 11000 ? low : 32768;
    java.util.Random random = new java.util.Random();
    for (int attempt = 0; attempt < 1000; attempt++) {
      int port = 10000 + random.nextInt(Math.max(1, low - 10000));
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return s.getLocalPort();
      } catch (IOException e) {
        // taken: another
      }
    }
    throw new IOException("no free port below " + low);
  }

  /** Starts node {@code i} with its arguments, less the options named in {@code without} (and their values). */
  private void launch(int i, List<String> without) throws IOException {
    List<String> a = new ArrayList<>();
    List<String> all = args.get(i);
    for (int k = 0; k < all.size(); k += 2) {
      if (!without.contains(all.get(k))) {
        a.addAll(all.subList(k, k + 2));
      }
    }
    procs[i] = rig.start("node" + i, "node" + i + "-" + System.nanoTime(), a.toArray(String[]::new));
    urls[i] = null;
  }

  public TestProbe<Void> probe() {
    return rig.probe();
  }

  public Path work() {
    return rig.work();
  }

  public int size() {
    return n;
  }

  /** 0..n-1. */
  public int[] all() {
    return java.util.stream.IntStream.range(0, n).toArray();
  }

  public List<String> wwns() {
    return wwns;
  }

  public NodeProcess process(int i) {
    return procs[i];
  }

  /** Node {@code i}'s API URL (it changes when the node restarts). */
  public String url(int i) {
    return urls[i];
  }

  public int iscsiPort(int i) {
    return iscsiPort[i];
  }

  /** {@code 127.0.0.1:PORT}: node {@code i}'s artery address as {@code --seed} and {@code lun move --to} take it. */
  public String hostPort(int i) {
    return "127.0.0.1:" + clusterPort[i];
  }

  /** Node {@code i}'s cluster member address, {@code pekko://camstack@127.0.0.1:PORT}. */
  public String address(int i) {
    return "pekko://" + NodeSettings.SYSTEM_NAME + "@" + hostPort(i);
  }

  /** One GET of node {@code i}'s API (200 expected). */
  public JsonNode get(int i, String path) throws IOException, InterruptedException {
    NodeProcess.Reply r = NodeProcess.call(urls[i], "GET", path, null);
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  /** Member address &rarr; status as node {@code i} sees it. */
  public Map<String, String> members(int i) throws IOException, InterruptedException {
    Map<String, String> out = new TreeMap<>();
    for (JsonNode m : get(i, "/api/cluster/status").get("members")) {
      out.put(m.get("address").asText(), m.get("status").asText() + (m.get("reachable").asBoolean() ? "" : " unreachable"));
    }
    return out;
  }

  /** WWN &rarr; owner as node {@code i} sees it. */
  public Map<String, String> owners(int i) throws IOException, InterruptedException {
    Map<String, String> out = new TreeMap<>();
    for (JsonNode l : get(i, "/api/cluster/luns").get("luns")) {
      out.put(l.get("wwn").asText(), l.get("owner").asText());
    }
    return out;
  }

  /**
   * Polls (bounded by {@link #WAIT}: the nodes are other processes, only their API tells) until
   * every node of {@code nodes} shows exactly those members, {@code count} of them, all Up and
   * reachable.
   */
  public void awaitMembers(int count, int... nodes) {
    Map<String, String> want = new TreeMap<>();
    for (int i : nodes) {
      want.put(address(i), "Up");
    }
    assertEquals(count, want.size());
    probe().awaitAssert(WAIT, Duration.ofMillis(250), () -> {
      for (int i : nodes) {
        assertEquals(want, members(i), "members as node " + i + " sees them");
      }
      return null;
    });
  }

  /** Asks node {@code via} to move {@code wwn} to node {@code to}, then polls until every node of {@code nodes} agrees. */
  public void move(int via, String wwn, int to, int... nodes) throws Exception {
    NodeProcess.Reply mv = NodeProcess.call(urls[via], "POST", "/api/cluster/luns/" + wwn + "/move?to=" + hostPort(to), null);
    assertEquals(200, mv.status(), mv.body());
    probe().awaitAssert(WAIT, Duration.ofMillis(250), () -> {
      for (int i : nodes) {
        assertEquals(address(to), owners(i).get(wwn), "owner of " + wwn + " as node " + i + " sees it");
      }
      return null;
    });
  }

  /** The iSCSI name of the clustered bus's target 0 on node {@code i}'s portal. */
  public String iqn(int i) throws IOException, InterruptedException {
    for (JsonNode p : get(i, "/api/ports").get("ports")) {
      for (JsonNode t : p.get("targets")) {
        if (t.asText().endsWith(".b1.t0")) {
          return t.asText();
        }
      }
    }
    throw new AssertionError("no .b1.t0 target on node " + i);
  }

  /** Stops node {@code i} (SIGTERM: it leaves the cluster) and waits for its exit; returns the exit code. */
  public int stop(int i) throws InterruptedException {
    return procs[i].stop();
  }

  /** Kills node {@code i} (SIGKILL: no goodbye to the cluster) and waits for its end. */
  public void kill(int i) throws InterruptedException {
    procs[i].process().destroyForcibly();
    procs[i].process().waitFor();
  }

  /** Starts node {@code i} again with its arguments and data directory; waits for its API. */
  public void restart(int i) throws IOException {
    assertTrue(!procs[i].process().isAlive(), "node " + i + " still runs");
    launch(i, List.of());
    urls[i] = procs[i].awaitReady(READY);
  }

  /**
   * Isolates node {@code i} on artery, both ways: its proxy closes every connection and refuses
   * new ones (nothing reaches it), and every other proxy closes and refuses the connections node
   * {@code i}'s process opened (nothing of it reaches the others).
   */
  public void cut(int i) {
    long pid = procs[i].pid();
    for (TcpProxy p : proxies) {
      p.refusePeers(p == proxies[i] ? peer -> true : peer -> ownedBy(pid, peer, p.port()));
    }
  }

  /** Ends the isolation of {@link #cut}: every proxy relays again. */
  public void heal() {
    for (TcpProxy p : proxies) {
      p.refusePeers(peer -> false);
    }
  }

  /**
   * Whether the loopback TCP connection from {@code peerPort} to {@code proxyPort} belongs to
   * process {@code pid}: its socket's inode (from {@code /proc/net/tcp} and {@code tcp6}) is one of
   * the process's open files (readable without root for one's own processes).
   */
  static boolean ownedBy(long pid, int peerPort, int proxyPort) {
    String inode = null;
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      try {
        for (String line : Files.readAllLines(Path.of(table))) {
          String[] f = line.trim().split("\\s+");
          if (f.length > 9 && f[1].endsWith(String.format(":%04X", peerPort)) && f[2].endsWith(String.format(":%04X", proxyPort))) {
            inode = f[9];
          }
        }
      } catch (IOException e) {
        // no such table (no IPv6)
      }
    }
    if (inode == null) {
      return false;
    }
    String socket = "socket:[" + inode + "]";
    try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return fds.anyMatch(fd -> {
        try {
          return Files.readSymbolicLink(fd).toString().equals(socket);
        } catch (IOException e) {
          return false; // closed meanwhile
        }
      });
    } catch (IOException e) {
      return false; // the process is gone
    }
  }

  /** The last lines of every node's stdout and stderr (for a failing test's report). */
  public String logs() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      if (procs[i] == null) {
        continue;
      }
      for (Path f : List.of(procs[i].stdoutFile(), procs[i].stderrFile())) {
        try {
          List<String> lines = Files.readAllLines(f);
          b.append("---- node ").append(i).append(' ').append(f.getFileName()).append('\n');
          lines.subList(Math.max(0, lines.size() - 25), lines.size()).forEach(l -> b.append(l).append('\n'));
        } catch (IOException e) {
          b.append("---- node ").append(i).append(": ").append(e).append('\n');
        }
      }
    }
    return b.toString();
  }

  @Override
  public void close() throws Exception {
    try {
      rig.close();
    } finally {
      for (TcpProxy p : proxies) {
        if (p != null) {
          p.close();
        }
      }
    }
  }
}
