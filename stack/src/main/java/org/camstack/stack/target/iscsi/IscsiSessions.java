package org.camstack.stack.target.iscsi;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.camstack.stack.iscsi.Bhs;
import org.camstack.stack.target.EmuTarget;
import org.camstack.stack.target.TargetInventory;

/**
 * The portal's sessions (RFC 7143 §4.4): TSIH allocation, session reinstatement by (initiator
 * name, ISID, target), listing and logout for {@code ctl iscsi}. One connection per session
 * (MaxConnections=1), so a session's {@link Control} is its connection. Thread-safe: connections
 * register from their own stream threads, the API reads from its own.
 */
public final class IscsiSessions implements TargetInventory.TaskAborter {

  /** What the registry can ask of a live session; each call is asynchronous and returns at once. */
  public interface Control {
    /** Ask the initiator to log out (Async Message, event 1); close if it does not. */
    void requestLogout();

    /** Close the connection now; its tasks are aborted (ERL 0). */
    void drop();

    /**
     * Another session's task management (or PREEMPT AND ABORT) aborts this session's tasks on
     * {@code lun} ({@link #ALL_LUNS}: every LUN) of {@code target}, if this session's nexus is
     * {@code initiatorId} ({@link #ANY_NEXUS}: whichever). Posted to the session's own thread;
     * returns at once. The aborted tasks get no response (RFC 7143 §4.2.3.3, ERL 0: their initiator
     * learns of it through the unit attention of the reset, or 2F/00 when {@code
     * reportCleared} and any task was aborted — CLEAR TASK SET).
     */
    default void abortTasks(EmuTarget target, long lun, int initiatorId, boolean reportCleared) {}
  }

  /** {@link Control#abortTasks}: every LUN of the target. */
  public static final long ALL_LUNS = -1;
  /** {@link Control#abortTasks}: whichever nexus the session is. */
  public static final int ANY_NEXUS = org.camstack.stack.target.TargetInventory.ANY_NEXUS;

  /**
   * One session as {@code ctl iscsi sessions} shows it.
   *
   * @param tsih the target-assigned session handle (the session's id)
   * @param isid the initiator's session id, 12 hex digits
   * @param type Normal or Discovery
   * @param target the target name, empty for discovery
   */
  public record Info(int tsih, String initiator, String isid, String type, String target, String remote) {}

  private record Entry(Info info, Control control) {}

  /** Task management requests received, by function code (RFC 7143 §11.5.1; 0 unused). */
  private final java.util.concurrent.atomic.AtomicLongArray tmfsByFunction = new java.util.concurrent.atomic.AtomicLongArray(16);

  /** A connection received a TASK MANAGEMENT FUNCTION REQUEST with function {@code fn}. */
  void countTmf(int fn) {
    tmfsByFunction.incrementAndGet(fn & 0x0f);
  }

  /**
   * How many task management requests of function {@code fn} (1 ABORT TASK, 5 LOGICAL UNIT RESET,
   * ...) this portal's sessions received (for tests and statistics).
   */
  public long tmfsReceived(int fn) {
    return tmfsByFunction.get(fn & 0x0f);
  }

  private final Map<Integer, Entry> byTsih = new TreeMap<>();
  private final Map<String, Integer> byKey = new HashMap<>();
  private int nextTsih = 1;

  /**
   * Registers a new session (its login reached the full feature phase). An existing session of
   * the same initiator name, ISID and target is reinstated: it is dropped (its tasks aborted) and
   * replaced.
   *
   * @return the new session's TSIH
   */
  public int register(String initiator, long isid, String type, String target, String remote, Control control) {
    Control old = null;
    int tsih;
    synchronized (this) {
      String key = initiator + "|" + isid + "|" + target;
      Integer prev = byKey.remove(key);
      if (prev != null) {
        Entry e = byTsih.remove(prev);
        if (e != null) {
          old = e.control();
        }
      }
      tsih = allocate();
      byTsih.put(tsih, new Entry(new Info(tsih, initiator, Bhs.isidText(isid), type, target, remote), control));
      byKey.put(key, tsih);
    }
    if (old != null) {
      old.drop();
    }
    return tsih;
  }

  private int allocate() {
    for (int i = 0; i < 0xFFFF; i++) {
      int t = nextTsih;
      nextTsih = nextTsih == 0xFFFF ? 1 : nextTsih + 1; // 0 is reserved (new session)
      if (!byTsih.containsKey(t)) {
        return t;
      }
    }
    throw new IllegalStateException("65535 sessions");
  }

  /** Forgets a session whose connection ended (no-op if it was replaced). */
  public synchronized void unregister(int tsih, Control control) {
    Entry e = byTsih.get(tsih);
    if (e != null && e.control() == control) {
      byTsih.remove(tsih);
      byKey.values().remove(tsih);
    }
  }

  /** Whether a session with this TSIH is live. */
  public synchronized boolean exists(int tsih) {
    return byTsih.containsKey(tsih);
  }

  public synchronized List<Info> list() {
    List<Info> out = new ArrayList<>();
    for (Entry e : byTsih.values()) {
      out.add(e.info());
    }
    return out;
  }

  public synchronized Optional<Info> get(int tsih) {
    return Optional.ofNullable(byTsih.get(tsih)).map(Entry::info);
  }

  /** Asks one session to log out; false if there is no such session. */
  public boolean requestLogout(int tsih) {
    Entry e;
    synchronized (this) {
      e = byTsih.get(tsih);
    }
    if (e == null) {
      return false;
    }
    e.control().requestLogout();
    return true;
  }

  /** Asks every session to log out (node shutdown). */
  public void requestLogoutAll() {
    List<Entry> all;
    synchronized (this) {
      all = new ArrayList<>(byTsih.values());
    }
    for (Entry e : all) {
      e.control().requestLogout();
    }
  }

  /**
   * Posts {@link Control#abortTasks} to every live session but {@code except} (the one whose task
   * management asked; it aborts its own tasks itself). Lock-light: the registry lock is held only
   * to copy the list; nothing waits for the other sessions.
   */
  public void abortTasks(EmuTarget target, long lun, int initiatorId, boolean reportCleared, Control except) {
    List<Entry> all;
    synchronized (this) {
      all = new ArrayList<>(byTsih.values());
    }
    for (Entry e : all) {
      if (e.control() != except) {
        e.control().abortTasks(target, lun, initiatorId, reportCleared);
      }
    }
  }

  /** The target layer's PREEMPT AND ABORT: nexus {@code initiatorId}'s tasks on the LUN, in whichever session. */
  @Override
  public void abortTasks(EmuTarget target, long lun, int initiatorId) {
    abortTasks(target, lun, initiatorId, false, null);
  }

  /** Drops every session. */
  public void dropAll() {
    List<Entry> all;
    synchronized (this) {
      all = new ArrayList<>(byTsih.values());
    }
    for (Entry e : all) {
      e.control().drop();
    }
  }
}
