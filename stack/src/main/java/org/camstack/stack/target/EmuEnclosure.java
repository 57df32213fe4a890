package org.camstack.stack.target;

import static org.camstack.stack.scsi.Bytes.be16;
import static org.camstack.stack.scsi.Bytes.be32;
import static org.camstack.stack.scsi.Bytes.u8;
import static org.camstack.stack.scsi.Opcodes.RECEIVE_DIAGNOSTIC;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.ScsiResponse;

/**
 * An emulated SES enclosure services device (peripheral type 0x0d, EncServ set) with one
 * subenclosure holding N array device slots, a power supply, two cooling fans and a temperature
 * sensor. RECEIVE DIAGNOSTIC RESULTS answers pages 0x00 (supported), 0x01 (configuration), 0x02
 * (enclosure status), 0x07 (element descriptor) and 0x0A (additional element status, SAS); SEND
 * DIAGNOSTIC takes page 0x02 (enclosure control) to set IDENT / FAULT per element.
 *
 * <p>Slot occupancy follows the {@link EnclosureView} the SIM supplies: an occupied slot reports
 * status OK, an empty one NOT INSTALLED. The generation code is bumped whenever occupancy changes
 * (checked at every diagnostic command) and a control page must quote the current one.
 *
 * <p>Element index (page 0x0A, EIIOE = 0): slots 0..N-1, power supply N, fans N+1 and N+2,
 * temperature sensor N+3. In each SAS phy descriptor of page 0x0A the disk's WWN is both the SAS
 * ADDRESS (bytes 12-19 of the phy descriptor, where FreeBSD's ses(4) matches devices) and the
 * ATTACHED SAS ADDRESS (bytes 4-11).
 *
 * <p>cf. sys/cam/scsi/scsi_enc_ses.c and scsi_ses.h (FreeBSD); SES-3 for the page layouts.
 */
public class EmuEnclosure extends EmuDevice {
  public static final int ELEMENT_ARRAY_DEVICE_SLOT = 0x17;
  public static final int ELEMENT_POWER_SUPPLY = 0x02;
  public static final int ELEMENT_COOLING = 0x03;
  public static final int ELEMENT_TEMPERATURE = 0x04;

  /** Element status codes (SES-3 table 74). */
  public static final int STATUS_UNSUPPORTED = 0x00;
  public static final int STATUS_OK = 0x01;
  public static final int STATUS_NOT_INSTALLED = 0x05;

  static final int PAGE_SUPPORTED = 0x00;
  static final int PAGE_CONFIGURATION = 0x01;
  static final int PAGE_STATUS = 0x02;
  static final int PAGE_ELEMENT_DESCRIPTOR = 0x07;
  static final int PAGE_ADDITIONAL_STATUS = 0x0a;

  private static final int[] PAGES = {PAGE_SUPPORTED, PAGE_CONFIGURATION, PAGE_STATUS, PAGE_ELEMENT_DESCRIPTOR, PAGE_ADDITIONAL_STATUS};
  private static final int FANS = 2;
  private static final int FAN_RPM = 3000;
  private static final int TEMPERATURE_C = 35;

  private final EnclosureView view;
  private final int slots;
  private final int[] types;
  private final int[] counts;
  private final String[] typeTexts;
  private final int elements;

  // guarded by this
  private final boolean[] ident;
  private final boolean[] fault;
  private String[] occupantWwn;
  private int generation;
  private volatile int lastPage = PAGE_SUPPORTED;

