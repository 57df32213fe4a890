package org.camstack.stack.target;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Sense;

/**
 * The unit attention state of one logical unit, per I_T nexus (SPC-4 5.14): a queue of pending
 * conditions for every initiator the LUN has seen, the conditions posted to every initiator (an
 * initiator not seen yet gets them on its first command, so a LUN resize is reported to every
 * nexus exactly once), and the deferred error (response code 71h) the next command of any
 * initiator reports.
 *
 * <p>Nexus ids are {@link Nexuses} ids: the SIM's initiator ids (below 256 kept in an array, the
 * hot path) and the network frontends' ids (&ge; 65536, in a concurrent map). Thread-safe: posting
 * (control plane, any thread) and taking (the LUN's command) may race; each condition is reported
 * to each nexus at most once. {@code changed} runs after every change of the durable part (posted,
 * reported, cleared).
 *
 * <p>cf. CTL's per-initiator {@code pending_ua} and {@code ctl_build_ua}, {@code ctl_est_ua_all}.
 */
final class UnitAttentions {
  /** At most this many conditions are kept per nexus and posted (the oldest are dropped). */
  static final int CAP = 16;
  /** {@link #post(int, int)}: no initiator is excepted. */
  static final int NOBODY = Integer.MIN_VALUE;
  private static final int LOW = 256;

  private final Runnable changed;
  private final Object lock = new Object();
  private final AtomicReferenceArray<Nexus> lowNexus = new AtomicReferenceArray<>(LOW);
  private final ConcurrentHashMap<Integer, Nexus> highNexus = new ConcurrentHashMap<>();
  private final ArrayDeque<Ua> history = new ArrayDeque<>(); // guarded by lock
  private volatile ByteString deferredError;

  UnitAttentions(Runnable changed) {
    this.changed = changed;
  }

  /** Posts {@code asc << 8 | ascq} to every nexus, seen or not, except {@code exceptInitiator}. */
  void post(int code, int exceptInitiator) {
    synchronized (lock) {
      addCapped(history, new Ua(code, exceptInitiator, Set.of()));
      for (int i = 0; i < LOW; i++) {
        Nexus n = lowNexus.get(i);
        if (n != null && n.id != exceptInitiator) {
          n.offer(code);
        }
      }
      for (Nexus n : highNexus.values()) {
        if (n.id != exceptInitiator) {
          n.offer(code);
        }
      }
    }
    changed.run();
  }

  /** Posts {@code asc << 8 | ascq} to one nexus only (persistent reservations: 2A/03..05). */
  void postTo(int initiatorId, int code) {
    Nexus n = nexus(initiatorId);
    synchronized (lock) {
      n.offer(code);
    }
    changed.run();
  }

  /** Replaces everything pending, for every nexus, by {@code code} (a reset supersedes the rest). */
  void resetTo(int code) {
    synchronized (lock) {
      clearLocked();
      addCapped(history, new Ua(code, NOBODY, Set.of()));
      for (int i = 0; i < LOW; i++) {
        Nexus n = lowNexus.get(i);
        if (n != null) {
          n.offer(code);
        }
      }
      for (Nexus n : highNexus.values()) {
        n.offer(code);
      }
    }
    changed.run();
  }

  /** Sets the deferred error (fixed sense, turned into response code 71h). */
  void postDeferredError(ByteString fixedSense) {
    byte[] b = fixedSense.toArray();
    b[0] = 0x71;
    deferredError = ByteString.fromArrayUnsafe(b);
  }

  /** Forgets every pending condition and the deferred error. */
  void clear() {
    synchronized (lock) {
      clearLocked();
    }
    changed.run();
  }

  private void clearLocked() {
    history.clear();
    for (int i = 0; i < LOW; i++) {
      Nexus n = lowNexus.get(i);
      if (n != null) {
        n.clear();
      }
    }
    for (Nexus n : highNexus.values()) {
      n.clear();
    }
    deferredError = null;
  }

  /**
   * The sense a command of {@code initiatorId} must report before running, consumed: its oldest
   * pending unit attention (fixed format, key 6), else the deferred error; null when none (the
   * fast path: one volatile read each).
   */
  ByteString take(int initiatorId) {
    Nexus n = nexus(initiatorId);
    if (n.pending) {
      int code = n.poll();
      if (code >= 0) {
        changed.run();
        return Sense.fixed(Sense.UNIT_ATTENTION, code >>> 8, code & 0xff);
      }
    }
    if (deferredError != null) {
      synchronized (lock) {
        ByteString d = deferredError;
        deferredError = null;
        return d;
      }
    }
    return null;
  }

