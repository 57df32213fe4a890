package org.camstack.stack.periph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.pekko.actor.DeadLetter;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The dead-letter listener is the one actor that restarts: a failing orphan does not end it. */
@ExtendWith(LogCapturingExtension.class)
class OrphanedIoTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void aFailingOrphanDoesNotStopTheListener() {
    OrphanedIo.get(testKit.system());
    TestProbe<String> answered = testKit.createTestProbe();
    org.apache.pekko.actor.ActorRef someone = Adapter.toClassic(answered.getRef());

    publish(() -> {
      throw new IllegalStateException("a broken orphan");
    }, someone);
    publish(() -> answered.getRef().tell("ENXIO"), someone);

    assertEquals("ENXIO", answered.receiveMessage());
  }

  private static void publish(OrphanedIo.Orphanable o, org.apache.pekko.actor.ActorRef someone) {
    testKit.system().eventStream().tell(new EventStream.Publish<>(new DeadLetter(o, someone, someone)));
  }
}
