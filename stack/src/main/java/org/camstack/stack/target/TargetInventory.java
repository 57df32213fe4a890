package org.camstack.stack.target;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The target layer's inventory: every emulated target of the node, by bus and target id, live. A
 * SIM that owns a bus's targets (the in-process frontend, {@code sim.EmuSim}) publishes its live
 * target map here once its bus number is known and withdraws it when it stops; network frontends
 * (iSCSI) read it to name targets and reach the <em>same</em> LUN objects. cf. CTL's LUN list
 * ({@code softc->lun_list}) that every frontend's port maps LUNs from.
 *
 * <p>Thread-safe and lock-free for readers: the published maps are the owners' concurrent maps,
 * read directly, so a LUN plugged or pulled by the SIM is seen by every frontend at once.
 */
public final class TargetInventory {
  private final ConcurrentSkipListMap<Integer, Map<Integer, EmuTarget>> buses = new ConcurrentSkipListMap<>();
  private final LunEvents lunEvents;

  /** An inventory whose LUNs report no lifetime steps. */
  public TargetInventory() {
    this(LunEvents.NONE);
  }

  /** An inventory whose published LUNs report their lifetime steps to {@code lunEvents}. */
  public TargetInventory(LunEvents lunEvents) {
    this.lunEvents = lunEvents == null ? LunEvents.NONE : lunEvents;
  }

  /** Where the LUNs of published targets report their lifetime steps. */
  public LunEvents lunEvents() {
    return lunEvents;
  }

  private final CopyOnWriteArrayList<TaskAborter> aborters = new CopyOnWriteArrayList<>();

  /**
   * What a frontend that keeps tasks of its own (iSCSI) registers so the target layer can abort
   * them without seeing the frontend: a LUN's command that aborts other nexuses' tasks (PERSISTENT
   * RESERVE OUT PREEMPT AND ABORT, SPC-4 5.13.11.2.5) calls every registered aborter. cf. CTL's
   * {@code ctl_abort_tasks_lun()} walking the LUN's OOA queue for the preempted nexuses.
   */
  public interface TaskAborter {
    /**
     * Aborts, without a response to its initiator, every task of nexus {@code initiatorId} on LUN
     * {@code lun} of {@code target}. Must return at once (post to the task owner's thread); it is
     * called from the thread of the command that aborts.
     */
    void abortTasks(EmuTarget target, long lun, int initiatorId);
  }

  /** {@link TaskAborter#abortTasks}: the tasks of every nexus (a LUN reset). */
  public static final int ANY_NEXUS = Integer.MIN_VALUE;

  /**
   * Asks every frontend to abort every nexus's tasks on {@code lun} of {@code target}, without a
   * response (a LUN reset that arrived at another cluster member, docs/cluster.md).
   */
  public void abortAllTasks(EmuTarget target, long lun) {
    abortTasks(target, lun, ANY_NEXUS);
  }

  /** Registers a frontend's task aborter (see {@link TaskAborter}). */
  public void addTaskAborter(TaskAborter a) {
    aborters.add(a);
  }

  /** Withdraws a task aborter (its frontend stopped); no-op when it is not registered. */
  public void removeTaskAborter(TaskAborter a) {
    aborters.remove(a);
  }

  /** Asks every frontend to abort nexus {@code initiatorId}'s tasks on {@code lun} of {@code target}. */
  void abortTasks(EmuTarget target, long lun, int initiatorId) {
    for (TaskAborter a : aborters) {
      a.abortTasks(target, lun, initiatorId);
    }
  }

  /**
   * Publishes bus {@code bus}'s live targets (target id &rarr; target). The map must be safe for
   * concurrent reads; the owner keeps changing it.
   *
   * @throws IllegalStateException when the bus number is already published (two owners of one bus
   *     is a broken invariant)
   */
  public void publish(int bus, Map<Integer, EmuTarget> liveTargets) {
    if (buses.putIfAbsent(bus, Collections.unmodifiableMap(liveTargets)) != null) {
      throw new IllegalStateException("bus " + bus + " is already published");
    }
    for (EmuTarget t : liveTargets.values()) {
      t.linkInventory(this, bus);
    }
  }

  /**
   * Links a target its owner added to an already published bus, so that its LUNs can find other
   * LUNs of the node (EXTENDED COPY).
   */
  public void link(EmuTarget t) {
    int bus = -1;
    for (Map.Entry<Integer, Map<Integer, EmuTarget>> b : buses.entrySet()) {
      if (b.getValue().get(t.targetId()) == t) {
        bus = b.getKey();
      }
    }
    t.linkInventory(this, bus);
  }

  /** Withdraws bus {@code bus} (its SIM stopped); no-op when it is not published. */
  public void withdraw(int bus) {
    Map<Integer, EmuTarget> m = buses.remove(bus);
    if (m != null) {
      for (EmuTarget t : m.values()) {
        t.unlinkInventory(this);
      }
    }
  }

  /**
   * The LUN whose VPD 0x83 NAA designator is {@code naa} (its WWN), on any bus; null when none.
   * A walk over the live maps: copy set-up, not the I/O path.
   */
  public EmuDevice lunByNaa(long naa) {
    for (Map<Integer, EmuTarget> ts : buses.values()) {
      for (EmuTarget t : ts.values()) {
        for (EmuDevice d : t.luns().values()) {
          if (d.spec().wwnValue() == naa) {
            return d;
          }
        }
      }
    }
    return null;
  }

  /** The target {@code target} of bus {@code bus}, or null when there is none now. */
  public EmuTarget target(int bus, int target) {
    Map<Integer, EmuTarget> b = buses.get(bus);
    return b == null ? null : b.get(target);
  }

  /** The LUN {@code lun} of {@code bus}/{@code target}, or null. */
  public EmuDevice lun(int bus, int target, long lun) {
    EmuTarget t = target(bus, target);
    return t == null ? null : t.device(lun);
  }

  /**
   * A snapshot: bus &rarr; (target id &rarr; target), both sorted, unmodifiable; targets without
   * LUNs are left out.
   */
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
