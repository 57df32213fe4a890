package org.camstack.stack.target;

import static org.camstack.stack.scsi.Bytes.be24;
import static org.camstack.stack.scsi.Bytes.be32;
import static org.camstack.stack.scsi.Bytes.be64;
import static org.camstack.stack.scsi.Bytes.u8;
import static org.camstack.stack.scsi.Opcodes.ERASE;
import static org.camstack.stack.scsi.Opcodes.LOAD_UNLOAD;
import static org.camstack.stack.scsi.Opcodes.LOCATE_10;
import static org.camstack.stack.scsi.Opcodes.LOCATE_16;
import static org.camstack.stack.scsi.Opcodes.MODE_SELECT_10;
import static org.camstack.stack.scsi.Opcodes.MODE_SELECT_6;
import static org.camstack.stack.scsi.Opcodes.PREVENT_ALLOW;
import static org.camstack.stack.scsi.Opcodes.READ_6;
import static org.camstack.stack.scsi.Opcodes.READ_BLOCK_LIMITS;
import static org.camstack.stack.scsi.Opcodes.READ_POSITION;
import static org.camstack.stack.scsi.Opcodes.REWIND;
import static org.camstack.stack.scsi.Opcodes.SPACE;
import static org.camstack.stack.scsi.Opcodes.WRITE_6;
import static org.camstack.stack.scsi.Opcodes.WRITE_FILEMARKS;

import java.io.ByteArrayOutputStream;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;

/**
 * An emulated tape drive (SSC-3 sequential-access device, peripheral type 0x01) holding at most one
 * {@link Cartridge}. Commands: READ(6) / WRITE(6) in fixed and variable block mode, WRITE
 * FILEMARKS(6), SPACE(6) over blocks, filemarks and to end-of-data, REWIND, READ POSITION (short
 * and long form), LOCATE(10/16), LOAD UNLOAD, ERASE(6), READ BLOCK LIMITS, PREVENT ALLOW MEDIUM
 * REMOVAL, MODE SENSE/SELECT with a block descriptor (density, block length: 0 = variable) and
 * the device configuration page 0x10, plus the SPC set of {@link EmuDevice}.
 *
 * <p>Positions are logical object numbers: blocks and filemarks both count, 0 is beginning of
 * partition (BOP), {@link Cartridge#size()} is end-of-data (EOD). Exceptional conditions answer
 * CHECK CONDITION with the stream bits and the residual in the INFORMATION field: a filemark read
 * or spaced over (NO SENSE, FILEMARK, 00/01), EOD (BLANK CHECK 00/05), BOP reached backwards (NO
 * SENSE, EOM, 00/04), a block of another length than asked (NO SENSE, ILI), early warning on
 * write (NO SENSE, EOM, 00/02, the data written) and the end of the medium (VOLUME OVERFLOW, EOM,
 * 00/02, nothing written). Residuals count bytes in variable mode and blocks in fixed mode, as
 * SSC defines them.
 *
 * <p>A cartridge is put in and taken out by the library ({@link #insert}, {@link #remove}); an
 * inserted cartridge is loaded and at BOP, and every initiator gets UA 28/00. UNLOAD rewinds and
 * leaves the cartridge in the drive, not ready (02/04/02) until LOAD or the changer takes it.
 *
 * <p>cf. sys/cam/scsi/scsi_sa.c and scsi_sa.h (the initiator side this answers), mhVTL's vtltape
 * and tgt's ssc.c.
 */
public class EmuTape extends EmuDevice {
  /** Largest block READ BLOCK LIMITS reports and the drive accepts. */
  public static final int MAX_BLOCK = 256 << 10;
  /** Density code in the block descriptor (LTO-6). */
  public static final int DENSITY = 0x5a;

  static final int PAGE_DEVICE_CONFIGURATION = 0x10;

