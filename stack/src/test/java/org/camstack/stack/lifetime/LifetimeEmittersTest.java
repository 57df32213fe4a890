package org.camstack.stack.lifetime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.sim.EmuSim;
import org.camstack.stack.testkit.StackRig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * On the real stack, the checker's events come from the parties the rules compare: the periph
 * issues a CCB and the device queue completes it (named by the device path, not by the periph);
 * the periph runs its destructor and the driver then releases the unit; devfs reports the nodes
 * gone before either.
 */
class LifetimeEmittersTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create("LifetimeEmittersTest", StackRig.config(StackRig.TOPOLOGY));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void eachRuleSeesEventsFromDifferentEmitters() {
    StackRig rig = new StackRig(testKit, false);
    rig.scanAndSettle();
    int unit = rig.units("da").atPath(CamPath.of(0, 2, 0)).unit();
    String da = "da" + unit;

    rig.simDo(rig.sim(0), r -> new EmuSim.RemoveTarget(2, r));
    TestProbe<Object> p = testKit.createTestProbe();
    p.awaitAssert(
        StackRig.WAIT,
        () -> {
          assertTrue(rig.checker.eventsOf(LifetimeEvent.UnitFreed.class).stream().anyMatch(e -> e.periphName().equals(da)));
          return null;
        });

    List<LifetimeEvent> events = rig.checker.events();
    String inc = events.stream()
        .filter(e -> e instanceof LifetimeEvent.UnitFreed && e.periphName().equals(da))
        .findFirst().orElseThrow().incarnation();
    // CCBs: every one the periph issued was completed exactly once, by someone else
    List<LifetimeEvent.CcbIssued> issued = events.stream()
        .filter(e -> e instanceof LifetimeEvent.CcbIssued && e.incarnation().equals(inc))
        .map(LifetimeEvent.CcbIssued.class::cast).toList();
    assertFalse(issued.isEmpty(), "da issued no CCB");
    for (LifetimeEvent.CcbIssued i : issued) {
      List<LifetimeEvent.CcbCompleted> done = events.stream()
          .filter(e -> e instanceof LifetimeEvent.CcbCompleted c && c.issuer().equals(i.issuer()) && c.ccbId() == i.ccbId())
          .map(LifetimeEvent.CcbCompleted.class::cast).toList();
      assertEquals(1, done.size(), "completions of " + i);
      assertFalse(done.get(0).completer().startsWith(da), "completed by the device queue or the XPT: " + done.get(0));
    }
    Set<String> completers = events.stream()
        .filter(e -> e instanceof LifetimeEvent.CcbCompleted).map(e -> ((LifetimeEvent.CcbCompleted) e).completer())
        .collect(Collectors.toSet());
    assertTrue(completers.contains("scbus0:2:0"), completers.toString());
    // the order the rules rely on: devfs's NodeGone, the periph's destructor, the driver's release
    int gone = indexOf(events, LifetimeEvent.NodeGone.class, inc);
    int dtor = indexOf(events, LifetimeEvent.DestructorRun.class, inc);
    int freed = indexOf(events, LifetimeEvent.UnitFreed.class, inc);
    assertTrue(0 <= gone && gone < dtor && dtor < freed, "gone " + gone + ", dtor " + dtor + ", freed " + freed);
    assertEquals(List.of(), rig.checker.violations());
  }

  private static int indexOf(List<LifetimeEvent> events, Class<?> type, String incarnation) {
    for (int i = 0; i < events.size(); i++) {
      if (type.isInstance(events.get(i)) && events.get(i).incarnation().equals(incarnation)) {
        return i;
      }
    }
    return -1;
  }
}
