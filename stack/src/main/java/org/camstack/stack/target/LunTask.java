package org.camstack.stack.target;

import java.util.concurrent.atomic.AtomicBoolean;
import org.camstack.stack.scsi.ScsiResponse;

/**
 * One command a frontend started on a LUN with {@link EmuDevice#start} and completes later (e.g.
 * after the response's {@link ScsiResponse#delayNanos()}): while it is not completed the LUN, if
 * removed, is not freed and its number is not reused on its target. {@link #complete()} exactly
 * once; a second call is a broken invariant and throws.
 *
 * <p>cf. the reference a CTL {@code ctl_io} holds on its LUN until {@code ctl_done()}.
 */
public final class LunTask {
  private final ScsiResponse response;
  private final LunLifetime life; // null: holds no reference (the LUN was gone)
  private final long id; // as reported to the LUN's LunEvents (0: not traced)
  private final AtomicBoolean done = new AtomicBoolean();

  LunTask(ScsiResponse response, LunLifetime life) {
    this(response, life, 0);
  }

  LunTask(ScsiResponse response, LunLifetime life, long id) {
    this.response = response;
    this.life = life;
    this.id = id;
  }

  /** The LUN's answer (a LUN removed before the task started answers LOGICAL UNIT NOT SUPPORTED). */
  public ScsiResponse response() {
    return response;
  }

  /** Is it completed? */
  public boolean isCompleted() {
    return done.get();
  }

  /**
   * The frontend delivered (or dropped) the answer: releases the LUN.
   *
   * @throws IllegalStateException when already completed
   */
  public void complete() {
    if (!done.compareAndSet(false, true)) {
      throw new IllegalStateException("task completed twice");
    }
    if (life != null) {
      life.completed(id);
    }
  }
}
