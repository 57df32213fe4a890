package org.camstack.stack.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.camstack.persistence.serialization.CborSerializable;
import org.camstack.stack.target.EmuDevice;
import org.camstack.stack.target.Nexuses;
import org.camstack.stack.target.UnitAttentionFanout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unit attentions of the clustered LUNs that hold on every member (docs/cluster.md, "Unit
 * attentions across the cluster"). Each node's copy of a clustered LUN keeps the unit attentions of
 * its own nexuses; a condition the owner establishes for other nexuses while it runs a command
 * (mode parameters changed 2A/01 for every nexus but the one that changed them, reservations
 * preempted or released 2A/03..05 for one registrant's nexus, capacity changed 2A/09, ...) and a
 * LUN reset (29/03 for every nexus, wherever it arrived) must reach the nexuses of every member.
 *
 * <p>How: each member runs one listener actor, registered with the receptionist under {@link
 * #KEY}. On the owner, {@link ClusterLun} runs each command inside {@link #collecting}: the copy's
 * posts are collected instead of being posted here ({@link #posted}), and after the command the
 * entity {@link #publish publishes} them to every member's listener (this one included) and
 * answers the command once they all acknowledged (or after {@link #ACK_TIMEOUT}), so the
 * initiator that caused them cannot overtake them on another path. A reset anywhere ({@link
 * #reset}) is sent to the LUN's entity, which resets the owner's copy (reservation, medium removal,
 * mode pages) and publishes the reset's condition the same way; the task management response
 * waits for that. A nexus is named across nodes by its qualified initiator port ({@code
 * host:port/initiator port}, as forwarded commands carry it) and its cluster-wide relative target
 * port; each listener maps it back to its own nexus id. Every message has an id: a listener posts
 * each once (idempotent), and nobody blocks: asks and futures only.
 *
 * <p>Thread-safe. cf. CTL HA's {@code ctl_isc_ua()} / {@code CTL_MSG_UA} and the peer's {@code
 * ctl_do_lun_reset()} on {@code CTL_MSG_MANAGE_TASKS}.
 */
public final class ClusterUnitAttentions implements UnitAttentionFanout {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterUnitAttentions.class);

  /** The listeners, one per member. */
  static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "camstack-cluster-unit-attentions");
  /** How long a publisher waits for the members' acknowledgements (a member that does not answer is left behind). */
  static final Duration ACK_TIMEOUT = Duration.ofSeconds(2);
  private static final String SIM_PREFIX = "camsim,initiator-";
  /** How many message ids a listener remembers to post each once. */
  private static final int REMEMBERED = 4096;

  /** A listener's messages. */
  public sealed interface Command {}

  /**
   * Posts one condition on this member's copy of {@code wwn}. Reply: {@link Applied}. cf. {@code
   * CTL_MSG_UA}.
   *
   * @param id unique per condition: a listener posts each id once
   * @param code {@code asc << 8 | ascq}
   * @param nexusPort the nexus excepted (or the only one, {@code only}) as {@code host:port/initiator
   *     port}; "" for none
   * @param nexusRel its relative target port (cluster-wide)
   * @param only for the nexus alone
   * @param reset a LUN reset: replaces every pending condition of every nexus by {@code code}
   */
  public record Apply(String wwn, String id, int code, String nexusPort, int nexusRel, boolean only, boolean reset, ActorRef<Applied> replyTo)
      implements Command, CborSerializable {}

  /** The answer to {@link Apply}. */
  public record Applied(String id) implements CborSerializable {}

  private record Listed(Receptionist.Listing listing) implements Command {}

  /** One condition collected on the owner, its nexus already named cluster-wide. */
  public record Posted(int code, String nexusPort, int nexusRel, boolean only, boolean reset) {
    /** A reset's condition; {@code origin} (host:port of the member the reset arrived at) is carried as {@code origin/}. */
    static Posted reset(int code, String origin) {
      return new Posted(code, origin + "/", 0, false, true);
    }
  }

  private static final ThreadLocal<List<Posted>> SCOPE = new ThreadLocal<>();

  private final ActorSystem<?> system;
  private final ClusterLuns luns;
  private volatile Set<ActorRef<Command>> members = Set.of();
  private volatile ActorRef<Command> self;

  ClusterUnitAttentions(ActorSystem<?> system, ClusterLuns luns) {
    this.system = system;
    this.luns = luns;
  }

  /** Starts this member's listener and follows the others'. */
  void start() {
    self = system.systemActorOf(listener(), "cluster-unit-attentions", Props.empty());
  }

  /**
   * Runs {@code body} (the owner running a forwarded command) with this thread's posts of clustered
   * LUNs' conditions going to {@code into} instead of the copy.
   */
  static <T> T collecting(List<Posted> into, Supplier<T> body) {
    List<Posted> was = SCOPE.get();
    SCOPE.set(into);
    try {
      return body.get();
    } finally {
      if (was == null) {
        SCOPE.remove();
      } else {
        SCOPE.set(was);
      }
    }
  }

  @Override
  public boolean posted(EmuDevice device, int code, int exceptInitiator, boolean only) {
    List<Posted> scope = SCOPE.get();
    if (scope == null) {
      return false; // not the owner running a command: a condition of this node
    }
    if (exceptInitiator == EmuDevice.NOBODY_EXCEPTED) {
      scope.add(new Posted(code, "", 0, false, false));
    } else {
      String[] n = qualified(device, exceptInitiator);
      scope.add(new Posted(code, n[0], Integer.parseInt(n[1]), only, false));
    }
    return true;
  }

  @Override
  public CompletionStage<Void> reset(EmuDevice device, int asc, int ascq) {
    if (!luns.started()) {
      return null;
    }
    String wwn = device.spec().wwn();
    int code = asc << 8 | ascq;
    CompletableFuture<Void> done = new CompletableFuture<>();
    luns.entity(wwn)
        .<Done>ask(r -> new ClusterLun.Reset(asc, ascq, selfHostPort(), r), ACK_TIMEOUT.multipliedBy(2))
        .whenComplete((ok, e) -> {
          if (e == null) {
            done.complete(null);
            return;
          }
          // the owner is away (failover): the condition still reaches every member
          LOG.info("clustered LUN {}: reset not confirmed by its owner ({}); posting 29/{} on the members", wwn, e.toString(), ascq);
          publish(wwn, List.of(Posted.reset(code, selfHostPort()))).whenComplete((x, f) -> done.complete(null));
        });
    return done;
  }

  /**
   * Posts {@code posted} on every member's copy of {@code wwn}, this one included; completes when
   * they all acknowledged, or after {@link #ACK_TIMEOUT} (never exceptionally).
   */
  CompletionStage<Void> publish(String wwn, List<Posted> posted) {
    Set<ActorRef<Command>> to = new HashSet<>(members);
    if (self != null) {
      to.add(self);
    }
    List<CompletableFuture<?>> acks = new ArrayList<>();
    for (Posted p : posted) {
      String id = UUID.randomUUID().toString();
      for (ActorRef<Command> m : to) {
        acks.add(
            AskPattern.<Command, Applied>ask(m, r -> new Apply(wwn, id, p.code(), p.nexusPort(), p.nexusRel(), p.only(), p.reset(), r), ACK_TIMEOUT,
                    system.scheduler())
                .toCompletableFuture()
                .exceptionally(e -> {
                  LOG.debug("clustered LUN {}: unit attention {} not acknowledged by {}: {}", wwn, Integer.toHexString(p.code()), m, e.toString());
                  return null;
                }));
      }
    }
    return CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new));
  }

  /** {@code {host:port/initiator port, relative target port}} of a nexus of this node's copy. */
  private String[] qualified(EmuDevice device, int initiatorId) {
    Nexuses.Nexus n;
    try {
      n = Nexuses.describe(initiatorId);
    } catch (IllegalArgumentException e) {
      return new String[] {"", "0"};
    }
    if (n.initiatorPort().indexOf('/') > 0) {
      return new String[] {n.initiatorPort(), String.valueOf(n.relativeTargetPort())}; // a forwarded nexus: named already
    }
    return new String[] {selfHostPort() + "/" + n.initiatorPort(), String.valueOf(device.portGroups().relativePort(n.relativeTargetPort()))};
  }

  private String selfHostPort() {
    return Cluster.get(system).selfMember().address().hostPort();
  }

  /**
   * This node's id of the nexus {@code port}/{@code rel}, or {@link EmuDevice#NOBODY_EXCEPTED}
   * when the nexus is another node's.
   */
  static int localNexus(EmuDevice device, String self, String port, int rel) {
    int slash = port.indexOf('/');
    if (slash <= 0 || !port.substring(0, slash).equals(self)) {
      return EmuDevice.NOBODY_EXCEPTED;
    }
    String initiator = port.substring(slash + 1);
    int local = rel - device.portGroups().localPortBase();
    if (initiator.startsWith(SIM_PREFIX)) {
      try {
        return Integer.parseInt(initiator.substring(SIM_PREFIX.length()));
      } catch (NumberFormatException e) {
        return EmuDevice.NOBODY_EXCEPTED;
      }
    }
    if (local < 1 || local > 0xffff || initiator.isBlank()) {
      return EmuDevice.NOBODY_EXCEPTED;
    }
    return Nexuses.idFor(initiator, local);
  }

  private Behavior<Command> listener() {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
      ctx.getSystem().receptionist().tell(Receptionist.subscribe(KEY, ctx.messageAdapter(Receptionist.Listing.class, Listed::new)));
      Map<String, Boolean> seen = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> e) {
          return size() > REMEMBERED;
        }
      };
      return Behaviors.receive(Command.class)
          .onMessage(Listed.class, l -> {
            members = Set.copyOf(l.listing().getServiceInstances(KEY));
            return Behaviors.same();
          })
          .onMessage(Apply.class, a -> {
            if (seen.put(a.id(), Boolean.TRUE) == null) {
              apply(a);
            }
            a.replyTo().tell(new Applied(a.id()));
            return Behaviors.same();
          })
          .build();
    });
  }

  private void apply(Apply a) {
    EmuDevice d = luns.device(a.wwn());
    if (d == null) {
      return;
    }
    String self = selfHostPort();
    if (a.reset() && !a.nexusPort().equals(self + "/") && d.target() != null && d.target().inventory() != null) {
      // a LUN reset that arrived at another member: this member's frontends abort their tasks of the LUN
      d.target().inventory().abortAllTasks(d.target(), d.lun());
    }
    int nexus = a.nexusPort().isEmpty() || a.reset() ? EmuDevice.NOBODY_EXCEPTED : localNexus(d, self, a.nexusPort(), a.nexusRel());
    if (a.only() && nexus == EmuDevice.NOBODY_EXCEPTED) {
      return; // that nexus is another member's
    }
    d.postUnitAttentionHere(a.code(), nexus, a.only(), a.reset());
    if (LOG.isDebugEnabled()) {
      LOG.debug("clustered LUN {}: unit attention {} posted ({} {}{})", a.wwn(), Integer.toHexString(a.code()), a.only() ? "to" : "except",
          a.nexusPort(), a.reset() ? ", reset" : "");
    }
  }
}
