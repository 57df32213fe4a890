package org.camstack.bench.io;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.camstack.stack.ccb.AsyncCode;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.devfs.Devfs;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.persistence.audit.LifetimeListener;
import org.camstack.stack.periph.PeriphDriver;
import org.camstack.stack.periph.PeriphSettings;
import org.camstack.stack.periph.WiringSource;
import org.camstack.stack.scsi.da.DaPeriph;
import org.camstack.stack.sim.SimDataPath;
import org.camstack.stack.xpt.AsyncEvent;
import org.camstack.stack.xpt.Xpt;
import org.camstack.stack.xpt.XptDevice;

/**
 * Guardian of the benchmark's ActorSystem: it starts the real {@link Xpt}, subscribes to
 * AC_FOUND_DEVICE / AC_LOST_DEVICE, registers the emulated buses (the XPT scans and probes them
 * and creates one {@link XptDevice} per LUN), optionally starts devfs and the {@code da} driver
 * (one {@code daN} periph and node per disk), and spawns the load generators next to them.
 */
public final class StackHost extends AbstractBehavior<StackHost.Command> {

  /** Messages to the host. */
  public interface Command {}

  /**
   * One bus to register.
   *
   * @param cpi its path inquiry answer
   * @param queueDepth tag depth per device
   * @param dataPath what the device queues call
   */
  public record BusSpec(Ccb.PathInqResult cpi, int queueDepth, SimDataPath dataPath) {}

  /**
   * The XPT's answer to a boot: path ids in bus order, every found device's queue, devfs (null
   * unless the da driver was started) and the da unit of each CAM path ({@code scbus0:1:0}).
   */
  public record Booted(
      int[] pathIds, Map<CamPath, ActorRef<XptDevice.Command>> devices, ActorRef<Devfs.Command> devfs, Map<String, Integer> daUnits) {}

  /**
   * Register {@code buses} and complete {@code done} once {@code expectDevices} devices were
   * found (and, with {@code withDa}, devfs and the da driver are up and every device has its
   * {@code daN} node). Only one boot at a time.
   */
  public record Boot(List<BusSpec> buses, int expectDevices, boolean withDa, CompletableFuture<Booted> done) implements Command {}

  /** A lifetime event from devfs or a periph (counts da nodes). */
  private record Lifetime(LifetimeEvent event) implements Command {}

  /** Spawn a child; {@code done} completes with its ref. */
  public record Spawn<T>(Behavior<T> behavior, String name, CompletableFuture<ActorRef<T>> done) implements Command {}

  /** Deregister a bus (AC_LOST_DEVICE for its devices). No reply. */
  public record Deregister(int pathId) implements Command {}

  /** Found devices and lost events since the last call. Reply: the counts. */
  public record Counts(CompletableFuture<long[]> done) implements Command {}

  private record Async(AsyncEvent event) implements Command {}

  private record Registered(int index, int pathId) implements Command {}

  private final ActorRef<Xpt.Command> xpt;
  private final Map<CamPath, ActorRef<XptDevice.Command>> found = new HashMap<>();
  private int[] pathIds = new int[0];
  private int registered;
  private Boot boot;
  private long foundEvents;
  private long lostEvents;
  private ActorRef<Devfs.Command> devfs;
  private int daNodes;
  private final Map<String, Integer> daUnits = new HashMap<>(); // CAM path text -> da unit

  public static Behavior<Command> create() {
    return Behaviors.setup(StackHost::new);
  }

  private StackHost(ActorContext<Command> ctx) {
    super(ctx);
    xpt = ctx.spawn(Xpt.create(Xpt.Settings.DEFAULT), "xpt");
    ActorRef<AsyncEvent> async = ctx.messageAdapter(AsyncEvent.class, Async::new);
    xpt.tell(new Xpt.RegisterAsync(Set.of(AsyncCode.AC_FOUND_DEVICE, AsyncCode.AC_LOST_DEVICE), CamPath.XPT, async, null));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Boot.class, this::onBoot)
        .onMessage(Spawn.class, this::onSpawn)
        .onMessage(Deregister.class, this::onDeregister)
        .onMessage(Counts.class, this::onCounts)
        .onMessage(Async.class, this::onAsync)
        .onMessage(Registered.class, this::onRegistered)
        .onMessage(Lifetime.class, this::onLifetime)
        .build();
  }

  private Behavior<Command> onBoot(Boot b) {
    boot = b;
    if (b.withDa() && devfs == null) {
      // the periph layer starts before the buses register, as in CamStack: devfs, then the driver
      ActorRef<Command> self = getContext().getSelf();
      LifetimeListener listener = e -> self.tell(new Lifetime(e));
      devfs = getContext().spawn(Devfs.create(listener), "devfs");
      getContext().spawn(PeriphDriver.create(DaPeriph.SPEC, xpt.narrow(), devfs, WiringSource.NONE,
          PeriphSettings.defaults().withListener(listener)), "da");
    }
    pathIds = new int[b.buses().size()];
    registered = 0;
    if (!b.buses().isEmpty()) {
      registerBus(0); // one at a time: adapters of one message class replace each other
    }
    checkBooted();
    return this;
  }

  private void registerBus(int index) {
    BusSpec s = boot.buses().get(index);
    ActorRef<Xpt.BusRegistered> reply =
        getContext().messageAdapter(Xpt.BusRegistered.class, r -> new Registered(index, r.pathId()));
    xpt.tell(new Xpt.RegisterBus(s.cpi(), -1, s.queueDepth(), s.dataPath(), reply));
  }

  private Behavior<Command> onRegistered(Registered r) {
    pathIds[r.index()] = r.pathId();
    registered++;
    if (boot != null && registered < boot.buses().size()) {
      registerBus(registered);
    }
    checkBooted();
    return this;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private Behavior<Command> onSpawn(Spawn s) {
    s.done().complete(getContext().spawn(s.behavior(), s.name()));
    return this;
  }

  private Behavior<Command> onDeregister(Deregister d) {
    xpt.tell(new Xpt.DeregisterBus(d.pathId()));
    return this;
  }

  private Behavior<Command> onCounts(Counts c) {
    c.done().complete(new long[] {foundEvents, lostEvents});
    return this;
  }

  private Behavior<Command> onAsync(Async a) {
    if (a.event() instanceof AsyncEvent.FoundDevice f) {
      foundEvents++;
      found.put(f.path(), f.device());
      checkBooted();
    } else if (a.event() instanceof AsyncEvent.LostDevice l) {
      lostEvents++;
      found.keySet().removeIf(p -> l.path().matches(p));
    }
    return this;
  }

  private Behavior<Command> onLifetime(Lifetime l) {
    if (l.event() instanceof LifetimeEvent.PeriphRegistered r && r.driver().equals("da")) {
      daUnits.put(r.path(), r.unit());
    }
    if (l.event() instanceof LifetimeEvent.DevfsNodeCreated n && n.name().startsWith("da")) {
      daNodes++;
      checkBooted();
    }
    return this;
  }

  private void checkBooted() {
    if (boot != null && registered == boot.buses().size() && found.size() >= boot.expectDevices()
        && (!boot.withDa() || daNodes >= boot.expectDevices())) {
      Boot b = boot;
      boot = null;
      b.done().complete(new Booted(pathIds.clone(), Map.copyOf(found), devfs, Map.copyOf(daUnits)));
    }
  }
}
