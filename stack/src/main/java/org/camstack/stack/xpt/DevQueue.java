package org.camstack.stack.xpt;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;
import org.apache.pekko.actor.typed.ActorRef;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;

/**
 * The bookkeeping of one device queue, as a plain single-owner object: pending CCBs in priority
 * order, the openings (tag depth) and the CCBs active at the SIM, the freeze count with the delayed
 * releases of {@code XPT_REL_SIMQ}, and the allocation queue of periphs waiting for openings
 * ({@code xpt_schedule}).
 *
 * <p>cf. {@code struct cam_ccbq} / {@code struct camq} in sys/cam/cam_queue.[ch], and the {@code
 * XPT_REL_SIMQ} case of {@code xpt_action_default()} plus the release part of {@code
 * xpt_done_process()} in sys/cam/cam_xpt.c. {@link XptDevice} owns one; a benchmark can drive the
 * same code by direct calls. Not thread-safe.
 *
 * <p>Hot path: {@link #tryStartNow()} then {@link #complete(Ccb, CamStatus)} — two field updates,
 * no allocation. Only CCBs that must wait (queue frozen or no opening) are wrapped and queued.
 */
public final class DevQueue {

  /** A periph waiting for openings; cf. the periph's slot in {@code device->drvq}. */
  public record Grant(int priority, int granted, ActorRef<XptDevice.Start> replyTo) {}

  private record Pending(int priority, long seq, Ccb ccb) {}

  private record Waiter(int priority, long seq, int count, ActorRef<XptDevice.Start> replyTo) {}

  private static final Comparator<Pending> PENDING_ORDER =
      Comparator.comparingInt(Pending::priority).thenComparingLong(Pending::seq);
  private static final Comparator<Waiter> WAITER_ORDER =
      Comparator.comparingInt(Waiter::priority).thenComparingLong(Waiter::seq);

  private final PriorityQueue<Pending> queue = new PriorityQueue<>(PENDING_ORDER);
  private final PriorityQueue<Waiter> allocq = new PriorityQueue<>(WAITER_ORDER);
  private final int maxTags;
  private long seq;
  private int openings; // total dev openings (tag depth)
  private int active; // dev_active: CCBs handed to the SIM, not yet completed
  private int frozen; // camq.qfrozen_cnt
  private int allocated; // openings granted to periphs through Schedule
  private int relOnComplete; // cf. CAM_DEV_REL_ON_COMPLETE: count to release at next completion
  private int relOnQueueEmpty; // cf. CAM_DEV_REL_ON_QUEUE_EMPTY
  private int relOnTimeout; // cf. CAM_DEV_REL_TIMEOUT_PENDING
  private long overReleases; // releases beyond the freeze count (clamped, as CAM prints and clamps)

  /**
   * @param openings initial openings (1 for an untagged device, cf. {@code max_dev_openings})
   * @param maxTags the most openings the SIM allows (its queue depth)
   */
  public DevQueue(int openings, int maxTags) {
    if (maxTags < 1) {
      throw new IllegalArgumentException("maxTags must be >= 1: " + maxTags);
    }
    this.maxTags = maxTags;
    this.openings = clampOpenings(openings);
  }

  private int clampOpenings(int n) {
    return Math.max(1, Math.min(n, maxTags));
  }

  // ---------------------------------------------------------------------------------------------
  // CCB queue

  /**
   * Hot path: true (and the CCB counts as active) when a new CCB may go to the SIM at once: nothing
   * is waiting ahead of it, the queue is not frozen and an opening is free.
   */
  public boolean tryStartNow() {
    if (frozen == 0 && active < openings && queue.isEmpty()) {
      active++;
      return true;
    }
    return false;
  }

  /** Queues a CCB that could not start (cf. {@code cam_ccbq_insert_ccb()}). */
  public void enqueue(Ccb ccb) {
    queue.add(new Pending(ccb.header().priority(), seq++, ccb));
  }

  /**
   * cf. {@code xpt_run_devq()}: the next queued CCB that may go to the SIM now (counted active), or
   * null when the queue is empty, frozen or out of openings.
   */
  public Ccb pollStartable() {
    if (frozen == 0 && active < openings && !queue.isEmpty()) {
      active++;
      return queue.poll().ccb();
    }
    return null;
  }

