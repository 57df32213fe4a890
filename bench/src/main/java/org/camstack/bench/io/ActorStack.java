package org.camstack.bench.io;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.camstack.bench.harness.DispatcherSettings;
import org.camstack.stack.dispatch.Lanes;
import org.camstack.stack.CamStackConfig;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.HbaFlags;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.sim.SimDataPath;
import org.camstack.stack.xpt.XptDevice;

/**
 * The actor stack of one I/O run: an ActorSystem on the benchmark dispatcher, the real XPT with
 * the emulated buses registered (scanned and probed like any SIM's), one {@link XptDevice} per
 * LUN.
 */
public final class ActorStack implements ActorRunner.Spawner, AutoCloseable {
  private final ActorSystem<StackHost.Command> system;
  private final List<LunFixture> luns;
  private final List<ActorRef<XptDevice.Command>> devices;
  private final ActorRef<Devfs.Command> devfs;
  private final List<String> daNodes;

  private ActorStack(ActorSystem<StackHost.Command> system, List<LunFixture> luns, List<ActorRef<XptDevice.Command>> devices,
      ActorRef<Devfs.Command> devfs, List<String> daNodes) {
    this.system = system;
    this.luns = luns;
    this.devices = devices;
    this.devfs = devfs;
    this.daNodes = daNodes;
  }

  /** Boots the XPT over {@code emulated}'s buses and waits until every LUN is configured. */
  public static ActorStack boot(EmulatedLuns emulated, int queueDepth, DispatcherSettings dispatcher) throws Exception {
    return boot(emulated, queueDepth, dispatcher, false);
  }

  /**
   * As {@link #boot(EmulatedLuns, int, DispatcherSettings)}; with {@code withDa} also devfs and
   * the da driver, waiting until every disk has its {@code daN} node.
   */
  public static ActorStack boot(EmulatedLuns emulated, int queueDepth, DispatcherSettings dispatcher, boolean withDa) throws Exception {
    ActorSystem<StackHost.Command> system = ActorSystem.create(
        StackHost.create(), "bench-io", dispatcher.toConfig().withFallback(CamStackConfig.load()));
    try {
      List<StackHost.BusSpec> buses = new ArrayList<>();
      for (int s = 0; s < emulated.buses().size(); s++) {
        buses.add(new StackHost.BusSpec(cpi(s, emulated.maxTarget(), emulated.maxLun()), queueDepth,
            new TracedDataPath(emulated.buses().get(s), s, emulated.placements())));
      }
      CompletableFuture<StackHost.Booted> booted = new CompletableFuture<>();
      int n = emulated.placements().size();
      system.tell(new StackHost.Boot(buses, n, withDa, booted));
      StackHost.Booted b = booted.get(Math.max(60, n / 20), TimeUnit.SECONDS);
      List<LunFixture> luns = emulated.fixtures(b.pathIds());
      List<ActorRef<XptDevice.Command>> devices = new ArrayList<>();
      List<String> daNodes = new ArrayList<>();
      for (LunFixture f : luns) {
        ActorRef<XptDevice.Command> d = b.devices().get(f.path());
        if (d == null) {
          throw new IllegalStateException("the XPT did not configure " + f.path());
        }
        Lanes.assign(d, devices.size()); // LUN i's pipeline on lane i (affinity / pinned-groups)
        devices.add(d);
        Integer unit = b.daUnits().get(f.path().toString());
        daNodes.add(unit != null ? "da" + unit : "da" + (daNodes.size()));
      }
      return new ActorStack(system, luns, devices, b.devfs(), daNodes);
    } catch (Exception e) {
      system.terminate();
      throw e;
    }
  }

  /**
   * A bus's data path that records, for {@link ThreadTrace}, the thread each LUN's device queue
   * runs on (the SIM is called on the {@code XptDevice}'s thread). The LUN index comes from an
   * array: nothing allocated per CCB.
   */
  private static final class TracedDataPath implements SimDataPath {
    private final SimDataPath bus;
    private final int[][] lunIndex; // [target][lun] -> LUN index, -1 none

