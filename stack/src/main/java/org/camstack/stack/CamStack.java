package org.camstack.stack;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.devfs.Devfs;
import org.camstack.persistence.audit.LifetimeListener;
import org.camstack.stack.periph.PeriphDriver;
import org.camstack.stack.periph.PeriphSettings;
import org.camstack.stack.periph.WiringSource;
import org.camstack.stack.scsi.da.DaPeriph;
import org.camstack.stack.scsi.pass.PassPeriph;
import org.camstack.stack.scsi.ses.SesPeriph;
import org.camstack.stack.sim.BusSpec;
import org.camstack.stack.sim.DeviceHooks;
import org.camstack.stack.sim.EmuSim;
import org.camstack.stack.sim.Topology;
import org.camstack.stack.target.TargetInventory;
import org.camstack.stack.xpt.Xpt;

/**
 * Bootstrap of the storage stack: starts the {@link Xpt} and one {@link EmuSim} per bus of {@code
 * camstack.topology}, and offers a few helpers (scan every bus and wait, a DEV_MATCH snapshot, run
 * one CCB). cf. the CAM part of the kernel's boot: {@code xpt_init()}, then the HBA drivers attach
 * and register their buses, then {@code xpt_config()} scans them.
 *
 * <p>The periph layer starts between the XPT and the SIMs: {@link Devfs}, then one {@link
 * PeriphDriver} per driver (da, pass, ses), so their AC_FOUND_DEVICE registrations see every
 * device. {@link Options} carries what a caller may want to plug in (a lifetime listener, devfs
 * settings, a wiring source, legacy mode, the topology to emulate, device hooks for durable state).
 *
 * <p>Thread-safety: the handle is immutable; every helper is an ask to the actors.
 */
public final class CamStack {

  /** How the stack's top-level actors get spawned (a system or a parent actor). */
  private interface Spawner {
    <T> ActorRef<T> spawn(Behavior<T> behavior, String name);
  }

  private static final AtomicLong IDS = new AtomicLong(1);
  /** This stack's own ad-hoc CCB ids: per instance, so two runs in one JVM number alike. */
  private final AtomicLong ownIds = new AtomicLong(1);

  /**
   * What the periph layer is started with.
   *
   * @param listener lifetime events of periphs and devfs
   * @param devfs devfs settings (the destroy task's latency)
   * @param wiring device hints / persisted wiring
   * @param legacyMode null: {@code camstack.legacy-mode}; else overrides it
   * @param topology null: {@code camstack.topology}; else the buses to emulate (e.g. the topology
   *     as restored from the journal)
   * @param deviceHooks what each SIM shows its devices to (durable device state)
   */
  public record Options(
      LifetimeListener listener,
      Devfs.Settings devfs,
      WiringSource wiring,
      Boolean legacyMode,
      Topology topology,
      DeviceHooks.Factory deviceHooks) {
    public static final Options DEFAULT =
        new Options(LifetimeListener.NOOP, Devfs.Settings.defaults(), WiringSource.NONE, null, null, DeviceHooks.Factory.NONE);

    public Options {
      deviceHooks = deviceHooks == null ? DeviceHooks.Factory.NONE : deviceHooks;
    }

    public Options withListener(LifetimeListener l) {
      return new Options(l, devfs, wiring, legacyMode, topology, deviceHooks);
    }

    public Options withDevfs(Devfs.Settings d) {
      return new Options(listener, d, wiring, legacyMode, topology, deviceHooks);
    }

    public Options withWiring(WiringSource w) {
      return new Options(listener, devfs, w, legacyMode, topology, deviceHooks);
    }

    public Options withLegacyMode(boolean legacy) {
      return new Options(listener, devfs, wiring, legacy, topology, deviceHooks);
    }

    /** Emulates {@code t} instead of {@code camstack.topology}. */
    public Options withTopology(Topology t) {
      return new Options(listener, devfs, wiring, legacyMode, t, deviceHooks);
    }

    /** Shows every SIM's devices to the hooks {@code f} makes for its bus. */
    public Options withDeviceHooks(DeviceHooks.Factory f) {
      return new Options(listener, devfs, wiring, legacyMode, topology, f);
    }
  }

