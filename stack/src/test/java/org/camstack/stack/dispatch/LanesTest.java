package org.camstack.stack.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.concurrent.ForkJoinWorkerThread;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Lanes.Executor} (camstack's default dispatcher): an actor that follows another runs on the
 * leader's lane thread, leaders get lanes round-robin, and unassigned actors stay on the fork-join
 * pool; the registry forgets stopped actors.
 */
class LanesTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create(
          "LanesTest",
          ConfigFactory.parseString(
                  "pekko.actor.default-dispatcher { executor = \"org.camstack.stack.dispatch.Lanes$Executor\", "
                      + "lanes = 2, unassigned = fork-join, throughput = 100 }")
              .withFallback(ConfigFactory.load()));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /** Where a message was handled. */
  record Where(Thread thread) {}

  private static Behavior<ActorRef<Where>> reporter() {
    return Behaviors.receiveMessage(
        replyTo -> {
          replyTo.tell(new Where(Thread.currentThread()));
          return Behaviors.same();
        });
  }

  private static Thread where(ActorRef<ActorRef<Where>> actor) {
    TestProbe<Where> probe = testKit.createTestProbe();
    actor.tell(probe.getRef());
    return probe.receiveMessage().thread();
  }

  @Test
  void aFollowerRunsOnItsLeadersLaneAndTheNextLeaderOnTheOtherLane() {
    ActorRef<ActorRef<Where>> device0 = testKit.spawn(reporter());
    ActorRef<ActorRef<Where>> periph0 = testKit.spawn(reporter());
    ActorRef<ActorRef<Where>> device1 = testKit.spawn(reporter());
    ActorRef<ActorRef<Where>> periph1 = testKit.spawn(reporter());

    int lane0 = Lanes.follow(periph0, device0);
    int lane1 = Lanes.follow(periph1, device1);

    assertEquals(lane0, Lanes.laneOf(device0), "the leader was given the lane");
    assertEquals(lane0, Lanes.laneOf(periph0));
    assertEquals(1, Math.floorMod(lane1 - lane0, 2), "the next leader gets the next lane");
    Thread t0 = where(device0);
    assertFalse(t0 instanceof ForkJoinWorkerThread, "a lane is its own thread, not a pool worker: " + t0);
    for (int i = 0; i < 20; i++) {
      assertEquals(t0, where(periph0), "a LUN's pipeline stays on one thread");
      assertEquals(t0, where(device0));
    }
    Thread t1 = where(device1);
    assertNotEquals(t0, t1, "two LUNs on two lanes");
    assertEquals(t1, where(periph1));
  }

  @Test
  void unassignedActorsRunOnTheForkJoinPool() {
    ActorRef<ActorRef<Where>> xpt = testKit.spawn(reporter());
    assertEquals(-1, Lanes.laneOf(xpt));
    assertTrue(where(xpt) instanceof ForkJoinWorkerThread, "the control plane keeps the work-stealing pool");
  }

  @Test
  void stoppedActorsAreForgotten() {
    ActorRef<ActorRef<Where>> device = testKit.spawn(reporter());
    ActorRef<ActorRef<Where>> periph = testKit.spawn(reporter());
    Lanes.follow(periph, device);
    TestProbe<Where> probe = testKit.createTestProbe();
    testKit.stop(periph);
    probe.expectTerminated(periph);

    Lanes.purgeStopped();

    assertEquals(-1, Lanes.laneOf(periph));
    assertTrue(Lanes.laneOf(device) >= 0, "a live actor keeps its lane");
  }
}
