package org.camstack.stack.sim.iscsi;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.iscsi.Bhs;
import org.camstack.stack.iscsi.Chap;
import org.camstack.stack.iscsi.Negotiation;
import org.camstack.stack.iscsi.Opcode;
import org.camstack.stack.iscsi.Pdu;
import org.camstack.stack.iscsi.PduCodec;
import org.camstack.stack.iscsi.SerialNumbers;
import org.camstack.stack.iscsi.TextKeys;
import org.camstack.stack.scsi.ReportLuns;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.sim.AsyncSimDataPath;

/**
 * The initiator side of one iSCSI connection (RFC 7143), socket-free: PDUs in ({@link #received}),
 * commands in ({@link #submit}, {@link #abortTask}, {@link #lunReset}, {@link #logout}, {@link
 * #tick}), and out a {@link Step}: the PDUs to write, in order, and the commands that finished. The
 * connection that owns the socket ({@link IscsiLink}) calls it under one lock and writes what it
 * returns; tests drive it with PDUs alone. cf. FreeBSD's {@code iscsi.c} (the kernel half of the
 * initiator) with the login of {@code iscsid}.
 *
 * <p>States: {@code SECURITY} &rarr; {@code OPERATIONAL} &rarr; {@code FULL_FEATURE} &rarr;
 * {@code LOGGING_OUT} &rarr; {@code CLOSED}; or {@code FAILED} from anywhere, with the reason. A
 * failed or closed session answers nothing more; its unfinished commands are handed back by {@link
 * #drain()} (the SIM requeues them on the next connection).
 *
 * <p>Negotiation uses the shared rules of {@link Negotiation}: this side offers its values and
 * takes the target's answers; keys the target offers are answered with {@link
 * Negotiation#answer}. The CmdSN window ([ExpCmdSN, MaxCmdSN]) holds commands back when closed.
 * Data-Out: immediate data and one unsolicited burst as negotiated, then one sequence per R2T.
 */
public final class InitiatorSession {

  /** Session states. */
  public enum State {
    SECURITY,
    OPERATIONAL,
    FULL_FEATURE,
    LOGGING_OUT,
    CLOSED,
    FAILED
  }

  /**
   * What this initiator asks for.
   *
   * @param isid the session's ISID (48 bits)
   * @param chap CHAP credentials (empty: AuthMethod=None)
   * @param maxRecvDataSegmentLength what we accept in one PDU (declared)
   * @param noopIntervalNanos idle time after which a NOP-Out ping is sent (0: never)
   * @param noopTimeoutNanos how long a ping may go unanswered before the connection is declared dead
   */
  public record Params(
      String initiatorName,
      String targetName,
      long isid,
      Optional<Chap.Account> chap,
      int maxRecvDataSegmentLength,
      int firstBurstLength,
      int maxBurstLength,
      boolean immediateData,
      boolean initialR2t,
      long noopIntervalNanos,
      long noopTimeoutNanos) {
    /** Defaults: 256 KiB PDUs in, ImmediateData=Yes, InitialR2T=No, pings every 5 s, 10 s to answer. */
    public static Params of(String initiatorName, String targetName, long isid, Optional<Chap.Account> chap) {
      return new Params(initiatorName, targetName, isid, chap, 262_144, 65_536, 262_144, true, false,
          5_000_000_000L, 10_000_000_000L);
    }
  }

  /** What was negotiated (the values both sides use in full feature phase). */
  public record Negotiated(
      int maxSendDataSegmentLength,
      int firstBurstLength,
      int maxBurstLength,
      boolean immediateData,
      boolean initialR2t,
      int tsih) {}

  /** A command whose answer came (or that was terminated). */
  public record Finished(AsyncSimDataPath.Done done, ScsiResponse response, CamStatus status) {
    /** Tells the owner; call outside any lock. */
    public void report() {
      if (response != null) {
        done.answered(response);
      } else {
        done.failed(status);
      }
    }
  }

  /** The outcome of one input: PDUs to send, in order, and commands finished. */
  public static final class Step {
    public final List<Pdu> send = new ArrayList<>();
    public final List<Finished> finished = new ArrayList<>();
    /** Unit attentions seen in SCSI responses: (lun, asc, ascq). */
    public final List<long[]> unitAttentions = new ArrayList<>();

