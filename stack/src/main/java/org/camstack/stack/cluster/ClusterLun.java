package org.camstack.stack.cluster;

import java.time.Duration;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.apache.pekko.util.ByteString;
import org.camstack.persistence.serialization.CborSerializable;
import org.camstack.persistence.serialization.JsonSerializable;
import org.camstack.persistence.device.DeviceConfig;
import org.camstack.persistence.device.DeviceEntity;
import org.camstack.stack.durable.DeviceBridge;
import org.camstack.stack.durable.DeviceStateCodec;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.target.DeviceStateSink;
import org.camstack.stack.target.EmuDevice;
import org.camstack.stack.target.Nexuses;

/**
 * One clustered LUN, by WWN, as a Cluster Sharding entity: the node its entity runs on is the
 * LUN's owner, and the entity is the only place its commands run. Every node's copy of the LUN
 * sends its media commands here ({@link Execute}, through {@link ClusterLuns}' router); the entity
 * runs each on its own node's copy of the device ({@link EmuDevice#executeForwarded}) and answers
 * with the completion. Commands of one LUN are so serialised by one actor on one node; other LUNs
 * have their own entities (no funnel).
 *
 * <p>Event-sourced: every start of the entity (first use, failover after its node was downed, a
 * planned move) is recorded as {@link OwnerStarted}, so the journal tells who owned the LUN when.
 * The LUN's data lives in the shared file store; writes are in the file before they are
 * acknowledged, so a new owner reads what the old one acknowledged.
 *
 * <p>The LUN's device state (capacity, media, mode pages, SPC-2 and persistent reservations, fault
 * rules, delay) is the same {@link DeviceEntity} journal as a durable device's, keyed {@code
 * naa.<wwn>}: while the entity runs, a {@link DeviceBridge} child keeps it up to date with this
 * node's copy; when the entity starts on a node (first use, failover, planned move) it first reads
 * that journal and restores it into the node's copy ({@link DeviceStateCodec#restore}), and runs
 * no command before (they are stashed). Unit attentions stay per node. A planned move flushes the
 * bridge before the entity stops ({@link Handoff}).
 *
 * <p>cf. CTL HA ({@code ctl_ha.c}): the primary runs the LUN, the secondary forwards (ha_mode 2).
 */
public final class ClusterLun extends EventSourcedBehavior<ClusterLun.Command, ClusterLun.Event, ClusterLun.State> {

  /** Sharding key; the entity id is the WWN (16 hex digits). */
  public static final EntityTypeKey<Command> TYPE = EntityTypeKey.create(Command.class, "ClusterLun");

  /** Every command to the entity; crosses nodes. */
  public sealed interface Command extends CborSerializable {}

  /**
   * Runs one command on the owner. Reply: {@link Completion}. cf. a CTL HA XFER of a {@code
   * ctl_io} with its data to the primary.
   *
   * @param initiatorPort the nexus's initiator port on the forwarding node, qualified by that node
   * @param relativePort the relative target port the command arrived through (cluster-unique)
   * @param deadlineMillis wall-clock time after which the sender no longer waits: the command is
   *     then not run at all (it may have waited in a shard's buffer through a failover, and the
   *     initiator has retried it since; running it late could overwrite a newer write)
   */
  public record Execute(
      byte[] cdb, byte[] dataOut, int dxferLen, String initiatorPort, int relativePort, long deadlineMillis, ActorRef<Completion> replyTo)
      implements Command {}

  /**
   * A reset of the LUN arrived at some member (LOGICAL UNIT RESET, a SIM's BUS DEVICE RESET):
   * resets the owner's copy (reservation, medium removal, mode pages) and posts {@code asc/ascq}
   * on every member's copy for every nexus ({@link ClusterUnitAttentions}); the other members abort
   * their frontends' tasks of the LUN ({@code origin}, the host:port of the member it arrived at,
   * aborted its own). Reply: {@link Done}
   * once the members acknowledged. cf. {@code ctl_lun_reset()} and its {@code CTL_MSG_MANAGE_TASKS}.
   */
  public record Reset(int asc, int ascq, String origin, ActorRef<Done> replyTo) implements Command {}

  /** Where the entity runs. Reply: {@link Owner}. */
  public record WhereIsOwner(ActorRef<Owner> replyTo) implements Command {}

  /** The entity's own note to record that it started here (after recovery). */
  private record Started() implements Command {}

  /**
   * Sharding's stop message (rebalance, planned move, shutdown): the device state is flushed to
   * the journal, then the entity stops. No reply. cf. CTL HA's failover of a LUN's state to the peer.
   */
  public record Handoff() implements Command {}

  /** The device journal as read at the start (null state: it could not be read). */
  private record Restored(DeviceEntity.State state, Throwable failure) implements Command {}

  /** The bridge flushed (or gave up) during a {@link Handoff}: stop now. */
  private record Flushed() implements Command {}

