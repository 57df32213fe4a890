package org.camstack.stack.periph;

import java.time.Duration;
import java.util.function.Consumer;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.devfs.Errno;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.xpt.AsyncEvent;

/**
 * Runs one CCB to a final outcome with CAM's error recovery, inside a periph actor, without
 * blocking it. cf. {@code cam_periph_runccb()} and {@code cam_periph_error()} /{@code
 * camperiphdone()} in sys/cam/cam_periph.c.
 *
 * <p>On a failed completion the {@link Decision} says: retry (with or without spending one of the
 * CCB's retries, maybe after a delay), recover first with START UNIT or TEST UNIT READY and then
 * re-issue, or fail with an errno (raising AC_LOST_DEVICE / AC_UNIT_ATTENTION when the sense says
 * so). The device-queue release owed for a frozen completion ({@code CAM_DEV_QFRZN}) is always
 * paid, exactly once per frozen completion. Every issued CCB (originals, re-issues, recovery
 * commands) goes through {@link PeriphBase#action} and so completes exactly once (I6).
 */
public final class RunCcb {

  /** {@code CAM_RETRY_SELTO}: retry selection timeouts (after a delay) while retries last. */
  public static final int CAM_RETRY_SELTO = 0x02;

  /** {@code periph_selto_delay}. */
  static final int SELTO_DELAY_MS = 1000;

  /** Final outcome: the errno and the last completion of the original CCB. */
  public record Result(Errno errno, Ccb.Completed completed) {
    public boolean ok() {
      return errno == Errno.OK;
    }
  }

  /** What to do with a failed completion. cf. the action word of scsi_error_action(). */
  public enum Action {
    DONE,
    RETRY,
    START_UNIT,
    TUR
  }

  /**
   * A recovery decision.
   *
   * @param errno the errno for {@link Action#DONE}
   * @param delayMs wait before the re-issue ({@link Action#RETRY})
   * @param consume the retry spends one of the CCB's retries ({@code SSQ_DECREMENT_COUNT})
   * @param lost raise AC_LOST_DEVICE ({@code SSQ_LOST})
   * @param unitAttention raise AC_UNIT_ATTENTION ({@code SSQ_UA})
   */
  public record Decision(
      Action action, Errno errno, int delayMs, boolean consume, boolean lost, boolean unitAttention) {
    static Decision done(Errno e) {
      return new Decision(Action.DONE, e, 0, false, false, false);
    }

    static Decision retry(int delayMs, boolean consume) {
      return new Decision(Action.RETRY, Errno.OK, delayMs, consume, false, false);
    }
  }

  private final PeriphBase periph;
  private final Ccb original;
  private final int camFlags;
  private final int senseFlags;
  private final Consumer<Result> done;
  private int retriesLeft;
  private int turLeft;
  private boolean finished;

  private RunCcb(PeriphBase periph, Ccb ccb, int camFlags, int senseFlags, Consumer<Result> done) {
    this.periph = periph;
    this.original = ccb;
    this.camFlags = camFlags;
    this.senseFlags = senseFlags;
    this.done = done;
    this.retriesLeft = ccb.header().retryCount();
  }

  /**
   * Issues {@code ccb} (built with the periph's {@link PeriphBase#header}) and calls {@code done}
   * once with the final outcome.
   *
   * @param camFlags {@link #CAM_RETRY_SELTO}
   * @param senseFlags {@code SF_*} of {@link CcbFlags}
   */
  public static void run(
      PeriphBase periph, Ccb ccb, int camFlags, int senseFlags, Consumer<Result> done) {
    new RunCcb(periph, ccb, camFlags, senseFlags, done).issue(ccb);
  }

  private void issue(Ccb ccb) {
    periph.action(ccb, this::onComplete);
  }

  private void reissue() {
    Ccb.Header h = original.header();
    Ccb again =
        Ccbs.withHeader(original, periph.header(h.priority(), h.flags(), h.timeoutMs(), retriesLeft));
    issue(again);
  }

