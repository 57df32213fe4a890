package org.camstack.stack.target;

import static org.camstack.stack.scsi.Bytes.be16;
import static org.camstack.stack.scsi.Bytes.be32;
import static org.camstack.stack.scsi.Bytes.u8;
import static org.camstack.stack.scsi.Opcodes.INQUIRY;
import static org.camstack.stack.scsi.Opcodes.MAINTENANCE_IN;
import static org.camstack.stack.scsi.Opcodes.MODE_SELECT_10;
import static org.camstack.stack.scsi.Opcodes.MODE_SELECT_6;
import static org.camstack.stack.scsi.Opcodes.MODE_SENSE_10;
import static org.camstack.stack.scsi.Opcodes.MODE_SENSE_6;
import static org.camstack.stack.scsi.Opcodes.PERSISTENT_RES_IN;
import static org.camstack.stack.scsi.Opcodes.PERSISTENT_RES_OUT;
import static org.camstack.stack.scsi.Opcodes.RELEASE_10;
import static org.camstack.stack.scsi.Opcodes.RELEASE_6;
import static org.camstack.stack.scsi.Opcodes.REPORT_LUNS;
import static org.camstack.stack.scsi.Opcodes.REQUEST_SENSE;
import static org.camstack.stack.scsi.Opcodes.RESERVE_10;
import static org.camstack.stack.scsi.Opcodes.RESERVE_6;
import static org.camstack.stack.scsi.Opcodes.SA_REPORT_SUPPORTED_OPCODES;
import static org.camstack.stack.scsi.Opcodes.SA_REPORT_TARGET_PORT_GROUPS;
import static org.camstack.stack.scsi.Opcodes.SEND_DIAGNOSTIC;
import static org.camstack.stack.scsi.Opcodes.TEST_UNIT_READY;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.util.ByteString;
import org.camstack.persistence.device.FaultRule;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.LaterAnswer;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Opcodes;
import org.camstack.stack.scsi.Sense;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SPC part every emulated logical unit shares: standard INQUIRY and VPD 0x00/0x80/0x83, TEST
 * UNIT READY, REQUEST SENSE, REPORT LUNS (through its {@link EmuTarget}), RESERVE/RELEASE(6/10),
 * MODE SENSE/SELECT(6/10) over the pages a subclass registers (the control page 0x0A is always
 * there), REPORT SUPPORTED OPERATION CODES and REPORT TARGET PORT GROUPS (MAINTENANCE IN), and the
 * precheck every command goes through. Its parts live in their own classes: the command table
 * ({@link CommandTable}), the mode pages ({@link ModePageSet}), the per-nexus unit attentions
 * ({@link UnitAttentions}), the fault injector ({@link FaultInjector}), the ALUA model ({@link
 * TargetPortGroups}) and the target-side lifetime ({@link LunLifetime}).
 *
 * <p>Threading: several frontends (the in-process SIM's device queues, iSCSI connections) call
 * {@link #execute} from their own threads; a per-LUN lock serialises the commands of one LUN, so a
 * command runs alone on its LUN (COMPARE AND WRITE's atomicity relies on it). The lock is held for
 * the command's execution only, never for an injected delay. Control-plane methods ({@link
 * #postUnitAttention}, {@link #addFault}, {@link #setDelay}, resets, ...) do not take it and may
 * run on any thread concurrently with a command. A command must not call another LUN's {@code
 * execute} while it holds its own lock (two LUNs doing so crosswise would deadlock).
 *
 * <p>Order of checks for every CDB (as CTL's {@code ctl_scsiio_precheck}): opcode, CDB length,
 * service action, NACA in the CONTROL byte, pending unit attention (then a deferred error),
 * reservation conflict, injected faults, not-ready state, then the command. {@code execute} never
 * throws: an internal error answers HARDWARE ERROR 04/44/00.
 *
 * <p>cf. sys/cam/ctl/ctl.c ({@code ctl_inquiry}, {@code ctl_request_sense}, {@code ctl_mode_sense},
 * {@code ctl_mode_select}, {@code ctl_scsi_reserve}, {@code ctl_report_supported_opcodes}) and
 * Linux scsi_debug.
 */
public abstract class EmuDevice implements ScsiLun {
  private static final Logger LOG = LoggerFactory.getLogger(EmuDevice.class);

  // command flags: see CommandTable

  /** Opcode is implemented. */
  static final int F_KNOWN = CommandTable.F_KNOWN;
  /** Does not report (nor clear) a pending unit attention: INQUIRY, REPORT LUNS, REQUEST SENSE. */
  static final int F_NO_UA = CommandTable.F_NO_UA;
  /** Needs a started unit with medium (else NOT READY). */
  static final int F_READY = CommandTable.F_READY;
  /** Allowed while another initiator holds the reservation. */
  static final int F_RES_OK = CommandTable.F_RES_OK;
  /** Fault class READ; the CDB carries LBA and length at their group's standard places. */
  static final int F_READ = CommandTable.F_READ;
  /** Fault class WRITE. */
  static final int F_WRITE = CommandTable.F_WRITE;
  /** Media-access command with LBA/length fields at the standard places. */
  static final int F_LBA = CommandTable.F_LBA;

  /** Stands for the initiator(s) that prevented medium removal before a restore. */
  private static final int RESTORED_PREVENTER = Integer.MIN_VALUE;
  private static final ByteString NOT_SUPPORTED = Sense.fixed(Sense.ILLEGAL_REQUEST, 0x25, 0x00);

  protected final LunSpec spec;
  private final CommandTable commands = new CommandTable();
  /** Held while a command executes: one command at a time per LUN, whichever frontend sent it. */
  private final Object commandLock = new Object();
  private final LunLifetime lifetime = new LunLifetime();

  private volatile EmuTarget target;
  private volatile boolean started = true;
  private volatile boolean mediumPresent = true;
  private final Reservations reservations = new Reservations(this);
  private final Set<Integer> preventers = new HashSet<>(); // guarded by itself
  private volatile boolean prevented;

  private final UnitAttentions unitAttentions = new UnitAttentions(() -> stateChanged(DeviceStateSink.UNIT_ATTENTIONS));
  private final FaultInjector faults = new FaultInjector(new FaultInjector.Listener() {
    @Override
    public void changed(int aspect) {
      stateChanged(aspect);
    }

    @Override
    public void fired(FaultRule rule) {
      sink.faultFired(EmuDevice.this, rule);
    }
  });
  private final ModePageSet modePages = new ModePageSet(new ModePageSet.Host() {
    @Override
    public boolean hasBlockDescriptor() {
      return EmuDevice.this.hasBlockDescriptor();
    }

    @Override
    public int deviceSpecificParameter() {
      return EmuDevice.this.deviceSpecificParameter();
    }

    @Override
    public long descriptorBlocks() {
      return EmuDevice.this.descriptorBlocks();
    }

    @Override
    public int descriptorBlockSize() {
      return EmuDevice.this.descriptorBlockSize();
    }

    @Override
    public void pagesChanged() {
      modePagesChanged();
    }
  });
  private volatile TargetPortGroups portGroups = TargetPortGroups.LOCAL;
  /** Where commands go that another node runs (a clustered LUN on a node not its owner); null = here. */
  private volatile CommandRouter router;
  /** Where unit attentions and resets that hold cluster-wide go (a clustered LUN's copy); null = this copy only. */
  private volatile UnitAttentionFanout fanout;
  /** {@link #dispatch}'s answer for a command the {@link #router} takes. */
  private static final ScsiResponse ROUTE = new ScsiResponse(0, ByteString.emptyByteString(), ByteString.emptyByteString(), 0, 0, false);

  private volatile ByteString stdInquiry;

  // durable state: who is told about changes (DeviceStateSink)
  private volatile DeviceStateSink sink = DeviceStateSink.NONE;

  protected EmuDevice(LunSpec spec) {
    this.spec = spec;
    supports(TEST_UNIT_READY, F_READY);
    supports(REQUEST_SENSE, F_NO_UA | F_RES_OK);
    supports(INQUIRY, F_NO_UA | F_RES_OK);
    supports(REPORT_LUNS, F_NO_UA | F_RES_OK);
    supports(MODE_SENSE_6, F_RES_OK);
    supports(MODE_SENSE_10, F_RES_OK);
    supports(MODE_SELECT_6, 0);
    supports(MODE_SELECT_10, 0);
    supports(RESERVE_6, 0);
    supports(RESERVE_10, 0);
    supports(RELEASE_6, F_RES_OK);
    supports(RELEASE_10, F_RES_OK);
    supports(SEND_DIAGNOSTIC, 0);
    supports(MAINTENANCE_IN, SA_REPORT_TARGET_PORT_GROUPS, F_RES_OK);
    supports(MAINTENANCE_IN, SA_REPORT_SUPPORTED_OPCODES, F_RES_OK);
    supports(PERSISTENT_RES_IN, 0);
    supports(PERSISTENT_RES_OUT, 0);
    addModePage(
        new byte[] {0x0a, 0x0a, 0x02, 0x10, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 0, 0},
        new byte[] {0, 0, 0x04, (byte) 0xf0, 0x08, 0, 0, 0, 0, 0, 0, 0});
  }

  /** Declares an opcode implemented with the given {@code F_*} flags. */
  protected final void supports(int opcode, int flags) {
    commands.define(opcode, flags);
  }

  /**
   * Declares one service action (low 5 bits of CDB byte 1) of a service-action opcode implemented
   * with the given {@code F_*} flags; REPORT SUPPORTED OPERATION CODES lists it with SERVACTV set.
   * An undeclared service action of such an opcode is refused by the precheck (INVALID FIELD IN
   * CDB) unless the opcode is also declared plain with {@link #supports(int, int)}.
   */
  protected final void supports(int opcode, int serviceAction, int flags) {
    commands.define(opcode, serviceAction, flags);
  }

  /** Registers a mode page (bytes 0/1 = code/length) with its changeable mask. */
  protected final void addModePage(byte[] defaults, byte[] changeable) {
    modePages.add(defaults, changeable);
  }

  // ---------------------------------------------------------------- identity

  public final LunSpec spec() {
    return spec;
  }

  public final long lun() {
    return spec.lun();
  }

  /** SPC peripheral device type (0 disk, 0x0d enclosure). */
  public abstract int peripheralType();

  /** The target this LUN belongs to, or null when standalone. */
  public final EmuTarget target() {
    return target;
  }

  final void attach(EmuTarget t) {
    this.target = t;
  }

  /** The ALUA model REPORT TARGET PORT GROUPS and VPD 83h report. */
  public final TargetPortGroups portGroups() {
    return portGroups;
  }

  /**
   * Replaces the ALUA model; when it differs, every nexus gets UA 2A/06 ASYMMETRIC ACCESS STATE
   * CHANGED (SPC-4 5.16.2.7), so initiators re-read it with REPORT TARGET PORT GROUPS.
   */
  public final void setPortGroups(TargetPortGroups groups) {
    TargetPortGroups next = groups == null ? TargetPortGroups.LOCAL : groups;
    TargetPortGroups was;
    synchronized (this) {
      was = portGroups;
      portGroups = next;
    }
    if (!next.equals(was)) {
      // each node posts its own ALUA change to its own nexuses: never fanned out
      unitAttentions.post(UnitAttentionSnapshot.code(0x2a, 0x06), UnitAttentions.NOBODY);
    }
  }

  /**
   * Hands the unit attentions this copy establishes while running a command, and its resets, to
   * {@code f} (a clustered LUN: every member's copy posts them); null: this copy only.
   */
  public final void setUnitAttentionFanout(UnitAttentionFanout f) {
    this.fanout = f;
  }

  /** The fan-out set by {@link #setUnitAttentionFanout}, or null. */
  public final UnitAttentionFanout unitAttentionFanout() {
    return fanout;
  }

  /**
   * Hands the commands this node does not run itself to {@code r} (null: run everything here):
   * after this node's own checks (CDB valid, unit attention of the nexus), every command but
   * INQUIRY, REQUEST SENSE, REPORT LUNS and MAINTENANCE IN, which the node answers from its own
   * view (its port, its ALUA model). cf. CTL HA mode 2 ({@code kern.cam.ctl.ha_mode}).
   */
  public final void setRouter(CommandRouter r) {
    this.router = r;
    if (r != null) {
      // explicit ALUA: SET TARGET PORT GROUPS moves the LUN (INQUIRY TPGS 11b)
      supports(Opcodes.MAINTENANCE_OUT, SA_SET_TARGET_PORT_GROUPS, 0);
      stdInquiry = null;
    }
  }

  /** MAINTENANCE OUT service action SET TARGET PORT GROUPS (SPC-4 6.45). */
  private static final int SA_SET_TARGET_PORT_GROUPS = 0x0a;

  /**
   * Runs a command another node forwarded (this node owns the LUN): as {@link #execute}, except
   * that the nexus's unit attentions are the forwarding node's to report, not this node's.
   */
  public final ScsiResponse executeForwarded(ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    if (!lifetime.acquire()) {
      return absent(cdb, dxferLen);
    }
    try {
      return run(cdb, dataOut, dxferLen, initiatorId, true, null, 0, false);
    } finally {
      lifetime.release();
    }
  }

  private static boolean answeredHere(int op) {
    return op == INQUIRY || op == REQUEST_SENSE || op == REPORT_LUNS || op == MAINTENANCE_IN || op == Opcodes.MAINTENANCE_OUT;
  }

  // ---------------------------------------------------------------- durable state

  /**
   * Who hears about changes of this device's durable state ({@link DeviceStateSink}); {@code null}
   * or {@link DeviceStateSink#NONE} for nobody.
   */
  public final void setStateSink(DeviceStateSink s) {
    sink = s == null ? DeviceStateSink.NONE : s;
  }

  public final DeviceStateSink stateSink() {
    return sink;
  }

  /** Tells the sink that {@code aspects} ({@link DeviceStateSink#MEDIA}, ...) changed. */
  protected final void stateChanged(int aspects) {
    sink.changed(this, aspects);
  }

  // ---------------------------------------------------------------- lifetime

  /**
   * Marks the LUN removed (its target dropped it): no new command is admitted (they answer as for
   * an absent LUN), and it is freed once the last command in flight completed.
   */
  final void markRemoved() {
    lifetime.markRemoved();
  }

  /** Lifetime steps of this LUN go to {@code e} (its target does this when it is published). */
  final void hookLifetime(LunEvents e, String target, long incarnation) {
    lifetime.hook(e, target, spec.lun(), incarnation);
  }

  final LunLifetime lifetime() {
    return lifetime;
  }

  /** Removed from its target: admits no new command. */
  final boolean isRemoved() {
    return lifetime.isRemoved();
  }

  /** Removed and every command admitted before completed. */
  public final boolean isFreed() {
    return lifetime.isFreed();
  }

  /** Commands admitted and not completed yet (executing, or started and not completed). */
  public final int tasksInFlight() {
    return lifetime.inFlight();
  }

  /** Runs {@code r} once the LUN is freed (at once when it is). */
  public final void whenFreed(Runnable r) {
    lifetime.whenFreed(r);
  }

  // ---------------------------------------------------------------- execute

  /**
   * Executes one command; the task ends with the return (a delayed answer is the frontend's to
   * deliver). A frontend that must keep the LUN until it delivered a delayed answer uses {@link
   * #start}. A command another node runs ({@link #setRouter}) is waited for: for synchronous
   * callers only (API, tools), never an actor's or a stream's thread, which use {@link
   * #execute(ByteString, ByteString, int, int, LaterAnswer, long)}.
   */
  @Override
  public final ScsiResponse execute(ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    return execute(cdb, dataOut, dxferLen, initiatorId, null, 0);
  }

  /**
   * Executes one command without ever blocking: answers at once, exactly as {@link
   * #execute(ByteString, ByteString, int, int)}, unless the command goes to another node ({@link
   * #setRouter}); then it returns {@link ScsiResponse#PENDING} and the answer goes to {@code later}
   * with {@code tag}, on any thread. The task ends when the answer is handed over: until then a
   * removed LUN is not freed. cf. a CTL frontend's {@code fe_datamove}/{@code fe_done} pair.
   *
   * @param later where a pending answer goes; null: wait for it here (synchronous callers only)
   */
  public final ScsiResponse execute(ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId, LaterAnswer later, long tag) {
    if (!lifetime.acquire()) {
      return absent(cdb, dxferLen);
    }
    ScsiResponse r = null;
    try {
      r = run(cdb, dataOut, dxferLen, initiatorId, false, later, tag, true);
      return r;
    } finally {
      if (r != ScsiResponse.PENDING) {
        lifetime.release(); // a pending answer releases the LUN once delivered (Routed)
      }
    }
  }

  /**
   * Executes one command as a task the frontend completes with {@link LunTask#complete()} once it
   * delivered the answer: until then a removed LUN is not freed and its number not reused. A
   * command another node runs is waited for (synchronous callers only; see {@link
   * #start(ByteString, ByteString, int, int, LaterAnswer, long)}).
   */
  public final LunTask start(ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    return start(cdb, dataOut, dxferLen, initiatorId, null, 0);
  }

  /**
   * As {@link #start(ByteString, ByteString, int, int)}, never blocking: a command another node
   * runs gives a task whose {@link LunTask#response()} is {@link ScsiResponse#PENDING}; its answer
   * goes to {@code later} with {@code tag}, on any thread, and the task holds the LUN until the
   * frontend completes it (after delivering that answer, or aborting the task).
   *
   * @param later where a pending answer goes; null: wait for it here (synchronous callers only)
   */
  public final LunTask start(ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId, LaterAnswer later, long tag) {
    if (!lifetime.acquire()) {
      return new LunTask(absent(cdb, dxferLen), null);
    }
    long id = lifetime.started();
    try {
      return new LunTask(run(cdb, dataOut, dxferLen, initiatorId, false, later, tag, false), lifetime, id);
    } catch (RuntimeException | Error e) {
      lifetime.completed(id);
      throw e;
    }
  }

  /** A command reaching this LUN after its removal: answered as for a LUN that is not there. */
  private ScsiResponse absent(ByteString cdb, int dxferLen) {
    int n = Math.max(0, dxferLen);
    EmuTarget t = target;
    return t != null ? t.absentLun(cdb, n) : ScsiResponse.checkCondition(NOT_SUPPORTED, n);
  }

  /**
   * @param later where a routed command's answer goes (null: wait for it here)
   * @param releaseOnAnswer a pending answer releases the LUN once delivered ({@link #execute}; a
   *     {@link LunTask} is released by its frontend instead)
   */
  private ScsiResponse run(
      ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId, boolean forwarded, LaterAnswer later, long tag, boolean releaseOnAnswer) {
    ScsiResponse r;
    synchronized (commandLock) {
      try {
        r = dispatch(cdb, dataOut == null ? ByteString.emptyByteString() : dataOut, Math.max(0, dxferLen), initiatorId, forwarded);
      } catch (RuntimeException e) {
        LOG.warn("lun {}: internal error on opcode {}", spec.lun(), cdb == null || cdb.isEmpty() ? -1 : u8(cdb, 0), e);
        r = ScsiResponse.checkCondition(Sense.fixed(Sense.HARDWARE_ERROR, 0x44, 0x00), Math.max(0, dxferLen));
      }
    }
    if (r == ROUTE) {
      // outside the lock: the owner may be this node again by the time the command gets there
      return route(cdb, dataOut == null ? ByteString.emptyByteString() : dataOut, Math.max(0, dxferLen), initiatorId, later, tag, releaseOnAnswer);
    }
    return faults.delayed(r);
  }

  /** 02/04/0A ASYMMETRIC ACCESS STATE TRANSITION: the initiator retries (a router that failed). */
  private static final ByteString TRANSITIONING = Sense.fixed(Sense.NOT_READY, 0x04, 0x0a);

  /**
   * Hands a command to the {@link #router}: the answer when the router gave it before returning,
   * else {@link ScsiResponse#PENDING} (it goes to {@code later}); with no {@code later}, waits for it.
   */
  private ScsiResponse route(ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId, LaterAnswer later, long tag, boolean releaseOnAnswer) {
    CommandRouter rt = router;
    if (later == null) {
      // a synchronous caller: the router answers within its forward timeout
      java.util.concurrent.CompletableFuture<ScsiResponse> f = new java.util.concurrent.CompletableFuture<>();
      try {
        rt.forward(this, cdb, dataOut, dxferLen, initiatorId, f::complete);
      } catch (RuntimeException e) {
        LOG.warn("lun {}: router threw", spec.lun(), e);
        f.complete(ScsiResponse.checkCondition(TRANSITIONING, dxferLen));
      }
      return f.join();
    }
    Routed routed = new Routed(later, tag, releaseOnAnswer);
    try {
      rt.forward(this, cdb, dataOut, dxferLen, initiatorId, routed);
    } catch (RuntimeException e) {
      LOG.warn("lun {}: router threw", spec.lun(), e);
      routed.accept(ScsiResponse.checkCondition(TRANSITIONING, dxferLen));
    }
    return routed.returned();
  }

  /**
   * One command the router took: an answer it gives before {@code forward} returns is returned
   * inline; a later one goes to the frontend's {@link LaterAnswer} (then the LUN is released, for
   * {@link #execute}). Allocated only for routed commands. Only the first answer counts.
   */
  private final class Routed implements java.util.function.Consumer<ScsiResponse> {
    private final LaterAnswer later;
    private final long tag;
    private final boolean releaseOnAnswer;
    private boolean answered; // guarded by this
    private boolean returned; // guarded by this: forward() returned, PENDING was given
    private ScsiResponse inline; // guarded by this

    Routed(LaterAnswer later, long tag, boolean releaseOnAnswer) {
      this.later = later;
      this.tag = tag;
      this.releaseOnAnswer = releaseOnAnswer;
    }

    @Override
    public void accept(ScsiResponse r) {
      synchronized (this) {
        if (answered) {
          return;
        }
        answered = true;
        if (!returned) {
          inline = r;
          return;
        }
      }
      try {
        later.answered(tag, r);
      } finally {
        if (releaseOnAnswer) {
          lifetime.release();
        }
      }
    }

    /** {@code forward} returned: the inline answer, or PENDING. */
    synchronized ScsiResponse returned() {
      returned = true;
      return inline != null ? inline : ScsiResponse.PENDING;
    }
  }

  private ScsiResponse dispatch(ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId, boolean forwarded) {
    if (cdb == null || cdb.isEmpty()) {
      return checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x20, 0x00), dxferLen);
    }
    int op = u8(cdb, 0);
    if (commands.known(op) == 0) {
      return checkCondition(Sense.illegalField(0x20, 0x00, true, 0, -1), dxferLen);
    }
    if (cdb.size() < cdbLength(op)) {
      return checkCondition(Sense.illegalField(0x24, 0x00, true, 0, -1), dxferLen);
    }
    int flags = commands.flags(op, cdb);
    if (flags == CommandTable.UNKNOWN_SERVICE_ACTION) {
      return invalidCdbField(1, 4, dxferLen);
    }
    int control = CommandTable.controlByte(op);
    if ((u8(cdb, control) & 0x04) != 0) {
      return invalidCdbField(control, 2, dxferLen); // NACA = 1 while the control page says NORMACA = 0
    }
    if ((flags & F_NO_UA) == 0 && !forwarded) {
      ByteString ua = unitAttentions.take(initiatorId);
      if (ua != null) {
        return checkCondition(ua, dxferLen);
      }
    }
    if (!forwarded && router != null && !answeredHere(op)) {
      return ROUTE;
    }
    if (reservations.conflicts(op, cdb, initiatorId)) {
      return ScsiResponse.status(ScsiStatus.RESERV_CONFLICT, dxferLen);
    }
    ScsiResponse f = faults.inject(op, flags, cdb, dxferLen, modePages.descriptorSense());
    if (f != null) {
      return f;
    }
    if ((flags & F_READY) != 0) {
      ByteString nr = notReadySense();
      if (nr != null) {
        return checkCondition(nr, dxferLen);
      }
    }
    return executeCommand(op, cdb, dataOut, dxferLen, initiatorId);
  }

  /** CDB length implied by the opcode's group code. */
  static int cdbLength(int op) {
    return CommandTable.cdbLength(op);
  }

  /**
   * Executes a validated command (opcode known, CDB long enough, no UA, no conflict, ready when
   * required). Subclasses handle their opcodes and delegate the rest here.
   */
  protected ScsiResponse executeCommand(int op, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    switch (op) {
      case TEST_UNIT_READY:
        return good(dxferLen);
      case INQUIRY:
        return inquiry(cdb, dxferLen, initiatorId);
      case REQUEST_SENSE:
        return requestSense(cdb, dxferLen, initiatorId);
      case REPORT_LUNS:
        return reportLuns(cdb, dxferLen);
      case MODE_SENSE_6:
        return modePages.sense(cdb, false, dxferLen);
      case MODE_SENSE_10:
        return modePages.sense(cdb, true, dxferLen);
      case MODE_SELECT_6:
        return modeSelect(cdb, dataOut, false, dxferLen, initiatorId);
      case MODE_SELECT_10:
        return modeSelect(cdb, dataOut, true, dxferLen, initiatorId);
      case RESERVE_6:
      case RESERVE_10:
        return reservations.reserve(op, cdb, dxferLen, initiatorId);
      case RELEASE_6:
      case RELEASE_10:
        return reservations.release(op, cdb, dxferLen, initiatorId);
      case PERSISTENT_RES_IN:
        return reservations.persistentReserveIn(cdb, dxferLen);
      case PERSISTENT_RES_OUT:
        return reservations.persistentReserveOut(cdb, dataOut, dxferLen, initiatorId);
      case SEND_DIAGNOSTIC:
        return sendDiagnostic(cdb, dataOut, dxferLen, initiatorId);
      case MAINTENANCE_IN:
        return maintenanceIn(cdb, dxferLen);
      case Opcodes.MAINTENANCE_OUT: {
        CommandRouter rt = router;
        if (rt != null) {
          return rt.setTargetPortGroups(this, dataOut, dxferLen);
        }
        return checkCondition(Sense.illegalField(0x20, 0x00, true, 0, -1), dxferLen);
      }
      default:
        return checkCondition(Sense.illegalField(0x20, 0x00, true, 0, -1), dxferLen);
    }
  }

  // ---------------------------------------------------------------- responses

  /** GOOD with no data, resid = dxferLen. */
  protected static ScsiResponse good(int dxferLen) {
    return dxferLen == 0 ? ScsiResponse.GOOD : ScsiResponse.status(ScsiStatus.GOOD, dxferLen);
  }

  /** GOOD with data truncated to the CDB's allocation length and the initiator's buffer. */
  protected static ScsiResponse goodData(ByteString data, int allocLen, int dxferLen) {
    ByteString d = data.size() > allocLen ? data.take(allocLen) : data;
    return ScsiResponse.good(d, dxferLen);
  }

  /** CHECK CONDITION with {@code fixedSense}, converted to descriptor format when D_SENSE is set. */
  protected final ScsiResponse checkCondition(ByteString fixedSense, int dxferLen) {
    return checkCondition(fixedSense, dxferLen, modePages.descriptorSense());
  }

  /** CHECK CONDITION with {@code fixedSense}, in descriptor format when {@code descriptor}. */
  static ScsiResponse checkCondition(ByteString fixedSense, int dxferLen, boolean descriptor) {
    return ScsiResponse.checkCondition(descriptor ? Sense.toDescriptor(fixedSense) : fixedSense, dxferLen);
  }

  protected final ScsiResponse invalidCdbField(int byteIndex, int bit, int dxferLen) {
    return checkCondition(Sense.illegalField(0x24, 0x00, true, byteIndex, bit), dxferLen);
  }

  protected final ScsiResponse invalidParamField(int byteIndex, int bit, int dxferLen) {
    return checkCondition(Sense.illegalField(0x26, 0x00, false, byteIndex, bit), dxferLen);
  }

  protected final ScsiResponse paramListLengthError(int dxferLen) {
    return checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x1a, 0x00), dxferLen);
  }

  protected final ScsiResponse lbaOutOfRange(int dxferLen) {
    return checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x21, 0x00), dxferLen);
  }

  /** The initiator sent a different number of bytes than the CDB announces. */
  protected final ScsiResponse dataOutMismatch(int lengthField, int dxferLen) {
    return invalidCdbField(lengthField, -1, dxferLen);
  }

  /**
   * The checks a media-access command makes before it touches the medium, in SBC's order (MMC's
   * READ(10)/(12) make the same): the range against {@code capacity} blocks (21/00), a zero length
   * (GOOD, nothing to do), the maximum transfer length {@code maxBlocks} (24/00 on {@code
   * lengthField}, the CDB byte of the transfer-length field, see {@link #lengthField}). Null when
   * the command may go on. The disk's and the CD/DVD drive's READ paths share it.
   */
  protected final ScsiResponse mediaRangeCheck(long lba, long n, long capacity, long maxBlocks, int lengthField, int dxferLen) {
    if (outOfRange(lba, n, capacity)) {
      return lbaOutOfRange(dxferLen);
    }
    if (n == 0) {
      return good(dxferLen);
    }
    if (n > maxBlocks) {
      return invalidCdbField(lengthField, -1, dxferLen);
    }
    return null;
  }

  /** Whether blocks {@code lba..lba+n-1} lie outside a medium of {@code capacity} blocks (no overflow). */
  static boolean outOfRange(long lba, long n, long capacity) {
    return lba < 0 || n > capacity || lba > capacity - n;
  }

  /** The medium failed a read (11/00 UNRECOVERED READ ERROR) or a write (0C/00), at {@code lba}. */
  protected final ScsiResponse mediumError(boolean write, long lba, int dxferLen) {
    return checkCondition(Sense.fixedWithInfo(Sense.MEDIUM_ERROR, write ? 0x0c : 0x11, 0x00, lba), dxferLen);
  }

  /** CDB byte of a media-access command's transfer-length field, for field pointers. */
  static int lengthField(int op) {
    switch (op >>> 5) {
      case 0:
        return 4;
      case 1:
      case 2:
        return 7;
      case 5:
        return 6;
      default:
        return 10;
    }
  }

  // ---------------------------------------------------------------- state

  /** NOT READY sense for the current state, or null when ready. */
  protected ByteString notReadySense() {
    if (!mediumPresent) {
      return Sense.fixed(Sense.NOT_READY, 0x3a, 0x00);
    }
    if (!started) {
      return Sense.fixed(Sense.NOT_READY, 0x04, 0x02);
    }
    return null;
  }

  public final boolean isStarted() {
    return started;
  }

  /** START STOP UNIT's effect, also for the control plane. */
  public final void setStarted(boolean s) {
    if (started != s) {
      started = s;
      stateChanged(DeviceStateSink.MEDIA);
    }
  }

  public final boolean isMediumPresent() {
    return mediumPresent;
  }

  protected final void setMediumPresent(boolean present) {
    if (mediumPresent != present) {
      mediumPresent = present;
      stateChanged(DeviceStateSink.MEDIA);
    }
  }

  /** PREVENT ALLOW MEDIUM REMOVAL in effect from any initiator. */
  public final boolean isRemovalPrevented() {
    return prevented;
  }

  protected final void setPrevent(int initiatorId, boolean prevent) {
    boolean was;
    boolean now;
    synchronized (preventers) {
      was = prevented;
      if (prevent) {
        preventers.add(initiatorId);
      } else {
        preventers.remove(initiatorId);
        preventers.remove(RESTORED_PREVENTER); // whoever prevented before the restore
      }
      now = !preventers.isEmpty();
      prevented = now;
    }
    if (was != now) {
      stateChanged(DeviceStateSink.MEDIA);
    }
  }

  /** The initiator holding the SPC-2 reservation, or -1. */
  public final int reservationHolder() {
    return reservations.spc2Holder();
  }

  /** This LUN's SPC-2 and persistent reservations. */
  public final Reservations reservations() {
    return reservations;
  }

  protected final boolean descriptorSense() {
    return modePages.descriptorSense();
  }

  /** Control page SWP: the medium is write protected. */
  protected final boolean softwareWriteProtect() {
    return modePages.softwareWriteProtect();
  }

  /**
   * A reset of this LUN (bus reset, BDR, LUN reset): releases the reservation and medium-removal
   * prevention, reverts current mode values to the saved ones, and replaces every pending unit
   * attention by {@code asc/ascq} (29/02 bus reset, 29/03 BDR) for every initiator: the reset
   * supersedes what was pending (cf. the highest-priority-first reporting of CTL's {@code
   * ctl_build_ua}).
   */
  public void reset(int asc, int ascq) {
    UnitAttentionFanout f = fanout;
    if (f != null && f.reset(this, asc, ascq) != null) {
      return; // the cluster resets the owner's copy and posts asc/ascq on every member
    }
    resetState();
    unitAttentions.resetTo(UnitAttentionSnapshot.code(asc, ascq));
  }

  /**
   * A LOGICAL UNIT RESET (task management): {@link #reset}, completed once the unit attention is
   * established on every nexus, those of other cluster members included (the task management
   * response must not overtake it). cf. {@code ctl_lun_reset()}.
   */
  public final java.util.concurrent.CompletionStage<Void> lunReset(int asc, int ascq) {
    UnitAttentionFanout f = fanout;
    java.util.concurrent.CompletionStage<Void> s = f == null ? null : f.reset(this, asc, ascq);
    if (s != null) {
      return s;
    }
    resetState();
    unitAttentions.resetTo(UnitAttentionSnapshot.code(asc, ascq));
    return java.util.concurrent.CompletableFuture.completedFuture(null);
  }

  /**
   * The state part of a reset, without unit attentions: releases the SPC-2 reservation and the
   * medium-removal prevention and reverts current mode values to the saved ones (the owner's copy
   * of a clustered LUN, {@link UnitAttentionFanout#reset}).
   */
  public final void resetState() {
    reservations.reset();
    synchronized (preventers) {
      preventers.clear();
      prevented = false;
    }
    modePages.revertToSaved();
    stateChanged(DeviceStateSink.RESERVATION | DeviceStateSink.MEDIA | DeviceStateSink.MODE_PAGES);
  }

  // ---------------------------------------------------------------- unit attentions

  /** Posts a unit attention to every initiator (including ones not seen yet). */
  public final void postUnitAttention(int asc, int ascq) {
    postUnitAttention(asc, ascq, UnitAttentions.NOBODY);
  }

  /**
   * Posts a unit attention to one I_T nexus (persistent reservations: 2A/03, 2A/04, 2A/05; I_T
   * nexus loss 29/07; commands cleared by another initiator 2F/00).
   */
  public final void postUnitAttentionTo(int initiatorId, int asc, int ascq) {
    UnitAttentionFanout f = fanout;
    int code = UnitAttentionSnapshot.code(asc, ascq);
    if (f == null || !f.posted(this, code, initiatorId, true)) {
      unitAttentions.postTo(initiatorId, code);
    }
  }

  /** Posts a unit attention to every initiator except {@code exceptInitiator}. */
  public final void postUnitAttention(int asc, int ascq, int exceptInitiator) {
    UnitAttentionFanout f = fanout;
    int code = UnitAttentionSnapshot.code(asc, ascq);
    if (f == null || !f.posted(this, code, exceptInitiator, false)) {
      unitAttentions.post(code, exceptInitiator);
    }
  }

  /**
   * Posts on this copy only, bypassing the fan-out: {@code code} ({@code asc << 8 | ascq}) for
   * every nexus but {@code exceptInitiator} ({@link #NOBODY_EXCEPTED}: all), for {@code
   * exceptInitiator} alone when {@code only}, or, when {@code reset}, replacing whatever is
   * pending for every nexus. Called by a cluster member for a condition another member established.
   */
  public final void postUnitAttentionHere(int code, int exceptInitiator, boolean only, boolean reset) {
    if (reset) {
      unitAttentions.resetTo(code);
    } else if (only) {
      unitAttentions.postTo(exceptInitiator, code);
    } else {
      unitAttentions.post(code, exceptInitiator);
    }
  }

  /** {@link #postUnitAttentionHere}: no nexus excepted. */
  public static final int NOBODY_EXCEPTED = UnitAttentions.NOBODY;

  /** Sets a deferred error (response code 0x71) reported by the next command of any initiator. */
  public final void postDeferredError(int key, int asc, int ascq) {
    unitAttentions.postDeferredError(Sense.fixed(key, asc, ascq));
  }

  /** Forgets every pending unit attention and deferred error (power-on state of a fresh topology). */
  public final void clearUnitAttentions() {
    unitAttentions.clear();
  }

  /** The unit attentions pending for {@code initiatorId}, oldest first, as (asc << 8 | ascq). */
  public final List<Integer> pendingUnitAttentions(int initiatorId) {
    return unitAttentions.pending(initiatorId);
  }

  /**
   * The unit attention state as plain values (durable device state): each posted condition with
   * every initiator it is not for, and the pending queue of every initiator seen.
   */
  public final UnitAttentionSnapshot unitAttentions() {
    return unitAttentions.snapshot();
  }

  /**
   * Replaces the unit attention state by {@code s} (a device restored from its durable state):
   * the posted conditions, and the pending queue of each initiator in it. Other initiators get the
   * posted conditions not excluding them on their first command, as usual. Call it before the
   * device is in the data path.
   */
  public final void restoreUnitAttentions(UnitAttentionSnapshot s) {
    unitAttentions.restore(s);
  }

  // ---------------------------------------------------------------- faults and delay

  /**
   * Adds (or replaces, by id) a fault rule.
   *
   * @throws IllegalArgumentException for a kind or command class this device does not implement,
   *     or a unit attention / custom sense rule without its sense
   */
  public final void addFault(FaultRule rule) {
    faults.add(rule);
  }

  /** Removes the rule with this id; false when there was none. */
  public final boolean removeFault(String id) {
    return faults.remove(id);
  }

  public final void clearFaults() {
    faults.clear();
  }

  /** The active rules in insertion order (one-shot rules that fired are gone). */
  public final List<FaultRule> faults() {
    return faults.rules();
  }

  public final void setDelay(Delay d) {
    faults.setDelay(d);
  }

  public final Delay delay() {
    return faults.delay();
  }

  /** Refuses a rule the device cannot answer (the journal keeps any name; the device does not). */
  static void checkImplemented(FaultRule r) {
    FaultInjector.checkImplemented(r);
  }

  /** LBA of a media-access CDB (READ/WRITE/VERIFY/WRITE SAME/SYNC CACHE layouts); -1 if none. */
  static long cdbLba(int op, ByteString cdb) {
    return CommandTable.cdbLba(op, cdb);
  }

  /** Transfer / number-of-blocks field of a media-access CDB (READ(6)/WRITE(6): 0 means 256). */
  static long cdbBlocks(int op, ByteString cdb) {
    return CommandTable.cdbBlocks(op, cdb);
  }

  // ---------------------------------------------------------------- INQUIRY

  private ScsiResponse inquiry(ByteString cdb, int dxferLen, int initiatorId) {
    int b1 = u8(cdb, 1);
    if ((b1 & 0x02) != 0) {
      return invalidCdbField(1, 1, dxferLen); // CmdDt is obsolete
    }
    int page = u8(cdb, 2);
    int alloc = be16(cdb, 3);
    if ((b1 & 0x01) == 0) {
      if (page != 0) {
        return invalidCdbField(2, -1, dxferLen);
      }
      ByteString std = stdInquiry;
      if (std == null) {
        std = ByteString.fromArrayUnsafe(standardInquiry());
        stdInquiry = std;
      }
      return goodData(std, alloc, dxferLen);
    }
    byte[] vpd = page == 0x83 ? deviceIdentification(relativePort(portGroups, initiatorId)) : vpdPage(page);
    if (vpd == null) {
      return invalidCdbField(2, -1, dxferLen);
    }
    return goodData(ByteString.fromArrayUnsafe(vpd), alloc, dxferLen);
  }

  /** The relative target port the nexus reaches this LUN through; -1 when the id is unknown. */
  private static int relativePort(TargetPortGroups groups, int initiatorId) {
    try {
      return groups.relativePort(Nexuses.describe(initiatorId).relativeTargetPort());
    } catch (IllegalArgumentException e) {
      return -1;
    }
  }

  /** Byte 0 of INQUIRY and VPD data: qualifier 0, device type. */
  protected int peripheralByte() {
    return peripheralType() & 0x1f;
  }

  /** INQUIRY byte 6 (EncServ 0x40, MultiP 0x10, ...). */
  protected int inquiryByte6() {
    return 0;
  }

  /** SPC version descriptors reported in INQUIRY bytes 58..73 (up to 8). */
  protected int[] versionDescriptors() {
    return new int[] {0x00a0 /* SAM-5 */, 0x0460 /* SPC-4 */};
  }

  /** Standard INQUIRY data, 74 bytes (36 + vendor specific + version descriptors). */
  protected byte[] standardInquiry() {
    byte[] b = new byte[74];
    b[0] = (byte) peripheralByte();
    b[1] = (byte) (spec.removable() ? 0x80 : 0);
    b[2] = 0x06; // SPC-4
    b[3] = 0x12; // HiSup, response data format 2 (NormACA clear: NACA = 1 is refused)
    b[4] = (byte) (b.length - 5);
    b[5] = (byte) (router != null ? 0x30 : 0x10); // TPGS 01b implicit ALUA (RTPG); 11b with SET TARGET PORT GROUPS (clustered)
    b[6] = (byte) inquiryByte6();
    b[7] = 0x02; // CmdQue
    Bytes.putAscii(b, 8, spec.vendor(), 8);
    Bytes.putAscii(b, 16, spec.product(), 16);
    Bytes.putAscii(b, 32, spec.revision(), 4);
    Bytes.putAscii(b, 36, spec.serial(), 20); // vendor specific: the serial, like many disks
    int[] vd = versionDescriptors();
    for (int i = 0; i < vd.length && i < 8; i++) {
      Bytes.put16(b, 58 + 2 * i, vd[i]);
    }
    return b;
  }

  /** VPD pages beyond 0x00/0x80/0x83 that {@link #vpdPage} answers, ascending. */
  protected int[] extraVpdPages() {
    return new int[0];
  }

  /**
   * A VPD page, or null when not supported. Subclasses add pages and call super. Page 0x83 as
   * returned here carries no target port designators; INQUIRY adds those of the asking nexus.
   */
  protected byte[] vpdPage(int page) {
    switch (page) {
      case 0x00: {
        int[] extra = extraVpdPages();
        byte[] b = new byte[4 + 3 + extra.length];
        b[0] = (byte) peripheralByte();
        Bytes.put16(b, 2, b.length - 4);
        b[4] = 0x00;
        b[5] = (byte) 0x80;
        b[6] = (byte) 0x83;
        for (int i = 0; i < extra.length; i++) {
          b[7 + i] = (byte) extra[i];
        }
        return b;
      }
      case 0x80: {
        byte[] s = Bytes.ascii(spec.serial());
        byte[] b = new byte[4 + s.length];
        b[0] = (byte) peripheralByte();
        b[1] = (byte) 0x80;
        Bytes.put16(b, 2, s.length);
        System.arraycopy(s, 0, b, 4, s.length);
        return b;
      }
      case 0x83:
        return deviceIdentification(-1);
      default:
        return null;
    }
  }

  /**
   * VPD 0x83: an NAA designator (the WWN) and a T10 vendor id designator, both LU-associated; for
   * a known relative target port also a relative target port designator (type 4) and a target
   * port group designator (type 5), both associated with the target port (01b).
   */
  private byte[] deviceIdentification(int relativePort) {
    byte[] t10 = new byte[8 + 16 + spec.serial().length()];
    Bytes.putAscii(t10, 0, spec.vendor(), 8);
    Bytes.putAscii(t10, 8, spec.product(), 16);
    Bytes.putAscii(t10, 24, spec.serial(), spec.serial().length());
    TargetPortGroups.Group group = relativePort > 0 ? portGroups.groupOf(relativePort) : null;
    int ports = relativePort > 0 ? 8 + (group != null ? 8 : 0) : 0;
    int len = (4 + 8) + (4 + t10.length) + ports;
    byte[] b = new byte[4 + len];
    b[0] = (byte) peripheralByte();
    b[1] = (byte) 0x83;
    Bytes.put16(b, 2, len);
    int p = 4;
    b[p] = 0x01; // binary
    b[p + 1] = 0x03; // LU association, NAA
    b[p + 3] = 8;
    Bytes.put64(b, p + 4, spec.wwnValue());
    p += 12;
    b[p] = 0x02; // ASCII
    b[p + 1] = 0x01; // LU association, T10 vendor id
    b[p + 3] = (byte) t10.length;
    System.arraycopy(t10, 0, b, p + 4, t10.length);
    p += 4 + t10.length;
    if (relativePort > 0) {
      b[p] = 0x01; // binary (PIV 0: no protocol identifier, the port's protocol varies)
      b[p + 1] = 0x14; // target port association, relative target port
      b[p + 3] = 4;
      Bytes.put16(b, p + 6, relativePort);
      p += 8;
      if (group != null) {
        b[p] = 0x01;
        b[p + 1] = 0x15; // target port association, target port group
        b[p + 3] = 4;
        Bytes.put16(b, p + 6, group.id());
      }
    }
    return b;
  }

  // ---------------------------------------------------------------- REQUEST SENSE, REPORT LUNS

  private ScsiResponse requestSense(ByteString cdb, int dxferLen, int initiatorId) {
    boolean desc = (u8(cdb, 1) & 0x01) != 0;
    int alloc = u8(cdb, 4);
    ByteString s = unitAttentions.take(initiatorId);
    if (s == null) {
      s = notReadySense();
    }
    if (s == null) {
      s = Sense.fixed(Sense.NO_SENSE, 0, 0);
    }
    if (desc) {
      s = Sense.toDescriptor(s);
    }
    return goodData(s, alloc, dxferLen);
  }

  private ScsiResponse reportLuns(ByteString cdb, int dxferLen) {
    EmuTarget t = target;
    return t != null ? t.reportLuns(cdb, dxferLen) : EmuTarget.reportLuns(cdb, dxferLen, EmuTarget.lunList(new long[] {spec.lun()}));
  }

  // ---------------------------------------------------------------- MAINTENANCE IN

  /** REPORT TARGET PORT GROUPS (0Ah) and REPORT SUPPORTED OPERATION CODES (0Ch). */
  private ScsiResponse maintenanceIn(ByteString cdb, int dxferLen) {
    int alloc = (int) Math.min(be32(cdb, 6), Integer.MAX_VALUE);
    byte[] data;
    switch (u8(cdb, 1) & 0x1f) {
      case SA_REPORT_TARGET_PORT_GROUPS: {
        int format = u8(cdb, 1) >>> 5;
        if (format > 1) {
          return invalidCdbField(1, 7, dxferLen);
        }
        data = portGroups.report(format == 1);
        break;
      }
      case SA_REPORT_SUPPORTED_OPCODES: {
        int b2 = u8(cdb, 2);
        boolean rctd = (b2 & 0x80) != 0;
        int option = b2 & 0x07;
        if ((b2 & 0x78) != 0 || option > 3) {
          return invalidCdbField(2, option > 3 ? 2 : 6, dxferLen);
        }
        data = option == 0 ? commands.allCommands(rctd) : commands.oneCommand(option, u8(cdb, 3), be16(cdb, 4), rctd);
        if (data == null) {
          return invalidCdbField(2, 2, dxferLen); // one-command form that does not fit the opcode
        }
        break;
      }
      default:
        return invalidCdbField(1, 4, dxferLen);
    }
    return goodData(ByteString.fromArrayUnsafe(data), alloc, dxferLen);
  }

  // ---------------------------------------------------------------- RESERVE / RELEASE (Reservations)

  /** Drops the SPC-2 reservation (control plane). */
  public final void releaseReservation() {
    reservations.reset();
  }

  /**
   * Puts back the SPC-2 reservation holder of a restored device ({@code -1}: none), before it is in
   * the data path.
   */
  public final void restoreReservation(int holder) {
    reservations.restoreSpc2(holder);
  }

  /**
   * Puts back the media state of a restored device. A restored removal prevention is lifted by an
   * ALLOW from any initiator (the device no longer knows which one prevented), or a reset. Call it
   * before the device is in the data path.
   */
  public final void restoreMedia(boolean isStarted, boolean present, boolean removalPrevented) {
    started = isStarted;
    mediumPresent = present;
    synchronized (preventers) {
      preventers.clear();
      if (removalPrevented) {
        preventers.add(RESTORED_PREVENTER);
      }
      prevented = removalPrevented;
    }
  }


  // ---------------------------------------------------------------- SEND DIAGNOSTIC

  /** SEND DIAGNOSTIC: the default self-test passes; pages belong to subclasses. */
  protected ScsiResponse sendDiagnostic(ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    int b1 = u8(cdb, 1);
    int plen = be16(cdb, 3);
    if ((b1 & 0x04) != 0) {
      return (b1 & 0xe0) != 0 ? invalidCdbField(1, 7, dxferLen) : good(dxferLen);
    }
    if (plen == 0) {
      return good(dxferLen);
    }
    return invalidParamField(0, -1, dxferLen);
  }

  // ---------------------------------------------------------------- MODE SENSE / SELECT

  /** Does MODE SENSE carry a block descriptor (direct-access devices)? */
  protected boolean hasBlockDescriptor() {
    return false;
  }

  /** Mode parameter header device-specific byte (disk: WP 0x80, DPOFUA 0x10). */
  protected int deviceSpecificParameter() {
    return 0;
  }

  /** Blocks and block size for the block descriptor. */
  protected long descriptorBlocks() {
    return 0;
  }

  protected int descriptorBlockSize() {
    return spec.blockSize();
  }

  /**
   * Current mode values changed (MODE SELECT, reset, restore; under the mode pages' lock):
   * subclasses recompute their hot flags from {@link #modeByte} (call super).
   */
  protected void modePagesChanged() {}

  /** Current value of mode page byte (for subclasses' hot flags); caller holds no lock. */
  protected final int modeByte(int page, int index) {
    return modePages.currentByte(page, index);
  }

  private ScsiResponse modeSelect(ByteString cdb, ByteString data, boolean ten, int dxferLen, int initiatorId) {
    ModePageSet.Selected s = modePages.select(cdb, data, ten, dxferLen);
    if (s.changed()) {
      stateChanged(DeviceStateSink.MODE_PAGES);
      postUnitAttention(0x2a, 0x01, initiatorId);
    }
    return s.response();
  }

  /**
   * Every mode page's values for page control {@code pc} (0 current, 1 changeable, 2 default, 3
   * saved), by page code, as copies: byte 0 the page code (PS clear), byte 1 the page length.
   */
  public final Map<Integer, byte[]> modePages(int pc) {
    return modePages.values(pc);
  }

  /**
   * Puts back a mode page of a restored device as its current and saved values (only the
   * changeable bits are taken).
   *
   * @param values byte 0 the page code, byte 1 the page length, then the parameters
   * @return false when the device has no such page or its length differs
   */
  public final boolean restoreModePage(byte[] values) {
    return modePages.restore(values);
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[lun " + spec.lun() + " " + spec.vendor() + " " + spec.product() + "]";
  }
}