    public boolean isEmpty() {
      return send.isEmpty() && finished.isEmpty() && unitAttentions.isEmpty();
    }
  }

  /** A SCSI command of this session. */
  private static final class Task {
    final long handle;
    final int itt;
    final long lun;
    final byte[] cdb;
    final byte[] out;
    final int dxferLen;
    final boolean read;
    final AsyncSimDataPath.Done done;
    int cmdSn;
    boolean sent;
    byte[] in;
    int inBytes;
    int unsolicitedSent; // bytes of data sent without R2T (immediate + unsolicited Data-Out)

    Task(long handle, int itt, long lun, byte[] cdb, byte[] out, int dxferLen, AsyncSimDataPath.Done done) {
      this.handle = handle;
      this.itt = itt;
      this.lun = lun;
      this.cdb = cdb;
      this.out = out;
      this.dxferLen = dxferLen;
      this.read = out.length == 0 && dxferLen > 0;
      this.done = done;
    }
  }

  private static final int LOGIN_ITT = 0;
  private static final int LUN_RESET = 5;
  private static final int ABORT_TASK = 1;

  private final Params params;
  private State state = State.SECURITY;
  private String failure;
  private int chapStep; // 0 offer methods, 1 sent CHAP_A, 2 sent response
  private int cmdSn = 1;
  private int expStatSn;
  private int maxCmdSn = 1;
  private int expCmdSn = 1;
  private int nextItt = 1;
  private int tsih;
  private Negotiated negotiated;
  private final Map<String, String> theirs = new HashMap<>();
  /** Commands sent, by ITT. */
  private final Map<Integer, Task> tasks = new LinkedHashMap<>();
  /** Commands waiting for the CmdSN window, in order. */
  private final ArrayDeque<Task> waiting = new ArrayDeque<>();
  private final Map<Long, Task> byHandle = new HashMap<>();
  /** Task management requests in flight: ITT &rarr; completion (null for an abort nobody waits for). */
  private final Map<Integer, Runnable> tmfs = new HashMap<>();
  private final Map<Integer, Long> resets = new HashMap<>(); // LU RESET itt -> lun
  private long lastHeardNanos;
  private int pingItt = -1;
  private long pingSentNanos;
  private Runnable onLoggedOut;

  public InitiatorSession(Params params, long nowNanos) {
    this.params = params;
    this.lastHeardNanos = nowNanos;
  }

  public State state() {
    return state;
  }

  /** Why the session failed, or null. */
  public String failure() {
    return failure;
  }

  /** The negotiated values; null before full feature phase. */
  public Negotiated negotiated() {
    return negotiated;
  }

  /** The framing for what we receive: no digests, our MaxRecvDataSegmentLength (login: 8 KiB + slack). */
  public PduCodec.Settings receiveSettings() {
    return new PduCodec.Settings(false, false, Math.max(params.maxRecvDataSegmentLength(), 8192));
  }

  /** Commands sent or waiting. */
  public int outstanding() {
    return tasks.size() + waiting.size();
  }

  // ------------------------------------------------------------------------------------- login

  /** The first Login Request. */
  public Step start() {
    Step s = new Step();
    List<TextKeys.Pair> keys = new ArrayList<>();
    keys.add(new TextKeys.Pair("InitiatorName", params.initiatorName()));
    keys.add(new TextKeys.Pair("SessionType", "Normal"));
    keys.add(new TextKeys.Pair("TargetName", params.targetName()));
    keys.add(new TextKeys.Pair("AuthMethod", params.chap().isPresent() ? "CHAP" : "None"));
    if (params.chap().isEmpty()) {
      // no authentication: go to the operational stage at once
      s.send.add(login(0, 1, true, keys));
    } else {
      s.send.add(login(0, 1, false, keys));
    }
    return s;
  }

  private Pdu login(int csg, int nsg, boolean transit, List<TextKeys.Pair> keys) {
    int flags = (csg << 2) | (transit ? nsg : 0);
    return Bhs.of(Opcode.LOGIN_REQUEST).immediate(true).fin(transit).flags(flags).byte2(0).byte3(0)
        .lun((params.isid() << 16) | tsih).itt(LOGIN_ITT).word(20, 0).word(24, cmdSn).word(28, expStatSn)
        .build(TextKeys.format(keys, Chap.MAX_BINARY_BYTES * 2 + 2));
  }

