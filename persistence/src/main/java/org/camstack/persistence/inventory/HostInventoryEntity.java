package org.camstack.persistence.inventory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.camstack.persistence.StableIds;
import org.camstack.persistence.device.DeviceConfig;
import org.camstack.persistence.device.DeviceEntity;
import org.camstack.persistence.serialization.CborSerializable;
import org.camstack.persistence.serialization.JsonSerializable;

/**
 * Which emulated devices one host has, and which of them are plugged in right now: the membership
 * of the host's buses, keyed by device identity (the WWN, as {@link DeviceEntity}). The host's
 * stack reads it at start to rebuild its buses as they were (LUNs plugged at runtime come back,
 * pulled ones stay out) and writes it <em>before</em> a plug or pull takes effect.
 *
 * <p>One event per plug or pull, whatever the number of devices (a whole target): a crash leaves
 * all of them plugged or all of them pulled, never half. The per-device facts (configuration,
 * capacity, media, ...) stay in each {@link DeviceEntity}; its plugged flag follows this entity
 * and is repaired from it at start.
 *
 * <p>A member with a {@link Member#topologyConfig()} is listed by the host's topology file (the
 * configuration the file gave it at the last start, to notice edits of the file); one without was
 * plugged at runtime and is rebuilt from its {@link DeviceEntity} configuration.
 */
