package org.camstack.stack.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.camstack.persistence.cli.CliRun;
import org.camstack.stack.cli.CtlCommand;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * End to end: a real {@code camstack node} process on loopback ({@code --port 0 --cluster-port 0}
 * and a temp data dir), driven with {@code camstack ctl} against the URL in {@code node.json}.
 * Hot-unplug of a LUN whose pass node is open, close, re-plug under the same unit name, resize and
 * readcap, SIGTERM (exit 0), restart on the same data with the same devlist; a second node on the
 * same data refuses to start.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class EmulatorNodeProcessTest {

  private static final ActorTestKit TESTKIT = ActorTestKit.create();
  private static final TestProbe<Void> PROBE = TESTKIT.createTestProbe();
  private final List<NodeProcess> started = new ArrayList<>();

  @AfterAll
  static void shutdownTestKit() {
    TESTKIT.shutdownTestKit();
  }

  @AfterEach
  void killLeftovers() throws InterruptedException {
    for (NodeProcess p : started) {
      p.close();
    }
  }

  private NodeProcess startNode(Path data, String tag) throws IOException {
    NodeProcess p = NodeProcess.start(PROBE, data, tag);
    started.add(p);
    return p;
  }

  private static CliRun ctl(String url, String... args) {
    List<String> all = new ArrayList<>(List.of("--node", url));
    all.addAll(List.of(args));
    return CliRun.capture(CtlCommand::run, all.toArray(String[]::new));
  }

  private static CliRun ok(String url, String... args) {
    CliRun c = ctl(url, args);
    assertEquals(0, c.exit(), () -> String.join(" ", args) + " failed: " + c.err() + c.out());
    return c;
  }

  /** Re-runs a ctl read until its output satisfies {@code p} (the stack attaches asynchronously). */
  private static CliRun eventually(String url, Predicate<String> p, String... args) {
    return PROBE.awaitAssert(
        Duration.ofSeconds(20),
        Duration.ofMillis(100),
        () -> {
          CliRun c = ctl(url, args);
          assertTrue(p.test(c.out()), () -> "not yet: " + String.join(" ", args) + " -> " + c.out() + c.err());
          return c;
        });
  }

  private static String passAt(String devlist, String btl) {
    String[] p = btl.split(":");
    Matcher m =
        Pattern.compile("at scbus" + p[0] + " target " + p[1] + " lun " + p[2] + " \\((?:[a-z]+\\d+,)*(pass\\d+)").matcher(devlist);
    assertTrue(m.find(), () -> "no pass periph at " + btl + " in\n" + devlist);
    return m.group(1);
  }

  private static List<String> normalized(String devlist) {
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("^(.*)\\((.*)\\)$", Pattern.MULTILINE).matcher(devlist);
    while (m.find()) {
      List<String> periphs = new ArrayList<>(List.of(m.group(2).split(",")));
      periphs.sort(null);
      out.add(m.group(1) + periphs);
    }
    assertFalse(out.isEmpty(), devlist);
    return out;
  }

  @Test
  void hotUnplugReplugResizeRestartThroughCtl() throws Exception {
    Path data = Files.createTempDirectory("camstack-e2e").resolve("data");
    NodeProcess node = startNode(data, "a");
    String url = node.awaitReady();

    String devlist = ok(url, "devlist").out();
    assertTrue(devlist.contains("<CAMSTACK EMU-DISK 0001>"), devlist);
    String lun = "0:2:0";
    String pass = passAt(devlist, lun);

    // remove the LUN while its pass node is open
    String handle = ok(url, "open", pass).out().trim();
    ok(url, "lun", "remove", lun);
    eventually(url, out -> !out.contains("at scbus0 target 2 lun 0 "), "devlist");
    CliRun gone = ctl(url, "inquiry", lun);
    assertEquals(1, gone.exit());
    ok(url, "close", handle);

    // plug it back: the same unit name
    ok(url, "lun", "add", lun, "--size", "512M");
    Pattern back = Pattern.compile("at scbus0 target 2 lun 0 \\(([a-z]+\\d+,)*" + pass + "[,)]");
    String again = eventually(url, out -> back.matcher(out).find(), "devlist").out();
    assertEquals(pass, passAt(again, lun));

    // resize: readcap shows the new size
    ok(url, "lun", "resize", lun, "1G");
    assertEquals("Last Block: 2097151, Block Length: 512 bytes\n", ok(url, "readcap", lun).out());
    assertEquals("Device Size: 1.0 G, Block Length: 512 bytes\n", ok(url, "readcap", pass, "-h").out());

    // a second node on the same data refuses to start
    Process second = startNode(data, "b").process();
    assertTrue(second.waitFor(90, TimeUnit.SECONDS));
    assertEquals(1, second.exitValue());
    String err = Files.readString(data.resolveSibling("data-b.err"));
    assertTrue(err.contains("is in use by another node"), err);

    String before = ok(url, "devlist").out();
    assertEquals(0, node.stop()); // SIGTERM
    assertFalse(Files.exists(data.resolve(NodeFiles.INFO_FILE)), "node.json left behind");
    CliRun down = ctl(url, "devlist");
    assertEquals(1, down.exit());
    assertEquals("camstack ctl: cannot reach node at " + url + "\n", down.err());

    // restart on the same data: the same devlist
    NodeProcess restarted = startNode(data, "c");
    String url2 = restarted.awaitReady();
    assertNotNull(url2);
    // same devices under the same unit names (the order inside the parentheses is attach order,
    // which camcontrol shows either way: (pass0,da0) or (da0,pass0))
    assertEquals(normalized(before), normalized(ok(url2, "devlist").out()));
    assertEquals(0, restarted.stop());
  }
}
