package org.camstack.bench.iscsi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.camstack.bench.report.Progress;

/**
 * libiscsi's {@code iscsi-perf} (READ(16) only: it has no write mode) against a camstack node and
 * against tgt, both started here on free loopback ports with an equal RAM-backed LUN (camstack: the
 * default topology's 1 GiB sparse RAM disk at bus 0 target 0 LUN 0; tgt: a 1 GiB sparse file in
 * /dev/shm as LUN 1), runs interleaved (camstack, tgt, camstack, ...). Per run: IOPS from iscsi-perf's
 * final "iops average", the client's CPU (bash's {@code times} for its child) and the server's CPU
 * ({@code /proc/PID/stat} before and after), each over the run's wall time.
 */
public final class IscsiBench {

  private IscsiBench() {}

  public static final String INITIATOR = "iqn.2026-12.org.camstack:bench";

  /**
   * @param qd requests in flight ({@code iscsi-perf -m})
   * @param blocks 512-byte blocks per read ({@code -b}; 8 = 4 KiB)
   * @param seconds measured seconds per run ({@code -t})
   * @param warmupSeconds one unmeasured run per target first (the JVM compiles its hot path)
   */
  public record Options(int qd, int blocks, int seconds, int warmupSeconds, int repeat, boolean camstack, boolean tgt,
      String java, String classpath, Path work) {}

  /** A started target: what serves, its PID, the URL of its 1 GiB LUN. */
  public record Served(String name, long pid, String url) {}

  /** One measured run. */
  public record Sample(String target, long iops, double wallSeconds, double clientCores, double serverCores) {}

  private static final Pattern PORTAL = Pattern.compile("iSCSI portal listening on 127\\.0\\.0\\.1:(\\d+)");
  private static final Pattern TARGET = Pattern.compile("^Target:(\\S+) Portal:", Pattern.MULTILINE);
  private static final Pattern IOPS = Pattern.compile("iops average (\\d+)");
  private static final Pattern TIMES = Pattern.compile("(\\d+)m([\\d.]+)s\\s+(\\d+)m([\\d.]+)s");