  /**
   * cf. {@code xpt_done()} for a CCB that was active at the SIM: applies the freeze contract and the
   * pending delayed releases, returns the openings it held.
   *
   * @return the status flag bits to OR into the completion ({@link CamStatus#DEV_QFRZN} when this
   *     completion froze the queue)
   */
  public int complete(Ccb ccb, CamStatus status) {
    if (active > 0) {
      active--;
    }
    if (allocated > 0) {
      allocated--;
    }
    int ccbFlags = ccb.header().flags();
    int statusFlags = 0;
    // cf. the SIM's error path: an error freezes the device queue unless CAM_DEV_QFRZDIS.
    if (status != CamStatus.REQ_CMP && (ccbFlags & CcbFlags.DEV_QFRZDIS) == 0) {
      frozen++;
      statusFlags = CamStatus.DEV_QFRZN;
    }
    // cf. xpt_done_process(): CAM_DEV_QFREEZE freezes after the CCB (once).
    if ((ccbFlags & CcbFlags.DEV_QFREEZE) != 0 && statusFlags == 0) {
      frozen++;
      statusFlags = CamStatus.DEV_QFRZN;
    }
    // cf. xpt_done_process(): delayed releases only fire on a completion that did not freeze.
    if (statusFlags == 0) {
      if (relOnComplete > 0) {
        int n = relOnComplete;
        relOnComplete = 0;
        release(n);
      }
      if (relOnQueueEmpty > 0 && active == 0) {
        int n = relOnQueueEmpty;
        relOnQueueEmpty = 0;
        release(n);
      }
    }
    return statusFlags;
  }

  /**
   * Removes the queued (not yet started) CCB {@code ccbId} sent with {@code replyTo}, for
   * XPT_ABORT.
   *
   * @return the CCB, or null when no such CCB is queued
   */
  public Ccb removeQueued(long ccbId, ActorRef<Ccb.Completed> replyTo) {
    Iterator<Pending> it = queue.iterator();
    while (it.hasNext()) {
      Ccb c = it.next().ccb();
      if (c.ccbId() == ccbId && c.header().replyTo().equals(replyTo)) {
        it.remove();
        return c;
      }
    }
    return null;
  }

  /** Removes every queued CCB in priority order (device lost). */
  public List<Ccb> drainQueued() {
    List<Ccb> out = new ArrayList<>(queue.size());
    Pending p;
    while ((p = queue.poll()) != null) {
      out.add(p.ccb());
    }
    return out;
  }

