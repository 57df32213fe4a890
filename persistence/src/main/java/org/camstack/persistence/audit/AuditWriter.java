package org.camstack.persistence.audit;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;
import org.camstack.persistence.serialization.CborSerializable;

/**
 * The batching front of a host's {@link LifetimeAudit}: group commit for the lifetime trail.
 *
 * <p>{@link Record} is fire-and-forget. Events are buffered; while one {@link LifetimeAudit.Append}
 * is in flight, everything recorded meanwhile waits and goes out as the next batch (up to {@code
 * camstack.audit.max-batch} events, one journal write). Under load, batches grow and the number of
 * journal round trips stays small; when idle, an event is written at once.
 *
 * <p>Failures: a write that fails or times out is retried with the same batch and the same
 * expected sequence number (the entity acks a batch it already holds), with backoff. Order is kept:
 * no batch overtakes another. Over {@code camstack.audit.max-buffer} buffered events, new events
 * are dropped, counted and logged at WARN (the trail then has a gap that {@code journal verify}
 * may report).
 *
 * <p>{@link Flush} replies once everything recorded before it is in the journal (tests). An orderly
 * shutdown flushes by itself: the writer registers a CoordinatedShutdown task in the {@code
 * service-stop} phase (cancelled when the writer stops first).
 */
public final class AuditWriter extends AbstractBehavior<AuditWriter.Command> {

  /** Messages to the writer. */
  public sealed interface Command extends CborSerializable {}

  /** Records one lifetime event. Fire-and-forget: no reply. */
  public record Record(LifetimeEvent event) implements Command {}

  /**
   * Takes every event waiting in {@code feed} (a {@link LifetimeListener#journal} listener's
   * queue). Local only: the listener sends one when its queue goes from idle to non-empty, so a
   * burst of events costs one message instead of one {@link Record} each. No reply.
   */
  public record Drain(Feed feed) implements Command, org.apache.pekko.actor.NoSerializationVerificationNeeded {}

  /**
   * The queue between the emitters of one {@link LifetimeListener#journal} listener and the writer:
   * lock-free and linearizable (emitters never block; an event offered before a {@link Flush} is
   * sent is taken before that flush is answered), with a doorbell: at most one {@link Drain} is
   * pending at a time.
   */
  public static final class Feed {
    private final java.util.concurrent.ConcurrentLinkedQueue<LifetimeEvent> queue = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicBoolean rung = new java.util.concurrent.atomic.AtomicBoolean();
    private final ActorRef<Command> writer;

    public Feed(ActorRef<Command> writer) {
      this.writer = writer;
    }

    /** Any thread, never blocks: queue {@code e} and ring the writer unless a drain is pending. */
    public void offer(LifetimeEvent e) {
      queue.offer(e);
      if (!rung.get() && rung.compareAndSet(false, true)) {
        writer.tell(new Drain(this));
      }
    }
  }

  /**
   * Replies with the log's sequence number once every event recorded before this message is
   * persisted (-1 if this writer has not written anything yet).
   */
  public record Flush(ActorRef<StatusReply<Long>> replyTo) implements Command {}

  /** Replies with the writer's counters. */
  public record GetStats(ActorRef<Stats> replyTo) implements Command {}

  /**
   * Writer counters.
   *
   * @param recorded events accepted
   * @param written events confirmed persisted
   * @param batches journal writes done
   * @param dropped events dropped because the buffer was full
   * @param retries batch writes retried
   */
  public record Stats(long recorded, long written, long batches, long dropped, long retries)
      implements CborSerializable {}

  private record SeqNrKnown(long seqNr) implements Command {}

  private record Written(long seqNr) implements Command {}

  private record WriteFailed(String why) implements Command {}

  private enum RetryTick implements Command {
    INSTANCE
  }

  /** Settings of the writer, from {@code camstack.audit}. */
  public record Settings(int maxBatch, int maxBuffer, Duration writeTimeout) {
    public Settings {
      if (maxBatch < 1 || maxBuffer < maxBatch) {
        throw new IllegalArgumentException("need 1 <= max-batch <= max-buffer");
      }
    }

