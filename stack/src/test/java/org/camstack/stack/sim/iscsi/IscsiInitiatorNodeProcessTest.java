package org.camstack.stack.sim.iscsi;

import static org.camstack.stack.node.NodeProcess.ctl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
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
 * Issue 12's "Done means" against a real {@code camstack node} process and a real tgtd: {@code ctl
 * iscsi add iscsi://127.0.0.1:PORT/IQN} makes {@code ctl devlist} list tgt's disk {@code <IET
 * VIRTUAL-DISK 0001>} with da and pass; {@code ctl iscsi list} shows the session connected; the
 * session is journalled, so after a node restart it is back and the disk has the same unit names;
 * {@code ctl iscsi remove} detaches it cleanly. tgtd and the node are stopped by PID.
 */
@Timeout(240)
class IscsiInitiatorNodeProcessTest {
  private static final Pattern IET_DISK =
      Pattern.compile("<IET VIRTUAL-DISK 0001>\\s+at scbus(\\d+) target 0 lun 1 \\(([^)]*)\\)");

  private NodeProcess.Rig rig;
  private TestProbe<Void> probe;
  private Tgt tgt;

  @BeforeEach
  void setUp() throws Exception {
    Tgt.requireTgt();
    rig = new NodeProcess.Rig("camstack-initiator-node");
    probe = rig.probe();
    tgt = Tgt.start(rig.work(), 32L << 20);
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (tgt != null) {
        tgt.close();
      }
    } finally {
      rig.close();
    }
  }

  /** The IET disk's periph list once it has da and pass. */
  private String awaitIetDisk(String api) {
    return probe.awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
      CliRun r = ctl(api, "devlist");
      assertEquals(0, r.exit(), r.err());
      Matcher m = IET_DISK.matcher(r.out());
      assertTrue(m.find(), "no IET disk in\n" + r.out());
      String periphs = m.group(2);
      assertTrue(periphs.matches(".*\\bda\\d+.*") && periphs.matches(".*\\bpass\\d+.*"), periphs);
      return new java.util.TreeSet<>(java.util.List.of(periphs.split(","))).toString(); // attach order varies
    });
  }

  @Test
  void addListRestartRemove() throws Exception {
    NodeProcess node = rig.start("data", "node1", "--iscsi-port", "off");
    String api = node.awaitReady();
    CliRun add = ctl(api, "iscsi", "add", tgt.url());
    assertEquals(0, add.exit(), add.both());
    assertTrue(add.out().contains("iscsi0"), add.out());
    String periphs = awaitIetDisk(api);
    CliRun list = ctl(api, "iscsi", "list");
    assertTrue(list.out().contains("Connected") && list.out().contains(tgt.url()), list.out());
    CliRun again = ctl(api, "iscsi", "add", tgt.url());
    assertTrue(again.exit() != 0 && again.both().contains("exists"), again.both());
    CliRun bad = ctl(api, "iscsi", "add", "iscsi://127.0.0.1:1/");
    assertTrue(bad.exit() != 0 && bad.both().contains("target name"), bad.both());

    // durable: the restarted node reconnects the session; the disk has the same units
    assertEquals(0, node.stop());
    node = rig.start("data", "node2", "--iscsi-port", "off");
    api = node.awaitReady();
    assertEquals(periphs, awaitIetDisk(api), "same units after the restart");

    CliRun rm = ctl(api, "iscsi", "remove", tgt.url());
    assertEquals(0, rm.exit(), rm.both());
    String finalApi = api;
    probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(200), () -> {
      CliRun r = ctl(finalApi, "devlist");
      assertTrue(!r.out().contains("IET"), "still listed:\n" + r.out());
      return null;
    });
    assertTrue(!ctl(api, "iscsi", "list").out().contains(tgt.url()));
  }
}
