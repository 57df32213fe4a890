package org.camstack.stack.scsi;

import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.scsi.Recovery.Effects;
import org.camstack.stack.scsi.Recovery.RecoveryCommand;

/**
 * The periph error policy as a pure function: (CAM status, SCSI status, sense, sense flags, retries
 * left) &rarr; {@link Recovery}. It decides; the caller acts (re-sends the CCB with the new retry
 * count, releases the queue it owes, raises the async events, runs START UNIT / TUR recovery).
 *
 * <p>cf. {@code cam_periph_error()}, {@code camperiphscsistatuserror()}, {@code
 * camperiphscsisenseerror()} in sys/cam/cam_periph.c and {@code scsi_error_action()} in
 * sys/cam/scsi/scsi_all.c (2012-post behaviour: SSQ_UA / SSQ_RESCAN / SSQ_LOST present).
 */
public final class ErrorClassifier {
  private ErrorClassifier() {}

  /** {@code cam_flags}: {@code CAM_EXPECT_INQ_CHANGE}. */
  public static final int CAM_EXPECT_INQ_CHANGE = 0x01;
  /** {@code cam_flags}: retry a selection timeout ({@code CAM_RETRY_SELTO}). */
  public static final int CAM_RETRY_SELTO = 0x02;

  /** {@code periph_selto_delay}. */
  public static final long SELTO_DELAY_MS = 1000;
  /** {@code periph_busy_delay} (CAM_BUSY). */
  public static final long BUSY_DELAY_MS = 500;
  /** {@code periph_noresrc_delay} (CAM_RESRC_UNAVAIL). */
  public static final long NORESRC_DELAY_MS = 500;
  /** SCSI status BUSY: release the queue after one second. */
  public static final long SCSI_BUSY_DELAY_MS = 1000;
  /** Delay before a TUR poll / a retry that replaces a recursive recovery. */
  public static final long TUR_DELAY_MS = SenseAction.TUR_DELAY_MS;

  /**
   * What the periph knows beyond the CCB.
   *
   * @param camFlags {@code cam_flags} ({@link #CAM_RETRY_SELTO})
   * @param periphInvalid the periph was invalidated: no more retries ({@code
   *     CAM_PERIPH_INVALID})
   * @param recoveryInProgress another CCB's START UNIT / TUR recovery is running ({@code
   *     CAM_PERIPH_RECOVERY_INPROG}): failing CCBs are requeued unconditionally
   * @param recoveryCcb the completed CCB is itself a recovery command (avoids recursion)
   * @param deviceType peripheral device type (tapes are never auto-started); -1 unknown
   * @param devActive commands active on the device (QUEUE FULL with others active only shrinks
   *     the openings; with none it is treated as BUSY)
   */
  public record Context(
      int camFlags,
      boolean periphInvalid,
      boolean recoveryInProgress,
      boolean recoveryCcb,
      int deviceType,
      int devActive) {

    public static final Context DEFAULT = new Context(0, false, false, false, -1, 0);

    public Context withCamFlags(int flags) {
      return new Context(flags, periphInvalid, recoveryInProgress, recoveryCcb, deviceType, devActive);
    }

    public Context withPeriphInvalid(boolean invalid) {
      return new Context(camFlags, invalid, recoveryInProgress, recoveryCcb, deviceType, devActive);
    }

    public Context withRecoveryInProgress(boolean inProgress) {
      return new Context(camFlags, periphInvalid, inProgress, recoveryCcb, deviceType, devActive);
    }

    public Context withRecoveryCcb(boolean isRecovery) {
      return new Context(camFlags, periphInvalid, recoveryInProgress, isRecovery, deviceType, devActive);
    }

    public Context withDeviceType(int type) {
      return new Context(camFlags, periphInvalid, recoveryInProgress, recoveryCcb, type, devActive);
    }

    public Context withDevActive(int active) {
      return new Context(camFlags, periphInvalid, recoveryInProgress, recoveryCcb, deviceType, active);
    }
  }

  private static final Recovery SUCCESS = new Recovery.Success(new Fx(false, 0).build());
  private static final Recovery SUCCESS_RELEASE = new Recovery.Success(new Fx(true, 0).build());

  /** {@link #classify(Ccb.Completed, int, int, Context)} with {@link Context#DEFAULT}. */
  public static Recovery classify(Ccb.Completed done, int senseFlags, int retriesLeft) {
    return classify(done, senseFlags, retriesLeft, Context.DEFAULT);
  }

