package org.camstack.stack.periph;

import org.apache.pekko.actor.DeadLetter;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Completes I/O sent straight to a periph actor that no longer exists. cf. g_io_request() on an
 * orphaned provider, which fails the bio with ENXIO in GEOM, not in the (freed) driver.
 *
 * <p>A block-I/O request ({@code DaPeriph.Strategy}) is addressed to one periph incarnation. While
 * that periph lives it answers every request itself (ENXIO once invalid). Once it has been freed and
 * stopped, a request sent with a stale handle becomes a dead letter; this one actor per actor system
 * (an extension: several stacks may share a system) listens to dead letters and completes those that
 * are {@link Orphanable} exactly once. It sees only dead letters, never the data path.
 */
public final class OrphanedIo implements Extension {

  /** A message whose sender waits for an answer even when the addressee is gone. */
  public interface Orphanable {
    /** Answers the sender as "device not configured" (ENXIO). Called at most once. */
    void orphaned();
  }

  private OrphanedIo(ActorSystem<?> system) {
    ActorRef<DeadLetter> listener =
        system.systemActorOf(
            // stateless: a failing orphaned() must not end ENXIO for every later orphan
            Behaviors.supervise(listener()).onFailure(SupervisorStrategy.restart()),
            "orphaned-io",
            Props.empty());
    system.eventStream().tell(new EventStream.Subscribe<>(DeadLetter.class, listener));
  }

  private static Behavior<DeadLetter> listener() {
    return Behaviors.receive(DeadLetter.class)
        .onMessage(
            DeadLetter.class,
            d -> {
              if (d.message() instanceof Orphanable o) {
                o.orphaned();
              }
              return Behaviors.same();
            })
        .build();
  }

  /** Makes sure the listener of {@code system} runs (idempotent). */
  public static OrphanedIo get(ActorSystem<?> system) {
    return system.registerExtension(Id.INSTANCE);
  }

  /** The extension id. */
  public static final class Id extends ExtensionId<OrphanedIo> {
    static final Id INSTANCE = new Id();

    private Id() {}

    @Override
    public OrphanedIo createExtension(ActorSystem<?> system) {
      return new OrphanedIo(system);
    }
  }
}
