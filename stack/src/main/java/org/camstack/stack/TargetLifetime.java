package org.camstack.stack;

import org.camstack.persistence.audit.LifetimeListener;
import org.camstack.stack.lifetime.Lifetime;
import org.camstack.stack.target.LunEvents;

/**
 * Connects the target layer's lifetime hook ({@link LunEvents}) to the one lifetime event model
 * and its listeners (the checker, the journal): the target layer never sees {@code
 * persistence.audit}; the boot, which sees both, adapts one to the other. Per-task steps go only
 * to a listener that traces per-I/O events ({@link LifetimeListener#tracesCcbs()}, e.g. the
 * checker).
 */
public final class TargetLifetime implements LunEvents {
  private final LifetimeListener listener;
  private final boolean tasks;

  private TargetLifetime(LifetimeListener listener) {
    this.listener = listener;
    this.tasks = listener.tracesCcbs();
  }

  /** The hook for {@code listener}; {@link LunEvents#NONE} for none. */
  public static LunEvents of(LifetimeListener listener) {
    return listener == null || listener == LifetimeListener.NOOP ? LunEvents.NONE : new TargetLifetime(listener);
  }

  @Override
  public boolean tracesTasks() {
    return tasks;
  }

  @Override
  public void lunAdded(String target, long lun, long incarnation) {
    listener.onEvent(Lifetime.lunAdded(target, lun, incarnation));
  }

  @Override
  public void lunRemoved(String target, long lun, long incarnation, int tasksInFlight) {
    listener.onEvent(Lifetime.lunRemoved(target, lun, incarnation, tasksInFlight));
  }

  @Override
  public void lunFreed(String target, long lun, long incarnation) {
    listener.onEvent(Lifetime.lunFreed(target, lun, incarnation));
  }

  @Override
  public void taskStarted(String target, long lun, long incarnation, long task) {
    if (tasks) {
      listener.onEvent(Lifetime.lunTaskStarted(target, lun, incarnation, task));
    }
  }

  @Override
  public void taskCompleted(String target, long lun, long incarnation, long task) {
    if (tasks) {
      listener.onEvent(Lifetime.lunTaskCompleted(target, lun, incarnation, task));
    }
  }
}
