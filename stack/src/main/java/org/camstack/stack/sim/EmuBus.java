package org.camstack.stack.sim;

import org.camstack.stack.scsi.ScsiResponse;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.target.EmuDevice;
import org.camstack.stack.target.EmuExpander;
import org.camstack.stack.target.EmuTarget;

/**
 * The data path of one emulated bus: target id &rarr; {@link EmuTarget}, which dispatches to its
 * LUNs. The XPT's device queues call it directly on their own threads (cf. {@code sim_action()}:
 * the HBA's hardware, not an actor). {@link EmuSim} owns one and changes it through its control
 * messages; the benchmarks' direct-call baselines drive the same class over the same device
 * objects. Thread-safe: targets come and go while device queues execute.
 */
public final class EmuBus implements SimDataPath {
  private final ConcurrentHashMap<Integer, EmuTarget> targets = new ConcurrentHashMap<>();

  /** The live targets, for the owning SIM. */
  Map<Integer, EmuTarget> targets() {
    return targets;
  }

  /** Adds {@code device} at {@code target}, creating the target (posts UA 3F/0E on its other LUNs). */
  public void attach(int target, EmuDevice device) {
    targets.computeIfAbsent(target, EmuTarget::new).addLun(device);
  }

  /** Removes the LUN; drops the target when it has none left (it then answers selection timeout). */
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
  public ScsiResponse execute(
      int target, long lun, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId, org.camstack.stack.scsi.LaterAnswer later, long tag) {
    EmuTarget t = targets.get(target);
    return t == null ? null : t.execute(lun, cdb, dataOut, dxferLen, initiatorId, later, tag);
  }

  @Override
  public ByteString smp(int target, long lun, ByteString request, int responseLen) {
    EmuTarget t = targets.get(target);
    if (t == null) {
      return null;
    }
    return t.device(lun) instanceof EmuExpander x ? x.smp(request) : ByteString.emptyByteString();
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

  @Override
  public int maxTags(int target, long lun) {
    EmuTarget t = targets.get(target);
    EmuDevice d = t == null ? null : t.device(lun);
    return d == null ? Integer.MAX_VALUE : d.spec().queueDepth();
  }
}
