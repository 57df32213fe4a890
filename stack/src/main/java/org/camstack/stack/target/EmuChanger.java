package org.camstack.stack.target;

import static org.camstack.stack.scsi.Bytes.be16;
import static org.camstack.stack.scsi.Bytes.be24;
import static org.camstack.stack.scsi.Bytes.u8;
import static org.camstack.stack.scsi.Opcodes.EXCHANGE_MEDIUM;
import static org.camstack.stack.scsi.Opcodes.INITIALIZE_ELEMENT_STATUS;
import static org.camstack.stack.scsi.Opcodes.MOVE_MEDIUM;
import static org.camstack.stack.scsi.Opcodes.POSITION_TO_ELEMENT;
import static org.camstack.stack.scsi.Opcodes.PREVENT_ALLOW;
import static org.camstack.stack.scsi.Opcodes.READ_ELEMENT_STATUS;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.Sense;

/**
 * An emulated medium changer (SMC-3, peripheral type 0x08), the robot of a {@link TapeLibrary}:
 * READ ELEMENT STATUS (medium transport, storage, import/export, data transfer; primary volume
 * tags), MOVE MEDIUM, EXCHANGE MEDIUM, POSITION TO ELEMENT, INITIALIZE ELEMENT STATUS (and WITH
 * RANGE), PREVENT ALLOW MEDIUM REMOVAL (the mailslot), and MODE SENSE pages 0x1D (element address
 * assignment), 0x1E (transport geometry) and 0x1F (device capabilities).
 *
 * <p>Errors as SMC-3 names them: an address the library does not have 05/21/01 (INVALID ELEMENT
 * ADDRESS), an empty source 05/3B/0E (MEDIUM SOURCE ELEMENT EMPTY), a full destination 05/3B/0D
 * (MEDIUM DESTINATION ELEMENT FULL), a drive preventing removal 05/53/02. The operator's use of the
 * mailslot posts UA 28/01 (IMPORT OR EXPORT ELEMENT ACCESSED) to every initiator.
 *
 * <p>cf. sys/cam/scsi/scsi_ch.c and scsi_ch.h (the initiator side), tgt's smc.c.
 */
public class EmuChanger extends EmuDevice {
  static final int PAGE_ELEMENT_ADDRESS = 0x1d;
  static final int PAGE_TRANSPORT_GEOMETRY = 0x1e;
  static final int PAGE_DEVICE_CAPABILITIES = 0x1f;
  private static final int INITIALIZE_ELEMENT_STATUS_WITH_RANGE = 0x37;
  private static final int VOLTAG_LENGTH = 36;

  private final TapeLibrary library;

  public EmuChanger(LunSpec spec, TapeLibrary library) {
    super(spec);
    if (spec.type() != LunSpec.Type.CHANGER) {
      throw new IllegalArgumentException("lun " + spec.lun() + " is not a medium changer: " + spec.type());
    }
    this.library = library;
    supports(READ_ELEMENT_STATUS, F_READY | F_RES_OK);
    supports(MOVE_MEDIUM, F_READY);
    supports(EXCHANGE_MEDIUM, F_READY);
    supports(POSITION_TO_ELEMENT, F_READY);
    supports(INITIALIZE_ELEMENT_STATUS, F_READY);
    supports(INITIALIZE_ELEMENT_STATUS_WITH_RANGE, F_READY);
    supports(PREVENT_ALLOW, F_RES_OK);
    // element address assignment: the counts are filled in once the library knows its drives
    // (refreshAddressPage); the changeable mask lets only the library restore them
    byte[] ea = new byte[20];
    ea[0] = PAGE_ELEMENT_ADDRESS;
    ea[1] = 0x12;
    byte[] eaMask = new byte[20];
    for (int i = 2; i < 18; i++) {
      eaMask[i] = (byte) 0xff;
    }
    addModePage(ea, eaMask);
    addModePage(new byte[] {PAGE_TRANSPORT_GEOMETRY, 0x02, 0, 0}, new byte[4]);
    byte[] cap = new byte[20];
    cap[0] = PAGE_DEVICE_CAPABILITIES;
    cap[1] = 0x12;
    cap[2] = 0x0e; // StorDT, StorI/E, StorST
    for (int i = 4; i < 8; i++) {
      cap[i] = 0x0e; // MT/ST/IE/DT -> DT, IE, ST
    }
    for (int i = 12; i < 16; i++) {
      cap[i] = 0x0e; // exchanges alike
    }
    addModePage(cap, new byte[20]);
    library.addChanger(this, spec.slots());
  }