  private List<TextKeys.Pair> operationalKeys() {
    List<TextKeys.Pair> k = new ArrayList<>();
    k.add(new TextKeys.Pair("HeaderDigest", "None"));
    k.add(new TextKeys.Pair("DataDigest", "None"));
    k.add(new TextKeys.Pair("MaxConnections", "1"));
    k.add(new TextKeys.Pair("InitialR2T", params.initialR2t() ? "Yes" : "No"));
    k.add(new TextKeys.Pair("ImmediateData", params.immediateData() ? "Yes" : "No"));
    k.add(new TextKeys.Pair("MaxRecvDataSegmentLength", Integer.toString(params.maxRecvDataSegmentLength())));
    k.add(new TextKeys.Pair("MaxBurstLength", Integer.toString(params.maxBurstLength())));
    k.add(new TextKeys.Pair("FirstBurstLength", Integer.toString(params.firstBurstLength())));
    k.add(new TextKeys.Pair("DefaultTime2Wait", "0"));
    k.add(new TextKeys.Pair("DefaultTime2Retain", "0"));
    k.add(new TextKeys.Pair("MaxOutstandingR2T", "1"));
    k.add(new TextKeys.Pair("DataPDUInOrder", "Yes"));
    k.add(new TextKeys.Pair("DataSequenceInOrder", "Yes"));
    k.add(new TextKeys.Pair("ErrorRecoveryLevel", "0"));
    return k;
  }

  private void onLoginResponse(Pdu p, Step s) {
    int statusClass = p.specific()[36 - 20] & 0xFF;
    int detail = p.specific()[37 - 20] & 0xFF;
    if (statusClass != 0) {
      fail(s, String.format("login refused by the target: status class %d detail %d%s", statusClass, detail,
          statusClass == 2 && detail == 1 ? " (authentication failed)"
              : statusClass == 2 && detail == 3 ? " (target not found)" : ""));
      return;
    }
    if (Bhs.textContinues(p)) {
      fail(s, "login response with C bit: continued text is not supported");
      return;
    }
    TextKeys.Parsed parsed = TextKeys.parse(p.data(), Chap.MAX_BINARY_BYTES * 2 + 2);
    if (parsed instanceof TextKeys.Parsed.Error e) {
      fail(s, "malformed login text: " + e.message());
      return;
    }
    List<TextKeys.Pair> pairs = ((TextKeys.Parsed.Ok) parsed).pairs();
    Map<String, String> got = new LinkedHashMap<>();
    for (TextKeys.Pair pair : pairs) {
      got.put(pair.key(), pair.value());
    }
    statSn(p.specificInt(24) + 1);
    expCmdSn = p.specificInt(28);
    maxCmdSn = p.specificInt(32);
    tsih = Bhs.tsih(p);
    int csg = Bhs.currentStage(p);
    boolean transit = Bhs.transit(p);
    int nsg = Bhs.nextStage(p);
    if (state == State.SECURITY) {
      if (csg != 0) {
        fail(s, "login response in stage " + csg + " while in the security stage");
        return;
      }
      if (params.chap().isPresent()) {
        onChap(p, got, transit, nsg, s);
        return;
      }
      String m = got.get("AuthMethod");
      if (m != null && !"None".equals(m)) {
        fail(s, "the target wants AuthMethod=" + m + " but no CHAP credentials are configured");
        return;
      }
      if (!transit) {
        s.send.add(login(0, 1, true, List.of()));
        return;
      }
      toOperational(s);
      return;
    }
    if (state == State.OPERATIONAL) {
      if (csg != 1) {
        fail(s, "login response in stage " + csg + " while in the operational stage");
        return;
      }
      theirs.putAll(got);
      List<TextKeys.Pair> answers = new ArrayList<>();
      for (Map.Entry<String, String> e : got.entrySet()) {
        if (!ourOffer(e.getKey()) && !"TargetAlias".equals(e.getKey()) && !"TargetPortalGroupTag".equals(e.getKey())
            && !"TargetAddress".equals(e.getKey()) && !"MaxRecvDataSegmentLength".equals(e.getKey())) {
          // a key the target offers on its own: answer it (cf. §6.2)
          answers.add(new TextKeys.Pair(e.getKey(),
              Negotiation.answer(Negotiation.SessionType.NORMAL, e.getKey(), e.getValue(), null).answer()));
        }
      }
      if (transit && nsg == 3) {
        fullFeature(s);
        return;
      }
      s.send.add(login(1, 3, true, answers));
    }
  }

