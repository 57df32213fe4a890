package org.camstack.stack.scsi;

import org.camstack.stack.ccb.Errno;

/**
 * The decision of {@link ErrorClassifier}: what the periph does with a completed CCB, plus the
 * side effects it owes. cf. the return value ({@code 0}, {@code ERESTART}, errno) and the out
 * parameters ({@code relsim_flags}, {@code openings}, {@code timeout}, {@code action}) of {@code
 * cam_periph_error()}.
 */
public sealed interface Recovery {

  Effects effects();

  /** The command succeeded (possibly after a recovered error worth printing). */
  record Success(Effects effects) implements Recovery {}

  /**
   * Re-issue the command after {@code delayMs} (CAM: release the device queue with {@code
   * RELSIM_RELEASE_AFTER_TIMEOUT}), with the CCB's retry count set to {@code retriesLeft}.
   */
  record Retry(long delayMs, int retriesLeft, Effects effects) implements Recovery {}

  /** Re-issue the command now without spending a retry ({@code CAM_REQUEUE_REQ}, bus reset, ...). */
  record Requeue(Effects effects) implements Recovery {}

  /** Give up: the command fails with {@code errno} (never {@link Errno#OK}). */
  record Fail(Errno errno, Effects effects) implements Recovery {
    public Fail {
      if (errno == null || errno.isOk()) {
        throw new IllegalArgumentException("a failure needs an errno, not " + errno);
      }
    }
  }

  /** Error recovery that must run before the original command is re-issued. */
  enum RecoveryCommand {
    NONE,
    /** START STOP UNIT (start, LOEJ when removable), cf. {@code SS_START}. */
    START_UNIT,
    /** TEST UNIT READY, {@link Effects#recoveryRetries()} times, cf. {@code SS_TUR}. */
    TEST_UNIT_READY
  }

  /**
   * Side effects of a decision.
   *
   * @param releaseQueue the completion froze the device queue ({@code CAM_DEV_QFRZN}): the receiver
   *     owes exactly one release (after {@code Retry.delayMs} when retrying)
   * @param lostDevice raise {@code AC_LOST_DEVICE} ({@code SSQ_LOST})
   * @param lostWholeTarget with {@code lostDevice}: the path's LUN is the wildcard (a selection
   *     timeout loses every LUN of the target)
   * @param rescanTarget queue an {@code XPT_SCAN_TGT} ({@code SSQ_RESCAN})
   * @param unitAttention raise {@code AC_UNIT_ATTENTION} with {@code uaAsc}/{@code uaAscq}
   * @param uaAsc the ASC of the unit attention, -1 without one
   * @param uaAscq the ASCQ of the unit attention, -1 without one
   * @param recoveryCommand recovery to run before the retry
   * @param recoveryRetries how many times the recovery command may be sent (120 for a TUR poll)
   * @param adjustOpenings QUEUE FULL: reduce the device's openings to the commands now active
   *     ({@code RELSIM_ADJUST_OPENINGS})
   * @param print the error is worth logging
   * @param reason CAM's action string ("Retrying command (per sense data)", "Retries exhausted",
   *     ...), empty for success
   */
  record Effects(
      boolean releaseQueue,
      boolean lostDevice,
      boolean lostWholeTarget,
      boolean rescanTarget,
      boolean unitAttention,
      int uaAsc,
      int uaAscq,
      RecoveryCommand recoveryCommand,
      int recoveryRetries,
      boolean adjustOpenings,
      boolean print,
      String reason) {

    public static final Effects NONE =
        new Effects(false, false, false, false, false, -1, -1, RecoveryCommand.NONE, 0, false, false, "");

    public Effects {
      if (recoveryCommand == null || reason == null) {
        throw new IllegalArgumentException("effects need a recovery command and a reason");
      }
    }

    public boolean startUnit() {
      return recoveryCommand == RecoveryCommand.START_UNIT;
    }

    public boolean testUnitReady() {
      return recoveryCommand == RecoveryCommand.TEST_UNIT_READY;
    }
  }

  // Convenience accessors on every decision.

  default boolean releaseQueue() {
    return effects().releaseQueue();
  }

  default boolean lostDevice() {
    return effects().lostDevice();
  }

  default boolean rescanTarget() {
    return effects().rescanTarget();
  }

  default boolean unitAttention() {
    return effects().unitAttention();
  }

  default boolean startUnit() {
    return effects().startUnit();
  }

  default boolean testUnitReady() {
    return effects().testUnitReady();
  }

  /** The errno {@code cam_periph_error()} would return: 0, ERESTART or the failure's errno. */
  default int errnoValue() {
    if (this instanceof Fail f) {
      return f.errno().number();
    }
    if (this instanceof Success) {
      return 0;
    }
    return Errno.ERESTART.number();
  }
}
