package org.camstack.persistence.audit;

import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * How the stack emits lifetime events: a plain interface, fire-and-forget, callable from any
 * actor. The default implementation ({@link #to(ActorRef)}) tells an {@link AuditWriter}; {@link
 * #DISCARD} records nothing (stacks run without persistence).
 *
 * <pre>{@code
 * ActorRef<AuditWriter.Command> writer = ctx.spawn(AuditWriter.create(hostId), "audit");
 * LifetimeJournal journal = LifetimeJournal.to(writer);
 * journal.periphRegistered("da", 3, gen, wwn, "scbus0:1:0");
 * }</pre>
 *
 * <p>The convenience methods stamp the event with the wall clock ({@link
 * LifetimeEvent#nowMicros()}).
 */
@FunctionalInterface
public interface LifetimeJournal {

  /** Records one event. Never blocks, never throws for a full buffer (the writer counts drops). */
  void record(LifetimeEvent event);

  /** Records nothing. */
  LifetimeJournal DISCARD = event -> {};

  /** A journal that tells {@code writer} {@link AuditWriter.Record}. */
  static LifetimeJournal to(ActorRef<AuditWriter.Command> writer) {
    return event -> writer.tell(new AuditWriter.Record(event));
  }

  /** The host's stack (re)started. */
  default void stackStarted(String bootId) {
    record(LifetimeEvent.StackStarted.now(bootId));
  }

  /** cf. {@code cam_periph_alloc()}. */
  default void periphRegistered(
      String driver, int unit, long generation, String deviceId, String path) {
    record(
        new LifetimeEvent.PeriphRegistered(
            driver, unit, generation, deviceId, LifetimeEvent.nowMicros(), path));
  }

  /** cf. {@code make_dev()}. */
  default void devfsNodeCreated(
      String driver, int unit, long generation, String deviceId, String name) {
    record(
        new LifetimeEvent.DevfsNodeCreated(
            driver, unit, generation, deviceId, LifetimeEvent.nowMicros(), name));
  }

  /** cf. {@code make_dev_alias()}. */
  default void aliasAdded(
      String driver, int unit, long generation, String deviceId, String alias, String name) {
    record(
        new LifetimeEvent.AliasAdded(
            driver, unit, generation, deviceId, LifetimeEvent.nowMicros(), alias, name));
  }

  /** cf. {@code cam_periph_invalidate()}. */
  default void periphInvalidated(
      String driver, int unit, long generation, String deviceId, String cause) {
    record(
        new LifetimeEvent.PeriphInvalidated(
            driver, unit, generation, deviceId, LifetimeEvent.nowMicros(), cause));
  }

  /** cf. {@code destroy_dev_sched_cb()}. */
  default void nodeDestroyRequested(
      String driver, int unit, long generation, String deviceId, String name) {
    record(
        new LifetimeEvent.NodeDestroyRequested(
            driver, unit, generation, deviceId, LifetimeEvent.nowMicros(), name));
  }

  /** cf. the devfs destroy callback. */
  default void nodeGone(String driver, int unit, long generation, String deviceId, String name) {
    record(
        new LifetimeEvent.NodeGone(
            driver, unit, generation, deviceId, LifetimeEvent.nowMicros(), name));
  }

  /** cf. {@code camperiphfree()} → dtor. */
  default void destructorRun(String driver, int unit, long generation, String deviceId) {
    record(
        new LifetimeEvent.DestructorRun(
            driver, unit, generation, deviceId, LifetimeEvent.nowMicros()));
  }

  /** The unit number is free for reuse. */
  default void unitFreed(String driver, int unit, long generation, String deviceId) {
    record(
        new LifetimeEvent.UnitFreed(driver, unit, generation, deviceId, LifetimeEvent.nowMicros()));
  }

  /** A lifetime protocol breach the stack caught. */
  default void protocolViolation(
      String driver,
      int unit,
      long generation,
      String deviceId,
      String kind,
      String details,
      List<String> names) {
    record(
        new LifetimeEvent.ProtocolViolation(
            driver, unit, generation, deviceId, LifetimeEvent.nowMicros(), kind, details, names));
  }
}
