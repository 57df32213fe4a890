package org.camstack.stack.node;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.scsi.SenseTables;
import org.camstack.stack.scsi.sg.SgPeriph;
import org.camstack.stack.xpt.Xpt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * What every area of the management API shares: the CCBs camcontrol would send (a header with a
 * fresh id, an ask to the {@link Xpt} with a timeout, SCSI_IO with {@code CAM_DEV_QFRZDIS}), the
 * resolution of a device argument to its path, and the mapping of a failed command to a 4xx.
 */
final class NodeCcbs {
  private static final Logger LOG = LoggerFactory.getLogger(NodeCcbs.class);

  /** Longest device argument: a periph name or B:T:L is far shorter. */
  static final int MAX_DEVICE_NAME = 64;

  private static final Pattern PERIPH_NAME = Pattern.compile("[a-z]+[0-9]+");

  private final ActorSystem<?> system;
  private final ActorRef<Xpt.Command> xpt;
  private final Duration askTimeout;
  private final AtomicLong ccbIds = new AtomicLong(1L << 48);

  NodeCcbs(ActorSystem<?> system, ActorRef<Xpt.Command> xpt, Duration askTimeout) {
    this.system = system;
    this.xpt = xpt;
    this.askTimeout = askTimeout;
  }

  ActorSystem<?> system() {
    return system;
  }

  Duration askTimeout() {
    return askTimeout;
  }

  // ------------------------------------------------------------------ CCB plumbing

  Ccb.Header header(CamPath path, int flags, int timeoutMs, ActorRef<Ccb.Completed> replyTo) {
    return new Ccb.Header(ccbIds.incrementAndGet(), path, CamPriority.NORMAL, flags, timeoutMs, 0, replyTo);
  }

  CompletionStage<Ccb.Completed> action(Function<ActorRef<Ccb.Completed>, Ccb> ccb, Duration timeout) {
    return AskPattern.ask(xpt, (ActorRef<Ccb.Completed> r) -> new Xpt.Action(ccb.apply(r)), timeout, system.scheduler());
  }

  /** SCSI_IO as camcontrol sends it: no queue freeze on error, 5 s (or {@code timeoutMs}). */
  CompletionStage<Ccb.Completed> scsi(CamPath path, ByteString cdb, int dataIn, int timeoutMs) {
    int flags = (dataIn > 0 ? CcbFlags.DIR_IN : CcbFlags.DIR_NONE) | CcbFlags.DEV_QFRZDIS;
    Duration t = Duration.ofMillis(Math.max(askTimeout.toMillis(), timeoutMs + 2000L));
    return action(r -> new Ccb.ScsiIo(header(path, flags, timeoutMs, r), cdb, ByteString.emptyByteString(), dataIn, -1), t);
  }

  /**
   * {@link #scsi} retried on UNIT ATTENTION (cf. {@code SF_RETRY_UA} with the pass driver's error
   * recovery): a pending UA such as 2A/09 CAPACITY DATA HAS CHANGED is reported once and the
   * command then answers with the new data.
   */
  CompletionStage<Ccb.Completed> scsiRetryUa(CamPath path, ByteString cdb, int dataIn, int timeoutMs, int retries) {
    return scsi(path, cdb, dataIn, timeoutMs)
        .thenCompose(
            c -> {
              boolean ua =
                  c.status() == CamStatus.SCSI_STATUS_ERROR && c.autosenseValid() && Sense.key(c.sense()) == Sense.UNIT_ATTENTION;
              return ua && retries > 0 ? scsiRetryUa(path, cdb, dataIn, timeoutMs, retries - 1) : CompletableFuture.completedFuture(c);
            });
  }

  CompletionStage<Ccb.DevMatchResult> devMatch(CamPath pattern, String periph) {
    return action(r -> new Ccb.DevMatch(header(CamPath.XPT, 0, 0, r), pattern, periph), askTimeout)
        .thenApply(c -> c.resultAs(Ccb.DevMatchResult.class));
  }

  /** A device argument, resolved: the name camcontrol would print and the path. */
  record Target(String name, CamPath path, List<String> periphs, DeviceInfo info) {}

