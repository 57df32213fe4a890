package org.camstack.persistence.inventory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.camstack.persistence.device.DeviceConfig;
import org.camstack.persistence.inventory.HostInventoryEntity.Command;
import org.camstack.persistence.inventory.HostInventoryEntity.Event;
import org.camstack.persistence.inventory.HostInventoryEntity.State;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LogCapturingExtension.class)
class HostInventoryEntityTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create(EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));

  private static final String A = "naa.5000c500000000aa";
  private static final String B = "naa.5000c500000000bb";
  private static final DeviceConfig CFG = DeviceConfig.disk(0, 1, 0, "SA", 2048, 512);

  private final EventSourcedBehaviorTestKit<Command, Event, State> inv =
      EventSourcedBehaviorTestKit.create(testKit.system(), HostInventoryEntity.create("host0"));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void clearJournal() {
    inv.clear();
  }

  @Test
  void topologyDevicesJoinPluggedAndAPullOfAWholeTargetIsOneEvent() {
    var t = inv.<StatusReply<Done>>runCommand(r -> new HostInventoryEntity.RecordTopology(Map.of(A, CFG, B, CFG), r));
    assertTrue(t.reply().isSuccess());
    assertTrue(t.state().member(A).plugged() && t.state().member(A).fromTopology());
    var pull = inv.<StatusReply<Done>>runCommand(r -> new HostInventoryEntity.Unplug(List.of(A, B), "target removed", r));
    assertEquals(List.of(new HostInventoryEntity.DevicesUnplugged(List.of(A, B), "target removed")), pull.events());
    assertFalse(pull.state().member(B).plugged());
    // idempotent
    assertTrue(inv.<StatusReply<Done>>runCommand(r -> new HostInventoryEntity.Unplug(List.of(A, B), "again", r)).hasNoEvents());
    assertTrue(inv.<StatusReply<Done>>runCommand(r -> new HostInventoryEntity.RecordTopology(Map.of(A, CFG), r)).hasNoEvents());
    // recording the topology again keeps a pulled device pulled
    var edited = inv.<StatusReply<Done>>runCommand(
        r -> new HostInventoryEntity.RecordTopology(Map.of(A, CFG.withRemovable(true)), r));
    assertFalse(edited.state().member(A).plugged());
    assertEquals(CFG.withRemovable(true), edited.state().member(A).topologyConfig());
  }

  @Test
  void aDevicePluggedAtRuntimeHasNoTopologyConfigAndCanBeForgotten() {
    var p = inv.<StatusReply<Done>>runCommand(r -> new HostInventoryEntity.Plug(List.of(A), "hot-plug", r));
    assertTrue(p.state().member(A).plugged());
    assertFalse(p.state().member(A).fromTopology());
    assertTrue(inv.<StatusReply<Done>>runCommand(r -> new HostInventoryEntity.Plug(List.of(A), "again", r)).hasNoEvents());
    var f = inv.<StatusReply<Done>>runCommand(r -> new HostInventoryEntity.Forget(List.of(A, B), "recovery", r));
    assertEquals(List.of(new HostInventoryEntity.DevicesForgotten(List.of(A), "recovery")), f.events());
    assertNull(f.state().member(A));
    inv.restart();
    assertEquals(Map.of(), inv.getState().members());
  }

  @Test
  void aUnitNameIsNoDeviceKey() {
    var r = inv.<StatusReply<Done>>runCommand(x -> new HostInventoryEntity.Plug(List.of("da3"), "hot-plug", x));
    assertTrue(r.reply().isError());
    assertTrue(r.reply().getError().getMessage().startsWith("host0: device key da3 looks like a unit name"), r.reply().getError().getMessage());
    assertTrue(r.hasNoEvents());
  }
}
