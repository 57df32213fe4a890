package org.camstack.stack.target;

/**
 * The target layer's lifetime hook (cf. CTL's {@code ctl_add_lun()}, {@code ctl_remove_lun()},
 * {@code ctl_free_lun()} and a {@code ctl_io}'s queueing and {@code ctl_done()}): where LUNs report
 * the steps of their target-side lifetime. The node wires it to the one lifetime checker and event
 * model (the stack's boot adapts it to {@code persistence.audit.LifetimeListener}); the target layer
 * itself never sees that model. Called from frontend and control-plane threads, possibly
 * concurrently: implementations must be thread-safe and must not block.
 *
 * <p>A LUN is named by its target ({@code target}, e.g. {@code b0:t1}), its number and its {@code
 * incarnation} on that target (a per-target sequence number: a LUN plugged again with the same
 * number is a new incarnation). A task is named by a per-incarnation sequence number. Every step is
 * reported before its effect (a task's completion before the release that may free the LUN).
 */
public interface LunEvents {

  /** Reports nothing. */
  LunEvents NONE = new LunEvents() {
    @Override
    public boolean tracesTasks() {
      return false;
    }

    @Override
    public void lunAdded(String target, long lun, long incarnation) {}

    @Override
    public void lunRemoved(String target, long lun, long incarnation, int tasksInFlight) {}

    @Override
    public void lunFreed(String target, long lun, long incarnation) {}

    @Override
    public void taskStarted(String target, long lun, long incarnation, long task) {}

    @Override
    public void taskCompleted(String target, long lun, long incarnation, long task) {}
  };

  /**
   * Whether per-task steps are wanted (one pair per command a frontend started with {@link
   * EmuDevice#start}; commands run with {@code execute} begin and end inside one call and are not
   * reported).
   */
  default boolean tracesTasks() {
    return true;
  }

  /** cf. {@code ctl_add_lun()}: the LUN is published on its target (or the target was published). */
  void lunAdded(String target, long lun, long incarnation);

  /** cf. {@code ctl_remove_lun()}: unpublished; {@code tasksInFlight} still hold it. */
  void lunRemoved(String target, long lun, long incarnation, int tasksInFlight);

  /** cf. {@code ctl_free_lun()}: removed and its last task completed; the number is free again. */
  void lunFreed(String target, long lun, long incarnation);

  /** cf. {@code ctl_queue()} admitting a {@code ctl_io}: a frontend started task {@code task}. */
  void taskStarted(String target, long lun, long incarnation, long task);

  /** cf. {@code ctl_done()}: the frontend completed task {@code task} (answered or aborted). */
  void taskCompleted(String target, long lun, long incarnation, long task);
}
