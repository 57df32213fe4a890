package org.camstack.persistence.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.persistence.device.DeviceEntity;
import org.camstack.persistence.inventory.HostInventoryEntity;
import org.camstack.persistence.wiring.HostWiringEntity;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Old journal payloads must still decode. Every journal/snapshot class has a golden JSON fixture
 * of its current version ({@code golden/<EntityType>/<Name>.v<N>.json}); older versions keep
 * theirs, decoded through their {@code JacksonMigration}. A class whose JSON changes without a new
 * version fails here.
 *
 * <p>New class: run once with {@code -Dgolden.write=true} to write its fixture, review, commit.
 */
class GoldenEventsTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Serialization serialization = SerializationExtension.get(testKit.system());
  private static final ObjectMapper json = new ObjectMapper();
  private static final int JACKSON_JSON = 31;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void everyCurrentFixtureDecodesToItsSampleAndSamplesStillEncodeToTheFixture() throws Exception {
    List<String> missing = new ArrayList<>();
    for (Map.Entry<String, Object> e : GoldenSamples.all().entrySet()) {
      Object sample = e.getValue();
      var serializer = serialization.findSerializerFor(sample);
      assertEquals(JACKSON_JSON, serializer.identifier(), e.getKey() + " must be jackson-json");
      byte[] bytes = serializer.toBinary(sample);
      String manifest = Serializers.manifestFor(serializer, sample);
      int version = manifest.contains("#") ? Integer.parseInt(manifest.split("#")[1]) : 1;
      String file = "golden/" + e.getKey() + ".v" + version + ".json";
      String golden = resource(file);
      if (golden == null) {
        if (Boolean.getBoolean("golden.write")) {
          write(file, bytes);
        }
        missing.add(file);
        continue;
      }
      Object decoded =
          serialization.deserialize(golden.getBytes(StandardCharsets.UTF_8), JACKSON_JSON, manifest).get();
      assertEquals(sample, decoded, file);
      assertEquals(json.readTree(golden), json.readTree(bytes), file + ": JSON changed without a new version");
    }
    if (!missing.isEmpty()) {
      fail("missing golden fixtures (run with -Dgolden.write=true): " + missing);
    }
  }

  @Test
  void capacityChangedVersion1DecodesThroughTheMigration() throws Exception {
    String v1 = resource("golden/CamDevice/CapacityChanged.v1.json");
    String manifest = DeviceEntity.CapacityChanged.class.getName(); // no "#N": version 1
    Object decoded =
        serialization.deserialize(v1.getBytes(StandardCharsets.UTF_8), JACKSON_JSON, manifest).get();
    assertEquals(new DeviceEntity.CapacityChanged(4096, 0), decoded);
  }

  @Test
  void configuredVersion1DecodesThroughTheMigrationWithEveryPhyEnabled() throws Exception {
    String v1 = resource("golden/CamDevice/Configured.v1.json");
    String manifest = DeviceEntity.Configured.class.getName(); // no "#N": version 1
    DeviceEntity.Configured decoded =
        (DeviceEntity.Configured) serialization.deserialize(v1.getBytes(StandardCharsets.UTF_8), JACKSON_JSON, manifest).get();
    assertEquals(List.of(), decoded.disabledPhys());
    assertEquals(8, decoded.nextUnitAttentionId());
  }

  @Test
  void everyEventClassHasASample() {
    var samples = GoldenSamples.all().values().stream().map(Object::getClass).toList();
    List<Class<?>> events = new ArrayList<>();
    events.addAll(List.of(DeviceEntity.Event.class.getPermittedSubclasses()));
    events.addAll(List.of(DeviceEntity.State.class.getPermittedSubclasses()));
    events.addAll(List.of(HostWiringEntity.Event.class.getPermittedSubclasses()));
    events.addAll(List.of(HostInventoryEntity.Event.class.getPermittedSubclasses()));
    events.addAll(List.of(org.camstack.persistence.library.LibraryEntity.Event.class.getPermittedSubclasses()));
    events.add(org.camstack.persistence.library.LibraryEntity.State.class);
    events.addAll(List.of(LifetimeEvent.class.getPermittedSubclasses()));
    events.add(org.camstack.persistence.audit.LifetimeAudit.Batch.class);
    for (Class<?> c : events) {
      assertTrue(samples.contains(c), "no golden sample for " + c.getName());
    }
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = GoldenEventsTest.class.getClassLoader().getResourceAsStream(name)) {
      return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static void write(String file, byte[] bytes) throws IOException {
    Path p = Path.of("src/test/resources").resolve(file);
    Files.createDirectories(p.getParent());
    JsonNode tree = json.readTree(bytes);
    Files.writeString(p, json.writerWithDefaultPrettyPrinter().writeValueAsString(tree) + "\n");
  }
}
