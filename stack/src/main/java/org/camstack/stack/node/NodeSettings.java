package org.camstack.stack.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.camstack.persistence.journal.JournalConfig;
import org.camstack.stack.CamStackConfig;
import org.camstack.stack.secret.SecretFile;

/**
 * Everything {@code camstack node} needs to start, from the command line over the config file over
 * the shipped defaults ({@code camstack.node.*} in reference.conf; see docs/operations.md).
 *
 * @param config the merged configuration (config file, application.conf, reference.conf), before
 *     the node-specific overrides of {@link #systemConfig()}
 * @param configFile the {@code --config} file, if any
 * @param dataDir where the H2 journal, the logs, {@code node.lock} and {@code node.json} live
 * @param journalUrl a JDBC URL (PostgreSQL) instead of the embedded H2 journal
 * @param seeds cluster seed nodes as {@code HOST:PORT}; empty = join itself
 * @param port management API port (0 = any free port)
 * @param clusterPort Pekko remoting (artery tcp) port (0 = any free port)
 * @param bind address the management API binds to
 * @param token bearer token ({@code camstack.node.token}, else the 0600 file {@code
 *     camstack.node.token-file}, else the environment variable {@value #TOKEN_ENV}); required when
 *     {@code bind} is not a loopback address
 * @param allowedHosts {@code Host} names the API accepts besides loopback ones and the bind address
 * @param limits what one request may ask (camstack.node.limits)
 * @param memoryBudget bytes the stores and API buffers may hold together (camstack.node.memory-budget)
 * @param maxBody largest request body the API reads (camstack.node.limits.max-body)
 */
