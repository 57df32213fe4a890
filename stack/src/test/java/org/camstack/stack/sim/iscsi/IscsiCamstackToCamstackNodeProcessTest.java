package org.camstack.stack.sim.iscsi;

import static org.camstack.stack.node.NodeProcess.ctl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.camstack.persistence.cli.CliRun;
import org.camstack.stack.node.NodeProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 12's camstack-to-camstack case with two real {@code camstack node} processes: node B serves
 * its default topology on its iSCSI portal; node A (no emulated bus) attaches B's target 0:0 with
 * {@code ctl iscsi add}. A LUN pulled on B ({@code ctl lun remove}) disappears from A's devlist (its
 * da and pass detach through the lifetime protocol); plugged back it returns with the same units.
 * Both nodes are stopped by PID.
 */
@Timeout(240)
class IscsiCamstackToCamstackNodeProcessTest {
  private static final Pattern IQN = Pattern.compile("(iqn\\.[\\w.:-]+\\.b0\\.t0)\\b");
  private static final Pattern LUN1 = Pattern.compile("at scbus\\d+ target 0 lun 1 \\(([^)]*)\\)");

  private NodeProcess.Rig rig;
  private TestProbe<Void> probe;

  @BeforeEach
  void setUp() throws Exception {
    rig = new NodeProcess.Rig("camstack-c2c");
    probe = rig.probe();
  }

  @AfterEach
  void tearDown() throws Exception {
    rig.close();
  }

  /** A's periphs of the remote LUN 1 (sorted), once it has da and pass. */
  private String awaitLun1(String apiA) {
    return probe.awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
      CliRun r = ctl(apiA, "devlist");
      assertEquals(0, r.exit(), r.err());
      Matcher m = LUN1.matcher(r.out());
      assertTrue(m.find(), "no remote lun 1 in\n" + r.out());
      String periphs = m.group(1);
      assertTrue(periphs.matches(".*\\bda\\d+.*") && periphs.matches(".*\\bpass\\d+.*"), periphs);
      return units(periphs);
    });
  }

  /** The attached units, without the transient probeN periph the XPT runs while it (re)probes. */
  private static String units(String periphs) {
    TreeSet<String> set = new TreeSet<>(List.of(periphs.split(",")));
    set.removeIf(u -> u.startsWith("probe"));
    return set.toString();
  }

  @Test
  void aLunPulledOnBLeavesAAndComesBackWithTheSameUnits() throws Exception {
    NodeProcess nodeB = rig.start("b", "nodeB", "--iscsi-port", "0");
    String apiB = nodeB.awaitReady();
    int port = nodeB.awaitIscsiPort();
    CliRun plug = ctl(apiB, "lun", "add", "0:0:1", "--size", "64M", "--backing", "ram");
    assertEquals(0, plug.exit(), plug.both());
    CliRun ports = ctl(apiB, "--json", "port", "list");
    Matcher iqn = IQN.matcher(ports.out());
    assertTrue(iqn.find(), ports.out());
    String url = "iscsi://127.0.0.1:" + port + "/" + iqn.group(1);

    Path conf = rig.work().resolve("a.conf");
    Files.writeString(conf, "camstack.topology.buses = []\n");
    NodeProcess nodeA = rig.start("a", "nodeA", "--iscsi-port", "off", "--config", conf.toString());
    String apiA = nodeA.awaitReady();
    CliRun add = ctl(apiA, "iscsi", "add", url);
    assertEquals(0, add.exit(), add.both());
    String units = awaitLun1(apiA);

    // pulled on B: A's next scan of the bus loses it (da and pass detach)
    CliRun rm = ctl(apiB, "lun", "remove", "0:0:1");
    assertEquals(0, rm.exit(), rm.both());
    probe.awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
      ctl(apiA, "rescan", "all");
      CliRun r = ctl(apiA, "devlist");
      assertFalse(LUN1.matcher(r.out()).find(), "lun 1 still listed on A:\n" + r.out());
      return null;
    });

    // plugged back on B (refused while the pulled one drains): the same units on A
    probe.awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
      CliRun again = ctl(apiB, "lun", "add", "0:0:1", "--size", "64M", "--backing", "ram");
      assertEquals(0, again.exit(), again.both());
      return null;
    });
    probe.awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(300), () -> {
      ctl(apiA, "rescan", "all");
      CliRun r = ctl(apiA, "devlist");
      Matcher m = LUN1.matcher(r.out());
      assertTrue(m.find(), "lun 1 not back on A:\n" + r.out());
      assertEquals(units, units(m.group(1)), "the same units after the LUN came back");
      return null;
    });

    assertEquals(0, ctl(apiA, "iscsi", "remove", url).exit());
    assertEquals(0, nodeA.stop(), "node A exit code");
    assertEquals(0, nodeB.stop(), "node B exit code");
  }
}