  /** The answer to {@link Execute}: a {@link ScsiResponse} on the wire. */
  public record Completion(int status, byte[] sense, byte[] data, int resid, long delayNanos, boolean dropped) implements CborSerializable {
    static Completion of(ScsiResponse r) {
      return new Completion(r.scsiStatus(), r.sense().toArray(), r.data().toArray(), r.resid(), r.delayNanos(), r.dropped());
    }

    ScsiResponse toResponse() {
      return new ScsiResponse(status, ByteString.fromArrayUnsafe(sense), ByteString.fromArrayUnsafe(data), resid, delayNanos, dropped);
    }
  }

  /** The answer to {@link WhereIsOwner}: the owner's address ({@code pekko://camstack@host:port}). */
  public record Owner(String wwn, String address) implements CborSerializable {}

  /** Events. */
  public sealed interface Event extends JsonSerializable {}

  /** The LUN's entity started on {@code address} (the owner from then on). */
  public record OwnerStarted(String address, long atMillis) implements Event {}

  /** State: the owner as recorded, and how many times ownership started somewhere. */
  public record State(String owner, long starts) implements JsonSerializable {}

  private final String wwn;
  private final ActorContext<Command> ctx;
  private final Function<String, EmuDevice> devices;
  private final Function<String, EmuDevice> copies;
  private final Function<String, DeviceConfig> configs;
  private final String self;
  /** The device state was restored (or there is none): commands run instead of being stashed. */
  private boolean ready;
  /** A command ran since the entity started here. */
  private boolean served;
  private ActorRef<DeviceBridge.Command> bridge;
  private EmuDevice attached;

  /** How long the journal may take to answer at start and handoff. */
  private static final Duration JOURNAL_TIMEOUT = Duration.ofSeconds(10);

  private ClusterLun(
      String wwn, ActorContext<Command> ctx, Function<String, EmuDevice> devices, Function<String, EmuDevice> copies, Function<String, DeviceConfig> configs) {
    super(PersistenceId.of(TYPE.name(), wwn));
    this.wwn = wwn;
    this.ctx = ctx;
    this.devices = devices;
    this.copies = copies;
    this.configs = configs;
    this.self = org.apache.pekko.cluster.typed.Cluster.get(ctx.getSystem()).selfMember().address().toString();
    FailoverPhases.note(FailoverPhases.ENTITY_STARTED, wwn);
  }

  /**
   * @param devices this node's copy of a clustered LUN by WWN to run a command on (null when the
   *     node has none)
   * @param copies the same without counting a command (restore, journal)
   * @param configs the journal configuration of a clustered LUN by WWN
   */
  public static Behavior<Command> create(
      String wwn, Function<String, EmuDevice> devices, Function<String, EmuDevice> copies, Function<String, DeviceConfig> configs) {
    return Behaviors.setup(ctx -> new ClusterLun(wwn, ctx, devices, copies, configs));
  }

