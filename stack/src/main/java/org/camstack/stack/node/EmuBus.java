package org.camstack.stack.node;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.HbaFlags;
import org.camstack.stack.sim.ScsiResponse;
import org.camstack.stack.sim.SimDataPath;
import org.camstack.stack.sim.emu.EmuDevice;
import org.camstack.stack.sim.emu.EmuDevices;
import org.camstack.stack.sim.emu.EmuDisk;
import org.camstack.stack.sim.emu.EmuEnclosure;
import org.camstack.stack.sim.emu.EmuTarget;
import org.camstack.stack.sim.emu.EnclosureView;
import org.camstack.stack.sim.emu.LunSpec;

/**
 * One emulated bus as a node runs it: the targets of {@link org.camstack.stack.sim.emu} devices
 * behind the {@link SimDataPath} the XPT's device queues call, plus the control plane the
 * management API uses (plug, pull, resize). Data-path lookups are lock-free; membership changes
 * are synchronized. cf. a SIM's {@code sim_action()} for the data path.
 */
final class EmuBus implements SimDataPath {

  final String simName;
  final int simUnit;
  final int maxTarget;
  final int maxLun;
  final int initiatorId;
  final int queueDepth;
  private final ConcurrentSkipListMap<Integer, EmuTarget> targets = new ConcurrentSkipListMap<>();
  private final EnclosureView enclosureView = EnclosureView.ofTargets(targets::values);
  volatile int pathId = -1;

  EmuBus(String simName, int simUnit, int maxTarget, int maxLun, int initiatorId, int queueDepth) {
    if (maxTarget < 0 || maxTarget > 255 || maxLun < 0 || maxLun > LunSpec.MAX_LUN) {
      throw new IllegalArgumentException("bus " + simName + simUnit + ": max-target 0..255, max-lun 0.." + LunSpec.MAX_LUN);
    }
    if (initiatorId < 0 || initiatorId > maxTarget) {
      throw new IllegalArgumentException("bus " + simName + simUnit + ": initiator-id must be in 0..max-target");
    }
    this.simName = simName;
    this.simUnit = simUnit;
    this.maxTarget = maxTarget;
    this.maxLun = maxLun;
    this.initiatorId = initiatorId;
    this.queueDepth = queueDepth;
  }

  /**
   * A bus from the topology config: {@code sim}, {@code max-target}, {@code max-lun}, {@code
   * initiator-id}, {@code queue-depth}, {@code targets = [ { target = N, luns = [ LunSpec ] } ]}.
   */
  static EmuBus fromConfig(Config c, int unit, int busIndex) {
    EmuBus bus =
        new EmuBus(
            c.hasPath("sim") ? c.getString("sim") : "emusim",
            unit,
            c.hasPath("max-target") ? c.getInt("max-target") : 15,
            c.hasPath("max-lun") ? c.getInt("max-lun") : 7,
            c.hasPath("initiator-id") ? c.getInt("initiator-id") : 7,
            c.hasPath("queue-depth") ? c.getInt("queue-depth") : 32);
    if (c.hasPath("targets")) {
      for (Config t : c.getConfigList("targets")) {
        int target = t.getInt("target");
        List<LunSpec> specs = new ArrayList<>();
        for (Config l : t.getConfigList("luns")) {
          specs.add(LunSpec.fromConfig(l, busIndex, target));
        }
        bus.powerOn(target, specs);
      }
    }
    return bus;
  }

  /** The power-on LUNs of a target: no REPORTED LUNS DATA HAS CHANGED among them. */
  private synchronized void powerOn(int target, List<LunSpec> specs) {
    if (targets.containsKey(target)) {
      throw new IllegalArgumentException(simName + simUnit + ": target " + target + " configured twice");
    }
    List<EmuDevice> devs = new ArrayList<>();
    for (LunSpec spec : specs) {
      checkPlace(target, spec);
      if (devs.stream().anyMatch(d -> d.lun() == spec.lun())) {
        throw new IllegalArgumentException(simName + simUnit + ": lun " + spec.lun() + " of target " + target + " configured twice");
      }
      devs.add(EmuDevices.create(spec, enclosureView));
    }
    targets.put(target, new EmuTarget(target, devs));
    enclosuresChanged();
  }