  private boolean ourOffer(String key) {
    for (TextKeys.Pair p : operationalKeys()) {
      if (p.key().equals(key)) {
        return true;
      }
    }
    return false;
  }

  private void onChap(Pdu p, Map<String, String> got, boolean transit, int nsg, Step s) {
    Chap.Account account = params.chap().orElseThrow();
    switch (chapStep) {
      case 0 -> {
        if (!"CHAP".equals(got.get("AuthMethod"))) {
          fail(s, "the target did not accept AuthMethod=CHAP (answered " + got.get("AuthMethod") + ")");
          return;
        }
        chapStep = 1;
        s.send.add(login(0, 1, false, List.of(new TextKeys.Pair("CHAP_A", Integer.toString(Chap.ALGORITHM_MD5)))));
      }
      case 1 -> {
        String a = got.get("CHAP_A");
        String i = got.get("CHAP_I");
        String c = got.get("CHAP_C");
        if (!Integer.toString(Chap.ALGORITHM_MD5).equals(a) || i == null || c == null) {
          fail(s, "the target's CHAP challenge is incomplete (CHAP_A=" + a + ")");
          return;
        }
        byte[] r;
        try {
          r = account.respond(new Chap.Challenge(Chap.parseId(i), Chap.decode(c)));
        } catch (IllegalArgumentException e) {
          fail(s, "bad CHAP challenge from the target: " + e.getMessage());
          return;
        }
        chapStep = 2;
        s.send.add(login(0, 1, true, List.of(new TextKeys.Pair("CHAP_N", account.user()),
            new TextKeys.Pair("CHAP_R", Chap.encodeHex(r)))));
      }
      default -> {
        if (!transit) {
          s.send.add(login(0, 1, true, List.of()));
          return;
        }
        toOperational(s);
      }
    }
  }

  private void toOperational(Step s) {
    state = State.OPERATIONAL;
    s.send.add(login(1, 3, true, operationalKeys()));
  }

  private void fullFeature(Step s) {
    int maxSend = intKey("MaxRecvDataSegmentLength", 8192);
    int first = Math.min(params.firstBurstLength(), intKey("FirstBurstLength", params.firstBurstLength()));
    int burst = Math.min(params.maxBurstLength(), intKey("MaxBurstLength", params.maxBurstLength()));
    boolean imm = params.immediateData() && "Yes".equals(theirs.getOrDefault("ImmediateData", "Yes"));
    boolean r2t = params.initialR2t() || "Yes".equals(theirs.getOrDefault("InitialR2T", "Yes"));
    negotiated = new Negotiated(Math.max(512, maxSend), Math.min(first, burst), burst, imm, r2t, tsih);
    state = State.FULL_FEATURE;
    cmdSn = expCmdSn;
    pump(s);
  }

  private int intKey(String key, int dflt) {
    String v = theirs.get(key);
    if (v == null) {
      return dflt;
    }
    try {
      long n = Long.parseLong(v);
      return (int) Math.max(512, Math.min(n, Pdu.MAX_DATA_LENGTH));
    } catch (NumberFormatException e) {
      return dflt;
    }
  }

  // ---------------------------------------------------------------------------------- commands

  /**
   * A SCSI command. Sent at once when in full feature phase and the window is open, else held
   * (in order) until it is.
   *
   * @return the handle for {@link #abortTask}
   */
  public long submit(long handle, long lun, ByteString cdb, ByteString dataOut, int dxferLen,
      AsyncSimDataPath.Done done, Step s) {
    Task t = new Task(handle, nextItt(), lun, cdb.toArray(), dataOut.toArray(), dxferLen, done);
    byHandle.put(handle, t);
    waiting.add(t);
    if (state == State.FULL_FEATURE) {
      pump(s);
    }
    return handle;
  }

  private int nextItt() {
    int i = nextItt++;
    if (nextItt == Bhs.NO_TAG || nextItt == LOGIN_ITT) {
      nextItt = 1;
    }
    return i;
  }