  public EmuEnclosure(LunSpec spec, EnclosureView view) {
    super(spec);
    if (spec.type() != LunSpec.Type.ENCLOSURE) {
      throw new IllegalArgumentException("lun " + spec.lun() + " is not an enclosure: " + spec.type());
    }
    this.view = view;
    this.slots = spec.slots();
    this.types = new int[] {ELEMENT_ARRAY_DEVICE_SLOT, ELEMENT_POWER_SUPPLY, ELEMENT_COOLING, ELEMENT_TEMPERATURE};
    this.counts = new int[] {slots, 1, FANS, 1};
    this.typeTexts = new String[] {"Array Device Slot", "Power Supply", "Cooling Fan", "Temperature Sensor"};
    this.elements = Arrays.stream(counts).sum();
    this.ident = new boolean[elements];
    this.fault = new boolean[elements];
    this.occupantWwn = new String[slots];
    supports(RECEIVE_DIAGNOSTIC, F_RES_OK);
  }

  @Override
  public int peripheralType() {
    return 0x0d;
  }

  @Override
  protected int inquiryByte6() {
    return 0x40; // EncServ
  }

  public final int slots() {
    return slots;
  }

  /** Current generation code (bumped on occupancy or configuration change). */
  public synchronized int generation() {
    refreshOccupancy();
    return generation;
  }

  /** Re-reads the view now; the SIM may call it when it plugs or pulls a disk. */
  public synchronized void occupancyChanged() {
    refreshOccupancy();
  }

  /** IDENT (locate LED) of an element by index (see class doc). */
  public synchronized boolean ident(int element) {
    return ident[element];
  }

  /** FAULT requested on an element by index. */
  public synchronized boolean fault(int element) {
    return fault[element];
  }

  /** Control plane: set IDENT / FAULT of a slot as SEND DIAGNOSTIC would. */
  public synchronized void setSlotIndicators(int slot, boolean identOn, boolean faultOn) {
    if (slot < 0 || slot >= slots) {
      throw new IllegalArgumentException("no slot " + slot + " (enclosure has " + slots + ")");
    }
    ident[slot] = identOn;
    fault[slot] = faultOn;
  }

  /** The WWN of the disk in {@code slot}, or null when empty. */
  public synchronized String occupant(int slot) {
    refreshOccupancy();
    return occupantWwn[slot];
  }

  private void refreshOccupancy() {
    String[] now = new String[slots];
    List<SlotOccupant> occ = view.occupants();
    for (SlotOccupant o : occ) {
      if (o.slot() >= 0 && o.slot() < slots) {
        now[o.slot()] = o.wwn();
      }
    }
    if (!Arrays.equals(now, occupantWwn)) {
      occupantWwn = now;
      generation++;
    }
  }

  // ---------------------------------------------------------------- dispatch

  @Override
  protected ScsiResponse executeCommand(int op, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    if (op == RECEIVE_DIAGNOSTIC) {
      return receiveDiagnostic(cdb, dxferLen);
    }
    return super.executeCommand(op, cdb, dataOut, dxferLen, initiatorId);
  }

  private ScsiResponse receiveDiagnostic(ByteString cdb, int dxferLen) {
    boolean pcv = (u8(cdb, 1) & 0x01) != 0;
    int page = pcv ? u8(cdb, 2) : lastPage;
    int alloc = be16(cdb, 3);
    byte[] b;
    synchronized (this) {
      refreshOccupancy();
      switch (page) {
        case PAGE_SUPPORTED:
          b = supportedPages();
          break;
        case PAGE_CONFIGURATION:
          b = configurationPage();
          break;
        case PAGE_STATUS:
          b = statusPage();
          break;
        case PAGE_ELEMENT_DESCRIPTOR:
          b = elementDescriptorPage();
          break;
        case PAGE_ADDITIONAL_STATUS:
          b = additionalStatusPage();
          break;
        default:
          return invalidCdbField(2, -1, dxferLen);
      }
    }
    return goodData(ByteString.fromArrayUnsafe(b), alloc, dxferLen);
  }

