package org.camstack.stack.node;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.camstack.persistence.cli.CliRun;
import org.camstack.stack.cli.CtlCommand;

/**
 * A real {@code camstack node} process for end-to-end tests (test code): started with the test's
 * class path on loopback and free ports ({@code --port 0 --cluster-port 0} plus the caller's
 * options, e.g. {@code --iscsi-port 0}), stdout and stderr to files beside its data directory,
 * waited for through {@code node.json} and its stdout lines, and stopped by PID (SIGTERM, then
 * SIGKILL) in {@link #close()}.
 */
public final class NodeProcess implements AutoCloseable {
  private static final Pattern PORTAL = Pattern.compile("iSCSI portal listening on 127\\.0\\.0\\.1:(\\d+)");
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Process process;
  private final Path data;
  private final Path out;
  private final Path err;
  private final TestProbe<?> probe;

  private NodeProcess(Process process, Path data, Path out, Path err, TestProbe<?> probe) {
    this.process = process;
    this.data = data;
    this.out = out;
    this.err = err;
    this.probe = probe;
  }

  /**
   * Starts {@code camstack node --port 0 --cluster-port 0 --data DATA EXTRA...} ({@code
   * --cluster-port 0} only when {@code extra} names no {@code --cluster-port}); output goes to
   * {@code DATA-TAG.out} / {@code .err} beside {@code data}. {@code probe} does the waiting.
   */
  public static NodeProcess start(TestProbe<?> probe, Path data, String tag, String... extra) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-Xss1m", "-cp",
        System.getProperty("java.class.path"), "org.camstack.stack.cli.Main", "node", "--port", "0", "--data", data.toString()));
    if (!List.of(extra).contains("--cluster-port")) {
      cmd.addAll(List.of("--cluster-port", "0"));
    }
    cmd.addAll(List.of(extra));
    Path out = data.resolveSibling(data.getFileName() + "-" + tag + ".out");
    Path err = data.resolveSibling(data.getFileName() + "-" + tag + ".err");
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectOutput(out.toFile());
    pb.redirectError(err.toFile());
    return new NodeProcess(pb.start(), data, out, err, probe);
  }

  public Process process() {
    return process;
  }

  public long pid() {
    return process.pid();
  }

  public Path stdoutFile() {
    return out;
  }

  public Path stderrFile() {
    return err;
  }

  private void assertAlive() throws IOException {
    if (!process.isAlive()) {
      fail("node exited with " + process.exitValue() + ": " + Files.readString(err));
    }
  }

  /** The API URL from the {@code node.json} the node writes once ready (90 s at most). */
  public String awaitReady() {
    return awaitReady(Duration.ofSeconds(90));
  }

  /** The API URL from the {@code node.json} the node writes once ready ({@code max} at most). */
  public String awaitReady(Duration max) {
    return probe.awaitAssert(max, Duration.ofMillis(100), () -> {
      assertAlive();
      Optional<NodeFiles.NodeInfo> info = NodeFiles.readInfo(data);
      assertTrue(info.isPresent() && info.get().pid() == process.pid(), "node.json not written yet");
      return info.get().url();
    });
  }

  /** The portal port from the node's {@code iSCSI portal listening on 127.0.0.1:PORT} line. */
  public int awaitIscsiPort() {
    return probe.awaitAssert(Duration.ofSeconds(90), Duration.ofMillis(100), () -> {
      assertAlive();
      Matcher m = PORTAL.matcher(Files.readString(out));
      assertTrue(m.find(), "no 'iSCSI portal listening on' line yet");
      return Integer.parseInt(m.group(1));
    });
  }

  /** SIGTERM, then waits; returns the exit code. */
  public int stop() throws InterruptedException {
    process.destroy();
    assertTrue(process.waitFor(90, TimeUnit.SECONDS), "node did not stop on SIGTERM");
    return process.exitValue();
  }

  /** Stops the node by PID if it still runs: SIGTERM, 60 s, then SIGKILL. */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  /** An HTTP reply of the node's API: status and the JSON body. */
  public record Reply(int status, JsonNode json, String body) {}

  /** One API call ({@code body} null = none; otherwise sent as application/json). */
  public static Reply call(String url, String method, String path, String body) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30));
    if (body != null) {
      b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode json = r.body().isEmpty() ? null : ManagementRoutes.MAPPER.readTree(r.body());
    return new Reply(r.statusCode(), json, r.body());
  }

  /** {@code ctl --node API ARGS...} in this JVM, output captured. */
  public static CliRun ctl(String api, String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--node";
    all[1] = api;
    System.arraycopy(args, 0, all, 2, args.length);
    return CliRun.capture(CtlCommand::run, all);
  }

  /**
   * What a node-process test sets up (test code): an ActorTestKit whose probe does the waiting, a
   * fresh work directory, and every node started through it; {@link #close()} stops those nodes by
   * PID (in reverse order), shuts the testkit down and deletes the work directory.
   */
  public static final class Rig implements AutoCloseable {
    private final ActorTestKit kit = ActorTestKit.create();
    private final TestProbe<Void> probe = kit.createTestProbe();
    private final Path work;
    private final List<NodeProcess> started = new ArrayList<>();

    public Rig(String prefix) throws IOException {
      work = Files.createTempDirectory(prefix);
    }

    public Path work() {
      return work;
    }

    public TestProbe<Void> probe() {
      return probe;
    }

    /** {@link NodeProcess#start} with data directory {@code WORK/dataName}, stopped in {@link #close()}. */
    public NodeProcess start(String dataName, String tag, String... extra) throws IOException {
      NodeProcess p = NodeProcess.start(probe, work.resolve(dataName), tag, extra);
      started.add(p);
      return p;
    }

    @Override
    public void close() throws Exception {
      try {
        for (int i = started.size() - 1; i >= 0; i--) {
          started.get(i).close();
        }
      } finally {
        kit.shutdownTestKit();
        try (var paths = Files.walk(work)) {
          paths.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
      }
    }
  }
}
