package org.camstack.stack.node;

import static org.camstack.stack.durable.DurableJournal.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.camstack.persistence.cli.CliRun;
import org.camstack.persistence.inspect.JournalInspector;
import org.camstack.stack.durable.DurableJournal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The whole node on a real JDBC journal ({@link DurableNodeH2Test}, {@link DurableNodePostgresTest}):
 * after a restart on the same journal the same devices come back under the same unit names (a LUN
 * pulled stays out, a LUN plugged at runtime comes back with its size), and the journal
 * inspector's {@code verify} passes the lifetime trail of that run and catches a legacy-mode
 * (2012-pre) run recorded to the journal.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
abstract class DurableNodeSuite {

  /** Config overrides that point a node at the journal under test (none: H2 in its data dir). */
  abstract Map<String, Object> journalOverrides();

  /** Inspector options for the journal a node with {@code dataDir} wrote. */
  abstract List<String> inspectorArgs(Path dataDir);

  private static final ActorTestKit TESTKIT = ActorTestKit.create();
  private static final TestProbe<Void> PROBE = TESTKIT.createTestProbe();

  @AfterAll
  void shutdownTestKit() {
    TESTKIT.shutdownTestKit();
  }

  private Path topologyFile(Path dir) throws IOException {
    StringBuilder t = new StringBuilder("camstack.topology.buses = [ { name = emusim, max-lun = 7, targets = [\n");
    for (int target = 0; target < 4; target++) {
      t.append("{ id = ").append(target).append(", luns = [ { lun = 0, size = 32M, store = ram, wwn = \"")
          .append(DurableJournal.wwn(0x400 + target)).append("\" } ] }\n");
    }
    t.append("] } ]\n");
    Files.createDirectories(dir);
    Path f = dir.resolve("topology.conf");
    Files.writeString(f, t.toString());
    return f;
  }

  private EmulatorNode start(Path data, String host, boolean legacy) throws IOException {
    Map<String, Object> o = new HashMap<>(journalOverrides());
    o.put("camstack.node.port", 0);
    o.put("camstack.node.cluster-port", 0);
    o.put("camstack.data-dir", data.toString());
    o.put("camstack.node.host-id", host);
    o.put("camstack.legacy-mode", legacy);
    o.put("pekko.loglevel", "INFO");
    NodeSettings s = NodeSettings.load(Optional.of(topologyFile(data.resolveSibling(data.getFileName() + "-conf"))), o);
    return EmulatorNode.start(s, new PrintStream(OutputStream.nullOutputStream()));
  }

  private static void stop(EmulatorNode n) {
    await(n.shutdown(), Duration.ofSeconds(60));
  }

  /** The devlist as {@code B:T:L [sorted periph names]} lines (attach order does not matter). */
  private static List<String> names(EmulatorNode n) {
    List<String> out = new ArrayList<>();
    for (ApiModel.Bus b : await(n.service().devlist()).buses()) {
      for (ApiModel.Device d : b.devices()) {
        if (!d.unconfigured() && d.bus() >= 0) {
          List<String> p = new ArrayList<>(d.periphs());
          p.sort(null);
          out.add(d.path() + " " + p);
        }
      }
    }
    return out;
  }

  /**
   * Waits until {@code ok} holds on a settled devlist: every device has its pass and its da, no
   * transient probe periph is listed.
   */
  private static List<String> eventually(EmulatorNode n, Predicate<List<String>> ok) {
    return PROBE.awaitAssert(
        Duration.ofSeconds(30),
        Duration.ofMillis(100),
        () -> {
          List<String> l = names(n);
          assertTrue(settled(l) && ok.test(l), () -> "not yet: " + l);
          return l;
        });
  }

  private static boolean settled(List<String> names) {
    return names.stream().allMatch(l -> l.contains("pass") && l.contains("da") && !l.contains("probe"));
  }

  private static boolean has(List<String> names, String path) {
    return names.stream().anyMatch(l -> l.startsWith(path + " ") && l.contains("pass"));
  }