    TracedDataPath(SimDataPath bus, int sim, List<EmulatedLuns.Placement> placements) {
      this.bus = bus;
      int maxTarget = 0;
      for (EmulatedLuns.Placement p : placements) {
        maxTarget = Math.max(maxTarget, p.target());
      }
      lunIndex = new int[maxTarget + 1][];
      for (int i = 0; i < placements.size(); i++) {
        EmulatedLuns.Placement p = placements.get(i);
        if (p.sim() != sim || p.lun() > 4096) {
          continue;
        }
        int[] row = lunIndex[p.target()];
        if (row == null || row.length <= p.lun()) {
          int[] grown = new int[(int) p.lun() + 1];
          java.util.Arrays.fill(grown, -1);
          if (row != null) {
            System.arraycopy(row, 0, grown, 0, row.length);
          }
          lunIndex[p.target()] = row = grown;
        }
        row[(int) p.lun()] = i;
      }
    }

    @Override
    public ScsiResponse execute(int target, long lun, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
      if (target >= 0 && target < lunIndex.length) {
        int[] row = lunIndex[target];
        if (row != null && lun >= 0 && lun < row.length) {
          ThreadTrace.record(row[(int) lun]);
        }
      }
      return bus.execute(target, lun, cdb, dataOut, dxferLen, initiatorId);
    }

    @Override
    public ScsiResponse execute(
        int target, long lun, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId, org.camstack.stack.scsi.LaterAnswer later, long tag) {
      if (target >= 0 && target < lunIndex.length) {
        int[] row = lunIndex[target];
        if (row != null && lun >= 0 && lun < row.length) {
          ThreadTrace.record(row[(int) lun]);
        }
      }
      return bus.execute(target, lun, cdb, dataOut, dxferLen, initiatorId, later, tag);
    }

    @Override
    public void resetBus() {
      bus.resetBus();
    }

    @Override
    public boolean resetTarget(int target) {
      return bus.resetTarget(target);
    }

    @Override
    public int maxTags(int target, long lun) {
      return bus.maxTags(target, lun);
    }
  }

  /** What an emulated HBA answers to XPT_PATH_INQ: tagged queueing, wide, our initiator id. */
  static Ccb.PathInqResult cpi(int unit, int maxTarget, long maxLun) {
    return new Ccb.PathInqResult(
        1, HbaFlags.PI_TAG_ABLE | HbaFlags.PI_WIDE_16, 0, Math.max(15, maxTarget),
        (int) Math.max(7, maxLun), DirectRunner.INITIATOR, "FreeBSD", "camstack", "emusim", unit, 0, 3300, 1 << 20);
  }

  public List<LunFixture> luns() {
    return luns;
  }

  public List<ActorRef<XptDevice.Command>> devices() {
    return devices;
  }

  /** The devfs node of LUN {@code i}'s disk ({@code daN}; with the da driver only). */
  public String daNode(int i) {
    return daNodes.get(i);
  }

  /** devfs (null unless booted with the da driver). */
  public ActorRef<Devfs.Command> devfs() {
    return devfs;
  }

  public ActorSystem<StackHost.Command> system() {
    return system;
  }

  @Override
  public <T> ActorRef<T> spawn(Behavior<T> behavior, String name) {
    CompletableFuture<ActorRef<T>> f = new CompletableFuture<>();
    system.tell(new StackHost.Spawn<>(behavior, name, f));
    try {
      return f.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("spawning " + name + " failed", e);
    }
  }

  @Override
  public void close() throws java.util.concurrent.ExecutionException, java.util.concurrent.TimeoutException {
    Lanes.clear();
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the benchmark system terminated", e);
    }
  }

  /** The path of LUN {@code i}. */
  public CamPath path(int i) {
    return luns.get(i).path();
  }
}