public record NodeSettings(
    Config config,
    Optional<Path> configFile,
    Path dataDir,
    Optional<String> journalUrl,
    List<String> seeds,
    int port,
    int clusterPort,
    String bind,
    Optional<String> token,
    Duration askTimeout,
    Duration scanTimeout,
    List<String> allowedHosts,
    ApiLimits limits,
    long memoryBudget,
    long maxBody) {

  /** Environment variable a node (and {@code camstack ctl}) takes the API token from. */
  public static final String TOKEN_ENV = "CAMSTACK_TOKEN";

  /** How long START STOP UNIT may take (the API's longest fixed command timeout). */
  static final Duration START_STOP_TIMEOUT = Duration.ofSeconds(120);

  /** The ActorSystem name every node of a camstack cluster shares. */
  public static final String SYSTEM_NAME = "camstack";

  public NodeSettings {
    seeds = List.copyOf(seeds);
    allowedHosts = List.copyOf(allowedHosts);
    if (memoryBudget <= 0) {
      throw new IllegalArgumentException("bad camstack.node.memory-budget " + memoryBudget + ": must be positive");
    }
    if (maxBody <= 0) {
      throw new IllegalArgumentException("bad camstack.node.limits.max-body " + maxBody + ": must be positive");
    }
    journalUrl.ifPresent(JournalConfig::kindOf);
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("bad --port " + port + ": expected 0..65535");
    }
    if (clusterPort < 0 || clusterPort > 65535) {
      throw new IllegalArgumentException("bad --cluster-port " + clusterPort + ": expected 0..65535");
    }
    for (String s : seeds) {
      seedUri(s);
    }
    // camstack cluster (issue 13): an embedded H2 journal is this process's alone
    if (journalUrl.map(u -> JournalConfig.kindOf(u) == JournalConfig.Kind.H2).orElse(true) && seeds.stream().anyMatch(s -> !isSelf(s, clusterPort))) {
      throw new IllegalArgumentException(
          "a node on the embedded H2 journal cannot join a cluster (--seed): give every member the same --journal jdbc:postgresql://...");
    }
    token = token.filter(t -> !t.isBlank());
    if (token.isEmpty() && !isLoopback(bind)) {
      throw new IllegalArgumentException(
          "binding the API to " + bind + " needs a token (--token or camstack.node.token)");
    }
  }

  /**
   * Reads the settings: {@code overrides} (from the command line: full keys such as {@code
   * camstack.node.port}, {@code camstack.data-dir}, {@code camstack.journal.url}) over {@code
   * configFile} over application.conf and reference.conf.
   *
   * @throws IllegalArgumentException one line, for a missing config file or a bad value
   */
  public static NodeSettings load(Optional<Path> configFile, Map<String, Object> overrides) {
    return load(configFile, overrides, System.getenv());
  }

  /** {@link #load(Optional, Map)} with {@code env} standing in for the process environment. */
  public static NodeSettings load(Optional<Path> configFile, Map<String, Object> overrides, Map<String, String> env) {
    Config base = CamStackConfig.load();
    if (configFile.isPresent()) {
      Path f = configFile.get();
      if (!Files.isRegularFile(f)) {
        throw new IllegalArgumentException("config file " + f + " not found");
      }
      base = ConfigFactory.parseFile(f.toFile()).withFallback(base).resolve();
    }
    try {
      Config c = ConfigFactory.parseMap(values(overrides)).withFallback(base).resolve();
      Config n = c.getConfig("camstack.node");
      return new NodeSettings(
          c,
          configFile,
          Path.of(c.getString("camstack.data-dir")),
          Optional.of(c.getString("camstack.journal.url")).filter(s -> !s.isBlank()),
          n.getStringList("seed-nodes"),
          n.getInt("port"),
          n.getInt("cluster-port"),
          n.getString("bind"),
          token(n, env),
          n.getDuration("ask-timeout"),
          n.getDuration("scan-timeout"),
          n.getStringList("allowed-hosts"),
          ApiLimits.fromConfig(n, org.camstack.stack.target.MemoryBudget.process()),
          memoryBudget(n.getString("memory-budget")),
          n.getBytes("limits.max-body"));
    } catch (com.typesafe.config.ConfigException e) {
      throw new IllegalArgumentException(ManagementRoutes.oneLine(e.getMessage()));
    }
  }

  /** {@code token}, else the file {@code token-file} (must be mode 0600), else {@value #TOKEN_ENV}. */
  static Optional<String> token(Config node, Map<String, String> env) {
    String t = node.getString("token");
    String file = node.getString("token-file");
    if (!t.isBlank() && !file.isBlank()) {
      throw new IllegalArgumentException("give the token once: --token or --token-file, not both");
    }
    if (!t.isBlank()) {
      return Optional.of(t);
    }
    if (!file.isBlank()) {
      return Optional.of(readTokenFile(Path.of(file)));
    }
    return Optional.ofNullable(env.get(TOKEN_ENV)).map(String::strip).filter(s -> !s.isEmpty());
  }

  /** The first line of a token file only its owner can read or write (0600 or 0400). */
  static String readTokenFile(Path file) {
    return SecretFile.firstLine(file, "token");
  }

  /** {@code 50%} of the maximum heap, or a size ({@code 2GiB}). */
  static long memoryBudget(String text) {
    String t = text.strip();
    if (t.endsWith("%")) {
      try {
        double pct = Double.parseDouble(t.substring(0, t.length() - 1).strip());
        if (pct <= 0 || pct > 100) {
          throw new NumberFormatException();
        }
        return (long) (Runtime.getRuntime().maxMemory() * (pct / 100));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad camstack.node.memory-budget '" + text + "': expected 1%..100% or a size");
      }
    }
    try {
      return ConfigFactory.parseString("b = " + com.typesafe.config.ConfigUtil.quoteString(t)).getBytes("b");
    } catch (com.typesafe.config.ConfigException e) {
      throw new IllegalArgumentException("bad camstack.node.memory-budget '" + text + "': expected 1%..100% or a size");
    }
  }

  /**
   * The HTTP server's request timeout: above the longest wait of any operation (scan and reset:
   * scan-timeout; START STOP: 120 s; a CDB: its timeout, at most max-command-timeout; the rest:
   * ask-timeout), so every operation answers itself (504 JSON when it runs out) before the server
   * would give up on it.
   */
  public Duration requestTimeout() {
    Duration longest = askTimeout;
    for (Duration d : List.of(scanTimeout, START_STOP_TIMEOUT, Duration.ofMillis(limits.maxCommandTimeoutMs() + 2000L))) {
      if (d.compareTo(longest) > 0) {
        longest = d;
      }
    }
    return longest.plusSeconds(10);
  }

  private static Map<String, Object> values(Map<String, Object> overrides) {
    Map<String, Object> m = new HashMap<>();
    overrides.forEach((k, v) -> m.put(k, v instanceof List<?> l ? ConfigValueFactory.fromIterable(l) : v));
    return m;
  }

  /** The journal: {@code camstack.journal.url} (with user/password) or H2 under the data dir. */
  public JournalConfig journal() {
    return journalUrl
        .map(u -> JournalConfig.jdbc(u, config.getString("camstack.journal.user"), config.getString("camstack.journal.password")))
        .orElseGet(() -> JournalConfig.h2(dataDir));
  }

  /** {@code HOST:PORT} &rarr; {@code pekko://camstack@HOST:PORT}. */
  public static String seedUri(String hostPort) {
    String s = hostPort.startsWith("pekko://") ? hostPort.substring(hostPort.indexOf('@') + 1) : hostPort;
    int colon = s.lastIndexOf(':');
    if (colon <= 0 || colon == s.length() - 1) {
      throw new IllegalArgumentException("bad --seed '" + hostPort + "': expected HOST:PORT");
    }
    try {
      int p = Integer.parseInt(s.substring(colon + 1));
      if (p <= 0 || p > 65535) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad --seed '" + hostPort + "': expected HOST:PORT");
    }
    return "pekko://" + SYSTEM_NAME + "@" + s;
  }

  /** A seed that is this node itself ({@code 127.0.0.1:clusterPort} or {@code localhost:clusterPort}). */
  static boolean isSelf(String seed, int clusterPort) {
    String s = seedUri(seed).substring(("pekko://" + SYSTEM_NAME + "@").length());
    return clusterPort != 0 && (s.equals("127.0.0.1:" + clusterPort) || s.equals("localhost:" + clusterPort));
  }

  static boolean isLoopback(String address) {
    try {
      return InetAddress.getByName(address).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("bad --bind '" + address + "': unknown host");
    }
  }

  /** The host a client on this machine uses to reach the API. */
  public String apiHost() {
    return bind.equals("0.0.0.0") || bind.equals("::") ? "127.0.0.1" : bind;
  }

  /**
   * The ActorSystem configuration: a Pekko Cluster member on artery tcp at 127.0.0.1:{@code
   * clusterPort}, split-brain resolver, JMX multi-mbeans on (several nodes may share a JVM in
   * tests), JVM exit left to the caller; layered over {@code journal} (the persistence plugin
   * settings of {@link #journal()}) and {@link #config()}.
   */
  public Config systemConfig() {
    List<String> seedUris = new ArrayList<>();
    seeds.forEach(s -> seedUris.add(seedUri(s)));
    Map<String, Object> m = new HashMap<>();
    m.put("pekko.actor.provider", "cluster");
    m.put("pekko.remote.artery.transport", "tcp");
    m.put("pekko.remote.artery.canonical.hostname", "127.0.0.1");
    m.put("pekko.remote.artery.canonical.port", clusterPort);
    m.put("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seedUris));
    m.put("pekko.cluster.downing-provider-class", "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider");
    m.put("pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on");
    m.put("pekko.coordinated-shutdown.exit-jvm", "off");
    m.put("camstack.data-dir", dataDir.toString());
    // camstack cluster (issue 13): journal role, failure detection and downing from camstack.cluster
    Config cc = config.getConfig("camstack.cluster");
    m.put("pekko.cluster.roles", ConfigValueFactory.fromIterable(List.of(org.camstack.stack.cluster.JournalRole.of(journal()))));
    m.put("pekko.cluster.failure-detector.heartbeat-interval", cc.getDuration("heartbeat-interval").toMillis() + "ms");
    m.put("pekko.cluster.failure-detector.acceptable-heartbeat-pause", cc.getDuration("acceptable-heartbeat-pause").toMillis() + "ms");
    m.put("pekko.cluster.split-brain-resolver.stable-after", cc.getDuration("stable-after").toMillis() + "ms");
    m.put("pekko.cluster.split-brain-resolver.active-strategy", cc.getString("downing-strategy"));
    m.put("pekko.cluster.sharding.rebalance-interval", cc.getDuration("rebalance-interval").toMillis() + "ms");
    if (!cc.getString("down-removal-margin").equals("auto")) {
      m.put("pekko.cluster.down-removal-margin", cc.getDuration("down-removal-margin").toMillis() + "ms");
    }
    m.put("pekko.cluster.gossip-interval", cc.getDuration("gossip-interval").toMillis() + "ms");
    m.put("pekko.cluster.leader-actions-interval", cc.getDuration("leader-actions-interval").toMillis() + "ms");
    m.put("pekko.cluster.sharding.retry-interval", cc.getDuration("shard-retry-interval").toMillis() + "ms");
    Duration rt = requestTimeout();
    m.put("pekko.http.server.request-timeout", rt.toMillis() + "ms");
    m.put("pekko.http.server.idle-timeout", rt.plusSeconds(30).toMillis() + "ms");
    m.put("pekko.http.server.parsing.max-content-length", maxBody);
    m.put("pekko.http.server.remote-address-attribute", "on");
    return ConfigFactory.parseMap(m).withFallback(journal().toConfig()).withFallback(config).resolve();
  }
}
