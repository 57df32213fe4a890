package org.camstack.persistence.audit;

import java.time.Duration;
import java.util.ArrayList;
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
 *
 * <p>Stored format (docs/persistence.md, "The lifetime trail's rows"): one journal row per batch, a
 * {@link Batch} of at most {@link #MAX_EVENTS_PER_ROW} events; a larger {@link Append} becomes
 * several rows in one atomic write. Journals written before hold one {@link LifetimeEvent} per row;
 * the entity recovers from both, in any mix. Sequence numbers of the log ({@link State#seqNr()},
 * {@link Append}, {@link GetSeqNr}) and the numbers {@code journal show/verify} print count
 * lifetime EVENTS, not rows: the n-th event of the log is event n whatever row holds it.
 */
public final class LifetimeAudit
    extends EventSourcedBehaviorWithEnforcedReplies<
        LifetimeAudit.Command, LifetimeAudit.Row, LifetimeAudit.State> {

  /** Entity type: the first half of the persistence id {@code CamLifetime|<hostId>}. */
  public static final String ENTITY_TYPE = "CamLifetime";

  /** Cluster Sharding key for audit entities. */
  public static final EntityTypeKey<Command> TYPE_KEY =
      EntityTypeKey.create(Command.class, ENTITY_TYPE);

  /**
   * Snapshot interval in journal ROWS (the state is a counter, so snapshots are tiny). A restart
   * replays at most this many rows: 100 single-event rows of an old journal, or up to 100 ×
   * {@link #MAX_EVENTS_PER_ROW} = 25,600 events in batch rows (the old interval was 10,000
   * single-event rows). At 90,000 events/s in batches of a few hundred it is one snapshot every
   * second or so.
   */
  static final int SNAPSHOT_EVERY = 100;

  /**
   * The most events one journal row ({@link Batch}) holds: 256, about 50 KB of JSON (a lifetime
   * event is 150–250 bytes). Per-row costs (H2: ~11 µs of B-tree inserts and commit work; the
   * round trip per statement on PostgreSQL) are then under 0.1 µs per event, below the per-event
   * JSON work, so bigger rows would save nothing; smaller ones keep what one row costs to read
   * (recovery, {@code journal show/tail/verify}, PostgreSQL's TOAST, H2's LOB pages) bounded
   * whatever a caller appends. The writer's batches ({@code camstack.audit.max-batch} = 2,000)
   * become up to 8 rows, still one atomic journal write.
   */
  public static final int MAX_EVENTS_PER_ROW = 256;

  /**
   * What one journal row of the trail holds: a {@link Batch} (written now) or a single {@link
   * LifetimeEvent} (written by earlier versions; read only). Not a command, not a message.
   */
  public sealed interface Row extends JsonSerializable permits Batch, LifetimeEvent {}

  /**
   * One journal row of the trail: {@code events} in log order, the first of them being event
   * number {@code firstSeqNr} of the log (1-based). Stored so that a reader numbers the events of
   * any row without counting the rows before it ({@code journal tail}, {@code show}). JSON:
   * {@code {"firstSeqNr": 15, "events": [{"type": "PeriphRegistered", ...}, ...]}}, each event as
   * a single-event row would hold it.
   */
  public record Batch(long firstSeqNr, List<LifetimeEvent> events) implements Row {
    public Batch {
      events = List.copyOf(events);
      if (firstSeqNr < 1 || events.isEmpty() || events.size() > MAX_EVENTS_PER_ROW) {
        throw new IllegalArgumentException(
            "batch row: firstSeqNr " + firstSeqNr + ", " + events.size() + " events (1.." + MAX_EVENTS_PER_ROW + ")");
      }
    }

    /** The number of the last event in the row. */
    public long lastSeqNr() {
      return firstSeqNr + events.size() - 1;
    }

    /**
     * {@code events} as rows of at most {@link #MAX_EVENTS_PER_ROW}, numbered from {@code
     * firstSeqNr}.
     */
    public static List<Batch> rows(long firstSeqNr, List<LifetimeEvent> events) {
      List<Batch> rows = new ArrayList<>(events.size() / MAX_EVENTS_PER_ROW + 1);
      for (int from = 0; from < events.size(); from += MAX_EVENTS_PER_ROW) {
        int to = Math.min(events.size(), from + MAX_EVENTS_PER_ROW);
        rows.add(new Batch(firstSeqNr + from, events.subList(from, to)));
      }
      return rows;
    }
  }

  /** Commands; may cross nodes. */
  public sealed interface Command extends CborSerializable {}

  /**
   * Appends {@code events} atomically (one journal write, {@link Batch} rows) if the log holds exactly {@code
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
  public CommandHandlerWithReply<Command, Row, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Append.class, this::onAppend)
        .onCommand(GetSeqNr.class, (s, c) -> Effect().reply(c.replyTo(), ok(s.seqNr())))
        .build();
  }

  private ReplyEffect<Row, State> onAppend(State s, Append c) {
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
    // one atomic write of one row per MAX_EVENTS_PER_ROW events (usually exactly one row)
    List<Row> rows = new ArrayList<>(Batch.rows(s.seqNr() + 1, c.events()));
    return Effect().persist(rows).thenReply(c.replyTo(), st -> ok(st.seqNr()));
  }

  private static StatusReply<Long> ok(long seqNr) {
    return StatusReply.success(seqNr);
  }

  @Override
  public EventHandler<State, Row> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Batch.class, LifetimeAudit::apply)
        .onEvent(LifetimeEvent.class, (s, e) -> new State(s.seqNr() + 1)) // a row of an old journal
        .build();
  }

  /** A batch row continues the log exactly where it is; anything else is a corrupt journal. */
  private static State apply(State s, Batch b) {
    if (b.firstSeqNr() != s.seqNr() + 1) {
      throw new IllegalStateException(
          "lifetime trail corrupt: batch row starts at event " + b.firstSeqNr() + ", log holds " + s.seqNr());
    }
    return new State(b.lastSeqNr());
  }
}
