package org.camstack.stack.target;

import static org.camstack.stack.scsi.Bytes.be24;
import static org.camstack.stack.scsi.Bytes.u8;
import static org.camstack.stack.scsi.Opcodes.READ_BUFFER;
import static org.camstack.stack.scsi.Opcodes.WRITE_BUFFER;

import java.util.Arrays;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.ScsiResponse;

/**
 * An emulated SAF-TE enclosure processor (SCSI Accessed Fault-Tolerant Enclosures 1.00): a
 * processor device (type 03h) whose INQUIRY data says {@code SAF-TE} at byte 44, driven with READ
 * BUFFER / WRITE BUFFER (mode 01h, vendor specific) and a buffer id.
 *
 * <p>READ BUFFER ids: 00h enclosure configuration (fans, power supplies, device slots, door lock,
 * temperature sensors, alarm), 01h enclosure status (fan, power supply, slot SCSI id, lock,
 * speaker and temperature bytes), 04h device slot status (4 bytes per slot), 05h global flags.
 * WRITE BUFFER functions (data byte 0): 10h write device slot status (4 flag bytes per slot), 12h
 * perform slot operation (slot, operation), 15h global flags.
 *
 * <p>Slot status follows the {@link EnclosureView} (hot-plug): byte 3 bit 0 device inserted, bit
 * 1 ready to insert / remove (a perform-slot-operation 01h, or WRITE DEVICE SLOT STATUS); byte 0
 * bit 1 identify (locate LED) and bit 5 fault, as written with 10h, kept per slot.
 *
 * <p>cf. sys/cam/scsi/scsi_enc_safte.c (FreeBSD) and the SAF-TE 1.00 specification (1995).
 */
public class EmuSafte extends EmuDevice {
  public static final int BUF_CONFIG = 0x00;
  public static final int BUF_ENCLOSURE_STATUS = 0x01;
  public static final int BUF_SLOT_STATUS = 0x04;
  public static final int BUF_GLOBAL_FLAGS = 0x05;

  public static final int FN_WRITE_SLOT_STATUS = 0x10;
  public static final int FN_PERFORM_SLOT_OPERATION = 0x12;
  public static final int FN_GLOBAL_FLAGS = 0x15;

  /** Slot status byte 0 bits (written by 10h, read back by 04h). */
  public static final int SLOT_IDENT = 0x02;
  public static final int SLOT_FAULT = 0x20;
  /** Slot status byte 3 bits. */
  public static final int SLOT_INSERTED = 0x01;
  public static final int SLOT_READY_FOR_REMOVAL = 0x02;

  static final int FANS = 2;
  static final int POWER_SUPPLIES = 1;
  static final int TEMPERATURES = 1;

  private final EnclosureView view;
  private final int slots;
  // guarded by this
  private final int[] slotFlags;
  private final boolean[] readyForRemoval;
  private int globalFlags;

  public EmuSafte(LunSpec spec, EnclosureView view) {
    super(spec);
    if (spec.type() != LunSpec.Type.SAFTE) {
      throw new IllegalArgumentException("lun " + spec.lun() + " is not a SAF-TE processor: " + spec.type());
    }
    this.view = view == null ? EnclosureView.EMPTY : view;
    this.slots = spec.slots();
    this.slotFlags = new int[slots];
    this.readyForRemoval = new boolean[slots];
    supports(READ_BUFFER, 0);
    supports(WRITE_BUFFER, 0);
  }

  @Override
  public int peripheralType() {
    return 0x03;
  }

  @Override
  protected byte[] standardInquiry() {
    byte[] b = super.standardInquiry();
    Bytes.putAscii(b, 44, "SAF-TE", 6);
    Bytes.putAscii(b, 50, "1.00", 4); // interface revision
    return b;
  }

  public final int slots() {
    return slots;
  }

  /** Which slots hold a disk now. */
  public boolean[] occupied() {
    boolean[] o = new boolean[slots];
    List<SlotOccupant> occ = view.occupants();
    for (SlotOccupant s : occ) {
      if (s.slot() >= 0 && s.slot() < slots) {
        o[s.slot()] = true;
      }
    }
    return o;
  }

  public synchronized boolean ident(int slot) {
    return (slotFlags[slot] & SLOT_IDENT) != 0;
  }

  public synchronized boolean fault(int slot) {
    return (slotFlags[slot] & SLOT_FAULT) != 0;
  }

