package org.camstack.stack.target;

import static org.camstack.stack.scsi.Bytes.be16;
import static org.camstack.stack.scsi.Bytes.be32;
import static org.camstack.stack.scsi.Bytes.be64;
import static org.camstack.stack.scsi.Bytes.u8;
import static org.camstack.stack.scsi.Opcodes.INQUIRY;
import static org.camstack.stack.scsi.Opcodes.LOG_SENSE;
import static org.camstack.stack.scsi.Opcodes.PERSISTENT_RES_IN;
import static org.camstack.stack.scsi.Opcodes.PERSISTENT_RES_OUT;
import static org.camstack.stack.scsi.Opcodes.PREVENT_ALLOW;
import static org.camstack.stack.scsi.Opcodes.PRE_FETCH_10;
import static org.camstack.stack.scsi.Opcodes.PRE_FETCH_16;
import static org.camstack.stack.scsi.Opcodes.READ_10;
import static org.camstack.stack.scsi.Opcodes.READ_12;
import static org.camstack.stack.scsi.Opcodes.READ_16;
import static org.camstack.stack.scsi.Opcodes.READ_6;
import static org.camstack.stack.scsi.Opcodes.READ_CAPACITY_10;
import static org.camstack.stack.scsi.Opcodes.READ_LONG_10;
import static org.camstack.stack.scsi.Opcodes.RECEIVE_DIAGNOSTIC;
import static org.camstack.stack.scsi.Opcodes.RELEASE_10;
import static org.camstack.stack.scsi.Opcodes.RELEASE_6;
import static org.camstack.stack.scsi.Opcodes.REPORT_LUNS;
import static org.camstack.stack.scsi.Opcodes.REQUEST_SENSE;
import static org.camstack.stack.scsi.Opcodes.RESERVE_10;
import static org.camstack.stack.scsi.Opcodes.RESERVE_6;
import static org.camstack.stack.scsi.Opcodes.SERVICE_ACTION_IN_16;
import static org.camstack.stack.scsi.Opcodes.START_STOP_UNIT;
import static org.camstack.stack.scsi.Opcodes.TEST_UNIT_READY;
import static org.camstack.stack.scsi.Opcodes.VERIFY_10;
import static org.camstack.stack.scsi.Opcodes.VERIFY_16;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;

/**
 * The reservations of one logical unit: the SPC-2 reservation of RESERVE/RELEASE(6/10) and SPC-4's
 * persistent reservations (PERSISTENT RESERVE IN 5Eh, OUT 5Fh, SPC-4 5.13, 6.15, 6.16), and which
 * command from which I_T nexus they make end in RESERVATION CONFLICT (cf. {@code
 * ctl_persistent_reserve_in/out}, {@code ctl_scsi_reserve/release} and the precheck of
 * sys/cam/ctl/ctl.c). docs/target.md, "Reservations", has the model and the conflict table.
 *
 * <p>An I_T nexus is an initiator id ({@link Nexuses}). A registration belongs to one I_T nexus, or
 * with ALL_TG_PT to its initiator port on every target port. Persistent reservation types: 1 Write
 * Exclusive, 3 Exclusive Access, 5/6 their Registrants Only forms, 7/8 their All Registrants forms;
 * scope LU only.
 *
 * <p>Threading: the data path reads one immutable {@link State} through a volatile field (no lock,
 * nothing allocated when nothing is reserved); commands that change it hold this object's lock and
 * publish a new one. Changes are reported to the device's {@link DeviceStateSink} as {@link
 * DeviceStateSink#RESERVATION}; with APTPL the persistent part is durable ({@link #durable}).
 */
public final class Reservations {

  /** Persistent reservation types (SPC-4 table 169). */
  public static final int WRITE_EXCLUSIVE = 1;

  public static final int EXCLUSIVE_ACCESS = 3;
  public static final int WE_REGISTRANTS_ONLY = 5;
  public static final int EA_REGISTRANTS_ONLY = 6;
  public static final int WE_ALL_REGISTRANTS = 7;
  public static final int EA_ALL_REGISTRANTS = 8;

  /** PERSISTENT RESERVE OUT service actions. */
  static final int REGISTER = 0;

  static final int RESERVE = 1;
  static final int RELEASE = 2;
  static final int CLEAR = 3;
  static final int PREEMPT = 4;
  static final int PREEMPT_AND_ABORT = 5;
  static final int REGISTER_AND_IGNORE = 6;
  static final int REGISTER_AND_MOVE = 7;

  /** Command classes of the conflict table. */
  static final int ALLOWED = 0;

  /** Reads the medium: allowed through Write Exclusive types. */
  static final int READ = 1;
  /** Writes the medium or anything else: only the holder (and registrants of RO/AR types). */
  static final int OTHER = 2;
  /** Decides itself (PR OUT, RESERVE, RELEASE). */
  static final int SELF = 3;

