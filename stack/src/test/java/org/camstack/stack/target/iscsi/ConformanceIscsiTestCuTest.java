package org.camstack.stack.target.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.camstack.stack.cli.NodeCommand;
import org.camstack.stack.node.NodeProcess;
import org.camstack.stack.target.iscsi.ConformanceResults.Comparison;
import org.camstack.stack.target.iscsi.ConformanceResults.Outcome;
import org.camstack.stack.target.iscsi.ConformanceResults.Result;
import org.camstack.stack.target.iscsi.ConformanceResults.Run;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * Conformance with a real initiator: libiscsi's {@code iscsi-test-cu} ({@code --dataloss}, the SCSI
 * and iSCSI families, two initiator names so the multi-nexus and persistent-reservation tests run, the
 * LUN's URL given twice so the multipath tests run over a second session)
 * against the default topology's 1 GiB disk (bus 0 target 0 LUN 0) of a real {@code camstack node}
 * process ({@code --iscsi-port 0}, free ports, a fresh data dir, stopped by PID in every path), plus
 * {@code iscsi-ls}, {@code iscsi-inq} and {@code iscsi-readcapacity16}.
 *
 * <p>Each test's outcome is compared with {@code src/test/resources/iscsi/iscsi-test-cu.expected}: a
 * test expected to PASS that does not fails this test (listing every regression); a test that passes
 * but is expected to FAIL or SKIP is printed with a hint. {@code -Dcamstack.iscsi.updateExpected=true}
 * rewrites the family's lines from the run instead of comparing.
 *
 * <p>{@code -Dcamstack.iscsi.url=iscsi://HOST:PORT/IQN/LUN} runs the two families against another
 * target instead of a node (bench/iscsi-tgt-conformance.sh does so for tgt, the reference), with
 * {@code -Dcamstack.iscsi.expected=FILE} naming that target's expectation file;
 * {@code -Dcamstack.iscsi.outDir=DIR} keeps the raw output and a summary line per family there.
 *
 * <p>Without {@code iscsi-test-cu} on the PATH this is skipped (JUnit assumption), unless
 * {@code CAMSTACK_REQUIRE_ISCSI_TOOLS=1} (set by .ci/run), which makes it fail. Without the iSCSI
 * frontend on the class path (no {@code --iscsi-port} option: a branch before the frontend's) it is
 * skipped as well.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConformanceIscsiTestCuTest {

  static final String INITIATOR_1 = "iqn.2026-12.org.camstack:conformance-1";
  static final String INITIATOR_2 = "iqn.2026-12.org.camstack:conformance-2";
  static final String REQUIRE_ENV = "CAMSTACK_REQUIRE_ISCSI_TOOLS";
  private static final Pattern TARGET = Pattern.compile("^Target:(\\S+) Portal:", Pattern.MULTILINE);

  private final ActorTestKit testKit = ActorTestKit.create();
  private final TestProbe<Void> probe = testKit.createTestProbe();
  private Path work;
  private NodeProcess node;
  private boolean external;
  private int port;
  private String target;
  private String url;
  /** Families whose run did not end well: their raw output (in {@link #work}) is kept. */
  private final java.util.Set<String> failing = new java.util.concurrent.ConcurrentSkipListSet<>();

  @BeforeAll
  void startNode() throws Exception {
    requireTool("iscsi-test-cu");
    work = Files.createTempDirectory("camstack-conformance");
    Optional<String> ext = Optional.ofNullable(System.getProperty("camstack.iscsi.url")).filter(s -> !s.isBlank());
    if (ext.isPresent()) {
      external = true;
      url = ext.get();
      return;
    }
    Assumptions.assumeTrue(nodeHasOption("--iscsi-port"),
        "the iSCSI frontend (camstack node --iscsi-port) is not on this branch yet: nothing to test");
    node = NodeProcess.start(probe, work.resolve("data"), "node", "--iscsi-port", "0");
    port = node.awaitIscsiPort();
    // the default topology's bus 0 target 0, once discovery lists it (the bus attaches asynchronously)
    target = probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(200), () -> {
      String ls = tool(Duration.ofSeconds(20), "iscsi-ls", "-s", "iscsi://127.0.0.1:" + port).output();
      Matcher m = TARGET.matcher(ls);
      while (m.find()) {
        if (m.group(1).endsWith(".b0.t0")) {
          return m.group(1);
        }
      }
      return fail("no target ending .b0.t0 in\n" + ls);
    });
    url = "iscsi://127.0.0.1:" + port + "/" + target + "/0";
    System.out.println("conformance: node pid " + node.pid() + ", " + url);
  }

  @AfterAll
  void stopEverything() throws Exception {
    try {
      if (node != null) {
        node.close(); // by PID: SIGTERM, then SIGKILL
      }
    } finally {
      testKit.shutdownTestKit();
      if (work != null && failing.isEmpty()) {
        try (var paths = Files.walk(work)) {
          paths.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
      } else if (work != null) {
        System.out.println("conformance: kept " + work + " (" + String.join(", ", failing) + ")");
      }
    }
  }

  /** Whether {@code camstack node} declares {@code name} (a picocli option on a NodeCommand field). */
  static boolean nodeHasOption(String name) {
    for (java.lang.reflect.Field f : NodeCommand.class.getDeclaredFields()) {
      CommandLine.Option o = f.getAnnotation(CommandLine.Option.class);
      if (o != null && List.of(o.names()).contains(name)) {
        return true;
      }
    }
    return false;
  }

  /** Skips (or, with {@value #REQUIRE_ENV}=1, fails) when {@code name} is not on the PATH. */
  static void requireTool(String name) {
    boolean found = false;
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
        found = true;
      }
    }
    String message = name + " is not installed (Debian package libiscsi-bin: apt-get install libiscsi-bin)";
    if (!found && "1".equals(System.getenv(REQUIRE_ENV))) {
      fail(message + ", and " + REQUIRE_ENV + "=1 requires it");
    }
    Assumptions.assumeTrue(found, message + "; skipped (set " + REQUIRE_ENV + "=1 to make this a failure)");
  }

  record ToolRun(int exit, String output, Duration took) {}

  /** Runs a tool with output to a file (no pipe to fill), killed by PID when it overruns. */
  ToolRun tool(Duration timeout, String... command) throws IOException, InterruptedException {
    return runTool(work, timeout, command);
  }

  /** {@link #tool} with its output file in {@code dir}. */
  static ToolRun runTool(Path dir, Duration timeout, String... command) throws IOException, InterruptedException {
    Path out = Files.createTempFile(dir, command[0], ".out");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
    long t0 = System.nanoTime();
    Process p = pb.start();
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        fail(String.join(" ", command) + " still running after " + timeout + "; killed. Output:\n"
            + tail(Files.readString(out, StandardCharsets.ISO_8859_1), 4000));
      }
    } finally {
      if (p.isAlive()) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    }
    return new ToolRun(p.exitValue(), Files.readString(out, StandardCharsets.ISO_8859_1), Duration.ofNanos(System.nanoTime() - t0));
  }

  private static String tail(String s, int n) {
    return s.length() <= n ? s : "..." + s.substring(s.length() - n);
  }

  Path expectedFile() {
    String name = System.getProperty("camstack.iscsi.expected", "iscsi-test-cu.expected");
    Path p = Path.of(name);
    return p.isAbsolute() ? p : Path.of(System.getProperty("basedir", ".")).resolve("src/test/resources/iscsi").resolve(name);
  }

  void family(String family, Duration timeout) throws Exception {
    failing.add(family);
    // the URL twice: the second is the "multipath" URL, a second session to the same LUN, so the
    // MultipathIO tests run instead of skipping (-Dcamstack.iscsi.multipath=false: one URL)
    List<String> cmd = new ArrayList<>(List.of("iscsi-test-cu", "--dataloss", "--test=" + family, "-i", INITIATOR_1, "-I", INITIATOR_2, url));
    if (!"false".equals(System.getProperty("camstack.iscsi.multipath"))) {
      cmd.add(url);
    }
    ToolRun r = tool(timeout, cmd.toArray(String[]::new));
    Files.writeString(work.resolve("iscsi-test-cu-" + family + ".txt"), r.output());
    Run run = ConformanceResults.parse(family, r.output());
    String summary = "iscsi-test-cu " + family + " against " + url + " in " + r.took().toSeconds() + " s: " + run.describe();
    System.out.println("conformance: " + summary);
    String outDir = System.getProperty("camstack.iscsi.outDir", "");
    if (!outDir.isBlank()) {
      Path dir = Files.createDirectories(Path.of(outDir));
      Files.writeString(dir.resolve("iscsi-test-cu-" + family + ".txt"), r.output());
      Files.writeString(dir.resolve("summary.txt"), summary + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
    // iscsi-test-cu exits 1 when a test failed; anything else (or no summary) means it did not finish
    assertTrue(r.exit() == 0 || r.exit() == 1, () -> "iscsi-test-cu exited with " + r.exit() + ":\n" + tail(r.output(), 4000));
    assertTrue(run.summary().isPresent() && run.summary().get().total() == run.results().size()
            && run.summary().get().failed() == run.count(Outcome.FAIL),
        () -> "parsed " + run.describe() + " but CUnit reports " + run.summary() + ":\n" + tail(r.output(), 4000));
    Path file = expectedFile();
    List<String> current = Files.exists(file) ? Files.readAllLines(file) : List.of();
    if (Boolean.getBoolean("camstack.iscsi.updateExpected")) {
      Files.write(file, ConformanceResults.rewrite(current, family, run));
      System.out.println("conformance: rewrote " + family + " in " + file);
      failing.remove(family);
      return;
    }
    Map<String, Result> expected = ConformanceResults.readExpected(current);
    Comparison c = ConformanceResults.compare(expected, family, run);
    String hint = " (update " + file + ", e.g. mvn test -Dtest=ConformanceIscsiTestCuTest -Dcamstack.iscsi.updateExpected=true)";
    if (!c.newlyPassing().isEmpty()) {
      System.out.println("conformance: " + c.newlyPassing().size() + " " + family + " tests pass that are not expected to" + hint
          + ":\n  " + String.join("\n  ", c.newlyPassing()));
    }
    if (!c.otherChanges().isEmpty()) {
      System.out.println("conformance: other " + family + " changes" + hint + ":\n  " + String.join("\n  ", c.otherChanges()));
    }
    assertEquals(List.of(), c.regressions(), () -> c.regressions().size() + " " + family
        + " regression(s) against " + file + " (raw output in " + work + "):\n  " + String.join("\n  ", c.regressions()));
    failing.remove(family);
  }

  @Test
  @Order(1)
  @Timeout(60)
  void iscsiLsListsTheDefaultTopology() throws Exception {
    Assumptions.assumeFalse(external, "camstack-specific");
    String ls = tool(Duration.ofSeconds(30), "iscsi-ls", "-s", "iscsi://127.0.0.1:" + port).output();
    assertTrue(ls.contains("Target:" + target + " Portal:127.0.0.1:" + port + ","), ls);
    assertTrue(target.startsWith("iqn.2026-12.org.camstack:"), target);
    // the target's LUN 0 is the 1 GiB disk
    String lun0 = ls.substring(ls.indexOf("Target:" + target));
    assertTrue(Pattern.compile("\\A[^\\n]*\\nLun:0\\s+Type:DIRECT_ACCESS \\(Size:10\\d\\dM\\)").matcher(lun0).find(), ls);
  }

  @Test
  @Order(2)
  @Timeout(60)
  void iscsiInqPrintsTheDisksInquiry() throws Exception {
    Assumptions.assumeFalse(external, "camstack-specific");
    ToolRun r = tool(Duration.ofSeconds(30), "iscsi-inq", url);
    assertEquals(0, r.exit(), r.output());
    for (String line : List.of("Peripheral Qualifier:CONNECTED", "Peripheral Device Type:DIRECT_ACCESS", "Removable:0",
        "Vendor:CAMSTACK", "Product:EMU-DISK", "Revision:0001")) {
      assertTrue(r.output().lines().anyMatch(l -> l.strip().equals(line)), () -> "no '" + line + "' in\n" + r.output());
    }
    ToolRun vpd = tool(Duration.ofSeconds(30), "iscsi-inq", "-e", "1", "-c", "0x00", url);
    assertEquals(0, vpd.exit(), vpd.output());
    assertTrue(vpd.output().contains("Page:0x83 DEVICE_IDENTIFICATION"), vpd.output());
  }

  @Test
  @Order(3)
  @Timeout(60)
  void iscsiReadcapacity16SeesOneGiB() throws Exception {
    Assumptions.assumeFalse(external, "camstack-specific");
    ToolRun r = tool(Duration.ofSeconds(30), "iscsi-readcapacity16", url);
    assertEquals(0, r.exit(), r.output());
    for (String line : List.of("RETURNED LOGICAL BLOCK ADDRESS:2097151", "LOGICAL BLOCK LENGTH IN BYTES:512", "Total size:1073741824")) {
      assertTrue(r.output().lines().anyMatch(l -> l.strip().equals(line)), () -> "no '" + line + "' in\n" + r.output());
    }
  }

  @Test
  @Order(4)
  @Timeout(240)
  void iscsiFamily() throws Exception {
    family("iSCSI", Duration.ofSeconds(200));
  }

  @Test
  @Order(5)
  @Timeout(300)
  void scsiFamily() throws Exception {
    family("SCSI", Duration.ofSeconds(270));
  }
}