  private static byte[] header(ByteArrayOutputStream body, int page, int byte1, int generation, boolean withGeneration) {
    byte[] rest = body.toByteArray();
    int hdr = withGeneration ? 8 : 4;
    byte[] b = new byte[hdr + rest.length];
    b[0] = (byte) page;
    b[1] = (byte) byte1;
    Bytes.put16(b, 2, b.length - 4);
    if (withGeneration) {
      Bytes.put32(b, 4, generation & 0xffffffffL);
    }
    System.arraycopy(rest, 0, b, hdr, rest.length);
    return b;
  }

  private byte[] supportedPages() {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    for (int p : PAGES) {
      o.write(p);
    }
    return header(o, PAGE_SUPPORTED, 0, 0, false);
  }

  private byte[] configurationPage() {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    byte[] enc = new byte[40];
    enc[0] = 0x11; // relative ES process id 1 of 1
    enc[1] = 0; // primary subenclosure
    enc[2] = (byte) types.length;
    enc[3] = 36;
    Bytes.put64(enc, 4, spec.wwnValue()); // enclosure logical identifier
    Bytes.putAscii(enc, 12, spec.vendor(), 8);
    Bytes.putAscii(enc, 20, spec.product(), 16);
    Bytes.putAscii(enc, 36, spec.revision(), 4);
    o.writeBytes(enc);
    for (int i = 0; i < types.length; i++) {
      o.write(types[i]);
      o.write(counts[i]);
      o.write(0); // subenclosure id
      o.write(Bytes.ascii(typeTexts[i]).length);
    }
    for (String t : typeTexts) {
      o.writeBytes(Bytes.ascii(t));
    }
    return header(o, PAGE_CONFIGURATION, 0, generation, true);
  }

  private byte[] statusPage() {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    int e = 0;
    for (int t = 0; t < types.length; t++) {
      o.writeBytes(new byte[] {STATUS_UNSUPPORTED, 0, 0, 0}); // overall status element
      for (int i = 0; i < counts[t]; i++, e++) {
        byte[] s = new byte[4];
        switch (types[t]) {
          case ELEMENT_ARRAY_DEVICE_SLOT:
            s[0] = (byte) (occupantWwn[i] != null ? STATUS_OK : STATUS_NOT_INSTALLED);
            s[2] = (byte) (ident[e] ? 0x02 : 0); // IDENT
            s[3] = (byte) (fault[e] ? 0x20 : 0); // FAULT REQSTD
            break;
          case ELEMENT_POWER_SUPPLY:
            s[0] = STATUS_OK;
            s[1] = (byte) (ident[e] ? 0x80 : 0);
            s[3] = (byte) (0x20 | (fault[e] ? 0x40 : 0)); // RQSTED ON, FAIL
            break;
          case ELEMENT_COOLING: {
            int speed = FAN_RPM / 10;
            s[0] = STATUS_OK;
            s[1] = (byte) ((ident[e] ? 0x80 : 0) | ((speed >>> 8) & 0x07));
            s[2] = (byte) speed;
            s[3] = (byte) (0x20 | 0x03 | (fault[e] ? 0x40 : 0)); // RQSTED ON, speed code 3, FAIL
            break;
          }
          case ELEMENT_TEMPERATURE:
          default:
            s[0] = STATUS_OK;
            s[1] = (byte) ((ident[e] ? 0x80 : 0) | (fault[e] ? 0x40 : 0));
            s[2] = (byte) (TEMPERATURE_C + 20);
            break;
        }
        o.writeBytes(s);
      }
    }
    boolean anyFault = false;
    for (boolean f : fault) {
      anyFault |= f;
    }
    return header(o, PAGE_STATUS, anyFault ? 0x04 : 0, generation, true); // NON-CRIT
  }

  private String elementText(int type, int i) {
    switch (type) {
      case ELEMENT_ARRAY_DEVICE_SLOT:
        return String.format("Slot %02d", i);
      case ELEMENT_POWER_SUPPLY:
        return "Power Supply " + i;
      case ELEMENT_COOLING:
        return "Cooling Fan " + i;
      default:
        return "Temperature Sensor " + i;
    }
  }