  @Override
  public int peripheralType() {
    return 0x08;
  }

  @Override
  protected byte[] standardInquiry() {
    byte[] b = super.standardInquiry();
    b[1] = (byte) 0x80; // RMB: the cartridges are removable
    return b;
  }

  @Override
  protected int[] versionDescriptors() {
    return new int[] {0x00a0 /* SAM-5 */, 0x0460 /* SPC-4 */, 0x0480 /* SMC-3 */};
  }

  public final TapeLibrary library() {
    return library;
  }

  /** Rewrites page 0x1D from the library's elements (after power-on). */
  public void refreshAddressPage() {
    byte[] ea = new byte[20];
    ea[0] = PAGE_ELEMENT_ADDRESS;
    ea[1] = 0x12;
    Bytes.put16(ea, 2, TapeLibrary.MT);
    Bytes.put16(ea, 4, 1);
    Bytes.put16(ea, 6, TapeLibrary.ST);
    Bytes.put16(ea, 8, library.storageSlots());
    Bytes.put16(ea, 10, TapeLibrary.IE);
    Bytes.put16(ea, 12, 1);
    Bytes.put16(ea, 14, TapeLibrary.DT);
    Bytes.put16(ea, 16, library.drives().size());
    restoreModePage(ea);
  }

  // ---------------------------------------------------------------- dispatch

  @Override
  protected ScsiResponse executeCommand(int op, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    switch (op) {
      case READ_ELEMENT_STATUS:
        return readElementStatus(cdb, dxferLen);
      case MOVE_MEDIUM:
        return move(cdb, dxferLen);
      case EXCHANGE_MEDIUM:
        return exchange(cdb, dxferLen);
      case POSITION_TO_ELEMENT: {
        int transport = be16(cdb, 2);
        if (transport != TapeLibrary.MT && transport != 0) {
          return invalidElement(dxferLen);
        }
        return library.kind(be16(cdb, 4)) == 0 ? invalidElement(dxferLen) : good(dxferLen);
      }
      case INITIALIZE_ELEMENT_STATUS:
        return good(dxferLen);
      case INITIALIZE_ELEMENT_STATUS_WITH_RANGE: {
        boolean range = (u8(cdb, 1) & 0x01) != 0;
        if (range && be16(cdb, 6) > 0 && library.kind(be16(cdb, 2)) == 0) {
          return invalidElement(dxferLen);
        }
        return good(dxferLen);
      }
      case PREVENT_ALLOW:
        if ((u8(cdb, 4) & 0xfe) != 0) {
          return invalidCdbField(4, 1, dxferLen);
        }
        setPrevent(initiatorId, (u8(cdb, 4) & 0x01) != 0);
        return good(dxferLen);
      default:
        return super.executeCommand(op, cdb, dataOut, dxferLen, initiatorId);
    }
  }