  /** Forgets an active CCB that will never complete through {@link #complete} (e.g. aborted). */
  public void abandonActive() {
    if (active > 0) {
      active--;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Freeze / release

  /** cf. {@code xpt_freeze_devq()}. @return the new freeze count */
  public int freeze(int count) {
    if (count > 0) {
      frozen += count;
    }
    return frozen;
  }

  /**
   * cf. {@code xpt_release_devq()}: releases up to {@code count} freezes (a release beyond the
   * count is clamped and counted, as CAM prints and clamps). @return the remaining freeze count
   */
  public int release(int count) {
    if (count > frozen) {
      overReleases += count - frozen;
      count = frozen;
    }
    if (count > 0) {
      frozen -= count;
    }
    return frozen;
  }

  /**
   * cf. {@code XPT_REL_SIMQ} in {@code xpt_action_default()}: adjusts the openings and releases
   * {@code count} freezes now or hands them to a delayed releaser. When a delayed release of the
   * same kind is already pending, this one releases at once so a single event still unfreezes the
   * queue (CAM's rule). Deviation: RELEASE_AFTER_CMDCMPLT with nothing active releases at once (no
   * completion could ever come while the queue is frozen).
   *
   * @param countOnly {@code CAM_DEV_QFREEZE} on the REL_SIMQ: release nothing now (query)
   * @return true when the caller must (re)arm the release timer ({@code RELEASE_AFTER_TIMEOUT})
   */
  public boolean releaseSimq(int releaseFlags, int newOpenings, int count, boolean countOnly) {
    if ((releaseFlags & Ccb.RelSimQ.ADJUST_OPENINGS) != 0) {
      setOpenings(newOpenings);
    }
    boolean hold = countOnly;
    boolean armTimer = false;
    if ((releaseFlags & Ccb.RelSimQ.RELEASE_AFTER_TIMEOUT) != 0) {
      if (relOnTimeout > 0) {
        hold = false; // extend the pending timer; this freeze goes now
      } else {
        relOnTimeout = count;
        hold = true;
      }
      armTimer = true;
    }
    if ((releaseFlags & Ccb.RelSimQ.RELEASE_AFTER_CMDCMPLT) != 0) {
      if (relOnComplete > 0 || active == 0) {
        hold = false;
      } else {
        relOnComplete = count;
        hold = true;
      }
    }
    if ((releaseFlags & Ccb.RelSimQ.RELEASE_AFTER_QEMPTY) != 0) {
      if (relOnQueueEmpty > 0 || active == 0) {
        hold = false;
      } else {
        relOnQueueEmpty = count;
        hold = true;
      }
    }
    if (!hold) {
      release(count);
    }
    return armTimer;
  }

  /** Drops every freeze and pending delayed release (a lost device revived for a new probe). */
  public void thaw() {
    frozen = 0;
    relOnComplete = 0;
    relOnQueueEmpty = 0;
    relOnTimeout = 0;
  }

  /** cf. {@code xpt_release_devq_timeout()}: the RELEASE_AFTER_TIMEOUT timer fired. */
  public int releaseTimeoutFired() {
    int n = relOnTimeout;
    relOnTimeout = 0;
    return release(n);
  }

  /** cf. {@code xpt_dev_ccbq_resize()}: new tag depth, clamped to 1..maxTags. */
  public void setOpenings(int n) {
    openings = clampOpenings(n);
  }

  // ---------------------------------------------------------------------------------------------
  // Allocation queue (xpt_schedule / periph_start)

  /** cf. {@code xpt_schedule()}: a periph asks for {@code count} openings at {@code priority}. */
  public void schedule(int priority, int count, ActorRef<XptDevice.Start> replyTo) {
    allocq.add(new Waiter(priority, seq++, Math.max(1, count), replyTo));
  }

  /**
   * cf. {@code xpt_run_allocq()}: the next grant, by priority, or null when no waiter can be served.
   * Out-of-band priorities ({@link CamPriority#OOB} and more urgent) get one opening even when none
   * is free.
   */
  public Grant pollGrant() {
    Waiter w = allocq.peek();
    if (w == null) {
      return null;
    }
    int free = openings - allocated;
    if (free <= 0 && w.priority() > CamPriority.OOB) {
      return null;
    }
    allocq.poll();
    int granted = free > 0 ? Math.min(w.count(), free) : 1;
    allocated += granted;
    return new Grant(w.priority(), granted, w.replyTo());
  }

  /**
   * A grant of one opening at {@code priority} now, as {@link #schedule} + {@link #pollGrant} would
   * give with no waiter ahead, without queueing a waiter: true (and the opening counts as granted)
   * when no periph waits and an opening is free (or the priority is out-of-band). Allocates
   * nothing.
   */
  public boolean grantNow(int priority) {
    if (!allocq.isEmpty()) {
      return false;
    }
    if (openings - allocated <= 0 && priority > CamPriority.OOB) {
      return false;
    }
    allocated++;
    return true;
  }

  /** Every waiter, removed (device lost: each gets {@code Start(priority, 0)}). */
  public List<Grant> drainWaiters() {
    List<Grant> out = new ArrayList<>(allocq.size());
    Waiter w;
    while ((w = allocq.poll()) != null) {
      out.add(new Grant(w.priority(), 0, w.replyTo()));
    }
    return out;
  }

  /** cf. {@code xpt_release_ccb()}: granted openings the periph will not use. */
  public void releaseOpenings(int count) {
    allocated = Math.max(0, allocated - Math.max(0, count));
  }

  // ---------------------------------------------------------------------------------------------
  // Introspection (XPT_GDEV_STATS)

  public int openings() {
    return openings;
  }

  public int maxTags() {
    return maxTags;
  }

  public int active() {
    return active;
  }

  public int queued() {
    return queue.size();
  }

  public int frozen() {
    return frozen;
  }

  public int allocated() {
    return allocated;
  }

  public int waiting() {
    return allocq.size();
  }

  public long overReleases() {
    return overReleases;
  }

  public boolean releaseTimeoutPending() {
    return relOnTimeout > 0;
  }
}