  /** Every sample, by target, in run order. */
  public static Map<String, List<Sample>> run(Options o, Progress progress) throws Exception {
    for (String tool : List.of("iscsi-perf", "iscsi-ls")) {
      if (!Children.onPath(tool)) {
        throw new IllegalStateException(tool + " is not installed (Debian package libiscsi-bin)");
      }
    }
    if (o.tgt() && !(Children.onPath("tgtd") && Children.onPath("tgtadm"))) {
      throw new IllegalStateException("tgtd/tgtadm are not installed (Debian package tgt); --no-tgt measures camstack alone");
    }
    Map<String, List<Sample>> out = new LinkedHashMap<>();
    Path shm = null;
    Tgt tgt = null;
    try (Children children = new Children(o.work())) {
      List<Served> targets = new ArrayList<>();
      if (o.camstack()) {
        progress.step("starting camstack node");
        targets.add(startCamstack(children, o));
        progress.stepDone();
      }
      if (o.tgt()) {
        progress.step("starting tgtd");
        shm = Path.of("/dev/shm", "camstack-bench-tgt-" + ProcessHandle.current().pid() + "-" + ThreadLocalRandom.current().nextInt(1 << 20) + ".img");
        tgt = startTgt(children, shm);
        targets.add(tgt.served());
        progress.stepDone();
      }
      for (Served s : targets) {
        out.put(s.name(), new ArrayList<>());
        if (o.warmupSeconds() > 0) {
          progress.step("warm-up " + s.name());
          perf(children, s, o, o.warmupSeconds(), s.name() + "-warmup");
          progress.stepDone();
        }
      }
      for (int i = 0; i < o.repeat(); i++) {
        for (Served s : targets) {
          progress.step(s.name() + " run " + (i + 1) + "/" + o.repeat());
          out.get(s.name()).add(perf(children, s, o, o.seconds(), s.name() + "-" + (i + 1)));
          progress.stepDone();
        }
      }
      if (tgt != null) {
        children.run("tgtadm-stop", Duration.ofSeconds(20),
            List.of("tgtadm", "-C", Integer.toString(tgt.control()), "--mode", "system", "--op", "delete"));
      }
    } finally {
      if (shm != null) {
        Files.deleteIfExists(shm);
      }
      Path data = o.work().resolve("camstack-data"); // the node's journal; the logs stay
      if (Files.isDirectory(data)) {
        try (var paths = Files.walk(data)) {
          paths.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
      }
      if (tgt != null) {
        for (String suffix : List.of("", ".lock")) {
          Files.deleteIfExists(Path.of("/run/tgtd/socket." + tgt.control() + suffix));
        }
      }
    }
    return out;
  }

  /** Steps {@link #run} reports to its progress bar. */
  public static int steps(Options o) {
    int targets = (o.camstack() ? 1 : 0) + (o.tgt() ? 1 : 0);
    return targets * (1 + (o.warmupSeconds() > 0 ? 1 : 0) + o.repeat());
  }

  static Served startCamstack(Children children, Options o) throws Exception {
    Path data = o.work().resolve("camstack-data");
    Process node = children.start("camstack-node", List.of(o.java(), "-cp", o.classpath(), "org.camstack.stack.cli.Main", "node",
        "--port", "0", "--cluster-port", "0", "--iscsi-port", "0", "--data", data.toString()));
    int port = -1;
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (port < 0) {
      Matcher m = PORTAL.matcher(children.output("camstack-node"));
      if (m.find()) {
        port = Integer.parseInt(m.group(1));
      } else if (!node.isAlive()) {
        throw new IllegalStateException("camstack node exited with " + node.exitValue() + ":\n" + children.output("camstack-node"));
      } else if (System.nanoTime() > deadline) {
        throw new IllegalStateException("camstack node printed no 'iSCSI portal listening on' line in 120 s");
      } else {
        Thread.sleep(100);
      }
    }
    // bus 0 target 0 (the 1 GiB RAM disk) once discovery lists it
    while (true) {
      Children.Finished ls = children.run("iscsi-ls", Duration.ofSeconds(20), List.of("iscsi-ls", "-s", "iscsi://127.0.0.1:" + port));
      Matcher m = TARGET.matcher(ls.output());
      while (m.find()) {
        if (m.group(1).endsWith(".b0.t0")) {
          return new Served("camstack", node.pid(), "iscsi://127.0.0.1:" + port + "/" + m.group(1) + "/0");
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no target ending .b0.t0 in iscsi-ls:\n" + ls.output());
      }
      Thread.sleep(200);
    }
  }

  record Tgt(Served served, int control) {}

  static Tgt startTgt(Children children, Path lunFile) throws Exception {
    int port = Children.freePort();
    int control;
    do {
      control = 1000 + ThreadLocalRandom.current().nextInt(30000);
    } while (Files.exists(Path.of("/run/tgtd/socket." + control)));
    try (var f = new java.io.RandomAccessFile(lunFile.toFile(), "rw")) {
      f.setLength(1L << 30); // sparse, like the camstack disk
    }
    Process tgtd = children.start("tgtd", List.of("tgtd", "-f", "--iscsi", "portal=127.0.0.1:" + port, "-C", Integer.toString(control)));
    String c = Integer.toString(control);
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (children.run("tgtadm-show", Duration.ofSeconds(10), List.of("tgtadm", "-C", c, "--mode", "system", "--op", "show")).exit() != 0) {
      if (!tgtd.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException("tgtd did not come up:\n" + children.output("tgtd"));
      }
      Thread.sleep(100);
    }
    String iqn = "iqn.2026-12.org.camstack:bench-tgt";
    for (List<String> cmd : List.of(
        List.of("tgtadm", "-C", c, "--lld", "iscsi", "--mode", "target", "--op", "new", "--tid", "1", "--targetname", iqn),
        List.of("tgtadm", "-C", c, "--lld", "iscsi", "--mode", "logicalunit", "--op", "new", "--tid", "1", "--lun", "1",
            "--backing-store", lunFile.toString()),
        List.of("tgtadm", "-C", c, "--lld", "iscsi", "--mode", "target", "--op", "bind", "--tid", "1", "--initiator-address", "ALL"))) {
      Children.Finished r = children.run("tgtadm", Duration.ofSeconds(20), cmd);
      if (r.exit() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + " failed: " + r.output());
      }
    }
    return new Tgt(new Served("tgt", tgtd.pid(), "iscsi://127.0.0.1:" + port + "/" + iqn + "/1"), control);
  }

  public static Sample perf(Children children, Served s, Options o, int seconds, String tag) throws Exception {
    String cmd = "iscsi-perf -i " + INITIATOR + " -m " + o.qd() + " -b " + o.blocks() + " -t " + seconds + " -r '" + s.url() + "'";
    double server0 = CpuTicks.seconds(s.pid());
    long t0 = System.nanoTime();
    // bash's `times` prints its children's user and system CPU: the client's, to the tick
    Children.Finished r = children.run(tag, Duration.ofSeconds(seconds + 60L),
        List.of("bash", "-c", cmd + "; rc=$?; echo; echo CHILD-TIMES; times; exit $rc"));
    double wall = (System.nanoTime() - t0) / 1e9;
    double server1 = CpuTicks.seconds(s.pid());
    Matcher iops = IOPS.matcher(r.output());
    long avg = -1;
    while (iops.find()) {
      avg = Long.parseLong(iops.group(1));
    }
    if (r.exit() != 0 || avg < 0) {
      throw new IllegalStateException(cmd + " exited " + r.exit() + " without an 'iops average':\n" + r.output());
    }
    String times = r.output().substring(r.output().lastIndexOf("CHILD-TIMES"));
    Matcher t = TIMES.matcher(times);
    double client = -1;
    if (t.find() && t.find()) { // first line: the shell itself; second: its children
      client = Long.parseLong(t.group(1)) * 60 + Double.parseDouble(t.group(2)) + Long.parseLong(t.group(3)) * 60
          + Double.parseDouble(t.group(4));
    }
    Files.writeString(o.work().resolve(tag + ".cmd"), cmd + "\n");
    return new Sample(s.name(), avg, wall, client < 0 ? -1 : client / wall,
        server0 < 0 || server1 < 0 ? -1 : (server1 - server0) / wall);
  }

}