  private byte[] elementDescriptorPage() {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    for (int t = 0; t < types.length; t++) {
      writeDescriptor(o, typeTexts[t] + "s");
      for (int i = 0; i < counts[t]; i++) {
        writeDescriptor(o, elementText(types[t], i));
      }
    }
    return header(o, PAGE_ELEMENT_DESCRIPTOR, 0, generation, true);
  }

  private static void writeDescriptor(ByteArrayOutputStream o, String text) {
    byte[] t = Bytes.ascii(text);
    o.write(0);
    o.write(0);
    o.write(t.length >>> 8);
    o.write(t.length);
    o.writeBytes(t);
  }

  private byte[] additionalStatusPage() {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    for (int slot = 0; slot < slots; slot++) {
      byte[] d = new byte[36];
      d[0] = 0x16; // EIP, protocol SAS
      d[1] = 34;
      d[3] = (byte) slot; // element index
      d[4] = 1; // one phy descriptor
      d[5] = 0; // descriptor type 0: device slot
      d[7] = (byte) slot; // device slot number
      String wwn = occupantWwn[slot];
      if (wwn != null) {
        long addr = Long.parseUnsignedLong(wwn, 16);
        d[8] = 0x10; // end device
        d[11] = 0x08; // SSP target port
        Bytes.put64(d, 12, addr); // attached SAS address
        Bytes.put64(d, 20, addr); // SAS address
      }
      d[28] = (byte) slot; // phy identifier
      o.writeBytes(d);
    }
    return header(o, PAGE_ADDITIONAL_STATUS, 0, generation, true);
  }

  // ---------------------------------------------------------------- SEND DIAGNOSTIC

  @Override
  protected ScsiResponse sendDiagnostic(ByteString cdb, ByteString data, int dxferLen, int initiatorId) {
    int b1 = u8(cdb, 1);
    int plen = be16(cdb, 3);
    if ((b1 & 0x04) != 0 || plen == 0) {
      return super.sendDiagnostic(cdb, data, dxferLen, initiatorId);
    }
    if ((b1 & 0x10) == 0) {
      return invalidCdbField(1, 4, dxferLen); // parameters need page format
    }
    if (data.size() != plen) {
      return dataOutMismatch(3, dxferLen);
    }
    if (plen < 4) {
      return paramListLengthError(dxferLen);
    }
    int page = u8(data, 0);
    if (page != PAGE_STATUS) {
      return invalidParamField(0, -1, dxferLen);
    }
    int pageLen = be16(data, 2);
    if (pageLen + 4 > plen) {
      return paramListLengthError(dxferLen);
    }
    int expected = 8 + 4 * (types.length + elements);
    if (pageLen + 4 < expected) {
      return paramListLengthError(dxferLen);
    }
    synchronized (this) {
      refreshOccupancy();
      if (be32(data, 4) != (generation & 0xffffffffL)) {
        return invalidParamField(4, -1, dxferLen); // expected generation code is stale
      }
      int p = 8;
      int e = 0;
      for (int t = 0; t < types.length; t++) {
        p += 4; // overall control element: nothing to control
        for (int i = 0; i < counts[t]; i++, e++, p += 4) {
          int c0 = u8(data, p);
          if ((c0 & 0x80) == 0) {
            continue; // SELECT clear: leave the element alone
          }
          if (types[t] == ELEMENT_ARRAY_DEVICE_SLOT) {
            ident[e] = (u8(data, p + 2) & 0x02) != 0; // RQST IDENT
            fault[e] = (u8(data, p + 3) & 0x20) != 0; // RQST FAULT
          } else {
            ident[e] = (u8(data, p + 1) & 0x80) != 0; // RQST IDENT
            fault[e] = (u8(data, p + 3) & 0x40) != 0; // RQST FAIL
          }
        }
      }
      lastPage = PAGE_STATUS;
    }
    return good(Math.max(0, dxferLen - plen));
  }
}
