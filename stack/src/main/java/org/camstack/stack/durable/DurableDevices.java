package org.camstack.stack.durable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.pattern.StatusReply;
import org.camstack.persistence.device.DeviceConfig;
import org.camstack.persistence.device.DeviceEntity;
import org.camstack.persistence.device.DeviceStates;
import org.camstack.persistence.inventory.HostInventoryEntity;
import org.camstack.stack.sim.BusSpec;
import org.camstack.stack.sim.DeviceHooks;
import org.camstack.stack.sim.Topology;
import org.camstack.stack.target.Delay;
import org.camstack.stack.target.EmuDevice;
import org.camstack.stack.target.LunSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The emulated devices of one host, durable: every device has its {@link DeviceEntity} (keyed by
 * its WWN, never by a unit name) and the host a {@link HostInventoryEntity} (which devices it has,
 * which are plugged in).
 *
 * <p><b>At start</b> ({@link #recover}), before the stack exists: read the inventory and every
 * device's state, reconcile them with the topology file (new devices created, edited ones
 * reconfigured, dropped ones decommissioned, interrupted plugs and pulls repaired), and make the
 * {@link #topology()} to emulate: the file's buses with the pulled devices left out and the
 * devices plugged at runtime put back, each with its current capacity. The SIMs then build their
 * devices and show each one to {@link #forBus these hooks}, which restore its state (media, mode
 * pages, reservation, fault rules, delay, pending unit attentions) before the bus registers, so
 * before the first scan.
 *
 * <p><b>While running</b>: each device reports changes of its durable state to its {@link
 * DeviceBridge} (a flag and a {@code tell}, off the data path), which updates the journal. A plug
 * or pull is recorded before it takes effect (inventory first, one event for all devices of the
 * change, then each device's journal) and the SIM acknowledges it only after that.
 *
 * <p>The entities run on this node (not through Cluster Sharding): they are this host's devices
 * and live in this node's journal. Thread-safe: the hooks are called by the SIM actors.
 */
public final class DurableDevices implements DeviceHooks.Factory {
  private static final Logger LOG = LoggerFactory.getLogger(DurableDevices.class);

  /** A device at its place in the emulated topology. */
  public record Placement(int busIndex, int target, LunSpec spec) {
    /** {@code naa.<wwn>}. */
    public String key() {
      return DeviceStateCodec.deviceKey(spec);
    }
  }

  /**
   * One device this node records. Its entity is spawned on first use (a write, or a read of its
   * state): a device whose state came from the bulk read and that nothing changes never costs an
   * entity recovery (issue 15).
   */
  private final class Tracked {
    final String key;
    /** Spawned by {@link #bridge()}. Guarded by this. */
    private ActorRef<DeviceBridge.Command> bridge;
    /** The state read in bulk, handed to the bridge so it need not ask the entity. Guarded by this. */
    private DeviceEntity.State known;
    /** Spawned by {@link #entity()}. Guarded by this. */
    private ActorRef<DeviceEntity.Command> entity;
    /** The device instance in the data path, or null. Guarded by this. */
    EmuDevice live;

    Tracked(String key) {
      this.key = key;
    }

    /** The device's entity, spawned (and so recovered) on the first call. */
    synchronized ActorRef<DeviceEntity.Command> entity() {
      if (entity == null) {
        entity = system.systemActorOf(DeviceEntity.create(key), "device-" + key, Props.empty());
      }
      return entity;
    }

    synchronized boolean spawned() {
      return entity != null;
    }

    /** The device's bridge, spawned on the first call (with the state read in bulk, if any). */
    synchronized ActorRef<DeviceBridge.Command> bridge() {
      if (bridge == null) {
        bridge = system.systemActorOf(DeviceBridge.create(key, this::entity, known, timeout), "device-bridge-" + key, Props.empty());
      }
      return bridge;
    }

    synchronized void know(DeviceEntity.State s) {
      if (bridge == null && entity == null) {
        known = s;
      }
    }
  }

  private final ActorSystem<?> system;
  private final String hostId;
  private final Duration timeout;
  private final ActorRef<HostInventoryEntity.Command> inventory;
  private final Topology fileTopology;
  private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();
  /** State to restore into the power-on devices, consumed as they are built. */
  private final Map<String, DeviceEntity.Configured> toRestore = new ConcurrentHashMap<>();
  private volatile Topology topology;
  private volatile List<Placement> pulled = List.of();
  /** The buses' tape libraries (set at recovery). */
  private volatile DurableLibraries libraries;

  private DurableDevices(
      ActorSystem<?> system, String hostId, Topology fileTopology, ActorRef<HostInventoryEntity.Command> inventory, Duration timeout) {
    this.system = system;
    this.hostId = hostId;
    this.fileTopology = fileTopology;
    this.inventory = inventory;
    this.timeout = timeout;
    this.topology = fileTopology;
  }

  /** The key the hooks and the journal use for a LUN: {@code naa.<wwn>}. */
  public static String deviceKey(LunSpec spec) {
    return DeviceStateCodec.deviceKey(spec);
  }

  /** {@code scbusN} of the bus at {@code index}: its wired path id, else its index. */
  static int busNumber(int index, BusSpec bus) {
    return bus.pathId() >= 0 ? bus.pathId() : index;
  }

  // ------------------------------------------------------------------ recovery

  /**
   * Recovers the host's devices from the journal and reconciles them with {@code topology} (the
   * topology file). Completes once every repair is persisted; then {@link #topology()} is what to
   * emulate and {@code this} the device hooks to start the SIMs with.
   *
   * @param hostId the host's id (as the wiring and the audit trail)
   * @param timeout for each journal round trip
   */
  public static CompletionStage<DurableDevices> recover(
      ActorSystem<?> system, String hostId, Topology topology, Duration timeout) {
    ActorRef<HostInventoryEntity.Command> inv =
        system.systemActorOf(HostInventoryEntity.create(hostId), "inventory-" + hostId, Props.empty());
    DurableDevices d = new DurableDevices(system, hostId, topology, inv, timeout);
    return d.recover();
  }

  private CompletionStage<DurableDevices> recover() {
    List<Placement> fromFile = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < fileTopology.buses().size(); i++) {
      BusSpec b = fileTopology.buses().get(i);
      for (Map.Entry<Integer, List<LunSpec>> t : b.targets().entrySet()) {
        for (LunSpec l : t.getValue()) {
          Placement p = new Placement(i, t.getKey(), l);
          if (seen.add(p.key())) {
            fromFile.add(p);
          } else {
            LOG.warn("topology lists [{}] twice: only its first place is durable", p.key());
          }
        }
      }
    }
    Map<String, DeviceEntity.State> read = new ConcurrentHashMap<>();
    return this.<HostInventoryEntity.Command, HostInventoryEntity.State>ask(inventory, HostInventoryEntity.GetInventory::new)
        .thenCompose(
            inv -> {
              Set<String> keys = new TreeSet<>(seen);
              keys.addAll(inv.members().keySet());
              return bulkStates(keys).thenCompose(states -> {
                read.putAll(states);
                return repair(fromFile, inv, states);
              });
            })
        .thenCompose(
            inv -> {
              Set<String> keys = new TreeSet<>(seen);
              keys.addAll(inv.members().keySet());
              return states(keys, read).thenApply(states -> build(fromFile, inv, states));
            })
        .thenCompose(
            d -> DurableLibraries.recover(system, hostId, topology, timeout)
                .thenApply(l -> {
                  libraries = l;
                  return d;
                }));
  }

  /**
   * Every device's state in two queries ({@link DeviceStates}); if that fails (no JDBC journal),
   * from the entities, one recovery each.
   */
  private CompletionStage<Map<String, DeviceEntity.State>> bulkStates(Set<String> keys) {
    return DeviceStates.read(system, keys)
        .handle((m, e) -> {
          if (e == null) {
            return CompletableFuture.completedFuture(m);
          }
          LOG.info("host [{}]: bulk read unavailable ({}), recovering {} devices one by one", hostId, e.getMessage(), keys.size());
          return states(keys, Map.of());
        })
        .thenCompose(f -> f);
  }

  /**
   * Every device's state: from its entity if it was spawned (it may have written since) or
   * {@code known} lacks it, else from {@code known}.
   */
  private CompletionStage<Map<String, DeviceEntity.State>> states(Set<String> keys, Map<String, DeviceEntity.State> known) {
    Map<String, CompletableFuture<DeviceEntity.State>> all = new TreeMap<>();
    for (String k : keys) {
      Tracked t = track(k);
      DeviceEntity.State s = known.get(k);
      if (!t.spawned() && s != null) {
        t.know(s);
        all.put(k, CompletableFuture.completedFuture(s));
      } else {
        all.put(k, this.<DeviceEntity.Command, DeviceEntity.State>ask(t.entity(), DeviceEntity.Get::new).toCompletableFuture());
      }
    }
    return CompletableFuture.allOf(all.values().toArray(CompletableFuture[]::new))
        .thenApply(
            v -> {
              Map<String, DeviceEntity.State> m = new TreeMap<>();
              all.forEach((k, f) -> m.put(k, f.join()));
              return m;
            });
  }

  /**
   * Makes the journal agree with the topology file and repairs what a crash interrupted; completes
   * with the inventory as it is then.
   */
  private CompletionStage<HostInventoryEntity.State> repair(
      List<Placement> fromFile, HostInventoryEntity.State inv, Map<String, DeviceEntity.State> states) {
    List<CompletionStage<?>> work = new ArrayList<>();
    Map<String, DeviceConfig> fileConfigs = new TreeMap<>();
    List<String> forget = new ArrayList<>();
    for (Placement p : fromFile) {
      String k = p.key();
      Tracked e = track(k); // its entity is spawned only if it needs a repair
      DeviceConfig cfg = DeviceStateCodec.config(busNumber(p.busIndex(), bus(p.busIndex())), p.target(), p.spec());
      HostInventoryEntity.Member m = inv.member(k);
      boolean plugged = m == null || m.plugged();
      fileConfigs.put(k, cfg);
      if (states.get(k) instanceof DeviceEntity.Configured c) {
        boolean fileEdited = m == null || !cfg.equals(m.topologyConfig());
        if (fileEdited && !c.config().equals(cfg)) {
          LOG.info("device [{}]: the topology file changed its configuration", k);
          work.add(ack(e.entity(), r -> new DeviceEntity.Reconfigure(cfg, r)));
        }
        if (c.plugged() != plugged) {
          work.add(repairPlug(k, e.entity(), plugged));
        }
      } else {
        work.add(ack(e.entity(), r -> new DeviceEntity.Create(cfg, r)));
        if (plugged) { // a new device joins plugged
          work.add(ack(e.entity(), DeviceEntity.Plug::new));
        }
      }
    }
    for (Map.Entry<String, HostInventoryEntity.Member> en : inv.members().entrySet()) {
      String k = en.getKey();
      HostInventoryEntity.Member m = en.getValue();
      if (fileConfigs.containsKey(k)) {
        continue;
      }
      Tracked e = track(k); // its entity is spawned only if it needs a repair
      if (m.fromTopology()) {
        LOG.info("device [{}]: no longer in the topology file, decommissioned", k);
        forget.add(k);
        work.add(ack(e.entity(), r -> new DeviceEntity.Decommission("removed from the topology", r)));
      } else if (states.get(k) instanceof DeviceEntity.Configured c) {
        if (c.plugged() != m.plugged()) {
          work.add(repairPlug(k, e.entity(), m.plugged()));
        }
      } else {
        LOG.info("device [{}]: plugged at runtime but never created (interrupted plug), forgotten", k);
        forget.add(k);
      }
    }
    work.add(ack(inventory, r -> new HostInventoryEntity.RecordTopology(fileConfigs, r)));
    if (!forget.isEmpty()) {
      work.add(ack(inventory, r -> new HostInventoryEntity.Forget(forget, "recovery", r)));
    }
    return CompletableFuture.allOf(work.stream().map(CompletionStage::toCompletableFuture).toArray(CompletableFuture[]::new))
        .thenCompose(v -> this.<HostInventoryEntity.Command, HostInventoryEntity.State>ask(inventory, HostInventoryEntity.GetInventory::new));
  }

  /** The device's journal says plugged while the inventory says pulled, or the reverse: a crash. */
  private CompletionStage<Done> repairPlug(String key, ActorRef<DeviceEntity.Command> e, boolean plugged) {
    LOG.info("device [{}]: repairing an interrupted {}", key, plugged ? "plug" : "pull");
    if (plugged) {
      return ack(e, DeviceEntity.Plug::new);
    }
    return ack(e, r -> new DeviceEntity.Unplug("recovered: pulled before the restart", r));
  }

  /** The topology to emulate, from the repaired journal. */
  private DurableDevices build(
      List<Placement> fromFile, HostInventoryEntity.State inv, Map<String, DeviceEntity.State> states) {
    List<Map<Integer, List<LunSpec>>> buses = new ArrayList<>();
    List<Map<Integer, List<LunSpec>>> fileTargets = new ArrayList<>();
    for (BusSpec b : fileTopology.buses()) {
      Map<Integer, List<LunSpec>> m = new TreeMap<>();
      b.targets().forEach((t, l) -> m.put(t, new ArrayList<>(l)));
      buses.add(m);
      fileTargets.add(b.targets());
    }
    Set<String> placed = new HashSet<>();
    List<Placement> out = new ArrayList<>();
    // the file's devices at the file's places
    for (Placement p : fromFile) {
      String k = p.key();
      List<LunSpec> luns = buses.get(p.busIndex()).get(p.target());
      int at = luns.indexOf(p.spec());
      if (!(states.get(k) instanceof DeviceEntity.Configured c)) {
        continue; // not recoverable: emulated as the file says, recorded at attach
      }
      HostInventoryEntity.Member m = inv.member(k);
      if (m != null && !m.plugged()) {
        luns.remove(at);
        out.add(new Placement(p.busIndex(), p.target(), p.spec()));
        continue;
      }
      try {
        LunSpec s = DeviceStateCodec.spec(c.config(), k, p.spec().lun(), c.blocks(), p.spec());
        luns.set(at, s);
        toRestore.put(k, c);
        placed.add(k);
      } catch (IllegalArgumentException e) {
        LOG.warn("device [{}]: journal configuration unusable ({}), emulated as the topology file says", k, e.getMessage());
      }
    }
    // the devices plugged at runtime, at their last place
    for (Map.Entry<String, HostInventoryEntity.Member> en : inv.members().entrySet()) {
      String k = en.getKey();
      if (en.getValue().fromTopology() || !(states.get(k) instanceof DeviceEntity.Configured c)) {
        continue;
      }
      DeviceConfig cfg = c.config();
      int index = busIndexOf(cfg.bus());
      LunSpec spec;
      try {
        spec = DeviceStateCodec.spec(cfg, k, cfg.lun(), c.blocks(), null);
      } catch (IllegalArgumentException e) {
        LOG.warn("device [{}]: journal configuration unusable ({}), not restored", k, e.getMessage());
        continue;
      }
      if (!en.getValue().plugged()) {
        if (index >= 0) {
          out.add(new Placement(index, cfg.target(), spec));
        }
        continue;
      }
      String refused = index < 0 ? "no bus scbus" + cfg.bus() : fits(index, cfg.target(), spec, buses.get(index));
      if (refused != null) {
        LOG.warn("device [{}]: plugged at runtime at {}:{}:{} but {}; left out", k, cfg.bus(), cfg.target(), cfg.lun(), refused);
        continue;
      }
      buses.get(index).computeIfAbsent(cfg.target(), t -> new ArrayList<>()).add(spec);
      toRestore.put(k, c);
      placed.add(k);
    }
    List<BusSpec> specs = new ArrayList<>();
    for (int i = 0; i < fileTopology.buses().size(); i++) {
      Map<Integer, List<LunSpec>> m = new TreeMap<>();
      for (Map.Entry<Integer, List<LunSpec>> t : buses.get(i).entrySet()) {
        // a target stays when a LUN is left, or when the file gives it none
        List<LunSpec> inFile = fileTargets.get(i).get(t.getKey());
        if (!t.getValue().isEmpty() || (inFile != null && inFile.isEmpty())) {
          List<LunSpec> l = new ArrayList<>(t.getValue());
          l.sort((a, b) -> Long.compare(a.lun(), b.lun()));
          m.put(t.getKey(), l);
        }
      }
      specs.add(fileTopology.buses().get(i).withTargets(m));
    }
    topology = new Topology(specs);
    pulled = List.copyOf(out);
    LOG.info("host [{}]: {} durable devices restored, {} pulled", hostId, placed.size(), out.size());
    return this;
  }

  /** Why {@code spec} cannot be placed at {@code target} of the bus, or null. */
  private String fits(int index, int target, LunSpec spec, Map<Integer, List<LunSpec>> targets) {
    BusSpec b = bus(index);
    if (target < 0 || target > b.maxTarget() || target == b.initiatorId() || spec.lun() > b.maxLun()) {
      return "the bus has no such place";
    }
    for (LunSpec l : targets.getOrDefault(target, List.of())) {
      if (l.lun() == spec.lun()) {
        return "the place is taken by " + deviceKey(l);
      }
    }
    return null;
  }

  private BusSpec bus(int index) {
    return fileTopology.buses().get(index);
  }

  private int busIndexOf(int busNumber) {
    for (int i = 0; i < fileTopology.buses().size(); i++) {
      if (busNumber(i, bus(i)) == busNumber) {
        return i;
      }
    }
    return -1;
  }

  // ------------------------------------------------------------------ what the node uses

  /** The buses to emulate: the file's, with pulled devices out and runtime ones back. */
  public Topology topology() {
    return topology;
  }

  /** The devices that were pulled when the node stopped (a re-plug gives them back their identity). */
  public List<Placement> pulled() {
    return pulled;
  }

  /** The delay restored for a device ({@link Delay#NONE} when none). */
  public Delay delay(String deviceKey) {
    Tracked t = tracked.get(deviceKey);
    EmuDevice d = t == null ? null : t.live;
    return d == null ? Delay.NONE : d.delay();
  }

  /** The device instance now in the data path under this key (tests, diagnostics). */
  public Optional<EmuDevice> live(String deviceKey) {
    Tracked t = tracked.get(deviceKey);
    return Optional.ofNullable(t == null ? null : t.live);
  }

  /** The journal state of a device (asks its entity). */
  public CompletionStage<DeviceEntity.State> state(String deviceKey) {
    Tracked t = tracked.get(deviceKey);
    if (t == null) {
      return CompletableFuture.completedFuture(new DeviceEntity.Unconfigured());
    }
    return ask(t.entity(), DeviceEntity.Get::new);
  }

  /** The host's inventory (asks its entity). */
  public CompletionStage<HostInventoryEntity.State> inventory() {
    return ask(inventory, HostInventoryEntity.GetInventory::new);
  }

  /** How many device entities this node spawned (each one recovered itself): tests, diagnostics. */
  int entitiesSpawned() {
    return (int) tracked.values().stream().filter(Tracked::spawned).count();
  }

  /** The host's inventory entity (tests: to stage an interrupted plug or pull). */
  ActorRef<HostInventoryEntity.Command> inventoryRef() {
    return inventory;
  }

  /** Completes once every device's journal agrees with the device (e.g. before a shutdown). */
  public CompletionStage<Done> flush() {
    List<CompletableFuture<Done>> all = new ArrayList<>();
    for (Tracked t : tracked.values()) {
      all.add(
          AskPattern.<DeviceBridge.Command, Done>ask(t.bridge(), DeviceBridge.Flush::new, timeout, system.scheduler())
              .toCompletableFuture());
    }
    DurableLibraries l = libraries;
    if (l != null) {
      all.add(l.flush().toCompletableFuture());
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> Done.getInstance());
  }

  // ------------------------------------------------------------------ the hooks

  @Override
  public DeviceHooks forBus(int index, BusSpec bus) {
    int number = busNumber(index, bus);
    return new DeviceHooks() {
      @Override
      public void poweredOn(int target, EmuDevice device) {
        DurableDevices.this.poweredOn(device);
      }

      @Override
      public org.camstack.stack.target.LibraryStateSink library() {
        DurableLibraries l = libraries;
        return l == null ? org.camstack.stack.target.LibraryStateSink.NONE : l.sink(number);
      }

      @Override
      public CompletionStage<Done> plugging(int target, List<EmuDevice> devices) {
        return DurableDevices.this.plugging(number, target, devices);
      }

      @Override
      public CompletionStage<Done> unplugging(int target, List<EmuDevice> devices, String cause) {
        return DurableDevices.this.unplugging(devices, cause);
      }
    };
  }

  private void poweredOn(EmuDevice device) {
    String k = deviceKey(device.spec());
    Tracked t = tracked.get(k);
    if (t == null) {
      LOG.warn("device [{}] ({}) was not recovered: not durable", k, device);
      return;
    }
    synchronized (t) {
      if (t.live != null) {
        LOG.warn("device [{}] is emulated twice: only its first instance is durable", k);
        return;
      }
      DeviceEntity.Configured s = toRestore.remove(k);
      if (s != null) {
        DeviceStateCodec.restore(s, device);
      }
      t.live = device;
    }
    t.bridge().tell(new DeviceBridge.Attach(device, system.ignoreRef()));
  }

  private CompletionStage<Done> plugging(int bus, int target, List<EmuDevice> devices) {
    Map<Tracked, EmuDevice> mine = new LinkedHashMap<>();
    for (EmuDevice d : devices) {
      String k = deviceKey(d.spec());
      Tracked t = track(k);
      synchronized (t) {
        if (t.live != null && t.live != d) {
          LOG.warn("device [{}] plugged while already live ({}): the new instance is not durable", k, t.live);
          continue;
        }
        t.live = d;
      }
      mine.put(t, d);
    }
    if (mine.isEmpty()) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    List<String> keys = mine.keySet().stream().map(t -> t.key).toList();
    return ack(inventory, r -> new HostInventoryEntity.Plug(keys, "hot-plug", r))
        .thenCompose(
            x -> {
              List<CompletableFuture<Done>> all = new ArrayList<>();
              mine.forEach(
                  (t, d) -> {
                    DeviceConfig cfg = DeviceStateCodec.config(bus, target, d.spec());
                    all.add(ackBridge(t.bridge(), r -> new DeviceBridge.Plug(d, cfg, r)).toCompletableFuture());
                  });
              return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
            })
        .handle(
            (v, e) -> {
              if (e != null) {
                mine.forEach((t, d) -> release(t, d));
                throw new java.util.concurrent.CompletionException(e);
              }
              return Done.getInstance();
            });
  }

  private CompletionStage<Done> unplugging(List<EmuDevice> devices, String cause) {
    Map<Tracked, EmuDevice> mine = new LinkedHashMap<>();
    for (EmuDevice d : devices) {
      Tracked t = tracked.get(deviceKey(d.spec()));
      if (t != null) {
        synchronized (t) {
          if (t.live == d) {
            mine.put(t, d);
          }
        }
      }
    }
    if (mine.isEmpty()) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    List<String> keys = mine.keySet().stream().map(t -> t.key).toList();
    return ack(inventory, r -> new HostInventoryEntity.Unplug(keys, cause, r))
        .thenCompose(
            x -> {
              List<CompletableFuture<Done>> all = new ArrayList<>();
              mine.forEach((t, d) -> all.add(ackBridge(t.bridge(), r -> new DeviceBridge.Unplug(d, cause, r)).toCompletableFuture()));
              return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
            })
        .thenApply(
            v -> {
              mine.forEach(this::release);
              return Done.getInstance();
            });
  }

  private void release(Tracked t, EmuDevice d) {
    synchronized (t) {
      if (t.live == d) {
        t.live = null;
      }
    }
  }

  /** The record of a device (its entity and bridge are spawned on first use). */
  private Tracked track(String key) {
    return tracked.computeIfAbsent(key, Tracked::new);
  }

  /** {@link #track(String)}, remembering {@code known} (if not null) for the bridge. */
  private Tracked track(String key, DeviceEntity.State known) {
    Tracked t = track(key);
    if (known != null) {
      t.know(known);
    }
    return t;
  }

  // ------------------------------------------------------------------ asks

  private <M, T> CompletionStage<T> ask(ActorRef<M> to, Function<ActorRef<StatusReply<T>>, M> msg) {
    return AskPattern.askWithStatus(to, msg, timeout, system.scheduler());
  }

  private <M> CompletionStage<Done> ack(ActorRef<M> to, Function<ActorRef<StatusReply<Done>>, M> msg) {
    return AskPattern.askWithStatus(to, msg, timeout, system.scheduler());
  }

  private CompletionStage<Done> ackBridge(
      ActorRef<DeviceBridge.Command> to, Function<ActorRef<StatusReply<Done>>, DeviceBridge.Command> msg) {
    return AskPattern.askWithStatus(to, msg, timeout.multipliedBy(3), system.scheduler());
  }

  @Override
  public String toString() {
    return "DurableDevices[" + hostId + ", " + tracked.size() + " devices]";
  }
}