  private static String passOf(List<String> names, String path) {
    for (String l : names) {
      if (l.startsWith(path + " ")) {
        for (String p : l.substring(l.indexOf('[') + 1, l.length() - 1).split(", ")) {
          if (p.startsWith("pass")) {
            return p;
          }
        }
      }
    }
    throw new AssertionError("no pass at " + path + " in " + names);
  }

  private record Run(int exit, String out) {}

  private Run journal(Path data, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(1, inspectorArgs(data));
    CliRun r = CliRun.capture(JournalInspector::run, all.toArray(String[]::new));
    return new Run(r.exit(), r.both());
  }

  @Test
  void aRestartedNodeHasTheSameDevicesUnderTheSameNamesAndItsTrailVerifies() throws Exception {
    Path data = DurableJournal.dataDir("DurableNode-fixed-" + getClass().getSimpleName()).resolve("data");
    String host = DurableJournal.host("fixed");
    EmulatorNode a = start(data, host, false);
    List<String> first = eventually(a, l -> l.size() == 4);
    // hot-unplug of 0:2:0 while its pass node is open; a LUN plugged at runtime, then resized
    ApiModel.Handle h = await(a.service().open("test", new ApiModel.Open(passOf(first, "0:2:0"))));
    await(a.service().lunRemove("0:2:0"));
    await(a.service().close(h.handle()));
    await(a.service().lunAdd(new ApiModel.LunAdd("0:5:0", "disk", 16L << 20, 512, null, null, null, null)));
    await(a.service().lunResize("0:5:0", new ApiModel.LunResize(48L << 20)));
    List<String> before = eventually(a, l -> !has(l, "0:2:0") && has(l, "0:5:0"));
    ApiModel.Topology topo = await(a.service().topology());
    stop(a);

    EmulatorNode b = start(data, host, false);
    try {
      assertEquals(before, eventually(b, l -> l.size() == before.size()));
      assertEquals(topo, await(b.service().topology()));
      ApiModel.LunInfo added =
          topo.buses().get(0).luns().stream().filter(l -> l.path().equals("0:5:0")).findFirst().orElseThrow();
      assertEquals(48L << 11, added.blocks());
      assertFalse(topo.buses().get(0).luns().stream().anyMatch(l -> l.path().equals("0:2:0")));
      // the pulled LUN comes back under its old names when plugged again
      await(b.service().lunAdd(new ApiModel.LunAdd("0:2:0", "disk", 32L << 20, 512, null, null, null, null)));
      assertEquals(first, eventually(b, l -> has(l, "0:2:0")).stream().filter(l -> !l.startsWith("0:5:0")).toList());
    } finally {
      stop(b);
    }

    Run v = journal(data, "verify", "--host", host);
    assertEquals(0, v.exit(), v.out());
    assertTrue(v.out().contains("all invariants hold"), v.out());
    Run inv = journal(data, "show", "CamInventory|" + host);
    assertEquals(0, inv.exit(), inv.out());
    assertTrue(inv.out().contains("DevicesUnplugged") && inv.out().contains("DevicesPlugged"), inv.out());
  }

  @Test
  void verifyCatchesALegacyModeRunRecordedToTheJournal() throws Exception {
    Path data = DurableJournal.dataDir("DurableNode-legacy-" + getClass().getSimpleName()).resolve("data");
    String host = DurableJournal.host("legacy");
    EmulatorNode n = start(data, host, true);
    try {
      List<String> first = eventually(n, l -> l.size() == 4);
      // the 2012 pass(4) bug: the device is lost while pass is open, comes back before the close
      ApiModel.Handle h = await(n.service().open("test", new ApiModel.Open(passOf(first, "0:1:0"))));
      await(n.service().lunRemove("0:1:0"));
      await(n.service().lunAdd(new ApiModel.LunAdd("0:1:0", "disk", 32L << 20, 512, null, null, null, null)));
      await(n.service().close(h.handle()));
      eventually(n, l -> has(l, "0:1:0"));
    } finally {
      stop(n);
    }
    Run v = journal(data, "verify", "--host", host);
    assertEquals(1, v.exit(), v.out());
    assertTrue(v.out().contains("BREACH"), v.out());
  }
}
