package org.camstack.stack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.camstack.stack.node.NodeSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The node's command-line options reach the settings the node runs with. */
class NodeOptionsTest {

  private static NodeCommand parse(String... args) {
    PrintStream sink = new PrintStream(new ByteArrayOutputStream());
    NodeCommand c = new NodeCommand(sink, sink);
    new CommandLine(c).parseArgs(args);
    return c;
  }

  @Test
  void tokenFileAllowedHostsAndMemoryBudgetBecomeSettings(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("token");
    Files.writeString(f, "s3cret\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    NodeCommand c = parse("--token-file", f.toString(), "--allowed-host", "node1.lab", "--memory-budget", "64MiB");
    NodeSettings s = NodeSettings.load(Optional.empty(), c.overrides(), Map.of());
    assertEquals(Optional.of("s3cret"), s.token());
    assertEquals(List.of("node1.lab"), s.allowedHosts());
    assertEquals(64L << 20, s.memoryBudget());
  }

  @Test
  void aTokenFileOthersCanReadIsRefused(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("token");
    Files.writeString(f, "s3cret\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
    NodeCommand c = parse("--token-file", f.toString());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> NodeSettings.load(Optional.empty(), c.overrides(), Map.of()));
    assertFalse(e.getMessage().isBlank());
  }
}
