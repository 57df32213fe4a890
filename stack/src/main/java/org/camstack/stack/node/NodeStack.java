package org.camstack.stack.node;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;
import org.camstack.persistence.device.FaultRule;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.devfs.Devfs;
import org.camstack.persistence.audit.LifetimeListener;
import org.camstack.stack.periph.WiringSource;
import org.camstack.stack.CamStack;
import org.camstack.stack.durable.DurableDevices;
import org.camstack.stack.sim.BusSpec;
import org.camstack.stack.sim.EmuSim;
import org.camstack.stack.target.Delay;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.xpt.Xpt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stack of one node: {@link CamStack} (the XPT, devfs, the periph drivers and one {@link
 * EmuSim} per bus of {@code camstack.topology}, as system actors) with the node's lifetime listener
 * (the journalled audit trail) and unit wiring. Also the node's {@link
 * SimControl}: the emulator verbs become EmuSim control messages.
 *
 * <p>{@link #firstScan()} completes when every bus was scanned and every configured device has
 * its periphs. {@link #detach()} deregisters the buses at shutdown: AC_LOST_DEVICE for every
 * device, so each periph is invalidated and freed through the normal protocol (devfs destroy,
 * callback, destructor, unit freed).
 */
final class NodeStack implements SimControl {
  private static final Logger LOG = LoggerFactory.getLogger(NodeStack.class);

  private final ActorSystem<?> system;
  private final CamStack cam;
  final ActorRef<Devfs.Command> devfs;
  private final Duration askTimeout;
  private final CompletableFuture<Done> firstScan = new CompletableFuture<>();
  private final AtomicLong ccbIds = new AtomicLong(1L << 56);
  /** path id &rarr; the SIM, its topology index, its spec (known once the buses registered). */
  private final Map<Integer, Bus> buses = new ConcurrentHashMap<>();
  /** The LUNs as the API knows them (configured, plugged, resized); pulled ones stay for re-plug. */
  private final Map<CamPath, LunState> luns = new ConcurrentHashMap<>();

  private record Bus(int pathId, int index, BusSpec spec, ActorRef<EmuSim.Command> sim) {}

  private record LunState(LunSpec spec, long blocks, boolean present, Delay delay) {
    LunState with(long newBlocks, boolean nowPresent, Delay newDelay) {
      return new LunState(spec, newBlocks, nowPresent, newDelay);
    }
  }

  /** The node's durable devices, or null (devices not journalled). */
  private final DurableDevices durable;
  /** Default WWNs of LUNs added at runtime (camstack cluster: salted by the host id on a shared journal). */
  private volatile org.camstack.stack.cluster.NodeWwns wwns = org.camstack.stack.cluster.NodeWwns.TOPOLOGY;

  private NodeStack(ActorSystem<?> system, CamStack cam, Duration askTimeout, DurableDevices durable) {
    this.system = system;
    this.cam = cam;
    this.devfs = cam.devfs();
    this.askTimeout = askTimeout;
    this.durable = durable;
  }

  /**
   * Starts the stack ({@link CamStack} with the node's lifetime listener and wiring); the buses
   * register (path ids wired to the topology order) and scan in the background ({@link
   * #firstScan()}).
   */
  static NodeStack start(
      ActorSystem<?> system, Config config, LifetimeListener listener, WiringSource wiring, Duration askTimeout) {
    return start(system, config, listener, wiring, askTimeout, null);
  }

  /**
   * {@link #start(ActorSystem, Config, LifetimeListener, WiringSource, Duration)} on the devices
   * {@code durable} recovered (null: none): the SIMs emulate its topology and show it their devices.
   */
  static NodeStack start(
      ActorSystem<?> system, Config config, LifetimeListener listener, WiringSource wiring, Duration askTimeout,
      DurableDevices durable) {
    return start(system, config, listener, wiring, askTimeout, durable, null);
  }

  /** ... with the clustered LUNs {@code cluster} (null: none) on a bus of their own after the others. */
  static NodeStack start(
      ActorSystem<?> system, Config config, LifetimeListener listener, WiringSource wiring, Duration askTimeout,
      DurableDevices durable, org.camstack.stack.cluster.ClusterLuns cluster) {
    CamStack.Options options = CamStack.Options.DEFAULT.withListener(listener).withWiring(wiring);
    if (durable != null) {
      options = options.withTopology(durable.topology()).withDeviceHooks(durable);
    }
    if (cluster != null) {
      org.camstack.stack.sim.Topology t = options.topology() != null ? options.topology() : org.camstack.stack.sim.Topology.fromConfig(config);
      options = options.withTopology(cluster.extend(t)).withDeviceHooks(cluster.hooks(options.deviceHooks()));
    }
    CamStack cam = CamStack.start(system, config, options);
    NodeStack stack = new NodeStack(system, cam, askTimeout, durable);
    stack.wwns = org.camstack.stack.cluster.NodeWwns.fromConfig(config);
    stack.boot();
    return stack;
  }

  ActorRef<Xpt.Command> xpt() {
    return cam.xpt();
  }

  private void boot() {
    Duration scan = Duration.ofSeconds(120);
    cam.buses(scan)
        .thenCompose(
            infos -> {
              List<BusSpec> specs = cam.topology().buses();
              for (int i = 0; i < infos.size(); i++) {
                EmuSim.BusInfo b = infos.get(i);
                BusSpec spec = specs.get(i);
                buses.put(b.pathId(), new Bus(b.pathId(), i, spec, cam.sims().get(i)));
                for (Map.Entry<Integer, List<LunSpec>> t : spec.targets().entrySet()) {
                  for (LunSpec l : t.getValue()) {
                    Delay delay = durable == null ? Delay.NONE : durable.delay(DurableDevices.deviceKey(l));
                    luns.put(CamPath.of(b.pathId(), t.getKey(), l.lun()), new LunState(l, l.blocks(), true, delay));
                  }
                }
                if (durable != null) { // pulled before the restart: a re-plug keeps their identity
                  for (DurableDevices.Placement p : durable.pulled()) {
                    if (p.busIndex() == i) {
                      luns.putIfAbsent(
                          CamPath.of(b.pathId(), p.target(), p.spec().lun()), new LunState(p.spec(), p.spec().blocks(), false, Delay.NONE));
                    }
                  }
                }
                LOG.info("scbus{} on {}{} bus 0", b.pathId(), b.simName(), b.simUnit());
              }
              return cam.scannedOnce(scan);
            })
        .thenCompose(c -> settle(0, null, 0))
        .whenComplete(
            (d, e) -> {
              if (e != null) {
                firstScan.completeExceptionally(e);
              } else {
                firstScan.complete(Done.getInstance());
              }
            });
  }

  private Ccb.Header header(CamPath path, ActorRef<Ccb.Completed> r) {
    return new Ccb.Header(ccbIds.incrementAndGet(), path, CamPriority.NORMAL, 0, 0, 0, r);
  }

  /**
   * The drivers attach asynchronously after AC_FOUND_DEVICE: wait until no probe runs, every
   * configured device has its periphs, and three snapshots 50 ms apart agree (at most ~10 s).
   */
  private CompletionStage<Done> settle(int round, Ccb.DevMatchResult last, int stable) {
    return cam.devMatch(askTimeout)
        .thenCompose(
            m -> {
              boolean settled = true;
              for (Ccb.BusMatch b : m.buses()) {
                for (Ccb.DeviceMatch d : b.devices()) {
                  boolean probing = d.periphs().stream().anyMatch(p -> p.startsWith("probe"));
                  settled &= !probing && (d.unconfigured() || !d.periphs().isEmpty());
                }
              }
              int now = settled && m.equals(last) ? stable + 1 : 0;
              if (now >= 2 || round >= 200) {
                return CompletableFuture.completedFuture(Done.getInstance());
              }
              return later(Duration.ofMillis(50), () -> settle(round + 1, m, now));
            });
  }

  private <T> CompletionStage<T> later(Duration d, java.util.function.Supplier<CompletionStage<T>> next) {
    CompletableFuture<T> f = new CompletableFuture<>();
    system.scheduler()
        .scheduleOnce(
            d,
            () ->
                next.get()
                    .whenComplete(
                        (v, e) -> {
                          if (e != null) {
                            f.completeExceptionally(e);
                          } else {
                            f.complete(v);
                          }
                        }),
            system.executionContext());
    return f;
  }

  CompletionStage<Done> firstScan() {
    return firstScan;
  }

  /**
   * cf. xpt_bus_deregister() of every bus at shutdown: every periph is invalidated through the
   * normal protocol; completes when devfs holds no node any more (or after ~10 s).
   */
  CompletionStage<Done> detach() {
    for (Bus b : buses.values()) {
      cam.xpt().tell(new Xpt.DeregisterBus(b.pathId()));
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
              return later(Duration.ofMillis(50), () -> drained(round + 1));
            });
  }

  // ------------------------------------------------------------------ SimControl

  private Bus bus(CamPath path) {
    Bus b = buses.get(path.bus());
    if (b == null) {
      throw ApiException.notFound("no emulated bus scbus" + path.bus());
    }
    return b;
  }

  private LunState present(CamPath path) {
    LunState s = luns.get(path);
    if (s == null || !s.present()) {
      throw ApiException.notFound("no emulated LUN at " + path.btl());
    }
    return s;
  }

  /** An EmuSim control message; its refusal becomes a 400 (the checks before it gave 404/409). */
  private CompletionStage<Done> control(Bus b, Function<ActorRef<StatusReply<Done>>, EmuSim.Command> msg) {
    return AskPattern.<EmuSim.Command, StatusReply<Done>>ask(b.sim(), msg::apply, askTimeout, system.scheduler())
        .thenApply(
            r -> {
              if (r.isError()) {
                throw ApiException.badRequest(ManagementRoutes.oneLine(r.getError().getMessage()));
              }
              return Done.getInstance();
            });
  }

  private static ApiModel.LunInfo info(CamPath p, LunState s) {
    LunSpec l = s.spec();
    boolean disk = l.type() == LunSpec.Type.DISK;
    return new ApiModel.LunInfo(
        p.btl(), disk ? "disk" : l.type() == LunSpec.Type.ENCLOSURE ? "ses" : l.type().name().toLowerCase(java.util.Locale.ROOT), l.vendor(), l.product(), l.revision(), l.serial(),
        disk ? s.blocks() : 0, disk ? l.blockSize() : 0, true, s.present());
  }

  /** The target layer's live targets, for network frontends (the iSCSI portal). */
  public org.camstack.stack.target.TargetInventory targets() {
    return cam.targets();
  }

  @Override
  public CompletionStage<ApiModel.Topology> topology() {
    List<ApiModel.TopologyBus> out = new ArrayList<>();
    buses.values().stream()
        .sorted((a, b) -> Integer.compare(a.pathId(), b.pathId()))
        .forEach(
            b -> {
              List<ApiModel.LunInfo> l = new ArrayList<>();
              luns.entrySet().stream()
                  .filter(e -> e.getKey().bus() == b.pathId() && e.getValue().present())
                  .sorted((x, y) -> x.getKey().target() != y.getKey().target()
                      ? Integer.compare(x.getKey().target(), y.getKey().target())
                      : Long.compare(x.getKey().lun(), y.getKey().lun()))
                  .forEach(e -> l.add(info(e.getKey(), e.getValue())));
              BusSpec s = b.spec();
              out.add(new ApiModel.TopologyBus(b.pathId(), s.name(), s.unit(), s.maxTarget(), s.maxLun(), s.initiatorId(), l));
            });
    return CompletableFuture.completedFuture(new ApiModel.Topology(out));
  }

  /**
   * The LUN a request describes at {@code path}: a LUN plugged there before keeps its identity
   * (serial, WWN) unless the request names a serial, so a device pulled and plugged again is the
   * same device (and gets its unit back through the wiring).
   */
  private LunSpec identityFor(CamPath path, LunSpec requested, boolean keep) {
    LunState old = luns.get(path);
    if (!keep) {
      return requested;
    }
    if (old != null) {
      return requested.withIdentity(old.spec().serial(), old.spec().wwn());
    }
    Bus b = bus(path);
    return requested.withIdentity(
        LunSpec.defaultSerial(b.index(), path.target(), path.lun()), wwns.defaultWwn(b.index(), path.target(), path.lun()));
  }

  @Override
  public CompletionStage<ApiModel.LunInfo> addLun(CamPath path, LunSpec requested, boolean keepIdentity) {
    Bus b = bus(path);
    LunSpec spec = identityFor(path, requested, keepIdentity);
    LunState old = luns.get(path);
    if (old != null && old.present()) {
      throw ApiException.conflict("lun " + path.btl() + " is already present");
    }
    boolean targetPresent = luns.entrySet().stream()
        .anyMatch(e -> e.getValue().present() && e.getKey().bus() == path.bus() && e.getKey().target() == path.target());
    CompletionStage<Done> plug =
        targetPresent
            ? control(b, r -> new EmuSim.AddLun(path.target(), spec, r))
            : control(b, r -> new EmuSim.AddTarget(path.target(), List.of(spec), r));
    return plug.thenCompose(d -> {
          luns.put(path, new LunState(spec, spec.blocks(), true, Delay.NONE));
          // cf. a hot-plug the transport notices: probe the new LUN now
          return scanLun(path);
        })
        .thenApply(d -> info(path, luns.get(path)));
  }

  @Override
  public CompletionStage<Done> removeLun(CamPath path) {
    Bus b = bus(path);
    LunState s = present(path);
    boolean lastOfTarget = luns.entrySet().stream()
        .noneMatch(e -> e.getValue().present() && e.getKey().bus() == path.bus() && e.getKey().target() == path.target()
            && !e.getKey().equals(path));
    CompletionStage<Done> pull =
        lastOfTarget
            ? control(b, r -> new EmuSim.RemoveTarget(path.target(), r))
            : control(b, r -> new EmuSim.RemoveLun(path.target(), path.lun(), r));
    return pull.thenCompose(
        d -> {
          luns.put(path, s.with(s.blocks(), false, Delay.NONE));
          // the re-probe fails: AC_LOST_DEVICE, the periphs are invalidated
          return scanLun(path);
        });
  }

  @Override
  public CompletionStage<ApiModel.LunInfo> resize(CamPath path, long sizeBytes) {
    Bus b = bus(path);
    LunState s = present(path);
    if (s.spec().type() != LunSpec.Type.DISK) {
      throw ApiException.badRequest(path.btl() + " is not a disk");
    }
    long blocks = sizeBytes / s.spec().blockSize();
    if (blocks <= 0) {
      throw ApiException.badRequest("bad size " + sizeBytes + ": smaller than one block of " + s.spec().blockSize());
    }
    return control(b, r -> new EmuSim.ResizeLun(path.target(), path.lun(), blocks, r))
        .thenApply(
            d -> {
              LunState n = s.with(blocks, true, s.delay());
              luns.put(path, n);
              return info(path, n);
            });
  }

  @Override
  public CompletionStage<List<FaultRule>> faults(CamPath path) {
    Bus b = bus(path);
    present(path);
    return AskPattern.<EmuSim.Command, StatusReply<List<FaultRule>>>ask(
            b.sim(), r -> new EmuSim.ListFaults(path.target(), path.lun(), r), askTimeout, system.scheduler())
        .thenApply(
            r -> {
              if (r.isError()) {
                throw ApiException.notFound(ManagementRoutes.oneLine(r.getError().getMessage()));
              }
              return r.getValue();
            });
  }

  @Override
  public CompletionStage<Done> addFault(CamPath path, FaultRule rule) {
    Bus b = bus(path);
    present(path);
    return control(b, r -> new EmuSim.AddFault(path.target(), path.lun(), rule, r));
  }

  @Override
  public CompletionStage<Done> deleteFault(CamPath path, String id) {
    return faults(path)
        .thenCompose(
            rules -> {
              if (rules.stream().noneMatch(f -> f.id().equals(id))) {
                throw ApiException.notFound(path.btl() + ": no fault rule " + id);
              }
              return control(bus(path), r -> new EmuSim.DeleteFault(path.target(), path.lun(), id, r));
            });
  }

  @Override
  public CompletionStage<Delay> delay(CamPath path) {
    return CompletableFuture.completedFuture(present(path).delay());
  }

  @Override
  public CompletionStage<Done> setDelay(CamPath path, Delay delay) {
    Bus b = bus(path);
    LunState s = present(path);
    return control(b, r -> new EmuSim.SetDelay(path.target(), path.lun(), delay, r))
        .thenApply(
            d -> {
              luns.put(path, s.with(s.blocks(), true, delay));
              return d;
            });
  }

  @Override
  public CompletionStage<Object> onDevice(CamPath path, Function<org.camstack.stack.target.EmuDevice, Object> op) {
    Bus b = bus(path);
    present(path);
    return AskPattern.<EmuSim.Command, StatusReply<Object>>ask(
            b.sim(), r -> new EmuSim.OnDevice(path.target(), path.lun(), op, r), askTimeout, system.scheduler())
        .thenApply(
            r -> {
              if (r.isError()) {
                throw ApiException.conflict(ManagementRoutes.oneLine(r.getError().getMessage()));
              }
              return r.getValue();
            });
  }

  private CompletionStage<Done> scanLun(CamPath path) {
    return AskPattern.<Xpt.Command, Ccb.Completed>ask(
            cam.xpt(), r -> new Xpt.Action(new Ccb.ScanLun(header(path, r), false)), Duration.ofSeconds(30), system.scheduler())
        .thenApply(c -> Done.getInstance());
  }
}
