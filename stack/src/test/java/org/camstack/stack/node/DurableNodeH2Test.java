package org.camstack.stack.node;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The durable-node suite on the embedded H2 journal in each node's data directory (target/h2). */
class DurableNodeH2Test extends DurableNodeSuite {

  @Override
  Map<String, Object> journalOverrides() {
    return Map.of();
  }

  @Override
  List<String> inspectorArgs(Path dataDir) {
    return List.of("--db", dataDir.toString());
  }
}