    /** From {@code camstack.audit.*}. */
    public static Settings from(Config config) {
      Config c = config.getConfig("camstack.audit");
      return new Settings(
          c.getInt("max-batch"), c.getInt("max-buffer"), c.getDuration("write-timeout"));
    }
  }

  /**
   * A writer that spawns the host's {@link LifetimeAudit} entity as its child (single JVM, or the
   * node that owns the host), with settings from the system config.
   */
  public static Behavior<Command> create(String hostId) {
    return Behaviors.setup(
        ctx -> {
          ActorRef<LifetimeAudit.Command> audit =
              ctx.spawn(LifetimeAudit.create(hostId), "lifetime-audit-" + hostId);
          Settings settings = Settings.from(ctx.getSystem().settings().config());
          return Behaviors.withTimers(timers -> new AuditWriter(ctx, timers, audit, settings));
        });
  }

  /** A writer in front of an existing audit entity, e.g. a sharded {@code EntityRef}. */
  public static Behavior<Command> create(
      RecipientRef<LifetimeAudit.Command> audit, Settings settings) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(timers -> new AuditWriter(ctx, timers, audit, settings)));
  }

  private final TimerScheduler<Command> timers;
  private final RecipientRef<LifetimeAudit.Command> audit;
  private final Settings settings;

  private final ArrayDeque<LifetimeEvent> buffer = new ArrayDeque<>();
  private final List<Waiter> flushWaiters = new ArrayList<>();
  private List<LifetimeEvent> inFlight; // null when no write is outstanding
  private boolean askingSeqNr;
  private long expectedSeqNr = -1; // unknown until the entity tells us
  private long recorded;
  private long written;
  private long batches;
  private long dropped;
  private long retries;
  private Duration backoff = Duration.ofMillis(100);
  private final Cancellable shutdownFlush;

  private record Waiter(long target, ActorRef<StatusReply<Long>> replyTo) {}

  private AuditWriter(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      RecipientRef<LifetimeAudit.Command> audit,
      Settings settings) {
    super(context);
    this.timers = timers;
    this.audit = audit;
    this.settings = settings;
    ActorRef<Command> self = context.getSelf();
    var system = context.getSystem();
    this.shutdownFlush =
        CoordinatedShutdown.get(system)
            .addCancellableTask(
                CoordinatedShutdown.PhaseServiceStop(),
                "flush-lifetime-audit-" + self.path().name(),
                () ->
                    AskPattern.<Command, Long>askWithStatus(
                            self, Flush::new, settings.writeTimeout(), system.scheduler())
                        .handle((seq, err) -> Done.getInstance()));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Record.class, this::onRecord)
        .onMessage(Drain.class, this::onDrain)
        .onMessage(Flush.class, this::onFlush)
        .onMessage(GetStats.class, this::onGetStats)
        .onMessage(SeqNrKnown.class, this::onSeqNrKnown)
        .onMessage(Written.class, this::onWritten)
        .onMessage(WriteFailed.class, this::onWriteFailed)
        .onMessageEquals(RetryTick.INSTANCE, this::onRetryTick)
        .onSignal(PostStop.class, stop -> onPostStop())
        .build();
  }

  private Behavior<Command> onPostStop() {
    shutdownFlush.cancel();
    if (!buffer.isEmpty() || inFlight != null) {
      getContext()
          .getLog()
          .warn(
              "lifetime audit writer stopped with [{}] events not written",
              buffer.size() + (inFlight == null ? 0 : inFlight.size()));
    }
    return this;
  }

  private Behavior<Command> onRecord(Record r) {
    if (r.event() != null) {
      take(r.event());
      writeNext();
    }
    return this;
  }

  private Behavior<Command> onDrain(Drain d) {
    d.feed().rung.set(false); // before polling: an event offered after the last poll rings again
    for (LifetimeEvent e; (e = d.feed().queue.poll()) != null; ) {
      take(e);
    }
    writeNext();
    return this;
  }

  private void take(LifetimeEvent e) {
    if (buffer.size() >= settings.maxBuffer()) {
      dropped++;
      if (Long.bitCount(dropped) == 1) { // 1, 2, 4, 8, ...: don't flood the log
        getContext().getLog().warn("audit buffer full: [{}] lifetime events dropped", dropped);
      }
      return;
    }
    buffer.add(e);
    recorded++;
  }

  private Behavior<Command> onFlush(Flush f) {
    if (written >= recorded) {
      f.replyTo().tell(StatusReply.success(expectedSeqNr));
    } else {
      flushWaiters.add(new Waiter(recorded, f.replyTo()));
    }
    return this;
  }

  private Behavior<Command> onGetStats(GetStats g) {
    g.replyTo().tell(new Stats(recorded, written, batches, dropped, retries));
    return this;
  }

  private Behavior<Command> onSeqNrKnown(SeqNrKnown k) {
    askingSeqNr = false;
    expectedSeqNr = k.seqNr();
    writeNext();
    return this;
  }

  private Behavior<Command> onWritten(Written w) {
    written += inFlight.size();
    batches++;
    inFlight = null;
    expectedSeqNr = w.seqNr();
    backoff = Duration.ofMillis(100);
    Iterator<Waiter> it = flushWaiters.iterator();
    while (it.hasNext()) {
      Waiter waiter = it.next();
      if (waiter.target() <= written) {
        waiter.replyTo().tell(StatusReply.success(expectedSeqNr));
        it.remove();
      }
    }
    writeNext();
    return this;
  }

  private Behavior<Command> onWriteFailed(WriteFailed f) {
    askingSeqNr = false;
    retries++;
    getContext()
        .getLog()
        .warn("lifetime audit write failed, retrying in [{}]: {}", backoff, f.why());
    if (f.why().contains("sequence mismatch")) {
      expectedSeqNr = -1; // someone else appended: learn where the log is, then append there
    }
    timers.startSingleTimer(RetryTick.INSTANCE, backoff);
    backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(5)) > 0
        ? Duration.ofSeconds(5)
        : backoff.multipliedBy(2);
    return this;
  }

  private Behavior<Command> onRetryTick() {
    if (inFlight != null) {
      send(inFlight);
    } else {
      writeNext();
    }
    return this;
  }

  /** Starts the next write if none is outstanding. cf. group commit. */
  private void writeNext() {
    if (inFlight != null || askingSeqNr || timers.isTimerActive(RetryTick.INSTANCE)) {
      return;
    }
    if (expectedSeqNr < 0) {
      if (!buffer.isEmpty()) {
        askingSeqNr = true;
        getContext()
            .askWithStatus(
                Long.class,
                audit,
                settings.writeTimeout(),
                LifetimeAudit.GetSeqNr::new,
                (seq, err) -> err == null ? new SeqNrKnown(seq) : new WriteFailed(err.toString()));
      }
      return;
    }
    if (buffer.isEmpty()) {
      return;
    }
    int n = Math.min(buffer.size(), settings.maxBatch());
    List<LifetimeEvent> batch = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      batch.add(buffer.poll());
    }
    inFlight = batch;
    send(batch);
  }

  private void send(List<LifetimeEvent> batch) {
    if (expectedSeqNr < 0) {
      // learn the sequence number first; the batch stays in flight and is re-sent by SeqNrKnown
      List<LifetimeEvent> pending = batch;
      inFlight = null;
      for (int i = pending.size() - 1; i >= 0; i--) {
        buffer.addFirst(pending.get(i));
      }
      writeNext();
      return;
    }
    long expected = expectedSeqNr;
    getContext()
        .askWithStatus(
            Long.class,
            audit,
            settings.writeTimeout(),
            replyTo -> new LifetimeAudit.Append(batch, expected, replyTo),
            (seq, err) -> err == null ? new Written(seq) : new WriteFailed(err.toString()));
  }
}
