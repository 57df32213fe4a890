package org.camstack.stack.lifetime;

import java.util.List;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.persistence.audit.ViolationKind;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;

/**
 * How stack components build the one lifetime event model ({@link LifetimeEvent}, in the
 * persistence module, which never sees stack types) from their own: a {@link PeriphId} becomes
 * {@code driver}, {@code unit}, {@code generation}; a {@link CamPath} its text. Events are stamped
 * with the wall clock. Who emits which event is documented on {@link LifetimeEvent}.
 */
public final class Lifetime {

  private Lifetime() {}

  /** cf. cam_periph_alloc(): the driver allocated {@code id}'s unit (driver). */
  public static LifetimeEvent.PeriphRegistered registered(PeriphId id, CamPath path, String identity) {
    return new LifetimeEvent.PeriphRegistered(driver(id), unit(id), gen(id), str(identity), now(), String.valueOf(path));
  }

  /** cf. make_dev() (devfs). */
  public static LifetimeEvent.DevfsNodeCreated nodeCreated(PeriphId id, String identity, String name) {
    return new LifetimeEvent.DevfsNodeCreated(driver(id), unit(id), gen(id), str(identity), now(), name);
  }

  /** cf. make_dev_physpath_alias(): {@code alias} names node {@code parent} (devfs). */
  public static LifetimeEvent.AliasAdded aliasAdded(PeriphId id, String identity, String alias, String parent) {
    return new LifetimeEvent.AliasAdded(driver(id), unit(id), gen(id), str(identity), now(), alias, parent);
  }

  /** cf. cam_periph_invalidate() (periph). */
  public static LifetimeEvent.PeriphInvalidated invalidated(PeriphId id, String identity, String cause) {
    return new LifetimeEvent.PeriphInvalidated(driver(id), unit(id), gen(id), str(identity), now(), cause);
  }

  /** cf. destroy_dev_sched_cb() / destroy_dev() (devfs). */
  public static LifetimeEvent.NodeDestroyRequested destroyRequested(PeriphId id, String identity, String name) {
    return new LifetimeEvent.NodeDestroyRequested(driver(id), unit(id), gen(id), str(identity), now(), name);
  }

  /** cf. destroy_devl(): the name is free and no call is inside the node any more (devfs). */
  public static LifetimeEvent.NodeGone nodeGone(PeriphId id, String identity, String name) {
    return new LifetimeEvent.NodeGone(driver(id), unit(id), gen(id), str(identity), now(), name);
  }

  /** cf. periph_dtor in camperiphfree() (periph). */
  public static LifetimeEvent.DestructorRun destructorRun(PeriphId id, String identity) {
    return new LifetimeEvent.DestructorRun(driver(id), unit(id), gen(id), str(identity), now());
  }

  /** cf. the TAILQ_REMOVE from driver->units in camperiphfree() (driver). */
  public static LifetimeEvent.UnitFreed unitFreed(PeriphId id, String identity) {
    return new LifetimeEvent.UnitFreed(driver(id), unit(id), gen(id), str(identity), now());
  }

  /** cf. cam_periph_acquire() / cam_periph_doacquire() (periph). */
  public static LifetimeEvent.RefAcquired refAcquired(PeriphId id, String identity, String token, boolean external, int held) {
    return new LifetimeEvent.RefAcquired(driver(id), unit(id), gen(id), str(identity), now(), token, external, held);
  }

  /** cf. cam_periph_release() (periph). */
  public static LifetimeEvent.RefReleased refReleased(PeriphId id, String identity, String token, int held) {
    return new LifetimeEvent.RefReleased(driver(id), unit(id), gen(id), str(identity), now(), token, held);
  }

  /** An external acquire refused: the periph is invalid (periph). */
  public static LifetimeEvent.AcquireRefused acquireRefused(PeriphId id, String identity, String token) {
    return new LifetimeEvent.AcquireRefused(driver(id), unit(id), gen(id), str(identity), now(), token);
  }

  /** cf. xpt_action(): the periph sent {@code ccb} to its device queue (periph). */
  public static LifetimeEvent.CcbIssued ccbIssued(PeriphId id, String identity, Ccb ccb) {
    return new LifetimeEvent.CcbIssued(driver(id), unit(id), gen(id), str(identity), now(), issuer(ccb), ccb.ccbId());
  }

  /** cf. xpt_done(): {@code completer} completed {@code ccb} (the device queue). */
  public static LifetimeEvent.CcbCompleted ccbCompleted(Ccb ccb, Ccb.Completed done, String completer) {
    return LifetimeEvent.CcbCompleted.of(issuer(ccb), ccb.ccbId(), String.valueOf(done.status()), completer);
  }

  /** A rule a component saw broken (devfs, periph, driver). */
  public static LifetimeEvent.ProtocolViolation violation(
      ViolationKind kind, String message, PeriphId id, CamPath path, String identity, List<String> names) {
    return new LifetimeEvent.ProtocolViolation(driver(id), unit(id), gen(id), str(identity), now(), kind, message, names);
  }

  /** cf. ctl_add_lun(): LUN {@code lun} incarnation {@code inc} is on {@code target} (the target). */
  public static LifetimeEvent.LunAdded lunAdded(String target, long lun, long inc) {
    return LifetimeEvent.LunAdded.of(target, lun, inc);
  }

  /** cf. ctl_remove_lun(): unpublished with {@code inFlight} tasks in flight (the target). */
  public static LifetimeEvent.LunRemoved lunRemoved(String target, long lun, long inc, int inFlight) {
    return LifetimeEvent.LunRemoved.of(target, lun, inc, inFlight);
  }

  /** cf. ctl_free_lun(): removed and its last task completed (the LUN). */
  public static LifetimeEvent.LunFreed lunFreed(String target, long lun, long inc) {
    return LifetimeEvent.LunFreed.of(target, lun, inc);
  }

  /** cf. ctl_queue(): the LUN admitted {@code task} for a frontend (the LUN). */
  public static LifetimeEvent.LunTaskStarted lunTaskStarted(String target, long lun, long inc, long task) {
    return LifetimeEvent.LunTaskStarted.of(target, lun, inc, task);
  }

  /** cf. ctl_done(): the frontend completed {@code task} (the frontend, through its LunTask). */
  public static LifetimeEvent.LunTaskCompleted lunTaskCompleted(String target, long lun, long inc, long task) {
    return LifetimeEvent.LunTaskCompleted.of(target, lun, inc, task);
  }

  /** Who a CCB's completion goes to: the stable actor path of its reply port (no uid). */
  static String issuer(Ccb ccb) {
    return ccb.header().replyTo().path().toStringWithoutAddress();
  }

  private static String driver(PeriphId id) {
    return id == null ? "" : id.driver();
  }

  private static int unit(PeriphId id) {
    return id == null ? -1 : id.unit();
  }

  private static long gen(PeriphId id) {
    return id == null ? 0 : id.generation();
  }

  private static String str(String s) {
    return s == null ? "" : s;
  }

  private static long now() {
    return LifetimeEvent.nowMicros();
  }
}
