package org.camstack.stack.periph;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.Consumer;
import org.camstack.stack.ccb.Ccb;

/**
 * A periph's CCB bookkeeping, apart from the actor that sends and receives: CCB ids, the CCBs in
 * flight with what to do with each completion (so each completes exactly once, I6), which of them
 * went to the XPT rather than the device, the allocation queue waiting for openings (by priority,
 * then arrival) and whether a Schedule is outstanding, and the recovery count. cf. {@code
 * periph->ccb_list}, the device's drvq entry / {@code scheduled_priority}, and {@code
 * CAM_PERIPH_RECOVERY_INPROG}. Used on the periph's actor only; {@link PeriphBase} does the sends,
 * the references and the events.
 */
final class CcbBook {

  /**
   * A CCB sent and not completed, with what to do with its completion; {@code seq} is its place in
   * the allocation queue when it was sent as a {@code ScheduledAction} (-1 otherwise).
   */
  record Outstanding(Ccb ccb, Consumer<Ccb.Completed> onDone, boolean toXpt, long seq) {}

  /**
   * A CCB waiting for an opening (cf. the periph's bio queue before dastart()); {@code traced}: its
   * issue was already emitted (a declined {@code ScheduledAction}).
   */
  record Queued(Ccb ccb, Consumer<Ccb.Completed> done, long seq, boolean traced) {}

  private final InFlight inflight = new InFlight();
  private final PriorityQueue<Queued> allocQueue =
      new PriorityQueue<>(
          (a, b) ->
              a.ccb().header().priority() != b.ccb().header().priority()
                  ? Integer.compare(a.ccb().header().priority(), b.ccb().header().priority())
                  : Long.compare(a.seq(), b.seq()));
  private boolean scheduled; // a Schedule is outstanding
  private long queueSeq;
  private long nextCcbId = 1;
  private int recoveries;

  long nextId() {
    return nextCcbId++;
  }

  /** Records {@code ccb} as sent; throws if its id is already in flight (a broken invariant). */
  void sent(String periph, Ccb ccb, Consumer<Ccb.Completed> onDone, boolean xpt) {
    sent(periph, new Outstanding(ccb, onDone, xpt, -1));
  }

  /**
   * Records {@code ccb} as sent to the device with its grant asked in the same message (a {@code
   * ScheduledAction}): it takes its place in the allocation order now, kept if it is declined.
   */
  void sentScheduled(String periph, Ccb ccb, Consumer<Ccb.Completed> onDone) {
    sent(periph, new Outstanding(ccb, onDone, false, queueSeq++));
  }

  private void sent(String periph, Outstanding o) {
    Ccb ccb = o.ccb();
    if (!inflight.putIfAbsent(ccb.ccbId(), o)) {
      throw new IllegalStateException(periph + ": ccb id " + ccb.ccbId() + " reused");
    }
  }

  /** Removes and returns the CCB {@code ccbId} completes, or null if it was not in flight. */
  Outstanding completed(long ccbId) {
    return inflight.remove(ccbId);
  }

  boolean inFlight(long ccbId) {
    return inflight.get(ccbId) != null;
  }

  int inFlight() {
    return inflight.size();
  }

  /** The CCBs in flight at the device queue (not at the XPT), oldest first. */
  List<Outstanding> atDevice() {
    List<Outstanding> out = new ArrayList<>();
    for (Outstanding x : inflight.values()) {
      if (!x.toXpt()) {
        out.add(x);
      }
    }
    out.sort(Comparator.comparingLong(x -> x.ccb().ccbId()));
    return out;
  }

  /**
   * The CCBs in flight by id: open addressing on primitive keys (linear probing, deletion by
   * backward shift), so sending and completing a CCB boxes no id and allocates no map node.
   */
  private static final class InFlight {
    private long[] keys = new long[64];
    private Outstanding[] vals = new Outstanding[64];
    private int size;

    private int slot(long key, int mask) {
      long h = key * 0x9E3779B97F4A7C15L;
      return (int) (h ^ (h >>> 32)) & mask;
    }

    Outstanding get(long key) {
      int mask = keys.length - 1;
      for (int i = slot(key, mask); vals[i] != null; i = (i + 1) & mask) {
        if (keys[i] == key) {
          return vals[i];
        }
      }
      return null;
    }

    boolean putIfAbsent(long key, Outstanding v) {
      if (get(key) != null) {
        return false;
      }
      if ((size + 1) * 2 > keys.length) {
        grow();
      }
      int mask = keys.length - 1;
      int i = slot(key, mask);
      while (vals[i] != null) {
        i = (i + 1) & mask;
      }
      keys[i] = key;
      vals[i] = v;
      size++;
      return true;
    }

    Outstanding remove(long key) {
      int mask = keys.length - 1;
      int i = slot(key, mask);
      while (vals[i] != null && keys[i] != key) {
        i = (i + 1) & mask;
      }
      Outstanding v = vals[i];
      if (v == null) {
        return null;
      }
      vals[i] = null;
      size--;
      // backward shift: move later entries of the probe run into the hole where they belong
      int hole = i;
      for (int j = (i + 1) & mask; vals[j] != null; j = (j + 1) & mask) {
        int home = slot(keys[j], mask);
        if (((j - home) & mask) >= ((j - hole) & mask)) {
          keys[hole] = keys[j];
          vals[hole] = vals[j];
          vals[j] = null;
          hole = j;
        }
      }
      return v;
    }

    int size() {
      return size;
    }

    List<Outstanding> values() {
      List<Outstanding> out = new ArrayList<>(size);
      for (Outstanding v : vals) {
        if (v != null) {
          out.add(v);
        }
      }
      return out;
    }

    private void grow() {
      long[] ok = keys;
      Outstanding[] ov = vals;
      keys = new long[ok.length * 2];
      vals = new Outstanding[ov.length * 2];
      size = 0;
      for (int i = 0; i < ok.length; i++) {
        if (ov[i] != null) {
          putIfAbsent(ok[i], ov[i]);
        }
      }
    }
  }

  void enqueue(Ccb ccb, Consumer<Ccb.Completed> done) {
    allocQueue.add(new Queued(ccb, done, queueSeq++, false));
  }

  /**
   * A declined {@code ScheduledAction}: no longer in flight, queued again at the place it was
   * given when sent (ahead of everything scheduled after it). Null when it was not in flight.
   */
  Outstanding declined(long ccbId) {
    Outstanding o = inflight.remove(ccbId);
    if (o != null) {
      allocQueue.add(new Queued(o.ccb(), o.onDone(), o.seq(), true));
    }
    return o;
  }

  /** Whether a CCB may go out as a {@code ScheduledAction}: nothing queued, no Schedule asked. */
  boolean idle() {
    return !scheduled && allocQueue.isEmpty();
  }

  /** The head of the queue if a Schedule should be asked for now (and marks it asked), else null. */
  Queued scheduleNow() {
    if (scheduled || allocQueue.isEmpty()) {
      return null;
    }
    scheduled = true;
    return allocQueue.peek();
  }

  /** The device answered the Schedule. */
  void started() {
    scheduled = false;
  }

  Queued poll() {
    return allocQueue.poll();
  }

  int queued() {
    return allocQueue.size();
  }

  boolean recoveryInProgress() {
    return recoveries > 0;
  }

  void recoveryStarted() {
    recoveries++;
  }

  void recoveryEnded() {
    recoveries--;
  }
}
