package org.camstack.stack.periph;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.camstack.stack.ccb.AsyncCode;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.devfs.Devfs;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.persistence.audit.ViolationKind;
import org.camstack.stack.lifetime.DeviceIdentity;
import org.camstack.stack.lifetime.Lifetime;
import org.camstack.stack.lifetime.PeriphId;
import org.camstack.stack.xpt.AsyncEvent;
import org.camstack.stack.xpt.Xpt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One actor per peripheral driver ({@code pass}, {@code da}, {@code ses}): owns the driver's unit
 * numbers and spawns one periph actor per matching device. cf. {@code struct periph_driver}, {@code
 * cam_periph_alloc()}, {@code camperiphunit()}, {@code camperiphnextunit()} and the unit-list half
 * of {@code camperiphfree()} in sys/cam/cam_periph.c.
 *
 * <p>It registers for AC_FOUND_DEVICE (and AC_LOST_DEVICE) on the XPT's wildcard path; the XPT
 * replays AC_FOUND_DEVICE for every configured device. A unit is in use from allocation until the
 * periph sends {@link UnitFreed}, which it does only after its destructor ran (2012-post order;
 * I4). AC_FOUND_DEVICE for a path whose previous periph is invalid but not yet freed is deferred
 * (cf. CAM_REQ_INPROG / CAM_PERIPH_NEW_DEV_FOUND) and replayed when that periph's unit is freed.
 */
public final class PeriphDriver extends AbstractBehavior<PeriphDriver.Command> {

  /**
   * Level checks only, so that a line off at the active level costs no {@code getLog()} (which builds
   * the actor's logging context and sets the MDC). Pekko names the actor's logger after this class.
   */
  private static final Logger LEVELS = LoggerFactory.getLogger(PeriphDriver.class);

  /** Supertype of all messages to a driver. */
  public sealed interface Command {}

  /**
   * From a periph: its destructor ran, the unit may be reused. cf. the {@code TAILQ_REMOVE(&drv->units,
   * periph)} of camperiphfree(). No reply.
   */
  public record UnitFreed(int unit, long generation) implements Command {}

  /** From a periph: it was invalidated (new arrivals on its path are deferred). No reply. */
  public record PeriphInvalidated(int unit, long generation) implements Command {}

  /** Reply: {@link Units}. */
  public record ListUnits(ActorRef<Units> replyTo) implements Command {}

  /**
   * One unit in use.
   *
   * @param periph the instance; a handle of this generation only
   */
  public record UnitInfo(
      int unit,
      long generation,
      CamPath path,
      boolean invalid,
      String identity,
      ActorRef<Periph.Command> periph) {
    public PeriphId id(String driver) {
      return new PeriphId(driver, unit, generation);
    }
  }

  /**
   * Answer to {@link ListUnits}: units in use in unit order, paths with a deferred arrival, the
   * device-hint conflicts seen so far, and how many periph actors of this driver are alive.
   */
  public record Units(
      String driver, List<UnitInfo> units, List<CamPath> deferred, List<String> warnings, int liveActors) {
    public Units {
      units = List.copyOf(units);
      deferred = List.copyOf(deferred);
      warnings = List.copyOf(warnings);
    }

    public UnitInfo unit(int unit) {
      for (UnitInfo u : units) {
        if (u.unit() == unit) {
          return u;
        }
      }
      return null;
    }

    public UnitInfo atPath(CamPath path) {
      for (UnitInfo u : units) {
        if (u.path().equals(path)) {
          return u;
        }
      }
      return null;
    }
  }

  /**
   * cf. {@code xpt_finishconfig()} &rarr; {@code periphdriver_init()}: the initial bus scans are done;
   * a driver created with {@code registerNow == false} registers for AC_FOUND_DEVICE now, and the
   * XPT's replay attaches every device in EDT order, so boot-time unit numbers follow the topology
   * (da0 on the lowest bus:target:lun), not probe completion order. Idempotent; no reply.
   */
  public record XptConfigured() implements Command {}

  private record AsyncArrived(AsyncEvent event) implements Command {}

  private record PeriphStopped(int unit, long generation) implements Command {}