  /**
   * Classifies one completion.
   *
   * @param done the completion
   * @param senseFlags {@code SF_*} bits of {@link CcbFlags}
   * @param retriesLeft the CCB's remaining {@code retry_count}
   * @param ctx periph state the decision depends on
   */
  public static Recovery classify(Ccb.Completed done, int senseFlags, int retriesLeft, Context ctx) {
    if (done.status() == CamStatus.REQ_CMP) {
      // the data path's verdict: shared (records are values), nothing allocated per CCB
      return done.devQueueFrozen() ? SUCCESS_RELEASE : SUCCESS;
    }
    Fx fx = new Fx(done.devQueueFrozen(), senseFlags);
    int retries = Math.max(0, retriesLeft);
    switch (done.status()) {
      case REQ_CMP:
        return new Recovery.Success(fx.build());
      case SCSI_STATUS_ERROR:
        return scsiStatusError(done, senseFlags, retries, ctx, fx);
      case AUTOSENSE_FAIL, UA_ABORT, UA_TERMIO, MSG_REJECT_REC:
        return fail(Errno.EIO, fx.print(true), "");
      case SEL_TIMEOUT:
        if ((ctx.camFlags() & CAM_RETRY_SELTO) != 0) {
          if (retries > 0 && !ctx.periphInvalid()) {
            return new Recovery.Retry(SELTO_DELAY_MS, retries - 1, fx.build());
          }
          fx.reason = "Retries exhausted";
        }
        fx.lostDevice = true;
        fx.lostWholeTarget = true;
        return new Recovery.Fail(Errno.ENXIO, fx.print(false).build());
      case DEV_NOT_THERE:
        fx.lostDevice = true;
        return new Recovery.Fail(Errno.ENXIO, fx.print(false).build());
      case REQ_INVALID, PATH_INVALID, NO_HBA, PROVIDE_FAIL, REQ_TOO_BIG, LUN_INVALID, TID_INVALID,
          FUNC_NOTAVAIL:
        return fail(Errno.EINVAL, fx.print(true), "");
      case SCSI_BUS_RESET, BDR_SENT, REQUEUE_REQ:
        if (ctx.periphInvalid()) {
          return fail(Errno.EIO, fx, "Periph was invalidated");
        }
        if ((senseFlags & CcbFlags.SF_NO_RETRY) != 0) {
          return fail(Errno.EIO, fx, "Retry was blocked");
        }
        return new Recovery.Requeue(fx.build());
      case RESRC_UNAVAIL:
        return retryDefault(NORESRC_DELAY_MS, senseFlags, retries, ctx, fx);
      case BUSY:
        return retryDefault(BUSY_DELAY_MS, senseFlags, retries, ctx, fx);
      default:
        // CMD_TIMEOUT, REQ_CMP_ERR, UNEXP_BUSFREE, UNCOR_PARITY, DATA_RUN_ERR, REQ_ABORTED, ...
        return retryDefault(0, senseFlags, retries, ctx, fx);
    }
  }

  /** The default case of cam_periph_error(): retry while retries last, else EIO. */
  private static Recovery retryDefault(long delayMs, int senseFlags, int retries, Context ctx, Fx fx) {
    if (ctx.periphInvalid()) {
      return fail(Errno.EIO, fx.print(true), "Periph was invalidated");
    }
    if (retries == 0) {
      return fail(Errno.EIO, fx.print(true), "Retries exhausted");
    }
    if ((senseFlags & CcbFlags.SF_NO_RETRY) != 0) {
      return fail(Errno.EIO, fx.print(true), "Retry was blocked");
    }
    fx.reason = "Retrying command";
    return new Recovery.Retry(delayMs, retries - 1, fx.print(false).build());
  }

  /** cf. camperiphscsistatuserror(). */
  private static Recovery scsiStatusError(
      Ccb.Completed done, int senseFlags, int retries, Context ctx, Fx fx) {
    switch (done.scsiStatus()) {
      case ScsiStatus.GOOD, ScsiStatus.COND_MET, ScsiStatus.INTERMED, ScsiStatus.INTERMED_COND_MET:
        return new Recovery.Success(fx.build());
      case ScsiStatus.CHECK_COND, ScsiStatus.CMD_TERMINATED:
        return senseError(done, senseFlags, retries, ctx, fx);
      case ScsiStatus.QUEUE_FULL:
        if (ctx.devActive() > 0) {
          // shrink the openings to what the device holds now; no retry spent
          fx.adjustOpenings = true;
          fx.reason = "Queue full";
          return new Recovery.Requeue(fx.build());
        }
        return scsiBusy(senseFlags, retries, ctx, fx);
      case ScsiStatus.BUSY:
        return scsiBusy(senseFlags, retries, ctx, fx);
      case ScsiStatus.RESERV_CONFLICT:
        return fail(Errno.EIO, fx.print(true), "Reservation conflict");
      default:
        return fail(Errno.EIO, fx.print(true), "");
    }
  }

  private static Recovery scsiBusy(int senseFlags, int retries, Context ctx, Fx fx) {
    if (ctx.periphInvalid()) {
      return fail(Errno.EIO, fx.print(true), "Periph was invalidated");
    }
    boolean retryBusy = (senseFlags & CcbFlags.SF_RETRY_BUSY) != 0;
    if (retryBusy || retries > 0) {
      fx.reason = "Device busy";
      fx.print(false);
      return new Recovery.Retry(SCSI_BUSY_DELAY_MS, retryBusy ? retries : retries - 1, fx.build());
    }
    return fail(Errno.EIO, fx.print(true), "Retries exhausted");
  }

