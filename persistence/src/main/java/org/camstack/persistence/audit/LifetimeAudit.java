package org.camstack.persistence.audit;

import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.TypedActorContext;
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
 * The lifetime audit trail of one host's stack: one totally ordered log ({@code
 * CamLifetime|<hostId>}) of {@link LifetimeEvent}s. This is what makes every hot-unplug observable
 * after the fact; {@code journal verify} replays it.
 *
 * <p>Callers do not talk to it directly: they record through {@link LifetimeListener#journal} into an {@link
 * AuditWriter}, which buffers events and appends them here in batches (group commit: one journal
 * write per batch).
 *
 * <p>{@link Append} is optimistic and idempotent: it names the sequence number the log must be at.
 * A retried batch that was in fact written (the first reply was lost) is acknowledged without
 * writing it twice.
 */
public final class LifetimeAudit
    extends EventSourcedBehaviorWithEnforcedReplies<
        LifetimeAudit.Command, LifetimeEvent, LifetimeAudit.State> {

  /** Entity type: the first half of the persistence id {@code CamLifetime|<hostId>}. */
  public static final String ENTITY_TYPE = "CamLifetime";

  /** Cluster Sharding key for audit entities. */
  public static final EntityTypeKey<Command> TYPE_KEY =
      EntityTypeKey.create(Command.class, ENTITY_TYPE);

  /** Snapshot interval in events (the state is a counter, so snapshots are tiny). */
  static final int SNAPSHOT_EVERY = 10_000;

  /** Commands; may cross nodes. */
  public sealed interface Command extends CborSerializable {}

  /**
   * Appends {@code events} atomically (one journal write) if the log holds exactly {@code
   * expectedSeqNr} events; replies with the new sequence number (event count). If the log already
   * holds {@code expectedSeqNr + events.size()} events, the batch is taken as written before and
   * acknowledged without writing (idempotent retry). Otherwise error {@code sequence mismatch}.
   * {@code expectedSeqNr} -1 appends unconditionally.
   */
  public record Append(
      List<LifetimeEvent> events, long expectedSeqNr, ActorRef<StatusReply<Long>> replyTo)
      implements Command {
    public Append {
      events = List.copyOf(events);
    }
  }

  /** Replies with the current sequence number (number of events in the log). */
  public record GetSeqNr(ActorRef<StatusReply<Long>> replyTo) implements Command {}

  /** The log's state: how many events it holds. Also the snapshot payload. */
  public record State(long seqNr) implements JsonSerializable {}

  /** The persistence id of a host's audit trail: {@code CamLifetime|<hostId>}. */
  public static PersistenceId persistenceId(String hostId) {
    return PersistenceId.of(ENTITY_TYPE, StableIds.requireHostId(hostId));
  }

  /** The audit entity of one host. Usually spawned by {@link AuditWriter#create}. */
  public static Behavior<Command> create(String hostId) {
    return new LifetimeAudit(hostId);
  }

  /** Registers the audit entity type with Cluster Sharding. */
  public static ActorRef<ShardingEnvelope<Command>> init(ActorSystem<?> system) {
    return ClusterSharding.get(system)
        .init(Entity.of(TYPE_KEY, ctx -> create(ctx.getEntityId())));
  }

  /** A sharded reference to a host's audit trail (after {@link #init(ActorSystem)}). */
  public static EntityRef<Command> entityRef(ActorSystem<?> system, String hostId) {
    return ClusterSharding.get(system).entityRefFor(TYPE_KEY, StableIds.requireHostId(hostId));
  }

  private final String hostId;

  private LifetimeAudit(String hostId) {
    super(
        persistenceId(hostId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.hostId = hostId;
  }

  /**
   * The behavior without Pekko's event publishing: by default every persisted event is also
   * published to the system event stream (a {@code PublishedEvent} for projections), one message
   * and one allocation per audit event that nothing here subscribes to.
   */
  @Override
  @SuppressWarnings("unchecked")
  public Behavior<Command> apply(TypedActorContext<Command> ctx) {
    // what the javadsl's apply returns (the Scala behavior is a Behavior), with publishing off
    return (Behavior<Command>) (Object) createEventSourcedBehavior().withEventPublishing(false);
  }

  @Override
  public State emptyState() {
    return new State(0);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(SNAPSHOT_EVERY, 2);
  }

  @Override
  public CommandHandlerWithReply<Command, LifetimeEvent, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Append.class, this::onAppend)
        .onCommand(GetSeqNr.class, (s, c) -> Effect().reply(c.replyTo(), ok(s.seqNr())))
        .build();
  }

  private ReplyEffect<LifetimeEvent, State> onAppend(State s, Append c) {
    long expected = c.expectedSeqNr();
    if (c.events().isEmpty()) {
      return Effect().reply(c.replyTo(), ok(s.seqNr()));
    }
    if (expected >= 0 && s.seqNr() == expected + c.events().size()) {
      return Effect().reply(c.replyTo(), ok(s.seqNr())); // a retry of a batch already written
    }
    if (expected >= 0 && s.seqNr() != expected) {
      return Effect()
          .reply(
              c.replyTo(),
              StatusReply.error(
                  hostId + ": sequence mismatch: log at " + s.seqNr() + ", expected " + expected));
    }
    return Effect().persist(c.events()).thenReply(c.replyTo(), st -> ok(st.seqNr()));
  }

  private static StatusReply<Long> ok(long seqNr) {
    return StatusReply.success(seqNr);
  }

  @Override
  public EventHandler<State, LifetimeEvent> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onAnyEvent((s, e) -> new State(s.seqNr() + 1));
  }
}
