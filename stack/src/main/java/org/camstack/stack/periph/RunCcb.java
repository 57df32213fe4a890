package org.camstack.stack.periph;

import java.time.Duration;
import java.util.function.Consumer;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.scsi.Cdbs;
import org.camstack.stack.scsi.ErrorClassifier;
import org.camstack.stack.scsi.Recovery;
import org.camstack.stack.xpt.AsyncEvent;

/**
 * Runs one CCB to a final outcome with CAM's error recovery, inside a periph actor, without
 * blocking it. cf. {@code cam_periph_runccb()} and the acting half of {@code cam_periph_error()} /
 * {@code camperiphdone()} in sys/cam/cam_periph.c; the deciding half is {@link ErrorClassifier}.
 *
 * <p>On a failed completion the {@link Recovery} says: re-issue (after a delay, with the new retry
 * count), requeue, run START UNIT or TEST UNIT READY first and then re-issue, or fail with an
 * errno. Side effects are raised through the XPT (AC_LOST_DEVICE, AC_UNIT_ATTENTION, a target
 * rescan). The device-queue release owed for a frozen completion ({@code CAM_DEV_QFRZN}) is paid
 * exactly once per frozen completion, after the delay when retrying. Every CCB sent (originals,
 * re-issues, recovery commands) goes through {@link PeriphBase#action} and so completes exactly
 * once (I6).
 */
public final class RunCcb {

  /** {@code CAM_RETRY_SELTO}: retry selection timeouts (after a delay) while retries last. */
  public static final int CAM_RETRY_SELTO = ErrorClassifier.CAM_RETRY_SELTO;

  /** Final outcome: the errno and the last completion of the original CCB. */
  public record Result(Errno errno, Ccb.Completed completed) {
    public boolean ok() {
      return errno == Errno.OK;
    }
  }

  private final PeriphBase periph;
  private final Ccb original;
  private final int camFlags;
  private final int senseFlags;
  private final Consumer<Result> done;
  private int retriesLeft;
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

  /**
   * As {@link #run}, but the first issue waits for an opening of the device ({@link
   * PeriphBase#schedule}, cf. dastart()); re-issues go out directly, as cam_periph_error() does.
   */
  public static void runScheduled(
      PeriphBase periph, Ccb ccb, int camFlags, int senseFlags, Consumer<Result> done) {
    RunCcb r = new RunCcb(periph, ccb, camFlags, senseFlags, done);
    periph.schedule(ccb, r::onComplete);
  }

  /**
   * Whether {@code c} needs none of the recovery {@link #run} does: REQ_CMP without a frozen device
   * queue (the classifier's shared success: no side effect, no release owed, outcome {@code OK}). A
   * caller that {@link PeriphBase#schedule}s a CCB with its own completion handler may finish such a
   * completion itself and must hand any other to {@link #recovering}: the same outcome as {@link
   * #runScheduled}, without its per-CCB objects on the success path (issue 15).
   */
  public static boolean plainSuccess(Ccb.Completed c) {
    return c.status() == org.camstack.stack.ccb.CamStatus.REQ_CMP && !c.devQueueFrozen();
  }

  /**
   * The recovery of {@link #runScheduled} for {@code ccb}, taken up at its first completion: give
   * that completion to the returned handler; {@code done} runs once with the final outcome.
   */
  public static Consumer<Ccb.Completed> recovering(
      PeriphBase periph, Ccb ccb, int camFlags, int senseFlags, Consumer<Result> done) {
    return new RunCcb(periph, ccb, camFlags, senseFlags, done)::onComplete;
  }

  /** The errno of the periph layer for one of the classifier's. */
  public static Errno errno(org.camstack.stack.ccb.Errno e) {
    try {
      return Errno.valueOf(e.name());
    } catch (IllegalArgumentException unknown) {
      return Errno.EIO;
    }
  }

  private void issue(Ccb ccb) {
    periph.action(ccb, this::onComplete);
  }

  private void reissue() {
    Ccb.Header h = original.header();
    issue(Ccbs.withHeader(original, periph.header(h.priority(), h.flags(), h.timeoutMs(), retriesLeft)));
  }

  private ErrorClassifier.Context context(boolean recoveryCcb) {
    return new ErrorClassifier.Context(
        camFlags,
        periph.isInvalid(),
        periph.recoveryInProgress(),
        recoveryCcb,
        periph.info.deviceType(),
        ErrorClassifier.Context.DEFAULT.devActive());
  }