  private record CrashedNodesGone(Devfs.OwnerGone gone) implements Command {}

  /** Makes the behavior of one periph instance. */
  @FunctionalInterface
  public interface Factory {
    org.apache.pekko.actor.typed.Behavior<Periph.Command> create(PeriphArgs args);
  }

  /**
   * What a driver is: its name, which devices it attaches to (cf. the type checks of {@code
   * daasync} etc.), and how to make an instance (cf. {@code cam_periph_alloc(ctor, ...)}).
   */
  public record Spec(String name, Predicate<DeviceInfo> matches, Factory factory) {}

  /**
   * Creates the driver actor.
   *
   * @param xpt the XPT's periph view; the driver registers for async events with it
   */
  public static Behavior<Command> create(
      Spec spec,
      ActorRef<Xpt.PeriphCommand> xpt,
      ActorRef<Devfs.Command> devfs,
      WiringSource wiring,
      PeriphSettings settings) {
    return create(spec, xpt, devfs, wiring, settings, true);
  }

  /**
   * Creates the driver actor.
   *
   * @param registerNow false: wait for {@link XptConfigured} before registering with the XPT (boot)
   */
  public static Behavior<Command> create(
      Spec spec,
      ActorRef<Xpt.PeriphCommand> xpt,
      ActorRef<Devfs.Command> devfs,
      WiringSource wiring,
      PeriphSettings settings,
      boolean registerNow) {
    return Behaviors.setup(ctx -> new PeriphDriver(ctx, spec, xpt, devfs, wiring, settings, registerNow));
  }

  private static final class Entry {
    final int unit;
    final long generation;
    final CamPath path;
    final DeviceInfo info;
    final ActorRef<Periph.Command> ref;
    boolean invalid;
    boolean crashed; // stopped without UnitFreed: reserved until devfs has none of its nodes

    Entry(int unit, long generation, CamPath path, DeviceInfo info, ActorRef<Periph.Command> ref) {
      this.unit = unit;
      this.generation = generation;
      this.path = path;
      this.info = info;
      this.ref = ref;
    }
  }

  private final Spec spec;
  private final ActorRef<Xpt.PeriphCommand> xpt;
  private final ActorRef<Devfs.Command> devfs;
  private final WiringSource wiring;
  private final PeriphSettings settings;
  private final ActorRef<AsyncEvent> asyncAdapter;
  private final ActorRef<Devfs.OwnerGone> ownerGoneAdapter;
  private final TreeMap<Integer, Entry> units = new TreeMap<>(); // cf. drv->units
  private final Map<CamPath, AsyncEvent.FoundDevice> deferred = new LinkedHashMap<>();
  private final List<String> warnings = new ArrayList<>();
  private long nextGeneration = 1; // cf. drv->generation
  private boolean registered;

  private PeriphDriver(
      ActorContext<Command> context,
      Spec spec,
      ActorRef<Xpt.PeriphCommand> xpt,
      ActorRef<Devfs.Command> devfs,
      WiringSource wiring,
      PeriphSettings settings,
      boolean registerNow) {
    super(context);
    this.spec = spec;
    this.xpt = xpt;
    this.devfs = devfs;
    this.wiring = wiring;
    this.settings = settings;
    this.asyncAdapter = context.messageAdapter(AsyncEvent.class, AsyncArrived::new);
    this.ownerGoneAdapter = context.messageAdapter(Devfs.OwnerGone.class, CrashedNodesGone::new);
    if (registerNow) {
      registerAsync();
    }
  }

  /** cf. passinit() et al.: xpt_register_async(AC_FOUND_DEVICE, passasync, NULL, NULL). */
  private void registerAsync() {
    if (registered) {
      return;
    }
    registered = true;
    xpt.tell(
        new Xpt.RegisterAsync(
            EnumSet.of(AsyncCode.AC_FOUND_DEVICE, AsyncCode.AC_LOST_DEVICE),
            CamPath.XPT,
            asyncAdapter,
            null));
  }