  private static final int NONE = Integer.MIN_VALUE;

  /** One registration. */
  record Registrant(int initiatorId, String initiatorPort, int relativeTargetPort, long key, boolean allTgPt) {
    Registrant withKey(long k) {
      return new Registrant(initiatorId, initiatorPort, relativeTargetPort, k, allTgPt);
    }
  }

  /**
   * Everything, immutable.
   *
   * @param spc2 the SPC-2 RESERVE holder, {@code NONE} for none
   * @param regs registrations in the order they were made
   * @param holder the persistent reservation holder (for All Registrants types: the registrant
   *     that reserved, or another one once it left), null when not reserved
   * @param type the persistent reservation type, 0 when not reserved
   * @param aptpl the last registration asked to persist through power loss
   * @param generation PRgeneration
   */
  record State(int spc2, List<Registrant> regs, Registrant holder, int type, boolean aptpl, int generation) {
    static final State EMPTY = new State(NONE, List.of(), null, 0, false, 0);

    /** The registration of {@code id}, or null. */
    Registrant find(int id) {
      String port = null;
      for (Registrant r : regs) {
        if (r.initiatorId == id) {
          return r;
        }
        if (r.allTgPt) {
          if (port == null) {
            port = Nexuses.describe(id).initiatorPort();
          }
          if (r.initiatorPort.equals(port)) {
            return r;
          }
        }
      }
      return null;
    }

    boolean allRegistrants() {
      return type == WE_ALL_REGISTRANTS || type == EA_ALL_REGISTRANTS;
    }

    /** Registrants Only or All Registrants: every registrant may access. */
    boolean registrantsAccess() {
      return type >= WE_REGISTRANTS_ONLY;
    }

    boolean isHolder(Registrant r) {
      return r != null && holder != null && (allRegistrants() || r == holder);
    }

    State with(List<Registrant> r, Registrant h, int t, boolean a, int g) {
      return new State(spc2, List.copyOf(r), h, h == null ? 0 : t, a, g);
    }

    State withSpc2(int holderId) {
      return new State(holderId, regs, holder, type, aptpl, generation);
    }
  }

  private final EmuDevice dev;
  private volatile State state = State.EMPTY;

  Reservations(EmuDevice dev) {
    this.dev = dev;
  }

  /** The current state (tests, durable view). */
  State state() {
    return state;
  }

  // ------------------------------------------------------------------ the conflict table

  /**
   * The class of a command in the conflict tables (SPC-4 5.13.1 table 63, SBC-3 4.17 table 13),
   * with REPORT CAPABILITIES' ALLOW_COMMANDS = 010b: TEST UNIT READY is allowed, MODE SENSE, READ
   * BUFFER, RECEIVE DIAGNOSTIC RESULTS, REPORT SUPPORTED OPERATION CODES / TASK MANAGEMENT
   * FUNCTIONS and READ DEFECT DATA are not allowed through Write Exclusive.
   */
  static int commandClass(int op, ByteString cdb) {
    switch (op) {
      case TEST_UNIT_READY, REQUEST_SENSE, INQUIRY, LOG_SENSE, READ_CAPACITY_10, REPORT_LUNS, PERSISTENT_RES_IN:
        return ALLOWED;
      case READ_6, READ_10, READ_12, READ_16, VERIFY_10, 0xaf /* VERIFY(12) */, VERIFY_16, PRE_FETCH_10, PRE_FETCH_16,
          READ_LONG_10:
        return READ;
      case SERVICE_ACTION_IN_16: {
        int sa = u8(cdb, 1) & 0x1f;
        return sa == 0x10 ? ALLOWED /* READ CAPACITY(16) */ : sa == 0x11 || sa == 0x12 ? READ /* READ LONG, GET LBA STATUS */ : OTHER;
      }
      case 0xa3: { // MAINTENANCE IN
        int sa = u8(cdb, 1) & 0x1f;
        // REPORT IDENTIFYING INFORMATION, REPORT TARGET PORT GROUPS, REPORT ALIASES, REPORT PRIORITY, REPORT TIMESTAMP
        return sa == 0x05 || sa == 0x0a || sa == 0x0b || sa == 0x0e || sa == 0x0f ? ALLOWED : OTHER;
      }
      case 0xab: // SERVICE ACTION IN(12): READ MEDIA SERIAL NUMBER
        return (u8(cdb, 1) & 0x1f) == 0x01 ? ALLOWED : OTHER;
      case PREVENT_ALLOW:
        return (u8(cdb, 4) & 0x03) == 0 ? ALLOWED : OTHER;
      case START_STOP_UNIT: {
        int b4 = u8(cdb, 4);
        return (b4 & 0x01) != 0 && (b4 >>> 4) == 0 ? ALLOWED : OTHER;
      }
      case RESERVE_6, RESERVE_10, RELEASE_6, RELEASE_10, PERSISTENT_RES_OUT:
        return SELF;
      default:
        return OTHER;
    }
  }