  /** Sends the waiting commands that fit the CmdSN window. */
  private void pump(Step s) {
    while (!waiting.isEmpty() && SerialNumbers.lessOrEqual(cmdSn, maxCmdSn)) {
      Task t = waiting.poll();
      t.cmdSn = cmdSn;
      cmdSn = SerialNumbers.add(cmdSn, 1);
      t.sent = true;
      tasks.put(t.itt, t);
      sendCommand(t, s);
    }
  }

  private void sendCommand(Task t, Step s) {
    boolean write = t.out.length > 0;
    int flags = (t.read ? 0x40 : 0) | (write ? 0x20 : 0) | 0x01; // SIMPLE
    int edtl = write ? t.out.length : t.dxferLen;
    byte[] immediate = new byte[0];
    if (write && negotiated.immediateData()) {
      int n = Math.min(t.out.length, Math.min(negotiated.firstBurstLength(), negotiated.maxSendDataSegmentLength()));
      immediate = java.util.Arrays.copyOf(t.out, n);
      t.unsolicitedSent = n;
    }
    Bhs.Builder b = Bhs.of(Opcode.SCSI_COMMAND).fin(true).flags(flags).lun(encodeLun(t.lun)).itt(t.itt)
        .word(20, edtl).word(24, t.cmdSn).word(28, expStatSn);
    byte[] ahs = new byte[0];
    for (int i = 0; i < Math.min(16, t.cdb.length); i++) {
      b.octet(32 + i, t.cdb[i]);
    }
    if (t.cdb.length > 16) {
      int tail = t.cdb.length - 16;
      int len = tail + 1;
      ahs = new byte[(3 + len + 3) & ~3];
      ahs[0] = (byte) (len >>> 8);
      ahs[1] = (byte) len;
      ahs[2] = 1; // extended CDB
      System.arraycopy(t.cdb, 16, ahs, 4, tail);
    }
    s.send.add(b.build(ahs, immediate));
    if (write && !negotiated.initialR2t()) {
      // one unsolicited sequence up to FirstBurstLength
      int end = Math.min(t.out.length, negotiated.firstBurstLength());
      int dataSn = 0;
      while (t.unsolicitedSent < end) {
        int n = Math.min(end - t.unsolicitedSent, negotiated.maxSendDataSegmentLength());
        boolean last = t.unsolicitedSent + n >= end;
        s.send.add(dataOut(t, Bhs.NO_TAG, dataSn++, t.unsolicitedSent, n, last));
        t.unsolicitedSent += n;
      }
    }
  }

  private Pdu dataOut(Task t, int ttt, int dataSn, int offset, int n, boolean last) {
    return Bhs.of(Opcode.SCSI_DATA_OUT).fin(last).lun(encodeLun(t.lun)).itt(t.itt).word(20, ttt)
        .word(28, expStatSn).word(36, dataSn).word(40, offset)
        .build(java.util.Arrays.copyOfRange(t.out, offset, offset + n));
  }

  /** The 8-byte SAM LUN field for a LUN number (shared encoding of REPORT LUNS). */
  static long encodeLun(long lun) {
    return ReportLuns.encodeLun(lun).asByteBuffer().getLong();
  }

  /**
   * cf. {@code XPT_ABORT} of an active CCB: ABORT TASK for a sent command; a waiting one is just
   * dropped. Nobody waits for the answer (the CCB is already complete).
   */
  public void abortTask(long handle, Step s) {
    Task t = byHandle.remove(handle);
    if (t == null) {
      return;
    }
    if (!t.sent) {
      waiting.remove(t);
      return;
    }
    tasks.remove(t.itt);
    if (state != State.FULL_FEATURE) {
      return;
    }
    int itt = nextItt();
    tmfs.put(itt, null);
    s.send.add(Bhs.of(Opcode.TASK_MGMT_REQUEST).immediate(true).fin(true).flags(ABORT_TASK)
        .lun(encodeLun(t.lun)).itt(itt).word(20, t.itt).word(24, cmdSn).word(28, expStatSn).word(32, t.cmdSn)
        .build());
  }

