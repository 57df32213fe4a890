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
 * Short chaos runs on the real stack (the long ones are {@code ./camstack chaos}): fixed mode
 * finds nothing, legacy mode finds both seed bugs. The seed is in every failure message; rerun
 * with {@code ./camstack chaos --seed S}.
 */
@ExtendWith(LogCapturingExtension.class)
class LifetimeChaosTest {

  private static long seed() {
    return Long.getLong("chaos.seed", 20120620L);
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
  void legacyModeFindsTheDuplicateNamePanicAndTheCloseDeadlock() {
    ChaosEngine.Report r =
        ChaosEngine.run(ChaosEngine.Settings.of(seed(), 500, 4, true).withStopOnSeedBugs(true), null);

    assertTrue(r.foundSeedBugs(), "seed " + seed() + ": " + r.violationsByKind());
    assertTrue(r.violationsByKind().get(ViolationKind.DUPLICATE_NAME) > 0);
    assertTrue(r.violationsByKind().get(ViolationKind.DESTROY_DEADLOCK) > 0);
    assertTrue(
        r.examples().get(ViolationKind.DUPLICATE_NAME).message().startsWith("make_dev_credv: bad si_name (error=17"));
  }
}
