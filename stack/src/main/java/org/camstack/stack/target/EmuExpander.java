package org.camstack.stack.target;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.smp.Smp;

/**
 * An emulated SAS expander: an SMP target answering REPORT GENERAL, REPORT MANUFACTURER
 * INFORMATION, DISCOVER, REPORT PHY ERROR LOG, REPORT PHY SATA, DISCOVER LIST and PHY CONTROL
 * (SAS-2 SPL) through {@link #smp(ByteString)}, which the bus's data path calls for an {@code
 * XPT_SMP_IO} CCB. Its phys are wired to disks of its bus (see {@link #wire}); PHY CONTROL DISABLE
 * takes the disk off the bus (the SIM pulls its target, which then answers selection timeout and
 * leaves through the hot-plug path), LINK RESET or HARD RESET of a disabled phy brings the same
 * target back; on an enabled phy LINK RESET only counts a phy change and HARD RESET resets the
 * attached target (unit attention 29/03).
 *
 * <p>On the SCSI side it is a LUN of peripheral type 0Ch with no command set of its own (INQUIRY,
 * TEST UNIT READY, REPORT LUNS ...), so that the probe finds it and pass(4) attaches: the host
 * reaches the SMP target through that pass device, as camcontrol's smp* verbs do.
 *
 * <p>Not emulated: zoning, route tables (no expander is attached to another), SATA devices (REPORT
 * PHY SATA answers "phy does not support SATA"), phy test functions, CONFIGURE functions, the
 * expected-expander-change-count check. Durable: which phys are disabled ({@link #disabledPhys},
 * reported as {@link DeviceStateSink#PHYS}, put back by {@link #restoreDisabledPhys} before the
 * SIM wires the phys, which then keeps the disks of disabled phys off the bus from power-on).
 * cf. sys/cam/scsi/smp_all.c (FreeBSD).
 */
public class EmuExpander extends EmuDevice {
  /** Peripheral type of the expander's SCSI face (storage array controller: nothing else attaches). */
  public static final int PERIPHERAL_TYPE = 0x0c;

  /**
   * What the expander asks of the SIM that owns its bus when a phy goes down or comes up. Called
   * from the device queue's thread; implementations hand the change to the SIM's actor.
   */
  public interface PhyWiring {
    /** The disk on the phy left (phy disabled): pull its target. */
    void phyDown(int target);

    /** The disk on the phy is back (phy enabled): plug the same target back. */
    void phyUp(int target);

    /** A hard reset of an enabled phy: reset the attached target. */
    void hardReset(int target);

    PhyWiring NONE = new PhyWiring() {
      public void phyDown(int target) {}

      public void phyUp(int target) {}

      public void hardReset(int target) {}
    };
  }

  /** A disk on a phy: its target id and SAS address (the disk's WWN, 16 hex digits). */
  public record PhyLink(int phy, int target, String sasAddress) {}

  private final int phys;
  // guarded by this
  private final Map<Integer, PhyLink> links = new HashMap<>();
  private final boolean[] disabled;
  private final int[] phyChanges;
  private final long[][] errors; // per phy: invalid dwords, disparity, loss of sync, reset problems
  private int changeCount;
  private PhyWiring wiring = PhyWiring.NONE;

  public EmuExpander(LunSpec spec) {
    super(spec);
    if (spec.type() != LunSpec.Type.EXPANDER) {
      throw new IllegalArgumentException("lun " + spec.lun() + " is not an expander: " + spec.type());
    }
    this.phys = spec.slots();
    this.disabled = new boolean[phys];
    this.phyChanges = new int[phys];
    this.errors = new long[phys][4];
  }

  @Override
  public int peripheralType() {
    return PERIPHERAL_TYPE;
  }

  public final int phys() {
    return phys;
  }

  /**
   * Wires the phys to disks (the SIM does this at power-on) and names who carries out phy changes.
   * A wired phy starts with a few counted errors (phy number + 1 invalid dwords), so that CLEAR
   * ERROR LOG has something to clear.
   *
   * @throws IllegalArgumentException when a link names a phy the expander does not have
   */
  public synchronized void wire(List<PhyLink> newLinks, PhyWiring newWiring) {
    for (PhyLink l : newLinks) {
      if (l.phy() < 0 || l.phy() >= phys) {
        throw new IllegalArgumentException("expander has phys 0.." + (phys - 1) + ", not " + l.phy());
      }
      links.put(l.phy(), l);
      errors[l.phy()][0] = l.phy() + 1;
    }
    wiring = newWiring == null ? PhyWiring.NONE : newWiring;
  }

  /** The phy the disk at {@code target} is wired to, or -1. */
  public synchronized int phyOf(int target) {
    for (PhyLink l : links.values()) {
      if (l.target() == target) {
        return l.phy();
      }
    }
    return -1;
  }