  // guarded by this
  private Cartridge cartridge;
  private int pos;
  private int blockSize;
  private TapeListener listener = TapeListener.NONE;

  public EmuTape(LunSpec spec) {
    super(spec);
    if (spec.type() != LunSpec.Type.TAPE) {
      throw new IllegalArgumentException("lun " + spec.lun() + " is not a tape drive: " + spec.type());
    }
    supports(REWIND, F_READY);
    supports(READ_BLOCK_LIMITS, F_RES_OK);
    supports(READ_6, F_READY);
    supports(WRITE_6, F_READY);
    supports(WRITE_FILEMARKS, F_READY);
    supports(SPACE, F_READY);
    supports(ERASE, F_READY);
    supports(LOAD_UNLOAD, 0);
    supports(PREVENT_ALLOW, F_RES_OK);
    supports(LOCATE_10, F_READY);
    supports(LOCATE_16, F_READY);
    supports(READ_POSITION, 0x00, F_READY | F_RES_OK);
    supports(READ_POSITION, 0x06, F_READY | F_RES_OK);
    // device configuration page (SSC-3 8.3.3): BIS; EEG + SEW; compression algorithm changeable
    addModePage(
        new byte[] {PAGE_DEVICE_CONFIGURATION, 0x0e, 0, 0, 0, 0, 0, 0, 0x40, 0, 0x18, 0, 0, 0, 0x01, 0},
        new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, 0});
    setMediumPresent(false);
  }

  @Override
  public int peripheralType() {
    return 0x01;
  }

  @Override
  protected byte[] standardInquiry() {
    byte[] b = super.standardInquiry();
    b[1] = (byte) 0x80; // RMB: tapes are removable medium
    return b;
  }

  @Override
  protected int[] versionDescriptors() {
    return new int[] {0x00a0 /* SAM-5 */, 0x0460 /* SPC-4 */, 0x0300 /* SSC-3 */};
  }

  // ---------------------------------------------------------------- control plane (library)

  /** Who hears about cartridges coming and going (the library). */
  public synchronized void setListener(TapeListener l) {
    listener = l == null ? TapeListener.NONE : l;
  }

  /** The cartridge in the drive (loaded or unloaded), or null. */
  public synchronized Cartridge cartridge() {
    return cartridge;
  }

  /** Current logical object number. */
  public synchronized int position() {
    return pos;
  }

  /** Current block length: 0 is variable-block mode. */
  public synchronized int blockSize() {
    return blockSize;
  }

  /**
   * Puts {@code c} in the drive and loads it at BOP; every initiator gets UA 28/00.
   *
   * @throws IllegalStateException when the drive is not empty
   */
  public void insert(Cartridge c) {
    synchronized (this) {
      if (cartridge != null) {
        throw new IllegalStateException("drive lun " + spec.lun() + " already holds " + cartridge.barcode());
      }
      cartridge = c;
      pos = 0;
    }
    setStarted(true);
    setMediumPresent(true);
    postUnitAttention(0x28, 0x00);
  }

  /**
   * Takes the cartridge out (rewound) and returns it, null when empty. Refused (null) while an
   * initiator prevents medium removal.
   */
  public Cartridge remove() {
    Cartridge c;
    synchronized (this) {
      if (cartridge == null || isRemovalPrevented()) {
        return null;
      }
      c = cartridge;
      cartridge = null;
      pos = 0;
    }
    setMediumPresent(false);
    return c;
  }

  /** Puts the block length of a restored drive back (0: variable). */
  public synchronized void restoreBlockSize(int length) {
    blockSize = Math.max(0, Math.min(length, MAX_BLOCK));
  }

  /** Puts the position of a restored drive back (clamped to EOD). */
  public synchronized void restorePosition(int position) {
    pos = cartridge == null ? 0 : Math.max(0, Math.min(position, cartridge.size()));
  }

  // ---------------------------------------------------------------- dispatch

  @Override
  protected ScsiResponse executeCommand(int op, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    switch (op) {
      case READ_BLOCK_LIMITS:
        return readBlockLimits(dxferLen);
      case PREVENT_ALLOW:
        if ((u8(cdb, 4) & 0xfe) != 0) {
          return invalidCdbField(4, 1, dxferLen);
        }
        setPrevent(initiatorId, (u8(cdb, 4) & 0x01) != 0);
        return good(dxferLen);
      case LOAD_UNLOAD:
        return loadUnload(cdb, dxferLen);
      case MODE_SELECT_6:
      case MODE_SELECT_10:
        return modeSelectTape(op, cdb, dataOut, dxferLen, initiatorId);
      default:
        break;
    }
    if (!isStandardCommand(op)) {
      return super.executeCommand(op, cdb, dataOut, dxferLen, initiatorId);
    }
    ScsiResponse r;
    synchronized (this) {
      if (cartridge == null) {
        return checkCondition(Sense.fixed(Sense.NOT_READY, 0x3a, 0x00), dxferLen);
      }
      int before = pos;
      r = tapeCommand(op, cdb, dataOut, dxferLen);
      if (pos != before) {
        listener.positionChanged(this, pos);
      }
    }
    return r;
  }

  private static boolean isStandardCommand(int op) {
    switch (op) {
      case REWIND:
      case READ_6:
      case WRITE_6:
      case WRITE_FILEMARKS:
      case SPACE:
      case ERASE:
      case LOCATE_10:
      case LOCATE_16:
      case READ_POSITION:
        return true;
      default:
        return false;
    }
  }

  /** A command that moves or reads the medium; caller holds this and a cartridge is in. */
  private ScsiResponse tapeCommand(int op, ByteString cdb, ByteString dataOut, int dxferLen) {
    switch (op) {
      case REWIND:
        pos = 0;
        return good(dxferLen);
      case READ_6:
        return read(cdb, dxferLen);
      case WRITE_6:
        return write(cdb, dataOut, dxferLen);
      case WRITE_FILEMARKS:
        return writeFilemarks(cdb, dxferLen);
      case SPACE:
        return space(cdb, dxferLen);
      case ERASE:
        if (writeProtected()) {
          return checkCondition(Sense.fixed(Sense.DATA_PROTECT, 0x27, 0x00), dxferLen);
        }
        cartridge.truncate(pos); // short and long erase both leave EOD here
        return good(dxferLen);
      case LOCATE_10:
        return locate(be32(cdb, 3), dxferLen);
      case LOCATE_16:
        return locate(be64(cdb, 4), dxferLen);
      case READ_POSITION:
        return readPosition(cdb, dxferLen);
      default:
        throw new IllegalStateException("not a tape command: " + op);
    }
  }

  // ---------------------------------------------------------------- responses

  private ScsiResponse streamCondition(int key, int asc, int ascq, int flags, long info, ByteString data, int dxferLen) {
    ByteString s = Sense.fixedStream(key, asc, ascq, flags, info);
    if (descriptorSense()) {
      s = Sense.toDescriptor(s);
    }
    return new ScsiResponse(ScsiStatus.CHECK_COND, s, data, dxferLen - data.size(), 0, false);
  }

  private boolean writeProtected() {
    return softwareWriteProtect();
  }

  // ---------------------------------------------------------------- READ BLOCK LIMITS, LOAD UNLOAD

  private ScsiResponse readBlockLimits(int dxferLen) {
    byte[] b = new byte[6];
    b[0] = 0; // granularity 2^0
    Bytes.put24(b, 1, MAX_BLOCK);
    Bytes.put16(b, 4, 1);
    return goodData(ByteString.fromArrayUnsafe(b), 6, dxferLen);
  }

  private ScsiResponse loadUnload(ByteString cdb, int dxferLen) {
    int b4 = u8(cdb, 4);
    if ((b4 & 0xf8) != 0) {
      return invalidCdbField(4, 7, dxferLen);
    }
    boolean load = (b4 & 0x01) != 0;
    synchronized (this) {
      if (cartridge == null) {
        return checkCondition(Sense.fixed(Sense.NOT_READY, 0x3a, 0x00), dxferLen);
      }
      if (!load && isRemovalPrevented()) {
        return checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x53, 0x02), dxferLen);
      }
      pos = 0;
      listener.positionChanged(this, 0);
    }
    setStarted(load);
    return good(dxferLen);
  }

  // ---------------------------------------------------------------- READ / WRITE

  private ScsiResponse read(ByteString cdb, int dxferLen) {
    int b1 = u8(cdb, 1);
    boolean fixed = (b1 & 0x01) != 0;
    boolean sili = (b1 & 0x02) != 0;
    int len = be24(cdb, 2);
    if (fixed && sili) {
      return invalidCdbField(1, 1, dxferLen);
    }
    if (fixed && blockSize == 0) {
      return invalidCdbField(1, 0, dxferLen);
    }
    if (len == 0) {
      return good(dxferLen);
    }
    if (!fixed) {
      if (pos >= cartridge.size()) {
        return streamCondition(Sense.BLANK_CHECK, 0x00, 0x05, 0, len, ByteString.emptyByteString(), dxferLen);
      }
      if (cartridge.isFilemark(pos)) {
        pos++;
        return streamCondition(Sense.NO_SENSE, 0x00, 0x01, Sense.FILEMARK, len, ByteString.emptyByteString(), dxferLen);
      }
      byte[] blk = cartridge.block(pos);
      pos++;
      int n = Math.min(blk.length, Math.min(len, dxferLen));
      ByteString data = ByteString.fromArray(blk, 0, n);
      if (blk.length == len || (sili && blk.length < len)) {
        return ScsiResponse.good(data, dxferLen);
      }
      return streamCondition(Sense.NO_SENSE, 0x00, 0x00, Sense.ILI, (long) len - blk.length, data, dxferLen);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < len; i++) {
      if (pos >= cartridge.size()) {
        return streamCondition(Sense.BLANK_CHECK, 0x00, 0x05, 0, len - i, bytes(out), dxferLen);
      }
      if (cartridge.isFilemark(pos)) {
        pos++;
        return streamCondition(Sense.NO_SENSE, 0x00, 0x01, Sense.FILEMARK, len - i, bytes(out), dxferLen);
      }
      byte[] blk = cartridge.block(pos);
      pos++;
      if (blk.length != blockSize) {
        out.write(blk, 0, Math.min(blk.length, blockSize));
        return streamCondition(Sense.NO_SENSE, 0x00, 0x00, Sense.ILI, len - i, bytes(out), dxferLen);
      }
      out.write(blk, 0, blk.length);
    }
    return ScsiResponse.good(bytes(out), dxferLen);
  }

  private static ByteString bytes(ByteArrayOutputStream o) {
    return ByteString.fromArrayUnsafe(o.toByteArray());
  }

  private ScsiResponse write(ByteString cdb, ByteString data, int dxferLen) {
    int b1 = u8(cdb, 1);
    boolean fixed = (b1 & 0x01) != 0;
    int len = be24(cdb, 2);
    if ((b1 & 0x02) != 0) {
      return invalidCdbField(1, 1, dxferLen);
    }
    if (fixed && blockSize == 0) {
      return invalidCdbField(1, 0, dxferLen);
    }
    if (!fixed && len > MAX_BLOCK) {
      return invalidCdbField(2, -1, dxferLen);
    }
    long bytes = fixed ? (long) len * blockSize : len;
    if (data.size() != bytes) {
      return dataOutMismatch(2, dxferLen);
    }
    if (writeProtected()) {
      return checkCondition(Sense.fixed(Sense.DATA_PROTECT, 0x27, 0x00), dxferLen);
    }
    if (len == 0) {
      return good(dxferLen);
    }
    int blocks = fixed ? len : 1;
    int each = fixed ? blockSize : len;
    boolean warned = false;
    for (int i = 0; i < blocks; i++) {
      if (cartridge.wouldOverflow(each)) {
        long resid = fixed ? blocks - i : len;
        return streamCondition(Sense.VOLUME_OVERFLOW, 0x00, 0x02, Sense.EOM, resid, ByteString.emptyByteString(), dxferLen);
      }
      warned |= cartridge.inEarlyWarning(each);
      pos = cartridge.writeBlock(pos, data.slice(i * each, (i + 1) * each).toArray());
    }
    if (warned) {
      return streamCondition(Sense.NO_SENSE, 0x00, 0x02, Sense.EOM, 0, ByteString.emptyByteString(), dxferLen - (int) bytes);
    }
    return good(Math.max(0, dxferLen - (int) bytes));
  }

  private ScsiResponse writeFilemarks(ByteString cdb, int dxferLen) {
    int b1 = u8(cdb, 1);
    if ((b1 & 0x02) != 0) {
      return invalidCdbField(1, 1, dxferLen); // setmarks: not supported
    }
    int n = be24(cdb, 2);
    if (writeProtected()) {
      return checkCondition(Sense.fixed(Sense.DATA_PROTECT, 0x27, 0x00), dxferLen);
    }
    if (n == 0) {
      return good(dxferLen); // flush the (empty) buffer
    }
    boolean warned = cartridge.inEarlyWarning(0);
    pos = cartridge.writeFilemarks(pos, n);
    if (warned) {
      return streamCondition(Sense.NO_SENSE, 0x00, 0x02, Sense.EOM, 0, ByteString.emptyByteString(), dxferLen);
    }
    return good(dxferLen);
  }

  // ---------------------------------------------------------------- SPACE, LOCATE, READ POSITION

  private ScsiResponse space(ByteString cdb, int dxferLen) {
    int code = u8(cdb, 1) & 0x07;
    int count = be24(cdb, 2);
    if ((count & 0x800000) != 0) {
      count |= 0xff000000; // two's complement, 24 bits
    }
    switch (code) {
      case 0:
        return spaceBlocks(count, dxferLen);
      case 1:
        return spaceFilemarks(count, dxferLen);
      case 3:
        pos = cartridge.size();
        return good(dxferLen);
      default:
        return invalidCdbField(1, 2, dxferLen); // sequential filemarks and setmarks: not supported
    }
  }

  private ScsiResponse spaceBlocks(int count, int dxferLen) {
    int n = Math.abs(count);
    for (int i = 0; i < n; i++) {
      if (count > 0) {
        if (pos >= cartridge.size()) {
          return streamCondition(Sense.BLANK_CHECK, 0x00, 0x05, 0, n - i, ByteString.emptyByteString(), dxferLen);
        }
        boolean fm = cartridge.isFilemark(pos);
        pos++;
        if (fm) {
          return streamCondition(Sense.NO_SENSE, 0x00, 0x01, Sense.FILEMARK, n - i, ByteString.emptyByteString(), dxferLen);
        }
      } else {
        if (pos == 0) {
          return streamCondition(Sense.NO_SENSE, 0x00, 0x04, Sense.EOM, n - i, ByteString.emptyByteString(), dxferLen);
        }
        if (cartridge.isFilemark(pos - 1)) {
          return streamCondition(Sense.NO_SENSE, 0x00, 0x01, Sense.FILEMARK, n - i, ByteString.emptyByteString(), dxferLen);
        }
        pos--;
      }
    }
    return good(dxferLen);
  }

  private ScsiResponse spaceFilemarks(int count, int dxferLen) {
    int n = Math.abs(count);
    int done = 0;
    if (count > 0) {
      while (done < n) {
        if (pos >= cartridge.size()) {
          return streamCondition(Sense.BLANK_CHECK, 0x00, 0x05, 0, n - done, ByteString.emptyByteString(), dxferLen);
        }
        if (cartridge.isFilemark(pos)) {
          done++;
        }
        pos++;
      }
    } else {
      while (done < n) {
        if (pos == 0) {
          return streamCondition(Sense.NO_SENSE, 0x00, 0x04, Sense.EOM, n - done, ByteString.emptyByteString(), dxferLen);
        }
        pos--;
        if (cartridge.isFilemark(pos)) {
          done++;
        }
      }
    }
    return good(dxferLen);
  }

  private ScsiResponse locate(long object, int dxferLen) {
    if (object > cartridge.size()) {
      pos = cartridge.size();
      return streamCondition(Sense.BLANK_CHECK, 0x00, 0x05, 0, 0, ByteString.emptyByteString(), dxferLen);
    }
    pos = (int) object;
    return good(dxferLen);
  }

  private ScsiResponse readPosition(ByteString cdb, int dxferLen) {
    int sa = u8(cdb, 1) & 0x1f;
    boolean bop = pos == 0;
    boolean eop = cartridge.inEarlyWarning(0);
    byte[] b;
    if (sa == 0x06) {
      b = new byte[32];
      b[0] = (byte) ((bop ? 0x80 : 0) | (eop ? 0x40 : 0));
      Bytes.put64(b, 8, pos); // logical object number
      Bytes.put64(b, 16, cartridge.filemarksBefore(pos)); // logical file identifier
    } else {
      b = new byte[20];
      b[0] = (byte) ((bop ? 0x80 : 0) | (eop ? 0x40 : 0));
      Bytes.put32(b, 4, pos); // first block location
      Bytes.put32(b, 8, pos); // last block location (nothing buffered)
    }
    return goodData(ByteString.fromArrayUnsafe(b), b.length, dxferLen);
  }

  // ---------------------------------------------------------------- MODE SENSE / SELECT

  @Override
  protected boolean hasBlockDescriptor() {
    return true;
  }

  /** Short block descriptor bytes 0..3: the density code in byte 0, number of blocks 0. */
  @Override
  protected long descriptorBlocks() {
    return (long) DENSITY << 24;
  }

  @Override
  protected synchronized int descriptorBlockSize() {
    return blockSize;
  }

  /** WP, buffered mode 1. */
  @Override
  protected int deviceSpecificParameter() {
    return (softwareWriteProtect() ? 0x80 : 0) | 0x10;
  }

  /**
   * MODE SELECT: the block descriptor's block length sets fixed (non-zero) or variable (zero) block
   * mode; the pages go through the shared code, and a refused list leaves the block length as it
   * was.
   */
  private ScsiResponse modeSelectTape(int op, ByteString cdb, ByteString data, int dxferLen, int initiatorId) {
    boolean ten = op == MODE_SELECT_10;
    int hdr = ten ? 8 : 4;
    int bdl = data.size() >= hdr ? (ten ? Bytes.be16(data, 6) : u8(data, 3)) : 0;
    int was;
    synchronized (this) {
      was = blockSize;
      if (bdl == 8 && data.size() >= hdr + 8) {
        int density = u8(data, hdr);
        if (density != 0 && density != DENSITY) {
          return invalidParamField(hdr, -1, dxferLen);
        }
        int bs = be24(data, hdr + 5);
        if (bs > MAX_BLOCK) {
          return invalidParamField(hdr + 5, -1, dxferLen);
        }
        blockSize = bs;
      }
    }
    ScsiResponse r = super.executeCommand(op, cdb, data, dxferLen, initiatorId);
    synchronized (this) {
      if (r.scsiStatus() != ScsiStatus.GOOD) {
        blockSize = was;
      } else if (blockSize != was) {
        listener.blockLengthChanged(this, blockSize);
      }
    }
    return r;
  }
}
