package org.camstack.stack.lifetime;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A {@link LifetimeListener} that checks the lifetime rules over the event history, independently
 * of the components that emit the events (a Jepsen-style checker), and collects every violation:
 * those the components report themselves ({@link LifetimeEvent.ProtocolViolation}) and those it
 * finds:
 *
 * <ul>
 *   <li>UNIT_REUSED: a unit registered again before the previous incarnation's destructor ran and
 *       its nodes were gone;
 *   <li>UNIT_FREED_EARLY: a unit returned before the destructor or while the node existed (I3,
 *       I4);
 *   <li>ACQUIRE_AFTER_INVALID: an external acquire granted after invalidation (I1);
 *   <li>ALIAS_ON_INVALID: an alias added for an incarnation that was already freed;
 *   <li>REF_UNDERFLOW: a release below zero (I5);
 *   <li>REF_LEAK / LEFT_BEHIND: from {@link #checkQuiescent()} and {@link #checkTornDown()}.
 * </ul>
 *
 * <p>Thread-safe. Events are checked in the order they are observed; emitters emit before they
 * send the message that causes the next event, so causally ordered events arrive in order.
 */
public final class LifetimeChecker implements LifetimeListener {

  private static final class Incarnation {
    final PeriphId id;
    final org.camstack.stack.ccb.CamPath path;
    final String identity;
    boolean invalidated;
    boolean destructorRun;
    boolean unitFreed;
    final Set<Long> liveNodes = new HashSet<>();
    final Map<String, Integer> refs = new TreeMap<>();

    Incarnation(PeriphId id, org.camstack.stack.ccb.CamPath path, String identity) {
      this.id = id;
      this.path = path;
      this.identity = identity;
    }

    boolean finished() {
      return destructorRun && unitFreed && liveNodes.isEmpty();
    }
  }

  private final boolean recordEvents;
  private final List<LifetimeEvent> events = new ArrayList<>();
  private final List<LifetimeEvent.ProtocolViolation> violations = new ArrayList<>();
  private final Map<PeriphId, Incarnation> live = new LinkedHashMap<>();
  private final Map<String, PeriphId> lastByUnit = new HashMap<>();
  private final EnumMap<ViolationKind, Integer> counts = new EnumMap<>(ViolationKind.class);
  private long eventCount;
  private final Map<String, Long> eventsByType = new TreeMap<>();

  /** @param recordEvents keep every event for {@link #events()} (tests); off for long runs */
  public LifetimeChecker(boolean recordEvents) {
    this.recordEvents = recordEvents;
  }

  public LifetimeChecker() {
    this(true);
  }

  @Override
  public synchronized void onEvent(LifetimeEvent e) {
    eventCount++;
    eventsByType.merge(e.getClass().getSimpleName(), 1L, Long::sum);
    if (recordEvents) {
      events.add(e);
    }
    if (e instanceof LifetimeEvent.ProtocolViolation v) {
      add(v);
      return;
    }
    PeriphId id = e.periph();
    if (id == null) {
      return;
    }
    if (e instanceof LifetimeEvent.PeriphRegistered r) {
      onRegistered(r);
      return;
    }
    Incarnation inc = live.get(id);
    if (inc == null) {
      return; // finished and forgotten, or never registered (tests driving a periph directly)
    }
    if (e instanceof LifetimeEvent.NodeCreated n) {
      inc.liveNodes.add(n.nodeId());
    } else if (e instanceof LifetimeEvent.NodeGone g) {
      inc.liveNodes.remove(g.nodeId());
    } else if (e instanceof LifetimeEvent.AliasAdded a) {
      inc.liveNodes.add(a.nodeId());
      if (inc.unitFreed || inc.destructorRun) {
        flag(ViolationKind.ALIAS_ON_INVALID,
            "alias " + a.alias() + " added for " + id + " after it was freed", inc, a.alias());
      }
    } else if (e instanceof LifetimeEvent.Invalidated) {
      inc.invalidated = true;
    } else if (e instanceof LifetimeEvent.DestructorRun) {
      inc.destructorRun = true;
    } else if (e instanceof LifetimeEvent.UnitFreed) {
      inc.unitFreed = true;
      if (!inc.destructorRun) {
        flag(ViolationKind.UNIT_FREED_EARLY,
            id + " returned unit " + id.unit() + " before its destructor ran", inc, id.name());
      } else if (!nodesOnly(inc).isEmpty()) {
        flag(ViolationKind.UNIT_FREED_EARLY,
            id + " returned unit " + id.unit() + " while its devfs node still exists", inc, id.name());
      }
    } else if (e instanceof LifetimeEvent.RefAcquired a) {
      if (a.external() && inc.invalidated) {
        flag(ViolationKind.ACQUIRE_AFTER_INVALID,
            id + ": acquire of " + a.token() + " granted after invalidation", inc, id.name());
      }
      inc.refs.merge(a.token(), 1, Integer::sum);
    } else if (e instanceof LifetimeEvent.RefReleased r) {
      int now = inc.refs.getOrDefault(r.token(), 0) - 1;
      if (now < 0) {
        flag(ViolationKind.REF_UNDERFLOW, id + ": release of unheld " + r.token(), inc, id.name());
        now = 0;
      }
      if (now == 0) {
        inc.refs.remove(r.token());
      } else {
        inc.refs.put(r.token(), now);
      }
    }
    if (inc.finished()) {
      live.remove(id);
    }
  }

  private static Set<Long> nodesOnly(Incarnation inc) {
    return inc.liveNodes;
  }

  private void onRegistered(LifetimeEvent.PeriphRegistered r) {
    PeriphId id = r.periph();
    String key = id.name();
    PeriphId prev = lastByUnit.put(key, id);
    if (prev != null) {
      Incarnation old = live.get(prev);
      if (old != null && !old.finished()) {
        List<String> why = new ArrayList<>();
        if (!old.destructorRun) {
          why.add("its destructor has not run");
        }
        if (!old.liveNodes.isEmpty()) {
          why.add("its devfs node is not gone");
        }
        if (!old.unitFreed) {
          why.add("it never freed the unit");
        }
        flag(ViolationKind.UNIT_REUSED,
            "unit " + key + " given to " + id + " while " + prev + " still exists: " + String.join(", ", why),
            new Incarnation(id, r.path(), r.identity()), key);
      }
    }
    live.put(id, new Incarnation(id, r.path(), r.identity()));
  }

  private void flag(ViolationKind kind, String message, Incarnation inc, String name) {
    add(new LifetimeEvent.ProtocolViolation(kind, message, inc.id, inc.path, inc.identity, List.of(name)));
  }

  private void add(LifetimeEvent.ProtocolViolation v) {
    violations.add(v);
    counts.merge(v.kind(), 1, Integer::sum);
  }

  /**
   * At quiescence (no message in flight): every invalidated incarnation must have been freed; one
   * that was not leaks references. Reports them as REF_LEAK and returns how many it found.
   */
  public synchronized int checkQuiescent() {
    int n = 0;
    for (Incarnation inc : live.values()) {
      if (inc.invalidated && !inc.destructorRun) {
        flag(ViolationKind.REF_LEAK, inc.id + " invalid but never freed; still held: " + inc.refs, inc, inc.id.name());
        n++;
      }
    }
    return n;
  }

  /** After the final teardown nothing may be left: reports every incarnation not finished. */
  public synchronized int checkTornDown() {
    int n = 0;
    for (Incarnation inc : live.values()) {
      List<String> why = new ArrayList<>();
      if (!inc.invalidated) {
        why.add("still valid");
      }
      if (!inc.destructorRun) {
        why.add("destructor not run");
      }
      if (!inc.unitFreed) {
        why.add("unit not freed");
      }
      if (!inc.liveNodes.isEmpty()) {
        why.add(inc.liveNodes.size() + " node(s) left");
      }
      if (!inc.refs.isEmpty()) {
        why.add("refs " + inc.refs);
      }
      flag(ViolationKind.LEFT_BEHIND, inc.id + " left behind: " + String.join(", ", why), inc, inc.id.name());
      n++;
    }
    return n;
  }

  /** Records a violation found elsewhere (e.g. by the chaos engine's own checks). */
  public synchronized void report(LifetimeEvent.ProtocolViolation v) {
    add(v);
  }

  public synchronized List<LifetimeEvent.ProtocolViolation> violations() {
    return List.copyOf(violations);
  }

  public synchronized int violationCount() {
    return violations.size();
  }

  public synchronized Map<ViolationKind, Integer> countsByKind() {
    return new EnumMap<>(counts.isEmpty() ? new EnumMap<>(ViolationKind.class) : counts);
  }

  public synchronized List<LifetimeEvent> events() {
    return List.copyOf(events);
  }

  public synchronized long eventCount() {
    return eventCount;
  }

  /** How many events of each type were observed (e.g. {@code AliasAdded=12}). */
  public synchronized Map<String, Long> eventsByType() {
    return new TreeMap<>(eventsByType);
  }

  /** Incarnations registered and not finished (alive, or invalid and not yet freed). */
  public synchronized List<PeriphId> liveIncarnations() {
    return List.copyOf(live.keySet());
  }

  /** Events of one kind observed so far (needs recording). */
  public synchronized <T extends LifetimeEvent> List<T> eventsOf(Class<T> type) {
    List<T> out = new ArrayList<>();
    for (LifetimeEvent e : events) {
      if (type.isInstance(e)) {
        out.add(type.cast(e));
      }
    }
    return out;
  }
}
