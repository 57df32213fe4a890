package org.camstack.persistence.audit;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one lifetime invariant checker: live runs, chaos and tests feed it as a {@link
 * LifetimeListener}; {@code journal verify} replays a host's audit trail through it. It derives
 * every rule from events emitted by <em>different</em> parties (the driver registers and releases
 * units, the periph invalidates, takes references, issues CCBs and runs its destructor, devfs
 * creates and destroys nodes, the XPT device queue completes CCBs) and never from one party's
 * account of itself (a Jepsen-style checker). Violations reported by a component ({@link
 * LifetimeEvent.ProtocolViolation}) are collected with the ones it finds.
 *
 * <p>The rules (each a {@link ViolationKind}; docs/lifetime.md has the table):
 *
 * <ul>
 *   <li>UNIT_REUSED / UNIT_HELD_TWICE: the driver registers a unit whose previous incarnation is
 *       not finished (destructor run, unit released, every devfs node gone) / still valid;
 *   <li>UNIT_FREED_EARLY: the driver releases a unit before the periph's destructor ran or while
 *       devfs still has one of its nodes (I3, I4); FREED_WHILE_VALID: ... of a periph never
 *       invalidated;
 *   <li>DESTRUCTOR_EARLY: the destructor runs while devfs still has one of its nodes;
 *   <li>ACQUIRE_AFTER_INVALID (I1), REF_UNDERFLOW (I5), ALIAS_ON_INVALID;
 *   <li>DUPLICATE_NAME: devfs creates a name another incarnation still holds;
 *   <li>CCB_COMPLETED_TWICE / CCB_LOST: each CCB the periph issued is completed by the device
 *       exactly once (I6);
 *   <li>target side (cf. {@code ctl_free_lun()}): LUN_TASK_COMPLETED_TWICE (each task a frontend
 *       started on a LUN is completed once), LUN_FREED_EARLY (a LUN is freed only after its
 *       removal and its last task), LUN_REUSED (a LUN number is not added again on a target while
 *       its previous LUN is there or not freed), LUN_TASK_LOST ({@link #checkQuiescent()});
 *   <li>UNKNOWN_PERIPH / UNKNOWN_NODE: an event for an incarnation never registered, a node gone
 *       that the periph did not hold;
 *   <li>REF_LEAK, CCB_LOST ({@link #checkQuiescent()}), LEFT_BEHIND ({@link #checkTornDown()}),
 *       INVALIDATION_INCOMPLETE ({@link #endOfTrail()}).
 * </ul>
 *
 * <p>Emitting never blocks or serialises the emitters: {@link #onEvent} appends to a lock-free
 * queue (its order is one linearization of the emits; an emitter emits before it sends the message
 * that causes the next event, so causally ordered events are queued in order). The checker
 * consumes the queue under its own lock: every query drains it first, and an emitter drains it
 * now and then only if nobody else is ({@code tryLock}), so no event is lost and memory stays
 * bounded. Works the same on one thread (a deterministic scheduler): call {@link #drain()}.
 */
public final class LifetimeChecker implements LifetimeListener {

  /**
   * A broken rule and the positions of the events involved: the number of the event in this
   * checker's order (1-based), or the journal sequence number when replaying a trail.
   */
  public record Finding(LifetimeEvent.ProtocolViolation violation, List<Long> positions) {
    public Finding {
      positions = List.copyOf(positions);
    }

    public ViolationKind kind() {
      return violation.kind();
    }
  }

  private static final int DRAIN_EVERY = 1024;

  private static final class Incarnation {
    final LifetimeEvent.PeriphRegistered reg;
    final long registeredAt;
    long invalidatedAt = -1;
    long destructorAt = -1;
    long freedAt = -1;
    String issuer;
    /** Live devfs names (nodes and aliases) → position of their creation. */
    final Map<String, Long> names = new LinkedHashMap<>();
    /** alias → the node it names. */
    final Map<String, String> aliasOf = new HashMap<>();
    /** Aliases that went with their node; devfs may still report each gone. */
    final Set<String> goneAliases = new HashSet<>();
    final Map<String, Integer> refs = new TreeMap<>();

    Incarnation(LifetimeEvent.PeriphRegistered reg, long registeredAt) {
      this.reg = reg;
      this.registeredAt = registeredAt;
    }

    String key() {
      return reg.incarnation();
    }

    boolean finished() {
      return destructorAt >= 0 && freedAt >= 0 && names.isEmpty();
    }
  }

  private record Outstanding(String incarnation, long issuedAt) {}

  /** One LUN incarnation on a target (target side, cf. sys/cam/ctl). */
  private static final class Lun {
    final String key; // b0:t1/3#2
    final String number; // b0:t1/3
    final long addedAt;
    long removedAt = -1;
    long maxTask;
    /** Tasks started and not completed → position of their start. */
    final Map<Long, Long> tasks = new TreeMap<>();

    Lun(String key, String number, long addedAt) {
      this.key = key;
      this.number = number;
      this.addedAt = addedAt;
    }
  }

  private final boolean recordEvents;
  private final Queue<LifetimeEvent> inbox = new ConcurrentLinkedQueue<>();
  private final AtomicLong offered = new AtomicLong();
  private final ReentrantLock lock = new ReentrantLock();

  // guarded by lock
  private long position;
  private final List<LifetimeEvent> events = new ArrayList<>();
  private final Map<String, Long> eventsByType = new TreeMap<>();
  private final List<Finding> findings = new ArrayList<>();
  private final EnumMap<ViolationKind, Integer> counts = new EnumMap<>(ViolationKind.class);
  // per boot (reset by StackStarted)
  private final Map<String, Incarnation> live = new LinkedHashMap<>(); // da3#7 → incarnation
  private final Map<String, Incarnation> holders = new HashMap<>(); // da3 → last registered
  private final Map<String, Incarnation> nameOwners = new HashMap<>(); // devfs name → owner
  private final Map<String, BitSet> registered = new HashMap<>(); // da3 → generations registered
  private final Map<String, String> issuers = new HashMap<>(); // issuer → live incarnation
  private final Map<String, Outstanding> ccbs = new LinkedHashMap<>(); // issuer#ccbId
  private final Map<String, Lun> luns = new LinkedHashMap<>(); // b0:t1/3#2 → not freed yet
  private final Map<String, Lun> lunNumbers = new HashMap<>(); // b0:t1/3 → its last incarnation

  /** @param recordEvents keep every event for {@link #events()} (tests); off for long runs */
  public LifetimeChecker(boolean recordEvents) {
    this.recordEvents = recordEvents;
  }

  public LifetimeChecker() {
    this(true);
  }

  /** Queues {@code e} for checking. Lock-free; never blocks. */
  @Override
  public void onEvent(LifetimeEvent e) {
    inbox.offer(e);
    if (offered.incrementAndGet() % DRAIN_EVERY == 0 && lock.tryLock()) {
      try {
        drainLocked();
      } finally {
        lock.unlock();
      }
    }
  }

  /** The checker derives I6 (exactly-once completion) from the CCB events: it wants them. */
  @Override
  public boolean tracesCcbs() {
    return true;
  }

  /** Checks every queued event (tests and chaos call it at their checkpoints). */
  public void drain() {
    lock.lock();
    try {
      drainLocked();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Checks one event at an explicit position (e.g. its journal sequence number), after whatever
   * is queued. Replaying a trail: call in sequence order.
   */
  public void check(long at, LifetimeEvent e) {
    lock.lock();
    try {
      drainLocked();
      apply(at, e);
    } finally {
      lock.unlock();
    }
  }

  private void drainLocked() {
    LifetimeEvent e;
    while ((e = inbox.poll()) != null) {
      apply(++position, e);
    }
  }

  private void apply(long at, LifetimeEvent e) {
    position = Math.max(position, at);
    eventsByType.merge(e.getClass().getSimpleName(), 1L, Long::sum);
    if (recordEvents) {
      events.add(e);
    }
    if (e instanceof LifetimeEvent.ProtocolViolation v) {
      add(v, List.of(at));
    } else if (e instanceof LifetimeEvent.StackStarted) {
      reset(); // cf. a reboot: the previous boot is gone
    } else if (e instanceof LifetimeEvent.PeriphRegistered r) {
      onRegistered(at, r);
    } else if (e instanceof LifetimeEvent.CcbCompleted c) {
      onCcbCompleted(at, c);
    } else if (e instanceof LifetimeEvent.LunStep l) {
      onLunStep(at, l);
    } else if (!e.driver().isEmpty()) { // else a devfs node without a periph owner
      Incarnation inc = live.get(e.incarnation());
      if (inc == null) {
        BitSet gens = registered.get(e.periphName());
        if (gens == null || !gens.get(genIndex(e.generation()))) {
          flag(ViolationKind.UNKNOWN_PERIPH, e, e.getClass().getSimpleName() + " for "
              + e.incarnation() + ", which was never registered", List.of(e.periphName()), at);
        }
        return; // else finished and forgotten
      }
      onPeriphEvent(at, inc, e);
      if (inc.finished()) {
        retire(inc);
      }
    }
  }

  private void onPeriphEvent(long at, Incarnation inc, LifetimeEvent e) {
    String id = inc.key();
    if (e instanceof LifetimeEvent.DevfsNodeCreated n) {
      addName(at, inc, n.name(), null);
    } else if (e instanceof LifetimeEvent.AliasAdded a) {
      if (inc.destructorAt >= 0 || inc.freedAt >= 0) {
        flag(ViolationKind.ALIAS_ON_INVALID, e, "alias " + a.alias() + " added for " + id
            + " after its destructor ran", List.of(a.alias()), at);
      }
      addName(at, inc, a.alias(), a.name());
    } else if (e instanceof LifetimeEvent.NodeGone g) {
      onNodeGone(at, inc, g);
    } else if (e instanceof LifetimeEvent.PeriphInvalidated) {
      if (inc.invalidatedAt < 0) {
        inc.invalidatedAt = at;
      }
    } else if (e instanceof LifetimeEvent.DestructorRun) {
      inc.destructorAt = at;
      if (!inc.names.isEmpty()) {
        flag(ViolationKind.DESTRUCTOR_EARLY, e, id + " destructor ran while devfs "
            + inc.names.keySet() + " still live", List.copyOf(inc.names.keySet()), firstName(inc, at), at);
      }
    } else if (e instanceof LifetimeEvent.UnitFreed u) {
      onUnitFreed(at, inc, u);
    } else if (e instanceof LifetimeEvent.RefAcquired a) {
      if (a.external() && inc.invalidatedAt >= 0) {
        flag(ViolationKind.ACQUIRE_AFTER_INVALID, e, id + ": acquire of " + a.token()
            + " granted after invalidation", List.of(e.periphName()), inc.invalidatedAt, at);
      }
      inc.refs.merge(a.token(), 1, Integer::sum);
    } else if (e instanceof LifetimeEvent.RefReleased r) {
      int now = inc.refs.getOrDefault(r.token(), 0) - 1;
      if (now < 0) {
        flag(ViolationKind.REF_UNDERFLOW, e, id + ": release of unheld " + r.token(), List.of(e.periphName()), at);
      }
      if (now <= 0) {
        inc.refs.remove(r.token());
      } else {
        inc.refs.put(r.token(), now);
      }
    } else if (e instanceof LifetimeEvent.CcbIssued c) {
      inc.issuer = c.issuer();
      issuers.put(c.issuer(), id);
      ccbs.put(c.issuer() + "#" + c.ccbId(), new Outstanding(id, at));
    }
    // NodeDestroyRequested, AcquireRefused: informational
  }

  private void onRegistered(long at, LifetimeEvent.PeriphRegistered r) {
    Incarnation inc = new Incarnation(r, at);
    String unitName = r.periphName();
    BitSet gens = registered.computeIfAbsent(unitName, d -> new BitSet());
    if (live.containsKey(inc.key()) || gens.get(genIndex(r.generation()))) {
      Incarnation first = live.get(inc.key());
      flag(ViolationKind.UNIT_HELD_TWICE, r, inc.key() + " registered twice", List.of(unitName),
          first == null ? at : first.registeredAt, at);
      return;
    }
    Incarnation prev = holders.get(unitName);
    if (prev != null && !prev.finished()) {
      if (prev.invalidatedAt < 0) {
        flag(ViolationKind.UNIT_HELD_TWICE, r, unitName + " registered as " + inc.key() + " while "
            + prev.key() + " (at " + prev.registeredAt + ") is still valid", List.of(unitName), prev.registeredAt, at);
      } else {
        List<String> why = new ArrayList<>();
        if (prev.destructorAt < 0) {
          why.add("its destructor has not run");
        }
        if (!prev.names.isEmpty()) {
          why.add("devfs " + prev.names.keySet() + " not gone");
        }
        if (prev.freedAt < 0) {
          why.add("the driver never released the unit");
        }
        flag(ViolationKind.UNIT_REUSED, r, unitName + " given to " + inc.key() + " while " + prev.key()
            + " (invalidated at " + prev.invalidatedAt + ") still exists: " + String.join(", ", why),
            List.of(unitName), prev.invalidatedAt, at);
      }
    }
    gens.set(genIndex(r.generation()));
    live.put(inc.key(), inc);
    holders.put(unitName, inc);
  }

  private void addName(long at, Incarnation inc, String name, String aliasTarget) {
    Incarnation owner = nameOwners.get(name);
    if (owner != null && owner.names.containsKey(name)) {
      flag(ViolationKind.DUPLICATE_NAME, inc.reg, "devfs name " + name + " created for " + inc.key()
          + " while " + owner.key() + " still holds it", List.of(name), owner.names.get(name), at);
    }
    nameOwners.put(name, inc);
    inc.names.put(name, at);
    inc.goneAliases.remove(name);
    if (aliasTarget != null) {
      inc.aliasOf.put(name, aliasTarget);
    }
  }

  private void onNodeGone(long at, Incarnation inc, LifetimeEvent.NodeGone g) {
    String name = g.name();
    if (!inc.names.containsKey(name)) {
      if (!inc.goneAliases.remove(name)) {
        flag(ViolationKind.UNKNOWN_NODE, g, inc.key() + ": devfs node " + name
            + " reported gone, which it does not hold", List.of(name), at);
      }
      return;
    }
    List<String> gone = new ArrayList<>();
    gone.add(name);
    if (!inc.aliasOf.containsKey(name)) {
      inc.aliasOf.forEach((alias, target) -> {
        if (target.equals(name)) {
          gone.add(alias); // cf. destroy_dev(): aliases go with their node
          inc.goneAliases.add(alias);
        }
      });
    }
    for (String n : gone) {
      inc.names.remove(n);
      inc.aliasOf.remove(n);
      if (nameOwners.get(n) == inc) {
        nameOwners.remove(n);
      }
    }
  }

  private void onUnitFreed(long at, Incarnation inc, LifetimeEvent.UnitFreed u) {
    String id = inc.key();
    List<String> unit = List.of(u.periphName());
    if (inc.invalidatedAt < 0) {
      flag(ViolationKind.FREED_WHILE_VALID, u, id + ": the driver released " + u.periphName()
          + " of a periph never invalidated", unit, at);
    }
    if (inc.destructorAt < 0) {
      flag(ViolationKind.UNIT_FREED_EARLY, u, id + ": the driver released " + u.periphName()
          + " before the destructor ran", unit, at);
    } else if (!inc.names.isEmpty()) {
      flag(ViolationKind.UNIT_FREED_EARLY, u, id + ": the driver released " + u.periphName()
          + " while devfs " + inc.names.keySet() + " still live", unit, firstName(inc, at), at);
    }
    inc.freedAt = at;
  }

  private void onCcbCompleted(long at, LifetimeEvent.CcbCompleted c) {
    Outstanding o = ccbs.remove(c.issuer() + "#" + c.ccbId());
    if (o != null) {
      return;
    }
    String owner = issuers.get(c.issuer());
    if (owner != null) {
      Incarnation inc = live.get(owner);
      flag(ViolationKind.CCB_COMPLETED_TWICE, inc == null ? c : inc.reg, c.completer() + " completed ccb "
          + c.ccbId() + " of " + owner + " (" + c.status() + "), which it did not issue or which had already completed",
          List.of(inc == null ? "" : inc.reg.periphName()), at);
    }
    // else: the issuer is not a checked periph (a probe, the bus scanner, a test)
  }

  // ---------------------------------------------------------------- target side (cf. sys/cam/ctl)

  private void onLunStep(long at, LifetimeEvent.LunStep e) {
    LifetimeEvent ev = (LifetimeEvent) e;
    String key = e.lunIncarnation();
    if (e instanceof LifetimeEvent.LunAdded) {
      if (luns.containsKey(key)) {
        return; // reported again when its target was (re)published
      }
      Lun prev = lunNumbers.get(e.lunName());
      if (prev != null && luns.get(prev.key) == prev) {
        String why = prev.removedAt < 0 ? "is still there"
            : "was removed (at " + prev.removedAt + ") and is not freed: tasks " + prev.tasks.keySet() + " in flight";
        flag(ViolationKind.LUN_REUSED, ev, "lun " + e.lunName() + " added as " + key + " while " + prev.key + " " + why,
            List.of(e.lunName()), prev.removedAt < 0 ? prev.addedAt : prev.removedAt, at);
      }
      Lun l = new Lun(key, e.lunName(), at);
      luns.put(key, l);
      lunNumbers.put(e.lunName(), l);
      return;
    }
    Lun l = luns.get(key);
    if (l == null) {
      if (e instanceof LifetimeEvent.LunTaskCompleted c) {
        flag(ViolationKind.LUN_TASK_COMPLETED_TWICE, ev, "task " + c.task() + " of " + key
            + " completed, but the lun was freed or never added", List.of(e.lunName()), at);
      } else if (e instanceof LifetimeEvent.LunFreed) {
        flag(ViolationKind.LUN_FREED_EARLY, ev, key + " freed twice, or never added", List.of(e.lunName()), at);
      } else if (e instanceof LifetimeEvent.LunTaskStarted) {
        flag(ViolationKind.LUN_FREED_EARLY, ev, "a task started on " + key + ", which was freed or never added",
            List.of(e.lunName()), at);
      }
      return;
    }
    if (e instanceof LifetimeEvent.LunTaskStarted t) {
      l.tasks.put(t.task(), at);
      l.maxTask = Math.max(l.maxTask, t.task());
    } else if (e instanceof LifetimeEvent.LunTaskCompleted c) {
      if (l.tasks.remove(c.task()) == null) {
        flag(ViolationKind.LUN_TASK_COMPLETED_TWICE, ev, "task " + c.task() + " of " + key + " completed "
            + (c.task() <= l.maxTask ? "twice" : "but never started"), List.of(e.lunName()), at);
      }
    } else if (e instanceof LifetimeEvent.LunRemoved) {
      if (l.removedAt < 0) {
        l.removedAt = at;
      }
    } else if (e instanceof LifetimeEvent.LunFreed) {
      if (l.removedAt < 0) {
        flag(ViolationKind.LUN_FREED_EARLY, ev, key + " freed but never removed", List.of(e.lunName()), l.addedAt, at);
      }
      if (!l.tasks.isEmpty()) {
        List<Long> pos = new ArrayList<>(l.tasks.values());
        pos.add(at);
        add(violation(ViolationKind.LUN_FREED_EARLY, ev, key + " freed with tasks " + l.tasks.keySet()
            + " still in flight", List.of(e.lunName())), pos);
      }
      luns.remove(key); // finished: its number may be reused
    }
  }

  private void retire(Incarnation inc) {
    live.remove(inc.key());
    if (holders.get(inc.reg.periphName()) == inc) {
      holders.remove(inc.reg.periphName());
    }
    if (inc.issuer != null) {
      issuers.remove(inc.issuer);
    }
  }

  private void reset() {
    live.clear();
    holders.clear();
    nameOwners.clear();
    registered.clear();
    issuers.clear();
    ccbs.clear();
    luns.clear();
    lunNumbers.clear();
  }

  private static int genIndex(long generation) {
    return (int) Math.min(Math.max(generation, 0), Integer.MAX_VALUE - 1);
  }

  private static long firstName(Incarnation inc, long dflt) {
    return inc.names.values().stream().findFirst().orElse(dflt);
  }

  private void flag(ViolationKind kind, LifetimeEvent about, String message, List<String> names, long... at) {
    List<Long> positions = new ArrayList<>();
    for (long a : at) {
      positions.add(a);
    }
    add(violation(kind, about, message, names), positions);
  }

  private static LifetimeEvent.ProtocolViolation violation(
      ViolationKind kind, LifetimeEvent about, String message, List<String> names) {
    return new LifetimeEvent.ProtocolViolation(about.driver(), about.unit(), about.generation(),
        about.deviceId(), LifetimeEvent.nowMicros(), kind, message, names);
  }

  private void add(LifetimeEvent.ProtocolViolation v, List<Long> positions) {
    findings.add(new Finding(v, positions));
    counts.merge(v.kind(), 1, Integer::sum);
  }

  /**
   * At quiescence (no message in flight): every invalidated incarnation's destructor must have
   * run (REF_LEAK otherwise), every CCB issued must have completed (CCB_LOST) and every LUN task
   * started must have completed (LUN_TASK_LOST). Returns how many it found.
   */
  public int checkQuiescent() {
    lock.lock();
    try {
      drainLocked();
      int n = 0;
      for (Incarnation inc : live.values()) {
        if (inc.invalidatedAt >= 0 && inc.destructorAt < 0) {
          flag(ViolationKind.REF_LEAK, inc.reg, inc.key() + " invalid but never freed; still held: "
              + inc.refs, List.of(inc.reg.periphName()), inc.invalidatedAt);
          n++;
        }
      }
      for (Map.Entry<String, Outstanding> c : ccbs.entrySet()) {
        Incarnation inc = live.get(c.getValue().incarnation());
        LifetimeEvent about = inc == null ? LifetimeEvent.StackStarted.now("") : inc.reg;
        flag(ViolationKind.CCB_LOST, about, "ccb " + c.getKey() + " of " + c.getValue().incarnation()
            + " never completed", List.of(), c.getValue().issuedAt());
        n++;
      }
      ccbs.clear();
      for (Lun l : luns.values()) {
        for (Map.Entry<Long, Long> t : l.tasks.entrySet()) {
          flag(ViolationKind.LUN_TASK_LOST, LifetimeEvent.LunTaskStarted.of("", -1, 0, t.getKey()),
              "task " + t.getKey() + " of " + l.key + " never completed", List.of(l.number), t.getValue());
          n++;
        }
        l.tasks.clear();
      }
      return n;
    } finally {
      lock.unlock();
    }
  }

  /** After the final teardown nothing may be left: reports every incarnation not finished. */
  public int checkTornDown() {
    lock.lock();
    try {
      drainLocked();
      int n = 0;
      for (Incarnation inc : live.values()) {
        List<String> why = new ArrayList<>();
        if (inc.invalidatedAt < 0) {
          why.add("still valid");
        }
        if (inc.destructorAt < 0) {
          why.add("destructor not run");
        }
        if (inc.freedAt < 0) {
          why.add("unit not released");
        }
        if (!inc.names.isEmpty()) {
          why.add("devfs " + inc.names.keySet() + " left");
        }
        if (!inc.refs.isEmpty()) {
          why.add("refs " + inc.refs);
        }
        flag(ViolationKind.LEFT_BEHIND, inc.reg, inc.key() + " left behind: " + String.join(", ", why),
            List.of(inc.reg.periphName()), inc.registeredAt);
        n++;
      }
      return n;
    } finally {
      lock.unlock();
    }
  }

  /**
   * At the end of a trail: every invalidated incarnation not finished, as INVALIDATION_INCOMPLETE
   * findings (at its invalidation). Not recorded here: {@code journal verify} reports them as
   * breaches, or as pending with {@code --live}.
   */
  public List<Finding> endOfTrail() {
    lock.lock();
    try {
      drainLocked();
      List<Finding> out = new ArrayList<>();
      for (Incarnation inc : live.values()) {
        if (inc.invalidatedAt < 0 || (inc.freedAt >= 0 && inc.names.isEmpty())) {
          continue;
        }
        List<String> missing = new ArrayList<>();
        for (String n : inc.names.keySet()) {
          if (!inc.aliasOf.containsKey(n)) {
            missing.add("NodeGone(" + n + ")");
          }
        }
        if (inc.freedAt < 0) {
          missing.add("UnitFreed");
        }
        out.add(new Finding(violation(ViolationKind.INVALIDATION_INCOMPLETE, inc.reg,
            inc.key() + " invalidated but never " + String.join(", ", missing), List.of(inc.reg.periphName())),
            List.of(inc.invalidatedAt)));
      }
      return out;
    } finally {
      lock.unlock();
    }
  }

  /** Records a violation found elsewhere (e.g. by the chaos engine's own checks). */
  public void report(LifetimeEvent.ProtocolViolation v) {
    lock.lock();
    try {
      drainLocked();
      add(v, List.of());
    } finally {
      lock.unlock();
    }
  }

  /** Every violation, reported and found, in the order seen. */
  public List<LifetimeEvent.ProtocolViolation> violations() {
    return findings().stream().map(Finding::violation).toList();
  }

  /** Every violation with the positions of the events involved. */
  public List<Finding> findings() {
    lock.lock();
    try {
      drainLocked();
      return List.copyOf(findings);
    } finally {
      lock.unlock();
    }
  }

  public int violationCount() {
    return findings().size();
  }

  public Map<ViolationKind, Integer> countsByKind() {
    lock.lock();
    try {
      drainLocked();
      return new EnumMap<>(counts.isEmpty() ? new EnumMap<>(ViolationKind.class) : counts);
    } finally {
      lock.unlock();
    }
  }

  /** Every event checked, in order (needs recording). */
  public List<LifetimeEvent> events() {
    lock.lock();
    try {
      drainLocked();
      return List.copyOf(events);
    } finally {
      lock.unlock();
    }
  }

  /** How many events were checked. */
  public long eventCount() {
    lock.lock();
    try {
      drainLocked();
      return eventsByType.values().stream().mapToLong(Long::longValue).sum();
    } finally {
      lock.unlock();
    }
  }

  /** How many events of each type were checked (e.g. {@code AliasAdded=12}). */
  public Map<String, Long> eventsByType() {
    lock.lock();
    try {
      drainLocked();
      return new TreeMap<>(eventsByType);
    } finally {
      lock.unlock();
    }
  }

  /** Incarnations registered and not finished ({@code da3#7}), in registration order. */
  public List<String> liveIncarnations() {
    lock.lock();
    try {
      drainLocked();
      return List.copyOf(live.keySet());
    } finally {
      lock.unlock();
    }
  }

  /** Events of one kind checked so far (needs recording). */
  public <T extends LifetimeEvent> List<T> eventsOf(Class<T> type) {
    List<T> out = new ArrayList<>();
    for (LifetimeEvent e : events()) {
      if (type.isInstance(e)) {
        out.add(type.cast(e));
      }
    }
    return out;
  }
}
