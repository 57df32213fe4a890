package org.camstack.stack.cluster;

import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.apache.pekko.util.ByteString;
import org.camstack.persistence.serialization.CborSerializable;
import org.camstack.persistence.serialization.JsonSerializable;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.Sense;
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

  /** Where the entity runs. Reply: {@link Owner}. */
  public record WhereIsOwner(ActorRef<Owner> replyTo) implements Command {}

  /** The entity's own note to record that it started here (after recovery). */
  private record Started() implements Command {}

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
  private final String self;

  private ClusterLun(String wwn, ActorContext<Command> ctx, Function<String, EmuDevice> devices) {
    super(PersistenceId.of(TYPE.name(), wwn));
    this.wwn = wwn;
    this.ctx = ctx;
    this.devices = devices;
    this.self = org.apache.pekko.cluster.typed.Cluster.get(ctx.getSystem()).selfMember().address().toString();
  }

  /**
   * @param devices this node's copy of a clustered LUN by WWN (null when the node has none)
   */
  public static Behavior<Command> create(String wwn, Function<String, EmuDevice> devices) {
    return Behaviors.setup(ctx -> new ClusterLun(wwn, ctx, devices));
  }

  @Override
  public State emptyState() {
    return new State("", 0);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), s -> ctx.getSelf().tell(new Started())).build();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Started.class, (s, c) -> Effect().persist(new OwnerStarted(self, System.currentTimeMillis())))
        .onCommand(WhereIsOwner.class, (s, c) -> {
          c.replyTo().tell(new Owner(wwn, self));
          return Effect().none();
        })
        .onCommand(Execute.class, (s, c) -> {
          if (System.currentTimeMillis() > c.deadlineMillis()) {
            ctx.getLog().debug("clustered LUN {}: command past its deadline not run", wwn);
            return Effect().none();
          }
          c.replyTo().tell(Completion.of(execute(c)));
          return Effect().none();
        })
        .build();
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