  /**
   * cf. {@code XPT_RESET_DEV}: LOGICAL UNIT RESET; {@code answered} runs (with true for "function
   * complete") when the target answers. The LUN's commands end with {@code BDR_SENT}.
   */
  public void lunReset(long lun, java.util.function.Consumer<Boolean> answered, Step s) {
    if (state != State.FULL_FEATURE) {
      answered.accept(false);
      return;
    }
    int itt = nextItt();
    resets.put(itt, lun);
    boolean[] ok = new boolean[1];
    tmfs.put(itt, () -> answered.accept(ok[0]));
    resetResults.put(itt, ok);
    s.send.add(Bhs.of(Opcode.TASK_MGMT_REQUEST).immediate(true).fin(true).flags(LUN_RESET)
        .lun(encodeLun(lun)).itt(itt).word(20, Bhs.NO_TAG).word(24, cmdSn).word(28, expStatSn).word(32, cmdSn)
        .build());
  }

  private final Map<Integer, boolean[]> resetResults = new HashMap<>();

  /** Logout (reason: close the session); {@code done} runs when the target answers. */
  public void logout(Runnable done, Step s) {
    if (state != State.FULL_FEATURE) {
      done.run();
      return;
    }
    state = State.LOGGING_OUT;
    onLoggedOut = done;
    s.send.add(Bhs.of(Opcode.LOGOUT_REQUEST).immediate(true).fin(true).flags(0).itt(nextItt())
        .word(20, 0).word(24, cmdSn).word(28, expStatSn).build());
  }

  /**
   * Time passes: a NOP-Out ping after {@code noopInterval} of silence; failure when a ping stays
   * unanswered past {@code noopTimeout}.
   */
  public Step tick(long nowNanos) {
    Step s = new Step();
    if (state != State.FULL_FEATURE) {
      return s;
    }
    if (pingItt >= 0) {
      if (nowNanos - pingSentNanos >= params.noopTimeoutNanos()) {
        fail(s, "the target did not answer a NOP-Out within " + params.noopTimeoutNanos() / 1_000_000 + " ms");
      }
      return s;
    }
    if (params.noopIntervalNanos() > 0 && nowNanos - lastHeardNanos >= params.noopIntervalNanos()) {
      pingItt = nextItt();
      pingSentNanos = nowNanos;
      s.send.add(Bhs.of(Opcode.NOP_OUT).immediate(true).fin(true).itt(pingItt).word(20, Bhs.NO_TAG)
          .word(24, cmdSn).word(28, expStatSn).build());
    }
    return s;
  }

  /** Hands back every command not finished (the session is over): the caller requeues them. */
  public List<AsyncSimDataPath.Done> drain() {
    List<AsyncSimDataPath.Done> out = new ArrayList<>();
    for (Task t : tasks.values()) {
      out.add(t.done);
    }
    for (Task t : waiting) {
      out.add(t.done);
    }
    tasks.clear();
    waiting.clear();
    byHandle.clear();
    for (Runnable r : tmfs.values()) {
      if (r != null) {
        r.run();
      }
    }
    tmfs.clear();
    if (onLoggedOut != null) {
      Runnable r = onLoggedOut;
      onLoggedOut = null;
      r.run();
    }
    return out;
  }

  /** Marks the session failed (connection lost, peer misbehaved). */
  public void fail(Step s, String why) {
    if (state == State.FAILED || state == State.CLOSED) {
      return;
    }
    state = State.FAILED;
    failure = why;
  }

  // ------------------------------------------------------------------------------------ receive

  /** One PDU from the target. */
  public Step received(Pdu p, long nowNanos) {
    Step s = new Step();
    if (state == State.FAILED || state == State.CLOSED) {
      return s;
    }
    lastHeardNanos = nowNanos;
    if (p.opcode().fromInitiator()) {
      fail(s, "the target sent an initiator opcode " + p.opcode());
      return s;
    }
    if (state == State.SECURITY || state == State.OPERATIONAL) {
      if (p.opcode() != Opcode.LOGIN_RESPONSE) {
        fail(s, "the target sent " + p.opcode() + " during login");
        return s;
      }
      onLoginResponse(p, s);
      return s;
    }
    switch (p.opcode()) {
      case SCSI_DATA_IN -> onDataIn(p, s);
      case SCSI_RESPONSE -> onScsiResponse(p, s);
      case R2T -> onR2t(p, s);
      case NOP_IN -> onNopIn(p, s);
      case TASK_MGMT_RESPONSE -> onTmfResponse(p, s);
      case LOGOUT_RESPONSE -> onLogoutResponse(p, s);
      case ASYNC_MESSAGE -> onAsync(p, s);
      case REJECT -> onReject(p, s);
      default -> fail(s, "unexpected " + p.opcode() + " in full feature phase");
    }
    if (state == State.FULL_FEATURE) {
      pump(s);
    }
    return s;
  }

