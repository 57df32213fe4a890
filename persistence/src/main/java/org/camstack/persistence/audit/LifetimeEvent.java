package org.camstack.persistence.audit;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Instant;
import java.util.List;

/**
 * The one lifetime event model: every observable step in the life of a peripheral, its devfs nodes
 * and its CCBs. The stack emits these ({@link LifetimeListener}), the {@link LifetimeChecker} checks
 * them (live runs, chaos, tests, {@code journal verify}), and the host's audit trail ({@link
 * LifetimeAudit}) journals the {@link #journaled()} ones. The order a well-behaved periph follows
 * (cf. sys/cam/cam_periph.c after the 2012 fix, commit ea37f51942), with who emits each step:
 *
 * <pre>
 * PeriphRegistered (driver) → DevfsNodeCreated (devfs) → AliasAdded* (devfs) → ...
 *   → PeriphInvalidated (periph) → NodeDestroyRequested (devfs) → NodeGone (devfs)
 *   → DestructorRun (periph) → UnitFreed (driver)
 * </pre>
 *
 * <p>In between: RefAcquired / RefReleased / AcquireRefused (periph), CcbIssued (the issuing periph)
 * and CcbCompleted (the XPT device queue that completes it). The checker derives every invariant
 * from events of different parties, never from one party's own account. Reference and CCB steps
 * are not journaled (a reboot loses them, as in a kernel; and one write per I/O would be the hot
 * path).
 *
 * <p>Every event carries the periph's {@code driver}, {@code unit}, {@code generation} (which
 * incarnation of that unit), the {@code deviceId} (stable device key, e.g. the WWN) and {@code
 * timestampMicros} (wall clock, microseconds since the epoch). {@link StackStarted} marks a (re)boot
 * of the host's stack: periphs of an earlier boot are gone with it, as after a kernel reboot.
 *
 * <p>The target side (cf. sys/cam/ctl) has its own steps, named after CTL, in the same model: a
 * LUN of a target is added ({@code ctl_add_lun()}, the target), tasks are started on it (a frontend
 * admitted by the LUN) and completed ({@code ctl_done()}, the frontend), it is removed ({@code
 * ctl_remove_lun()}, the target) and freed after its last task ({@code ctl_free_lun()}, the LUN).
 * They name no periph ({@code driver} empty, {@code unit} -1); {@code generation} is the LUN's
 * incarnation on its target. Not journaled.
 *
 * <p>The JSON carries a {@code "type"} property (the simple record name) so that batches of
 * lifetime events can travel inside commands and inside the audit trail's batch rows ({@link
 * LifetimeAudit.Batch}); the journal manifest is the class name as usual. Each event still is a
 * {@link LifetimeAudit.Row} of its own because journals written before batch rows hold one per
 * row.
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
  @JsonSubTypes.Type(value = LifetimeEvent.ProtocolViolation.class, name = "ProtocolViolation"),
  @JsonSubTypes.Type(value = LifetimeEvent.RefAcquired.class, name = "RefAcquired"),
  @JsonSubTypes.Type(value = LifetimeEvent.RefReleased.class, name = "RefReleased"),
  @JsonSubTypes.Type(value = LifetimeEvent.AcquireRefused.class, name = "AcquireRefused"),
  @JsonSubTypes.Type(value = LifetimeEvent.CcbIssued.class, name = "CcbIssued"),
  @JsonSubTypes.Type(value = LifetimeEvent.CcbCompleted.class, name = "CcbCompleted"),
  @JsonSubTypes.Type(value = LifetimeEvent.LunAdded.class, name = "LunAdded"),
  @JsonSubTypes.Type(value = LifetimeEvent.LunRemoved.class, name = "LunRemoved"),
  @JsonSubTypes.Type(value = LifetimeEvent.LunFreed.class, name = "LunFreed"),
  @JsonSubTypes.Type(value = LifetimeEvent.LunTaskStarted.class, name = "LunTaskStarted"),
  @JsonSubTypes.Type(value = LifetimeEvent.LunTaskCompleted.class, name = "LunTaskCompleted")
})
public sealed interface LifetimeEvent extends LifetimeAudit.Row {

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

  /** {@code da3#7}: the incarnation (name and generation); empty for host events. */
  default String incarnation() {
    return driver().isEmpty() ? "" : driver() + unit() + "#" + generation();
  }

  /** Whether the host's audit trail keeps this event (reference and CCB steps are not kept). */
  default boolean journaled() {
    return true;
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

  /** cf. {@code camperiphfree()} calling the periph's dtor. Emitted by the periph. */
  record DestructorRun(
      String driver, int unit, long generation, String deviceId, long timestampMicros)
      implements LifetimeEvent {}

  /**
   * cf. the {@code TAILQ_REMOVE} from {@code driver->units} in {@code camperiphfree()}: the driver
   * released the unit number, which may be reused. Emitted by the driver, not by the periph.
   */
  record UnitFreed(
      String driver, int unit, long generation, String deviceId, long timestampMicros)
      implements LifetimeEvent {}

  /**
   * A lifetime rule was broken: reported by the component that saw it (e.g. devfs in legacy mode),
   * or found by the {@link LifetimeChecker}. Recorded, not thrown: what used to panic or hang the
   * kernel.
   *
   * @param kind what was broken; journaled as its {@link ViolationKind#code()}
   * @param names the devfs / unit names involved
   */
  record ProtocolViolation(
      String driver,
      int unit,
      long generation,
      String deviceId,
      long timestampMicros,
      ViolationKind kind,
      String details,
      List<String> names)
      implements LifetimeEvent {
    public ProtocolViolation {
      driver = driver == null ? "" : driver;
      deviceId = deviceId == null ? "" : deviceId;
      kind = kind == null ? ViolationKind.OTHER : kind;
      details = details == null ? "" : details;
      names = List.copyOf(names == null ? List.of() : names);
    }

    /** A violation that names no periph (e.g. a request chaos got no answer to). */
    public static ProtocolViolation of(ViolationKind kind, String message, List<String> names) {
      return new ProtocolViolation("", -1, 0, "", nowMicros(), kind, message, names);
    }

    /** What happened, in words (the {@code details}). */
    public String message() {
      return details;
    }
  }

  /**
   * A reference was taken (periph). {@code external}: {@code Periph.Acquire} (cf. {@code
   * cam_periph_acquire()}, refused once invalid); else internal (cf. {@code
   * cam_periph_doacquire()}). {@code held}: how many of {@code token} are now held.
   */
  record RefAcquired(
      String driver,
      int unit,
      long generation,
      String deviceId,
      long timestampMicros,
      String token,
      boolean external,
      int held)
      implements LifetimeEvent {
    @Override
    public boolean journaled() {
      return false;
    }
  }

  /** A reference was dropped (periph); {@code held} is what is left of that token. */
  record RefReleased(
      String driver,
      int unit,
      long generation,
      String deviceId,
      long timestampMicros,
      String token,
      int held)
      implements LifetimeEvent {
    @Override
    public boolean journaled() {
      return false;
    }
  }

  /** An external acquire was refused because the periph is invalid (I1). */
  record AcquireRefused(
      String driver, int unit, long generation, String deviceId, long timestampMicros, String token)
      implements LifetimeEvent {
    @Override
    public boolean journaled() {
      return false;
    }
  }

  /**
   * cf. {@code xpt_action()} from a periph: the periph (the incarnation named) sent a CCB to its
   * device queue. The CCB is named by {@code issuer} (where its completion goes: the stable path of
   * the issuer's completion port, no uid) and the issuer's per-incarnation sequence number {@code
   * ccbId} (the CCB header's id).
   */
  record CcbIssued(
      String driver,
      int unit,
      long generation,
      String deviceId,
      long timestampMicros,
      String issuer,
      long ccbId)
      implements LifetimeEvent {
    @Override
    public boolean journaled() {
      return false;
    }
  }

  /**
   * cf. {@code xpt_done()}: the CCB {@code issuer}/{@code ccbId} was completed with {@code status}
   * by {@code completer} (the device queue's path; a periph when it completes what a stopped
   * device queue never will). Names no periph: the completer does not know the issuer's
   * incarnation, only where the completion goes.
   */
  record CcbCompleted(
      String driver,
      int unit,
      long generation,
      String deviceId,
      long timestampMicros,
      String issuer,
      long ccbId,
      String status,
      String completer)
      implements LifetimeEvent {
    /** A completion by {@code completer}, stamped now. */
    public static CcbCompleted of(String issuer, long ccbId, String status, String completer) {
      return new CcbCompleted("", -1, 0, "", nowMicros(), issuer, ccbId, status, completer);
    }

    @Override
    public boolean journaled() {
      return false;
    }
  }

  /**
   * What every target-side step (cf. sys/cam/ctl) names: one LUN incarnation. Each is a {@link
   * LifetimeEvent} too, and none is journaled.
   */
  interface LunStep {
    /** The LUN's incarnation on its target. */
    long generation();

    /** The target, e.g. {@code b0:t1}. */
    String target();

    /** The LUN number on {@link #target()}. */
    long lun();

    /** {@code b0:t1/3}: the LUN number on its target. */
    default String lunName() {
      return target() + "/" + lun();
    }

    /** {@code b0:t1/3#2}: the incarnation ({@link #generation()}). */
    default String lunIncarnation() {
      return lunName() + "#" + generation();
    }
  }

  /** cf. {@code ctl_add_lun()}: LUN {@code lun} incarnation {@code generation} is on {@code target} (the target). */
  record LunAdded(
      String driver, int unit, long generation, String deviceId, long timestampMicros, String target, long lun)
      implements LifetimeEvent, LunStep {
    @Override
    public boolean journaled() {
      return false;
    }

    public static LunAdded of(String target, long lun, long incarnation) {
      return new LunAdded("", -1, incarnation, "", nowMicros(), target, lun);
    }
  }

  /** cf. {@code ctl_remove_lun()}: unpublished with {@code tasksInFlight} tasks in flight (the target). */
  record LunRemoved(
      String driver,
      int unit,
      long generation,
      String deviceId,
      long timestampMicros,
      String target,
      long lun,
      int tasksInFlight)
      implements LifetimeEvent, LunStep {
    @Override
    public boolean journaled() {
      return false;
    }

    public static LunRemoved of(String target, long lun, long incarnation, int tasksInFlight) {
      return new LunRemoved("", -1, incarnation, "", nowMicros(), target, lun, tasksInFlight);
    }
  }

  /** cf. {@code ctl_free_lun()}: removed and its last task completed (the LUN). */
  record LunFreed(
      String driver, int unit, long generation, String deviceId, long timestampMicros, String target, long lun)
      implements LifetimeEvent, LunStep {
    @Override
    public boolean journaled() {
      return false;
    }

    public static LunFreed of(String target, long lun, long incarnation) {
      return new LunFreed("", -1, incarnation, "", nowMicros(), target, lun);
    }
  }

  /** cf. {@code ctl_queue()}: task {@code task} was admitted on the LUN for a frontend (the LUN). */
  record LunTaskStarted(
      String driver, int unit, long generation, String deviceId, long timestampMicros, String target, long lun, long task)
      implements LifetimeEvent, LunStep {
    @Override
    public boolean journaled() {
      return false;
    }

    public static LunTaskStarted of(String target, long lun, long incarnation, long task) {
      return new LunTaskStarted("", -1, incarnation, "", nowMicros(), target, lun, task);
    }
  }

  /** cf. {@code ctl_done()}: the frontend completed task {@code task} (answered or aborted). */
  record LunTaskCompleted(
      String driver, int unit, long generation, String deviceId, long timestampMicros, String target, long lun, long task)
      implements LifetimeEvent, LunStep {
    @Override
    public boolean journaled() {
      return false;
    }

    public static LunTaskCompleted of(String target, long lun, long incarnation, long task) {
      return new LunTaskCompleted("", -1, incarnation, "", nowMicros(), target, lun, task);
    }
  }
}
