package org.camstack.stack.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NodeFilesTest {

  @Test
  void aSecondNodeOnTheSameDataDirectoryIsRefusedWithOneLine() throws Exception {
    Path dir = Files.createTempDirectory("camstack-lock");
    try (NodeFiles first = NodeFiles.lock(dir)) {
      first.writeInfo(new NodeFiles.NodeInfo(4242, "http://127.0.0.1:9", 9, 10, "camstack@127.0.0.1:10", dir.toString(), 0));
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> NodeFiles.lock(dir));
      assertEquals(
          "data directory " + dir + " is in use by another node (pid 4242, http://127.0.0.1:9); stop it or use --data DIR",
          e.getMessage());
    }
    try (NodeFiles again = NodeFiles.lock(dir)) {
      again.deleteInfo();
      assertTrue(NodeFiles.readInfo(dir).isEmpty());
    }
  }

  @Test
  void theHostIdIsMadeOnceAndKept() throws Exception {
    Path dir = Files.createTempDirectory("camstack-host");
    String id;
    try (NodeFiles f = NodeFiles.lock(dir)) {
      id = f.hostId("");
      assertTrue(id.startsWith("host-"), id);
      assertEquals("mine", f.hostId("mine"));
    }
    try (NodeFiles f = NodeFiles.lock(dir)) {
      assertEquals(id, f.hostId(null));
    }
  }

  @Test
  void settingsCheckSeedsPortsAndJournalUrls() {
    NodeSettings s =
        NodeSettings.load(
            Optional.empty(),
            Map.of("camstack.node.seed-nodes", List.of("127.0.0.1:2552"), "camstack.node.port", 0, "camstack.journal.url", "jdbc:postgresql://127.0.0.1/camstack"));
    assertEquals(List.of("127.0.0.1:2552"), s.seeds());
    assertEquals("pekko://camstack@127.0.0.1:2552", NodeSettings.seedUri("127.0.0.1:2552"));
    assertEquals(
        "bad --seed 'nohost': expected HOST:PORT",
        assertThrows(IllegalArgumentException.class, () -> NodeSettings.seedUri("nohost")).getMessage());
    assertThrows(IllegalArgumentException.class, () -> NodeSettings.load(Optional.empty(), Map.of("camstack.node.port", 70000)));
    assertThrows(
        IllegalArgumentException.class, () -> NodeSettings.load(Optional.empty(), Map.of("camstack.journal.url", "jdbc:mysql://x")));
    assertThrows(IllegalArgumentException.class, () -> NodeSettings.load(Optional.of(Path.of("/no/such.conf")), Map.of()));
    assertEquals("127.0.0.1", s.systemConfig().getString("pekko.remote.artery.canonical.hostname"));
    assertEquals("cluster", s.systemConfig().getString("pekko.actor.provider"));
  }
}