  /** The conditions pending for {@code initiatorId}, oldest first, as (asc << 8 | ascq). */
  List<Integer> pending(int initiatorId) {
    return nexus(initiatorId).snapshot();
  }

  private static void addCapped(ArrayDeque<Ua> q, Ua ua) {
    q.removeIf(u -> u.code == ua.code && u.except == ua.except && u.excluded.equals(ua.excluded));
    q.addLast(ua);
    while (q.size() > CAP) {
      q.removeFirst();
    }
  }

  private Nexus nexus(int id) {
    Nexus n = id >= 0 && id < LOW ? lowNexus.get(id) : highNexus.get(id);
    return n != null ? n : createNexus(id);
  }

  private Nexus createNexus(int id) {
    Nexus n;
    boolean history;
    synchronized (lock) {
      n = id >= 0 && id < LOW ? lowNexus.get(id) : highNexus.get(id);
      if (n != null) {
        return n;
      }
      n = new Nexus(id);
      for (Ua ua : this.history) {
        if (ua.except != id && !ua.excluded.contains(id)) {
          n.offer(ua.code);
        }
      }
      putNexus(n);
      history = !this.history.isEmpty();
    }
    if (history) {
      changed.run(); // the posted ones no longer wait for this one
    }
    return n;
  }

  private void putNexus(Nexus n) {
    if (n.id >= 0 && n.id < LOW) {
      lowNexus.set(n.id, n);
    } else {
      highNexus.put(n.id, n);
    }
  }

  /** The durable state as plain values (see {@link UnitAttentionSnapshot}). */
  UnitAttentionSnapshot snapshot() {
    synchronized (lock) {
      List<Nexus> seen = new ArrayList<>();
      for (int i = 0; i < LOW; i++) {
        Nexus n = lowNexus.get(i);
        if (n != null) {
          seen.add(n);
        }
      }
      seen.addAll(highNexus.values());
      List<UnitAttentionSnapshot.Posted> posted = new ArrayList<>();
      for (Ua ua : history) {
        SortedSet<Integer> ex = new TreeSet<>(ua.excluded);
        if (ua.except != NOBODY) {
          ex.add(ua.except);
        }
        for (Nexus n : seen) {
          ex.add(n.id);
        }
        posted.add(new UnitAttentionSnapshot.Posted(ua.code, ex));
      }
      Map<Integer, List<Integer>> pending = new TreeMap<>();
      for (Nexus n : seen) {
        pending.put(n.id, n.snapshot());
      }
      return new UnitAttentionSnapshot(posted, pending);
    }
  }

  /** Replaces the whole state by {@code s} (a restored device, before it is in the data path). */
  void restore(UnitAttentionSnapshot s) {
    synchronized (lock) {
      history.clear();
      for (int i = 0; i < LOW; i++) {
        lowNexus.set(i, null);
      }
      highNexus.clear();
      for (UnitAttentionSnapshot.Posted p : s.posted()) {
        addCapped(history, new Ua(p.code(), NOBODY, Set.copyOf(p.excluded())));
      }
      for (Map.Entry<Integer, List<Integer>> e : s.pending().entrySet()) {
        Nexus n = new Nexus(e.getKey());
        for (int code : e.getValue()) {
          n.offer(code);
        }
        putNexus(n);
      }
    }
  }

  /**
   * A condition posted to every initiator not seen yet but {@code except} and {@code excluded}
   * (the latter: initiators seen before a restore).
   */
  private record Ua(int code, int except, Set<Integer> excluded) {}

  /** One I_T nexus: its queue of pending conditions. */
  private static final class Nexus {
    final int id;
    private final ArrayDeque<Integer> queue = new ArrayDeque<>(); // guarded by this
    volatile boolean pending;

    Nexus(int id) {
      this.id = id;
    }

    synchronized void offer(int code) {
      queue.remove(code);
      queue.addLast(code);
      while (queue.size() > CAP) {
        queue.removeFirst();
      }
      pending = true;
    }

    /** Oldest pending code, removed; -1 when none. */
    synchronized int poll() {
      Integer c = queue.pollFirst();
      pending = !queue.isEmpty();
      return c == null ? -1 : c;
    }

    synchronized void clear() {
      queue.clear();
      pending = false;
    }

    synchronized List<Integer> snapshot() {
      return List.copyOf(queue);
    }
  }
}
