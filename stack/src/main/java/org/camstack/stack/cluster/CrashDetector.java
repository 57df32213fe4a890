package org.camstack.stack.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.cluster.typed.Subscribe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downs a member whose process is confirmed dead, in milliseconds, without waiting for the
 * failure detector and the split-brain resolver (docs/cluster.md "Failover"). This node keeps a
 * {@link LivenessLinks liveness connection} to every other member (its listener's port is the
 * member's role {@code liveness:PORT}); when one ends, the member's liveness port and its artery
 * (remoting) port are probed: if both are refused, no process listens on them any more — the
 * member's process is gone (a partition, a stalled process or a dead host time out instead). The
 * member is then quarantined (the cluster marks it unreachable at once, so that the leader can
 * remove it without waiting for the failure detector) and downed ({@code Down(address)}), provided that this node, without it,
 * still sees a strict majority of the members (reachable, their liveness connection not ended):
 * a node cut off from the others never downs them. Anything less certain is left to the failure
 * detector and the resolver. A member that is leaving (Leaving, Exiting) or already Down is never
 * downed here. Each confirmed death is logged as one line with its evidence and as the failover
 * phase {@code confirmed-dead}.
 */
public final class CrashDetector {
  private static final Logger LOG = LoggerFactory.getLogger(CrashDetector.class);

  /** How long a probe of a port may take; a dead process's host answers a refusal at once. */
  public static final Duration PROBE_TIMEOUT = Duration.ofMillis(500);

  /** How soon a member whose connection ended without a confirmed death is connected to again. */
  static final Duration REWATCH = Duration.ofSeconds(1);

  /** Messages: members to watch, a connection's end, the probes' result. */
  public sealed interface Command {}

  /**
   * Keep a liveness connection to {@code member}, whose listener is {@code livenessPort} and
   * remoting {@code member.address()}. No reply. (No CAM counterpart: cf. the CTL HA link's
   * loss, {@code ctl_ha_link_down}.)
   */
  public record Watch(UniqueAddress member, int livenessPort) implements Command {}

  /** Stop watching {@code member} (it was removed or left). No reply. */
  public record Unwatch(UniqueAddress member) implements Command {}

  private record Ended(UniqueAddress member, String evidence, long atMillis) implements Command {}

  private record Probed(UniqueAddress member, String evidence, long atMillis, LivenessLinks.Probe liveness, LivenessLinks.Probe artery)
      implements Command {}

  private record MemberChanged(ClusterEvent.MemberEvent event) implements Command {}

  /** A member as this node sees it when it decides. */
  public enum Status {
    /** Joining, WeaklyUp, Up: may be downed when its death is confirmed. */
    ACTIVE,
    /** Leaving, Exiting (or preparing a cluster shutdown): leaving on purpose, never downed here. */
    LEAVING,
    /** Down already. */
    DOWN
  }

  /** One member of the view: its node, status, and whether this node's failure detector reaches it. */
  public record Seen(UniqueAddress node, Status status, boolean reachable) {}

  /** This node's view of the membership when it decides: itself, whether it is Up, every member (itself too). */
  public record View(UniqueAddress self, boolean selfUp, List<Seen> members) {}

  /** The decision on one ended connection: down or not, and why. */
  public record Verdict(boolean down, String why) {}

  /** What the detector decided about {@code member} (logged; a {@code down} verdict is carried out). */
  public record Decided(UniqueAddress member, String evidence, Verdict verdict) {}

  private CrashDetector() {}

  /**
   * The decision table. {@code peer}'s liveness connection ended; {@code liveness} and {@code
   * artery} are what probing its ports found; {@code ended} are the members whose liveness
   * connection is down now (the peer among them).
   */
  public static Verdict decide(View view, UniqueAddress peer, LivenessLinks.Probe liveness, LivenessLinks.Probe artery, Set<UniqueAddress> ended) {
    Seen p = view.members().stream().filter(s -> s.node().equals(peer)).findFirst().orElse(null);
    if (p == null) {
      return new Verdict(false, "not a member any more");
    }
    if (p.status() != Status.ACTIVE) {
      return new Verdict(false, "status " + p.status() + " (leaving or already down)");
    }
    if (!view.selfUp()) {
      return new Verdict(false, "this node is not Up");
    }
    if (liveness != LivenessLinks.Probe.REFUSED || artery != LivenessLinks.Probe.REFUSED) {
      return new Verdict(false, "not confirmed: liveness port " + liveness + ", artery port " + artery);
    }
    int total = view.members().size();
    int alive = 0;
    for (Seen s : view.members()) {
      boolean self = s.node().equals(view.self());
      if (!s.node().equals(peer) && s.status() != Status.DOWN && (self || (s.reachable() && !ended.contains(s.node())))) {
        alive++;
      }
    }
    if (2 * alive <= total) {
      return new Verdict(false, "minority: this node sees " + alive + " of " + total + " members alive without it");
    }
    return new Verdict(true, "liveness and artery ports refused; this node sees " + alive + " of " + total + " members alive without it");
  }

  /** The detector of a node: watches the cluster's members and downs through its manager. */
  public static Behavior<Command> create(LivenessLinks links) {
    return Behaviors.setup(
        ctx -> {
          Cluster cluster = Cluster.get(ctx.getSystem());
          cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(ClusterEvent.MemberEvent.class, MemberChanged::new), ClusterEvent.MemberEvent.class));
          org.apache.pekko.remote.RemoteActorRefProvider provider =
              (org.apache.pekko.remote.RemoteActorRefProvider) ((org.apache.pekko.actor.ExtendedActorSystem) Adapter.toClassic(ctx.getSystem())).provider();
          return create(
              links,
              () -> view(cluster),
              d -> {
                if (d.verdict().down()) {
                  // quarantine first: the cluster then marks the member TERMINATED (unreachable) at
                  // once, so that the leader removes it after the Down without waiting for the
                  // failure detector (a Down member still "reachable" is left to stop by itself)
                  provider.quarantine(d.member().address(), scala.Option.<Object>apply(d.member().longUid()), "camstack crash detector: process confirmed dead");
                  cluster.manager().tell(new Down(d.member().address()));
                }
              },
              ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking()));
        });
  }

  /**
   * The detector with its view and its action made explicit (tests): {@code view} is read when a
   * death is to be decided, {@code decided} gets every decision (and downs on a {@code down}
   * verdict), the probes run on {@code probes}.
   */
  public static Behavior<Command> create(LivenessLinks links, Supplier<View> view, Consumer<Decided> decided, Executor probes) {
    return Behaviors.setup(
        ctx -> {
          ActorRef<Command> self = ctx.getSelf();
          links.onEnded((key, evidence) -> self.tell(new Ended((UniqueAddress) key, evidence, System.currentTimeMillis())));
          Map<UniqueAddress, Integer> watched = new HashMap<>();
          Set<UniqueAddress> ended = new HashSet<>();
          return Behaviors.withTimers(timers -> Behaviors.receive(Command.class)
              .onMessage(Watch.class, w -> {
                if (!w.member().equals(view.get().self()) && !w.member().address().host().isEmpty() && watched.get(w.member()) == null) {
                  watched.put(w.member(), w.livenessPort());
                  ended.remove(w.member());
                  links.watch(w.member(), w.member().address().host().get(), w.livenessPort());
                }
                return Behaviors.same();
              })
              .onMessage(Unwatch.class, u -> {
                timers.cancel(u.member());
                if (watched.remove(u.member()) != null) {
                  links.unwatch(u.member());
                }
                ended.remove(u.member());
                return Behaviors.same();
              })
              .onMessage(MemberChanged.class, m -> {
                Member member = m.event().member();
                MemberStatus s = member.status();
                if (m.event() instanceof ClusterEvent.MemberRemoved) {
                  self.tell(new Unwatch(member.uniqueAddress()));
                } else if (s == MemberStatus.up() || s == MemberStatus.weaklyUp()) {
                  int port = LivenessLinks.portIn(member.getRoles());
                  if (port > 0) {
                    self.tell(new Watch(member.uniqueAddress(), port));
                  }
                }
                return Behaviors.same();
              })
              .onMessage(Ended.class, e -> {
                Integer port = watched.get(e.member());
                if (port == null) {
                  return Behaviors.same();
                }
                ended.add(e.member());
                String host = e.member().address().host().get();
                int artery = (Integer) e.member().address().port().get();
                ctx.pipeToSelf(
                    CompletableFuture.supplyAsync(
                        () -> new LivenessLinks.Probe[] {LivenessLinks.probe(host, port, PROBE_TIMEOUT), LivenessLinks.probe(host, artery, PROBE_TIMEOUT)},
                        probes),
                    (r, failure) ->
                        r != null
                            ? new Probed(e.member(), e.evidence(), e.atMillis(), r[0], r[1])
                            : new Probed(e.member(), e.evidence(), e.atMillis(), LivenessLinks.Probe.ERROR, LivenessLinks.Probe.ERROR));
                return Behaviors.same();
              })
              .onMessage(Probed.class, p -> {
                if (!watched.containsKey(p.member())) {
                  return Behaviors.same();
                }
                Verdict v = decide(view.get(), p.member(), p.liveness(), p.artery(), ended);
                Address a = p.member().address();
                if (v.down()) {
                  LOG.info(
                      "crash detector: {} (uid {}) confirmed dead, downing it: {} at {}; {} ({} ms after the end)",
                      a, p.member().longUid(), p.evidence(), p.atMillis(), v.why(), System.currentTimeMillis() - p.atMillis());
                  FailoverPhases.note(FailoverPhases.CONFIRMED_DEAD, a + " " + p.evidence());
                } else {
                  LOG.info("crash detector: {} (uid {}) not downed: {}; {} (left to the failure detector and the split-brain resolver)",
                      a, p.member().longUid(), p.evidence(), v.why());
                  // a member that is still there gets a new liveness connection (once a second at most)
                  Integer port = watched.remove(p.member());
                  timers.startSingleTimer(p.member(), new Watch(p.member(), port), REWATCH);
                }
                decided.accept(new Decided(p.member(), p.evidence(), v));
                return Behaviors.same();
              })
              .build());
        });
  }

  /** This node's view of the membership from the cluster's current state. */
  static View view(Cluster cluster) {
    var state = cluster.state();
    Set<Member> unreachable = new HashSet<>();
    state.getUnreachable().forEach(unreachable::add);
    List<Seen> seen = new ArrayList<>();
    for (Member m : state.getMembers()) {
      MemberStatus s = m.status();
      if (s == MemberStatus.removed()) {
        continue;
      }
      Status st =
          s == MemberStatus.down()
              ? Status.DOWN
              : s == MemberStatus.joining() || s == MemberStatus.weaklyUp() || s == MemberStatus.up() ? Status.ACTIVE : Status.LEAVING;
      seen.add(new Seen(m.uniqueAddress(), st, !unreachable.contains(m)));
    }
    Member self = cluster.selfMember();
    return new View(self.uniqueAddress(), self.status() == MemberStatus.up(), seen);
  }
}
