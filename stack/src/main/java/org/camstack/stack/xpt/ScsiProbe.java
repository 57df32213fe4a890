package org.camstack.stack.xpt;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.scsi.Cdbs;
import org.camstack.stack.scsi.ReportLuns;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The probe of one LUN: a short-lived actor running the state machine of {@code scsi_xpt.c}
 * ({@code probestart()} / {@code probedone()}) over the device's {@link XptDevice} and reporting
 * the outcome to the {@link Xpt} in one {@link Xpt.ProbeDone}, then stopping. While it runs the
 * XPT lists it as periph {@code probeN} on the device (cf. the "probe" periph driver).
 *
 * <p>States, in order (cam-brief 4.6): TUR (only when re-probing a configured LUN 0; clears a
 * pending unit attention), INQUIRY of 36 bytes, full INQUIRY when the device has more, REPORT LUNS
 * (LUN 0 with ANSI &gt; SPC-2, or a not-connected LUN 0 of an SPC-2+ device; 16-byte buffer first,
 * resized and resent when the list is longer), MODE SENSE(6) of the control page (tagged devices),
 * VPD 0x00, 0x83 and 0x80 (when listed), and a final TUR before the device is announced. A
 * re-probe whose inquiry and serial did not change ends silently after the serial number.
 *
 * <p>Errors: unit attentions, BUSY/TASK SET FULL, NOT READY, ABORTED COMMAND and transport hiccups
 * are retried ({@code SF_RETRY_UA}); any completion that froze the queue is released at once
 * ("don't wedge the queue"); a UNIT ATTENTION 3F/0E (REPORTED LUNS DATA HAS CHANGED) asks the XPT
 * for a rescan of the target.
 */
final class ScsiProbe extends AbstractBehavior<ScsiProbe.Command> {

  /**
   * Level checks only, so that a line off at the active level costs no {@code getLog()} (which builds
   * the actor's logging context and sets the MDC). Pekko names the actor's logger after this class.
   */
  private static final Logger LEVELS = LoggerFactory.getLogger(ScsiProbe.class);

  /** Supertype of the probe's messages: only its own CCB completions. */
  sealed interface Command permits IoDone {}

  /**
   * The completion of the probe CCB in flight (cf. {@code probedone()} called from {@code
   * xpt_done()}). No reply: the probe sends the next CCB or finishes with {@link Xpt.ProbeDone}.
   */
  private record IoDone(Ccb.Completed completion) implements Command {}

  /**
   * What the probe learned.
   *
   * @param found the LUN is there (qualifier 0, a real device type)
   * @param info inquiry and VPD data (null when nothing answered)
   * @param tagged tagged queueing usable (INQUIRY CmdQue and not disabled in the control page)
   * @param reportedLuns REPORT LUNS list of the target (LUN 0 only), null when not obtained
   * @param rescanTarget a UNIT ATTENTION 3F/0E was seen
   * @param changed a re-probe found different inquiry data or serial number
   * @param failStatus why the LUN is not there (SEL_TIMEOUT, DEV_NOT_THERE, ...), REQ_CMP if found
   */
  record Result(
      boolean found,
      DeviceInfo info,
      boolean tagged,
      List<Long> reportedLuns,
      boolean rescanTarget,
      boolean changed,
      CamStatus failStatus) {

    static Result notThere(CamStatus why) {
      return new Result(false, null, false, null, false, false, why);
    }

    Result withRescanTarget() {
      return new Result(found, info, tagged, reportedLuns, true, changed, failStatus);
    }

    int ansiVersion() {
      return info == null ? 0 : info.ansiVersion();
    }
  }

  private enum State {
    TUR,
    INQUIRY,
    FULL_INQUIRY,
    REPORT_LUNS,
    MODE_SENSE,
    SUPPORTED_VPD_LIST,
    DEVICE_ID,
    SERIAL_NUM,
    TUR_FOR_NEGOTIATION
  }

  static final int SHORT_INQUIRY_LENGTH = 36;
  private static final int VPD_ALLOC = 1024;
  private static final int MODE_SENSE_ALLOC = 255;
  private static final int REPORT_LUNS_INITIAL_ALLOC = 16;
  private static final int REPORT_LUNS_MAX_ALLOC = 1 << 20;
  private static final int SPC2 = 4;

  /**
   * @param previous the configured device's data when this is a re-probe, else null
   * @param expectInqChange {@code CAM_EXPECT_INQ_CHANGE}: the inquiry may differ; do not announce
   */
  static Behavior<Command> create(
      CamPath path,
      ActorRef<XptDevice.Command> device,
      ActorRef<Xpt.Command> xpt,
      DeviceInfo previous,
      boolean expectInqChange,
      Duration timeout,
      int retries) {
    return Behaviors.setup(
        ctx -> new ScsiProbe(ctx, path, device, xpt, previous, expectInqChange, timeout, retries));
  }