  /**
   * Commands another I_T nexus may send while an SPC-2 reservation is held (SPC-2 5.5.1): INQUIRY,
   * REQUEST SENSE, REPORT LUNS, LOG SENSE, REPORT TARGET PORT GROUPS, PREVENT ALLOW MEDIUM REMOVAL
   * with PREVENT 0, READ CAPACITY and RECEIVE DIAGNOSTIC RESULTS (as before this class; an
   * enclosure's status pages stay readable). RELEASE is a no-op from them; everything else,
   * MODE SENSE included, conflicts.
   */
  static boolean spc2Allowed(int op, ByteString cdb) {
    switch (op) {
      case INQUIRY, REQUEST_SENSE, REPORT_LUNS, LOG_SENSE, READ_CAPACITY_10, RECEIVE_DIAGNOSTIC, RELEASE_6, RELEASE_10:
        return true;
      case SERVICE_ACTION_IN_16:
        return (u8(cdb, 1) & 0x1f) == 0x10;
      case 0xa3:
        return (u8(cdb, 1) & 0x1f) == 0x0a;
      case PREVENT_ALLOW:
        return (u8(cdb, 4) & 0x03) == 0;
      default:
        return false;
    }
  }

  /**
   * Does this command from {@code initiatorId} conflict with a reservation (the precheck's step,
   * after unit attentions)? Lock-free; false at once when nothing is reserved.
   */
  boolean conflicts(int op, ByteString cdb, int initiatorId) {
    State s = state;
    if (s.spc2 == NONE && s.holder == null) {
      return false;
    }
    if (s.spc2 != NONE) {
      // SPC-2 5.5.1: PR IN/OUT conflict while RESERVE holds, from every nexus
      if (op == PERSISTENT_RES_IN || op == PERSISTENT_RES_OUT) {
        return true;
      }
      return s.spc2 != initiatorId && !spc2Allowed(op, cdb);
    }
    int cls = commandClass(op, cdb);
    if (cls == ALLOWED || cls == SELF) {
      return false;
    }
    Registrant r = s.find(initiatorId);
    if (s.isHolder(r) || (r != null && s.registrantsAccess())) {
      return false;
    }
    boolean readsShared = s.type == WRITE_EXCLUSIVE || s.type == WE_REGISTRANTS_ONLY || s.type == WE_ALL_REGISTRANTS;
    return !(cls == READ && readsShared);
  }

  // ------------------------------------------------------------------ SPC-2 RESERVE / RELEASE

  /**
   * RESERVE(6/10). With persistent registrations present the SPC-4 5.13.3 exceptions apply (CRH):
   * GOOD without effect from the holder or a registrant of a Registrants Only / All Registrants
   * reservation, RESERVATION CONFLICT from anyone else.
   */
  ScsiResponse reserve(int op, ByteString cdb, int dxferLen, int initiatorId) {
    int b1 = u8(cdb, 1);
    if (op == RESERVE_6 ? (b1 & 0x1f) != 0 : (b1 & 0x12) != 0) {
      return dev.invalidCdbField(1, -1, dxferLen); // extents and third-party reservations
    }
    synchronized (this) {
      State s = state;
      if (!s.regs.isEmpty()) {
        return crhGood(s, initiatorId) ? EmuDevice.good(dxferLen) : conflict(dxferLen);
      }
      if (s.spc2 != NONE && s.spc2 != initiatorId) {
        return conflict(dxferLen);
      }
      state = s.withSpc2(initiatorId);
    }
    dev.stateChanged(DeviceStateSink.RESERVATION);
    return EmuDevice.good(dxferLen);
  }

  /** RELEASE(6/10): a non-holder's release is GOOD without effect (SPC-2); CRH as for RESERVE. */
  ScsiResponse release(int op, ByteString cdb, int dxferLen, int initiatorId) {
    int b1 = u8(cdb, 1);
    if (op == RELEASE_6 ? (b1 & 0x1f) != 0 : (b1 & 0x12) != 0) {
      return dev.invalidCdbField(1, -1, dxferLen);
    }
    synchronized (this) {
      State s = state;
      if (!s.regs.isEmpty()) {
        return crhGood(s, initiatorId) ? EmuDevice.good(dxferLen) : conflict(dxferLen);
      }
      if (s.spc2 != initiatorId) {
        return EmuDevice.good(dxferLen);
      }
      state = s.withSpc2(NONE);
    }
    dev.stateChanged(DeviceStateSink.RESERVATION);
    return EmuDevice.good(dxferLen);
  }

  private static boolean crhGood(State s, int initiatorId) {
    Registrant r = s.find(initiatorId);
    return s.isHolder(r) || (r != null && s.holder != null && s.registrantsAccess());
  }