  private void onComplete(Ccb.Completed c) {
    if (c.isOk() || nonError(c)) {
      owedRelease(c);
      finish(Errno.OK, c);
      return;
    }
    Decision d = classify(c, camFlags, senseFlags, retriesLeft, periph.isInvalid());
    if (d.unitAttention()) {
      periph.raiseAsync(new AsyncEvent.UnitAttention(c.ccb().path(), Sense.asc(c.sense()), Sense.ascq(c.sense())));
    }
    switch (d.action()) {
      case RETRY -> {
        if (d.consume()) {
          retriesLeft--;
        }
        owedRelease(c);
        if (d.delayMs() > 0) {
          periph.later(Duration.ofMillis(d.delayMs()), this::reissue);
        } else {
          reissue();
        }
      }
      case START_UNIT, TUR -> {
        owedRelease(c);
        recover(d.action(), c);
      }
      default -> {
        owedRelease(c);
        if (d.lost()) {
          periph.raiseAsync(new AsyncEvent.LostDevice(c.ccb().path()));
        }
        finish(d.errno(), c);
      }
    }
  }

  /** SCSI status GOOD-like answers reported as SCSI_STATUS_ERROR count as success. */
  private static boolean nonError(Ccb.Completed c) {
    if (c.status() != CamStatus.SCSI_STATUS_ERROR) {
      return false;
    }
    int s = c.scsiStatus();
    return s == ScsiStatus.GOOD || s == ScsiStatus.COND_MET || s == ScsiStatus.INTERMED
        || s == ScsiStatus.INTERMED_COND_MET;
  }

  private void owedRelease(Ccb.Completed c) {
    if (c.devQueueFrozen()) {
      periph.releaseDevq(); // cf. cam_release_devq(path, 0, 0, 0, FALSE)
    }
  }

  /**
   * cf. the SS_START / SS_TUR branch of cam_periph_error() and camperiphdone(): a recovery CCB
   * ahead of normal I/O, then the original again.
   */
  private void recover(Action what, Ccb.Completed failed) {
    if (what == Action.TUR && turLeft == 0) {
      turLeft = 120; // SSQ_MANY
    }
    ByteString cdb =
        what == Action.START_UNIT
            ? ByteString.fromArray(
                new byte[] {0x1b, 0, 0, 0, (byte) (periph.info.removable() ? 0x03 : 0x01), 0})
            : ByteString.fromArray(new byte[6]);
    Ccb.ScsiIo rec =
        new Ccb.ScsiIo(
            periph.header(CamPriority.OOB, CcbFlags.DIR_NONE, 60_000, 0), cdb, ByteString.emptyByteString(), 0);
    periph.action(
        rec,
        r -> {
          owedRelease(r);
          if (r.isOk() || nonError(r)) {
            turLeft = 0;
            reissue();
          } else if (what == Action.TUR && --turLeft > 0 && !periph.isInvalid()) {
            periph.later(Duration.ofMillis(500), () -> recover(Action.TUR, failed));
          } else {
            finish(Errno.EIO, failed);
          }
        });
  }

