package org.camstack.stack.target;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The target-side lifetime of one logical unit (cf. CTL's {@code ctl_free_lun()} run when the last
 * I/O of a LUN marked for removal completes): a count of the tasks in flight on it (executing, or
 * answered with a delay the frontend has not completed yet), a removed flag, and the freed state
 * reached exactly once, when the LUN is removed and its last task completed.
 *
 * <p>A task is {@link #acquire}d before it runs and {@link #release}d when its frontend completes
 * it; once the LUN is removed no task is admitted any more. Lock-free on the command path: one
 * atomic increment and one decrement per task.
 */
final class LunLifetime {
  private static final int REMOVED = 1 << 30;

  private final AtomicInteger state = new AtomicInteger(); // REMOVED bit | tasks in flight
  private final AtomicBoolean freed = new AtomicBoolean();
  private final List<Runnable> onFreed = new ArrayList<>(); // guarded by this
  private final AtomicLong taskIds = new AtomicLong();
  // where the steps are reported (set by the target when it is published; kept after removal)
  private volatile LunEvents events = LunEvents.NONE;
  private volatile String target = "";
  private volatile long lun;
  private volatile long incarnation;

  /** Reports this LUN's steps to {@code e} as {@code lun} incarnation {@code inc} of {@code target}. */
  void hook(LunEvents e, String target, long lun, long inc) {
    this.target = target;
    this.lun = lun;
    this.incarnation = inc;
    this.events = e == null ? LunEvents.NONE : e;
  }

  long incarnation() {
    return incarnation;
  }

  /** An admitted task's id (reported as started), or 0 when tasks are not traced. */
  long started() {
    LunEvents e = events;
    if (!e.tracesTasks()) {
      return 0;
    }
    long id = taskIds.incrementAndGet();
    e.taskStarted(target, lun, incarnation, id);
    return id;
  }

  /** Task {@code id} (from {@link #started()}) completed: reported, then {@link #release()}d. */
  void completed(long id) {
    if (id != 0) {
      events.taskCompleted(target, lun, incarnation, id);
    }
    release();
  }

  /** Reports the removal (before {@link #markRemoved()}, which may free the LUN at once). */
  void reportRemoved() {
    events.lunRemoved(target, lun, incarnation, inFlight());
  }

  /** Admits one task; false (nothing held) when the LUN is removed. */
  boolean acquire() {
    int s = state.getAndIncrement();
    if ((s & REMOVED) != 0) {
      release();
      return false;
    }
    return true;
  }

  /** One admitted task completed; the last one of a removed LUN frees it. */
  void release() {
    int s = state.decrementAndGet();
    if (s == REMOVED) {
      free();
    } else if ((s & ~REMOVED) < 0) {
      throw new IllegalStateException("lun released more tasks than it admitted");
    }
  }

  /** Marks the LUN removed (no new task is admitted); frees it now when nothing is in flight. */
  void markRemoved() {
    int s;
    do {
      s = state.get();
      if ((s & REMOVED) != 0) {
        return;
      }
    } while (!state.compareAndSet(s, s | REMOVED));
    if (s == 0) {
      free();
    }
  }

  boolean isRemoved() {
    return (state.get() & REMOVED) != 0;
  }

  boolean isFreed() {
    return freed.get();
  }

  /** Tasks in flight now. */
  int inFlight() {
    return state.get() & ~REMOVED;
  }

  /** Runs {@code r} once the LUN is freed (now, on this thread, if it is already). */
  void whenFreed(Runnable r) {
    synchronized (this) {
      if (!freed.get()) {
        onFreed.add(r);
        return;
      }
    }
    r.run();
  }

  private void free() {
    List<Runnable> todo;
    synchronized (this) {
      if (!freed.compareAndSet(false, true)) {
        return;
      }
      todo = List.copyOf(onFreed);
      onFreed.clear();
    }
    events.lunFreed(target, lun, incarnation);
    todo.forEach(Runnable::run);
  }
}