  /** The SPC-2 holder, -1 for none. */
  public int spc2Holder() {
    int h = state.spc2;
    return h == NONE ? -1 : h;
  }

  /**
   * A reset (LUN reset, target reset, bus reset) releases the SPC-2 reservation; persistent
   * reservations stay (SPC-4 5.13.1).
   */
  public void reset() {
    boolean changed;
    synchronized (this) {
      changed = state.spc2 != NONE;
      state = state.withSpc2(NONE);
    }
    if (changed) {
      dev.stateChanged(DeviceStateSink.RESERVATION);
    }
  }

  /**
   * The I_T nexus {@code initiatorId} is gone (logout, connection loss): its SPC-2 reservation is
   * released (SPC-2 5.5.1); registrations and persistent reservations stay.
   */
  public void nexusLost(int initiatorId) {
    boolean changed;
    synchronized (this) {
      changed = state.spc2 == initiatorId;
      if (changed) {
        state = state.withSpc2(NONE);
      }
    }
    if (changed) {
      dev.stateChanged(DeviceStateSink.RESERVATION);
    }
  }

  /** Sets the SPC-2 holder of a restored device ({@code -1}: none) before it is in the data path. */
  void restoreSpc2(int holder) {
    synchronized (this) {
      state = state.withSpc2(holder < 0 ? NONE : holder);
    }
  }

  // ------------------------------------------------------------------ PERSISTENT RESERVE IN

  /** PERSISTENT RESERVE IN: READ KEYS, READ RESERVATION, REPORT CAPABILITIES, READ FULL STATUS. */
  ScsiResponse persistentReserveIn(ByteString cdb, int dxferLen) {
    int sa = u8(cdb, 1) & 0x1f;
    int alloc = be16(cdb, 7);
    State s = state;
    byte[] b;
    switch (sa) {
      case 0: { // READ KEYS
        b = new byte[8 + 8 * s.regs.size()];
        Bytes.put32(b, 0, s.generation & 0xffffffffL);
        Bytes.put32(b, 4, 8L * s.regs.size());
        int p = 8;
        for (Registrant r : s.regs) {
          Bytes.put64(b, p, r.key);
          p += 8;
        }
        break;
      }
      case 1: { // READ RESERVATION
        b = new byte[s.holder == null ? 8 : 24];
        Bytes.put32(b, 0, s.generation & 0xffffffffL);
        if (s.holder != null) {
          Bytes.put32(b, 4, 16);
          Bytes.put64(b, 8, s.allRegistrants() ? 0 : s.holder.key);
          b[21] = (byte) s.type; // scope LU (0)
        }
        break;
      }
      case 2: // REPORT CAPABILITIES
        b = capabilities(s);
        break;
      case 3: // READ FULL STATUS
        b = fullStatus(s);
        break;
      default:
        return dev.invalidCdbField(1, 4, dxferLen);
    }
    return EmuDevice.goodData(ByteString.fromArrayUnsafe(b), alloc, dxferLen);
  }

  /**
   * REPORT CAPABILITIES: CRH 1 (5.13.3 exceptions), SIP_C 1, ATP_C 1, PTPL_C 1, TMV 1 with
   * ALLOW_COMMANDS 010b, PTPL_A as the last registration asked, all six types; RLR_C 0.
   */
  private static byte[] capabilities(State s) {
    byte[] b = new byte[8];
    Bytes.put16(b, 0, 8);
    b[2] = 0x10 | 0x08 | 0x04 | 0x01; // CRH, SIP_C, ATP_C, PTPL_C
    b[3] = (byte) (0x80 | (0x2 << 4) | (s.aptpl ? 0x01 : 0)); // TMV, ALLOW_COMMANDS, PTPL_A
    b[4] = (byte) (0x80 | 0x40 | 0x20 | 0x08 | 0x02); // WR_EX_AR, EX_AC_RO, WR_EX_RO, EX_AC, WR_EX
    b[5] = 0x01; // EX_AC_AR
    return b;
  }

  private static byte[] fullStatus(State s) {
    List<byte[]> descs = new ArrayList<>();
    int total = 0;
    for (Registrant r : s.regs) {
      byte[] tid = TransportId.of(new Nexuses.Nexus(r.initiatorId, r.initiatorPort, r.relativeTargetPort));
      byte[] d = new byte[24 + tid.length];
      Bytes.put64(d, 0, r.key);
      boolean holds = s.isHolder(r);
      d[12] = (byte) ((r.allTgPt ? 0x02 : 0) | (holds ? 0x01 : 0));
      d[13] = (byte) (holds ? s.type : 0);
      Bytes.put16(d, 18, r.allTgPt ? 0 : r.relativeTargetPort);
      Bytes.put32(d, 20, tid.length);
      System.arraycopy(tid, 0, d, 24, tid.length);
      descs.add(d);
      total += d.length;
    }
    byte[] b = new byte[8 + total];
    Bytes.put32(b, 0, s.generation & 0xffffffffL);
    Bytes.put32(b, 4, total);
    int p = 8;
    for (byte[] d : descs) {
      System.arraycopy(d, 0, b, p, d.length);
      p += d.length;
    }
    return b;
  }

