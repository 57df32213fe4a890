package org.camstack.stack.target.iscsi;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.iscsi.Bhs;
import org.camstack.stack.iscsi.Negotiation;
import org.camstack.stack.iscsi.Negotiation.SessionType;
import org.camstack.stack.iscsi.Opcode;
import org.camstack.stack.iscsi.Pdu;
import org.camstack.stack.iscsi.PduCodec;
import org.camstack.stack.iscsi.SerialNumbers;
import org.camstack.stack.iscsi.TextKeys;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.target.EmuDevice;
import org.camstack.stack.target.EmuTarget;
import org.camstack.stack.scsi.LaterAnswer;
import org.camstack.stack.target.LunTask;
import org.camstack.stack.target.Nexuses;
import org.camstack.stack.target.TargetInventory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The protocol engine of one iSCSI connection (RFC 7143), socket-free: feed it bytes ({@link
 * #onBytes}) or decoded PDUs ({@link #onPdu}); it answers through its {@link Wire}. Login (security
 * and operational stages, CHAP, TSIH, reinstatement), discovery (SendTargets), and the full feature
 * phase: SCSI commands with immediate/unsolicited/solicited data, Data-In with phase collapse, SCSI
 * Response with sense and residuals, the CmdSN window, NOP both ways, task management, Logout,
 * Async Message, Reject. One connection per session (MaxConnections=1, ErrorRecoveryLevel=0).
 *
 * <p>Not thread-safe: every call comes from the one thread (stream stage) that owns the connection;
 * timers scheduled through the wire run on it too. SCSI commands execute by a direct call to the
 * emulated target as a task ({@link EmuTarget#start}): the {@link LunTask} holds the LUN until the
 * task ends here, exactly once ({@code forget}): answered (at once, or after the LUN's injected
 * delay), aborted by task management, or ended by logout or connection loss; a dropped answer holds
 * it until one of the latter. So a LUN pulled meanwhile is freed only after its last iSCSI task,
 * and its number is not reused before (cf. {@code ctl_free_lun()}).
 *
 * <p>A command another node runs (a clustered LUN's copy forwarding to its owner) does not stall the
 * connection: the LUN answers {@link ScsiResponse#PENDING}, the task stays in flight holding its
 * LUN task, the connection goes on with the other commands, and the answer comes back through the
 * wire's {@link Wire#post} onto this thread ({@code answeredLater}); a task that ended meanwhile
 * (ABORT TASK, LUN reset, connection loss) is gone then, and its late answer is dropped.
 */
public final class IscsiConnection {
  private static final Logger LOG = LoggerFactory.getLogger(IscsiConnection.class);

  /** What the engine needs from its transport. */
  public interface Wire {
    /**
     * Sends bytes, in call order. The bytes may be sent later than the call returns (the stage
     * writes what one burst of input produced in one go), never reordered.
     */
    void write(ByteString bytes);

    /** Runs {@code r} on the engine's thread after {@code nanos}. */
    void schedule(long nanos, Runnable r);

    /**
     * Runs {@code r} on the engine's thread soon, after the current event; callable from any
     * thread (a LUN's later answer, {@link LaterAnswer}). Dropped once the connection is gone.
     */
    void post(Runnable r);

    /** Closes the connection once what was written is sent. */
    void close();
  }

  // login status (class << 8 | detail), §11.13.5
  static final int LOGIN_OK = 0x0000;
  static final int INITIATOR_ERROR = 0x0200;
  static final int AUTH_FAILED = 0x0201;
  static final int NOT_FOUND = 0x0203;
  static final int UNSUPPORTED_VERSION = 0x0205;
  static final int TOO_MANY_CONNECTIONS = 0x0206;
  static final int MISSING_PARAMETER = 0x0207;
  static final int SESSION_TYPE_UNSUPPORTED = 0x0209;
  static final int NO_SUCH_SESSION = 0x020A;
  static final int INVALID_DURING_LOGIN = 0x020B;
  static final int TARGET_ERROR = 0x0300;

  // reject reasons, §11.17.1
  static final int REJECT_DIGEST = 0x02;
  static final int REJECT_SNACK = 0x03;
  static final int REJECT_PROTOCOL = 0x04;
  static final int REJECT_NOT_SUPPORTED = 0x05;
  static final int REJECT_INVALID_FIELD = 0x09;

  private enum Phase {
    LOGIN,
    FULL_FEATURE,
    CLOSED
  }

  private final PortalConfig config;
  private final TargetInventory inventory;
  private final IscsiSessions sessions;
  private final Wire wire;
  private final String portalAddress;
  private final String remote;
  private final IscsiSessions.Control control;
  private final PduCodec.Decoder decoder = new PduCodec.Decoder(PduCodec.Settings.LOGIN);
  private PduCodec.Settings tx = PduCodec.Settings.LOGIN;

  private Phase phase = Phase.LOGIN;
  // login / session
  private boolean firstLogin = true;
  private long isid;
  private int tsih;
  private int loginItt;
  private String initiatorName;
  private SessionType sessionType;
  private String targetName;
  private int bus = -1;
  private int targetId = -1;
  private int initiatorId;
  private boolean tpgtSent;
  private boolean mrdslSent;
  private final Map<String, String> agreed = new HashMap<>();
  private ChapExchange chap; // non-null while CHAP runs
  private boolean authenticated;
  // negotiated
  private int txMaxData = 8192; // initiator's MaxRecvDataSegmentLength
  private int maxBurst = 262144;
  private int firstBurst = 65536;
  private int maxR2t = 1;
  private boolean initialR2t = true;
  private boolean immediateData = true;
  // sequence numbers
  private int statSn;
  private int expCmdSn;
  private int maxCmdSn;
  private final Map<Integer, Pdu> pendingCommands = new HashMap<>();
  // tasks
  private final LinkedHashMap<Integer, Task> tasks = new LinkedHashMap<>();
  private final Map<Integer, Task> byTtt = new HashMap<>();
  private int nextTtt = 1;
  private int pingTtt = Bhs.NO_TAG;
  private long lastActivity = System.nanoTime();
  private boolean pingScheduled;
  // tasks whose LUN answers later (forwarded to another node), by the tag given to the LUN
  private final Map<Long, Task> answeringLater = new HashMap<>();
  private long nextLaterTag = 1;
  private final LaterAnswer laterAnswer = this::postLater;
  private long lateAnswersDropped;
  // counters (for ctl and tests): each task ends exactly once, completed or aborted
  private long completed;
  private long aborted;
  private boolean closed;

  /**
   * @param portalAddress "IP:port" of this portal, as SendTargets reports it
   * @param remote the peer, for logs and {@code ctl iscsi sessions}
   */
  public IscsiConnection(PortalConfig config, TargetInventory inventory, IscsiSessions sessions, Wire wire,
      String portalAddress, String remote, IscsiSessions.Control control) {
    this.config = config;
    this.inventory = inventory;
    this.sessions = sessions;
    this.wire = wire;
    this.portalAddress = portalAddress;
    this.remote = remote;
    this.control = control;
  }

  /** Tasks that ended with a response sent. */
  public long completed() {
    return completed;
  }

  /** Tasks that ended without a response (aborted by TMF, reinstatement or connection loss). */
  public long aborted() {
    return aborted;
  }

  /** Tasks in flight. */
  public int inFlight() {
    return tasks.size();
  }

  /** Tasks whose LUN has not answered yet (forwarded to another node). */
  public int answeringLater() {
    return answeringLater.size();
  }

  /** Later answers that came for a task already ended (aborted, connection gone): dropped. */
  public long lateAnswersDropped() {
    return lateAnswersDropped;
  }

  public int tsih() {
    return tsih;
  }

  // =============================================================================================
  // input

  /** Bytes from the socket, any split. */
  public void onBytes(byte[] chunk) {
    onBytes(ByteString.fromArrayUnsafe(chunk));
  }

  /** Bytes from the socket, any split (read in place: a whole PDU in the chunk is not copied first). */
  public void onBytes(ByteString chunk) {
    if (phase == Phase.CLOSED) {
      return;
    }
    lastActivity = System.nanoTime();
    for (PduCodec.Decoded d : decoder.feed(chunk)) {
      if (phase == Phase.CLOSED) {
        return;
      }
      if (d instanceof PduCodec.Decoded.Frame f) {
        onPdu(f.pdu());
      } else if (d instanceof PduCodec.Decoded.Error e) {
        LOG.info("iSCSI {}: closing, cannot frame the input: {}", remote, e.message());
        close();
        return;
      }
    }
  }

  /** One decoded PDU. */
  public void onPdu(Pdu p) {
    if (phase == Phase.CLOSED) {
      return;
    }
    if (!p.opcode().fromInitiator()) {
      reject(p, REJECT_PROTOCOL);
      return;
    }
    if (phase == Phase.LOGIN) {
      if (p.opcode() == Opcode.LOGIN_REQUEST) {
        onLogin(p);
      } else {
        LOG.info("iSCSI {}: {} before login completed; closing", remote, p.opcode());
        close();
      }
      return;
    }
    switch (p.opcode()) {
      case SCSI_DATA_OUT -> onDataOut(p);
      case SNACK_REQUEST -> reject(p, REJECT_SNACK);
      case LOGIN_REQUEST -> reject(p, REJECT_PROTOCOL);
      case NOP_OUT -> {
        if (p.initiatorTaskTag() == Bhs.NO_TAG) {
          onNopOut(p); // an answer to our ping: no CmdSN
        } else {
          ordered(p);
        }
      }
      default -> ordered(p);
    }
  }

  /** The connection is gone (socket closed or failed): abort what is in flight (ERL 0). */
  public void onClosed() {
    if (closed) {
      return;
    }
    closed = true;
    phase = Phase.CLOSED;
    abortAll();
    if (tsih != 0) {
      sessions.unregister(tsih, control);
    }
    nexusLost();
  }

  /**
   * I_T nexus loss (SAM-5 6.3.4: every LUN of the target establishes UA 29/07 I_T NEXUS LOSS
   * OCCURRED for this nexus; SPC-2 5.5.1: a RESERVE(6/10) reservation is released when its nexus is
   * lost): the session of this nexus ended (connection loss, logout, reinstatement). A reinstated
   * session (same initiator name and ISID) is the same nexus again; it gets here only after the old
   * connection's end.
   */
  private void nexusLost() {
    if (sessionType != SessionType.NORMAL || bus < 0) {
      return;
    }
    EmuTarget t = inventory.target(bus, targetId);
    if (t == null) {
      return;
    }
    for (EmuDevice d : t.luns().values()) {
      // SAM-5 I_T nexus loss: the nexus hears 29/07 when it comes back (cf. ctl_i_t_nexus_reset())
      d.postUnitAttentionTo(initiatorId, 0x29, 0x07);
      if (d.reservationHolder() == initiatorId) {
        LOG.debug("iSCSI {}: nexus {} lost: releasing its reservation of lun {}", remote, initiatorId, d.lun());
        d.releaseReservation();
      }
    }
  }

  /** Asks the initiator to log out (Async Message event 1, §11.9) and closes if it has not within 5 s. */
  public void requestLogout() {
    if (phase != Phase.FULL_FEATURE) {
      close();
      return;
    }
    send(Bhs.of(Opcode.ASYNC_MESSAGE).fin(true).lun(0).itt(Bhs.NO_TAG)
        .word(20, Bhs.NO_TAG).word(24, statSn).word(28, expCmdSn).word(32, maxCmdSn)
        .octet(36, 1) // AsyncEvent 1: the target requests a logout
        .octet(43, 5) // Parameter3: seconds the initiator has to log out
        .build());
    wire.schedule(5_000_000_000L, this::close);
  }

  /** Closes now (e.g. {@code ctl iscsi logout} after the grace time, or node shutdown). */
  public void close() {
    if (phase == Phase.CLOSED) {
      return;
    }
    phase = Phase.CLOSED;
    wire.close();
    onClosed();
  }

  // =============================================================================================
  // login (§6, §11.12, §11.13)

  private void onLogin(Pdu p) {
    if (firstLogin) {
      if (Bhs.versionMin(p) > 0) {
        loginFail(p, UNSUPPORTED_VERSION);
        return;
      }
      firstLogin = false;
      isid = Bhs.isid(p);
      tsih = 0;
      loginItt = p.initiatorTaskTag();
      expCmdSn = Bhs.cmdSn(p);
      maxCmdSn = expCmdSn + config.queueDepth() - 1;
      statSn = Bhs.expStatSn(p);
      if (Bhs.tsih(p) != 0) {
        loginFail(p, sessions.exists(Bhs.tsih(p)) ? TOO_MANY_CONNECTIONS : NO_SUCH_SESSION);
        return;
      }
    } else if (Bhs.isid(p) != isid || p.initiatorTaskTag() != loginItt) {
      loginFail(p, INITIATOR_ERROR);
      return;
    }
    TextKeys.Parsed parsed = TextKeys.parse(p.data(), 1024);
    if (!(parsed instanceof TextKeys.Parsed.Ok ok)) {
      LOG.info("iSCSI {}: login text malformed: {}", remote, ((TextKeys.Parsed.Error) parsed).message());
      loginFail(p, INITIATOR_ERROR);
      return;
    }
    int csg = Bhs.currentStage(p);
    int nsg = Bhs.nextStage(p);
    boolean transit = Bhs.transit(p);
    if (csg == 2 || csg == 3 || (transit && (nsg == 2 || nsg <= csg)) || Bhs.textContinues(p) && transit) {
      loginFail(p, INVALID_DURING_LOGIN);
      return;
    }
    List<TextKeys.Pair> answer = new ArrayList<>();
    boolean chapKeys = false;
    for (TextKeys.Pair kv : ok.pairs()) {
      String k = kv.key();
      String v = kv.value();
      switch (k) {
        case "InitiatorName" -> initiatorName = v;
        case "TargetName" -> targetName = v;
        case "InitiatorAlias", "TargetAlias" -> {}
        case "SessionType" -> {
          if ("Discovery".equals(v)) {
            sessionType = SessionType.DISCOVERY;
          } else if ("Normal".equals(v)) {
            sessionType = SessionType.NORMAL;
          } else {
            loginFail(p, SESSION_TYPE_UNSUPPORTED);
            return;
          }
        }
        case "AuthMethod" -> {
          if (csg != 0) {
            loginFail(p, INITIATOR_ERROR);
            return;
          }
          Negotiation.Result r = Negotiation.answer(SessionType.NORMAL, k, v, config.chap().isPresent() ? "CHAP" : "None");
          if (!(r instanceof Negotiation.Result.Agreed)) {
            loginFail(p, AUTH_FAILED);
            return;
          }
          agreed.put(k, r.answer());
          answer.add(new TextKeys.Pair(k, r.answer()));
          if ("CHAP".equals(r.answer())) {
            chap = new ChapExchange(config.chap().orElseThrow());
          }
        }
        default -> {
          if (k.startsWith("CHAP_")) {
            chapKeys = true;
          } else {
            answer.add(new TextKeys.Pair(k, negotiate(k, v)));
          }
        }
      }
    }
    if (sessionType == null) {
      sessionType = SessionType.NORMAL;
    }
    if (initiatorName == null || initiatorName.isEmpty()) {
      loginFail(p, MISSING_PARAMETER);
      return;
    }
    if (sessionType == SessionType.NORMAL && bus < 0) {
      if (targetName == null) {
        loginFail(p, MISSING_PARAMETER);
        return;
      }
      Optional<int[]> bt = TargetNames.parse(config.host(), targetName);
      EmuTarget t = bt.map(a -> inventory.target(a[0], a[1])).orElse(null);
      if (t == null || t.isEmpty()) {
        LOG.info("iSCSI {}: login to unknown target {}", remote, targetName);
        loginFail(p, NOT_FOUND);
        return;
      }
      bus = bt.get()[0];
      targetId = bt.get()[1];
      initiatorId = Nexuses.idFor(Bhs.initiatorPortName(initiatorName, isid), Nexuses.ISCSI_PORT);
    }
    if (sessionType == SessionType.NORMAL && !tpgtSent) {
      answer.add(new TextKeys.Pair("TargetPortalGroupTag", "1"));
      tpgtSent = true;
    }
    // security stage: CHAP exchange (§12.1.3)
    if (csg == 0 && chap != null && !authenticated) {
      ChapExchange.Step step = chap.step(ok.pairs(), chapKeys);
      if (step instanceof ChapExchange.Step.Fail) {
        LOG.info("iSCSI {}: CHAP authentication of {} failed", remote, initiatorName);
        loginFail(p, AUTH_FAILED);
        return;
      }
      answer.addAll(step.pairs());
      if (step instanceof ChapExchange.Step.Done) {
        authenticated = true;
      } else {
        transit = false; // the exchange is not over: stay in the security stage
      }
    }
    if (config.chap().isPresent() && !authenticated && (nsg > 0 && transit || csg > 0)) {
      loginFail(p, AUTH_FAILED);
      return;
    }
    if (csg == 1 && !mrdslSent) {
      answer.add(new TextKeys.Pair("MaxRecvDataSegmentLength", Integer.toString(config.maxRecvDataSegmentLength())));
      mrdslSent = true;
    }
    boolean toFull = transit && nsg == 3;
    if (toFull) {
      if (sessionType == SessionType.DISCOVERY) {
        tsih = sessions.register(initiatorName, isid, "Discovery", "", remote, control);
      } else {
        tsih = sessions.register(initiatorName, isid, "Normal", targetName, remote, control);
      }
    }
    int flags = (csg << 2) | (transit ? nsg : 0);
    Pdu resp = Bhs.of(Opcode.LOGIN_RESPONSE).fin(transit).flags(flags).byte2(0).byte3(0)
        .lun((isid << 16) | tsih).itt(p.initiatorTaskTag())
        .word(24, statSn++).word(28, expCmdSn).word(32, maxCmdSn).octet(36, 0).octet(37, 0)
        .build(TextKeys.format(answer, 1024));
    send(resp);
    if (toFull) {
      enterFullFeature();
    }
  }

  private String negotiate(String k, String v) {
    String ours = switch (k) {
      case "HeaderDigest", "DataDigest" -> "None,CRC32C";
      case "MaxConnections" -> "1";
      case "InitialR2T" -> config.initialR2T() ? "Yes" : "No";
      case "ImmediateData" -> config.immediateData() ? "Yes" : "No";
      case "MaxBurstLength" -> Integer.toString(config.maxBurstLength());
      case "FirstBurstLength" -> Integer.toString(config.firstBurstLength());
      case "MaxOutstandingR2T" -> Integer.toString(config.maxOutstandingR2T());
      case "ErrorRecoveryLevel" -> "0";
      default -> null;
    };
    Negotiation.Result r = Negotiation.answer(sessionType == null ? SessionType.NORMAL : sessionType, k, v, ours);
    if (r instanceof Negotiation.Result.Agreed a) {
      agreed.put(k, a.value());
      return a.value();
    }
    if (r instanceof Negotiation.Result.Declared d) {
      agreed.put(k, d.value());
      // a declaration: ours goes back only as our own declaration (sent once, below)
      mrdslSent = true;
      return Integer.toString(config.maxRecvDataSegmentLength());
    }
    return r.answer();
  }

  private void enterFullFeature() {
    txMaxData = intKey("MaxRecvDataSegmentLength", 8192);
    maxBurst = intKey("MaxBurstLength", 262144);
    firstBurst = Math.min(intKey("FirstBurstLength", 65536), maxBurst);
    maxR2t = intKey("MaxOutstandingR2T", 1);
    initialR2t = "Yes".equals(agreed.getOrDefault("InitialR2T", "Yes"));
    immediateData = "Yes".equals(agreed.getOrDefault("ImmediateData", "Yes"));
    boolean hd = "CRC32C".equals(agreed.get("HeaderDigest"));
    boolean dd = "CRC32C".equals(agreed.get("DataDigest"));
    int rxMax = mrdslSent ? config.maxRecvDataSegmentLength() : 8192;
    decoder.settings(new PduCodec.Settings(hd, dd, rxMax));
    tx = new PduCodec.Settings(hd, dd, PduCodec.Settings.LOGIN.maxDataSegmentLength());
    phase = Phase.FULL_FEATURE;
    LOG.info("iSCSI {}: {} session {} of {} (isid {}) to {}", remote, sessionType == SessionType.DISCOVERY ? "discovery" : "normal",
        tsih, initiatorName, Bhs.isidText(isid), targetName == null ? "-" : targetName);
    schedulePing();
  }

  private int intKey(String k, int def) {
    try {
      return (int) Math.min(Integer.MAX_VALUE, Long.decode(agreed.getOrDefault(k, Integer.toString(def))));
    } catch (NumberFormatException e) {
      return def;
    }
  }

  private void loginFail(Pdu p, int status) {
    send(Bhs.of(Opcode.LOGIN_RESPONSE).fin(false).flags(Bhs.currentStage(p) << 2)
        .lun(p.lun() & ~0xFFFFL).itt(p.initiatorTaskTag())
        .word(24, statSn++).word(28, expCmdSn).word(32, maxCmdSn).octet(36, status >>> 8).octet(37, status & 0xFF)
        .build());
    close();
  }

  // =============================================================================================
  // command ordering (§4.2.2.1, §3.2.2.1 of RFC 3720)

  private void ordered(Pdu p) {
    if (p.immediate()) {
      dispatch(p);
      return;
    }
    int sn = Bhs.cmdSn(p);
    if (sn == expCmdSn) {
      expCmdSn++;
      dispatch(p);
      while (phase == Phase.FULL_FEATURE && !pendingCommands.isEmpty() && pendingCommands.containsKey(expCmdSn)) {
        Pdu next = pendingCommands.remove(expCmdSn);
        expCmdSn++;
        dispatch(next);
      }
    } else if (SerialNumbers.inWindow(sn, expCmdSn, maxCmdSn) && pendingCommands.size() < config.queueDepth()) {
      pendingCommands.putIfAbsent(sn, p);
    } else {
      LOG.debug("iSCSI {}: CmdSN {} outside [{}, {}]: ignored", remote, sn, expCmdSn, maxCmdSn);
    }
  }

  private void dispatch(Pdu p) {
    switch (p.opcode()) {
      case SCSI_COMMAND -> onScsiCommand(p);
      case NOP_OUT -> onNopOut(p);
      case TASK_MGMT_REQUEST -> onTmf(p);
      case TEXT_REQUEST -> onText(p);
      case LOGOUT_REQUEST -> onLogout(p);
      default -> reject(p, REJECT_NOT_SUPPORTED);
    }
  }

  /** MaxCmdSN: the window is the queue depth; it never moves back. */
  private int window() {
    int m = expCmdSn - 1 + Math.max(0, config.queueDepth() - tasks.size());
    if (SerialNumbers.greaterThan(m, maxCmdSn)) {
      maxCmdSn = m;
    }
    return maxCmdSn;
  }

  // =============================================================================================
  // NOP (§11.18, §11.19)

  private void onNopOut(Pdu p) {
    if (p.initiatorTaskTag() == Bhs.NO_TAG) {
      if (Bhs.targetTransferTag(p) == pingTtt) {
        pingTtt = Bhs.NO_TAG;
      }
      return;
    }
    send(Bhs.of(Opcode.NOP_IN).fin(true).lun(p.lun()).itt(p.initiatorTaskTag()).word(20, Bhs.NO_TAG)
        .word(24, statSn++).word(28, expCmdSn).word(32, window()).build(p.data()));
  }

  private void schedulePing() {
    long nanos = config.nopInterval().toNanos();
    if (nanos <= 0 || pingScheduled) {
      return;
    }
    pingScheduled = true;
    wire.schedule(nanos, this::onPingTimer);
  }

  private void onPingTimer() {
    pingScheduled = false;
    if (phase != Phase.FULL_FEATURE) {
      return;
    }
    if (pingTtt != Bhs.NO_TAG) {
      LOG.info("iSCSI {}: no answer to NOP-In ping; closing", remote);
      close();
      return;
    }
    if (System.nanoTime() - lastActivity >= config.nopInterval().toNanos()) {
      ping();
    }
    schedulePing();
  }

  /** Sends a NOP-In ping (ITT 0xFFFFFFFF, a TTT the initiator must echo in a NOP-Out). */
  public void ping() {
    pingTtt = newTtt();
    send(Bhs.of(Opcode.NOP_IN).fin(true).lun(0).itt(Bhs.NO_TAG).word(20, pingTtt)
        .word(24, statSn).word(28, expCmdSn).word(32, window()).build());
  }

  private int newTtt() {
    int t = nextTtt++;
    if (nextTtt == Bhs.NO_TAG || nextTtt == 0) {
      nextTtt = 1;
    }
    return t;
  }

  // =============================================================================================
  // Text: SendTargets (§11.10, Appendix C)

  private void onText(Pdu p) {
    TextKeys.Parsed parsed = TextKeys.parse(p.data());
    List<TextKeys.Pair> answer = new ArrayList<>();
    if (!(parsed instanceof TextKeys.Parsed.Ok ok)) {
      reject(p, REJECT_INVALID_FIELD);
      return;
    }
    for (TextKeys.Pair kv : ok.pairs()) {
      if ("SendTargets".equals(kv.key())) {
        Map<Integer, Map<Integer, EmuTarget>> all = inventory.snapshot();
        for (Map.Entry<Integer, Map<Integer, EmuTarget>> b : all.entrySet()) {
          for (Integer t : b.getValue().keySet()) {
            String name = TargetNames.name(config.host(), b.getKey(), t);
            boolean wanted = "All".equals(kv.value()) && sessionType == SessionType.DISCOVERY
                || name.equals(kv.value())
                || kv.value().isEmpty() && sessionType == SessionType.NORMAL && name.equals(targetName);
            if (wanted) {
              answer.add(new TextKeys.Pair("TargetName", name));
              answer.add(new TextKeys.Pair("TargetAddress", portalAddress + ",1"));
            }
          }
        }
      } else {
        answer.add(new TextKeys.Pair(kv.key(), "NotUnderstood"));
      }
    }
    send(Bhs.of(Opcode.TEXT_RESPONSE).fin(true).lun(p.lun()).itt(p.initiatorTaskTag()).word(20, Bhs.NO_TAG)
        .word(24, statSn++).word(28, expCmdSn).word(32, window()).build(TextKeys.format(answer)));
  }

  // =============================================================================================
  // Logout (§11.14, §11.15)

  private void onLogout(Pdu p) {
    int reason = Bhs.logoutReason(p);
    int response = reason == 2 ? 2 : 0; // remove for recovery: not supported at ERL 0
    abortAll();
    send(Bhs.of(Opcode.LOGOUT_RESPONSE).fin(true).byte2(response).itt(p.initiatorTaskTag())
        .word(24, statSn++).word(28, expCmdSn).word(32, window()).word(40, 0).build());
    close();
  }

  // =============================================================================================
  // SCSI Command (§11.3) and data

  private final class Task {
    final int itt;
    final long lun;
    final byte[] cdb;
    final long edtl;
    final boolean read;
    final boolean write;
    byte[] out;
    int received; // bytes of Data-Out received
    int unsolicitedEnd; // offset where solicited data starts
    int unsolicitedDataSn;
    int nextR2tOffset; // next offset to solicit
    int r2tSn;
    int outstandingR2t;
    Map<Integer, int[]> r2ts = Map.of(); // ttt -> {offset, length, expected DataSN}; a HashMap once an R2T is sent
    boolean executing;
    LunTask lunTask; // set once started on the LUN; completed in forget(), once
    int attr = SIMPLE; // task attribute (SAM-5 8.6)
    boolean waiting; // held back by the task attributes (ORDERED, or behind an ORDERED)
    long overflow; // bytes the CDB's transfer length exceeds EDTL by (O residual), for a later answer
    long laterTag; // != 0 while the LUN answers later (answeringLater)

    Task(int itt, long lun, byte[] cdb, long edtl, boolean read, boolean write) {
      this.itt = itt;
      this.lun = lun;
      this.cdb = cdb;
      this.edtl = edtl;
      this.read = read;
      this.write = write;
    }
  }

  private void onScsiCommand(Pdu p) {
    if (sessionType != SessionType.NORMAL) {
      reject(p, REJECT_PROTOCOL);
      return;
    }
    int itt = p.initiatorTaskTag();
    if (itt == Bhs.NO_TAG || tasks.containsKey(itt)) {
      reject(p, REJECT_INVALID_FIELD);
      return;
    }
    boolean read = Bhs.read(p);
    boolean write = Bhs.write(p);
    long edtl = Bhs.expectedDataTransferLength(p);
    int imm = p.dataSegmentLength();
    if (imm > 0 && (!write || !immediateData || imm > edtl || imm > firstBurst)) {
      reject(p, REJECT_INVALID_FIELD);
      return;
    }
    byte[] cdb = trimCdb(Bhs.cdb(p));
    Task t = new Task(itt, decodeLun(p.lun()), cdb, edtl, read, write);
    t.attr = Bhs.taskAttribute(p);
    tasks.put(itt, t);
    if (t.attr == ORDERED) {
      orderedTasks++;
    }
    if (t.attr == ACA) { // SAM-5 8.6.5: an ACA task without an ACA condition (NACA=1 is refused: never one)
      finish(t, ScsiResponse.checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x49, 0x00), dxfer(edtl)));
      return;
    }
    if (write && edtl > 0) {
      if (edtl > config.maxWriteBuffer()) {
        finish(t, ScsiResponse.checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x55, 0x00), (int) Math.min(edtl, Integer.MAX_VALUE)));
        return;
      }
      // grown as data arrives (never beyond EDTL): a hostile EDTL with no data costs nothing
      t.out = new byte[Math.max(imm, (int) Math.min(edtl, 65536))];
      p.copyData(t.out, 0);
      t.received = imm;
      t.unsolicitedEnd = p.fin() || initialR2t ? imm : (int) Math.min(firstBurst, edtl);
      t.nextR2tOffset = t.unsolicitedEnd;
      if (t.received < edtl) {
        issueR2ts(t);
        return;
      }
    }
    execute(t);
  }

  private static byte[] trimCdb(byte[] c) {
    int op = c[0] & 0xFF;
    int len = switch (op >>> 5) {
      case 0 -> 6;
      case 1, 2 -> 10;
      case 5 -> 12;
      default -> 16;
    };
    if (c.length > 16 || len >= c.length) {
      return c;
    }
    byte[] t = new byte[len];
    System.arraycopy(c, 0, t, 0, len);
    return t;
  }

  /** SAM LUN structure (bytes 8..15) to a LUN number: peripheral (00b) and flat (01b) addressing. */
  static long decodeLun(long raw) {
    int b0 = (int) (raw >>> 56) & 0xFF;
    int b1 = (int) (raw >>> 48) & 0xFF;
    int method = b0 >>> 6;
    if (method == 0) {
      return b1 | ((long) (b0 & 0x3F) << 8);
    }
    if (method == 1) {
      return ((long) (b0 & 0x3F) << 8) | b1;
    }
    return -1;
  }

  private void issueR2ts(Task t) {
    while (t.outstandingR2t < maxR2t && t.nextR2tOffset < t.edtl) {
      int len = (int) Math.min(maxBurst, t.edtl - t.nextR2tOffset);
      int ttt = newTtt();
      if (t.r2ts.isEmpty()) {
        t.r2ts = new HashMap<>();
      }
      t.r2ts.put(ttt, new int[] {t.nextR2tOffset, len, 0});
      byTtt.put(ttt, t);
      t.outstandingR2t++;
      send(Bhs.of(Opcode.R2T).fin(true).lun(encodeLun(t.lun)).itt(t.itt).word(20, ttt)
          .word(24, statSn).word(28, expCmdSn).word(32, window()).word(36, t.r2tSn++)
          .word(40, t.nextR2tOffset).word(44, len).build());
      t.nextR2tOffset += len;
    }
  }

  private static long encodeLun(long lun) {
    if (lun < 256) {
      return lun << 48;
    }
    return (0x4000L | (lun & 0x3FFF)) << 48;
  }

  private void onDataOut(Pdu p) {
    Task t = tasks.get(p.initiatorTaskTag());
    int ttt = Bhs.targetTransferTag(p);
    if (t == null || t.out == null || t.executing) {
      reject(p, REJECT_INVALID_FIELD);
      return;
    }
    long off = Bhs.bufferOffset(p);
    int len = p.dataSegmentLength();
    int dataSn = Bhs.dataSn(p);
    int[] seq = null;
    if (ttt == Bhs.NO_TAG) {
      if (dataSn != t.unsolicitedDataSn || off + len > t.unsolicitedEnd) {
        dataOutError(t, p);
        return;
      }
      t.unsolicitedDataSn++;
    } else {
      seq = t.r2ts.get(ttt);
      if (seq == null || byTtt.get(ttt) != t || dataSn != seq[2] || off < seq[0] || off + len > (long) seq[0] + seq[1]) {
        dataOutError(t, p);
        return;
      }
      seq[2]++;
    }
    if (off != t.received) { // DataPDUInOrder and DataSequenceInOrder are Yes
      dataOutError(t, p);
      return;
    }
    if (off + len > t.out.length) {
      t.out = java.util.Arrays.copyOf(t.out, (int) Math.min(t.edtl, Math.max(off + len, 2L * t.out.length)));
    }
    p.copyData(t.out, (int) off);
    t.received += len;
    if (seq != null && p.fin()) {
      if (off + len != (long) seq[0] + seq[1]) {
        dataOutError(t, p);
        return;
      }
      t.r2ts.remove(ttt);
      byTtt.remove(ttt);
      t.outstandingR2t--;
    }
    if (t.received == t.edtl) {
      execute(t);
    } else if (seq != null && p.fin()) {
      issueR2ts(t);
    }
  }

  /** A Data-Out that breaks the task's sequence: Reject it and end the task (it cannot complete). */
  private void dataOutError(Task t, Pdu p) {
    LOG.debug("iSCSI {}: bad Data-Out for itt 0x{}: DataSN {} offset {}", remote, Integer.toHexString(t.itt), Bhs.dataSn(p), Bhs.bufferOffset(p));
    reject(p, REJECT_PROTOCOL);
    forget(t); // the initiator fails the task on the Reject (its header carries the ITT)
    aborted++;
  }

  private void execute(Task t) {
    if (!admitted(t)) { // task attributes: an ORDERED task, or one behind it, waits its turn
      return;
    }
    t.executing = true;
    EmuTarget target = inventory.target(bus, targetId);
    if (target == null) {
      finish(t, ScsiResponse.checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x25, 0x00), dxfer(t.edtl)));
      return;
    }
    int edtl = dxfer(t.edtl);
    byte[] cdb = t.cdb;
    int op = cdb[0] & 0xFF;
    long tlBlocks = ScsiTransfer.blocks(cdb);
    EmuDevice dev = target.device(t.lun);
    int bs = dev != null && dev.spec().blockSize() > 0 ? dev.spec().blockSize() : 0;
    long tlBytes = tlBlocks >= 0 && bs > 0 ? tlBlocks * bs : -1;
    ByteString dataOut = t.out == null ? ByteString.emptyByteString() : ByteString.fromArrayUnsafe(t.out, 0, t.received);
    long overflow = 0;
    if (tlBytes >= 0 && ScsiTransfer.isBlockWrite(op)) {
      if (tlBytes > edtl) {
        overflow = tlBytes - edtl;
        long blocks = edtl / bs;
        byte[] c = ScsiTransfer.withBlocks(cdb, blocks);
        if (c != null) {
          cdb = c;
        }
        dataOut = dataOut.take((int) (blocks * bs));
      } else if (tlBytes < edtl) {
        dataOut = dataOut.take((int) tlBytes);
      }
    } else if (tlBytes > edtl && ScsiTransfer.isBlockRead(op)) {
      overflow = tlBytes - edtl;
    }
    LunTask lt = target.start(t.lun, ByteString.fromArrayUnsafe(cdb), dataOut, edtl, initiatorId, laterAnswer, nextLaterTag);
    t.lunTask = lt;
    ScsiResponse r = lt.response();
    if (r == ScsiResponse.PENDING) { // the answer comes through answeredLater, after this event
      t.overflow = overflow;
      t.laterTag = nextLaterTag++;
      answeringLater.put(t.laterTag, t);
      return;
    }
    answer(t, r, overflow);
  }

  /** A LUN's later answer, on any thread: onto this connection's thread. */
  private void postLater(long tag, ScsiResponse r) {
    wire.post(() -> answeredLater(tag, r));
  }

  /** The LUN's answer to a task that went to another node: sent now, unless the task ended meanwhile. */
  private void answeredLater(long tag, ScsiResponse r) {
    Task t = answeringLater.remove(tag);
    if (t == null || tasks.get(t.itt) != t) {
      lateAnswersDropped++;
      LOG.debug("iSCSI {}: late answer of an ended task dropped", remote);
      return;
    }
    t.laterTag = 0;
    answer(t, r, t.overflow);
  }

  /** Delivers the LUN's answer: now, after its injected delay, or never (dropped: until the task ends). */
  private void answer(Task t, ScsiResponse r, long ovf) {
    if (r.dropped()) {
      return; // never answered: stays in flight until aborted or the connection ends
    }
    if (r.delayNanos() > 0) {
      final ScsiResponse rr = r;
      wire.schedule(r.delayNanos(), () -> {
        if (tasks.get(t.itt) == t) {
          finish(t, rr, ovf);
        }
      });
      return;
    }
    finish(t, r, ovf);
  }

  private static int dxfer(long edtl) {
    return (int) Math.min(edtl, Integer.MAX_VALUE);
  }

  private void finish(Task t, ScsiResponse r) {
    finish(t, r, 0);
  }

  /** Sends the task's Data-In and status; the task ends here, once. */
  private void finish(Task t, ScsiResponse r, long overflow) {
    if (phase != Phase.FULL_FEATURE) {
      forget(t); // no answer any more (the connection is ending): the task still ends, once
      return;
    }
    LunTask lt = t.lunTask; // completed once the answer is sent (cf. ctl_done() after the status)
    t.lunTask = null;
    forget(t);
    completed++;
    try {
      respond(t, r, overflow);
    } finally {
      if (lt != null) {
        lt.complete();
      }
    }
  }

  private void respond(Task t, ScsiResponse r, long overflow) {
    ByteString data = t.read ? r.data() : ByteString.emptyByteString();
    if (data.size() > t.edtl) {
      data = data.take(dxfer(t.edtl));
    }
    int residFlags = 0;
    long resid = 0;
    if (overflow > 0 && r.scsiStatus() == ScsiStatus.GOOD) {
      residFlags = 0x04; // O
      resid = overflow;
    } else if (r.resid() > 0 && t.edtl > 0) {
      residFlags = 0x02; // U
      resid = Math.min(r.resid(), t.edtl);
    } else if (t.read && data.size() < t.edtl && r.scsiStatus() == ScsiStatus.GOOD) {
      residFlags = 0x02;
      resid = t.edtl - data.size();
    }
    boolean collapse = r.sense().isEmpty() && r.scsiStatus() == ScsiStatus.GOOD;
    int n = data.size();
    int dataSn = 0;
    if (n > 0) {
      int off = 0;
      while (off < n) {
        int len = Math.min(txMaxData, n - off);
        boolean last = off + len == n;
        boolean status = last && collapse;
        Bhs.Builder b = Bhs.of(Opcode.SCSI_DATA_IN).fin(last).lun(encodeLun(t.lun)).itt(t.itt)
            .word(20, Bhs.NO_TAG).word(28, expCmdSn).word(32, window()).word(36, dataSn++).word(40, off);
        if (status) {
          b.flags(0x01 | residFlags).byte3(r.scsiStatus()).word(24, statSn++).word(44, (int) resid);
        }
        // the LUN's bytes go out as they are (an immutable view of the store): no copy until the socket's
        wire.write(b.encode(len == n ? data : data.slice(off, off + len), tx));
        off += len;
      }
      if (collapse) {
        return;
      }
    }
    ByteString seg = ByteString.emptyByteString();
    int senseLength = r.sense().size();
    if (senseLength > 0) { // SenseLength, then the sense data (§11.4.7)
      byte[] b = new byte[2 + senseLength];
      b[0] = (byte) (senseLength >>> 8);
      b[1] = (byte) senseLength;
      r.sense().copyToArray(b, 2, senseLength);
      seg = ByteString.fromArrayUnsafe(b);
    }
    wire.write(Bhs.of(Opcode.SCSI_RESPONSE).fin(true).flags(residFlags).byte2(0).byte3(r.scsiStatus()).itt(t.itt)
        .word(20, 0).word(24, statSn++).word(28, expCmdSn).word(32, window()).word(36, dataSn)
        .word(40, 0).word(44, (int) resid).encode(seg, tx));
  }

  /**
   * The task ends (answered, aborted, or its connection gone): every end of a task comes here, and
   * its LUN task, if started, is completed here, once (cf. {@code ctl_done()}).
   */
  private void forget(Task t) {
    if (!tasks.remove(t.itt, t)) {
      return;
    }
    if (t.waiting) {
      t.waiting = false;
      waitingTasks--;
    }
    if (t.attr == ORDERED) {
      orderedTasks--;
    }
    if (!t.r2ts.isEmpty()) {
      for (Integer ttt : t.r2ts.keySet()) {
        byTtt.remove(ttt);
      }
      t.r2ts = Map.of();
    }
    if (t.laterTag != 0) {
      answeringLater.remove(t.laterTag); // its answer, if it still comes, is dropped
      t.laterTag = 0;
    }
    LunTask lt = t.lunTask;
    if (lt != null) {
      t.lunTask = null;
      lt.complete();
    }
    if ((waitingTasks > 0 || t.attr == ORDERED) && phase == Phase.FULL_FEATURE) {
      wire.schedule(0, this::releaseWaiting); // after the current PDU's work, on this thread
    }
  }

  // =============================================================================================
  // Task attributes (SAM-5 8.6): per LUN of this session, oldest first in `tasks` (arrival order).
  // SIMPLE runs at once unless an older ORDERED task of the LUN is still in the task set; ORDERED
  // waits until every older task of the LUN has ended; HEAD OF QUEUE runs at once (ahead of every
  // waiting task); untagged counts as SIMPLE. The LUN ends each command at once or after an
  // injected delay, so "waiting" only ever happens behind delayed or dropped tasks.

  static final int UNTAGGED = 0;
  static final int SIMPLE = 1;
  static final int ORDERED = 2;
  static final int HEAD_OF_QUEUE = 3;
  static final int ACA = 4;
  private int waitingTasks;
  private int orderedTasks; // ORDERED tasks in `tasks`

  private boolean mustWait(Task t) {
    if (t.attr == HEAD_OF_QUEUE || t.attr != ORDERED && orderedTasks == 0 && waitingTasks == 0) {
      return false; // the common case (SIMPLE only) costs no walk
    }
    for (Task o : tasks.values()) {
      if (o == t) {
        return false; // every older task has been looked at
      }
      if (o.lun != t.lun || o.attr == HEAD_OF_QUEUE) {
        continue;
      }
      if (t.attr == ORDERED || o.attr == ORDERED || o.waiting) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code t} may run now; if not it is marked waiting ({@link #releaseWaiting} runs it later). */
  private boolean admitted(Task t) {
    if (mustWait(t)) {
      if (!t.waiting) {
        t.waiting = true;
        waitingTasks++;
      }
      return false;
    }
    if (t.waiting) {
      t.waiting = false;
      waitingTasks--;
    }
    return true;
  }

  /** A task ended: waiting tasks whose older tasks have ended run now, oldest first. */
  private void releaseWaiting() {
    if (waitingTasks == 0 || phase != Phase.FULL_FEATURE) {
      return;
    }
    for (Task t : new ArrayList<>(tasks.values())) {
      if (t.waiting && tasks.get(t.itt) == t && !mustWait(t)) {
        execute(t);
      }
    }
  }

  private void abortAll() {
    for (Task t : new ArrayList<>(tasks.values())) {
      forget(t);
      aborted++;
    }
    pendingCommands.clear();
  }

  // =============================================================================================
  // Task management (§11.5, §11.6)

  private void onTmf(Pdu p) {
    int fn = Bhs.tmfFunction(p);
    sessions.countTmf(fn);
    long lun = decodeLun(p.lun());
    int response;
    EmuTarget target = inventory.target(bus, targetId);
    switch (fn) {
      case 1 -> { // ABORT TASK
        Task t = tasks.get(Bhs.referencedTaskTag(p));
        if (t != null) {
          forget(t);
          aborted++;
          response = 0;
        } else {
          // §11.5.1: a task not yet received (RefCmdSN still in the window) counts as aborted
          response = SerialNumbers.inWindow(Bhs.refCmdSn(p), expCmdSn, maxCmdSn) ? 0 : 1;
        }
      }
      case 2 -> { // ABORT TASK SET: this nexus's tasks of the LUN only (SAM-5 7.3)
        abortLun(lun);
        response = 0;
      }
      case 4 -> { // CLEAR TASK SET: every nexus's tasks of the LUN (SAM-5 7.4, one task set per LUN)
        abortLun(lun);
        if (target != null) {
          sessions.abortTasks(target, lun, IscsiSessions.ANY_NEXUS, true, control);
        }
        response = 0;
      }
      case 5 -> { // LOGICAL UNIT RESET: every nexus's tasks of the LUN; every nexus (the requester too) hears 29/03
        EmuDevice d = target == null ? null : target.device(lun);
        if (d == null) {
          response = 2;
        } else {
          abortLun(lun);
          sessions.abortTasks(target, lun, IscsiSessions.ANY_NEXUS, false, control);
          // to every nexus, as CTL's ctl_do_lun_reset (libiscsi MultipathIO.Reset checks it); a clustered
          // LUN's reaches the other members' nexuses too, and the response waits for that (docs/cluster.md)
          java.util.concurrent.CompletableFuture<Void> reset = d.lunReset(0x29, 0x03).toCompletableFuture();
          if (!reset.isDone()) {
            reset.whenComplete((ok, e) -> wire.post(() -> {
              if (phase == Phase.FULL_FEATURE) {
                tmfResponse(p, fn, 0);
              }
            }));
            return;
          }
          response = 0;
        }
      }
      case 6, 7 -> { // TARGET WARM/COLD RESET: every LUN, every nexus (cold also ends the connection, below)
        if (target != null) {
          for (Task t : new ArrayList<>(tasks.values())) {
            forget(t);
            aborted++;
          }
          sessions.abortTasks(target, IscsiSessions.ALL_LUNS, IscsiSessions.ANY_NEXUS, false, control);
          target.targetReset();
        }
        response = 0;
      }
      case 9 -> { // QUERY TASK
        response = tasks.containsKey(Bhs.referencedTaskTag(p)) ? 0 : 1;
      }
      default -> response = 5; // function not supported
    }
    if (sessionType != SessionType.NORMAL) {
      response = 255;
    }
    tmfResponse(p, fn, response);
  }

  private void tmfResponse(Pdu p, int fn, int response) {
    send(Bhs.of(Opcode.TASK_MGMT_RESPONSE).fin(true).byte2(response).itt(p.initiatorTaskTag())
        .word(24, statSn++).word(28, expCmdSn).word(32, window()).build());
    if (fn == 7 && response == 0) {
      close(); // §11.5.1: after a cold reset the target drops every connection
    }
  }

  /** Aborts this session's tasks of {@code lun} ({@link IscsiSessions#ALL_LUNS}: all); returns how many. */
  private int abortLun(long lun) {
    int n = 0;
    for (Iterator<Task> it = new ArrayList<>(tasks.values()).iterator(); it.hasNext(); ) {
      Task t = it.next();
      if (t.lun == lun || lun == IscsiSessions.ALL_LUNS) {
        forget(t);
        aborted++;
        n++;
      }
    }
    return n;
  }

  /**
   * Another nexus's task management (CLEAR TASK SET, LOGICAL UNIT RESET, TARGET RESET) or PREEMPT
   * AND ABORT aborts this session's tasks of {@code lun} on {@code target}, when this session's
   * nexus is {@code nexus} ({@link IscsiSessions#ANY_NEXUS}: any). Runs on this connection's thread
   * (posted through {@link IscsiSessions.Control#abortTasks}). Each aborted task ends here once,
   * without a response (RFC 7143 §4.2.3.3 at ERL 0: the initiator learns of it through the unit
   * attention; with {@code reportCleared}, 2F/00 COMMANDS CLEARED BY ANOTHER INITIATOR, SAM-5 7.4
   * with TAS=0). cf. CTL's {@code ctl_abort_tasks_lun()}.
   */
  void abortTasksOf(EmuTarget target, long lun, int nexus, boolean reportCleared) {
    if (phase != Phase.FULL_FEATURE || sessionType != SessionType.NORMAL || bus < 0
        || inventory.target(bus, targetId) != target || nexus != IscsiSessions.ANY_NEXUS && nexus != initiatorId) {
      return;
    }
    int n = abortLun(lun);
    if (n > 0) {
      LOG.debug("iSCSI {}: {} task(s) of lun {} aborted by another nexus", remote, n, lun);
    }
    EmuDevice d = lun == IscsiSessions.ALL_LUNS ? null : target.device(lun);
    if (reportCleared && n > 0 && d != null) {
      d.postUnitAttentionTo(initiatorId, 0x2f, 0x00);
    }
  }

  // =============================================================================================
  // Reject (§11.17)

  private void reject(Pdu p, int reason) {
    if (phase != Phase.FULL_FEATURE) {
      close();
      return;
    }
    send(Bhs.of(Opcode.REJECT).fin(true).byte2(reason).itt(Bhs.NO_TAG)
        .word(24, statSn).word(28, expCmdSn).word(32, window()).build(p.bhs()));
  }

  // =============================================================================================

  private void send(Pdu p) {
    wire.write(ByteString.fromArrayUnsafe(PduCodec.encode(p, tx)));
  }

  /**
   * CHAP (RFC 1994 in RFC 7143 §12.1.3), the target's side of the exchange: one-way and mutual,
   * over the one CHAP implementation ({@link org.camstack.stack.iscsi.Chap}).
   */
  static final class ChapExchange {
    sealed interface Step {
      List<TextKeys.Pair> pairs();

      record More(List<TextKeys.Pair> pairs) implements Step {}

      record Done(List<TextKeys.Pair> pairs) implements Step {}

      record Fail(List<TextKeys.Pair> pairs) implements Step {}
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private final org.camstack.stack.iscsi.Chap.Credentials secrets;
    private org.camstack.stack.iscsi.Chap.Challenge challenge;

    ChapExchange(org.camstack.stack.iscsi.Chap.Credentials secrets) {
      this.secrets = secrets;
    }

    Step step(List<TextKeys.Pair> in, boolean hasChapKeys) {
      Map<String, String> m = new HashMap<>();
      for (TextKeys.Pair kv : in) {
        m.put(kv.key(), kv.value());
      }
      if (challenge == null) {
        if (!m.containsKey("CHAP_A")) {
          return new Step.More(List.of());
        }
        boolean md5 = false;
        for (String a : m.get("CHAP_A").split(",")) {
          md5 |= Integer.toString(org.camstack.stack.iscsi.Chap.ALGORITHM_MD5).equals(a);
        }
        if (!md5) {
          return new Step.Fail(List.of());
        }
        challenge = org.camstack.stack.iscsi.Chap.newChallenge(RANDOM);
        return new Step.More(List.of(
            new TextKeys.Pair("CHAP_A", Integer.toString(org.camstack.stack.iscsi.Chap.ALGORITHM_MD5)),
            new TextKeys.Pair("CHAP_I", Integer.toString(challenge.id())),
            new TextKeys.Pair("CHAP_C", challenge.encoded())));
      }
      String n = m.get("CHAP_N");
      String r = m.get("CHAP_R");
      if (n == null || r == null) {
        return new Step.Fail(List.of());
      }
      try {
        byte[] got = org.camstack.stack.iscsi.Chap.decode(r);
        org.camstack.stack.iscsi.Chap.Account who = secrets.initiator();
        boolean userOk = MessageDigest.isEqual(n.getBytes(StandardCharsets.UTF_8), who.user().getBytes(StandardCharsets.UTF_8));
        if (!who.verifies(challenge, got) || !userOk) {
          return new Step.Fail(List.of());
        }
        String mi = m.get("CHAP_I");
        String mc = m.get("CHAP_C");
        if (mi == null && mc == null) {
          return secrets.mutual().isPresent() ? new Step.Fail(List.of()) : new Step.Done(List.of());
        }
        if (mi == null || mc == null || secrets.mutual().isEmpty()) {
          return new Step.Fail(List.of());
        }
        byte[] theirs = org.camstack.stack.iscsi.Chap.decode(mc);
        int theirId = org.camstack.stack.iscsi.Chap.parseId(mi);
        if (theirs.length == 0 || org.camstack.stack.iscsi.Chap.reflected(challenge, theirs)) {
          return new Step.Fail(List.of());
        }
        org.camstack.stack.iscsi.Chap.Account us = secrets.mutual().get();
        byte[] resp = org.camstack.stack.iscsi.Chap.response(theirId, us.secret(), theirs);
        return new Step.Done(List.of(new TextKeys.Pair("CHAP_N", us.user()),
            new TextKeys.Pair("CHAP_R", org.camstack.stack.iscsi.Chap.encodeHex(resp))));
      } catch (IllegalArgumentException malformed) { // a bad binary value or CHAP_I: authentication fails
        return new Step.Fail(List.of());
      }
    }
  }
}
