package org.camstack.stack.sim;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValueFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.camstack.stack.target.LunSpec;

/**
 * One emulated bus (one {@link EmuSim}) of a topology: the HBA's capabilities and the targets and
 * LUNs plugged into it at power-on.
 *
 * <p>HOCON (one element of {@code camstack.topology.buses}):
 *
 * <pre>
 * {
 *   name = "emusim"          # SIM driver name: the bus prints as "scbus0 on emusim0 bus 0"
 *   unit = 0                 # SIM unit number (default: the bus's index in the list)
 *   scbus = 0                # path id the bus is wired to (default: its index; -1 = any free)
 *   max-target = 15          # highest target id (cf. ccb_pathinq.max_target)
 *   max-lun = 255            # highest LUN the SIM addresses (cf. max_lun)
 *   initiator-id = 7         # the HBA's own target id, never scanned
 *   queue-depth = 32         # tag depth per device (openings of a tagged LUN)
 *   seq-scan = false         # PIM_SEQSCAN: scan targets one at a time
 *   scan-on-register = true  # scan when the bus registers (else PIM_NOSCAN)
 *   rescan-on-change = true  # the HBA asks for a target rescan when a target comes or goes
 *   targets = [
 *     { id = 0, luns = [ { lun = 0, size = 1GiB, block-size = 512 } ] }
 *   ]
 * }
 * </pre>
 *
 * A LUN is a {@link LunSpec} config; {@code size} (bytes, HOCON size units) may stand in for
 * {@code blocks}.
 */
public record BusSpec(
    String name,
    int unit,
    int pathId,
    int maxTarget,
    int maxLun,
    int initiatorId,
    int queueDepth,
    boolean seqScan,
    boolean scanOnRegister,
    boolean rescanOnChange,
    Map<Integer, List<LunSpec>> targets) {

  public BusSpec {
    if (name == null || name.isBlank() || !name.matches("[a-z][a-z_]*")) {
      throw new IllegalArgumentException("bus name '" + name + "' must be lower-case letters (e.g. emusim)");
    }
    if (unit < 0 || pathId < -1 || maxTarget < 0 || maxTarget > 65535 || maxLun < 0 || maxLun > LunSpec.MAX_LUN) {
      throw new IllegalArgumentException(name + unit + ": bad unit, max-target or max-lun");
    }
    if (initiatorId < 0 || initiatorId > maxTarget) {
      throw new IllegalArgumentException(name + unit + ": initiator-id " + initiatorId + " not in 0.." + maxTarget);
    }
    if (queueDepth < 1 || queueDepth > 65535) {
      throw new IllegalArgumentException(name + unit + ": queue-depth " + queueDepth + " out of range 1..65535");
    }
    TreeMap<Integer, List<LunSpec>> copy = new TreeMap<>();
    for (Map.Entry<Integer, List<LunSpec>> e : targets.entrySet()) {
      int t = e.getKey();
      if (t < 0 || t > maxTarget || t == initiatorId) {
        throw new IllegalArgumentException(name + unit + ": target " + t + " not in 0.." + maxTarget + " or is the initiator");
      }
      Set<Long> seen = new HashSet<>();
      for (LunSpec l : e.getValue()) {
        if (l.lun() > maxLun || !seen.add(l.lun())) {
          throw new IllegalArgumentException(name + unit + ": target " + t + " lun " + l.lun() + " beyond max-lun or duplicate");
        }
      }
      copy.put(t, List.copyOf(e.getValue()));
    }
    targets = Collections.unmodifiableMap(copy);
  }

  /** A bus with CAM-like defaults and no targets. */
  public static BusSpec empty(String name, int unit) {
    return new BusSpec(name, unit, -1, 15, 255, 7, 32, false, true, true, Map.of());
  }

  public BusSpec withTargets(Map<Integer, List<LunSpec>> newTargets) {
    return new BusSpec(name, unit, pathId, maxTarget, maxLun, initiatorId, queueDepth, seqScan, scanOnRegister, rescanOnChange, newTargets);
  }

  public BusSpec withScanOnRegister(boolean scan) {
    return new BusSpec(name, unit, pathId, maxTarget, maxLun, initiatorId, queueDepth, seqScan, scan, rescanOnChange, targets);
  }

  /**
   * Reads one bus.
   *
   * @param index the bus's position in the topology (default unit, seed of serials and WWNs)
   * @throws IllegalArgumentException with a one-line message for bad input
   */
  public static BusSpec fromConfig(Config c, int index) {
    try {
      String name = c.hasPath("name") ? c.getString("name") : "emusim";
      int unit = c.hasPath("unit") ? c.getInt("unit") : index;
      int maxLun = c.hasPath("max-lun") ? c.getInt("max-lun") : 255;
      Map<Integer, List<LunSpec>> targets = new TreeMap<>();
      if (c.hasPath("targets")) {
        for (Config tc : c.getConfigList("targets")) {
          if (!tc.hasPath("id")) {
            throw new IllegalArgumentException(name + unit + ": a target needs an id");
          }
          int id = tc.getInt("id");
          List<LunSpec> luns = new ArrayList<>();
          if (tc.hasPath("luns")) {
            for (Config lc : tc.getConfigList("luns")) {
              luns.add(LunSpec.fromConfig(withBlocks(lc), index, id));
            }
          }
          if (targets.put(id, luns) != null) {
            throw new IllegalArgumentException(name + unit + ": target " + id + " listed twice");
          }
        }
      }
      return new BusSpec(
          name,
          unit,
          c.hasPath("scbus") ? c.getInt("scbus") : index,
          c.hasPath("max-target") ? c.getInt("max-target") : 15,
          maxLun,
          c.hasPath("initiator-id") ? c.getInt("initiator-id") : 7,
          c.hasPath("queue-depth") ? c.getInt("queue-depth") : 32,
          c.hasPath("seq-scan") && c.getBoolean("seq-scan"),
          !c.hasPath("scan-on-register") || c.getBoolean("scan-on-register"),
          !c.hasPath("rescan-on-change") || c.getBoolean("rescan-on-change"),
          targets);
    } catch (ConfigException e) {
      throw new IllegalArgumentException("topology bus " + index + ": " + e.getMessage(), e);
    }
  }

  /** {@code size} (bytes) to {@code blocks} when only the size is given. */
  static Config withBlocks(Config lun) {
    if (!lun.hasPath("size") || lun.hasPath("blocks")) {
      return lun;
    }
    long bytes = lun.getBytes("size");
    int bs = lun.hasPath("block-size") ? lun.getInt("block-size") : 512;
    if (bs <= 0 || bytes % bs != 0) {
      throw new IllegalArgumentException("lun size " + bytes + " is not a multiple of block-size " + bs);
    }
    return lun.withValue("blocks", ConfigValueFactory.fromAnyRef(bytes / bs));
  }
}