  private void statSn(int next) {
    if (SerialNumbers.greaterThan(next, expStatSn) || expStatSn == 0) {
      expStatSn = next;
    }
  }

  /** ExpCmdSN/MaxCmdSN of a target PDU (§4.2.2.1: ignored when MaxCmdSN &lt; ExpCmdSN - 1). */
  private void window(Pdu p) {
    int exp = p.specificInt(28);
    int max = p.specificInt(32);
    if (SerialNumbers.lessThan(max, exp - 1)) {
      return;
    }
    if (SerialNumbers.greaterThan(exp, expCmdSn)) {
      expCmdSn = exp;
    }
    if (SerialNumbers.greaterThan(max, maxCmdSn)) {
      maxCmdSn = max;
    }
  }

  private void onDataIn(Pdu p, Step s) {
    window(p);
    Task t = tasks.get(p.initiatorTaskTag());
    boolean status = (p.flags() & 0x01) != 0;
    if (status) {
      statSn(p.specificInt(24) + 1);
    }
    if (t == null) {
      return; // an aborted command's data
    }
    long off = p.specificInt(40) & 0xFFFF_FFFFL;
    byte[] d = p.data();
    if (off + d.length > t.dxferLen) {
      fail(s, "Data-In for itt " + t.itt + " beyond the expected length (" + (off + d.length) + " > " + t.dxferLen + ")");
      return;
    }
    if (t.in == null) {
      t.in = new byte[t.dxferLen];
    }
    System.arraycopy(d, 0, t.in, (int) off, d.length);
    t.inBytes = (int) Math.max(t.inBytes, off + d.length);
    if (status) {
      int st = p.bytes2to3() & 0xFF;
      finish(t, new ScsiResponse(st, ByteString.emptyByteString(), data(t), t.dxferLen - t.inBytes, 0, false), s);
    }
  }

  private static ByteString data(Task t) {
    return t.in == null ? ByteString.emptyByteString() : ByteString.fromArray(t.in, 0, t.inBytes);
  }

  private void onScsiResponse(Pdu p, Step s) {
    window(p);
    statSn(p.specificInt(24) + 1);
    Task t = tasks.get(p.initiatorTaskTag());
    if (t == null) {
      return;
    }
    int response = p.bytes2to3() >>> 8;
    int st = p.bytes2to3() & 0xFF;
    if (response != 0) {
      // target failure: the command did not complete at the target
      tasks.remove(t.itt);
      byHandle.remove(t.handle);
      s.finished.add(new Finished(t.done, null, CamStatus.REQ_CMP_ERR));
      return;
    }
    ByteString sense = ByteString.emptyByteString();
    byte[] d = p.data();
    if (d.length >= 2) {
      int len = ((d[0] & 0xFF) << 8) | (d[1] & 0xFF);
      sense = ByteString.fromArray(d, 2, Math.min(len, d.length - 2));
    }
    int resid = t.out.length > 0 ? ((p.flags() & 0x02) != 0 ? p.specificInt(44) : 0) : t.dxferLen - t.inBytes;
    if (st == ScsiStatus.CHECK_COND && sense.size() >= 14 && (sense.apply(2) & 0x0F) == 0x06) {
      int fixed = sense.apply(0) & 0x7F;
      int asc = fixed == 0x72 || fixed == 0x73 ? sense.apply(2) : sense.apply(12) & 0xFF;
      int ascq = fixed == 0x72 || fixed == 0x73 ? sense.apply(3) : sense.apply(13) & 0xFF;
      s.unitAttentions.add(new long[] {t.lun, asc & 0xFF, ascq & 0xFF});
    }
    finish(t, new ScsiResponse(st, sense, data(t), Math.max(0, resid), 0, false), s);
  }

  private void finish(Task t, ScsiResponse r, Step s) {
    tasks.remove(t.itt);
    byHandle.remove(t.handle);
    s.finished.add(new Finished(t.done, r, null));
  }

