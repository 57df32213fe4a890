package org.camstack.stack.periph;

import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.scsi.pass.PassPeriph;
import org.camstack.stack.testkit.PeriphRig;
import org.camstack.stack.testkit.TestDevices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * B9: a periph's log lines carry its name and path in the MDC ({@code camPeriph}, {@code
 * camPath}), for a command sent to it and for a devfs callback alike, also after it handled a
 * CCB's completion (a data path message, handled without the MDC).
 */
@ExtendWith(LogCapturingExtension.class)
class PeriphMdcTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void theInvalidationAndTheDestructorLogWithThePeriphsNameAndPath() {
    PeriphRig rig = new PeriphRig(testKit, PassPeriph.SPEC, false);
    CamPath path = CamPath.of(0, 0, 0);
    rig.found(TestDevices.disk(path));
    PeriphDriver.UnitInfo pass0 = rig.awaitUnitAt(path);
    PeriphRig.answerPhysPath(rig.nextCcb(path), ""); // a completion first: the data path
    rig.awaitNode("pass0");
    Map<String, String> mdc = Map.of("camPeriph", "pass0", "camPath", path.toString());

    LoggingTestKit.info("invalidated: by the test")
        .withMdc(mdc)
        .expect(
            testKit.system(),
            () -> {
              pass0.periph().tell(new Periph.Invalidate("by the test"));
              return null;
            });
    LoggingTestKit.debug("destructor ran")
        .withMdc(mdc)
        .expect(
            testKit.system(),
            () -> {
              rig.destroyTaskFor("pass0");
              return null;
            });
  }
}