  @Override
  protected ScsiResponse executeCommand(int op, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    switch (op) {
      case READ_BUFFER:
        return readBuffer(cdb, dxferLen);
      case WRITE_BUFFER:
        return writeBuffer(cdb, dataOut, dxferLen);
      default:
        return super.executeCommand(op, cdb, dataOut, dxferLen, initiatorId);
    }
  }

  private ScsiResponse readBuffer(ByteString cdb, int dxferLen) {
    if ((u8(cdb, 1) & 0x1f) != 0x01) {
      return invalidCdbField(1, 4, dxferLen); // SAF-TE uses mode 01h (vendor specific)
    }
    int id = u8(cdb, 2);
    int alloc = be24(cdb, 6);
    byte[] b;
    boolean[] occ = occupied();
    synchronized (this) {
      switch (id) {
        case BUF_CONFIG:
          b = new byte[64];
          b[0] = FANS;
          b[1] = POWER_SUPPLIES;
          b[2] = (byte) slots;
          b[3] = 0; // no door lock
          b[4] = TEMPERATURES;
          b[5] = 1; // audible alarm
          break;
        case BUF_ENCLOSURE_STATUS: {
          b = new byte[FANS + POWER_SUPPLIES + slots + 3 + TEMPERATURES + 2];
          int p = 0;
          for (int i = 0; i < FANS; i++) {
            b[p++] = 0x00; // fan operational
          }
          for (int i = 0; i < POWER_SUPPLIES; i++) {
            b[p++] = 0x00; // power supply operational and on
          }
          for (int i = 0; i < slots; i++) {
            b[p++] = (byte) i; // SCSI id of the slot
          }
          b[p++] = (byte) 0x80; // door lock: not installed
          b[p++] = 0; // speaker off
          for (int i = 0; i < TEMPERATURES; i++) {
            b[p++] = (byte) (35 + 10); // 35 C (offset 10)
          }
          break;
        }
        case BUF_SLOT_STATUS:
          b = new byte[4 * slots];
          for (int i = 0; i < slots; i++) {
            b[4 * i] = (byte) slotFlags[i];
            b[4 * i + 3] = (byte) ((occ[i] ? SLOT_INSERTED : 0) | (readyForRemoval[i] ? SLOT_READY_FOR_REMOVAL : 0));
          }
          break;
        case BUF_GLOBAL_FLAGS:
          b = new byte[16];
          b[0] = (byte) globalFlags;
          break;
        default:
          return invalidCdbField(2, -1, dxferLen);
      }
    }
    return goodData(ByteString.fromArrayUnsafe(b), alloc, dxferLen);
  }

  private ScsiResponse writeBuffer(ByteString cdb, ByteString data, int dxferLen) {
    if ((u8(cdb, 1) & 0x1f) != 0x01) {
      return invalidCdbField(1, 4, dxferLen);
    }
    int len = be24(cdb, 6);
    if (data.size() != len) {
      return dataOutMismatch(6, dxferLen);
    }
    if (len < 1) {
      return paramListLengthError(dxferLen);
    }
    int fn = u8(data, 0);
    synchronized (this) {
      switch (fn) {
        case FN_WRITE_SLOT_STATUS:
          if (len < 1 + 4 * slots) {
            return paramListLengthError(dxferLen);
          }
          for (int i = 0; i < slots; i++) {
            slotFlags[i] = u8(data, 1 + 4 * i) & (SLOT_IDENT | SLOT_FAULT);
            readyForRemoval[i] = (u8(data, 1 + 4 * i + 3) & SLOT_READY_FOR_REMOVAL) != 0;
          }
          break;
        case FN_PERFORM_SLOT_OPERATION: {
          if (len < 3) {
            return paramListLengthError(dxferLen);
          }
          int slot = u8(data, 1);
          int operation = u8(data, 2);
          if (slot >= slots) {
            return invalidParamField(1, -1, dxferLen);
          }
          if (operation == 0x01) {
            readyForRemoval[slot] = true; // prepare for insertion or removal
          } else if (operation == 0x02) {
            slotFlags[slot] ^= SLOT_IDENT; // identify: toggles the locate LED
          } else {
            return invalidParamField(2, -1, dxferLen);
          }
          break;
        }
        case FN_GLOBAL_FLAGS:
          globalFlags = len > 1 ? u8(data, 1) : 0;
          break;
        default:
          return invalidParamField(0, -1, dxferLen);
      }
    }
    return good(Math.max(0, dxferLen - len));
  }

  @Override
  public String toString() {
    return "EmuSafte[lun " + spec.lun() + " slots " + slots + " " + Arrays.toString(slotFlags) + "]";
  }
}