  private void checkPlace(int target, LunSpec spec) {
    if (target < 0 || target > maxTarget || target == initiatorId) {
      throw ApiException.badRequest(
          "target " + target + " not on " + simName + simUnit + " (0.." + maxTarget + ", initiator " + initiatorId + ")");
    }
    if (spec.lun() > maxLun) {
      throw ApiException.badRequest("lun " + spec.lun() + " beyond max-lun " + maxLun + " of " + simName + simUnit);
    }
  }

  /** cf. {@code XPT_PATH_INQ} of this SIM. */
  Ccb.PathInqResult cpi() {
    return new Ccb.PathInqResult(
        1, HbaFlags.PI_TAG_ABLE | HbaFlags.PI_SDTR_ABLE, 0, maxTarget, maxLun, initiatorId,
        "camstack", "emulated", simName, simUnit, 0, 300_000, EmuDisk.MAX_TRANSFER_BYTES);
  }

  @Override
  public ScsiResponse execute(int target, long lun, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    EmuTarget t = targets.get(target);
    return t == null ? null : t.execute(lun, cdb, dataOut, dxferLen, initiatorId);
  }

  @Override
  public void resetBus() {
    for (EmuTarget t : targets.values()) {
      t.busReset();
    }
  }

  @Override
  public boolean resetTarget(int target) {
    EmuTarget t = targets.get(target);
    if (t == null) {
      return false;
    }
    t.targetReset();
    return true;
  }

  /** The device at target/lun, or null. */
  EmuDevice device(int target, long lun) {
    EmuTarget t = targets.get(target);
    return t == null ? null : t.device(lun);
  }

  /**
   * Hot-plugs a LUN (creating the target if needed); REPORTED LUNS DATA HAS CHANGED on the
   * target's other LUNs.
   *
   * @throws ApiException 400 outside the bus limits, 409 when the LUN is taken
   */
  synchronized EmuDevice plug(int target, LunSpec spec) {
    checkPlace(target, spec);
    EmuTarget t = targets.get(target);
    if (t != null && t.device(spec.lun()) != null) {
      throw ApiException.conflict("lun " + spec.lun() + " of target " + target + " is already present");
    }
    EmuDevice d;
    try {
      d = EmuDevices.create(spec, enclosureView);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(ManagementRoutes.oneLine(e.getMessage()));
    }
    if (t == null) {
      targets.put(target, new EmuTarget(target, List.of(d)));
    } else {
      t.addLun(d);
    }
    enclosuresChanged();
    return d;
  }

  /** Pulls a LUN; an emptied target stops answering selection. Null when absent. */
  synchronized EmuDevice pull(int target, long lun) {
    EmuTarget t = targets.get(target);
    if (t == null) {
      return null;
    }
    EmuDevice d = t.removeLun(lun);
    if (t.isEmpty()) {
      targets.remove(target);
    }
    if (d != null) {
      enclosuresChanged();
    }
    return d;
  }

  private void enclosuresChanged() {
    for (EmuTarget t : targets.values()) {
      for (EmuDevice d : t.luns().values()) {
        if (d instanceof EmuEnclosure e) {
          e.occupancyChanged();
        }
      }
    }
  }

  /** Every LUN of the bus as the API shows it. */
  List<ApiModel.LunInfo> luns() {
    List<ApiModel.LunInfo> out = new ArrayList<>();
    for (Map.Entry<Integer, EmuTarget> t : targets.entrySet()) {
      for (EmuDevice d : t.getValue().luns().values()) {
        out.add(info(pathId, t.getKey(), d));
      }
    }
    return out;
  }

  static ApiModel.LunInfo info(int pathId, int target, EmuDevice d) {
    LunSpec s = d.spec();
    long blocks = d instanceof EmuDisk disk ? disk.blocks() : 0;
    int bs = d instanceof EmuDisk disk ? disk.blockSize() : 0;
    return new ApiModel.LunInfo(
        pathId + ":" + target + ":" + d.lun(),
        s.type() == LunSpec.Type.DISK ? "disk" : "ses",
        s.vendor(), s.product(), s.revision(), s.serial(), blocks, bs, d.isStarted(), true);
  }
}
