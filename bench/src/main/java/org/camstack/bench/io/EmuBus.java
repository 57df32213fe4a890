package org.camstack.bench.io;

import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.sim.ScsiResponse;
import org.camstack.stack.sim.SimDataPath;
import org.camstack.stack.sim.emu.EmuDevice;
import org.camstack.stack.sim.emu.EmuTarget;

/**
 * The data path of one emulated bus for the benchmark: target id &rarr; the stack's {@link
 * EmuTarget}, which dispatches to its LUNs. It is what the XPT's device queues call on the actor
 * stack and what the baselines call directly, so both drive the same code below the SIM
 * interface. The bench registers it with the real XPT through {@code Xpt.RegisterBus}.
 *
 * <p>Why not the stack's {@code EmuSim}: its data path is private and it builds its devices from
 * {@code LunSpec}s itself, so the baselines could not call the very same device objects. This class
 * makes the same calls as {@code EmuSim}'s data path (target lookup, {@code EmuTarget.execute}); if
 * {@code EmuSim} exposed its data path and devices, the bench would use them instead.
 */
public final class EmuBus implements SimDataPath {
  private final ConcurrentHashMap<Integer, EmuTarget> targets = new ConcurrentHashMap<>();

  /** Adds {@code device} at {@code target} (creating the target). */
  public void attach(int target, EmuDevice device) {
    targets.computeIfAbsent(target, EmuTarget::new).addLun(device);
  }

  /** Removes the LUN; drops the target when it has none left. */
  public void detach(int target, long lun) {
    EmuTarget t = targets.get(target);
    if (t != null) {
      t.removeLun(lun);
      if (t.isEmpty()) {
        targets.remove(target, t);
      }
    }
  }

  public int targetCount() {
    return targets.size();
  }

  @Override
  public ScsiResponse execute(int target, long lun, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    EmuTarget t = targets.get(target);
    return t == null ? null : t.execute(lun, cdb, dataOut, dxferLen, initiatorId);
  }

  @Override
  public int maxTags(int target, long lun) {
    EmuTarget t = targets.get(target);
    EmuDevice d = t == null ? null : t.device(lun);
    return d == null ? Integer.MAX_VALUE : d.spec().queueDepth();
  }

  @Override
  public void resetBus() {
    targets.values().forEach(EmuTarget::busReset);
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
}
