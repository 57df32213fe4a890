package org.camstack.stack.periph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
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

  /** A CCB sent and not completed, with what to do with its completion. */
  record Outstanding(Ccb ccb, Consumer<Ccb.Completed> onDone) {}

  /** A CCB waiting for an opening (cf. the periph's bio queue before dastart()). */
  record Queued(Ccb ccb, Consumer<Ccb.Completed> done, long seq) {}

  private final Map<Long, Outstanding> inflight = new HashMap<>();
  private final Set<Long> toXpt = new HashSet<>();
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
    if (inflight.putIfAbsent(ccb.ccbId(), new Outstanding(ccb, onDone)) != null) {
      throw new IllegalStateException(periph + ": ccb id " + ccb.ccbId() + " reused");
    }
    if (xpt) {
      toXpt.add(ccb.ccbId());
    }
  }

  /** Removes and returns the CCB {@code ccbId} completes, or null if it was not in flight. */
  Outstanding completed(long ccbId) {
    toXpt.remove(ccbId);
    return inflight.remove(ccbId);
  }

  boolean inFlight(long ccbId) {
    return inflight.containsKey(ccbId);
  }

  int inFlight() {
    return inflight.size();
  }

  /** The CCBs in flight at the device queue (not at the XPT). */
  List<Outstanding> atDevice() {
    List<Outstanding> out = new ArrayList<>();
    for (Map.Entry<Long, Outstanding> e : inflight.entrySet()) {
      if (!toXpt.contains(e.getKey())) {
        out.add(e.getValue());
      }
    }
    return out;
  }

  void enqueue(Ccb ccb, Consumer<Ccb.Completed> done) {
    allocQueue.add(new Queued(ccb, done, queueSeq++));
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
