package org.camstack.stack.target;

import static org.camstack.stack.scsi.Bytes.be16;
import static org.camstack.stack.scsi.Bytes.be24;
import static org.camstack.stack.scsi.Bytes.be32;
import static org.camstack.stack.scsi.Bytes.be64;
import static org.camstack.stack.scsi.Bytes.u8;
import static org.camstack.stack.scsi.Opcodes.INQUIRY;
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
import static org.camstack.stack.scsi.Opcodes.SEND_DIAGNOSTIC;
import static org.camstack.stack.scsi.Opcodes.TEST_UNIT_READY;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.pekko.util.ByteString;
import org.camstack.persistence.device.FaultRule;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.Opcodes;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.scsi.ScsiResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SPC part every emulated logical unit shares: standard INQUIRY and VPD 0x00/0x80/0x83, TEST
 * UNIT READY, REQUEST SENSE, REPORT LUNS (through its {@link EmuTarget}), RESERVE/RELEASE(6/10),
 * MODE SENSE/SELECT(6/10) over the pages a subclass registers (the control page 0x0A is always
 * there), per-initiator unit attentions, fault injection and delays.
 *
 * <p>Threading: {@link #execute} runs on the SIM's device-queue thread, one command at a time per
 * LUN; it allocates only the returned data. Control-plane methods ({@link #postUnitAttention},
 * {@link #addFault}, {@link #setDelay}, resets, ...) may run on any thread concurrently with it.
 *
 * <p>Order of checks for every CDB (as CTL's {@code ctl_scsiio_precheck}): opcode and CDB length,
 * pending unit attention, reservation conflict, injected faults, not-ready state, then the command.
 * {@code execute} never throws: an internal error answers HARDWARE ERROR 04/44/00.
 *
 * <p>cf. sys/cam/ctl/ctl.c ({@code ctl_inquiry}, {@code ctl_request_sense}, {@code ctl_mode_sense},
 * {@code ctl_mode_select}, {@code ctl_scsi_reserve}) and Linux scsi_debug.
 */
public abstract class EmuDevice implements ScsiLun {
  private static final Logger LOG = LoggerFactory.getLogger(EmuDevice.class);

  // SPC opcodes

  /** Opcode is implemented. */
  static final int F_KNOWN = 0x01;
  /** Does not report (nor clear) a pending unit attention: INQUIRY, REPORT LUNS, REQUEST SENSE. */
  static final int F_NO_UA = 0x02;
  /** Needs a started unit with medium (else NOT READY). */
  static final int F_READY = 0x04;
  /** Allowed while another initiator holds the reservation. */
  static final int F_RES_OK = 0x08;
  /** Fault class READ; the CDB carries LBA and length at their group's standard places. */
  static final int F_READ = 0x10;
  /** Fault class WRITE. */
  static final int F_WRITE = 0x20;
  /** Media-access command with LBA/length fields at the standard places. */
  static final int F_LBA = 0x40;

  /** Stands for the initiator(s) that prevented medium removal before a restore. */
  private static final int RESTORED_PREVENTER = Integer.MIN_VALUE;
  private static final int UA_CAP = 16;
  private static final FaultRule[] NO_FAULTS = new FaultRule[0];

  protected final LunSpec spec;
  private final int[] opFlags = new int[256];

  private volatile EmuTarget target;
  private volatile boolean started = true;
  private volatile boolean mediumPresent = true;
  private final Reservations reservations = new Reservations(this);
  private final Set<Integer> preventers = new HashSet<>(); // guarded by itself
  private volatile boolean prevented;

  // unit attentions
  private final Object uaLock = new Object();
  private final AtomicReferenceArray<Nexus> lowNexus = new AtomicReferenceArray<>(256);
  private final ConcurrentHashMap<Integer, Nexus> highNexus = new ConcurrentHashMap<>();
  private final ArrayDeque<Ua> uaHistory = new ArrayDeque<>(); // guarded by uaLock
  private volatile ByteString deferredError;

  // faults and delay
  private volatile FaultRule[] faults = NO_FAULTS;
  private volatile Delay delay = Delay.NONE;

  // mode pages
  private final Object modeLock = new Object();
  private final List<ModePage> modePages = new ArrayList<>(); // sorted by code; guarded by modeLock
  private volatile boolean descriptorSense;
  private volatile boolean softwareWriteProtect;

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
    supports(PERSISTENT_RES_IN, 0);
    supports(PERSISTENT_RES_OUT, 0);
    addModePage(
        new byte[] {0x0a, 0x0a, 0x02, 0x10, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 0, 0},
        new byte[] {0, 0, 0x04, (byte) 0xf0, 0x08, 0, 0, 0, 0, 0, 0, 0});
  }

  /** Declares an opcode implemented with the given {@code F_*} flags. */
  protected final void supports(int opcode, int flags) {
    opFlags[opcode] = flags | F_KNOWN;
  }

  /** Registers a mode page (bytes 0/1 = code/length) with its changeable mask. */
  protected final void addModePage(byte[] defaults, byte[] changeable) {
    synchronized (modeLock) {
      ModePage p = new ModePage(defaults, changeable);
      modePages.removeIf(q -> q.code == p.code);
      modePages.add(p);
      modePages.sort((a, b) -> Integer.compare(a.code, b.code));
      modePagesChanged();
    }
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

  // ---------------------------------------------------------------- execute

  @Override
  public final ScsiResponse execute(ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    ScsiResponse r;
    try {
      r = dispatch(cdb, dataOut == null ? ByteString.emptyByteString() : dataOut, Math.max(0, dxferLen), initiatorId);
    } catch (RuntimeException e) {
      LOG.warn("lun {}: internal error on opcode {}", spec.lun(), cdb == null || cdb.isEmpty() ? -1 : u8(cdb, 0), e);
      r = ScsiResponse.checkCondition(Sense.fixed(Sense.HARDWARE_ERROR, 0x44, 0x00), Math.max(0, dxferLen));
    }
    Delay d = delay;
    if (d.maxNanos() != 0 && !r.dropped()) {
      r = r.withDelay(d.next());
    }
    return r;
  }

  private ScsiResponse dispatch(ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    if (cdb == null || cdb.isEmpty()) {
      return checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x20, 0x00), dxferLen);
    }
    int op = u8(cdb, 0);
    int flags = opFlags[op];
    if (flags == 0) {
      return checkCondition(Sense.illegalField(0x20, 0x00, true, 0, -1), dxferLen);
    }
    if (cdb.size() < cdbLength(op)) {
      return checkCondition(Sense.illegalField(0x24, 0x00, true, 0, -1), dxferLen);
    }
    Nexus nexus = nexus(initiatorId);
    if ((flags & F_NO_UA) == 0) {
      if (nexus.pending) {
        int code = nexus.poll();
        if (code >= 0) {
          stateChanged(DeviceStateSink.UNIT_ATTENTIONS);
          return checkCondition(Sense.fixed(Sense.UNIT_ATTENTION, code >>> 8, code & 0xff), dxferLen);
        }
      }
      ByteString deferred = deferredError;
      if (deferred != null) {
        deferredError = null;
        return checkCondition(deferred, dxferLen);
      }
    }
    if (reservations.conflicts(op, cdb, initiatorId)) {
      return ScsiResponse.status(ScsiStatus.RESERV_CONFLICT, dxferLen);
    }
    FaultRule[] fs = faults;
    if (fs.length != 0) {
      ScsiResponse f = injectFault(fs, op, flags, cdb, dxferLen);
      if (f != null) {
        return f;
      }
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
    int n = Opcodes.cdbLength(op);
    return n < 0 ? 6 : n; // reserved / vendor specific: the subclass checks
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
        return inquiry(cdb, dxferLen);
      case REQUEST_SENSE:
        return requestSense(cdb, dxferLen, initiatorId);
      case REPORT_LUNS:
        return reportLuns(cdb, dxferLen);
      case MODE_SENSE_6:
        return modeSense(cdb, false, dxferLen);
      case MODE_SENSE_10:
        return modeSense(cdb, true, dxferLen);
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
    return ScsiResponse.checkCondition(descriptorSense ? Sense.toDescriptor(fixedSense) : fixedSense, dxferLen);
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

  // ---------------------------------------------------------------- state

  /** NOT READY sense for the current state, or null when ready. */
  protected final ByteString notReadySense() {
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
    return descriptorSense;
  }

  /** Control page SWP: the medium is write protected. */
  protected final boolean softwareWriteProtect() {
    return softwareWriteProtect;
  }

  /**
   * A reset of this LUN (bus reset, BDR, LUN reset): releases the reservation and medium-removal
   * prevention, reverts current mode values to the saved ones, and replaces every pending unit
   * attention by {@code asc/ascq} (29/02 bus reset, 29/03 BDR) for every initiator: the reset
   * supersedes what was pending (cf. the highest-priority-first reporting of CTL's {@code
   * ctl_build_ua}).
   */
  public void reset(int asc, int ascq) {
    reservations.reset();
    synchronized (preventers) {
      preventers.clear();
      prevented = false;
    }
    synchronized (modeLock) {
      for (ModePage p : modePages) {
        System.arraycopy(p.saved, 0, p.current, 0, p.length());
      }
      modePagesChanged();
    }
    synchronized (uaLock) {
      clearUnitAttentions();
      postUnitAttention(asc, ascq);
    }
    stateChanged(DeviceStateSink.RESERVATION | DeviceStateSink.MEDIA | DeviceStateSink.MODE_PAGES);
  }

  // ---------------------------------------------------------------- unit attentions

  /** Posts a unit attention to every initiator (including ones not seen yet). */
  public final void postUnitAttention(int asc, int ascq) {
    postUnitAttention(asc, ascq, Integer.MIN_VALUE);
  }

  /** Posts a unit attention to one I_T nexus (persistent reservations: 2A/03, 2A/04, 2A/05). */
  final void postUnitAttentionTo(int initiatorId, int asc, int ascq) {
    nexus(initiatorId).offer(((asc & 0xff) << 8) | (ascq & 0xff));
    stateChanged(DeviceStateSink.UNIT_ATTENTIONS);
  }

  /** Posts a unit attention to every initiator except {@code exceptInitiator}. */
  public final void postUnitAttention(int asc, int ascq, int exceptInitiator) {
    int code = ((asc & 0xff) << 8) | (ascq & 0xff);
    synchronized (uaLock) {
      Ua ua = new Ua(code, exceptInitiator, Set.of());
      addCapped(uaHistory, ua);
      for (int i = 0; i < lowNexus.length(); i++) {
        Nexus n = lowNexus.get(i);
        if (n != null && n.id != exceptInitiator) {
          n.offer(code);
        }
      }
      for (Nexus n : highNexus.values()) {
        if (n.id != exceptInitiator) {
          n.offer(code);
        }
      }
    }
    stateChanged(DeviceStateSink.UNIT_ATTENTIONS);
  }

  /** Sets a deferred error (response code 0x71) reported by the next command of any initiator. */
  public final void postDeferredError(int key, int asc, int ascq) {
    byte[] b = Sense.fixed(key, asc, ascq).toArray();
    b[0] = 0x71;
    deferredError = ByteString.fromArrayUnsafe(b);
  }

  /** Forgets every pending unit attention and deferred error (power-on state of a fresh topology). */
  public final void clearUnitAttentions() {
    synchronized (uaLock) {
      uaHistory.clear();
      for (int i = 0; i < lowNexus.length(); i++) {
        Nexus n = lowNexus.get(i);
        if (n != null) {
          n.clear();
        }
      }
      for (Nexus n : highNexus.values()) {
        n.clear();
      }
      deferredError = null;
    }
    stateChanged(DeviceStateSink.UNIT_ATTENTIONS);
  }

  /** The unit attentions pending for {@code initiatorId}, oldest first, as (asc << 8 | ascq). */
  public final List<Integer> pendingUnitAttentions(int initiatorId) {
    return nexus(initiatorId).snapshot();
  }

  private static void addCapped(ArrayDeque<Ua> q, Ua ua) {
    q.removeIf(u -> u.code == ua.code && u.except == ua.except && u.excluded.equals(ua.excluded));
    q.addLast(ua);
    while (q.size() > UA_CAP) {
      q.removeFirst();
    }
  }

  private Nexus nexus(int id) {
    if (id >= 0 && id < 256) {
      Nexus n = lowNexus.get(id);
      return n != null ? n : createNexus(id);
    }
    Nexus n = highNexus.get(id);
    return n != null ? n : createNexus(id);
  }

  private Nexus createNexus(int id) {
    Nexus n;
    boolean history;
    synchronized (uaLock) {
      n = id >= 0 && id < 256 ? lowNexus.get(id) : highNexus.get(id);
      if (n != null) {
        return n;
      }
      n = new Nexus(id);
      for (Ua ua : uaHistory) {
        if (ua.except != id && !ua.excluded.contains(id)) {
          n.offer(ua.code);
        }
      }
      putNexus(n);
      history = !uaHistory.isEmpty();
    }
    if (history) {
      stateChanged(DeviceStateSink.UNIT_ATTENTIONS); // the posted ones no longer wait for this one
    }
    return n;
  }

  private void putNexus(Nexus n) {
    if (n.id >= 0 && n.id < 256) {
      lowNexus.set(n.id, n);
    } else {
      highNexus.put(n.id, n);
    }
  }

  /**
   * The unit attention state as plain values (durable device state): each posted condition with
   * every initiator it is not for, and the pending queue of every initiator seen.
   */
  public final UnitAttentionSnapshot unitAttentions() {
    synchronized (uaLock) {
      List<Nexus> seen = new ArrayList<>();
      for (int i = 0; i < lowNexus.length(); i++) {
        Nexus n = lowNexus.get(i);
        if (n != null) {
          seen.add(n);
        }
      }
      seen.addAll(highNexus.values());
      List<UnitAttentionSnapshot.Posted> posted = new ArrayList<>();
      for (Ua ua : uaHistory) {
        SortedSet<Integer> ex = new TreeSet<>(ua.excluded);
        if (ua.except != Integer.MIN_VALUE) {
          ex.add(ua.except);
        }
        for (Nexus n : seen) {
          ex.add(n.id);
        }
        posted.add(new UnitAttentionSnapshot.Posted(ua.code, ex));
      }
      Map<Integer, List<Integer>> pending = new TreeMap<>();
      for (Nexus n : seen) {
        pending.put(n.id, n.snapshot());
      }
      return new UnitAttentionSnapshot(posted, pending);
    }
  }

  /**
   * Replaces the unit attention state by {@code s} (a device restored from its durable state):
   * the posted conditions, and the pending queue of each initiator in it. Other initiators get the
   * posted conditions not excluding them on their first command, as usual. Call it before the
   * device is in the data path.
   */
  public final void restoreUnitAttentions(UnitAttentionSnapshot s) {
    synchronized (uaLock) {
      uaHistory.clear();
      for (int i = 0; i < lowNexus.length(); i++) {
        lowNexus.set(i, null);
      }
      highNexus.clear();
      for (UnitAttentionSnapshot.Posted p : s.posted()) {
        addCapped(uaHistory, new Ua(p.code(), Integer.MIN_VALUE, Set.copyOf(p.excluded())));
      }
      for (Map.Entry<Integer, List<Integer>> e : s.pending().entrySet()) {
        Nexus n = new Nexus(e.getKey());
        for (int code : e.getValue()) {
          n.offer(code);
        }
        putNexus(n);
      }
    }
  }

  /**
   * A condition posted to every initiator not seen yet but {@code except} and {@code excluded}
   * (the latter: initiators seen before a restore).
   */
  private record Ua(int code, int except, Set<Integer> excluded) {}

  /** Per-initiator (I_T nexus) state: the queue of pending unit attentions. */
  private static final class Nexus {
    final int id;
    private final ArrayDeque<Integer> queue = new ArrayDeque<>(); // guarded by this
    volatile boolean pending;

    Nexus(int id) {
      this.id = id;
    }

    synchronized void offer(int code) {
      queue.remove(code);
      queue.addLast(code);
      while (queue.size() > UA_CAP) {
        queue.removeFirst();
      }
      pending = true;
    }

    /** Oldest pending code, removed; -1 when none. */
    synchronized int poll() {
      Integer c = queue.pollFirst();
      pending = !queue.isEmpty();
      return c == null ? -1 : c;
    }

    synchronized void clear() {
      queue.clear();
      pending = false;
    }

    synchronized List<Integer> snapshot() {
      return List.copyOf(queue);
    }
  }

  // ---------------------------------------------------------------- faults and delay

  /**
   * Adds (or replaces, by id) a fault rule.
   *
   * @throws IllegalArgumentException for a kind or command class this device does not implement,
   *     or a unit attention / custom sense rule without its sense
   */
  public final void addFault(FaultRule rule) {
    checkImplemented(rule);
    synchronized (this) {
      FaultRule[] cur = faults;
      List<FaultRule> next = new ArrayList<>(cur.length + 1);
      for (FaultRule f : cur) {
        if (!f.id().equals(rule.id())) {
          next.add(f);
        }
      }
      next.add(rule);
      faults = next.toArray(NO_FAULTS);
    }
    stateChanged(DeviceStateSink.FAULTS);
  }

  /** Removes the rule with this id; false when there was none. */
  public final boolean removeFault(String id) {
    boolean removed;
    synchronized (this) {
      FaultRule[] cur = faults;
      FaultRule[] next = Arrays.stream(cur).filter(f -> !f.id().equals(id)).toArray(FaultRule[]::new);
      faults = next.length == 0 ? NO_FAULTS : next;
      removed = next.length != cur.length;
    }
    if (removed) {
      stateChanged(DeviceStateSink.FAULTS);
    }
    return removed;
  }

  /**
   * Removes a one-shot rule that fires; false when it is gone already. The sink hears that it
   * fired before the rule disappears from {@link #faults()}, so whoever reads the list without it
   * knows it was consumed, not deleted.
   */
  private boolean consumeOneShot(FaultRule rule) {
    synchronized (this) {
      FaultRule[] cur = faults;
      FaultRule[] next = Arrays.stream(cur).filter(f -> f != rule).toArray(FaultRule[]::new);
      if (next.length == cur.length) {
        return false;
      }
      sink.faultFired(this, rule);
      faults = next.length == 0 ? NO_FAULTS : next;
      return true;
    }
  }

  public final void clearFaults() {
    synchronized (this) {
      faults = NO_FAULTS;
    }
    stateChanged(DeviceStateSink.FAULTS);
  }

  /** The active rules in insertion order (one-shot rules that fired are gone). */
  public final List<FaultRule> faults() {
    return List.of(faults);
  }

  public final void setDelay(Delay d) {
    Delay next = d == null ? Delay.NONE : d;
    if (!next.equals(delay)) {
      delay = next;
      stateChanged(DeviceStateSink.DELAY);
    }
  }

  public final Delay delay() {
    return delay;
  }

  /** Refuses a rule the device cannot answer (the journal keeps any name; the device does not). */
  static void checkImplemented(FaultRule r) {
    switch (r.kind()) {
      case FaultRule.MEDIUM_ERROR, FaultRule.ABORTED_COMMAND, FaultRule.BUSY, FaultRule.TASK_SET_FULL,
          FaultRule.TIMEOUT -> {}
      case FaultRule.UNIT_ATTENTION, FaultRule.CUSTOM_SENSE -> {
        if (r.asc() < 0) {
          throw new IllegalArgumentException("fault rule " + r.id() + ": " + r.kind() + " needs sense data");
        }
      }
      default -> throw new IllegalArgumentException("fault rule " + r.id() + ": unknown kind " + r.kind());
    }
    switch (r.opClass()) {
      case FaultRule.READ, FaultRule.WRITE, FaultRule.ANY -> {}
      default -> throw new IllegalArgumentException(
          "fault rule " + r.id() + ": unknown command class " + r.opClass() + " (read, write or any)");
    }
  }

  private ScsiResponse injectFault(FaultRule[] fs, int op, int flags, ByteString cdb, int dxferLen) {
    boolean hasLba = (flags & F_LBA) != 0;
    long lba = hasLba ? cdbLba(op, cdb) : -1;
    long blocks = hasLba ? cdbBlocks(op, cdb) : 0;
    for (FaultRule f : fs) {
      switch (f.opClass()) {
        case FaultRule.READ:
          if ((flags & F_READ) == 0) {
            continue;
          }
          break;
        case FaultRule.WRITE:
          if ((flags & F_WRITE) == 0) {
            continue;
          }
          break;
        default:
          break;
      }
      long firstBad = lba;
      if (f.hasLbaRange()) {
        if (!hasLba || !f.overlaps(lba, blocks)) {
          continue;
        }
        firstBad = Math.max(lba, f.lbaFirst());
      }
      if (f.oneShot()) {
        if (!consumeOneShot(f)) {
          continue; // a one-shot rule fires once, even against a concurrent removal
        }
        stateChanged(DeviceStateSink.FAULTS);
      }
      return faultResponse(f, (flags & F_WRITE) != 0, firstBad, dxferLen);
    }
    return null;
  }

  private ScsiResponse faultResponse(FaultRule f, boolean write, long firstBad, int dxferLen) {
    switch (f.kind()) {
      case FaultRule.MEDIUM_ERROR: {
        int asc = f.asc() >= 0 ? f.asc() : write ? 0x0c : 0x11;
        int ascq = f.asc() >= 0 ? f.ascq() : 0x00;
        ByteString s = firstBad >= 0 && firstBad <= 0xffffffffL
            ? Sense.fixedWithInfo(Sense.MEDIUM_ERROR, asc, ascq, firstBad)
            : Sense.fixed(Sense.MEDIUM_ERROR, asc, ascq);
        return checkCondition(s, dxferLen);
      }
      case FaultRule.UNIT_ATTENTION:
        return checkCondition(Sense.fixed(Sense.UNIT_ATTENTION, f.asc(), f.ascq()), dxferLen);
      case FaultRule.ABORTED_COMMAND:
        return checkCondition(Sense.fixed(Sense.ABORTED_COMMAND, f.asc() >= 0 ? f.asc() : 0x47, f.asc() >= 0 ? f.ascq() : 0x00), dxferLen);
      case FaultRule.BUSY:
        return ScsiResponse.status(ScsiStatus.BUSY, dxferLen);
      case FaultRule.TASK_SET_FULL:
        return ScsiResponse.status(ScsiStatus.QUEUE_FULL, dxferLen);
      case FaultRule.TIMEOUT:
        return ScsiResponse.DROPPED;
      case FaultRule.CUSTOM_SENSE:
      default:
        return checkCondition(Sense.fixed(f.senseKey(), Math.max(0, f.asc()), Math.max(0, f.ascq())), dxferLen);
    }
  }

  /** LBA of a media-access CDB (READ/WRITE/VERIFY/WRITE SAME/SYNC CACHE layouts); -1 if none. */
  static long cdbLba(int op, ByteString cdb) {
    switch (op >>> 5) {
      case 0:
        return be24(cdb, 1) & 0x1fffff;
      case 1:
      case 2:
      case 5:
        return be32(cdb, 2);
      case 4:
        return be64(cdb, 2);
      default:
        return -1;
    }
  }

  /** Transfer / number-of-blocks field of a media-access CDB (READ(6)/WRITE(6): 0 means 256). */
  static long cdbBlocks(int op, ByteString cdb) {
    switch (op >>> 5) {
      case 0: {
        int n = u8(cdb, 4);
        return n == 0 ? 256 : n;
      }
      case 1:
      case 2:
        return be16(cdb, 7);
      case 5:
        return be32(cdb, 6);
      case 4:
        return be32(cdb, 10);
      default:
        return 0;
    }
  }

  // ---------------------------------------------------------------- INQUIRY

  private ScsiResponse inquiry(ByteString cdb, int dxferLen) {
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
    byte[] vpd = vpdPage(page);
    if (vpd == null) {
      return invalidCdbField(2, -1, dxferLen);
    }
    return goodData(ByteString.fromArrayUnsafe(vpd), alloc, dxferLen);
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
    b[3] = 0x12; // HiSup, response data format 2
    b[4] = (byte) (b.length - 5);
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

  /** A VPD page, or null when not supported. Subclasses add pages and call super. */
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
        return deviceIdentification();
      default:
        return null;
    }
  }

  /** VPD 0x83: an NAA designator (the WWN) and a T10 vendor id designator, both LU-associated. */
  private byte[] deviceIdentification() {
    byte[] t10 = new byte[8 + 16 + spec.serial().length()];
    Bytes.putAscii(t10, 0, spec.vendor(), 8);
    Bytes.putAscii(t10, 8, spec.product(), 16);
    Bytes.putAscii(t10, 24, spec.serial(), spec.serial().length());
    int len = (4 + 8) + (4 + t10.length);
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
    return b;
  }

  // ---------------------------------------------------------------- REQUEST SENSE, REPORT LUNS

  private ScsiResponse requestSense(ByteString cdb, int dxferLen, int initiatorId) {
    boolean desc = (u8(cdb, 1) & 0x01) != 0;
    int alloc = u8(cdb, 4);
    ByteString s = null;
    Nexus n = nexus(initiatorId);
    if (n.pending) {
      int code = n.poll();
      if (code >= 0) {
        stateChanged(DeviceStateSink.UNIT_ATTENTIONS);
        s = Sense.fixed(Sense.UNIT_ATTENTION, code >>> 8, code & 0xff);
      }
    }
    if (s == null) {
      s = deferredError;
      if (s != null) {
        deferredError = null;
      }
    }
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

  /** Recomputes the hot flags cached from mode pages; subclasses extend (call super). */
  protected void modePagesChanged() {
    ModePage control = findPage(0x0a);
    if (control != null) {
      descriptorSense = (control.current[2] & 0x04) != 0;
      softwareWriteProtect = (control.current[4] & 0x08) != 0;
    }
  }

  /** Current value of mode page byte (for subclasses' hot flags); caller holds no lock. */
  protected final int modeByte(int page, int index) {
    synchronized (modeLock) {
      ModePage p = findPage(page);
      return p == null ? 0 : p.current[index] & 0xff;
    }
  }

  private ModePage findPage(int code) {
    for (ModePage p : modePages) {
      if (p.code == code) {
        return p;
      }
    }
    return null;
  }

  private ScsiResponse modeSense(ByteString cdb, boolean ten, int dxferLen) {
    int b1 = u8(cdb, 1);
    boolean dbd = (b1 & 0x08) != 0;
    boolean llbaa = ten && (b1 & 0x10) != 0;
    int pc = u8(cdb, 2) >>> 6;
    int page = u8(cdb, 2) & 0x3f;
    int sub = u8(cdb, 3);
    int alloc = ten ? be16(cdb, 7) : u8(cdb, 4);
    if (sub != 0 && !(sub == 0xff && page == 0x3f)) {
      return invalidCdbField(3, -1, dxferLen);
    }
    int hdr = ten ? 8 : 4;
    int bdl = 0;
    if (!dbd && hasBlockDescriptor()) {
      bdl = llbaa ? 16 : 8;
    }
    byte[] b;
    synchronized (modeLock) {
      int pagesLen = 0;
      if (page == 0x3f) {
        for (ModePage p : modePages) {
          pagesLen += p.length();
        }
      } else {
        ModePage p = findPage(page);
        if (p == null) {
          return invalidCdbField(2, 5, dxferLen);
        }
        pagesLen = p.length();
      }
      b = new byte[hdr + bdl + pagesLen];
      int pos = hdr + bdl;
      for (ModePage p : modePages) {
        if (page == 0x3f || p.code == page) {
          System.arraycopy(p.values(pc), 0, b, pos, p.length());
          b[pos] = (byte) (p.code | 0x80); // PS: saveable
          b[pos + 1] = (byte) (p.length() - 2);
          pos += p.length();
        }
      }
    }
    int dsp = deviceSpecificParameter();
    if (ten) {
      Bytes.put16(b, 0, Math.min(0xffff, b.length - 2));
      b[3] = (byte) dsp;
      b[4] = (byte) (llbaa && bdl == 16 ? 0x01 : 0);
      Bytes.put16(b, 6, bdl);
    } else {
      b[0] = (byte) Math.min(0xff, b.length - 1);
      b[2] = (byte) dsp;
      b[3] = (byte) bdl;
    }
    if (bdl != 0) {
      long blocks = descriptorBlocks();
      int bs = descriptorBlockSize();
      if (bdl == 16) {
        Bytes.put64(b, hdr, blocks);
        Bytes.put32(b, hdr + 12, bs);
      } else {
        Bytes.put32(b, hdr, blocks > 0xffffffffL ? 0xffffffffL : blocks);
        Bytes.put24(b, hdr + 5, bs);
      }
    }
    return goodData(ByteString.fromArrayUnsafe(b), alloc, dxferLen);
  }

  private ScsiResponse modeSelect(ByteString cdb, ByteString data, boolean ten, int dxferLen, int initiatorId) {
    int b1 = u8(cdb, 1);
    boolean save = (b1 & 0x01) != 0;
    int plen = ten ? be16(cdb, 7) : u8(cdb, 4);
    int lenField = ten ? 7 : 4;
    if (plen == 0) {
      return good(dxferLen);
    }
    if (data.size() != plen) {
      return dataOutMismatch(lenField, dxferLen);
    }
    int hdr = ten ? 8 : 4;
    if (plen < hdr) {
      return paramListLengthError(dxferLen);
    }
    int bdl = ten ? be16(data, 6) : u8(data, 3);
    boolean longLba = ten && (u8(data, 4) & 0x01) != 0;
    if (bdl != 0) {
      int expect = longLba ? 16 : 8;
      if (bdl != expect || !hasBlockDescriptor()) {
        return invalidParamField(ten ? 6 : 3, -1, dxferLen);
      }
      if (hdr + bdl > plen) {
        return paramListLengthError(dxferLen);
      }
      int bsOff = longLba ? hdr + 12 : hdr + 5;
      long bs = longLba ? be32(data, bsOff) : be24(data, bsOff);
      if (bs != 0 && bs != descriptorBlockSize()) {
        return invalidParamField(bsOff, -1, dxferLen);
      }
    }
    boolean changed = false;
    synchronized (modeLock) {
      // validate everything first, then apply
      List<byte[]> staged = new ArrayList<>();
      List<ModePage> targets = new ArrayList<>();
      int p = hdr + bdl;
      while (p < plen) {
        if (p + 2 > plen) {
          return paramListLengthError(dxferLen);
        }
        int b0 = u8(data, p);
        if ((b0 & 0x40) != 0) {
          return invalidParamField(p, 6, dxferLen); // subpage format: none here
        }
        ModePage mp = findPage(b0 & 0x3f);
        if (mp == null) {
          return invalidParamField(p, 5, dxferLen);
        }
        int len = u8(data, p + 1);
        if (len != mp.length() - 2) {
          return invalidParamField(p + 1, -1, dxferLen);
        }
        if (p + 2 + len > plen) {
          return paramListLengthError(dxferLen);
        }
        byte[] next = mp.current.clone();
        int idx = targets.indexOf(mp);
        if (idx >= 0) {
          next = staged.get(idx);
        }
        for (int i = 2; i < mp.length(); i++) {
          int v = u8(data, p + i);
          int cur = next[i] & 0xff;
          int ch = mp.changeable[i] & 0xff;
          int bad = (v ^ cur) & ~ch & 0xff;
          if (bad != 0) {
            return invalidParamField(p + i, 31 - Integer.numberOfLeadingZeros(bad), dxferLen);
          }
          next[i] = (byte) ((cur & ~ch) | (v & ch));
        }
        if (idx >= 0) {
          staged.set(idx, next);
        } else {
          targets.add(mp);
          staged.add(next);
        }
        p += 2 + len;
      }
      for (int i = 0; i < targets.size(); i++) {
        ModePage mp = targets.get(i);
        byte[] next = staged.get(i);
        if (!Arrays.equals(mp.current, next)) {
          changed = true;
          System.arraycopy(next, 0, mp.current, 0, next.length);
        }
        if (save) {
          System.arraycopy(mp.current, 0, mp.saved, 0, next.length);
        }
      }
      if (changed) {
        modePagesChanged();
      }
    }
    if (changed) {
      stateChanged(DeviceStateSink.MODE_PAGES);
      postUnitAttention(0x2a, 0x01, initiatorId);
    }
    return good(dxferLen);
  }

  /**
   * Every mode page's values for page control {@code pc} (0 current, 1 changeable, 2 default, 3
   * saved), by page code, as copies: byte 0 the page code (PS clear), byte 1 the page length.
   */
  public final Map<Integer, byte[]> modePages(int pc) {
    synchronized (modeLock) {
      Map<Integer, byte[]> out = new TreeMap<>();
      for (ModePage p : modePages) {
        out.put(p.code, p.values(pc).clone());
      }
      return out;
    }
  }

  /**
   * Puts back a mode page of a restored device as its current and saved values (only the
   * changeable bits are taken).
   *
   * @param values byte 0 the page code, byte 1 the page length, then the parameters
   * @return false when the device has no such page or its length differs
   */
  public final boolean restoreModePage(byte[] values) {
    if (values == null || values.length < 2) {
      return false;
    }
    synchronized (modeLock) {
      ModePage p = findPage(values[0] & 0x3f);
      if (p == null || p.length() != values.length) {
        return false;
      }
      for (int i = 2; i < p.length(); i++) {
        int ch = p.changeable[i] & 0xff;
        p.current[i] = (byte) ((p.defaults[i] & ~ch) | (values[i] & ch));
      }
      System.arraycopy(p.current, 0, p.saved, 0, p.length());
      modePagesChanged();
      return true;
    }
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[lun " + spec.lun() + " " + spec.vendor() + " " + spec.product() + "]";
  }
}
