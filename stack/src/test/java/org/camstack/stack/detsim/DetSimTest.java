package org.camstack.stack.detsim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

/**
 * The deterministic world on its own: an actor system runs only when stepped, timers and ask
 * timeouts run on the virtual clock, and the same seed gives the same interleaving.
 */
class DetSimTest {

  /** Three workers each append their name to a shared log on every tick of their own timer. */
  private static Behavior<String> worker(String name, List<String> log, Duration every) {
    return Behaviors.withTimers(
        timers -> {
          timers.startTimerWithFixedDelay("tick", every);
          return Behaviors.receiveMessage(
              m -> {
                log.add(name);
                return Behaviors.same();
              });
        });
  }

  private record Run(List<String> log, long trace, long nanos) {}

  private static Run run(long seed) {
    DetSim sim = new DetSim(seed, Duration.ofMillis(1));
    List<String> log = new ArrayList<>();
    ActorSystem<Void> system =
        ActorSystem.create(
            Behaviors.setup(
                ctx -> {
                  for (int i = 0; i < 3; i++) {
                    ctx.spawn(worker("w" + i, log, Duration.ofMillis(5)), "w" + i);
                  }
                  return Behaviors.empty();
                }),
            "det",
            sim.config());
    try {
      sim.runFor(Duration.ofMillis(200));
      assertEquals(0, sim.foreignSubmissions());
      return new Run(List.copyOf(log), sim.traceHash(), sim.nanos());
    } finally {
      system.terminate();
      sim.runUntil(() -> system.whenTerminated().isCompleted(), Duration.ofSeconds(30));
      sim.close();
    }
  }

  @Test
  void theSameSeedGivesTheSameInterleavingAndTheClockIsVirtual() {
    long t0 = System.nanoTime();
    Run a = run(42);
    Run b = run(42);
    Run c = run(43);

    assertEquals(a, b);
    assertTrue(a.log().size() > 60, "ticks: " + a.log().size()); // 200 ms of 5 ms timers, in far less wall time
    assertNotEquals(a.trace(), c.trace());
    assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(20).toNanos());
  }

  @Test
  void anAskThatNobodyAnswersTimesOutOnTheVirtualClock() {
    DetSim sim = new DetSim(1, Duration.ofMillis(1));
    ActorSystem<String> system = ActorSystem.create(Behaviors.ignore(), "det", sim.config());
    try {
      CompletableFuture<String> f =
          AskPattern.<String, String>ask(system, (ActorRef<String> r) -> "hello", Duration.ofSeconds(30), system.scheduler())
              .toCompletableFuture();
      long before = sim.nanos();
      assertTrue(sim.runUntil(f::isDone, Duration.ofMinutes(1)));
      assertTrue(f.isCompletedExceptionally());
      assertTrue(sim.nanos() - before >= Duration.ofSeconds(30).toNanos());
      assertFalse(sim.nanos() - before > Duration.ofSeconds(31).toNanos());
    } finally {
      system.terminate();
      sim.runUntil(() -> system.whenTerminated().isCompleted(), Duration.ofSeconds(30));
      sim.close();
    }
  }
}