  private void onComplete(Ccb.Completed c) {
    if (finished) {
      return;
    }
    if (c.status() != org.camstack.stack.ccb.CamStatus.REQ_CMP) {
      periph.onCcbError(c); // cf. daerror() before cam_periph_error()
    }
    Recovery r = ErrorClassifier.classify(
        c, senseFlags, retriesLeft, c.status() == org.camstack.stack.ccb.CamStatus.REQ_CMP ? ErrorClassifier.Context.DEFAULT : context(false));
    sideEffects(r, c);
    if (r instanceof Recovery.Success) {
      owedRelease(r);
      finish(Errno.OK, c);
    } else if (r instanceof Recovery.Fail f) {
      owedRelease(r);
      finish(f.errno(), c);
    } else if (r instanceof Recovery.Requeue) {
      reissue();
      owedRelease(r);
    } else if (r instanceof Recovery.Retry retry) {
      retriesLeft = retry.retriesLeft();
      if (retry.startUnit() || retry.testUnitReady()) {
        periph.recoveryStarted();
        recover(retry.effects(), retry.effects().recoveryRetries(), c);
        owedRelease(r);
      } else if (retry.delayMs() > 0) {
        periph.later(
            Duration.ofMillis(retry.delayMs()),
            () -> {
              reissue();
              owedRelease(r);
            });
      } else {
        reissue();
        owedRelease(r);
      }
    }
  }

  private void sideEffects(Recovery r, Ccb.Completed c) {
    Recovery.Effects fx = r.effects();
    CamPath p = c.ccb().path();
    if (fx.unitAttention()) {
      periph.raiseAsync(new AsyncEvent.UnitAttention(p, fx.uaAsc(), fx.uaAscq()));
    }
    if (fx.rescanTarget()) {
      periph.xptAction(new Ccb.ScanTarget(periph.header(CamPriority.XPT, 0, 0, 0).withPath(CamPath.target(p.bus(), p.target()))));
    }
    if (fx.lostDevice()) {
      periph.raiseAsync(new AsyncEvent.LostDevice(fx.lostWholeTarget() ? CamPath.target(p.bus(), p.target()) : p));
    }
    if (fx.print() && !fx.reason().isEmpty()) {
      periph.log().info("{}: {}", c.status(), fx.reason());
    }
  }

  private void owedRelease(Recovery r) {
    if (r.releaseQueue()) {
      periph.releaseDevq(); // cf. cam_release_devq(path, relsim_flags, openings, timeout, FALSE)
    }
  }

  /**
   * cf. the SS_START / SS_TUR branch of cam_periph_error() and camperiphdone(): a recovery command
   * ahead of normal I/O ({@code CAM_PERIPH_RECOVERY_INPROG}), then the original again.
   */
  private void recover(Recovery.Effects fx, int triesLeft, Ccb.Completed failed) {
    ByteString cdb =
        fx.startUnit()
            ? Cdbs.startStopUnit(true, periph.info.removable(), false)
            : Cdbs.testUnitReady();
    Ccb.ScsiIo rec =
        new Ccb.ScsiIo(
            periph.header(CamPriority.OOB, CcbFlags.DIR_NONE, 60_000, 0), cdb, ByteString.emptyByteString(), 0);
    periph.action(
        rec,
        rc -> {
          Recovery rr = ErrorClassifier.classify(rc, senseFlags, 0, context(true));
          owedRelease(rr);
          if (rr instanceof Recovery.Success) {
            periph.recoveryEnded();
            reissue();
          } else if (triesLeft > 1 && !periph.isInvalid() && !(rr instanceof Recovery.Fail f && isFinal(f))) {
            long delay = rr instanceof Recovery.Retry rt ? rt.delayMs() : ErrorClassifier.TUR_DELAY_MS;
            periph.later(Duration.ofMillis(Math.max(delay, 1)), () -> recover(fx, triesLeft - 1, failed));
          } else {
            periph.recoveryEnded();
            sideEffects(rr, rc);
            finish(rr instanceof Recovery.Fail f ? f.errno() : Errno.EIO, failed);
          }
        });
  }

  /** A failure no repetition of the recovery command will fix (device gone, bad request). */
  private static boolean isFinal(Recovery.Fail f) {
    return f.lostDevice()
        || f.errno() == Errno.EINVAL
        || f.errno() == Errno.ENXIO;
  }

  private void finish(Errno e, Ccb.Completed c) {
    if (finished) {
      throw new IllegalStateException("ccb run finished twice");
    }
    finished = true;
    done.accept(new Result(e, c));
  }
}
