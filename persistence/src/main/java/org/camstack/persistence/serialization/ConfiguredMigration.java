package org.camstack.persistence.serialization;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * Schema history of the snapshot {@code DeviceEntity.Configured} (registered in {@code
 * reference.conf}).
 *
 * <ul>
 *   <li>Version 1: without {@code disabledPhys}.
 *   <li>Version 2: {@code disabledPhys}, a SAS expander's disabled phys in ascending order; a
 *       version-1 snapshot had every phy enabled (the phy state was not durable), so it becomes
 *       {@code []}.
 * </ul>
 *
 * <p>Golden fixtures: {@code golden/CamDevice/Configured.v1.json} and {@code .v2.json}.
 */
public final class ConfiguredMigration extends JacksonMigration {

  @Override
  public int currentVersion() {
    return 2;
  }

  @Override
  public JsonNode transform(int fromVersion, JsonNode json) {
    if (fromVersion >= 2 || !(json instanceof ObjectNode root)) {
      return json;
    }
    if (!root.has("disabledPhys")) {
      root.putArray("disabledPhys");
    }
    return root;
  }
}
