package org.camstack.stack.cluster;

import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Keeps a node's view of the clustered LUNs current: every {@code interval} it asks each LUN's
 * entity where it runs (which also starts an entity that is nowhere, e.g. on a survivor after its
 * owner was downed) and refreshes the ALUA model of this node's copies. It also follows the
 * membership: a member that becomes unreachable, is downed or removed is logged as a {@link
 * FailoverPhases failover phase}; a removed member's forwarded commands are answered for retry at
 * once ({@link ClusterLuns#memberRemoved}) and every LUN's entity is asked for at once, so that a
 * survivor starts it without waiting for the next tick. Off the data path.
 */
final class OwnerWatch {
  /** Messages: the timer's tick, an entity's answer, a membership event. */
  sealed interface Command {}

  private record Tick() implements Command {}

  private record Reported(ClusterLun.Owner owner) implements Command {}

  private record MemberChanged(ClusterEvent.MemberEvent event) implements Command {}

  private record ReachabilityChanged(ClusterEvent.ReachabilityEvent event) implements Command {}

  private OwnerWatch() {}

  static Behavior<Command> create(ClusterLuns luns, Duration interval) {
    return Behaviors.setup(
        ctx -> {
          ActorRef<ClusterLun.Owner> answers = ctx.messageAdapter(ClusterLun.Owner.class, Reported::new);
          Cluster cluster = Cluster.get(ctx.getSystem());
          cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(ClusterEvent.MemberEvent.class, MemberChanged::new), ClusterEvent.MemberEvent.class));
          cluster.subscriptions().tell(
              Subscribe.create(ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class, ReachabilityChanged::new), ClusterEvent.ReachabilityEvent.class));
          boolean[] oldest = {false};
          Runnable askAll = () -> {
            for (String wwn : luns.wwns()) {
              luns.entity(wwn).tell(new ClusterLun.WhereIsOwner(answers));
            }
          };
          return Behaviors.withTimers(
              timers -> {
                timers.startTimerWithFixedDelay(new Tick(), Duration.ZERO, interval);
                return Behaviors.receive(Command.class)
                    .onMessage(Tick.class, t -> {
                      askAll.run();
                      luns.refresh();
                      return Behaviors.same();
                    })
                    .onMessage(Reported.class, r -> {
                      luns.ownerIs(r.owner().wwn(), r.owner().address());
                      luns.refresh();
                      return Behaviors.same();
                    })
                    .onMessage(ReachabilityChanged.class, r -> {
                      if (r.event() instanceof ClusterEvent.UnreachableMember u) {
                        FailoverPhases.note(FailoverPhases.UNREACHABLE, u.member().address().toString());
                      }
                      luns.refresh();
                      return Behaviors.same();
                    })
                    .onMessage(MemberChanged.class, m -> {
                      ClusterEvent.MemberEvent e = m.event();
                      if (e instanceof ClusterEvent.MemberDowned) {
                        FailoverPhases.note(FailoverPhases.DOWNED, e.member().address().toString());
                      } else if (e instanceof ClusterEvent.MemberRemoved) {
                        FailoverPhases.note(FailoverPhases.REMOVED, e.member().address().toString());
                        luns.memberRemoved(e.member().address().toString());
                        askAll.run();
                      }
                      boolean now = isOldest(cluster);
                      if (now && !oldest[0] && e instanceof ClusterEvent.MemberRemoved) {
                        FailoverPhases.note(FailoverPhases.OLDEST, cluster.selfMember().address().toString());
                      }
                      oldest[0] = now;
                      luns.refresh();
                      return Behaviors.same();
                    })
                    .build();
              });
        });
  }

  /** This node is the oldest Up member (it hosts the cluster singletons, the shard coordinator among them). */
  private static boolean isOldest(Cluster cluster) {
    Member self = cluster.selfMember();
    for (Member m : cluster.state().getMembers()) {
      if (m.status() == MemberStatus.up() && !m.equals(self) && m.isOlderThan(self)) {
        return false;
      }
    }
    return self.status() == MemberStatus.up();
  }
}
