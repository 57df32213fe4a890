package org.camstack.bench.iscsi;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The processes one {@code bench iscsi} run starts (a camstack node, tgtd, iscsi-perf, iscsi-ls):
 * each is tracked by its PID and stopped by it — SIGTERM, then SIGKILL after a grace period — when
 * {@link #close()} runs, on success, failure or Ctrl-C (a shutdown hook). Output goes to files, never
 * to a pipe that could fill.
 */
public final class Children implements AutoCloseable {

  private final Path dir;
  private final List<Process> started = new ArrayList<>();
  private final Thread hook = new Thread(this::stopAll, "bench-iscsi-children");

  public Children(Path dir) {
    this.dir = dir;
    Runtime.getRuntime().addShutdownHook(hook);
  }

  public Path dir() {
    return dir;
  }

  /** Starts {@code command} with stdout and stderr in {@code <tag>.out}. */
  public synchronized Process start(String tag, List<String> command) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve(tag + ".out").toFile());
    Process p = pb.start();
    started.add(p);
    return p;
  }

  public String output(String tag) throws IOException {
    Path f = dir.resolve(tag + ".out");
    return Files.exists(f) ? Files.readString(f, StandardCharsets.ISO_8859_1) : "";
  }

  /** Runs {@code command} to its end (killed after {@code timeout}); its exit code and output. */
  public Finished run(String tag, Duration timeout, List<String> command) throws IOException, InterruptedException {
    Process p = start(tag, command);
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      stop(p, Duration.ofSeconds(5));
      throw new IllegalStateException(String.join(" ", command) + " still running after " + timeout + "; stopped. Output:\n"
          + output(tag));
    }
    return new Finished(p.exitValue(), output(tag));
  }

  public record Finished(int exit, String output) {}

  /** SIGTERM, wait {@code grace}, then SIGKILL; by PID. */
  public static void stop(Process p, Duration grace) throws InterruptedException {
    if (p.isAlive()) {
      p.destroy();
      if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private synchronized void stopAll() {
    for (Process p : started) {
      try {
        stop(p, Duration.ofSeconds(30));
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() {
    stopAll();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or has run
    }
  }

  /** A loopback TCP port free right now. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Whether {@code name} is an executable on the PATH. */
  public static boolean onPath(String name) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
        return true;
      }
    }
    return false;
  }
}
