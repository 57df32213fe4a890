package org.camstack.stack.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocation;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocationStrategy;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.Timeout;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.sim.BusSpec;
import org.camstack.stack.sim.DeviceHooks;
import org.camstack.stack.sim.Topology;
import org.camstack.stack.target.CommandRouter;
import org.camstack.stack.target.EmuDevice;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.target.Nexuses;
import org.camstack.stack.target.TargetPortGroups;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The clustered LUNs of one node (docs/cluster.md): the bus {@code camstack.cluster.bus} every
 * member emulates alike, whose LUNs keep their data in files under {@code --shared-store DIR}
 * ({@code DIR/<wwn>.img}), and whose commands run on one owner at a time, the node where the
 * LUN's {@link ClusterLun} sharding entity lives. This node's copy of each LUN answers INQUIRY,
 * REPORT TARGET PORT GROUPS and unit attentions itself and forwards the rest to the entity ({@link
 * CommandRouter}; the entity may be on this node). Each node is one ALUA target port group: the
 * owner's active/optimized, the others' active/non-optimized, an unreachable member's unavailable;
 * {@link OwnerWatch} keeps every copy's model current, and a change posts 2A/06 to every nexus.
 *
 * <p>The clustered bus is not durable per host ({@code DurableDevices} never sees it): its devices
 * are shared, and their history is the entities'. Thread-safe.
 */