  public synchronized boolean isDisabled(int phy) {
    return disabled[phy];
  }

  /** The disabled phys, ascending (the durable part of the phy state). */
  public synchronized List<Integer> disabledPhys() {
    List<Integer> out = new java.util.ArrayList<>();
    for (int i = 0; i < phys; i++) {
      if (disabled[i]) {
        out.add(i);
      }
    }
    return out;
  }

  /**
   * Puts back the phy state of the journal, on a device that is not wired yet (the wiring is not
   * told: the SIM parks the targets of disabled phys when it wires them). Phys the expander does
   * not have are skipped and returned.
   */
  public synchronized List<Integer> restoreDisabledPhys(java.util.Collection<Integer> disabledPhys) {
    List<Integer> skipped = new java.util.ArrayList<>();
    java.util.Arrays.fill(disabled, false);
    for (int phy : disabledPhys) {
      if (phy >= 0 && phy < phys) {
        disabled[phy] = true;
      } else {
        skipped.add(phy);
      }
    }
    return skipped;
  }

  /**
   * Executes one SMP request frame and returns its response frame (never empty, never null): bad
   * requests get a response with the SMP function result that says why.
   */
  public ByteString smp(ByteString req) {
    if (req.size() < 4 || Bytes.u8(req, 0) != Smp.FRAME_REQUEST) {
      return frame(Smp.response(req.size() > 1 ? Bytes.u8(req, 1) : 0, Smp.FR_FUNCTION_FAILED, 4));
    }
    int fn = Bytes.u8(req, 1);
    synchronized (this) {
      switch (fn) {
        case Smp.REPORT_GENERAL:
          return frame(reportGeneral());
        case Smp.REPORT_MANUFACTURER_INFO:
          return frame(manufacturerInfo());
        case Smp.DISCOVER:
          return req.size() < 12 ? lengthError(fn) : frame(discover(Bytes.u8(req, 9)));
        case Smp.REPORT_PHY_ERROR_LOG:
          return req.size() < 12 ? lengthError(fn) : frame(errorLog(Bytes.u8(req, 9)));
        case Smp.REPORT_PHY_SATA:
          return req.size() < 12 ? lengthError(fn) : frame(phySata(Bytes.u8(req, 9)));
        case Smp.DISCOVER_LIST:
          return req.size() < 32 ? lengthError(fn) : frame(discoverList(Bytes.u8(req, 8), Bytes.u8(req, 9)));
        case Smp.PHY_CONTROL:
          return req.size() < 40 ? lengthError(fn) : frame(phyControl(Bytes.u8(req, 9), Bytes.u8(req, 10)));
        default:
          return frame(Smp.response(fn, Smp.FR_UNKNOWN_FUNCTION, 4));
      }
    }
  }

  private static ByteString frame(byte[] b) {
    return ByteString.fromArray(b);
  }

  private static ByteString lengthError(int fn) {
    return frame(Smp.response(fn, Smp.FR_INVALID_REQUEST_LENGTH, 4));
  }

  private byte[] reportGeneral() {
    byte[] b = Smp.response(Smp.REPORT_GENERAL, Smp.FR_ACCEPTED, 32);
    Bytes.put16(b, 4, changeCount);
    Bytes.put16(b, 6, 0); // no route table
    b[8] = (byte) 0x80; // long response
    b[9] = (byte) phys;
    b[10] = 0x01; // externally configurable route table: no; configuring: no; table-to-table: no
    putSasAddress(b, 12, spec.wwn()); // enclosure logical identifier
    return b;
  }

  private byte[] manufacturerInfo() {
    byte[] b = Smp.response(Smp.REPORT_MANUFACTURER_INFO, Smp.FR_ACCEPTED, 60);
    Bytes.put16(b, 4, changeCount);
    b[8] = 0x01; // SAS 1.1 format
    Bytes.putAscii(b, 12, spec.vendor(), 8);
    Bytes.putAscii(b, 20, spec.product(), 16);
    Bytes.putAscii(b, 36, spec.revision(), 4);
    Bytes.putAscii(b, 40, spec.vendor(), 8); // component vendor
    Bytes.put16(b, 48, 0x0001); // component id
    b[50] = 0x01; // component revision
    return b;
  }

