package org.camstack.stack.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.camstack.persistence.audit.ViolationKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Short deterministic chaos runs on the real stack (the long ones are {@code ./camstack chaos}):
 * fixed mode finds nothing, legacy mode finds both seed bugs, the same seed gives the same run byte
 * for byte, a recorded schedule replays identically, and a shrunk schedule still fails. The seed is
 * in every failure message; rerun with {@code ./camstack chaos --seed S}.
 */
@ExtendWith(LogCapturingExtension.class)
class LifetimeChaosTest {

  private static long seed() {
    return Long.getLong("chaos.seed", 20120620L);
  }

  /** The chaos mix picks nodes by exact unit name: sg's Linux alias {@code sga} is no sg unit. */
  @Test
  void nodesArePickedByTheirExactUnitName() {
    assertEquals("sg", ChaosEngine.driverOf("sg12"));
    assertEquals("", ChaosEngine.driverOf("sga"));
    assertEquals("", ChaosEngine.driverOf("sgab"));
    assertEquals("sa", ChaosEngine.driverOf("sa0"));
    assertEquals("ses", ChaosEngine.driverOf("ses1"));
    assertEquals("pass", ChaosEngine.driverOf("enc@n5000/type@0/slot@1/pass3"));
    assertEquals("", ChaosEngine.driverOf("targ"));
  }

  @Test
  @Timeout(120)
  void fixedModeRunsWithoutAnyViolation() {
    ChaosEngine.Report r = ChaosEngine.run(ChaosEngine.Settings.of(seed(), 250, 4, false).withSettleEvery(100), null);

    assertEquals(250, r.cyclesRun());
    assertEquals(Map.of(), r.violationsByKind(), "seed " + seed() + ": " + r.examples());
    assertTrue(r.opsByKind().getOrDefault("unplug", 0L) > 0 && r.opsByKind().getOrDefault("replug", 0L) > 0);
  }

  @Test
  @Timeout(120)
  void threadsModeRunsTheRealDispatchersWithoutViolationAndOffersNoHash() {
    ChaosEngine.Report r =
        ChaosEngine.run(
            ChaosEngine.Settings.of(seed(), 100, 4, false).withSettleEvery(50).withMode(ChaosEngine.Mode.THREADS), null);

    assertEquals(100, r.cyclesRun());
    assertEquals(Map.of(), r.violationsByKind(), "seed " + seed() + ": " + r.examples());
    assertTrue(r.events() > 0, r.summaryLine());
    assertTrue(r.summaryLine().endsWith(", no hash (threads)"), r.summaryLine());
  }

  @Test
  @Timeout(120)
  void legacyModeFindsTheDuplicateNamePanicAndTheCloseDeadlock() {
    ChaosEngine.Report r =
        ChaosEngine.run(ChaosEngine.Settings.of(seed(), 500, 4, true).withStopOnSeedBugs(true), null);

    assertTrue(r.foundSeedBugs(), "seed " + seed() + ": " + r.violationsByKind());
    assertTrue(r.violationsByKind().get(ViolationKind.DUPLICATE_NAME) > 0);
    assertTrue(r.violationsByKind().get(ViolationKind.DESTROY_DEADLOCK) > 0);
    // the devfs panic, or the checker's view of the same duplicate name when it saw it first
    String dup = r.examples().get(ViolationKind.DUPLICATE_NAME).message();
    assertTrue(dup.startsWith("make_dev_credv: bad si_name (error=17") || dup.matches("devfs name \\w+ created for .* while .* still holds it"), dup);
  }

  @Test
  @Timeout(120)
  void theSameSeedGivesTheSameRunAndARecordedScheduleReplaysIdentically() {
    ChaosEngine.Settings s = ChaosEngine.Settings.of(seed(), 60, 4, true);

    ChaosEngine.Report first = ChaosEngine.run(s, null);
    ChaosEngine.Report second = ChaosEngine.run(s, null);
    ChaosSchedule recorded = ChaosSchedule.parse(first.schedule().format()); // through the file format
    ChaosEngine.Report replayed = ChaosEngine.run(ChaosEngine.Settings.replaying(recorded), null);

    assertTrue(first.violations() > 0 && first.events() > 0, "legacy mode should show something: " + first.summaryLine());
    assertEquals(first.summaryLine(), second.summaryLine());
    assertEquals(first.turns(), second.turns());
    assertEquals(first.virtualNanos(), second.virtualNanos());
    assertEquals(first.schedule(), second.schedule());
    assertEquals(first.summaryLine(), replayed.summaryLine());
    assertEquals(first.schedule(), recorded);
  }

  @Test
  @Timeout(180)
  void aShrunkScheduleIsSmallerAndStillFailsTheSameWayOnReplay() {
    ChaosEngine.Report failing =
        ChaosEngine.run(ChaosEngine.Settings.of(7, 120, 4, true).withStopOnKind(ViolationKind.DUPLICATE_NAME), null);
    assertTrue(failing.violationsByKind().getOrDefault(ViolationKind.DUPLICATE_NAME, 0) > 0, failing.summaryLine());

    ChaosShrinker.Result shrunk = ChaosShrinker.shrink(failing, ViolationKind.DUPLICATE_NAME, null, 12);
    ChaosEngine.Report replayed = ChaosEngine.run(ChaosEngine.Settings.replaying(shrunk.schedule()), null);

    assertTrue(
        shrunk.schedule().opCount() < failing.schedule().opCount(),
        shrunk.schedule().opCount() + " ops of " + failing.schedule().opCount());
    assertTrue(replayed.violationsByKind().getOrDefault(ViolationKind.DUPLICATE_NAME, 0) > 0, replayed.summaryLine());
    assertEquals(shrunk.schedule().summary(), replayed.summaryLine());
    assertTrue(shrunk.report().timeline().toMermaid().contains("VIOLATION DUPLICATE_NAME"));
  }

  /**
   * A schedule shrunk from {@code chaos --seed 7 --cycles 2110}: a pass periph's XPT_DEV_ADVINFO
   * was forwarded by its device queue to the XPT, the device queue was retired meanwhile, and both
   * the periph (for "its device queue will never answer") and the XPT completed it. EDT-level
   * codes now go to the XPT directly, so exactly one party completes them.
   */
  @Test
  @Timeout(120)
  void anEdtLevelCcbIsCompletedOnceWhenItsDeviceQueueIsRetired() throws Exception {
    String text;
    try (var in = LifetimeChaosTest.class.getResourceAsStream("/chaos/edt-ccb-completed-twice.sched")) {
      text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    ChaosEngine.Report r = ChaosEngine.run(ChaosEngine.Settings.replaying(ChaosSchedule.parse(text)), null);
    assertEquals(0, r.violations(), r.summaryLine() + " " + r.examples());
  }
}