  // ------------------------------------------------------------------ PERSISTENT RESERVE OUT

  /** What a PR OUT did: the response, and unit attentions to post once the lock is released. */
  private record Outcome(ScsiResponse response, boolean changed, List<int[]> unitAttentions) {}

  /**
   * PERSISTENT RESERVE OUT: REGISTER, RESERVE, RELEASE, CLEAR, PREEMPT, PREEMPT AND ABORT,
   * REGISTER AND IGNORE EXISTING KEY, REGISTER AND MOVE.
   */
  ScsiResponse persistentReserveOut(ByteString cdb, ByteString data, int dxferLen, int initiatorId) {
    int sa = u8(cdb, 1) & 0x1f;
    int scope = u8(cdb, 2) >>> 4;
    int type = u8(cdb, 2) & 0x0f;
    long plen = be32(cdb, 5);
    if (sa > REGISTER_AND_MOVE) {
      return dev.invalidCdbField(1, 4, dxferLen);
    }
    if (data.size() != plen) {
      return dev.dataOutMismatch(5, dxferLen);
    }
    if (sa == RESERVE || sa == RELEASE || sa == PREEMPT || sa == PREEMPT_AND_ABORT) {
      if (scope != 0) {
        return dev.invalidCdbField(2, 7, dxferLen);
      }
      if (!validType(type)) {
        return dev.invalidCdbField(2, 3, dxferLen);
      }
    }
    Outcome o;
    if (sa == REGISTER_AND_MOVE) {
      if (plen < 24) {
        return dev.paramListLengthError(dxferLen);
      }
      o = registerAndMove(data, dxferLen, initiatorId);
    } else {
      if (plen < 24) {
        return dev.paramListLengthError(dxferLen);
      }
      int flags = u8(data, 20);
      boolean specIpt = (flags & 0x08) != 0;
      if (specIpt && sa != REGISTER) {
        return dev.invalidParamField(20, 3, dxferLen);
      }
      if (!specIpt && plen != 24) {
        return dev.paramListLengthError(dxferLen);
      }
      long key = be64(data, 0);
      long saKey = be64(data, 8);
      switch (sa) {
        case REGISTER, REGISTER_AND_IGNORE ->
            o = register(data, sa == REGISTER_AND_IGNORE, key, saKey, flags, dxferLen, initiatorId);
        case RESERVE -> o = reserve(key, type, dxferLen, initiatorId);
        case RELEASE -> o = release(key, type, dxferLen, initiatorId);
        case CLEAR -> o = clear(key, dxferLen, initiatorId);
        default -> o = preempt(key, saKey, type, dxferLen, initiatorId); // PREEMPT (AND ABORT)
      }
    }
    for (int[] ua : o.unitAttentions) {
      dev.postUnitAttentionTo(ua[0], 0x2a, ua[1]);
    }
    if (sa == PREEMPT_AND_ABORT && o.changed) {
      abortPreempted(o.unitAttentions, initiatorId);
    }
    if (o.changed) {
      dev.stateChanged(DeviceStateSink.RESERVATION);
    }
    return o.response;
  }

  /**
   * PREEMPT AND ABORT (SPC-4 5.13.11.2.5): the tasks of every preempted nexus (each one that heard
   * 2A/05 REGISTRATIONS PREEMPTED) on this LUN are aborted, the requesting nexus's excepted. The
   * tasks live in the frontends (the LUN runs each command to its end at once), so the frontends'
   * registered aborters do it (cf. CTL's {@code ctl_pro_preempt()} aborting through {@code
   * ctl_abort_tasks_lun()}).
   */
  private void abortPreempted(List<int[]> uas, int requester) {
    EmuTarget t = dev.target();
    TargetInventory inv = t == null ? null : t.inventory();
    if (inv == null) {
      return;
    }
    java.util.Set<Integer> done = new java.util.HashSet<>();
    for (int[] ua : uas) {
      if (ua[1] == 0x05 && ua[0] != requester && done.add(ua[0])) {
        inv.abortTasks(t, dev.lun(), ua[0]);
      }
    }
  }

  static boolean validType(int type) {
    return type == WRITE_EXCLUSIVE || type == EXCLUSIVE_ACCESS || (type >= WE_REGISTRANTS_ONLY && type <= EA_ALL_REGISTRANTS);
  }

  private Outcome done(int dxferLen) {
    return new Outcome(EmuDevice.good(dxferLen), false, List.of());
  }

  private Outcome changed(int dxferLen, List<int[]> uas) {
    return new Outcome(EmuDevice.good(dxferLen), true, uas);
  }

  private Outcome refuse(ScsiResponse r) {
    return new Outcome(r, false, List.of());
  }

