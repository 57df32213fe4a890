package org.camstack.stack.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.lifetime.LifetimeListener;
import org.camstack.stack.periph.PeriphDriver;
import org.camstack.stack.periph.PeriphSettings;
import org.camstack.stack.periph.WiringSource;
import org.camstack.stack.scsi.pass.PassPeriph;
import org.camstack.stack.sim.emu.EmuDevice;
import org.camstack.stack.sim.emu.EmuDisk;
import org.camstack.stack.sim.emu.LunSpec;
import org.camstack.stack.xpt.Xpt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stack of one node: the {@link Xpt}, devfs, the periph drivers and the emulated buses of the
 * topology ({@code camstack.topology}, default {@code camstack-node-topology.conf}), started under
 * the ActorSystem's system guardian. Also the node's {@link SimControl}.
 *
 * <p>Start: the XPT, devfs and the drivers first (so the drivers see every AC_FOUND_DEVICE), then
 * each bus registers ({@code xpt_bus_register}) and is scanned. {@link #firstScan()} completes when
 * every bus was scanned and every configured device has its periphs. {@link #detach()} deregisters
 * the buses: AC_LOST_DEVICE for every device, so each periph is invalidated and freed through the
 * normal protocol (devfs destroy, callback, destructor, unit freed).
 */
final class NodeStack implements SimControl {
  private static final Logger LOG = LoggerFactory.getLogger(NodeStack.class);

  private final ActorSystem<?> system;
  final ActorRef<Xpt.Command> xpt;
  final ActorRef<Devfs.Command> devfs;
  private final List<EmuBus> buses;
  private final Duration askTimeout;
  private final CompletableFuture<Done> firstScan = new CompletableFuture<>();
  private final AtomicLong ccbIds = new AtomicLong(1L << 56);

  private NodeStack(
      ActorSystem<?> system, ActorRef<Xpt.Command> xpt, ActorRef<Devfs.Command> devfs, List<EmuBus> buses, Duration askTimeout) {
    this.system = system;
    this.xpt = xpt;
    this.devfs = devfs;
    this.buses = buses;
    this.askTimeout = askTimeout;
  }

  /** The topology of {@code config}, or the shipped default. */
  static List<EmuBus> topology(Config config) {
    Config c = config.hasPath("camstack.topology") ? config : ConfigFactory.parseResources("camstack-node-topology.conf");
    List<EmuBus> out = new ArrayList<>();
    int i = 0;
    java.util.Map<String, Integer> units = new java.util.HashMap<>();
    for (Config b : c.getConfigList("camstack.topology.buses")) {
      String sim = b.hasPath("sim") ? b.getString("sim") : "emusim";
      int unit = units.merge(sim, 1, Integer::sum) - 1;
      out.add(EmuBus.fromConfig(b, unit, i++));
    }
    return out;
  }

  /** Starts the stack; the buses register and scan in the background ({@link #firstScan()}). */
  static NodeStack start(ActorSystem<?> system, Config config, LifetimeListener listener, WiringSource wiring, Duration askTimeout) {
    List<EmuBus> buses = topology(config);
    ActorRef<Xpt.Command> xpt = system.systemActorOf(Xpt.create(Xpt.Settings.fromConfig(config)), "xpt", Props.empty());
    ActorRef<Devfs.Command> devfs = system.systemActorOf(Devfs.create(listener), "devfs", Props.empty());
    PeriphSettings ps = PeriphSettings.fromConfig(config).withListener(listener);
    for (PeriphDriver.Spec spec : drivers()) {
      system.systemActorOf(PeriphDriver.create(spec, xpt.narrow(), devfs, wiring, ps), "driver-" + spec.name(), Props.empty());
    }
    NodeStack stack = new NodeStack(system, xpt, devfs, buses, askTimeout);
    stack.registerAll();
    return stack;
  }

  /** The periph drivers of this build, in attach order. */
  static List<PeriphDriver.Spec> drivers() {
    return List.of(PassPeriph.SPEC);
  }

  private void registerAll() {
    CompletionStage<Done> all = CompletableFuture.completedFuture(Done.getInstance());
    for (EmuBus bus : buses) {
      all = all.thenCompose(d -> register(bus));
    }
    all.thenCompose(d -> settle(0, -1))
        .whenComplete(
            (d, e) -> {
              if (e != null) {
                firstScan.completeExceptionally(e);
              } else {
                firstScan.complete(Done.getInstance());
              }
            });
  }

  /** cf. xpt_bus_register(), then wait for the boot-time scan (a SCAN_BUS joins the running one). */
  private CompletionStage<Done> register(EmuBus bus) {
    return AskPattern.<Xpt.Command, Xpt.BusRegistered>ask(
            xpt, r -> new Xpt.RegisterBus(bus.cpi(), bus.queueDepth, bus, r), askTimeout, system.scheduler())
        .thenCompose(
            reg -> {
              bus.pathId = reg.pathId();
              LOG.info("scbus{} on {}{} bus 0 registered", reg.pathId(), bus.simName, bus.simUnit);
              return scanBus(reg.pathId());
            });
  }

  private CompletionStage<Done> scanBus(int pathId) {
    return AskPattern.<Xpt.Command, Ccb.Completed>ask(
            xpt,
            r -> new Xpt.Action(new Ccb.ScanBus(new Ccb.Header(ccbIds.incrementAndGet(), CamPath.bus(pathId), CamPriority.NORMAL, 0, 0, 0, r))),
            Duration.ofSeconds(60),
            system.scheduler())
        .thenApply(c -> Done.getInstance());
  }

  /**
   * The drivers attach asynchronously after AC_FOUND_DEVICE: wait until every configured device
   * has a periph and the periph count stopped moving (at most ~10 s).
   */
  private CompletionStage<Done> settle(int round, int lastCount) {
    return AskPattern.<Xpt.Command, Ccb.Completed>ask(
            xpt,
            r -> new Xpt.Action(new Ccb.DevMatch(new Ccb.Header(ccbIds.incrementAndGet(), CamPath.XPT, CamPriority.NORMAL, 0, 0, 0, r), CamPath.XPT, "")),
            askTimeout,
            system.scheduler())
        .thenCompose(
            c -> {
              int count = 0;
              boolean bare = false;
              for (Ccb.BusMatch b : c.resultAs(Ccb.DevMatchResult.class).buses()) {
                for (Ccb.DeviceMatch d : b.devices()) {
                  if (!d.unconfigured()) {
                    count += d.periphs().size();
                    bare |= d.periphs().isEmpty();
                  }
                }
              }
              if ((!bare && count == lastCount) || round >= 200) {
                return CompletableFuture.completedFuture(Done.getInstance());
              }
              int n = count;
              CompletableFuture<Done> next = new CompletableFuture<>();
              system.scheduler().scheduleOnce(Duration.ofMillis(50), () -> settle(round + 1, n).whenComplete((d, e) -> {
                if (e != null) {
                  next.completeExceptionally(e);
                } else {
                  next.complete(d);
                }
              }), system.executionContext());
              return next;
            });
  }

  CompletionStage<Done> firstScan() {
    return firstScan;
  }

  /**
   * cf. xpt_bus_deregister() of every bus at shutdown: every periph is invalidated through the
   * normal protocol; completes when devfs holds no periph node any more (or after 10 s).
   */
  CompletionStage<Done> detach() {
    for (EmuBus bus : buses) {
      if (bus.pathId >= 0) {
        xpt.tell(new Xpt.DeregisterBus(bus.pathId));
      }
    }
    return drained(0);
  }

  private CompletionStage<Done> drained(int round) {
    return AskPattern.<Devfs.Command, Devfs.NodeList>ask(devfs, Devfs.ListNodes::new, askTimeout, system.scheduler())
        .thenCompose(
            l -> {
              if (l.nodes().isEmpty() || round >= 200) {
                if (!l.nodes().isEmpty()) {
                  LOG.warn("devfs still holds {} nodes at shutdown", l.nodes().size());
                }
                return CompletableFuture.completedFuture(Done.getInstance());
              }
              CompletableFuture<Done> next = new CompletableFuture<>();
              system.scheduler().scheduleOnce(Duration.ofMillis(50), () -> drained(round + 1).whenComplete((d, e) -> next.complete(Done.getInstance())), system.executionContext());
              return next;
            });
  }

  // ------------------------------------------------------------------ SimControl

  private EmuBus bus(int pathId) {
    for (EmuBus b : buses) {
      if (b.pathId == pathId) {
        return b;
      }
    }
    throw ApiException.notFound("no emulated bus scbus" + pathId);
  }

  @Override
  public ApiModel.Topology topology() {
    List<ApiModel.TopologyBus> out = new ArrayList<>();
    for (EmuBus b : buses) {
      out.add(new ApiModel.TopologyBus(b.pathId, b.simName, b.simUnit, b.maxTarget, b.maxLun, b.initiatorId, b.luns()));
    }
    return new ApiModel.Topology(out);
  }

  @Override
  public EmuDevice device(CamPath path) {
    for (EmuBus b : buses) {
      if (b.pathId == path.bus()) {
        return b.device(path.target(), path.lun());
      }
    }
    return null;
  }

  @Override
  public CompletionStage<ApiModel.LunInfo> addLun(CamPath path, LunSpec spec) {
    EmuBus b = bus(path.bus());
    EmuDevice d = b.plug(path.target(), spec);
    // cf. a hot-plug noticed by the transport: probe the new LUN now
    return scanLun(path).thenApply(x -> EmuBus.info(b.pathId, path.target(), d));
  }

  @Override
  public CompletionStage<Done> removeLun(CamPath path) {
    EmuBus b = bus(path.bus());
    if (b.pull(path.target(), path.lun()) == null) {
      throw ApiException.notFound("no emulated LUN at " + path.btl());
    }
    // the re-probe fails: AC_LOST_DEVICE, the periphs are invalidated
    return scanLun(path);
  }

  @Override
  public CompletionStage<ApiModel.LunInfo> resize(CamPath path, long sizeBytes) {
    EmuBus b = bus(path.bus());
    EmuDevice d = b.device(path.target(), path.lun());
    if (d == null) {
      throw ApiException.notFound("no emulated LUN at " + path.btl());
    }
    if (!(d instanceof EmuDisk disk)) {
      throw ApiException.badRequest(path.btl() + " is not a disk");
    }
    long blocks = sizeBytes / disk.blockSize();
    if (blocks <= 0) {
      throw ApiException.badRequest("bad size " + sizeBytes + ": smaller than one block of " + disk.blockSize());
    }
    disk.resize(blocks);
    return CompletableFuture.completedFuture(EmuBus.info(b.pathId, path.target(), d));
  }

  private CompletionStage<Done> scanLun(CamPath path) {
    return AskPattern.<Xpt.Command, Ccb.Completed>ask(
            xpt,
            r -> new Xpt.Action(new Ccb.ScanLun(new Ccb.Header(ccbIds.incrementAndGet(), path, CamPriority.NORMAL, 0, 0, 0, r), false)),
            Duration.ofSeconds(30),
            system.scheduler())
        .thenApply(c -> Done.getInstance());
  }
}