  private void onR2t(Pdu p, Step s) {
    window(p);
    Task t = tasks.get(p.initiatorTaskTag());
    if (t == null) {
      return;
    }
    int ttt = p.specificInt(20);
    long off = p.specificInt(40) & 0xFFFF_FFFFL;
    long len = p.specificInt(44) & 0xFFFF_FFFFL;
    if (t.out.length == 0 || off + len > t.out.length || len == 0) {
      fail(s, "R2T for itt " + t.itt + " outside the command's data (offset " + off + ", length " + len + ")");
      return;
    }
    int dataSn = 0;
    long pos = off;
    long end = off + len;
    while (pos < end) {
      int n = (int) Math.min(end - pos, negotiated.maxSendDataSegmentLength());
      s.send.add(dataOut(t, ttt, dataSn++, (int) pos, n, pos + n >= end));
      pos += n;
    }
  }

  private void onNopIn(Pdu p, Step s) {
    window(p);
    int ttt = p.specificInt(20);
    if (p.initiatorTaskTag() != Bhs.NO_TAG) {
      statSn(p.specificInt(24) + 1);
      if (p.initiatorTaskTag() == pingItt) {
        pingItt = -1;
      }
      return;
    }
    if (ttt != Bhs.NO_TAG) {
      // the target pings: answer with its TTT, immediate, CmdSN not advanced
      s.send.add(Bhs.of(Opcode.NOP_OUT).immediate(true).fin(true).lun(p.lun()).itt(Bhs.NO_TAG).word(20, ttt)
          .word(24, cmdSn).word(28, expStatSn).build());
    }
  }

  private void onTmfResponse(Pdu p, Step s) {
    window(p);
    statSn(p.specificInt(24) + 1);
    int itt = p.initiatorTaskTag();
    Runnable r = tmfs.remove(itt);
    Long lun = resets.remove(itt);
    boolean[] ok = resetResults.remove(itt);
    int response = p.bytes2to3() >>> 8;
    if (lun != null && response == 0) {
      // the LUN's tasks are terminated (SAM-5): they end with BDR_SENT
      Iterator<Task> it = tasks.values().iterator();
      while (it.hasNext()) {
        Task t = it.next();
        if (t.lun == lun) {
          it.remove();
          byHandle.remove(t.handle);
          s.finished.add(new Finished(t.done, null, CamStatus.BDR_SENT));
        }
      }
    }
    if (ok != null) {
      ok[0] = response == 0;
    }
    if (r != null) {
      r.run();
    }
  }

  private void onLogoutResponse(Pdu p, Step s) {
    statSn(p.specificInt(24) + 1);
    state = State.CLOSED;
    Runnable r = onLoggedOut;
    onLoggedOut = null;
    if (r != null) {
      r.run();
    }
  }

  private void onAsync(Pdu p, Step s) {
    window(p);
    statSn(p.specificInt(24) + 1);
    int event = p.specific()[36 - 20] & 0xFF;
    switch (event) {
      case 0 -> {
        // a SCSI asynchronous event: its sense may be a unit attention for a LUN
        byte[] d = p.data();
        if (d.length >= 2 + 14) {
          int fixed = d[2] & 0x7F;
          if ((d[2 + 2] & 0x0F) == 0x06 && fixed != 0x72) {
            long lun = decodeLun(p.lun());
            s.unitAttentions.add(new long[] {lun, d[2 + 12] & 0xFF, d[2 + 13] & 0xFF});
          }
        }
      }
      case 1 -> logout(() -> { }, s); // the target asks us to log out
      case 2, 3 -> fail(s, "the target dropped the connection (async event " + event + ")");
      default -> { } // renegotiation, vendor: nothing to do with ERL 0
    }
  }

  private void onReject(Pdu p, Step s) {
    statSn(p.specificInt(24) + 1);
    int reason = p.bytes2to3() >>> 8;
    byte[] d = p.data();
    if (d.length >= Pdu.BHS_LENGTH) {
      int itt = ((d[16] & 0xFF) << 24) | ((d[17] & 0xFF) << 16) | ((d[18] & 0xFF) << 8) | (d[19] & 0xFF);
      Task t = tasks.remove(itt);
      if (t != null) {
        byHandle.remove(t.handle);
        s.finished.add(new Finished(t.done, null, CamStatus.REQ_CMP_ERR));
        return;
      }
    }
    fail(s, String.format("the target rejected a PDU (reason 0x%02x)", reason));
  }

  static long decodeLun(long raw) {
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (raw >>> (56 - 8 * i));
    }
    return ReportLuns.decodeLun(ByteString.fromArray(b), 0);
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