  /** The periph drivers the stack starts, in start order. */
  public static final List<PeriphDriver.Spec> DRIVERS =
      List.of(
          DaPeriph.SPEC,
          SesPeriph.SPEC,
          org.camstack.stack.scsi.sa.SaPeriph.SPEC,
          org.camstack.stack.scsi.ch.ChPeriph.SPEC,
          org.camstack.stack.scsi.cd.CdPeriph.SPEC,
          org.camstack.stack.scsi.pt.PtPeriph.SPEC,
          org.camstack.stack.scsi.sg.SgPeriph.SPEC,
          PassPeriph.SPEC);

  private final ActorSystem<?> system;
  private final Topology topology;
  private final ActorRef<Xpt.Command> xpt;
  private final List<ActorRef<EmuSim.Command>> sims;
  private final ActorRef<Devfs.Command> devfs;
  private final java.util.Map<String, ActorRef<PeriphDriver.Command>> drivers;
  private final PeriphSettings periphSettings;
  private final TargetInventory targets;
  private final CompletableFuture<Void> configured = new CompletableFuture<>();

  private CamStack(
      ActorSystem<?> system,
      Topology topology,
      ActorRef<Xpt.Command> xpt,
      List<ActorRef<EmuSim.Command>> sims,
      ActorRef<Devfs.Command> devfs,
      java.util.Map<String, ActorRef<PeriphDriver.Command>> drivers,
      PeriphSettings periphSettings,
      TargetInventory targets) {
    this.system = system;
    this.targets = targets;
    this.topology = topology;
    this.xpt = xpt;
    this.sims = List.copyOf(sims);
    this.devfs = devfs;
    this.drivers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(drivers));
    this.periphSettings = periphSettings;
  }

  /**
   * Starts the stack as system actors ({@code /system/xpt}, {@code /system/emusim0}, ...).
   *
   * @param config the full config: {@code camstack.xpt} and {@code camstack.topology}
   * @throws IllegalArgumentException with a one-line message for a bad topology
   */
  public static CamStack start(ActorSystem<?> system, Config config) {
    return start(system, config, Options.DEFAULT);
  }

  /** {@link #start(ActorSystem, Config)} with periph-layer options. */
  public static CamStack start(ActorSystem<?> system, Config config, Options options) {
    Spawner s =
        new Spawner() {
          @Override
          public <T> ActorRef<T> spawn(Behavior<T> behavior, String name) {
            return system.systemActorOf(behavior, name, Props.empty());
          }
        };
    return start(s, system, config, options);
  }

  /** Starts the stack as children of {@code parent} (e.g. a node guardian). */
  public static CamStack start(ActorContext<?> parent, Config config) {
    return start(parent, config, Options.DEFAULT);
  }

  /** {@link #start(ActorContext, Config)} with periph-layer options. */
  public static CamStack start(ActorContext<?> parent, Config config, Options options) {
    Spawner s =
        new Spawner() {
          @Override
          public <T> ActorRef<T> spawn(Behavior<T> behavior, String name) {
            return parent.spawn(behavior, name);
          }
        };
    return start(s, parent.getSystem(), config, options);
  }

  private static CamStack start(Spawner spawner, ActorSystem<?> system, Config config, Options options) {
    Topology topology = options.topology() != null ? options.topology() : Topology.fromConfig(config);
    ActorRef<Xpt.Command> xpt = spawner.spawn(Xpt.create(Xpt.Settings.fromConfig(config).withListener(options.listener())), "xpt");
    PeriphSettings ps = PeriphSettings.fromConfig(config).withListener(options.listener());
    if (options.legacyMode() != null) {
      ps = ps.withLegacyMode(options.legacyMode());
    }
    ActorRef<Devfs.Command> devfs = spawner.spawn(Devfs.create(options.devfs(), options.listener()), "devfs");
    java.util.Map<String, ActorRef<PeriphDriver.Command>> drivers =
        startPeriphDrivers(spawner, xpt, devfs, options.wiring(), ps);
    List<ActorRef<EmuSim.Command>> sims = new ArrayList<>();
    TargetInventory targets = new TargetInventory(TargetLifetime.of(options.listener()));
    for (int i = 0; i < topology.buses().size(); i++) {
      BusSpec bus = topology.buses().get(i);
      sims.add(spawner.spawn(EmuSim.create(bus, xpt, options.deviceHooks().forBus(i, bus), targets, tapeDir(config)), bus.name() + bus.unit()));
    }
    CamStack stack = new CamStack(system, topology, xpt, sims, devfs, drivers, ps, targets);
    stack.finishConfig();
    return stack;
  }

  /** Where tape libraries keep cartridges: {@code <camstack.data-dir>/tape}, or null (memory) without a data dir. */
  static java.nio.file.Path tapeDir(Config config) {
    return config.hasPath("camstack.data-dir") ? java.nio.file.Path.of(config.getString("camstack.data-dir"), "tape") : null;
  }

  /**
   * cf. {@code xpt_config()} / {@code xpt_finishconfig()}: the periph drivers register for
   * AC_FOUND_DEVICE only once the initial scans of the buses are done, so the XPT's replay attaches
   * the devices in EDT order and boot-time unit numbers follow the topology (da0 at the lowest
   * bus:target:lun) instead of probe completion order. Drivers are told in {@link #DRIVERS} order
   * (da before pass, so devlist shows {@code (pass0,da0)} as camcontrol does). Devices found later
   * (hot-plug, rescans) attach as they come.
   */
  private void finishConfig() {
    scanBuses(Duration.ofSeconds(30), i -> topology.buses().get(i).scanOnRegister())
        .whenComplete(
            (r, e) -> {
              for (ActorRef<PeriphDriver.Command> d : drivers.values()) {
                d.tell(new PeriphDriver.XptConfigured());
              }
              configured.complete(null);
            });
  }

  /**
   * Completes once the boot configuration is done: the buses that scan on register were scanned
   * (once) and the periph drivers were told to attach. cf. the end of {@code xpt_config()}.
   */
  public CompletionStage<Void> configured() {
    return configured;
  }

  /**
   * Completes once every bus has been scanned once: after {@link #configured()}, the buses that
   * do not scan on register ({@code PIM_NOSCAN}) are scanned too. What the CLI and the node wait
   * for at start-up; no bus is scanned twice.
   */
  public CompletionStage<Void> scannedOnce(Duration timeout) {
    return configured
        .thenCompose(v -> scanBuses(timeout, i -> !topology.buses().get(i).scanOnRegister()))
        .thenApply(r -> null);
  }

  /** XPT_SCAN_BUS on the buses whose topology index passes {@code which}, in topology order. */
  private CompletionStage<List<Ccb.Completed>> scanBuses(Duration timeout, java.util.function.IntPredicate which) {
    return buses(timeout)
        .thenCompose(
            buses -> {
              List<CompletableFuture<Ccb.Completed>> scans = new ArrayList<>();
              for (int i = 0; i < buses.size(); i++) {
                if (which.test(i)) {
                  int pathId = buses.get(i).pathId();
                  scans.add(action(r -> new Ccb.ScanBus(ownHeader(CamPath.bus(pathId), r)), timeout).toCompletableFuture());
                }
              }
              return CompletableFuture.allOf(scans.toArray(CompletableFuture[]::new))
                  .thenApply(v -> scans.stream().map(CompletableFuture::join).toList());
            });
  }

  /**
   * cf. periphdriver_register(): the driver actors exist before the SIMs; they register for
   * AC_FOUND_DEVICE in {@link #finishConfig()}.
   */
  private static java.util.Map<String, ActorRef<PeriphDriver.Command>> startPeriphDrivers(
      Spawner spawner,
      ActorRef<Xpt.Command> xpt,
      ActorRef<Devfs.Command> devfs,
      WiringSource wiring,
      PeriphSettings settings) {
    java.util.Map<String, ActorRef<PeriphDriver.Command>> out = new java.util.LinkedHashMap<>();
    for (PeriphDriver.Spec spec : DRIVERS) {
      out.put(
          spec.name(),
          spawner.spawn(
              PeriphDriver.create(spec, xpt.narrow(), devfs, wiring, settings, false), "periph-" + spec.name()));
    }
    return out;
  }

  /** The device file system. */
  public ActorRef<Devfs.Command> devfs() {
    return devfs;
  }

  /** The periph drivers by name ({@code pass}, {@code da}, {@code ses}). */
  public java.util.Map<String, ActorRef<PeriphDriver.Command>> drivers() {
    return drivers;
  }

  /** The settings the periph layer runs with (legacy mode, listener). */
  public PeriphSettings periphSettings() {
    return periphSettings;
  }

  /**
   * The target layer's inventory: every emulated target by bus and id, the same LUN objects the
   * SIMs serve (for network frontends such as iSCSI).
   */
  public TargetInventory targets() {
    return targets;
  }

  public ActorRef<Xpt.Command> xpt() {
    return xpt;
  }

  public List<ActorRef<EmuSim.Command>> sims() {
    return sims;
  }

  public Topology topology() {
    return topology;
  }

  public ActorSystem<?> system() {
    return system;
  }

  /** Every bus once registered with the XPT, in topology order. */
  public CompletionStage<List<EmuSim.BusInfo>> buses(Duration timeout) {
    List<CompletableFuture<EmuSim.BusInfo>> all = new ArrayList<>();
    for (ActorRef<EmuSim.Command> sim : sims) {
      all.add(AskPattern.<EmuSim.Command, EmuSim.BusInfo>ask(sim, EmuSim.GetBus::new, timeout, system.scheduler()).toCompletableFuture());
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .thenApply(v -> all.stream().map(CompletableFuture::join).toList());
  }

  /**
   * Scans every bus (XPT_SCAN_BUS each; a request during a running scan gets one more scan after it) and completes when all
   * scans did, with their completions in topology order.
   */
  public CompletionStage<List<Ccb.Completed>> scanAll(Duration timeout) {
    return scanBuses(timeout, i -> true);
  }

  /**
   * Blocks until the periph layer settled after a scan: every configured device has its pass
   * instance, no probe is running, and two snapshots 25 ms apart agree. Not for actor code.
   *
   * @return the settled EDT
   * @throws java.util.concurrent.TimeoutException when it does not settle in time
   */
  public Ccb.DevMatchResult awaitPeriphs(Duration timeout)
      throws java.util.concurrent.TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Ccb.DevMatchResult last = null;
    while (System.nanoTime() < deadline) {
      Ccb.DevMatchResult now;
      try {
        now = devMatch(timeout).toCompletableFuture().get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException("DEV_MATCH failed: " + e.getCause());
      }
      if (settled(now) && now.equals(last)) {
        return now;
      }
      last = now;
      Thread.sleep(25);
    }
    throw new java.util.concurrent.TimeoutException("periph layer did not settle in " + timeout);
  }

  private static boolean settled(Ccb.DevMatchResult edt) {
    for (Ccb.BusMatch b : edt.buses()) {
      for (Ccb.DeviceMatch d : b.devices()) {
        boolean probing = d.periphs().stream().anyMatch(p -> p.startsWith("probe"));
        boolean hasPass = d.periphs().stream().anyMatch(p -> p.startsWith("pass"));
        if (probing || (!d.unconfigured() && !hasPass)) {
          return false;
        }
      }
    }
    return true;
  }

  /** XPT_DEV_MATCH of the whole EDT (every bus, the xpt bus last). */
  public CompletionStage<Ccb.DevMatchResult> devMatch(Duration timeout) {
    return action(r -> new Ccb.DevMatch(ownHeader(CamPath.XPT, r), CamPath.XPT, ""), timeout)
        .thenApply(c -> c.resultAs(Ccb.DevMatchResult.class));
  }

  /** Sends one CCB (built around the reply address) through the XPT; completes with its completion. */
  public CompletionStage<Ccb.Completed> action(Function<ActorRef<Ccb.Completed>, Ccb> build, Duration timeout) {
    return AskPattern.<Xpt.Command, Ccb.Completed>ask(xpt, r -> new Xpt.Action(build.apply(r)), timeout, system.scheduler());
  }

  private Ccb.Header ownHeader(CamPath path, ActorRef<Ccb.Completed> replyTo) {
    return new Ccb.Header(ownIds.getAndIncrement(), path, CamPriority.NORMAL, 0, 0, 0, replyTo);
  }

  /** A header for an ad-hoc CCB (fresh id, priority NORMAL, SIM default timeout). */
  public static Ccb.Header header(CamPath path, ActorRef<Ccb.Completed> replyTo) {
    return new Ccb.Header(IDS.getAndIncrement(), path, CamPriority.NORMAL, 0, 0, 0, replyTo);
  }
}