  private ScsiResponse invalidElement(int dxferLen) {
    return checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x21, 0x01), dxferLen);
  }

  /** Maps a library refusal to its sense. */
  private ScsiResponse refused(String why, int dxferLen) {
    if (why.contains("invalid")) {
      return invalidElement(dxferLen);
    }
    if (why.contains("empty")) {
      return checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x3b, 0x0e), dxferLen);
    }
    if (why.contains("full")) {
      return checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x3b, 0x0d), dxferLen);
    }
    return checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x53, 0x02), dxferLen);
  }

  private boolean badTransport(int transport) {
    return transport != TapeLibrary.MT;
  }

  private ScsiResponse move(ByteString cdb, int dxferLen) {
    if (badTransport(be16(cdb, 2))) {
      return invalidElement(dxferLen);
    }
    if ((u8(cdb, 10) & 0x01) != 0) {
      return invalidCdbField(10, 0, dxferLen); // INVERT: single-sided media
    }
    String why = library.move(be16(cdb, 4), be16(cdb, 6));
    return why == null ? good(dxferLen) : refused(why, dxferLen);
  }

  private ScsiResponse exchange(ByteString cdb, int dxferLen) {
    if (badTransport(be16(cdb, 2))) {
      return invalidElement(dxferLen);
    }
    if ((u8(cdb, 10) & 0x03) != 0) {
      return invalidCdbField(10, 0, dxferLen);
    }
    int source = be16(cdb, 4);
    int first = be16(cdb, 6);
    int second = be16(cdb, 8);
    if (library.kind(source) == 0 || library.kind(first) == 0 || library.kind(second) == 0) {
      return invalidElement(dxferLen);
    }
    String why = library.exchange(source, first, second);
    return why == null ? good(dxferLen) : refused(why, dxferLen);
  }

  // ---------------------------------------------------------------- READ ELEMENT STATUS

  private ScsiResponse readElementStatus(ByteString cdb, int dxferLen) {
    int b1 = u8(cdb, 1);
    boolean voltag = (b1 & 0x10) != 0;
    int typeCode = b1 & 0x0f;
    int start = be16(cdb, 2);
    int count = be16(cdb, 4);
    int alloc = be24(cdb, 7);
    if (typeCode > TapeLibrary.TYPE_DT) {
      return invalidCdbField(1, 3, dxferLen);
    }
    List<Integer> chosen = new ArrayList<>();
    synchronized (library) {
      for (int a : library.addresses()) {
        if (a >= start && (typeCode == 0 || library.kind(a) == typeCode) && chosen.size() < count) {
          chosen.add(a);
        }
      }
      if (chosen.isEmpty()) {
        return invalidElement(dxferLen);
      }
      ByteArrayOutputStream pages = new ByteArrayOutputStream();
      int descLen = 12 + (voltag ? VOLTAG_LENGTH : 0) + 4;
      int i = 0;
      while (i < chosen.size()) {
        int type = library.kind(chosen.get(i));
        ByteArrayOutputStream descs = new ByteArrayOutputStream();
        while (i < chosen.size() && library.kind(chosen.get(i)) == type) {
          descs.writeBytes(descriptor(chosen.get(i), type, voltag, descLen));
          i++;
        }
        byte[] h = new byte[8];
        h[0] = (byte) type;
        h[1] = (byte) (voltag ? 0x80 : 0); // PVOLTAG
        Bytes.put16(h, 2, descLen);
        Bytes.put24(h, 5, descs.size());
        pages.writeBytes(h);
        pages.writeBytes(descs.toByteArray());
      }
      byte[] body = pages.toByteArray();
      byte[] b = new byte[8 + body.length];
      Bytes.put16(b, 0, chosen.get(0));
      Bytes.put16(b, 2, chosen.size());
      Bytes.put24(b, 5, body.length);
      System.arraycopy(body, 0, b, 8, body.length);
      return goodData(ByteString.fromArrayUnsafe(b), alloc, dxferLen);
    }
  }

  private byte[] descriptor(int address, int type, boolean voltag, int len) {
    byte[] d = new byte[len];
    Bytes.put16(d, 0, address);
    Cartridge c = library.at(address);
    int flags = c != null ? 0x01 : 0; // FULL
    switch (type) {
      case TapeLibrary.TYPE_IE:
        flags |= 0x08 | 0x10 | 0x20; // ACCESS, EXENAB, INENAB
        if (c != null && library.mailslotImported()) {
          flags |= 0x02; // IMPEXP: put in by the operator
        }
        break;
      case TapeLibrary.TYPE_ST:
      case TapeLibrary.TYPE_DT:
        flags |= 0x08; // ACCESS
        break;
      default:
        break;
    }
    d[2] = (byte) flags;
    if (type == TapeLibrary.TYPE_DT) {
      d[6] = (byte) 0x20; // ID VALID clear, LU VALID: the drive is a LUN of this target
      d[7] = 0;
    }
    if (c != null) {
      int src = library.source(c.barcode());
      if (src >= 0) {
        d[9] = (byte) 0x80; // SVALID
        Bytes.put16(d, 10, src);
      }
      if (voltag) {
        Bytes.putAscii(d, 12, c.barcode(), 32);
      }
    }
    return d;
  }
}
