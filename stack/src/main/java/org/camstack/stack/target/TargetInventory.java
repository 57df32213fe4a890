package org.camstack.stack.target;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every live emulated target by bus number and target id: the same {@link EmuTarget} objects the
 * in-process SIMs serve, for other frontends (cf. CTL's LUN list shared by its ports). A SIM
 * publishes its bus's live map once the XPT numbered the bus and withdraws it when it stops.
 * Thread-safe.
 */
public final class TargetInventory {
  private final ConcurrentHashMap<Integer, Map<Integer, EmuTarget>> buses = new ConcurrentHashMap<>();

  /** Publishes bus {@code bus}'s live target map (the SIM keeps changing it). */
  public void publish(int bus, Map<Integer, EmuTarget> liveTargets) {
    buses.put(bus, liveTargets);
  }

  /** Withdraws bus {@code bus}. */
  public void withdraw(int bus) {
    buses.remove(bus);
  }

  /** The target, or null. */
  public EmuTarget target(int bus, int target) {
    Map<Integer, EmuTarget> m = buses.get(bus);
    return m == null ? null : m.get(target);
  }

  /** The LUN, or null. */
  public EmuDevice lun(int bus, int target, long lun) {
    EmuTarget t = target(bus, target);
    return t == null ? null : t.device(lun);
  }

  /** A copy: bus -> target id -> target, ascending. */
  public Map<Integer, Map<Integer, EmuTarget>> snapshot() {
    Map<Integer, Map<Integer, EmuTarget>> out = new TreeMap<>();
    buses.forEach((b, m) -> out.put(b, new TreeMap<>(m)));
    return out;
  }
}
