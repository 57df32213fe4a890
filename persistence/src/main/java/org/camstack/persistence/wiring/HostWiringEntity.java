package org.camstack.persistence.wiring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
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
import org.camstack.persistence.serialization.CborSerializable;
import org.camstack.persistence.serialization.JsonSerializable;

/**
 * Unit wiring of one host: device identity → driver + unit, so that after a restart every device
 * comes back under the same {@code daN} / {@code passN} / {@code sesN}. cf. the wired units of
 * FreeBSD's {@code hint.da.N.target} hints and {@code camperiphunit()}, which skips units held by
 * wiring when it picks a unit for a device without one.
 *
 * <p>Explicit wiring ({@link Wire} / {@link Unwire}) comes from the operator; automatic wiring
 * ({@link AssignUnit}) from a peripheral driver when a device first attaches: the device keeps that
 * unit from then on. Queries: {@link GetUnit} ("unit for (device, driver)") and {@link
 * FirstFreeUnit} ("first unit of the driver not held by wiring").
 *
 * <p>The wiring says which unit a device <em>should</em> get; whether that unit is free right now
 * (the previous periph may still be tearing down) is the driver's business: it must wait for
 * UnitFreed before reusing a unit.
 */
public final class HostWiringEntity
    extends EventSourcedBehaviorWithEnforcedReplies<
        HostWiringEntity.Command, HostWiringEntity.Event, HostWiringEntity.State> {

  /** Entity type: the first half of the persistence id {@code CamWiring|<hostId>}. */
  public static final String ENTITY_TYPE = "CamWiring";

  /** Cluster Sharding key for wiring entities. */
  public static final EntityTypeKey<Command> TYPE_KEY =
      EntityTypeKey.create(Command.class, ENTITY_TYPE);

  // Commands ------------------------------------------------------------------------------------

  /** Every command to a wiring entity; may cross nodes (sharding). */
  public sealed interface Command extends CborSerializable {}

  /**
   * Explicitly wires {@code deviceKey} to {@code driver}{@code unit}, replacing an earlier wiring of
   * that device for that driver. Idempotent. Error if another device holds that unit.
   */
  public record Wire(
      String deviceKey, String driver, int unit, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** Removes the wiring of {@code deviceKey} for {@code driver}. Idempotent. */
  public record Unwire(String deviceKey, String driver, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /**
   * A device attaches to {@code driver}: replies with its wired unit, or wires it automatically to
   * the first unit that is neither held by wiring nor in {@code busy} (units live right now) and
   * replies with that. Idempotent: the same device always gets the same unit.
   */
  public record AssignUnit(
      String deviceKey, String driver, Set<Integer> busy, ActorRef<StatusReply<Integer>> replyTo)
      implements Command {
    public AssignUnit {
      busy = Set.copyOf(busy == null ? Set.of() : busy);
    }
  }

  /** Query: the unit wired for (device, driver). Replies {@link UnitLookup} (unit -1: none). */
  public record GetUnit(String deviceKey, String driver, ActorRef<StatusReply<UnitLookup>> replyTo)
      implements Command {}

  /**
   * Query: the first unit of {@code driver} neither held by wiring nor in {@code busy}. Persists
   * nothing.
   */
  public record FirstFreeUnit(
      String driver, Set<Integer> busy, ActorRef<StatusReply<Integer>> replyTo)
      implements Command {
    public FirstFreeUnit {
      busy = Set.copyOf(busy == null ? Set.of() : busy);
    }
  }

  /** Query: the whole wiring table. */
  public record GetWiring(ActorRef<StatusReply<State>> replyTo) implements Command {}

  /**
   * Reply to {@link GetUnit}.
   *
   * @param unit the wired unit, or -1 if the device has none for that driver
   */
  public record UnitLookup(String deviceKey, String driver, int unit) implements CborSerializable {
    /** True if the device is wired for that driver. */
    public boolean wired() {
      return unit >= 0;
    }
  }

  // Events --------------------------------------------------------------------------------------

  /** Wiring facts. Written as JSON; see docs/persistence.md. */
  public sealed interface Event extends JsonSerializable {}

  /**
   * {@code deviceKey} is wired to {@code driver}{@code unit}.
   *
   * @param automatic true if assigned on first attach, false if wired by the operator
   */
  public record UnitWired(String deviceKey, String driver, int unit, boolean automatic)
      implements Event {}

  /** The wiring of {@code deviceKey} for {@code driver} (which was {@code unit}) was removed. */
  public record UnitUnwired(String deviceKey, String driver, int unit) implements Event {}

  // State ---------------------------------------------------------------------------------------

  /** One wiring entry. */
  public record Wiring(String deviceKey, String driver, int unit, boolean automatic)
      implements JsonSerializable {}

  /** The wiring table of a host, in the order the entries were made. Also the snapshot payload. */
  public record State(List<Wiring> wirings) implements JsonSerializable {
    public State {
      wirings = List.copyOf(wirings);
    }

    /** The entry for (device, driver), or null. */
    public Wiring find(String deviceKey, String driver) {
      for (Wiring w : wirings) {
        if (w.deviceKey().equals(deviceKey) && w.driver().equals(driver)) {
          return w;
        }
      }
      return null;
    }

    /** The entry holding {@code driver}{@code unit}, or null. */
    public Wiring holder(String driver, int unit) {
      for (Wiring w : wirings) {
        if (w.driver().equals(driver) && w.unit() == unit) {
          return w;
        }
      }
      return null;
    }

    /** The first unit of {@code driver} neither wired nor in {@code busy}. */
    public int firstFreeUnit(String driver, Set<Integer> busy) {
      Set<Integer> taken = new TreeSet<>(busy);
      for (Wiring w : wirings) {
        if (w.driver().equals(driver)) {
          taken.add(w.unit());
        }
      }
      int unit = 0;
      while (taken.contains(unit)) {
        unit++;
      }
      return unit;
    }
  }

  // Creation ------------------------------------------------------------------------------------

  /** The persistence id of a host's wiring: {@code CamWiring|<hostId>}. */
  public static PersistenceId persistenceId(String hostId) {
    return PersistenceId.of(ENTITY_TYPE, StableIds.requireHostId(hostId));
  }

  /** The wiring entity of one host. */
  public static Behavior<Command> create(String hostId) {
    return new HostWiringEntity(hostId);
  }

  /** Registers the wiring entity type with Cluster Sharding. */
  public static ActorRef<ShardingEnvelope<Command>> init(ActorSystem<?> system) {
    return ClusterSharding.get(system)
        .init(Entity.of(TYPE_KEY, ctx -> create(ctx.getEntityId())));
  }

  /** A sharded reference to a host's wiring (after {@link #init(ActorSystem)}). */
  public static EntityRef<Command> entityRef(ActorSystem<?> system, String hostId) {
    return ClusterSharding.get(system).entityRefFor(TYPE_KEY, StableIds.requireHostId(hostId));
  }

  private final String hostId;

  private HostWiringEntity(String hostId) {
    super(
        persistenceId(hostId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.hostId = hostId;
  }

  @Override
  public State emptyState() {
    return new State(List.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Wire.class, this::onWire)
        .onCommand(Unwire.class, this::onUnwire)
        .onCommand(AssignUnit.class, this::onAssignUnit)
        .onCommand(GetUnit.class, this::onGetUnit)
        .onCommand(FirstFreeUnit.class, this::onFirstFreeUnit)
        .onCommand(GetWiring.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s)))
        .build();
  }

  private ReplyEffect<Event, State> onWire(State s, Wire c) {
    String bad = invalid(c.deviceKey(), c.driver());
    if (bad != null || c.unit() < 0) {
      return Effect().reply(c.replyTo(), error(bad != null ? bad : "unit must be >= 0"));
    }
    Wiring holder = s.holder(c.driver(), c.unit());
    if (holder != null && !holder.deviceKey().equals(c.deviceKey())) {
      return Effect()
          .reply(
              c.replyTo(),
              error(c.driver() + c.unit() + " is wired to " + holder.deviceKey()));
    }
    Wiring current = s.find(c.deviceKey(), c.driver());
    if (current != null && current.unit() == c.unit() && !current.automatic()) {
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    List<Event> events = new ArrayList<>(2);
    if (current != null && current.unit() != c.unit()) {
      events.add(new UnitUnwired(c.deviceKey(), c.driver(), current.unit()));
    }
    events.add(new UnitWired(c.deviceKey(), c.driver(), c.unit(), false));
    return Effect().persist(events).thenReply(c.replyTo(), st -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> onUnwire(State s, Unwire c) {
    Wiring current = s.find(c.deviceKey(), c.driver());
    if (current == null) {
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    return Effect()
        .persist(new UnitUnwired(c.deviceKey(), c.driver(), current.unit()))
        .thenReply(c.replyTo(), st -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> onAssignUnit(State s, AssignUnit c) {
    String bad = invalid(c.deviceKey(), c.driver());
    if (bad != null) {
      return Effect().reply(c.replyTo(), error(bad));
    }
    Wiring current = s.find(c.deviceKey(), c.driver());
    if (current != null) {
      return Effect().reply(c.replyTo(), StatusReply.success(current.unit()));
    }
    int unit = s.firstFreeUnit(c.driver(), c.busy());
    return Effect()
        .persist(new UnitWired(c.deviceKey(), c.driver(), unit, true))
        .thenReply(c.replyTo(), st -> StatusReply.success(unit));
  }

  private ReplyEffect<Event, State> onGetUnit(State s, GetUnit c) {
    Wiring current = s.find(c.deviceKey(), c.driver());
    int unit = current == null ? -1 : current.unit();
    return Effect()
        .reply(c.replyTo(), StatusReply.success(new UnitLookup(c.deviceKey(), c.driver(), unit)));
  }

  private ReplyEffect<Event, State> onFirstFreeUnit(State s, FirstFreeUnit c) {
    return Effect()
        .reply(c.replyTo(), StatusReply.success(s.firstFreeUnit(c.driver(), c.busy())));
  }

  /** Why (device, driver) cannot be wired, or null. */
  private static String invalid(String deviceKey, String driver) {
    if (driver == null || !driver.matches("[a-z][a-z_]*")) {
      return "bad driver name '" + driver + "'";
    }
    try {
      StableIds.requireDeviceKey(deviceKey);
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  private <T> StatusReply<T> error(String why) {
    return StatusReply.error(hostId + ": " + why);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(UnitWired.class, HostWiringEntity::applyWired)
        .onEvent(UnitUnwired.class, HostWiringEntity::applyUnwired)
        .build();
  }

  private static State applyWired(State s, UnitWired e) {
    List<Wiring> ws = new ArrayList<>(s.wirings());
    ws.removeIf(w -> w.deviceKey().equals(e.deviceKey()) && w.driver().equals(e.driver()));
    ws.add(new Wiring(e.deviceKey(), e.driver(), e.unit(), e.automatic()));
    return new State(ws);
  }

  private static State applyUnwired(State s, UnitUnwired e) {
    List<Wiring> ws = new ArrayList<>(s.wirings());
    ws.removeIf(w -> w.deviceKey().equals(e.deviceKey()) && w.driver().equals(e.driver()));
    return new State(ws);
  }
}
