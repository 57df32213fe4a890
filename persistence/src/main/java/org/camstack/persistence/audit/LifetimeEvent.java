package org.camstack.persistence.audit;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Instant;
import java.util.List;
import org.camstack.persistence.serialization.JsonSerializable;

/**
 * One step of a peripheral's life, as recorded in a host's lifetime audit trail ({@link
 * LifetimeAudit}). The order a well-behaved periph follows (cf. sys/cam/cam_periph.c after the 2012
 * fix, commit ea37f51942):
 *
 * <pre>
 * PeriphRegistered → DevfsNodeCreated → AliasAdded* → ... → PeriphInvalidated
 *   → NodeDestroyRequested → NodeGone → DestructorRun → UnitFreed
 * </pre>
 *
 * <p>Every event carries the periph's {@code driver}, {@code unit}, {@code generation} (which
 * incarnation of that unit), the {@code deviceId} (stable device key, e.g. the WWN) and {@code
 * timestampMicros} (wall clock, microseconds since the epoch). {@link StackStarted} marks a (re)boot
 * of the host's stack: periphs of an earlier boot are gone with it, as after a kernel reboot.
 *
 * <p>The JSON carries a {@code "type"} property (the simple record name) so that batches of
 * lifetime events can travel inside commands; the journal manifest is the class name as usual.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = LifetimeEvent.StackStarted.class, name = "StackStarted"),
  @JsonSubTypes.Type(value = LifetimeEvent.PeriphRegistered.class, name = "PeriphRegistered"),
  @JsonSubTypes.Type(value = LifetimeEvent.DevfsNodeCreated.class, name = "DevfsNodeCreated"),
  @JsonSubTypes.Type(value = LifetimeEvent.AliasAdded.class, name = "AliasAdded"),
  @JsonSubTypes.Type(value = LifetimeEvent.PeriphInvalidated.class, name = "PeriphInvalidated"),
  @JsonSubTypes.Type(
      value = LifetimeEvent.NodeDestroyRequested.class,
      name = "NodeDestroyRequested"),
  @JsonSubTypes.Type(value = LifetimeEvent.NodeGone.class, name = "NodeGone"),
  @JsonSubTypes.Type(value = LifetimeEvent.DestructorRun.class, name = "DestructorRun"),
  @JsonSubTypes.Type(value = LifetimeEvent.UnitFreed.class, name = "UnitFreed"),
  @JsonSubTypes.Type(value = LifetimeEvent.ProtocolViolation.class, name = "ProtocolViolation")
})
public sealed interface LifetimeEvent extends JsonSerializable {

  /** Peripheral driver name ({@code da}, {@code pass}, {@code ses}); empty for host events. */
  String driver();

  /** Unit number; -1 for host events. */
  int unit();

  /** Incarnation of {@code driver}{@code unit} (bumped each time the unit is reused). */
  long generation();

  /** The device's stable key (WWN), empty if none. */
  String deviceId();

  /** When it happened: microseconds since the epoch. */
  long timestampMicros();

  /** {@code driver + unit}, e.g. {@code da3}; empty for host events. */
  default String periphName() {
    return driver().isEmpty() ? "" : driver() + unit();
  }

  /** The wall clock now, in microseconds since the epoch. */
  static long nowMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }

  /**
   * The host's stack (re)started: everything of the previous boot is gone.
   *
   * @param bootId unique per boot
   */
  record StackStarted(
      String driver, int unit, long generation, String deviceId, long timestampMicros, String bootId)
      implements LifetimeEvent {
    public static StackStarted now(String bootId) {
      return new StackStarted("", -1, 0, "", nowMicros(), bootId);
    }
  }

  /**
   * cf. {@code cam_periph_alloc()}: the periph instance exists and holds its unit.
   *
   * @param path the CAM path, e.g. {@code scbus0:1:0}
   */
  record PeriphRegistered(
      String driver, int unit, long generation, String deviceId, long timestampMicros, String path)
      implements LifetimeEvent {}

  /** cf. {@code make_dev()}: devfs node {@code name} was created for the periph. */
  record DevfsNodeCreated(
      String driver, int unit, long generation, String deviceId, long timestampMicros, String name)
      implements LifetimeEvent {}

  /** cf. {@code make_dev_alias()}: {@code alias} now names devfs node {@code name}. */
  record AliasAdded(
      String driver,
      int unit,
      long generation,
      String deviceId,
      long timestampMicros,
      String alias,
      String name)
      implements LifetimeEvent {}

  /** cf. {@code cam_periph_invalidate()}: the periph is invalid; no new opens. */
  record PeriphInvalidated(
      String driver, int unit, long generation, String deviceId, long timestampMicros, String cause)
      implements LifetimeEvent {}

  /** cf. {@code destroy_dev_sched_cb()}: destruction of devfs node {@code name} was requested. */
  record NodeDestroyRequested(
      String driver, int unit, long generation, String deviceId, long timestampMicros, String name)
      implements LifetimeEvent {}

  /** cf. the devfs callback ({@code passdevgonecb}): node {@code name} and its aliases are gone. */
  record NodeGone(
      String driver, int unit, long generation, String deviceId, long timestampMicros, String name)
      implements LifetimeEvent {}

  /** cf. {@code camperiphfree()} calling the periph's dtor. */
  record DestructorRun(
      String driver, int unit, long generation, String deviceId, long timestampMicros)
      implements LifetimeEvent {}

  /** The unit number was returned to the driver and may be reused. */
  record UnitFreed(
      String driver, int unit, long generation, String deviceId, long timestampMicros)
      implements LifetimeEvent {}

  /**
   * The stack caught a breach of the lifetime protocol (e.g. in legacy mode).
   *
   * @param kind short stable code, e.g. {@code devfs-name-collision}
   * @param names the devfs / unit names involved
   */
  record ProtocolViolation(
      String driver,
      int unit,
      long generation,
      String deviceId,
      long timestampMicros,
      String kind,
      String details,
      List<String> names)
      implements LifetimeEvent {
    public ProtocolViolation {
      names = List.copyOf(names == null ? List.of() : names);
    }
  }
}
