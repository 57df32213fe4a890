package org.camstack.persistence.audit;

import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Where lifetime events go: the one emitting interface of the stack (periphs, drivers, devfs, XPT
 * device queues). Called from actor threads, possibly concurrently: implementations must be
 * thread-safe and must never block or serialise the emitters — {@link LifetimeChecker} appends to
 * a lock-free queue, {@link #journal(ActorRef)} is one {@code tell} to an {@link AuditWriter}.
 * Emitters emit before they send the message that causes the next event, so a linearizable sink
 * sees causally ordered events in order. {@link #NOOP} records nothing.
 *
 * <pre>{@code
 * ActorRef<AuditWriter.Command> writer = ctx.spawn(AuditWriter.create(hostId), "audit");
 * LifetimeListener journal = LifetimeListener.journal(writer);
 * journal.periphRegistered("da", 3, gen, wwn, "scbus0:1:0");
 * }</pre>
 *
 * <p>The convenience methods stamp the event with the wall clock ({@link
 * LifetimeEvent#nowMicros()}).
 */
@FunctionalInterface
public interface LifetimeListener {

  /** Takes one event. Never blocks. */
  void onEvent(LifetimeEvent event);

  /** Ignores everything. */
  LifetimeListener NOOP = event -> {};

  /**
   * Whether this listener wants the per-CCB events ({@link LifetimeEvent.CcbIssued}, {@link
   * LifetimeEvent.CcbCompleted}). Emitters skip building them otherwise: they are one pair per
   * I/O, and the journal does not keep them.
   */
  default boolean tracesCcbs() {
    return false;
  }

  /**
   * The host's audit trail: every {@link LifetimeEvent#journaled()} event goes to {@code writer}
   * (group commit; the writer counts drops, never blocks) through an {@link AuditWriter.Feed}: a
   * lock-free queue and one {@link AuditWriter.Drain} message per burst instead of one {@link
   * AuditWriter.Record} per event. {@code writer} must be local (a remote or sharded writer takes
   * {@link AuditWriter.Record}s).
   */
  static LifetimeListener journal(ActorRef<AuditWriter.Command> writer) {
    AuditWriter.Feed feed = new AuditWriter.Feed(writer);
    return event -> {
      if (event.journaled()) {
        feed.offer(event);
      }
    };
  }

  /** Calls this listener, then {@code other}. */
  default LifetimeListener andThen(LifetimeListener other) {
    if (other == NOOP) {
      return this;
    }
    if (this == NOOP) {
      return other;
    }
    LifetimeListener self = this;
    return new LifetimeListener() {
      @Override
      public void onEvent(LifetimeEvent event) {
        self.onEvent(event);
        other.onEvent(event);
      }

      @Override
      public boolean tracesCcbs() {
        return self.tracesCcbs() || other.tracesCcbs();
      }
    };
  }

  /** The host's stack (re)started. */
  default void stackStarted(String bootId) {
    onEvent(LifetimeEvent.StackStarted.now(bootId));
  }

  /** cf. {@code cam_periph_alloc()}. */
  default void periphRegistered(String driver, int unit, long generation, String deviceId, String path) {
    onEvent(new LifetimeEvent.PeriphRegistered(driver, unit, generation, deviceId, LifetimeEvent.nowMicros(), path));
  }

  /** cf. {@code make_dev()}. */
  default void devfsNodeCreated(String driver, int unit, long generation, String deviceId, String name) {
    onEvent(new LifetimeEvent.DevfsNodeCreated(driver, unit, generation, deviceId, LifetimeEvent.nowMicros(), name));
  }

  /** cf. {@code make_dev_alias()}. */
  default void aliasAdded(String driver, int unit, long generation, String deviceId, String alias, String name) {
    onEvent(new LifetimeEvent.AliasAdded(driver, unit, generation, deviceId, LifetimeEvent.nowMicros(), alias, name));
  }

  /** cf. {@code cam_periph_invalidate()}. */
  default void periphInvalidated(String driver, int unit, long generation, String deviceId, String cause) {
    onEvent(new LifetimeEvent.PeriphInvalidated(driver, unit, generation, deviceId, LifetimeEvent.nowMicros(), cause));
  }

  /** cf. {@code destroy_dev_sched_cb()}. */
  default void nodeDestroyRequested(String driver, int unit, long generation, String deviceId, String name) {
    onEvent(new LifetimeEvent.NodeDestroyRequested(driver, unit, generation, deviceId, LifetimeEvent.nowMicros(), name));
  }

  /** cf. the devfs destroy callback. */
  default void nodeGone(String driver, int unit, long generation, String deviceId, String name) {
    onEvent(new LifetimeEvent.NodeGone(driver, unit, generation, deviceId, LifetimeEvent.nowMicros(), name));
  }

  /** cf. {@code camperiphfree()} → dtor. */
  default void destructorRun(String driver, int unit, long generation, String deviceId) {
    onEvent(new LifetimeEvent.DestructorRun(driver, unit, generation, deviceId, LifetimeEvent.nowMicros()));
  }

  /** The driver released the unit number. */
  default void unitFreed(String driver, int unit, long generation, String deviceId) {
    onEvent(new LifetimeEvent.UnitFreed(driver, unit, generation, deviceId, LifetimeEvent.nowMicros()));
  }

  /** A lifetime protocol breach a component caught. */
  default void protocolViolation(
      String driver, int unit, long generation, String deviceId, ViolationKind kind, String details, List<String> names) {
    onEvent(new LifetimeEvent.ProtocolViolation(
        driver, unit, generation, deviceId, LifetimeEvent.nowMicros(), kind, details, names));
  }
}
