package org.camstack.stack.sim.iscsi;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real {@code tgtd} (Debian tgt) for tests: on a free loopback port with its own control port,
 * one target with a file-backed LUN 1 (tgt's LUN 0 is its controller), stopped by PID in {@link
 * #close()}, every step bounded in time. Without tgtd/tgtadm on the PATH the test is skipped, unless
 * {@code CAMSTACK_REQUIRE_ISCSI_TOOLS=1} (.ci/run) makes it fail.
 */
final class Tgt implements AutoCloseable {
  static final String IQN = "iqn.2026-12.org.camstack:initiator-test";

  final int port;
  final int control;
  final Path backing;
  private final Process tgtd;
  private final Path log;

  private Tgt(int port, int control, Path backing, Process tgtd, Path log) {
    this.port = port;
    this.control = control;
    this.backing = backing;
    this.tgtd = tgtd;
    this.log = log;
  }

  /** Skips (or fails when required) without tgt. */
  static void requireTgt() {
    boolean present = onPath("tgtd") && onPath("tgtadm");
    if (!present && "1".equals(System.getenv("CAMSTACK_REQUIRE_ISCSI_TOOLS"))) {
      throw new AssertionError("tgtd/tgtadm are required (CAMSTACK_REQUIRE_ISCSI_TOOLS=1) but not on the PATH");
    }
    Assumptions.assumeTrue(present, "tgtd/tgtadm not installed (Debian package tgt): skipped");
  }

  static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return Files.isExecutable(Path.of("/usr/sbin", tool));
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Starts tgtd with one target whose LUN 1 is {@code backing} (created sparse at {@code size} bytes). */
  static Tgt start(Path dir, long size) throws Exception {
    Path backing = dir.resolve("tgt-lun1.img");
    try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
      f.setLength(size);
    }
    int port = freePort();
    int control;
    do {
      control = 1000 + ThreadLocalRandom.current().nextInt(30000);
    } while (Files.exists(Path.of("/run/tgtd/socket." + control)));
    Path log = dir.resolve("tgtd.log");
    Process p = new ProcessBuilder(tool("tgtd"), "-f", "--iscsi", "portal=127.0.0.1:" + port, "-C", Integer.toString(control))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Tgt t = new Tgt(port, control, backing, p, log);
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (t.adm("--mode", "system", "--op", "show") != 0) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("tgtd did not come up: " + Files.readString(log));
        }
        Thread.sleep(100); // polling an external process: no actor to wait on
      }
      t.admOk("--lld", "iscsi", "--mode", "target", "--op", "new", "--tid", "1", "--targetname", IQN);
      t.admOk("--lld", "iscsi", "--mode", "logicalunit", "--op", "new", "--tid", "1", "--lun", "1",
          "--backing-store", backing.toString());
      t.admOk("--lld", "iscsi", "--mode", "target", "--op", "bind", "--tid", "1", "--initiator-address", "ALL");
      return t;
    } catch (Exception e) {
      t.close();
      throw e;
    }
  }

  String url() {
    return "iscsi://127.0.0.1:" + port + "/" + IQN;
  }

  private static String tool(String name) {
    return Files.isExecutable(Path.of("/usr/sbin", name)) ? "/usr/sbin/" + name : name;
  }

  int adm(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(tool("tgtadm"), "-C", Integer.toString(control)));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    p.getInputStream().readAllBytes();
    return p.exitValue();
  }

  void admOk(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(tool("tgtadm"), "-C", Integer.toString(control)));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", cmd) + ": timed out");
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
    }
  }

  long pid() {
    return tgtd.pid();
  }

  @Override
  public void close() throws Exception {
    if (tgtd.isAlive()) {
      tgtd.destroy(); // SIGTERM to this PID
      if (!tgtd.waitFor(20, TimeUnit.SECONDS)) {
        tgtd.destroyForcibly();
        tgtd.waitFor(20, TimeUnit.SECONDS);
      }
    }
    Files.deleteIfExists(Path.of("/run/tgtd/socket." + control));
    Files.deleteIfExists(Path.of("/run/tgtd/socket." + control + ".lock"));
  }
}