  private static ScsiResponse conflict(int dxferLen) {
    return ScsiResponse.status(ScsiStatus.RESERV_CONFLICT, dxferLen);
  }

  private static Registrant registrant(int id, long key, boolean allTgPt) {
    Nexuses.Nexus n = Nexuses.describe(id);
    return new Registrant(id, n.initiatorPort(), n.relativeTargetPort(), key, allTgPt);
  }

  /** REGISTER and REGISTER AND IGNORE EXISTING KEY (SPC-4 5.13.7), with SPEC_I_PT for REGISTER. */
  private synchronized Outcome register(
      ByteString data, boolean ignore, long key, long saKey, int flags, int dxferLen, int id) {
    boolean specIpt = (flags & 0x08) != 0;
    boolean allTgPt = (flags & 0x04) != 0;
    boolean aptpl = (flags & 0x01) != 0;
    State s = state;
    Registrant r = s.find(id);
    List<Registrant> regs = new ArrayList<>(s.regs);
    if (r == null) {
      if (!ignore && key != 0) {
        return refuse(conflict(dxferLen));
      }
      if (saKey == 0) {
        return done(dxferLen); // unregistering an unregistered nexus: nothing to do
      }
      if (allTgPt) {
        String port = Nexuses.describe(id).initiatorPort();
        if (s.regs.stream().anyMatch(x -> x.initiatorPort.equals(port))) {
          return refuse(conflict(dxferLen)); // the port is registered through another target port
        }
      }
      List<Registrant> extra = new ArrayList<>();
      if (specIpt) {
        ScsiResponse bad = specifiedPorts(data, allTgPt, saKey, s, id, extra, dxferLen);
        if (bad != null) {
          return refuse(bad);
        }
      }
      regs.add(registrant(id, saKey, allTgPt));
      regs.addAll(extra);
      state = s.with(regs, s.holder, s.type, aptpl, s.generation + 1);
      return changed(dxferLen, List.of());
    }
    if (specIpt) {
      return refuse(dev.invalidParamField(20, 3, dxferLen));
    }
    if (!ignore && key != r.key) {
      return refuse(conflict(dxferLen));
    }
    if (saKey != 0) {
      int i = regs.indexOf(r);
      Registrant nr = r.withKey(saKey);
      regs.set(i, nr);
      Registrant holder = s.holder == r ? nr : s.holder;
      state = s.with(regs, holder, s.type, aptpl, s.generation + 1);
      return changed(dxferLen, List.of());
    }
    // unregister (5.13.11.3): the reservation goes with its holder, an All Registrants one with
    // the last registrant; a Registrants Only one released this way tells the other registrants
    regs.remove(r);
    Registrant holder = s.holder;
    List<int[]> uas = new ArrayList<>();
    if (holder != null && (holder == r || regs.isEmpty())) {
      if (s.allRegistrants() && !regs.isEmpty()) {
        holder = regs.get(0);
      } else {
        if (s.type == WE_REGISTRANTS_ONLY || s.type == EA_REGISTRANTS_ONLY) {
          for (Registrant o : regs) {
            uas.add(new int[] {o.initiatorId, 0x04}); // RESERVATIONS RELEASED
          }
        }
        holder = null;
      }
    }
    state = s.with(regs, holder, s.type, aptpl, s.generation + 1);
    return changed(dxferLen, uas);
  }

  /**
   * The registrations SPEC_I_PT asks for (the TransportIDs after byte 28), into {@code out}; an
   * error response when the list is malformed, names a port this device cannot serve, or one
   * already registered.
   */
  private ScsiResponse specifiedPorts(
      ByteString data, boolean allTgPt, long saKey, State s, int id, List<Registrant> out, int dxferLen) {
    int end = data.size();
    if (end < 28) {
      return dev.paramListLengthError(dxferLen);
    }
    long addl = be32(data, 24);
    if (addl != end - 28) {
      return dev.paramListLengthError(dxferLen);
    }
    int rtp = Nexuses.describe(id).relativeTargetPort();
    int p = 28;
    while (p < end) {
      int len = TransportId.length(data, p, end);
      int nid = len < 0 ? -1 : TransportId.nexus(data, p, end, rtp);
      if (nid < 0) {
        return dev.invalidParamField(p, -1, dxferLen);
      }
      if (s.find(nid) != null) {
        return conflict(dxferLen);
      }
      if (nid != id && out.stream().noneMatch(x -> x.initiatorId == nid)) {
        out.add(registrant(nid, saKey, allTgPt));
      }
      p += len;
    }
    return null;
  }

  /** RESERVE (5.13.9). */
  private synchronized Outcome reserve(long key, int type, int dxferLen, int id) {
    State s = state;
    Registrant r = s.find(id);
    if (r == null || r.key != key) {
      return refuse(conflict(dxferLen));
    }
    if (s.holder != null) {
      return s.isHolder(r) && s.type == type ? done(dxferLen) : refuse(conflict(dxferLen));
    }
    state = s.with(s.regs, r, type, s.aptpl, s.generation);
    return changed(dxferLen, List.of());
  }

