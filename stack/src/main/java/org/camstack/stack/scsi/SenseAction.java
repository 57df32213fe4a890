package org.camstack.stack.scsi;

import org.camstack.stack.ccb.Errno;

/**
 * What error recovery should do for one sense key / ASC / ASCQ: CAM's action word {@code SS_* |
 * SSQ_* | errno} as a value.
 *
 * <p>cf. {@code scsi_sense_action}, {@code SS_NOP}, {@code SS_RETRY}, {@code SS_FAIL}, {@code
 * SS_START}, {@code SS_TUR}, {@code SSQ_DECREMENT_COUNT}, {@code SSQ_MANY}, {@code
 * SSQ_PRINT_SENSE}, {@code SSQ_UA}, {@code SSQ_RESCAN}, {@code SSQ_LOST} in
 * sys/cam/scsi/scsi_all.h.
 *
 * @param kind what to do
 * @param errno the error returned when the action fails (or when retries run out)
 * @param decrementCount the action spends one of the CCB's retries ({@code SSQ_DECREMENT_COUNT})
 * @param print the sense is worth logging ({@code SSQ_PRINT_SENSE})
 * @param unitAttention raise {@code AC_UNIT_ATTENTION} ({@code SSQ_UA})
 * @param rescan rescan the target ({@code SSQ_RESCAN}, REPORTED LUNS DATA HAS CHANGED)
 * @param lost the LU is gone: raise {@code AC_LOST_DEVICE} ({@code SSQ_LOST})
 * @param waitCount for {@link Kind#TUR}: how many TEST UNIT READYs to poll (120 with {@code
 *     SSQ_MANY}, else 1); 0 for other kinds
 * @param waitDelayMs for {@link Kind#TUR}: the delay before each poll (500 ms); 0 otherwise
 */
public record SenseAction(
    Kind kind,
    Errno errno,
    boolean decrementCount,
    boolean print,
    boolean unitAttention,
    boolean rescan,
    boolean lost,
    int waitCount,
    int waitDelayMs) {

  /** {@code SS_*}. */
  public enum Kind {
    /** No recovery needed: the command succeeded ({@code SS_NOP}). */
    NOP,
    /** Retry the command ({@code SS_RETRY}). */
    RETRY,
    /** Fail with {@link SenseAction#errno()} ({@code SS_FAIL}). */
    FAIL,
    /** Send START STOP UNIT (start), then retry ({@code SS_START}). */
    START_UNIT,
    /** Poll with TEST UNIT READY until ready, then retry ({@code SS_TUR}). */
    TUR
  }

  /** TUR polls with {@code SSQ_MANY}: 120, one every 500 ms (a minute for a disk to spin up). */
  public static final int TUR_MANY_COUNT = 120;

  public static final int TUR_DELAY_MS = 500;

  /** {@code SS_NOP}. */
  public static final SenseAction NOP = new SenseAction(Kind.NOP, Errno.EIO, false, false, false, false, false, 0, 0);

  /** {@code SS_RDEF}: retry, spending a retry, EIO when out of retries. */
  public static final SenseAction RDEF = new SenseAction(Kind.RETRY, Errno.EIO, true, true, false, false, false, 0, 0);

  public SenseAction {
    if (kind == null || errno == null) {
      throw new IllegalArgumentException("sense action needs a kind and an errno");
    }
  }

  /** {@code SS_FATAL | errno}. */
  public static SenseAction fatal(Errno errno) {
    return new SenseAction(Kind.FAIL, errno, false, true, false, false, false, 0, 0);
  }

  /** {@code SS_RETRY | SSQ_DECREMENT_COUNT | errno}. */
  public static SenseAction retry(Errno errno) {
    return new SenseAction(Kind.RETRY, errno, true, true, false, false, false, 0, 0);
  }

  /** {@code SS_START | SSQ_DECREMENT_COUNT | errno}. */
  public static SenseAction startUnit(Errno errno) {
    return new SenseAction(Kind.START_UNIT, errno, true, true, false, false, false, 0, 0);
  }

  /** {@code SS_TUR | SSQ_MANY | SSQ_DECREMENT_COUNT | errno}: poll for readiness. */
  public static SenseAction turMany(Errno errno) {
    return new SenseAction(Kind.TUR, errno, true, true, false, false, false, TUR_MANY_COUNT, TUR_DELAY_MS);
  }

  /** {@code SS_TUR | SSQ_DECREMENT_COUNT | errno}: one TEST UNIT READY. */
  public static SenseAction tur(Errno errno) {
    return new SenseAction(Kind.TUR, errno, true, true, false, false, false, 1, TUR_DELAY_MS);
  }

  public SenseAction withKind(Kind k) {
    return new SenseAction(k, errno, decrementCount, print, unitAttention, rescan, lost, k == Kind.TUR ? waitCount : 0, k == Kind.TUR ? waitDelayMs : 0);
  }

  public SenseAction withErrno(Errno e) {
    return new SenseAction(kind, e, decrementCount, print, unitAttention, rescan, lost, waitCount, waitDelayMs);
  }

  public SenseAction withDecrementCount(boolean d) {
    return new SenseAction(kind, errno, d, print, unitAttention, rescan, lost, waitCount, waitDelayMs);
  }

  public SenseAction withPrint(boolean p) {
    return new SenseAction(kind, errno, decrementCount, p, unitAttention, rescan, lost, waitCount, waitDelayMs);
  }

  /** {@code | SSQ_UA}. */
  public SenseAction withUnitAttention(boolean ua) {
    return new SenseAction(kind, errno, decrementCount, print, ua, rescan, lost, waitCount, waitDelayMs);
  }

  /** {@code | SSQ_RESCAN}. */
  public SenseAction withRescan(boolean r) {
    return new SenseAction(kind, errno, decrementCount, print, unitAttention, r, lost, waitCount, waitDelayMs);
  }

  /** {@code | SSQ_LOST}. */
  public SenseAction withLost(boolean l) {
    return new SenseAction(kind, errno, decrementCount, print, unitAttention, rescan, l, waitCount, waitDelayMs);
  }

  /** {@code SSQ_MANY}. */
  public boolean many() {
    return kind == Kind.TUR && waitCount > 1;
  }
}