  @Override
  public State emptyState() {
    return new State("", 0);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), s -> {
          FailoverPhases.note(FailoverPhases.RECOVERED, wwn);
          ctx.getSelf().tell(new Started());
        })
        .onSignal(PostStop.instance(), s -> detach())
        .build();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Started.class, (s, c) -> Effect().persist(new OwnerStarted(self, System.currentTimeMillis())).thenRun(st -> takeOver()))
        .onCommand(Restored.class, (s, c) -> {
          restore(c);
          ready = true;
          FailoverPhases.note(FailoverPhases.RESTORED, wwn);
          return Effect().none().thenUnstashAll();
        })
        .onCommand(Handoff.class, (s, c) -> {
          if (bridge == null) {
            return Effect().stop();
          }
          ctx.ask(Done.class, bridge, JOURNAL_TIMEOUT, DeviceBridge.Flush::new, (ok, e) -> new Flushed());
          return Effect().none();
        })
        .onCommand(Flushed.class, (s, c) -> Effect().stop())
        .onCommand(Noted.class, (s, c) -> Effect().none())
        .onCommand(Reset.class, (s, c) -> {
          if (!ready) {
            return Effect().stash();
          }
          reset(c);
          return Effect().none();
        })
        .onCommand(WhereIsOwner.class, (s, c) -> {
          c.replyTo().tell(new Owner(wwn, self));
          return Effect().none();
        })
        .onCommand(Execute.class, (s, c) -> {
          if (!ready) {
            return Effect().stash();
          }
          if (System.currentTimeMillis() > c.deadlineMillis()) {
            ctx.getLog().debug("clustered LUN {}: command past its deadline not run", wwn);
            return Effect().none();
          }
          answer(c);
          if (!served) {
            served = true;
            FailoverPhases.note(FailoverPhases.FIRST_COMMAND, wwn);
          }
          return Effect().none();
        })
        .build();
  }

  /** Starts the device journal and its bridge here and reads the journal ({@link Restored}). */
  private void takeOver() {
    EmuDevice d = copies.apply(wwn);
    if (d == null) {
      ctx.getSelf().tell(new Restored(null, null));
      return;
    }
    String key = "naa." + wwn;
    ActorRef<DeviceEntity.Command> journal = ctx.spawn(DeviceEntity.create(key), "device-state");
    bridge = ctx.spawn(DeviceBridge.create(key, journal, null, JOURNAL_TIMEOUT, true), "device-bridge");
    ctx.<DeviceEntity.Command, StatusReply<DeviceEntity.State>>ask(
        ClusterLun.<DeviceEntity.State>replyClass(),
        journal,
        JOURNAL_TIMEOUT,
        DeviceEntity.Get::new,
        (r, e) -> r != null && r.isSuccess() ? new Restored(r.getValue(), null) : new Restored(null, e != null ? e : r.getError()));
  }

  /** Puts the journal's state into this node's copy, then lets the bridge keep the journal current. */
  private void restore(Restored r) {
    EmuDevice d = copies.apply(wwn);
    if (d == null || bridge == null) {
      return;
    }
    if (r.failure() != null) {
      ctx.getLog().warn("clustered LUN {}: device state not read from the journal, serving this node's copy as is: {}", wwn, r.failure().toString());
    } else if (r.state() instanceof DeviceEntity.Configured c) {
      DeviceStateCodec.restore(c, d, true);
      ctx.getLog().info("clustered LUN {}: device state restored from the journal", wwn);
    }
    attached = d;
    if (r.state() instanceof DeviceEntity.Configured) {
      ctx.ask(ClusterLun.<Done>replyClass(), bridge, JOURNAL_TIMEOUT, rt -> new DeviceBridge.Attach(d, rt), (ok, e) -> logged("attach", e));
    } else if (r.failure() == null) {
      DeviceConfig cfg = configs.apply(wwn);
      ctx.ask(ClusterLun.<Done>replyClass(), bridge, JOURNAL_TIMEOUT, rt -> new DeviceBridge.Plug(d, cfg, rt), (ok, e) -> logged("plug", e));
    }
  }

  private Command logged(String what, Throwable e) {
    if (e != null) {
      ctx.getLog().warn("clustered LUN {}: device journal {} failed: {}", wwn, what, e.toString());
    }
    return new Noted();
  }

  @SuppressWarnings("unchecked")
  private static <T> Class<StatusReply<T>> replyClass() {
    return (Class<StatusReply<T>>) (Class<?>) StatusReply.class;
  }

  /** A reply that needs no action. */
  private record Noted() implements Command {}

  private void detach() {
    if (attached != null && attached.stateSink() != DeviceStateSink.NONE) {
      attached.setStateSink(DeviceStateSink.NONE);
    }
    attached = null;
  }

  /**
   * Runs {@code c} and answers it; the unit attentions the command established for other nexuses
   * are first posted on every member ({@link ClusterUnitAttentions#publish}), so that the
   * initiator cannot overtake them on another path.
   */
  private void answer(Execute c) {
    java.util.List<ClusterUnitAttentions.Posted> uas = new java.util.ArrayList<>();
    ScsiResponse r = ClusterUnitAttentions.collecting(uas, () -> execute(c));
    EmuDevice d = uas.isEmpty() ? null : copies.apply(wwn);
    if (d == null || !(d.unitAttentionFanout() instanceof ClusterUnitAttentions fan)) {
      c.replyTo().tell(Completion.of(r));
      return;
    }
    fan.publish(wwn, uas).whenComplete((ok, e) -> c.replyTo().tell(Completion.of(r)));
  }

  /** {@link Reset}: the owner's copy's state, then the condition on every member. */
  private void reset(Reset c) {
    EmuDevice d = copies.apply(wwn);
    if (d == null || !(d.unitAttentionFanout() instanceof ClusterUnitAttentions fan)) {
      c.replyTo().tell(Done.getInstance());
      return;
    }
    d.resetState();
    ctx.getLog().info("clustered LUN {}: reset (29/{}) on the owner, posting it on every member", wwn, Integer.toHexString(c.ascq()));
    fan.publish(wwn, java.util.List.of(ClusterUnitAttentions.Posted.reset(c.asc() << 8 | c.ascq(), c.origin())))
        .whenComplete((ok, e) -> c.replyTo().tell(Done.getInstance()));
  }

  private ScsiResponse execute(Execute c) {
    EmuDevice d = devices.apply(wwn);
    if (d == null) {
      return ScsiResponse.checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x25, 0x00), c.dxferLen());
    }
    int nexus = Nexuses.idFor(c.initiatorPort(), c.relativePort());
    return d.executeForwarded(ByteString.fromArrayUnsafe(c.cdb()), ByteString.fromArrayUnsafe(c.dataOut()), c.dxferLen(), nexus);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(OwnerStarted.class, (s, e) -> new State(e.address(), s.starts() + 1))
        .build();
  }
}