  /** RELEASE (5.13.11.2.2). */
  private synchronized Outcome release(long key, int type, int dxferLen, int id) {
    State s = state;
    Registrant r = s.find(id);
    if (r == null || r.key != key) {
      return refuse(conflict(dxferLen));
    }
    if (!s.isHolder(r)) {
      return done(dxferLen); // no reservation, or another holder's: nothing happens
    }
    if (s.type != type) {
      return refuse(dev.checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x26, 0x04), dxferLen)); // INVALID RELEASE
    }
    List<int[]> uas = new ArrayList<>();
    if (s.registrantsAccess()) {
      for (Registrant o : s.regs) {
        if (o != r) {
          uas.add(new int[] {o.initiatorId, 0x04}); // RESERVATIONS RELEASED
        }
      }
    }
    state = s.with(s.regs, null, 0, s.aptpl, s.generation);
    return changed(dxferLen, uas);
  }

  /** CLEAR (5.13.11.2.6): every registration and the reservation go; the others hear 2A/03. */
  private synchronized Outcome clear(long key, int dxferLen, int id) {
    State s = state;
    Registrant r = s.find(id);
    if (r == null || r.key != key) {
      return refuse(conflict(dxferLen));
    }
    List<int[]> uas = new ArrayList<>();
    for (Registrant o : s.regs) {
      if (o != r) {
        uas.add(new int[] {o.initiatorId, 0x03}); // RESERVATIONS PREEMPTED
      }
    }
    state = s.with(List.of(), null, 0, s.aptpl, s.generation + 1);
    return changed(dxferLen, uas);
  }

  /**
   * PREEMPT and PREEMPT AND ABORT (5.13.11.2.4/5). The registration changes are the same; PREEMPT
   * AND ABORT then aborts the preempted nexuses' tasks ({@link #abortPreempted}).
   */
  private synchronized Outcome preempt(long key, long saKey, int type, int dxferLen, int id) {
    State s = state;
    Registrant r = s.find(id);
    if (r == null || r.key != key) {
      return refuse(conflict(dxferLen));
    }
    List<Registrant> regs = new ArrayList<>(s.regs);
    List<int[]> uas = new ArrayList<>();
    Registrant holder = s.holder;
    int newType = s.type;
    if (holder != null && s.allRegistrants() && saKey == 0) {
      // preempt an All Registrants reservation: everyone else goes
      for (Registrant o : s.regs) {
        if (o != r) {
          regs.remove(o);
          uas.add(new int[] {o.initiatorId, 0x05}); // REGISTRATIONS PREEMPTED
        }
      }
      holder = r;
      newType = type;
    } else if (holder != null && !s.allRegistrants() && holder.key == saKey) {
      // preempt the reservation: the holder's key's registrations go (not the preempting nexus)
      removeKey(s, regs, uas, saKey, r);
      holder = r;
      newType = type;
      if (newType != s.type) {
        for (Registrant o : regs) {
          if (o != r) {
            uas.add(new int[] {o.initiatorId, 0x04}); // RESERVATIONS RELEASED (type changed)
          }
        }
      }
    } else {
      if (saKey == 0) {
        return refuse(dev.invalidParamField(8, -1, dxferLen));
      }
      if (!removeKey(s, regs, uas, saKey, null)) {
        return refuse(conflict(dxferLen));
      }
      if (holder != null && !regs.contains(holder)) {
        holder = s.allRegistrants() && !regs.isEmpty() ? regs.get(0) : null;
      }
    }
    state = s.with(regs, holder, newType, s.aptpl, s.generation + 1);
    return changed(dxferLen, uas);
  }

  /** Removes every registration with {@code key} but {@code keep}; true when any had it. */
  private static boolean removeKey(State s, List<Registrant> regs, List<int[]> uas, long key, Registrant keep) {
    boolean any = false;
    for (Registrant o : s.regs) {
      if (o.key == key) {
        any = true;
        if (o != keep) {
          regs.remove(o);
          uas.add(new int[] {o.initiatorId, 0x05}); // REGISTRATIONS PREEMPTED
        }
      }
    }
    return any;
  }

  /** REGISTER AND MOVE (5.13.8). */
  private synchronized Outcome registerAndMove(ByteString data, int dxferLen, int id) {
    long key = be64(data, 0);
    long saKey = be64(data, 8);
    int flags = u8(data, 17);
    boolean unreg = (flags & 0x02) != 0;
    boolean aptpl = (flags & 0x01) != 0;
    int rtp = be16(data, 18);
    long tidLen = be32(data, 20);
    int end = data.size();
    if (tidLen != end - 24 || tidLen < 4) {
      return refuse(dev.paramListLengthError(dxferLen));
    }
    State s = state;
    Registrant r = s.find(id);
    if (r == null || r.key != key) {
      return refuse(conflict(dxferLen));
    }
    if (s.holder == null || !s.isHolder(r) || s.allRegistrants()) {
      return refuse(conflict(dxferLen));
    }
    if (saKey == 0) {
      return refuse(dev.invalidParamField(8, -1, dxferLen));
    }
    if (TransportId.length(data, 24, end) < 0) {
      return refuse(dev.invalidParamField(24, -1, dxferLen));
    }
    int target = TransportId.nexus(data, 24, end, rtp);
    if (target < 0) {
      return refuse(dev.invalidParamField(24, -1, dxferLen));
    }
    if (target == id) {
      return refuse(dev.invalidParamField(24, -1, dxferLen)); // moving to itself
    }
    List<Registrant> regs = new ArrayList<>(s.regs);
    Registrant dest = s.find(target);
    Registrant moved;
    if (dest != null) {
      moved = dest.withKey(saKey);
      regs.set(regs.indexOf(dest), moved);
    } else {
      moved = registrant(target, saKey, false);
      regs.add(moved);
    }
    if (unreg) {
      regs.remove(r);
    }
    state = s.with(regs, moved, s.type, aptpl, s.generation + 1);
    return changed(dxferLen, List.of());
  }

  // ------------------------------------------------------------------ durable form (APTPL)

  /**
   * The persistent reservation state that survives a restart, in journal form: empty unless the
   * last registration set APTPL. Initiators as {@link #nexusText}.
   *
   * @param keys initiator &rarr; reservation key, in registration order
   * @param holder the reservation holder, {@code ""} for none
   * @param type the reservation type, 0 for none
   */
  public record Durable(Map<String, Long> keys, String holder, int type) {
    public static final Durable NONE = new Durable(Map.of(), "", 0);
  }

  /** What of the persistent reservations a restart keeps (APTPL), now. */
  public Durable durable() {
    return durable(false);
  }

  /**
   * The persistent reservations in durable form, now.
   *
   * @param evenWithoutAptpl true for a clustered LUN, whose registrations and reservation move with
   *     the LUN to its next owner whatever APTPL says (cf. CTL HA syncing PR state to the peer)
   */
  public Durable durable(boolean evenWithoutAptpl) {
    State s = state;
    if ((!s.aptpl && !evenWithoutAptpl) || s.regs.isEmpty()) {
      return Durable.NONE;
    }
    Map<String, Long> keys = new LinkedHashMap<>();
    for (Registrant r : s.regs) {
      keys.put(nexusText(r), r.key);
    }
    return new Durable(keys, s.holder == null ? "" : nexusText(s.holder), s.holder == null ? 0 : s.type);
  }

  /**
   * Puts back the persistent reservations of a restored device (APTPL), before it is in the data
   * path; initiators that do not parse are skipped (and said so in the result).
   *
   * @return the initiators not restored
   */
  public List<String> restore(Durable d) {
    List<String> skipped = new ArrayList<>();
    List<Registrant> regs = new ArrayList<>();
    Registrant holder = null;
    for (Map.Entry<String, Long> e : d.keys().entrySet()) {
      Registrant r = parseNexus(e.getKey(), e.getValue());
      if (r == null || e.getValue() == 0) {
        skipped.add(e.getKey());
        continue;
      }
      regs.add(r);
      if (e.getKey().equals(d.holder())) {
        holder = r;
      }
    }
    boolean typeOk = validType(d.type());
    synchronized (this) {
      State s = state;
      state = s.with(regs, typeOk ? holder : null, d.type(), !regs.isEmpty(), s.generation);
    }
    return skipped;
  }

  /**
   * An initiator in journal form: the SIM id in decimal, a network I_T nexus as {@code
   * <initiator port>@<relative target port>}; {@code all:} in front for an ALL_TG_PT
   * registration.
   */
  static String nexusText(Registrant r) {
    String base = r.initiatorId >= 0 && r.initiatorId < TransportId.SIM_ID_LIMIT
        ? String.valueOf(r.initiatorId)
        : r.initiatorPort + "@" + r.relativeTargetPort;
    return r.allTgPt ? "all:" + base : base;
  }

  private static Registrant parseNexus(String text, long key) {
    boolean all = text.startsWith("all:");
    String t = all ? text.substring(4) : text;
    try {
      int at = t.lastIndexOf('@');
      int id;
      if (at < 0) {
        id = Integer.parseInt(t);
        if (id < 0 || id >= TransportId.SIM_ID_LIMIT) {
          return null;
        }
      } else {
        if (at == 0) {
          return null;
        }
        id = Nexuses.idFor(t.substring(0, at), Integer.parseInt(t.substring(at + 1)));
      }
      return registrant(id, key, all);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