public final class ClusterLuns implements CommandRouter {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterLuns.class);

  /** Bus number that seeds the default serials and WWNs of clustered LUNs (the same on every node). */
  static final int WWN_BUS = 0xcb;

  private final ActorSystem<?> system;
  private final Path sharedStore;
  private final Config busConfig;
  private final Duration forwardTimeout;
  private final Duration pollInterval;
  private final boolean avoidOldest;
  /** This node's copy of each clustered LUN, by WWN. */
  private final Map<String, EmuDevice> devices = new ConcurrentHashMap<>();
  /** Target id of each clustered LUN on the bus, by WWN. */
  private final Map<String, Integer> targets = new ConcurrentHashMap<>();
  /** Owner address of each LUN as last reported by its entity. */
  private final Map<String, String> owners = new ConcurrentHashMap<>();
  private volatile int busIndex = -1;
  /** Commands the entities on this node ran for any node (this one included). */
  private final java.util.concurrent.atomic.AtomicLong ranHere = new java.util.concurrent.atomic.AtomicLong();
  private volatile ClusterSharding sharding;
  /** Told after an owner or an ALUA model changed ({@link #watch}). */
  private final List<Runnable> watchers = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Unit attentions that hold on every member (LUN reset, conditions the owner establishes). */
  private final ClusterUnitAttentions unitAttentions;

  private ClusterLuns(ActorSystem<?> system, Path sharedStore, Config busConfig, Duration forwardTimeout, Duration pollInterval, boolean avoidOldest) {
    this.system = system;
    this.unitAttentions = new ClusterUnitAttentions(system, this);
    this.avoidOldest = avoidOldest;
    this.sharedStore = sharedStore;
    this.busConfig = busConfig;
    this.forwardTimeout = forwardTimeout;
    this.pollInterval = pollInterval;
  }

  /**
   * The node's clustered LUNs from {@code camstack.cluster.bus} and {@code
   * camstack.cluster.shared-store}, or null when the node has none.
   *
   * @throws IllegalArgumentException one line: a clustered LUN without a shared store, on a RAM
   *     or null store, ...
   */
  public static ClusterLuns fromConfig(ActorSystem<?> system, Config config) {
    Config cc = config.getConfig("camstack.cluster");
    if (!cc.hasPath("bus")) {
      return null;
    }
    String dir = cc.getString("shared-store");
    if (dir.isBlank()) {
      throw new IllegalArgumentException("camstack.cluster.bus has clustered LUNs but no shared store: start every node with --shared-store DIR");
    }
    Path store = Path.of(dir);
    if (!Files.isDirectory(store)) {
      throw new IllegalArgumentException("shared store " + store + " is not a directory");
    }
    return new ClusterLuns(system, store, withFileStores(cc.getConfig("bus"), store), cc.getDuration("forward-timeout"), cc.getDuration("owner-poll"),
        cc.getBoolean("avoid-oldest"));
  }

  /** Every LUN of the bus on a file {@code DIR/<wwn>.img}; a RAM or null store is refused. */
  static Config withFileStores(Config bus, Path store) {
    try {
      List<Config> targets = new ArrayList<>();
      for (Config t : bus.getConfigList("targets")) {
        List<Config> luns = new ArrayList<>();
        int id = t.getInt("id");
        for (Config l : t.getConfigList("luns")) {
          long lun = l.hasPath("lun") ? l.getLong("lun") : 0;
          if (l.hasPathOrNull("store") && (l.getIsNull("store") || !l.getString("store").equalsIgnoreCase("file"))) {
            throw new IllegalArgumentException(
                "clustered LUN " + id + ":" + lun + " cannot be on a " + (l.getIsNull("store") ? "null" : l.getString("store"))
                    + " store: its data must be where every node reaches it (store = file under --shared-store)");
          }
          String wwn = l.hasPath("wwn") ? l.getString("wwn") : LunSpec.defaultWwn(WWN_BUS, id, lun);
          l = l.withValue("wwn", ConfigValueFactory.fromAnyRef(wwn))
              .withValue("serial", ConfigValueFactory.fromAnyRef(l.hasPath("serial") ? l.getString("serial") : LunSpec.defaultSerial(WWN_BUS, id, lun)))
              .withValue("store", ConfigValueFactory.fromAnyRef("file"))
              .withValue("file", ConfigValueFactory.fromAnyRef(store.resolve(wwn.toLowerCase(java.util.Locale.ROOT) + ".img").toString()));
          luns.add(l);
        }
        targets.add(t.withValue("luns", ConfigValueFactory.fromIterable(luns.stream().map(Config::root).toList())));
      }
      return bus.withValue("targets", ConfigValueFactory.fromIterable(targets.stream().map(Config::root).toList()));
    } catch (ConfigException e) {
      throw new IllegalArgumentException("camstack.cluster.bus: " + e.getMessage());
    }
  }

  /** {@code topology} with the clustered bus appended. */
  public Topology extend(Topology topology) {
    List<BusSpec> buses = new ArrayList<>(topology.buses());
    busIndex = buses.size();
    buses.add(BusSpec.fromConfig(busConfig.withFallback(ConfigFactory.parseMap(Map.of("name", "emusim"))), busIndex));
    return new Topology(buses);
  }

  /** The hooks: the clustered bus's devices are registered here, the others go to {@code others}. */
  public DeviceHooks.Factory hooks(DeviceHooks.Factory others) {
    DeviceHooks mine =
        new DeviceHooks() {
          @Override
          public void poweredOn(int target, EmuDevice device) {
            devices.put(device.spec().wwn(), device);
            targets.put(device.spec().wwn(), target);
            device.setRouter(ClusterLuns.this);
            device.setUnitAttentionFanout(unitAttentions);
          }
        };
    return (index, bus) -> index == busIndex ? mine : others.forBus(index, bus);
  }

  /** Starts sharding for the clustered LUNs and the owner watch (after the stack started). */
  public void start() {
    ClusterSharding cs = ClusterSharding.get(system);
    // start the placements' replicator on every member: the allocation reads them with ReadMajority
    ExternalShardAllocation.get(system).getClient(ClusterLun.TYPE.name());
    cs.init(
        Entity.of(ClusterLun.TYPE, ec -> ClusterLun.create(ec.getEntityId(), this::ranHere, devices::get, this::config))
            .withStopMessage(new ClusterLun.Handoff())
            .withMessageExtractor(new OneShardPerLun())
            .withAllocationStrategy(allocation())
            .withEntityProps(DispatcherSelector.fromConfig("camstack.cluster.lun-dispatcher")));
    sharding = cs;
    unitAttentions.start();
    system.systemActorOf(OwnerWatch.create(this, pollInterval), "cluster-owner-watch", Props.empty());
    LOG.info("clustered LUNs on bus {}: {} (shared store {})", busIndex, new TreeMap<>(devices).keySet(), sharedStore);
  }

  /** Where a LUN's shard goes: where it was placed ({@link #move}), else preferably off the oldest member. */
  private org.apache.pekko.cluster.sharding.ShardCoordinator.ShardAllocationStrategy allocation() {
    ExternalShardAllocationStrategy external = new ExternalShardAllocationStrategy(system, ClusterLun.TYPE.name(), Timeout.create(Duration.ofSeconds(5)));
    return avoidOldest ? new AvoidOldestAllocation(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system), ClusterLun.TYPE.name(), external) : external;
  }

  /** Shard id = entity id = WWN, so that a LUN can be placed on a node of its own ({@link #move}). */
  private static final class OneShardPerLun extends ShardingMessageExtractor<ShardingEnvelope<ClusterLun.Command>, ClusterLun.Command> {
    @Override
    public String entityId(ShardingEnvelope<ClusterLun.Command> envelope) {
      return envelope.entityId();
    }

    @Override
    public String shardId(String entityId) {
      return entityId;
    }

    @Override
    public ClusterLun.Command unwrapMessage(ShardingEnvelope<ClusterLun.Command> envelope) {
      return envelope.message();
    }
  }

  /** The device journal's configuration of clustered LUN {@code wwn} (its entity's Create). */
  private org.camstack.persistence.device.DeviceConfig config(String wwn) {
    EmuDevice d = devices.get(wwn);
    return org.camstack.stack.durable.DeviceStateCodec.config(busIndex, targets.getOrDefault(wwn, 0), d.spec());
  }

  /** This node's copy of {@code wwn} for its entity to run a command on (counted), or null. */
  private EmuDevice ranHere(String wwn) {
    ranHere.incrementAndGet();
    return devices.get(wwn);
  }

  /** How many commands the clustered LUNs' entities ran on this node (as owner). */
  public long commandsRunHere() {
    return ranHere.get();
  }

  /** This node's copy of {@code wwn}, or null. */
  public EmuDevice device(String wwn) {
    return devices.get(wwn);
  }

  /** {@code B:T:L} of {@code wwn} on this node, or "". */
  public String path(String wwn) {
    EmuDevice d = devices.get(wwn);
    return d == null || d.target() == null ? "" : busIndex + ":" + d.target().targetId() + ":" + d.spec().lun();
  }

  /** The WWNs of the clustered LUNs this node has. */
  public Set<String> wwns() {
    return Set.copyOf(devices.keySet());
  }

  /** Sharding started ({@link #start}). */
  boolean started() {
    return sharding != null;
  }

  EntityRef<ClusterLun.Command> entity(String wwn) {
    return sharding.entityRefFor(ClusterLun.TYPE, wwn);
  }

  /** The owner of {@code wwn} as last reported ({@code pekko://camstack@host:port}), or "". */
  public String owner(String wwn) {
    return owners.getOrDefault(wwn, "");
  }

  /**
   * Moves {@code wwn} to the member at {@code address}: its shard is placed there, and the
   * coordinator hands it over at its next rebalance. cf. SET TARGET PORT GROUPS / {@code ctl lun move}.
   */
  public java.util.concurrent.CompletionStage<org.apache.pekko.Done> move(String wwn, Address address) {
    return ExternalShardAllocation.get(system).getClient(ClusterLun.TYPE.name()).setShardLocation(wwn, address);
  }

  /**
   * Calls {@code onChange} after a LUN's owner or a copy's ALUA model changed (on the owner
   * watch's thread: it must not block). The web page's cluster view re-reads on it.
   */
  public void watch(Runnable onChange) {
    watchers.add(onChange);
  }

  private void changed() {
    for (Runnable w : watchers) {
      w.run();
    }
  }

  /** The entity reported where it runs. */
  void ownerIs(String wwn, String address) {
    removedOwners.remove(address); // an entity running there: a member (again) with that address
    String was = owners.put(wwn, address);
    if (!address.equals(was)) {
      LOG.info("clustered LUN {}: owner {}", wwn, address);
      changed();
    }
  }

  /** Recomputes every copy's ALUA model from the membership and the owners (posts 2A/06 on change). */
  void refresh() {
    Cluster cluster = Cluster.get(system);
    Set<Member> unreachable = cluster.state().getUnreachable();
    String self = cluster.selfMember().address().toString();
    boolean aluaChanged = false;
    for (Map.Entry<String, EmuDevice> e : devices.entrySet()) {
      String owner = owners.getOrDefault(e.getKey(), "");
      List<TargetPortGroups.Group> groups = new ArrayList<>();
      for (Member m : cluster.state().getMembers()) {
        if (m.status() != MemberStatus.up() && m.status() != MemberStatus.weaklyUp()) {
          continue;
        }
        int tpg = portGroup(m);
        int state =
            unreachable.contains(m)
                ? TargetPortGroups.UNAVAILABLE
                : m.address().toString().equals(owner) ? TargetPortGroups.ACTIVE_OPTIMIZED : TargetPortGroups.ACTIVE_NON_OPTIMIZED;
        groups.add(new TargetPortGroups.Group(tpg, state, false, List.of(2 * tpg - 1, 2 * tpg)));
      }
      groups.sort(Comparator.comparingInt(TargetPortGroups.Group::id));
      int mine = portGroup(cluster.selfMember());
      TargetPortGroups next = new TargetPortGroups(groups, 2 * (mine - 1));
      aluaChanged |= !next.equals(e.getValue().portGroups());
      e.getValue().setPortGroups(next);
    }
    if (aluaChanged) {
      changed();
    }
    if (LOG.isDebugEnabled()) {
      LOG.debug("ALUA refreshed on {}: owners {}", self, owners);
    }
  }

  /**
   * The target port group of a member: the small integer it carries as its {@code tpg=N} role
   * ({@link PortGroupIds}), the same on every node and across its restarts; its ports are {@code
   * 2g-1} (SIM) and {@code 2g} (iSCSI).
   */
  public static int portGroup(Member m) {
    return PortGroupIds.of(m);
  }

  // ------------------------------------------------------------------ CommandRouter

  /**
   * SET TARGET PORT GROUPS: a descriptor asking active/optimized for a member's group moves the
   * LUN there (the state change follows, reported by 2A/06); other descriptors change nothing (the
   * other groups are active/non-optimized by construction). An unknown group is 05/26/00.
   */
  @Override
  public ScsiResponse setTargetPortGroups(EmuDevice device, ByteString parameters, int dxferLen) {
    Cluster cluster = Cluster.get(system);
    for (int p = 4; p + 4 <= parameters.size(); p += 4) {
      int state = parameters.apply(p) & 0x0f;
      int group = ((parameters.apply(p + 2) & 0xff) << 8) | (parameters.apply(p + 3) & 0xff);
      Address to = null;
      for (Member m : cluster.state().getMembers()) {
        if (portGroup(m) == group && m.status() == MemberStatus.up()) {
          to = m.address();
        }
      }
      if (to == null) {
        return ScsiResponse.checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x26, 0x00), dxferLen);
      }
      if (state == TargetPortGroups.ACTIVE_OPTIMIZED) {
        LOG.info("clustered LUN {}: SET TARGET PORT GROUPS moves it to {}", device.spec().wwn(), to);
        move(device.spec().wwn(), to);
      }
    }
    return ScsiResponse.GOOD;
  }

  private static final ByteString TRANSITIONING = Sense.fixed(Sense.NOT_READY, 0x04, 0x0a);

  /** A forwarded command waiting for its completion, and the owner it was sent to. */
  private record Pending(String owner, java.util.concurrent.CompletableFuture<ClusterLun.Completion> done) {}

  /** The forwarded commands waiting on this node (failed at once when their owner is removed). */
  private final Set<Pending> pending = ConcurrentHashMap.newKeySet();

  /**
   * Removed members that were a LUN's last reported owner: until the LUN's entity reports from
   * its new home ({@link #ownerIs}), a command for it would go to the dead member's region and be
   * lost there until {@code forward-timeout}; it is answered 02/04/0A at once instead (never sent,
   * so never run), and the initiator's retry finds the new owner.
   */
  private final Set<String> removedOwners = ConcurrentHashMap.newKeySet();

  /**
   * {@code address} left the membership (downed after a crash, or left): the forwarded commands
   * sent to it will never be answered, so they get 02/04/0A now instead of at their timeout, and
   * the initiator's retry goes to the LUN's next owner (buffered by sharding until it runs).
   */
  void memberRemoved(String address) {
    removedOwners.add(address);
    int n = 0;
    for (Pending p : pending) {
      if (p.owner().equals(address) && p.done().completeExceptionally(new TimeoutException("owner " + address + " removed"))) {
        n++;
      }
    }
    if (n > 0) {
      LOG.info("{} forwarded commands to removed owner {} answered 02/04/0A for retry", n, address);
    }
  }

  /**
   * Sends the command to the LUN's entity and returns at once: the entity's completion, or 02/04/0A
   * when it does not come within {@code camstack.cluster.forward-timeout} or its owner is removed
   * first ({@link #memberRemoved}), goes to {@code done} on the thread that completes the ask.
   */
  @Override
  public void forward(EmuDevice device, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId, Consumer<ScsiResponse> done) {
    ClusterSharding cs = sharding;
    if (cs == null || removedOwners.contains(owners.getOrDefault(device.spec().wwn(), ""))) {
      done.accept(ScsiResponse.checkCondition(TRANSITIONING, dxferLen));
      return;
    }
    Nexuses.Nexus nexus;
    try {
      nexus = Nexuses.describe(initiatorId);
    } catch (IllegalArgumentException e) {
      nexus = new Nexuses.Nexus(initiatorId, "unknown-" + initiatorId, Nexuses.CAM_SIM_PORT);
    }
    Address self = Cluster.get(system).selfMember().address();
    String port = self.hostPort() + "/" + nexus.initiatorPort();
    int rel = device.portGroups().relativePort(nexus.relativeTargetPort());
    long deadline = System.currentTimeMillis() + forwardTimeout.toMillis() - 1000;
    byte[] c = cdb.toArray();
    byte[] d = dataOut.toArray();
    String wwn = device.spec().wwn();
    Pending p = new Pending(owners.getOrDefault(wwn, ""), new java.util.concurrent.CompletableFuture<>());
    pending.add(p);
    p.done().whenComplete((ok, e) -> {
      pending.remove(p);
      if (e != null) {
        LOG.debug("clustered LUN {}: owner did not answer: {}", wwn, e.toString());
        done.accept(ScsiResponse.checkCondition(TRANSITIONING, dxferLen));
      } else {
        done.accept(ok.toResponse());
      }
    });
    try {
      entity(wwn)
          .<ClusterLun.Completion>ask(r -> new ClusterLun.Execute(c, d, dxferLen, port, rel, deadline, r), forwardTimeout)
          .whenComplete((ok, e) -> {
            if (e != null) {
              p.done().completeExceptionally(e);
            } else {
              p.done().complete(ok);
            }
          });
    } catch (RuntimeException e) {
      p.done().completeExceptionally(e);
    }
  }
}
