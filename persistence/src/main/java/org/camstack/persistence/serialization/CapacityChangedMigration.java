package org.camstack.persistence.serialization;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * Schema history of {@code DeviceEntity.CapacityChanged} (registered in {@code reference.conf}).
 *
 * <ul>
 *   <li>Version 1: {@code {"newBlocks": N}}; the block length could not change.
 *   <li>Version 2: {@code {"blocks": N, "blockSize": B}}; {@code newBlocks} renamed to {@code
 *       blocks}, {@code blockSize} added, 0 meaning "unchanged" (which is what every version-1
 *       event meant).
 * </ul>
 *
 * <p>Pekko writes the version into the manifest ({@code ...$CapacityChanged#2}); a manifest without
 * a version is version 1. Golden fixtures: {@code golden/CamDevice/CapacityChanged.v1.json} and
 * {@code .v2.json}.
 */
public final class CapacityChangedMigration extends JacksonMigration {

  @Override
  public int currentVersion() {
    return 2;
  }

  @Override
  public JsonNode transform(int fromVersion, JsonNode json) {
    if (fromVersion >= 2 || !(json instanceof ObjectNode root)) {
      return json;
    }
    if (root.has("newBlocks")) {
      root.set("blocks", root.get("newBlocks"));
      root.remove("newBlocks");
    }
    if (!root.has("blockSize")) {
      root.put("blockSize", 0);
    }
    return root;
  }
}