  /** The DISCOVER response body of one existing phy (bytes 0..63). */
  private byte[] discover(int phy) {
    if (phy >= phys) {
      return Smp.response(Smp.DISCOVER, Smp.FR_PHY_DOES_NOT_EXIST, 4);
    }
    byte[] b = Smp.response(Smp.DISCOVER, Smp.FR_ACCEPTED, 64);
    Bytes.put16(b, 4, changeCount);
    b[9] = (byte) phy;
    PhyLink l = links.get(phy);
    boolean up = l != null && !disabled[phy];
    b[12] = (byte) ((up ? Smp.DEV_END_DEVICE : Smp.DEV_NONE) << 4);
    b[13] = (byte) (disabled[phy] ? Smp.RATE_PHY_DISABLED : up ? Smp.RATE_6G : Smp.RATE_UNKNOWN);
    b[15] = (byte) (up ? 0x08 : 0); // attached SSP target
    putSasAddress(b, 16, spec.wwn());
    if (up) {
      putSasAddress(b, 24, l.sasAddress());
    }
    b[40] = (byte) 0x88; // programmed / hardware minimum 1.5 Gbit/s
    b[41] = (byte) 0xaa; // programmed / hardware maximum 6 Gbit/s
    b[42] = (byte) phyChanges[phy];
    b[44] = 0x00; // direct routing
    return b;
  }

  private byte[] errorLog(int phy) {
    if (phy >= phys) {
      return Smp.response(Smp.REPORT_PHY_ERROR_LOG, Smp.FR_PHY_DOES_NOT_EXIST, 4);
    }
    byte[] b = Smp.response(Smp.REPORT_PHY_ERROR_LOG, Smp.FR_ACCEPTED, 28);
    Bytes.put16(b, 4, changeCount);
    b[9] = (byte) phy;
    for (int i = 0; i < 4; i++) {
      Bytes.put32(b, 12 + 4 * i, errors[phy][i]);
    }
    return b;
  }

  private byte[] phySata(int phy) {
    if (phy >= phys) {
      return Smp.response(Smp.REPORT_PHY_SATA, Smp.FR_PHY_DOES_NOT_EXIST, 4);
    }
    return Smp.response(Smp.REPORT_PHY_SATA, Smp.FR_PHY_NOT_SATA, 4); // only SAS disks are emulated
  }

  private byte[] discoverList(int start, int max) {
    int n = Math.max(0, Math.min(max, phys - start));
    if (start >= phys) {
      return Smp.response(Smp.DISCOVER_LIST, Smp.FR_PHY_DOES_NOT_EXIST, 4);
    }
    n = Math.min(n, (Smp.MAX_RESPONSE - Smp.LIST_HEADER) / Smp.SHORT_DESCRIPTOR);
    byte[] b = Smp.response(Smp.DISCOVER_LIST, Smp.FR_ACCEPTED, Smp.LIST_HEADER + n * Smp.SHORT_DESCRIPTOR);
    Bytes.put16(b, 4, changeCount);
    b[8] = (byte) start;
    b[9] = (byte) n;
    b[11] = 1; // short descriptors
    b[12] = (byte) (Smp.SHORT_DESCRIPTOR / 4);
    for (int i = 0; i < n; i++) {
      byte[] d = discover(start + i);
      int o = Smp.LIST_HEADER + i * Smp.SHORT_DESCRIPTOR;
      b[o] = (byte) (start + i);
      b[o + 1] = Smp.FR_ACCEPTED;
      b[o + 2] = d[12];
      b[o + 3] = d[13];
      b[o + 5] = d[15];
      System.arraycopy(d, 24, b, o + 8, 8);
      b[o + 19] = d[42];
    }
    return b;
  }

  private byte[] phyControl(int phy, int op) {
    if (phy >= phys) {
      return Smp.response(Smp.PHY_CONTROL, Smp.FR_PHY_DOES_NOT_EXIST, 4);
    }
    PhyLink l = links.get(phy);
    switch (op) {
      case Smp.PC_NOP:
        break;
      case Smp.PC_CLEAR_ERROR_LOG:
        errors[phy] = new long[4];
        break;
      case Smp.PC_DISABLE:
        if (!disabled[phy]) {
          disabled[phy] = true;
          phyChanged(phy);
          stateChanged(DeviceStateSink.PHYS);
          if (l != null) {
            wiring.phyDown(l.target());
          }
        }
        break;
      case Smp.PC_LINK_RESET:
      case Smp.PC_HARD_RESET:
        phyChanged(phy);
        if (disabled[phy]) {
          disabled[phy] = false;
          stateChanged(DeviceStateSink.PHYS);
          if (l != null) {
            wiring.phyUp(l.target());
          }
        } else if (op == Smp.PC_HARD_RESET && l != null) {
          wiring.hardReset(l.target());
        }
        break;
      default:
        return Smp.response(Smp.PHY_CONTROL, Smp.FR_UNKNOWN_PHY_OPERATION, 4);
    }
    return Smp.response(Smp.PHY_CONTROL, Smp.FR_ACCEPTED, 4);
  }

  private void phyChanged(int phy) {
    phyChanges[phy] = (phyChanges[phy] + 1) & 0xff;
    changeCount = (changeCount + 1) & 0xffff;
  }

  private static void putSasAddress(byte[] b, int off, String hex) {
    if (hex == null || hex.length() != 16) {
      return;
    }
    for (int i = 0; i < 8; i++) {
      b[off + i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
    }
  }
}
