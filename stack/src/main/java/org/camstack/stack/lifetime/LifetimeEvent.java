package org.camstack.stack.lifetime;

import java.util.List;
import org.camstack.stack.ccb.CamPath;

/**
 * One observable step in the life of a peripheral or its devfs node. Every event names the periph
 * incarnation ({@link PeriphId}: driver, unit, generation), the path and the device identity (WWN
 * or serial, see {@link DeviceIdentity}) when known. Issue 4 journals these; the chaos checker and
 * the tests read them.
 */
public sealed interface LifetimeEvent {

  /** The periph incarnation concerned; null for a devfs event on a node without owner. */
  PeriphId periph();

  /** The device path, or null when not known to the emitter. */
  CamPath path();

  /** WWN or serial of the device, or "" when unknown. */
  String identity();

  /** cf. cam_periph_alloc(): the driver allocated a unit and started the instance. */
  record PeriphRegistered(PeriphId periph, CamPath path, String identity) implements LifetimeEvent {}

  /** cf. make_dev(): a node was created. */
  record NodeCreated(PeriphId periph, CamPath path, String identity, String name, long nodeId)
      implements LifetimeEvent {}

  /** cf. make_dev_physpath_alias(): an alias of a node was created. */
  record AliasAdded(
      PeriphId periph, CamPath path, String identity, String alias, String parent, long nodeId)
      implements LifetimeEvent {}

  /** cf. cam_periph_invalidate(): the periph became invalid (first time only). */
  record Invalidated(PeriphId periph, CamPath path, String identity, String cause)
      implements LifetimeEvent {}

  /**
   * cf. destroy_dev_sched_cb() / destroy_dev(): destruction of a node was requested.
   *
   * @param withCallback a dev-gone callback was registered
   * @param synchronous destroy_dev() (the caller waits) rather than the scheduled form
   */
  record NodeDestroyRequested(
      PeriphId periph,
      CamPath path,
      String identity,
      String name,
      long nodeId,
      boolean withCallback,
      boolean synchronous)
      implements LifetimeEvent {}

  /** cf. destroy_devl(): the node's name is free and no call is inside it any more. */
  record NodeGone(PeriphId periph, CamPath path, String identity, String name, long nodeId)
      implements LifetimeEvent {}

  /** cf. periph_dtor in camperiphfree(): the destructor ran. */
  record DestructorRun(PeriphId periph, CamPath path, String identity) implements LifetimeEvent {}

  /** cf. the TAILQ_REMOVE from driver->units in camperiphfree(): the unit may be reused. */
  record UnitFreed(PeriphId periph, CamPath path, String identity) implements LifetimeEvent {}

  /**
   * A reference was taken. {@code external} is true for {@code Periph.Acquire} (cf.
   * cam_periph_acquire(), refused once invalid), false for internal ones (cf.
   * cam_periph_doacquire()).
   */
  record RefAcquired(
      PeriphId periph, CamPath path, String identity, String token, boolean external, int held)
      implements LifetimeEvent {}

  /** A reference was dropped; {@code held} is what is left of that token. */
  record RefReleased(PeriphId periph, CamPath path, String identity, String token, int held)
      implements LifetimeEvent {}

  /** An external acquire was refused because the periph is invalid (I1). */
  record AcquireRefused(PeriphId periph, CamPath path, String identity, String token)
      implements LifetimeEvent {}

  /**
   * A protocol rule was broken. Recorded, not thrown: what used to panic or hang the kernel.
   *
   * @param names the device names involved (e.g. the duplicate {@code pass3})
   */
  record ProtocolViolation(
      ViolationKind kind,
      String message,
      PeriphId periph,
      CamPath path,
      String identity,
      List<String> names)
      implements LifetimeEvent {
    public ProtocolViolation {
      names = List.copyOf(names);
      identity = identity == null ? "" : identity;
    }
  }
}
