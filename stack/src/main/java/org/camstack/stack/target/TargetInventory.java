package org.camstack.stack.target;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The target layer's live targets, for frontends other than the in-process SIM: bus (path id)
 * &rarr; target id &rarr; {@link EmuTarget}. A SIM publishes its bus's live target map once the XPT
 * numbered it and withdraws it when it stops; the map is the SIM's own concurrent one, so targets
 * added or removed later are seen without another publish. Thread-safe, lock-free reads.
 *
 * <p>(Stand-in written on branch iscsi-conn because commit 13c88fe references this class without
 * adding it; the lead's version replaces it.)
 */
public final class TargetInventory {
  private final ConcurrentHashMap<Integer, Map<Integer, EmuTarget>> buses = new ConcurrentHashMap<>();

  /** Publishes bus {@code bus}'s live (concurrent) target map. */
  public void publish(int bus, Map<Integer, EmuTarget> targets) {
    buses.put(bus, targets);
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

  /** A sorted copy: bus &rarr; target id &rarr; target (targets without LUNs left out). */
  public Map<Integer, Map<Integer, EmuTarget>> snapshot() {
    Map<Integer, Map<Integer, EmuTarget>> out = new TreeMap<>();
    for (Map.Entry<Integer, Map<Integer, EmuTarget>> e : buses.entrySet()) {
      Map<Integer, EmuTarget> ts = new TreeMap<>();
      for (Map.Entry<Integer, EmuTarget> t : e.getValue().entrySet()) {
        if (!t.getValue().isEmpty()) {
          ts.put(t.getKey(), t.getValue());
        }
      }
      out.put(e.getKey(), Collections.unmodifiableMap(ts));
    }
    return Collections.unmodifiableMap(out);
  }
}
