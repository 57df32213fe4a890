package org.camstack.stack.cluster;

import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Keeps a node's view of the clustered LUNs current: every {@code interval} it asks each LUN's
 * entity where it runs (which also starts an entity that is nowhere, e.g. on a survivor after its
 * owner was downed) and refreshes the ALUA model of this node's copies. Off the data path.
 */
final class OwnerWatch {
  /** Messages: the timer's tick, and an entity's answer. */
  sealed interface Command {}

  private record Tick() implements Command {}

  private record Reported(ClusterLun.Owner owner) implements Command {}

  private OwnerWatch() {}

  static Behavior<Command> create(ClusterLuns luns, Duration interval) {
    return Behaviors.setup(
        ctx -> {
          ActorRef<ClusterLun.Owner> answers = ctx.messageAdapter(ClusterLun.Owner.class, Reported::new);
          return Behaviors.withTimers(
              timers -> {
                timers.startTimerWithFixedDelay(new Tick(), Duration.ZERO, interval);
                return Behaviors.receive(Command.class)
                    .onMessage(Tick.class, t -> {
                      for (String wwn : luns.wwns()) {
                        luns.entity(wwn).tell(new ClusterLun.WhereIsOwner(answers));
                      }
                      luns.refresh();
                      return Behaviors.same();
                    })
                    .onMessage(Reported.class, r -> {
                      luns.ownerIs(r.owner().wwn(), r.owner().address());
                      luns.refresh();
                      return Behaviors.same();
                    })
                    .build();
              });
        });
  }
}