  private Behavior<Command> onXptConfigured(XptConfigured msg) {
    registerAsync();
    return this;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(UnitFreed.class, this::onUnitFreed)
        .onMessage(PeriphInvalidated.class, this::onPeriphInvalidated)
        .onMessage(ListUnits.class, this::onListUnits)
        .onMessage(XptConfigured.class, this::onXptConfigured)
        .onMessage(AsyncArrived.class, this::onAsyncArrived)
        .onMessage(PeriphStopped.class, this::onPeriphStopped)
        .onMessage(CrashedNodesGone.class, this::onCrashedNodesGone)
        .build();
  }

  private Behavior<Command> onAsyncArrived(AsyncArrived msg) {
    if (msg.event() instanceof AsyncEvent.FoundDevice found) {
      onFoundDevice(found);
    } else if (msg.event() instanceof AsyncEvent.LostDevice lost) {
      onLostDevice(lost);
    }
    return this;
  }

  /** cf. passasync(AC_FOUND_DEVICE) -> cam_periph_alloc(). */
  private void onFoundDevice(AsyncEvent.FoundDevice found) {
    if (!spec.matches().test(found.info())) {
      return;
    }
    CamPath path = found.path();
    Entry existing = atPath(path);
    if (existing != null) {
      if (existing.invalid) {
        // cf. cam_periph_alloc(): CAM_PERIPH_NEW_DEV_FOUND, return CAM_REQ_INPROG
        deferred.put(path, found);
        getContext()
            .getLog()
            .debug("{}{} on {} still invalid: arrival deferred (REQ_INPROG)", spec.name(), existing.unit, path);
      } else {
        getContext()
            .getLog()
            .debug(
                "cam_periph_alloc: attempt to re-allocate valid device {}{} rejected",
                spec.name(),
                existing.unit);
      }
      return;
    }
    allocate(found);
  }

  private void allocate(AsyncEvent.FoundDevice found) {
    CamPath path = found.path();
    OptionalInt wired = wiring.wiredUnit(spec.name(), path, found.info());
    int unit = nextUnit(wired.orElse(0), wired.isPresent(), path);
    long generation = nextGeneration++;
    PeriphId id = new PeriphId(spec.name(), unit, generation);
    PeriphArgs args =
        new PeriphArgs(
            id, path, found.info(), found.device(), xpt, devfs, getContext().getSelf(), settings);
    settings
        .listener()
        .onEvent(Lifetime.registered(id, path, DeviceIdentity.of(found.info()).key()));
    ActorRef<Periph.Command> ref =
        getContext().spawn(spec.factory().create(args), spec.name() + unit + "-g" + generation);
    getContext().watchWith(ref, new PeriphStopped(unit, generation));
    units.put(unit, new Entry(unit, generation, path, found.info(), ref));
    wiring.assigned(spec.name(), unit, path, found.info(), wired.isPresent() && wired.getAsInt() == unit);
    if (LEVELS.isInfoEnabled()) { // cf. the kernel's "da0 at ..." line
      getContext().getLog().info("{}{} at {}: {}", spec.name(), unit, path, found.info().identity());
    }
  }

  /** cf. camperiphnextunit(). */
  private int nextUnit(int start, boolean wired, CamPath path) {
    for (int unit = start; ; unit++) {
      if (units.containsKey(unit)) {
        if (wired) {
          String w =
              "Duplicate Wired Device entry! Second device ("
                  + spec.name()
                  + " device at scbus"
                  + path.bus()
                  + " target "
                  + path.target()
                  + " lun "
                  + path.lun()
                  + ") will not be wired";
          warnings.add(w);
          getContext().getLog().warn(w);
          wired = false;
        }
        continue;
      }
      if (wired) {
        return unit;
      }
      if (wiring.reserved(spec.name(), unit)) {
        continue;
      }
      return unit;
    }
  }

  /** cf. cam_periph_async(AC_LOST_DEVICE) -> cam_periph_invalidate() for every periph below. */
  private void onLostDevice(AsyncEvent.LostDevice lost) {
    for (Entry e : units.values()) {
      if (lost.path().matches(e.path)) {
        e.invalid = true;
        e.ref.tell(new Periph.Invalidate("AC_LOST_DEVICE"));
      }
    }
    deferred.keySet().removeIf(p -> lost.path().matches(p));
  }

