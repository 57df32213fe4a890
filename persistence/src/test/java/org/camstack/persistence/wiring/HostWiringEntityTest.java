package org.camstack.persistence.wiring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Set;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.camstack.persistence.wiring.HostWiringEntity.Command;
import org.camstack.persistence.wiring.HostWiringEntity.Event;
import org.camstack.persistence.wiring.HostWiringEntity.State;
import org.camstack.persistence.wiring.HostWiringEntity.UnitLookup;
import org.camstack.persistence.wiring.HostWiringEntity.UnitUnwired;
import org.camstack.persistence.wiring.HostWiringEntity.UnitWired;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LogCapturingExtension.class)
class HostWiringEntityTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create(EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));

  private static final String A = "naa.5000c500000000aa";
  private static final String B = "naa.5000c500000000bb";
  private static final String C = "naa.5000c500000000cc";

  private final EventSourcedBehaviorTestKit<Command, Event, State> wiring =
      EventSourcedBehaviorTestKit.create(testKit.system(), HostWiringEntity.create("host0"));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void clearJournal() {
    wiring.clear();
  }

  private int assign(String device, String driver, Set<Integer> busy) {
    return wiring
        .<StatusReply<Integer>>runCommand(rt -> new HostWiringEntity.AssignUnit(device, driver, busy, rt))
        .reply()
        .getValue();
  }

  @Test
  void aDeviceIsWiredAutomaticallyOnFirstAttachAndKeepsItsUnit() {
    var r =
        wiring.<StatusReply<Integer>>runCommand(
            rt -> new HostWiringEntity.AssignUnit(A, "da", Set.of(), rt));
    assertEquals(0, r.reply().getValue());
    assertEquals(new UnitWired(A, "da", 0, true), r.event());
    assertEquals(1, assign(B, "da", Set.of()));
    var again =
        wiring.<StatusReply<Integer>>runCommand(
            rt -> new HostWiringEntity.AssignUnit(A, "da", Set.of(), rt));
    assertEquals(0, again.reply().getValue());
    assertTrue(again.hasNoEvents());
    assertEquals(0, assign(A, "pass", Set.of()));
  }

  @Test
  void wiringSurvivesRestart() {
    assign(A, "da", Set.of());
    assign(B, "da", Set.of());
    assign(B, "pass", Set.of());
    State before = wiring.getState();
    assertEquals(before, wiring.restart().state());
    assertEquals(1, assign(B, "da", Set.of()));
  }

  @Test
  void newDevicesSkipUnitsHeldByWiringAndBusyUnits() {
    wiring.<StatusReply<Done>>runCommand(rt -> new HostWiringEntity.Wire(A, "da", 0, rt));
    wiring.<StatusReply<Done>>runCommand(rt -> new HostWiringEntity.Wire(B, "da", 2, rt));
    assertEquals(
        3,
        wiring
            .<StatusReply<Integer>>runCommand(
                rt -> new HostWiringEntity.FirstFreeUnit("da", Set.of(1), rt))
            .reply()
            .getValue());
    assertEquals(1, assign(C, "da", Set.of()));
  }

  @Test
  void explicitWireMovesADeviceAndRefusesAUnitHeldByAnother() {
    assign(A, "da", Set.of());
    var move = wiring.<StatusReply<Done>>runCommand(rt -> new HostWiringEntity.Wire(A, "da", 5, rt));
    assertEquals(
        List.of(new UnitUnwired(A, "da", 0), new UnitWired(A, "da", 5, false)), move.events());
    assertTrue(
        wiring
            .<StatusReply<Done>>runCommand(rt -> new HostWiringEntity.Wire(A, "da", 5, rt))
            .hasNoEvents());
    var taken = wiring.<StatusReply<Done>>runCommand(rt -> new HostWiringEntity.Wire(B, "da", 5, rt));
    assertEquals("host0: da5 is wired to " + A, taken.reply().getError().getMessage());
  }

  @Test
  void unwireFreesTheUnitAndIsIdempotent() {
    assign(A, "da", Set.of());
    var unwire = wiring.<StatusReply<Done>>runCommand(rt -> new HostWiringEntity.Unwire(A, "da", rt));
    assertEquals(new UnitUnwired(A, "da", 0), unwire.event());
    assertTrue(
        wiring
            .<StatusReply<Done>>runCommand(rt -> new HostWiringEntity.Unwire(A, "da", rt))
            .hasNoEvents());
    UnitLookup lookup =
        wiring
            .<StatusReply<UnitLookup>>runCommand(rt -> new HostWiringEntity.GetUnit(A, "da", rt))
            .reply()
            .getValue();
    assertFalse(lookup.wired());
    assertEquals(0, assign(B, "da", Set.of()));
  }

  @Test
  void badDeviceKeysAndDriverNamesAreRefused() {
    var r =
        wiring.<StatusReply<Integer>>runCommand(
            rt -> new HostWiringEntity.AssignUnit("da0", "da", Set.of(), rt));
    assertTrue(r.reply().isError());
    var d = wiring.<StatusReply<Done>>runCommand(rt -> new HostWiringEntity.Wire(A, "DA!", 1, rt));
    assertTrue(d.reply().isError());
    assertTrue(d.hasNoEvents());
  }
}
