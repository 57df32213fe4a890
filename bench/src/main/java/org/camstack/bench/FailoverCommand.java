package org.camstack.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code bench failover}: three node processes on loopback on one PostgreSQL journal and a shared
 * store with one clustered LUN; a client writes blocks without pause through a node that does not
 * own the LUN, and the owner is killed with SIGKILL, {@code --kills} times (each time the victim
 * is started again and rejoins before the next kill). Per kill: the time from the kill to the
 * first write acknowledged after it, and how many acknowledged writes did not read back (must be
 * 0). Every process it starts is stopped by PID, on failure too.
 */
@Command(name = "failover", mixinStandardHelpOptions = true,
    description = "kill -9 the owner of a clustered LUN under writes, N times: time to the first acknowledged write on a survivor, acknowledged writes lost.")
final class FailoverCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final int BS = 512;

  @ParentCommand BenchMain parent;

  @Mixin BenchMain.Common common;

  @Option(names = "--journal", paramLabel = "URL", defaultValue = "${env:CAMSTACK_PG_URL}",
      description = "the shared journal: jdbc:postgresql://... (default: $CAMSTACK_PG_URL)")
  String journal;

  @Option(names = "--journal-user", paramLabel = "USER", defaultValue = "${env:CAMSTACK_PG_USER}")
  String user;

  @Option(names = "--journal-password", paramLabel = "PASSWORD", defaultValue = "${env:CAMSTACK_PG_PASSWORD}")
  String password;

  @Option(names = "--kills", paramLabel = "N", description = "owner kills (default 10, quick 2)")
  Integer kills;

  @Option(names = "--acceptable-heartbeat-pause", paramLabel = "D", defaultValue = "2s",
      description = "camstack.cluster.acceptable-heartbeat-pause of the nodes (default: ${DEFAULT-VALUE})")
  String pause;

  @Option(names = "--heartbeat-interval", paramLabel = "D", defaultValue = "500ms",
      description = "camstack.cluster.heartbeat-interval of the nodes (default: ${DEFAULT-VALUE})")
  String heartbeat;

  @Option(names = "--stable-after", paramLabel = "D", defaultValue = "1s",
      description = "camstack.cluster.stable-after of the nodes (default: ${DEFAULT-VALUE})")
  String stableAfter;

  @Option(names = "--down-removal-margin", paramLabel = "D", defaultValue = "500ms",
      description = "camstack.cluster.down-removal-margin of the nodes (default: ${DEFAULT-VALUE}; auto = stable-after)")
  String margin;

  @Option(names = "--crash-detector", paramLabel = "on|off", defaultValue = "on",
      description = "camstack.cluster.crash-detector of the nodes (default: ${DEFAULT-VALUE})")
  String crashDetector;

  @Option(names = "--client", paramLabel = "pass|da", defaultValue = "pass",
      description = "how the client writes: pass = WRITE(10) through the pass periph, retried every 50 ms on any error "
          + "(an initiator's multipath retry); da = through the da periph's devfs path (CAM's own recovery: "
          + "02/04/0A is retried with TEST UNIT READY every 500 ms) (default: ${DEFAULT-VALUE})")
  String client;

  private final List<Process> processes = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    int n = kills != null ? kills : common.quick ? 2 : 10;
    if (!List.of("on", "off").contains(crashDetector) || !List.of("pass", "da").contains(client)) {
      throw new IllegalArgumentException("--crash-detector on|off, --client pass|da");
    }
    if (journal == null || !journal.startsWith("jdbc:postgresql:") || n < 1) {
      throw new IllegalArgumentException("--journal jdbc:postgresql://... (or $CAMSTACK_PG_URL) is required and --kills must be >= 1");
    }
    Path work = Files.createTempDirectory("camstack-bench-failover");
    Path shared = Files.createDirectories(work.resolve("shared"));
    String wwn = String.format(Locale.ROOT, "5%015x", System.currentTimeMillis() & 0xfffffffffffL);
    Path conf = work.resolve("cluster.conf");
    Files.writeString(conf,
        "camstack.topology.buses = [ { name = emusim, targets = [ { id = 0, luns = [ { lun = 0, size = 4M, store = ram } ] } ] } ]\n"
            + "camstack.cluster.bus = { targets = [ { id = 0, luns = [ { lun = 0, size = 64M, wwn = \"" + wwn + "\" } ] } ] }\n"
            + "camstack.cluster { heartbeat-interval = " + heartbeat + ", acceptable-heartbeat-pause = " + pause + ", stable-after = " + stableAfter
            + ", down-removal-margin = " + margin + ", rebalance-interval = 500ms, owner-poll = 200ms, forward-timeout = 3s"
            + ", crash-detector = " + crashDetector + " }\n"
            + "pekko.cluster.singleton.hand-over-retry-interval = 200ms\n"
            + "camstack.journal { user = \"" + (user == null ? "" : user) + "\", password = \"" + (password == null ? "" : password) + "\" }\n");
    List<Long> failoverMs = new ArrayList<>();
    List<Map<String, Long>> phases = new ArrayList<>();
    double loadBefore = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    long lost = 0;
    long acked = 0;
    try {
      String[] urls = new String[3];
      String[] tags = {"n0", "n1", "n2"};
      // the members in join order: the first is the oldest, where the shard coordinator runs
      List<Integer> joined = new ArrayList<>(List.of(0, 1, 2));
      Process[] procs = new Process[3];
      procs[0] = start(work, conf, shared, "n0", null);
      urls[0] = awaitReady(work.resolve("n0"), procs[0]);
      String seed = self(urls[0]).replace("pekko://camstack@", "");
      for (int i = 1; i < 3; i++) {
        procs[i] = start(work, conf, shared, "n" + i, seed);
      }
      for (int i = 1; i < 3; i++) {
        urls[i] = awaitReady(work.resolve("n" + i), procs[i]);
      }
      awaitMembers(urls[0], 3);
      long lba = 0;
      for (int k = 0; k < n; k++) {
        String owner = awaitOwner(urls);
        int victim = -1;
        for (int i = 0; i < 3; i++) {
          if (self(urls[i]).equals(owner)) {
            victim = i;
          }
        }
        int client = (victim + 1) % 3; // the node the writes go through
        String da = da(urls[client]); // reads go through da
        String unit = da(urls[client], this.client); // writes through the --client periph
        Map<Long, byte[]> written = new LinkedHashMap<>();
        for (int w = 0; w < 5; w++, lba++) {
          writeUntilAcked(urls[client], unit, lba, written, Long.MAX_VALUE);
        }
        long killedAt = System.currentTimeMillis();
        procs[victim].destroyForcibly();
        long killed = System.nanoTime();
        procs[victim].waitFor(30, TimeUnit.SECONDS);
        writeUntilAcked(urls[client], unit, lba++, written, killed + TimeUnit.SECONDS.toNanos(120));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        failoverMs.add(ms);
        for (int w = 0; w < 5; w++, lba++) {
          writeUntilAcked(urls[client], unit, lba, written, Long.MAX_VALUE);
        }
        for (Map.Entry<Long, byte[]> e : written.entrySet()) {
          acked++;
          if (!java.util.Arrays.equals(e.getValue(), read(urls[client], da, e.getKey()))) {
            lost++;
          }
        }
        Map<String, Long> ph = new LinkedHashMap<>();
        for (int i = 0; i < 3; i++) {
          if (i != victim) {
            phasesSince(work.resolve(tags[i] + ".err"), killedAt, ph);
          }
        }
        ph.put("acked", ms);
        phases.add(ph);
        if (!common.quiet) {
          System.err.printf(Locale.ROOT, "kill %d/%d: owner %s%s, first acknowledged write after %d ms; phases (ms after the kill) %s%n",
              k + 1, n, owner, victim == joined.get(0) ? " (oldest member: the shard coordinator's node)" : "", ms, ph);
        }
        String live = urls[client].equals(urls[victim]) ? urls[(victim + 2) % 3] : urls[client];
        tags[victim] = "n" + victim + "-" + (k + 1);
        joined.remove(Integer.valueOf(victim));
        joined.add(victim);
        procs[victim] = start(work, conf, shared, tags[victim], self(live).replace("pekko://camstack@", ""));
        urls[victim] = awaitReady(work.resolve("n" + victim + "-" + (k + 1)), procs[victim]);
        awaitMembers(urls[client], 3);
      }
    } finally {
      for (Process p : processes) {
        if (p.isAlive()) {
          p.destroy();
          if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
          }
        }
      }
    }
    List<Long> sorted = new ArrayList<>(failoverMs);
    sorted.sort(null);
    System.out.printf(Locale.ROOT,
        "bench failover: %d kills of the owner (SIGKILL), 3 nodes, heartbeat-interval %s, acceptable-heartbeat-pause %s, stable-after %s, "
            + "down-removal-margin %s, crash-detector %s, client %s%n",
        n, heartbeat, pause, stableAfter, margin, crashDetector, client);
    System.out.printf(Locale.ROOT, "kill -> first acknowledged write on a survivor: min %d ms, median %d ms, max %d ms (all: %s)%n",
        sorted.get(0), sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1), failoverMs);
    System.out.printf(Locale.ROOT, "acknowledged writes checked: %d, lost: %d%n", acked, lost);
    System.out.printf(Locale.ROOT, "load average (1 min): %.2f before, %.2f after%n", loadBefore,
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    System.out.println("phases, ms after the kill (first survivor to log each; median / max over the kills; n = kills that had it):");
    List<String> names = new ArrayList<>(PHASES);
    names.add("acked");
    for (String name : names) {
      List<Long> v = new ArrayList<>();
      for (Map<String, Long> ph : phases) {
        if (ph.containsKey(name)) {
          v.add(ph.get(name));
        }
      }
      if (!v.isEmpty()) {
        v.sort(null);
        System.out.printf(Locale.ROOT, "  %-15s median %6d  max %6d  n %d%n", name, v.get(v.size() / 2), v.get(v.size() - 1), v.size());
      }
    }
    return lost == 0 ? 0 : 1;
  }

  /** The phases {@code org.camstack.stack.cluster.FailoverPhases} logs, in order. */
  private static final List<String> PHASES = org.camstack.stack.cluster.FailoverPhases.ORDER;

  private static final java.util.regex.Pattern PHASE = java.util.regex.Pattern.compile("failover phase (\\S+) at (\\d+)");

  /** Adds to {@code into} each phase a node logged at or after {@code since} (ms after it; the earliest wins). */
  private static void phasesSince(Path log, long since, Map<String, Long> into) throws IOException {
    if (!Files.isRegularFile(log)) {
      return;
    }
    for (String line : Files.readAllLines(log)) {
      java.util.regex.Matcher m = PHASE.matcher(line);
      if (m.find()) {
        long at = Long.parseLong(m.group(2));
        if (at >= since) {
          into.merge(m.group(1), at - since, Math::min);
        }
      }
    }
    Map<String, Long> ordered = new LinkedHashMap<>();
    for (String p : PHASES) {
      if (into.containsKey(p)) {
        ordered.put(p, into.get(p));
      }
    }
    into.clear();
    into.putAll(ordered);
  }

  private Process start(Path work, Path conf, Path shared, String tag, String seed) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-Xss1m", "-Xmx512m", "-cp", System.getProperty("java.class.path"),
        "org.camstack.stack.cli.Main", "node", "--port", "0", "--cluster-port", "0", "--iscsi-port", "off", "--data", work.resolve(tag).toString(),
        "--config", conf.toString(), "--journal", journal, "--shared-store", shared.toString()));
    if (seed != null) {
      cmd.addAll(List.of("--seed", seed));
    }
    Process p = new ProcessBuilder(cmd)
        .redirectOutput(work.resolve(tag + ".out").toFile())
        .redirectError(work.resolve(tag + ".err").toFile())
        .start();
    processes.add(p);
    return p;
  }

  private static String awaitReady(Path data, Process p) throws Exception {
    // a loaded machine (several builds at once) may take minutes to start a JVM
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
    Path info = data.resolve("node.json");
    while (System.nanoTime() < end) {
      if (!p.isAlive()) {
        throw new IllegalStateException("node " + data + " exited with " + p.exitValue() + " (see " + data + ".err)");
      }
      if (Files.isRegularFile(info)) {
        JsonNode j = JSON.readTree(Files.readString(info));
        if (j.get("pid").asLong() == p.pid()) {
          return j.get("url").asText();
        }
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("node " + data + " not ready within 300 s");
  }

  private static JsonNode call(String url, String method, String path, Object body) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30));
    if (body != null) {
      b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException(method + " " + path + ": " + r.statusCode() + " " + r.body());
    }
    return JSON.readTree(r.body());
  }

  private static String self(String url) throws IOException, InterruptedException {
    return call(url, "GET", "/api/cluster/status", null).get("self").asText();
  }

  private static void awaitMembers(String url, int n) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < end) {
      int up = 0;
      for (JsonNode m : call(url, "GET", "/api/cluster/status", null).get("members")) {
        if (m.get("status").asText().equals("Up") && m.get("reachable").asBoolean()) {
          up++;
        }
      }
      if (up == n) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException(n + " members not Up within 120 s");
  }

  /** The owner all nodes agree on. */
  private static String awaitOwner(String[] urls) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < end) {
      String first = null;
      boolean same = true;
      for (String u : urls) {
        String o = call(u, "GET", "/api/cluster/luns", null).get("luns").get(0).get("owner").asText();
        first = first == null ? o : first;
        same &= !o.isEmpty() && o.equals(first);
      }
      if (same) {
        return first;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the nodes do not agree on the owner within 120 s");
  }

  /** The da periph of the clustered LUN (bus 1) on a node. */
  private static String da(String url) throws IOException, InterruptedException {
    return da(url, "da");
  }

  /** The clustered LUN's (bus 1) periph of {@code driver} (da, pass) on a node. */
  private static String da(String url, String driver) throws IOException, InterruptedException {
    for (JsonNode b : call(url, "GET", "/api/devlist", null).get("buses")) {
      for (JsonNode d : b.get("devices")) {
        if (d.get("bus").asInt() == 1) {
          for (JsonNode p : d.get("periphs")) {
            if (p.asText().startsWith(driver)) {
              return p.asText();
            }
          }
        }
      }
    }
    throw new IllegalStateException("no " + driver + " on bus 1 at " + url);
  }

  private void writeUntilAcked(String url, String unit, long lba, Map<Long, byte[]> written, long deadline) throws Exception {
    byte[] data = new byte[BS];
    new java.util.Random(lba * 7919 + System.nanoTime()).nextBytes(data);
    if (client.equals("pass")) {
      writeThroughPass(url, unit, lba, data, deadline);
      written.put(lba, data);
      return;
    }
    String da = unit;
    while (true) {
      try {
        long h = call(url, "POST", "/api/devfs/open", Map.of("node", da)).get("handle").asLong();
        try {
          call(url, "POST", "/api/devfs/" + h + "/write", Map.of("offset", lba * BS, "dataHex", HexFormat.of().formatHex(data)));
          written.put(lba, data);
          return;
        } finally {
          call(url, "POST", "/api/devfs/" + h + "/close", null);
        }
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no write acknowledged within the deadline: " + e.getMessage());
        }
        Thread.sleep(20);
      }
    }
  }

  /**
   * WRITE(10) of one block through the pass periph, as an initiator with its own retry: any
   * CHECK CONDITION (02/04/0A while the LUN moves, 06/2A/06 after), any other error and a broken
   * connection are retried after 50 ms, until {@code deadline}.
   */
  private static void writeThroughPass(String url, String pass, long lba, byte[] data, long deadline) throws Exception {
    String cdb = String.format(Locale.ROOT, "2a00%08x000001" + "00", lba);
    String last = "";
    while (true) {
      try {
        long h = call(url, "POST", "/api/devfs/open", Map.of("node", pass)).get("handle").asLong();
        try {
          while (true) {
            JsonNode r = call(url, "POST", "/api/devfs/" + h + "/cdb", Map.of("cdbHex", cdb, "dataOutHex", HexFormat.of().formatHex(data), "timeoutMs", 5000));
            if (r.get("scsiStatus").asInt() == 0 && r.get("camStatus").asText().equals("REQ_CMP")) {
              return;
            }
            last = r.get("camStatus").asText() + " " + r.get("sense").asText();
            if (System.nanoTime() > deadline) {
              throw new IllegalStateException("no write acknowledged within the deadline: " + last);
            }
            Thread.sleep(50);
          }
        } finally {
          try {
            call(url, "POST", "/api/devfs/" + h + "/close", null);
          } catch (IOException ignored) {
            // the node is going away: nothing to close
          }
        }
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no write acknowledged within the deadline: " + e.getMessage() + " " + last);
        }
        Thread.sleep(50);
      }
    }
  }

  private static byte[] read(String url, String da, long lba) throws Exception {
    for (int t = 0; ; t++) {
      try {
        long h = call(url, "POST", "/api/devfs/open", Map.of("node", da)).get("handle").asLong();
        try {
          return HexFormat.of().parseHex(call(url, "POST", "/api/devfs/" + h + "/read", Map.of("offset", lba * BS, "length", BS)).get("dataHex").asText());
        } finally {
          call(url, "POST", "/api/devfs/" + h + "/close", null);
        }
      } catch (IOException e) {
        if (t > 20) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }
}