  private Behavior<Command> onPeriphInvalidated(PeriphInvalidated msg) {
    Entry e = units.get(msg.unit());
    if (e != null && e.generation == msg.generation()) {
      e.invalid = true;
    }
    return this;
  }

  private Behavior<Command> onUnitFreed(UnitFreed msg) {
    Entry e = units.get(msg.unit());
    if (e == null || e.generation != msg.generation()) {
      throw new IllegalStateException(
          spec.name() + msg.unit() + "#" + msg.generation() + ": UnitFreed for a unit not held");
    }
    units.remove(msg.unit());
    settings.listener().onEvent(Lifetime.unitFreed(new PeriphId(spec.name(), msg.unit(), msg.generation()), DeviceIdentity.of(e.info).key()));
    if (LEVELS.isDebugEnabled()) {
      getContext().getLog().debug("{}{} freed", spec.name(), msg.unit());
    }
    replayDeferred(e.path);
    return this;
  }

  /** cf. camperiphfree(): replay the deferred AC once the old periph is off the unit list. */
  private void replayDeferred(CamPath path) {
    AsyncEvent.FoundDevice again = deferred.remove(path);
    if (again != null) {
      getContext().getLog().debug("replaying deferred arrival on {}", path);
      onFoundDevice(again);
    }
  }

  /**
   * A periph actor stopped. After {@link UnitFreed} that is its normal end. Without it, it crashed
   * (an exception: periph actors are not restarted, their state would be wrong): the driver does
   * what its free would have done, in the 2012-post order. It removes the periph from the XPT's
   * list on its behalf (cf. xpt_remove_periph(), so no ghost entry keeps the device), and keeps
   * the unit reserved until devfs has destroyed every node of the dead actor (devfs schedules
   * that itself when the owner dies): only then may the unit, and so the name, be reused.
   */
  private Behavior<Command> onPeriphStopped(PeriphStopped msg) {
    Entry e = units.get(msg.unit());
    if (e != null && e.generation == msg.generation() && !e.crashed) {
      PeriphId id = new PeriphId(spec.name(), msg.unit(), msg.generation());
      LifetimeEvent.ProtocolViolation v =
          Lifetime.violation(
              ViolationKind.PERIPH_CRASHED,
              id + " stopped without freeing its unit (crashed)",
              id,
              e.path,
              DeviceIdentity.of(e.info).key(),
              List.of(id.name()));
      settings.listener().onEvent(v);
      getContext().getLog().error("{}: unit kept until devfs dropped its nodes", v.message());
      e.invalid = true;
      e.crashed = true;
      xpt.tell(new Xpt.RemovePeriph(e.path, spec.name(), e.unit));
      devfs.tell(new Devfs.NotifyWhenOwnerGone(e.ref, ownerGoneAdapter));
    }
    return this;
  }

  private Behavior<Command> onCrashedNodesGone(CrashedNodesGone msg) {
    for (Entry e : List.copyOf(units.values())) {
      if (e.crashed && e.ref.equals(msg.gone().owner())) {
        units.remove(e.unit);
        settings.listener().onEvent(Lifetime.unitFreed(new PeriphId(spec.name(), e.unit, e.generation), DeviceIdentity.of(e.info).key()));
        getContext().getLog().debug("{}{} (crashed) released: devfs holds none of its nodes", spec.name(), e.unit);
        replayDeferred(e.path);
      }
    }
    return this;
  }

  private Behavior<Command> onListUnits(ListUnits q) {
    List<UnitInfo> out = new ArrayList<>();
    for (Entry e : units.values()) {
      out.add(
          new UnitInfo(
              e.unit, e.generation, e.path, e.invalid, DeviceIdentity.of(e.info).key(), e.ref));
    }
    int live = getContext().getChildren().size();
    q.replyTo().tell(new Units(spec.name(), out, new ArrayList<>(deferred.keySet()), warnings, live));
    return this;
  }

  private Entry atPath(CamPath path) {
    for (Entry e : units.values()) {
      if (e.path.equals(path)) {
        return e;
      }
    }
    return null;
  }
}