  private void finish(Errno e, Ccb.Completed c) {
    if (finished) {
      throw new IllegalStateException("ccb run finished twice");
    }
    finished = true;
    done.accept(new Result(e, c));
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * cf. cam_periph_error(): what to do with a failed completion.
   *
   * @param retriesLeft the CCB's retries still available
   * @param invalid the periph is invalid (no more retries: "Periph was invalidated")
   */
  public static Decision classify(
      Ccb.Completed c, int camFlags, int senseFlags, int retriesLeft, boolean invalid) {
    Decision d = classifyRaw(c, camFlags, senseFlags, retriesLeft, invalid);
    if (d.action() == Action.RETRY && (senseFlags & CcbFlags.SF_NO_RETRY) != 0) {
      return Decision.done(d.errno() == Errno.OK ? Errno.EIO : d.errno());
    }
    if ((d.action() == Action.START_UNIT || d.action() == Action.TUR)
        && (senseFlags & CcbFlags.SF_NO_RECOVERY) != 0) {
      return Decision.done(Errno.EIO);
    }
    return d;
  }

  private static Decision classifyRaw(
      Ccb.Completed c, int camFlags, int senseFlags, int retriesLeft, boolean invalid) {
    switch (c.status()) {
      case REQ_CMP:
        return Decision.done(Errno.OK);
      case SCSI_STATUS_ERROR:
        return scsiStatusError(c, senseFlags, retriesLeft, invalid);
      case SEL_TIMEOUT:
        if ((camFlags & CAM_RETRY_SELTO) != 0 && retriesLeft > 0 && !invalid) {
          return Decision.retry(SELTO_DELAY_MS, true);
        }
        return new Decision(Action.DONE, Errno.ENXIO, 0, false, true, false);
      case DEV_NOT_THERE:
        return new Decision(Action.DONE, Errno.ENXIO, 0, false, true, false);
      case REQ_INVALID, PATH_INVALID, NO_HBA, PROVIDE_FAIL, REQ_TOO_BIG, LUN_INVALID, TID_INVALID,
          FUNC_NOTAVAIL:
        return Decision.done(Errno.EINVAL);
      case SCSI_BUS_RESET, BDR_SENT, REQUEUE_REQ:
        return invalid ? Decision.done(Errno.EIO) : Decision.retry(0, false);
      case REQ_ABORTED:
        return Decision.done(Errno.EIO);
      case RESRC_UNAVAIL, BUSY:
        return retriesLeft > 0 && !invalid ? Decision.retry(500, true) : Decision.done(Errno.EIO);
      default:
        return retriesLeft > 0 && !invalid ? Decision.retry(0, true) : Decision.done(Errno.EIO);
    }
  }

  /** cf. camperiphscsistatuserror(). */
  private static Decision scsiStatusError(
      Ccb.Completed c, int senseFlags, int retriesLeft, boolean invalid) {
    switch (c.scsiStatus()) {
      case ScsiStatus.CHECK_COND, ScsiStatus.CMD_TERMINATED:
        if (!c.autosenseValid() && c.sense().isEmpty()) {
          return retriesLeft > 0 && !invalid ? Decision.retry(0, true) : Decision.done(Errno.EIO);
        }
        return senseError(c.sense(), senseFlags, retriesLeft, invalid);
      case ScsiStatus.QUEUE_FULL, ScsiStatus.BUSY:
        return retriesLeft > 0 && !invalid ? Decision.retry(c.scsiStatus() == ScsiStatus.BUSY ? 1000 : 0, true)
            : Decision.done(Errno.EIO);
      default:
        return Decision.done(Errno.EIO);
    }
  }

  /** cf. camperiphscsisenseerror() with scsi_error_action()'s table, the cases periphs meet. */
  private static Decision senseError(ByteString sense, int senseFlags, int retriesLeft, boolean invalid) {
    int key = Sense.key(sense);
    int asc = Sense.asc(sense);
    int ascq = Sense.ascq(sense);
    boolean canRetry = retriesLeft > 0 && !invalid;
    switch (key) {
      case Sense.NO_SENSE, Sense.RECOVERED_ERROR, Sense.COMPLETED:
        return Decision.done(Errno.OK);
      case Sense.NOT_READY:
        if (asc == 0x04 && ascq == 0x01) {
          return new Decision(Action.TUR, Errno.EBUSY, 0, false, false, false);
        }
        if (asc == 0x04 && ascq == 0x02) {
          return new Decision(Action.START_UNIT, Errno.ENXIO, 0, false, false, false);
        }
        if (asc == 0x3a) {
          return Decision.done(Errno.ENXIO);
        }
        return canRetry ? Decision.retry(0, true) : Decision.done(Errno.EIO);
      case Sense.UNIT_ATTENTION:
        if (asc == 0x3f && ascq == 0x0e) {
          return canRetry
              ? new Decision(Action.RETRY, Errno.OK, 0, true, false, true)
              : new Decision(Action.DONE, Errno.EIO, 0, false, false, true);
        }
        if ((senseFlags & CcbFlags.SF_RETRY_UA) != 0 && canRetry) {
          return new Decision(Action.RETRY, Errno.OK, 0, true, false, true);
        }
        return new Decision(Action.DONE, Errno.ENXIO, 0, false, false, true);
      case Sense.ILLEGAL_REQUEST:
        if (asc == 0x25 && ascq == 0x00) {
          return new Decision(Action.DONE, Errno.ENXIO, 0, false, true, false);
        }
        return Decision.done(Errno.EINVAL);
      case Sense.DATA_PROTECT:
        return Decision.done(Errno.EACCES);
      case Sense.BLANK_CHECK:
        return Decision.done(Errno.ENOSPC);
      case Sense.MEDIUM_ERROR:
        if (asc == 0x11) {
          return Decision.done(Errno.EIO);
        }
        return canRetry ? Decision.retry(0, true) : Decision.done(Errno.EIO);
      case Sense.HARDWARE_ERROR, Sense.ABORTED_COMMAND:
        return canRetry ? Decision.retry(0, true) : Decision.done(Errno.EIO);
      default:
        return Decision.done(Errno.EIO);
    }
  }
}