  /** {@code da0} / {@code pass3} / {@code sga} / {@code B:T:L} to a configured device, else 400 or 404. */
  CompletionStage<Target> resolve(String dev) {
    String d = dev == null ? "" : dev.trim();
    if (d.length() > MAX_DEVICE_NAME) {
      throw ApiException.unprocessable("device name of " + d.length() + " characters is too long (at most " + MAX_DEVICE_NAME + ")");
    }
    int sgUnit = SgPeriph.unitOfLinuxName(d);
    if (sgUnit >= 0) {
      d = "sg" + sgUnit; // sg's Linux name (devfs alias sga, sgb, ...) stands for its unit
    }
    if (PERIPH_NAME.matcher(d).matches()) {
      String periph = d;
      return devMatch(CamPath.XPT, d)
          .thenApply(
              m -> {
                for (Ccb.BusMatch b : m.buses()) {
                  for (Ccb.DeviceMatch dm : b.devices()) {
                    if (dm.periphs().contains(periph) && !dm.unconfigured() && !dm.path().isWildcard()) {
                      return new Target(periph, dm.path(), dm.periphs(), dm.info());
                    }
                  }
                }
                throw ApiException.notFound("no such device: " + periph);
              });
    }
    CamPath p = path(d);
    if (p.isWildcard()) {
      throw ApiException.badRequest("bad device '" + d + "': expected a periph name (da0) or B:T:L");
    }
    return devMatch(p, "")
        .thenApply(
            m -> {
              for (Ccb.BusMatch b : m.buses()) {
                for (Ccb.DeviceMatch dm : b.devices()) {
                  if (dm.path().equals(p) && !dm.unconfigured()) {
                    String name =
                        dm.periphs().stream().filter(n -> n.startsWith("pass")).findFirst()
                            .orElse(dm.periphs().isEmpty() ? p.btl() : dm.periphs().get(0));
                    return new Target(name, p, dm.periphs(), dm.info());
                  }
                }
              }
              throw ApiException.notFound("no device at " + p.btl());
            });
  }

  static CamPath path(String text) {
    try {
      return CamPath.parse(text);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    }
  }

  /** A concrete {@code B:T:L} (emulator verbs), else 400. */
  static CamPath lunPath(String text) {
    CamPath p = path(text == null ? "" : text);
    if (p.isWildcard()) {
      throw ApiException.badRequest("bad LUN '" + text + "': expected B:T:L");
    }
    return p;
  }

  /** The failure of a SCSI command as one line, mapped to an HTTP status. */
  static ApiException commandFailed(Target t, String what, Ccb.Completed c) {
    String msg = t.name() + ": " + what + " failed: " + describe(c);
    if (c.status() == CamStatus.DEV_NOT_THERE || c.status() == CamStatus.SEL_TIMEOUT || c.status() == CamStatus.PATH_INVALID) {
      return ApiException.notFound(msg);
    }
    return ApiException.conflict(msg);
  }

  /** CAM status and, with CHECK CONDITION, the decoded sense (cf. cam_error_print()). */
  static String describe(Ccb.Completed c) {
    if (c.status() == CamStatus.SCSI_STATUS_ERROR) {
      String sense = senseText(c);
      return sense.isEmpty() ? "SCSI status " + ScsiStatus.name(c.scsiStatus()) : sense;
    }
    return c.status().description();
  }

  /** {@code NOT READY asc:4,2 (Logical unit not ready, initializing command required)}. */
  static String senseText(Ccb.Completed c) {
    if (!c.autosenseValid() || c.sense().isEmpty()) {
      return "";
    }
    int key = Sense.key(c.sense());
    int asc = Sense.asc(c.sense());
    int ascq = Sense.ascq(c.sense());
    return SenseTables.keyName(key) + " asc:" + Integer.toHexString(asc) + "," + Integer.toHexString(ascq)
        + " (" + SenseTables.ascText(asc, ascq) + ")";
  }

  static <T> CompletionStage<T> failed(RuntimeException e) {
    return CompletableFuture.failedFuture(e);
  }

  static <T> CompletionStage<T> guard(java.util.function.Supplier<CompletionStage<T>> s) {
    try {
      return s.get();
    } catch (RuntimeException e) {
      return failed(e);
    }
  }

  static void logWithPath(CamPath path, String msg, Object... args) {
    MDC.put("camPath", path.toString());
    try {
      LOG.info(msg, args);
    } finally {
      MDC.remove("camPath");
    }
  }
}