  /** cf. camperiphscsisenseerror() + scsi_error_action(). */
  private static Recovery senseError(
      Ccb.Completed done, int senseFlags, int retries, Context ctx, Fx fx) {
    if (ctx.recoveryInProgress() && !ctx.recoveryCcb()) {
      fx.reason = "Error recovery in progress";
      return new Recovery.Requeue(fx.build());
    }
    ByteString sense = done.sense();
    SenseAction act;
    if (!done.autosenseValid() || Sense.key(sense) < 0) {
      // no sense to go by: just retry
      act = SenseAction.retry(Errno.EIO);
      if ((senseFlags & CcbFlags.SF_NO_RETRY) != 0) {
        act = act.withKind(SenseAction.Kind.FAIL);
      }
    } else {
      int key = Sense.key(sense);
      int asc = Sense.asc(sense);
      int ascq = Sense.ascq(sense);
      act = SenseTables.errorAction(key, asc, ascq, senseFlags);
      if (act.unitAttention()) {
        fx.unitAttention = true;
        fx.uaAsc = asc;
        fx.uaAscq = ascq;
      }
      fx.rescanTarget = act.rescan();
      fx.lostDevice = act.lost();
    }
    fx.printSense(act.print());

    if (act.kind() == SenseAction.Kind.START_UNIT && ctx.deviceType() == DeviceInfo.T_SEQUENTIAL) {
      return fail(act.errno(), fx, "Will not autostart a sequential access device");
    }
    long delay = 0;
    if (ctx.recoveryCcb() && isSameRecovery(act.kind(), done)) {
      // the recovery command itself failed the same way: plain delayed retry, no recursion
      act = SenseAction.retry(Errno.EIO).withPrint(act.print());
      delay = TUR_DELAY_MS;
    }
    int newRetries = retries;
    if (act.decrementCount()) {
      if (ctx.periphInvalid()) {
        return fail(act.errno(), fx, "Periph was invalidated");
      }
      if (retries == 0) {
        return fail(act.errno(), fx, "Retries exhausted");
      }
      newRetries = retries - 1;
    }
    switch (act.kind()) {
      case NOP:
        fx.reason = fx.print ? "No recovery action needed" : "";
        return new Recovery.Success(fx.build());
      case RETRY:
        fx.reason = "Retrying command (per sense data)";
        return new Recovery.Retry(delay, newRetries, fx.build());
      case FAIL:
        return fail(act.errno(), fx, "Unretryable error");
      case START_UNIT:
        fx.recoveryCommand = RecoveryCommand.START_UNIT;
        fx.recoveryRetries = 1;
        fx.reason = "Attempting to start unit";
        return new Recovery.Retry(0, newRetries, fx.build());
      case TUR:
        fx.recoveryCommand = RecoveryCommand.TEST_UNIT_READY;
        fx.recoveryRetries = act.waitCount();
        fx.reason = act.many() ? "Polling device for readiness" : "Testing device for readiness";
        return new Recovery.Retry(act.waitDelayMs(), newRetries, fx.build());
      default:
        throw new IllegalStateException("unhandled sense action " + act.kind());
    }
  }

  private static boolean isSameRecovery(SenseAction.Kind kind, Ccb.Completed done) {
    if (!(done.ccb() instanceof Ccb.ScsiIo io)) {
      return false;
    }
    return (kind == SenseAction.Kind.START_UNIT && io.opcode() == Opcodes.START_STOP_UNIT)
        || (kind == SenseAction.Kind.TUR && io.opcode() == Opcodes.TEST_UNIT_READY);
  }

  private static Recovery fail(Errno errno, Fx fx, String reason) {
    fx.reason = reason;
    return new Recovery.Fail(errno, fx.build());
  }

  /** Mutable collector for {@link Effects} while one decision is made. */
  private static final class Fx {
    final boolean releaseQueue;
    final int senseFlags;
    boolean lostDevice;
    boolean lostWholeTarget;
    boolean rescanTarget;
    boolean unitAttention;
    int uaAsc = -1;
    int uaAscq = -1;
    RecoveryCommand recoveryCommand = RecoveryCommand.NONE;
    int recoveryRetries;
    boolean adjustOpenings;
    boolean print;
    String reason = "";

    Fx(boolean releaseQueue, int senseFlags) {
      this.releaseQueue = releaseQueue;
      this.senseFlags = senseFlags;
    }

    Fx print(boolean p) {
      printSense(p);
      return this;
    }

    /** SF_PRINT_ALWAYS forces printing, SF_NO_PRINT suppresses it. */
    void printSense(boolean p) {
      if ((senseFlags & CcbFlags.SF_NO_PRINT) != 0) {
        print = false;
      } else {
        print = p || (senseFlags & CcbFlags.SF_PRINT_ALWAYS) != 0;
      }
    }

    Effects build() {
      return new Effects(
          releaseQueue,
          lostDevice,
          lostWholeTarget,
          rescanTarget,
          unitAttention,
          uaAsc,
          uaAscq,
          recoveryCommand,
          recoveryRetries,
          adjustOpenings,
          print,
          reason);
    }
  }
}