  private final CamPath path;
  private final ActorRef<XptDevice.Command> device;
  private final ActorRef<Xpt.Command> xpt;
  private final DeviceInfo previous;
  private final int timeoutMs;
  private final int retries;
  private final ActorRef<Ccb.Completed> replyTo;
  private State state;
  private ByteString lastCdb;
  private int lastLen;
  private int retriesLeft;
  private long ccbSeq;
  private ByteString inquiry = ByteString.emptyByteString();
  private boolean connected;
  private boolean cmdQue;
  private boolean tagged;
  private int rlAlloc = REPORT_LUNS_INITIAL_ALLOC;
  private List<Long> reportedLuns;
  private ByteString supportedVpd = ByteString.emptyByteString();
  private ByteString deviceId = ByteString.emptyByteString();
  private String serial = "";
  private boolean rescanTarget;

  private ScsiProbe(
      ActorContext<Command> ctx,
      CamPath path,
      ActorRef<XptDevice.Command> device,
      ActorRef<Xpt.Command> xpt,
      DeviceInfo previous,
      boolean expectInqChange,
      Duration timeout,
      int retries) {
    super(ctx);
    this.path = path;
    this.device = device;
    this.xpt = xpt;
    this.previous = previous;
    this.timeoutMs = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    this.retries = retries;
    this.replyTo = ctx.messageAdapter(Ccb.Completed.class, IoDone::new);
    ctx.watch(device);
    if (LEVELS.isDebugEnabled()) { // ctx.getLog() builds the actor's logging context: not per probe
      ctx.getLog().debug("{}: probe starts (re-probe: {}, expect inq change: {})", path, previous != null, expectInqChange);
    }
    if (previous != null && path.lun() == 0) {
      send(State.TUR, tur(), 0);
    } else {
      send(State.INQUIRY, inquiry(false, 0, SHORT_INQUIRY_LENGTH), SHORT_INQUIRY_LENGTH);
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(IoDone.class, this::onIoDone)
        .onSignal(Terminated.class, t -> finish(Result.notThere(CamStatus.DEV_NOT_THERE)))
        .build();
  }

  // ---------------------------------------------------------------------------------------------

  private void send(State next, ByteString cdb, int len) {
    if (next != state) {
      retriesLeft = retries;
    }
    state = next;
    lastCdb = cdb;
    lastLen = len;
    int dir = len > 0 ? CcbFlags.DIR_IN : CcbFlags.DIR_NONE;
    Ccb.Header h = new Ccb.Header(ccbSeq++, path, CamPriority.XPT, dir, timeoutMs, retriesLeft, replyTo);
    device.tell(new XptDevice.Action(new Ccb.ScsiIo(h, cdb, ByteString.emptyByteString(), len)));
  }

  private Behavior<Command> onIoDone(IoDone m) {
    Ccb.Completed c = m.completion();
    if (c.devQueueFrozen()) {
      device.tell(new XptDevice.ReleaseDevq(1, true)); // cf. probedone(): don't wedge the queue
    }
    noteRescan(c);
    if (c.isOk()) {
      return advance(c.data());
    }
    if (retryable(c) && retriesLeft > 0) {
      retriesLeft--;
      send(state, lastCdb, lastLen);
      return this;
    }
    return failed(c);
  }

  private void noteRescan(Ccb.Completed c) {
    if (c.status() == CamStatus.SCSI_STATUS_ERROR
        && c.autosenseValid()
        && Sense.key(c.sense()) == Sense.UNIT_ATTENTION
        && Sense.asc(c.sense()) == 0x3f
        && Sense.ascq(c.sense()) == 0x0e) {
      rescanTarget = true;
    }
  }

  /** cf. cam_periph_error() with SF_RETRY_UA as the probe calls it. */
  private static boolean retryable(Ccb.Completed c) {
    switch (c.status()) {
      case CMD_TIMEOUT:
      case REQUEUE_REQ:
      case SCSI_BUS_RESET:
      case BDR_SENT:
      case BUSY:
      case RESRC_UNAVAIL:
      case REQ_CMP_ERR:
      case UNEXP_BUSFREE:
      case UNCOR_PARITY:
        return true;
      case SCSI_STATUS_ERROR:
        break;
      default:
        return false;
    }
    int st = c.scsiStatus();
    if (st == ScsiStatus.BUSY || st == ScsiStatus.QUEUE_FULL) {
      return true;
    }
    if (st != ScsiStatus.CHECK_COND || !c.autosenseValid()) {
      return false;
    }
    int key = Sense.key(c.sense());
    return key == Sense.UNIT_ATTENTION
        || key == Sense.ABORTED_COMMAND
        || (key == Sense.NOT_READY && Sense.asc(c.sense()) == 0x04 && Sense.ascq(c.sense()) != 0x02);
  }

  private Behavior<Command> advance(ByteString data) {
    switch (state) {
      case TUR:
        send(State.INQUIRY, inquiry(false, 0, SHORT_INQUIRY_LENGTH), SHORT_INQUIRY_LENGTH);
        return this;
      case INQUIRY:
        return onInquiry(data, true);
      case FULL_INQUIRY:
        return onInquiry(data, false);
      case REPORT_LUNS:
        return onReportLuns(data);
      case MODE_SENSE:
        onModeSense(data);
        sendVpdList();
        return this;
      case SUPPORTED_VPD_LIST:
        supportedVpd = vpdPayload(data);
        sendDeviceId();
        return this;
      case DEVICE_ID:
        deviceId = data;
        sendSerial();
        return this;
      case SERIAL_NUM:
        serial = serialOf(data);
        return afterSerial();
      case TUR_FOR_NEGOTIATION:
        return finish(found());
      default:
        throw new IllegalStateException("probe in unknown state " + state);
    }
  }

  private Behavior<Command> failed(Ccb.Completed c) {
    switch (state) {
      case TUR:
        // cf. probedone(PROBE_TUR): whatever happened, go on with INQUIRY
        send(State.INQUIRY, inquiry(false, 0, SHORT_INQUIRY_LENGTH), SHORT_INQUIRY_LENGTH);
        return this;
      case INQUIRY:
      case FULL_INQUIRY:
        CamStatus why =
            c.status() == CamStatus.SEL_TIMEOUT || c.status() == CamStatus.DEV_NOT_THERE
                ? c.status()
                : CamStatus.DEV_NOT_THERE;
        return finish(Result.notThere(why));
      case REPORT_LUNS:
        // cf. probedone(PROBE_REPORT_LUNS): failure falls back to a sequential LUN scan
        reportedLuns = null;
        return afterReportLuns();
      case MODE_SENSE:
        sendVpdList();
        return this;
      case SUPPORTED_VPD_LIST:
        sendDeviceId();
        return this;
      case DEVICE_ID:
        sendSerial();
        return this;
      case SERIAL_NUM:
        return afterSerial();
      case TUR_FOR_NEGOTIATION:
        return finish(found());
      default:
        throw new IllegalStateException("probe in unknown state " + state);
    }
  }

  // --- states ----------------------------------------------------------------------------------

  private Behavior<Command> onInquiry(ByteString data, boolean shortInquiry) {
    if (data.size() < 5) {
      return finish(Result.notThere(CamStatus.DEV_NOT_THERE));
    }
    int total = (data.apply(4) & 0xff) + 5;
    if (shortInquiry && total > SHORT_INQUIRY_LENGTH && data.size() >= SHORT_INQUIRY_LENGTH) {
      int len = (total + 1) & ~1; // cf. roundup2(..., 2)
      send(State.FULL_INQUIRY, inquiry(false, 0, len), len);
      return this;
    }
    inquiry = data;
    int b0 = data.apply(0) & 0xff;
    int qualifier = (b0 >> 5) & 0x7;
    int type = b0 & 0x1f;
    int ansi = data.size() > 2 ? data.apply(2) & 0x7 : 0;
    connected = qualifier == 0 && type != DeviceInfo.T_NODEVICE;
    cmdQue = data.size() > 7 && (data.apply(7) & 0x02) != 0;
    tagged = cmdQue;
    if (connected) {
      if (path.lun() == 0 && ansi > SPC2) {
        sendReportLuns();
        return this;
      }
      return afterReportLuns();
    }
    if (path.lun() == 0 && ansi >= SPC2) {
      sendReportLuns(); // a not-connected LUN 0 may still know the other LUNs
      return this;
    }
    return finish(Result.notThere(CamStatus.DEV_NOT_THERE));
  }

  private void sendReportLuns() {
    send(State.REPORT_LUNS, reportLunsCdb(rlAlloc), rlAlloc);
  }

  private Behavior<Command> onReportLuns(ByteString data) {
    if (data.size() < ReportLuns.HEADER_LENGTH) {
      reportedLuns = null;
      return afterReportLuns();
    }
    long needed = ReportLuns.requiredLength(data);
    if (needed > rlAlloc && needed <= REPORT_LUNS_MAX_ALLOC) {
      rlAlloc = (int) needed; // cf. probedone(): resize and resend
      sendReportLuns();
      return this;
    }
    List<Long> luns = new ArrayList<>();
    for (long lun : ReportLuns.parse(data)) {
      if (lun >= 0 && !luns.contains(lun)) {
        luns.add(lun);
      }
    }
    luns.sort(null);
    reportedLuns = List.copyOf(luns);
    return afterReportLuns();
  }

  private Behavior<Command> afterReportLuns() {
    if (!connected) {
      return finish(new Result(false, null, false, reportedLuns, rescanTarget, false, CamStatus.DEV_NOT_THERE));
    }
    if (cmdQue) {
      send(State.MODE_SENSE, modeSenseControlCdb(), MODE_SENSE_ALLOC);
    } else {
      sendVpdList();
    }
    return this;
  }

  private void onModeSense(ByteString data) {
    if (data.size() < 4) {
      return;
    }
    int bdl = data.apply(3) & 0xff;
    int p = 4 + bdl;
    if (data.size() > p + 3 && (data.apply(p) & 0x3f) == 0x0a) {
      boolean dque = (data.apply(p + 3) & 0x01) != 0; // control page DQue (SPC-2; obsolete later)
      tagged = cmdQue && !dque;
    }
  }

  private void sendVpdList() {
    send(State.SUPPORTED_VPD_LIST, inquiry(true, 0x00, VPD_ALLOC), VPD_ALLOC);
  }

  private void sendDeviceId() {
    if (listed(0x83)) {
      send(State.DEVICE_ID, inquiry(true, 0x83, VPD_ALLOC), VPD_ALLOC);
    } else {
      sendSerial();
    }
  }

  private void sendSerial() {
    if (listed(0x80)) {
      send(State.SERIAL_NUM, inquiry(true, 0x80, VPD_ALLOC), VPD_ALLOC);
    } else {
      afterSerial();
    }
  }

  private boolean listed(int page) {
    for (int i = 0; i < supportedVpd.size(); i++) {
      if ((supportedVpd.apply(i) & 0xff) == page) {
        return true;
      }
    }
    return false;
  }

  /** cf. probedone(PROBE_SERIAL_NUM): a re-probe compares inquiry and serial. */
  private Behavior<Command> afterSerial() {
    if (previous != null && !changed()) {
      return finish(found()); // unchanged: done silently, no negotiation TUR
    }
    send(State.TUR_FOR_NEGOTIATION, tur(), 0);
    return this;
  }

  private boolean changed() {
    return previous != null && (!previous.inquiry().equals(inquiry) || !previous.serial().equals(serial));
  }

  private Result found() {
    DeviceInfo info = new DeviceInfo(path, inquiry, supportedVpd, serial, deviceId, "");
    return new Result(true, info, tagged, reportedLuns, rescanTarget, changed(), CamStatus.REQ_CMP);
  }

  private Behavior<Command> finish(Result r) {
    Result out = rescanTarget && !r.rescanTarget() ? r.withRescanTarget() : r;
    if (LEVELS.isDebugEnabled()) {
      getContext().getLog().debug("{}: probe done: found [{}] status [{}]", path, out.found(), out.failStatus());
    }
    xpt.tell(new Xpt.ProbeDone(path, getContext().getSelf(), out));
    return Behaviors.stopped();
  }

  // --- CDBs and decoding -----------------------------------------------------------------------

  private static ByteString tur() {
    return Cdbs.testUnitReady();
  }

  private static ByteString inquiry(boolean evpd, int page, int alloc) {
    return Cdbs.inquiry(evpd, page, alloc);
  }

  private static ByteString reportLunsCdb(int alloc) {
    return Cdbs.reportLuns(Cdbs.RPL_REPORT_DEFAULT, alloc);
  }

  private static ByteString modeSenseControlCdb() {
    return Cdbs.modeSense6(true, Cdbs.PC_CURRENT, 0x0a, 0, MODE_SENSE_ALLOC);
  }

  private static ByteString vpdPayload(ByteString page) {
    if (page.size() < 4) {
      return ByteString.emptyByteString();
    }
    int len = ((page.apply(2) & 0xff) << 8) | (page.apply(3) & 0xff);
    return page.slice(4, Math.min(page.size(), 4 + len));
  }

  private static String serialOf(ByteString page) {
    ByteString s = vpdPayload(page);
    return DeviceInfo.visible(new String(s.toArray(), StandardCharsets.ISO_8859_1));
  }
}