public final class HostInventoryEntity
    extends EventSourcedBehaviorWithEnforcedReplies<
        HostInventoryEntity.Command, HostInventoryEntity.Event, HostInventoryEntity.State> {

  /** Entity type: the first half of the persistence id {@code CamInventory|<hostId>}. */
  public static final String ENTITY_TYPE = "CamInventory";

  /** Cluster Sharding key for inventory entities. */
  public static final EntityTypeKey<Command> TYPE_KEY =
      EntityTypeKey.create(Command.class, ENTITY_TYPE);

  // Commands ------------------------------------------------------------------------------------

  /** Every command to an inventory; may cross nodes (sharding). */
  public sealed interface Command extends CborSerializable {}

  /**
   * The devices are plugged in (hot-plug). Keys not known yet join as plugged at runtime. Acks once
   * persisted; idempotent (nothing persisted when all are plugged already).
   */
  public record Plug(List<String> deviceKeys, String cause, ActorRef<StatusReply<Done>> replyTo)
      implements Command {
    public Plug {
      deviceKeys = List.copyOf(deviceKeys);
    }
  }

  /** The devices are pulled. Unknown keys are ignored. Idempotent. */
  public record Unplug(List<String> deviceKeys, String cause, ActorRef<StatusReply<Done>> replyTo)
      implements Command {
    public Unplug {
      deviceKeys = List.copyOf(deviceKeys);
    }
  }

  /** The devices leave the host for good (e.g. dropped from the topology file). Idempotent. */
  public record Forget(List<String> deviceKeys, String cause, ActorRef<StatusReply<Done>> replyTo)
      implements Command {
    public Forget {
      deviceKeys = List.copyOf(deviceKeys);
    }
  }

  /**
   * The topology file lists these devices with these configurations (at start). Keys not known
   * yet join as plugged. Idempotent: only changed entries are persisted.
   */
  public record RecordTopology(
      Map<String, DeviceConfig> configs, ActorRef<StatusReply<Done>> replyTo) implements Command {
    public RecordTopology {
      configs = Collections.unmodifiableMap(new TreeMap<>(configs));
    }
  }

  /** Query: the whole inventory. */
  public record GetInventory(ActorRef<StatusReply<State>> replyTo) implements Command {}

  // Events --------------------------------------------------------------------------------------

  /** Membership facts. Written as JSON; see docs/persistence.md. */
  public sealed interface Event extends JsonSerializable {}

  /** Plugged in (new keys: plugged at runtime). */
  public record DevicesPlugged(List<String> deviceKeys, String cause) implements Event {}

  /** Pulled. */
  public record DevicesUnplugged(List<String> deviceKeys, String cause) implements Event {}

  /** No longer part of the host. */
  public record DevicesForgotten(List<String> deviceKeys, String cause) implements Event {}

  /** The topology file's configuration of each device (new keys: plugged). */
  public record TopologyRecorded(Map<String, DeviceConfig> configs) implements Event {}

  // State ---------------------------------------------------------------------------------------

  /**
   * One device of the host.
   *
   * @param plugged in the data path now
   * @param topologyConfig what the topology file said at the last start, or null when the device
   *     was plugged at runtime (not in the file)
   */
  public record Member(boolean plugged, DeviceConfig topologyConfig) implements JsonSerializable {
    /** Listed by the topology file. */
    public boolean fromTopology() {
      return topologyConfig != null;
    }
  }

  /** The devices of a host by key. Also the snapshot payload. */
  public record State(Map<String, Member> members) implements JsonSerializable {
    public State {
      members = Collections.unmodifiableMap(new TreeMap<>(members));
    }

    /** The member with this key, or null. */
    public Member member(String deviceKey) {
      return members.get(deviceKey);
    }
  }

  // Creation ------------------------------------------------------------------------------------

  /** The persistence id of a host's inventory: {@code CamInventory|<hostId>}. */
  public static PersistenceId persistenceId(String hostId) {
    return PersistenceId.of(ENTITY_TYPE, StableIds.requireHostId(hostId));
  }

  /** The inventory entity of one host. */
  public static Behavior<Command> create(String hostId) {
    return new HostInventoryEntity(hostId);
  }

  /** Registers the inventory entity type with Cluster Sharding. */
  public static ActorRef<ShardingEnvelope<Command>> init(ActorSystem<?> system) {
    return ClusterSharding.get(system).init(Entity.of(TYPE_KEY, ctx -> create(ctx.getEntityId())));
  }

  /** A sharded reference to a host's inventory (after {@link #init(ActorSystem)}). */
  public static EntityRef<Command> entityRef(ActorSystem<?> system, String hostId) {
    return ClusterSharding.get(system).entityRefFor(TYPE_KEY, StableIds.requireHostId(hostId));
  }

  private final String hostId;

  private HostInventoryEntity(String hostId) {
    super(
        persistenceId(hostId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.hostId = hostId;
  }

  @Override
  public State emptyState() {
    return new State(Map.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Plug.class, this::onPlug)
        .onCommand(Unplug.class, this::onUnplug)
        .onCommand(Forget.class, this::onForget)
        .onCommand(RecordTopology.class, this::onRecordTopology)
        .onCommand(GetInventory.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s)))
        .build();
  }

  private ReplyEffect<Event, State> onPlug(State s, Plug c) {
    String bad = invalid(c.deviceKeys());
    if (bad != null) {
      return Effect().reply(c.replyTo(), error(bad));
    }
    List<String> changed = new ArrayList<>();
    for (String k : c.deviceKeys()) {
      Member m = s.member(k);
      if ((m == null || !m.plugged()) && !changed.contains(k)) {
        changed.add(k);
      }
    }
    return changed.isEmpty()
        ? Effect().reply(c.replyTo(), StatusReply.ack())
        : Effect()
            .persist(new DevicesPlugged(changed, cause(c.cause())))
            .thenReply(c.replyTo(), st -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> onUnplug(State s, Unplug c) {
    List<String> changed = new ArrayList<>();
    for (String k : c.deviceKeys()) {
      Member m = s.member(k);
      if (m != null && m.plugged() && !changed.contains(k)) {
        changed.add(k);
      }
    }
    return changed.isEmpty()
        ? Effect().reply(c.replyTo(), StatusReply.ack())
        : Effect()
            .persist(new DevicesUnplugged(changed, cause(c.cause())))
            .thenReply(c.replyTo(), st -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> onForget(State s, Forget c) {
    List<String> changed = new ArrayList<>();
    for (String k : c.deviceKeys()) {
      if (s.member(k) != null && !changed.contains(k)) {
        changed.add(k);
      }
    }
    return changed.isEmpty()
        ? Effect().reply(c.replyTo(), StatusReply.ack())
        : Effect()
            .persist(new DevicesForgotten(changed, cause(c.cause())))
            .thenReply(c.replyTo(), st -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> onRecordTopology(State s, RecordTopology c) {
    String bad = invalid(List.copyOf(c.configs().keySet()));
    if (bad == null && c.configs().containsValue(null)) {
      bad = "no configuration";
    }
    if (bad != null) {
      return Effect().reply(c.replyTo(), error(bad));
    }
    Map<String, DeviceConfig> changed = new TreeMap<>();
    c.configs()
        .forEach(
            (k, cfg) -> {
              Member m = s.member(k);
              if (m == null || !cfg.equals(m.topologyConfig())) {
                changed.put(k, cfg);
              }
            });
    return changed.isEmpty()
        ? Effect().reply(c.replyTo(), StatusReply.ack())
        : Effect()
            .persist(new TopologyRecorded(changed))
            .thenReply(c.replyTo(), st -> StatusReply.ack());
  }

  private static String invalid(List<String> keys) {
    for (String k : keys) {
      try {
        StableIds.requireDeviceKey(k);
      } catch (IllegalArgumentException e) {
        return e.getMessage();
      }
    }
    return null;
  }

  private static String cause(String cause) {
    return cause == null ? "" : cause;
  }

  private <T> StatusReply<T> error(String why) {
    return StatusReply.error(hostId + ": " + why);
  }

  // Event handler -------------------------------------------------------------------------------

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(DevicesPlugged.class, (s, e) -> withPlugged(s, e.deviceKeys(), true))
        .onEvent(DevicesUnplugged.class, (s, e) -> withPlugged(s, e.deviceKeys(), false))
        .onEvent(
            DevicesForgotten.class,
            (s, e) -> {
              Map<String, Member> m = new TreeMap<>(s.members());
              e.deviceKeys().forEach(m::remove);
              return new State(m);
            })
        .onEvent(
            TopologyRecorded.class,
            (s, e) -> {
              Map<String, Member> m = new TreeMap<>(s.members());
              e.configs()
                  .forEach(
                      (k, cfg) -> {
                        Member old = m.get(k);
                        m.put(k, new Member(old == null || old.plugged(), cfg));
                      });
              return new State(m);
            })
        .build();
  }

  private static State withPlugged(State s, List<String> keys, boolean plugged) {
    Map<String, Member> m = new TreeMap<>(s.members());
    for (String k : keys) {
      Member old = m.get(k);
      if (old != null || plugged) {
        m.put(k, new Member(plugged, old == null ? null : old.topologyConfig()));
      }
    }
    return new State(m);
  }
}
