package org.camstack.stack.target;

import static org.camstack.stack.scsi.Bytes.be16;
import static org.camstack.stack.scsi.Bytes.be32;
import static org.camstack.stack.scsi.Bytes.be64;
import static org.camstack.stack.scsi.Bytes.u8;
import static org.camstack.stack.scsi.Opcodes.COMPARE_AND_WRITE;
import static org.camstack.stack.scsi.Opcodes.EXTENDED_COPY;
import static org.camstack.stack.scsi.Opcodes.FORMAT_UNIT;
import static org.camstack.stack.scsi.Opcodes.ORWRITE_16;
import static org.camstack.stack.scsi.Opcodes.PRE_FETCH_10;
import static org.camstack.stack.scsi.Opcodes.PRE_FETCH_16;
import static org.camstack.stack.scsi.Opcodes.PREVENT_ALLOW;
import static org.camstack.stack.scsi.Opcodes.READ_10;
import static org.camstack.stack.scsi.Opcodes.READ_12;
import static org.camstack.stack.scsi.Opcodes.READ_16;
import static org.camstack.stack.scsi.Opcodes.READ_6;
import static org.camstack.stack.scsi.Opcodes.READ_CAPACITY_10;
import static org.camstack.stack.scsi.Opcodes.READ_DEFECT_DATA_10;
import static org.camstack.stack.scsi.Opcodes.READ_DEFECT_DATA_12;
import static org.camstack.stack.scsi.Opcodes.RECEIVE_COPY_RESULTS;
import static org.camstack.stack.scsi.Opcodes.SERVICE_ACTION_IN_16;
import static org.camstack.stack.scsi.Opcodes.START_STOP_UNIT;
import static org.camstack.stack.scsi.Opcodes.SYNCHRONIZE_CACHE_10;
import static org.camstack.stack.scsi.Opcodes.SYNCHRONIZE_CACHE_16;
import static org.camstack.stack.scsi.Opcodes.UNMAP;
import static org.camstack.stack.scsi.Opcodes.VERIFY_10;
import static org.camstack.stack.scsi.Opcodes.VERIFY_12;
import static org.camstack.stack.scsi.Opcodes.VERIFY_16;
import static org.camstack.stack.scsi.Opcodes.WRITE_10;
import static org.camstack.stack.scsi.Opcodes.WRITE_12;
import static org.camstack.stack.scsi.Opcodes.WRITE_16;
import static org.camstack.stack.scsi.Opcodes.WRITE_6;
import static org.camstack.stack.scsi.Opcodes.WRITE_AND_VERIFY_10;
import static org.camstack.stack.scsi.Opcodes.WRITE_AND_VERIFY_12;
import static org.camstack.stack.scsi.Opcodes.WRITE_AND_VERIFY_16;
import static org.camstack.stack.scsi.Opcodes.WRITE_SAME_10;
import static org.camstack.stack.scsi.Opcodes.WRITE_SAME_16;

import java.io.UncheckedIOException;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.Opcodes;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.scsi.ScsiResponse;

/**
 * An emulated direct-access block device (peripheral type 0), SBC-3: READ/WRITE(6/10/12/16),
 * VERIFY(10/12/16), WRITE AND VERIFY(10/12/16), COMPARE AND WRITE, ORWRITE(16), PRE-FETCH(10/16),
 * SYNCHRONIZE CACHE(10/16), WRITE SAME(10/16) with UNMAP, UNMAP, GET LBA STATUS, READ
 * CAPACITY(10/16), FORMAT UNIT, READ DEFECT DATA(10/12), START STOP UNIT, PREVENT ALLOW MEDIUM
 * REMOVAL, EXTENDED COPY (LID1) and RECEIVE COPY RESULTS ({@link CopyManager}), mode pages 0x01
 * (read-write error recovery), 0x08 (caching) and 0x0A (control), VPD 0x8F/0xB0/0xB1/0xB2; plus
 * the SPC set of {@link EmuDevice}. Blocks live in a {@link BackingStore}.
 *
 * <p>Writes take the store's monitor, so that a read-modify-write (COMPARE AND WRITE, ORWRITE, a
 * copy into this LUN) is atomic against every other writer of the LUN, whichever frontend sent it;
 * reads take no lock.
 *
 * <p>cf. sys/cam/ctl/ctl.c ({@code ctl_read_write}, {@code ctl_read_capacity_16}, {@code
 * ctl_unmap}, {@code ctl_write_same}, {@code ctl_start_stop}) and the scsi_debug {@code resp_*}
 * handlers.
 */
public class EmuDisk extends EmuDevice {

  /**
   * Largest single transfer, bytes (VPD 0xB0 MAXIMUM TRANSFER LENGTH = this / block size): 65536
   * blocks of 512 bytes, which libiscsi's WriteSame16.Unmap writes in one WRITE(16) whenever MAXIMUM
   * WRITE SAME LENGTH allows 65536 blocks.
   */
  public static final int MAX_TRANSFER_BYTES = 32 << 20;
  /**
   * VPD 0xB0 MAXIMUM UNMAP LBA COUNT and MAXIMUM WRITE SAME LENGTH: 1 Mi blocks, the most
   * libiscsi's Inquiry.BlockLimits accepts as sane (and what Linux splits a discard into anyway).
   */
  public static final long MAX_UNMAP_BLOCKS = 0x100000L;
  /** VPD 0xB0 MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT. */
  public static final int MAX_UNMAP_DESCRIPTORS = 256;
  /** VPD 0xB0 MAXIMUM COMPARE AND WRITE LENGTH (blocks; the field is one byte). */
  public static final int MAX_COMPARE_AND_WRITE_BLOCKS = 255;
  /** WRITE ATOMIC(16) (SBC-4; no constant in scsi.Opcodes yet). */
  static final int WRITE_ATOMIC_16 = 0x9c;
  /** SANITIZE (SBC-3 5.30; no constant in scsi.Opcodes yet). */
  static final int SANITIZE = 0x48;
  /** VPD 0xB0 MAXIMUM ATOMIC TRANSFER LENGTH (blocks; the CDB field is 16 bits). */
  public static final int MAX_ATOMIC_BLOCKS = 0xffff;
  /** Most LBA status descriptors one GET LBA STATUS returns. */
  public static final int MAX_LBA_STATUS_DESCRIPTORS = 512;

  private final BackingStore store;
  private final int blockSize;
  private final int maxTransferBlocks;
  private final int maxCompareBlocks;
  private final int maxAtomicBlocks;
  private final CopyManager copies;
  private volatile long blocks;
  private volatile boolean writeCacheEnabled;

  /** A disk over {@code store}; the store's size is set to the spec's capacity. */
  public EmuDisk(LunSpec spec, BackingStore store) {
    super(spec);
    if (spec.type() != LunSpec.Type.DISK) {
      throw new IllegalArgumentException("lun " + spec.lun() + " is not a disk: " + spec.type());
    }
    this.store = store;
    this.blockSize = spec.blockSize();
    this.maxTransferBlocks = Math.max(1, MAX_TRANSFER_BYTES / blockSize);
    this.maxCompareBlocks = Math.max(1, Math.min(MAX_COMPARE_AND_WRITE_BLOCKS, maxTransferBlocks / 2));
    this.maxAtomicBlocks = Math.min(MAX_ATOMIC_BLOCKS, maxTransferBlocks);
    this.copies = new CopyManager(this);
    this.blocks = spec.blocks();
    if (store.size() != spec.blocks() * blockSize) {
      store.resize(spec.blocks() * blockSize);
    }
    int rw = F_READY | F_LBA;
    supports(READ_6, rw | F_READ);
    supports(READ_10, rw | F_READ);
    supports(READ_12, rw | F_READ);
    supports(READ_16, rw | F_READ);
    supports(VERIFY_10, rw | F_READ);
    supports(VERIFY_12, rw | F_READ);
    supports(VERIFY_16, rw | F_READ);
    supports(WRITE_6, rw | F_WRITE);
    supports(WRITE_10, rw | F_WRITE);
    supports(WRITE_12, rw | F_WRITE);
    supports(WRITE_16, rw | F_WRITE);
    supports(WRITE_AND_VERIFY_10, rw | F_WRITE);
    supports(WRITE_AND_VERIFY_12, rw | F_WRITE);
    supports(WRITE_AND_VERIFY_16, rw | F_WRITE);
    supports(COMPARE_AND_WRITE, rw | F_WRITE);
    supports(ORWRITE_16, rw | F_WRITE);
    supports(WRITE_ATOMIC_16, rw | F_WRITE);
    supports(SANITIZE, F_READY | F_WRITE);
    supports(PRE_FETCH_10, rw | F_READ);
    supports(PRE_FETCH_16, rw | F_READ);
    supports(READ_DEFECT_DATA_10, F_READY);
    supports(READ_DEFECT_DATA_12, F_READY);
    supports(FORMAT_UNIT, F_READY | F_WRITE);
    supports(EXTENDED_COPY, F_READY | F_WRITE);
    supports(RECEIVE_COPY_RESULTS, F_RES_OK);
    supports(WRITE_SAME_10, rw | F_WRITE);
    supports(WRITE_SAME_16, rw | F_WRITE);
    supports(UNMAP, F_READY | F_WRITE);
    supports(SYNCHRONIZE_CACHE_10, F_READY);
    supports(SYNCHRONIZE_CACHE_16, F_READY);
    supports(READ_CAPACITY_10, F_READY | F_RES_OK);
    supports(SERVICE_ACTION_IN_16, F_READY | F_RES_OK);
    supports(SERVICE_ACTION_IN_16, Opcodes.SA_READ_CAPACITY_16, F_READY | F_RES_OK); // listed by RSOC
    // service actions, declared one by one so that REPORT SUPPORTED OPERATION CODES lists them
    // (libiscsi's sanitize and copy tests look them up there)
    supports(SERVICE_ACTION_IN_16, 0x12, F_READY | F_RES_OK); // GET LBA STATUS
    supports(EXTENDED_COPY, 0x00, F_READY | F_WRITE); // LID1
    for (int sa : new int[] {0x00, 0x03, 0x04}) { // COPY STATUS, OPERATING PARAMETERS, FAILED SEGMENT DETAILS
      supports(RECEIVE_COPY_RESULTS, sa, F_RES_OK);
    }
    supports(SANITIZE, 0x01, F_READY | F_WRITE); // OVERWRITE
    supports(SANITIZE, 0x1f, F_READY | F_WRITE); // EXIT FAILURE MODE
    if (store.thin()) {
      supports(SANITIZE, 0x02, F_READY | F_WRITE); // BLOCK ERASE
      supports(SANITIZE, 0x03, F_READY | F_WRITE); // CRYPTOGRAPHIC ERASE
    }
    supports(START_STOP_UNIT, 0);
    supports(PREVENT_ALLOW, 0);
    // read-write error recovery: AWRE, ARRE, retry counts 11
    addModePage(
        new byte[] {0x01, 0x0a, (byte) 0xc0, 0x0b, 0, 0, 0, 0, 0x0b, 0, 0, 0},
        new byte[] {0, 0, (byte) 0xe4, (byte) 0xff, 0, 0, 0, 0, (byte) 0xff, 0, (byte) 0xff, (byte) 0xff});
    // caching: WCE on, 16 segments
    addModePage(
        new byte[] {0x08, 0x12, 0x04, 0, (byte) 0xff, (byte) 0xff, 0, 0, (byte) 0xff, (byte) 0xff,
            (byte) 0xff, (byte) 0xff, 0, 0x10, 0, 0, 0, 0, 0, 0},
        new byte[] {0, 0, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0});
  }

  /** A disk over the store its spec names (see {@link EmuDevices#store}). */
  public EmuDisk(LunSpec spec) {
    this(spec, EmuDevices.store(spec));
  }

  @Override
  public int peripheralType() {
    return 0x00;
  }

  public final BackingStore store() {
    return store;
  }

  /** Current capacity in logical blocks. */
  public final long blocks() {
    return blocks;
  }

  public final int blockSize() {
    return blockSize;
  }

  /** Caching page WCE. */
  public final boolean writeCacheEnabled() {
    return writeCacheEnabled;
  }

  /**
   * Changes the capacity (cf. {@code ctladm modify -s}); posts UA 2A/09 CAPACITY DATA HAS CHANGED.
   * Blocks beyond the old end read as zeros.
   */
  public void resize(long newBlocks) {
    if (newBlocks <= 0 || newBlocks > Long.MAX_VALUE / blockSize) {
      throw new IllegalArgumentException("lun " + lun() + ": bad capacity " + newBlocks + " blocks");
    }
    synchronized (store) {
      if (newBlocks < blocks) {
        blocks = newBlocks; // shrink: stop accepting I/O past the end first
        store.resize(newBlocks * blockSize);
      } else {
        store.resize(newBlocks * blockSize);
        blocks = newBlocks;
      }
    }
    stateChanged(DeviceStateSink.CAPACITY);
    postUnitAttention(0x2a, 0x09);
  }

  /**
   * Operator eject of removable medium. False (nothing happens) when the LUN is not removable or
   * removal is prevented.
   */
  public boolean ejectMedium() {
    if (!spec.removable() || isRemovalPrevented()) {
      return false;
    }
    setMediumPresent(false);
    setStarted(false);
    return true;
  }

  /** Operator load of removable medium: posts UA 28/00 (NOT READY TO READY CHANGE). */
  public boolean insertMedium() {
    if (!spec.removable() || isMediumPresent()) {
      return false;
    }
    setMediumPresent(true);
    setStarted(true);
    postUnitAttention(0x28, 0x00);
    return true;
  }

  @Override
  protected void modePagesChanged() {
    super.modePagesChanged();
    writeCacheEnabled = (modeByte(0x08, 2) & 0x04) != 0;
  }

  @Override
  protected boolean hasBlockDescriptor() {
    return true;
  }

  @Override
  protected int deviceSpecificParameter() {
    return (softwareWriteProtect() ? 0x80 : 0) | 0x10; // WP, DPOFUA
  }

  @Override
  protected long descriptorBlocks() {
    return blocks;
  }

  /** Standard INQUIRY with 3PC: this LUN is a copy manager (EXTENDED COPY). */
  @Override
  protected byte[] standardInquiry() {
    byte[] b = super.standardInquiry();
    b[5] |= 0x08;
    return b;
  }

  @Override
  protected int[] versionDescriptors() {
    return new int[] {0x00a0 /* SAM-5 */, 0x0460 /* SPC-4 */, 0x04c0 /* SBC-3 */};
  }

  // ---------------------------------------------------------------- dispatch

  @Override
  protected ScsiResponse executeCommand(int op, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    switch (op) {
      case READ_6:
      case READ_10:
      case READ_12:
      case READ_16:
        return read(op, cdb, dxferLen);
      case WRITE_6:
      case WRITE_10:
      case WRITE_12:
      case WRITE_16:
        return write(op, cdb, dataOut, dxferLen);
      case VERIFY_10:
      case VERIFY_12:
      case VERIFY_16:
        return verify(op, cdb, dataOut, dxferLen);
      case WRITE_AND_VERIFY_10:
      case WRITE_AND_VERIFY_12:
      case WRITE_AND_VERIFY_16:
        return writeAndVerify(op, cdb, dataOut, dxferLen);
      case COMPARE_AND_WRITE:
        return compareAndWrite(cdb, dataOut, dxferLen);
      case ORWRITE_16:
        return orWrite(cdb, dataOut, dxferLen);
      case WRITE_ATOMIC_16:
        return writeAtomic(cdb, dataOut, dxferLen);
      case SANITIZE:
        return sanitize(cdb, dataOut, dxferLen);
      case PRE_FETCH_10:
      case PRE_FETCH_16:
        return preFetch(op, cdb, dxferLen);
      case READ_DEFECT_DATA_10:
      case READ_DEFECT_DATA_12:
        return readDefectData(op, cdb, dxferLen);
      case FORMAT_UNIT:
        return formatUnit(cdb, dataOut, dxferLen);
      case EXTENDED_COPY:
        return copies.extendedCopy(cdb, dataOut, dxferLen, initiatorId);
      case RECEIVE_COPY_RESULTS:
        return copies.receiveCopyResults(cdb, dxferLen, initiatorId);
      case WRITE_SAME_10:
      case WRITE_SAME_16:
        return writeSame(op, cdb, dataOut, dxferLen);
      case UNMAP:
        return unmap(cdb, dataOut, dxferLen);
      case SYNCHRONIZE_CACHE_10:
      case SYNCHRONIZE_CACHE_16:
        return synchronizeCache(op, cdb, dxferLen);
      case READ_CAPACITY_10:
        return readCapacity10(cdb, dxferLen);
      case SERVICE_ACTION_IN_16:
        return serviceActionIn(cdb, dxferLen);
      case START_STOP_UNIT:
        return startStop(cdb, dxferLen, initiatorId);
      case PREVENT_ALLOW:
        return preventAllow(cdb, dxferLen, initiatorId);
      default:
        return super.executeCommand(op, cdb, dataOut, dxferLen, initiatorId);
    }
  }

  private boolean outOfRange(long lba, long n) {
    return outOfRange(lba, n, blocks);
  }

  private ScsiResponse writeProtected(int dxferLen) {
    return checkCondition(Sense.fixed(Sense.DATA_PROTECT, 0x27, 0x02), dxferLen);
  }

  /** A thin LUN whose backing memory is exhausted (SBC-3: 27/07 SPACE ALLOCATION FAILED WRITE PROTECT). */
  private ScsiResponse spaceAllocationFailed(int dxferLen) {
    return checkCondition(Sense.fixed(Sense.DATA_PROTECT, 0x27, 0x07), dxferLen);
  }

  /** {@link #mediaRangeCheck} against this disk's capacity and MAXIMUM TRANSFER LENGTH. */
  private ScsiResponse rangeCheck(long lba, long n, int lengthField, int dxferLen) {
    return mediaRangeCheck(lba, n, blocks, maxTransferBlocks, lengthField, dxferLen);
  }

  // ---------------------------------------------------------------- READ / WRITE

  private ScsiResponse read(int op, ByteString cdb, int dxferLen) {
    if (op != READ_6 && (u8(cdb, 1) & 0xe0) != 0) {
      return invalidCdbField(1, 7, dxferLen); // RDPROTECT: no protection information
    }
    long lba = cdbLba(op, cdb);
    long n = cdbBlocks(op, cdb);
    ScsiResponse bad = rangeCheck(lba, n, lengthField(op), dxferLen);
    if (bad != null) {
      return bad;
    }
    ByteString data;
    try {
      data = store.read(lba, (int) n, blockSize);
    } catch (UncheckedIOException e) {
      return mediumError(false, lba, dxferLen);
    }
    return ScsiResponse.good(data, dxferLen);
  }

  private ScsiResponse write(int op, ByteString cdb, ByteString dataOut, int dxferLen) {
    int b1 = u8(cdb, 1);
    if (op != WRITE_6 && (b1 & 0xe0) != 0) {
      return invalidCdbField(1, 7, dxferLen); // WRPROTECT
    }
    return writeBlocks(op, cdb, dataOut, dxferLen, op != WRITE_6 && (b1 & 0x08) != 0, false);
  }

  /**
   * WRITE and WRITE AND VERIFY after their protection field: range, length, data-out and write
   * protection checks, then the write (FUA or write-through flushes), then for {@code compare}
   * (BYTCHK 01b) the blocks read back are compared with the data-out.
   */
  private ScsiResponse writeBlocks(int op, ByteString cdb, ByteString dataOut, int dxferLen, boolean fua, boolean compare) {
    long lba = cdbLba(op, cdb);
    long n = cdbBlocks(op, cdb);
    ScsiResponse bad = rangeCheck(lba, n, lengthField(op), dxferLen);
    if (bad != null) {
      return bad;
    }
    int need = (int) n * blockSize;
    if (dataOut.size() != need) {
      return dataOutMismatch(lengthField(op), dxferLen);
    }
    if (softwareWriteProtect()) {
      return writeProtected(dxferLen);
    }
    try {
      synchronized (store) {
        store.write(lba, dataOut, blockSize);
      }
      if (!writeCacheEnabled || fua) {
        store.flush(); // write-through or FUA
      }
    } catch (RamStore.SpaceExhaustedException e) {
      return spaceAllocationFailed(dxferLen);
    } catch (UncheckedIOException e) {
      return mediumError(true, lba, dxferLen);
    }
    if (compare) {
      ByteString media;
      try {
        media = store.read(lba, (int) n, blockSize);
      } catch (UncheckedIOException e) {
        return mediumError(false, lba, dxferLen);
      }
      int at = firstDifference(media, dataOut);
      if (at >= 0) {
        return miscompare(at, dxferLen); // the store did not keep what was written (a null store)
      }
    }
    return good(Math.max(0, dxferLen - need));
  }

  /** Index of the first byte where {@code a} and {@code b} differ (over the shorter), or -1. */
  static int firstDifference(ByteString a, ByteString b) {
    java.nio.ByteBuffer x = a.asByteBuffer();
    java.nio.ByteBuffer y = b.asByteBuffer();
    int n = Math.min(x.remaining(), y.remaining());
    x.limit(x.position() + n);
    y.limit(y.position() + n);
    return x.mismatch(y);
  }

  /** MISCOMPARE 1D/00 with VALID and INFORMATION = the offset of the first differing byte. */
  private ScsiResponse miscompare(long offset, int dxferLen) {
    return checkCondition(Sense.fixedWithInfo(Sense.MISCOMPARE, 0x1d, 0x00, offset), dxferLen);
  }

  private ScsiResponse verify(int op, ByteString cdb, ByteString dataOut, int dxferLen) {
    int b1 = u8(cdb, 1);
    if ((b1 & 0xe0) != 0) {
      return invalidCdbField(1, 7, dxferLen); // VRPROTECT
    }
    int bytchk = (b1 >>> 1) & 0x03;
    if (bytchk == 2) {
      return invalidCdbField(1, 2, dxferLen);
    }
    long lba = cdbLba(op, cdb);
    long n = cdbBlocks(op, cdb);
    if (outOfRange(lba, n)) {
      return lbaOutOfRange(dxferLen);
    }
    if (n == 0 || bytchk == 0) {
      return good(dxferLen); // the medium is always readable here; faults were injected before
    }
    if (n > maxTransferBlocks) {
      return invalidCdbField(lengthField(op), -1, dxferLen);
    }
    int need = bytchk == 1 ? (int) n * blockSize : blockSize;
    if (dataOut.size() != need) {
      return dataOutMismatch(lengthField(op), dxferLen);
    }
    ByteString media;
    try {
      media = store.read(lba, (int) n, blockSize);
    } catch (UncheckedIOException e) {
      return mediumError(false, lba, dxferLen);
    }
    for (int i = 0, total = (int) n * blockSize; i < total; i++) {
      int j = bytchk == 1 ? i : i % blockSize;
      if (media.apply(i) != dataOut.apply(j)) {
        return miscompare(bytchk == 1 ? i : j, dxferLen);
      }
    }
    return good(Math.max(0, dxferLen - need));
  }

  // ---------------------------------------------------------------- WRITE SAME / UNMAP / SYNC

  private ScsiResponse writeSame(int op, ByteString cdb, ByteString dataOut, int dxferLen) {
    int b1 = u8(cdb, 1);
    boolean ws16 = op == WRITE_SAME_16;
    if ((b1 & 0xe0) != 0) {
      return invalidCdbField(1, 7, dxferLen);
    }
    if ((b1 & 0x10) != 0) {
      return invalidCdbField(1, 4, dxferLen); // ANCHOR
    }
    if (!ws16 && (b1 & 0x01) != 0) {
      return invalidCdbField(1, 0, dxferLen);
    }
    boolean unmap = (b1 & 0x08) != 0;
    boolean ndob = ws16 && (b1 & 0x01) != 0;
    long lba = cdbLba(op, cdb);
    long n = cdbBlocks(op, cdb);
    int lenField = lengthField(op);
    if (n == 0) {
      return invalidCdbField(lenField, -1, dxferLen); // WSNZ = 1
    }
    if (outOfRange(lba, n)) {
      return lbaOutOfRange(dxferLen);
    }
    if (unmap && !store.thin()) {
      return invalidCdbField(1, 3, dxferLen);
    }
    if (n > MAX_UNMAP_BLOCKS) {
      return invalidCdbField(lenField, -1, dxferLen);
    }
    ByteString pattern;
    if (ndob) {
      if (!dataOut.isEmpty()) {
        return dataOutMismatch(lenField, dxferLen);
      }
      pattern = ByteString.fromArrayUnsafe(new byte[blockSize]);
    } else {
      if (dataOut.size() != blockSize) {
        return dataOutMismatch(lenField, dxferLen);
      }
      pattern = dataOut;
    }
    if (softwareWriteProtect()) {
      return writeProtected(dxferLen);
    }
    try {
      synchronized (store) {
        if (unmap && Bytes.allZero(pattern)) {
          store.unmap(lba, n, blockSize);
        } else {
          store.writeSame(lba, n, pattern, blockSize);
        }
      }
      if (!writeCacheEnabled) {
        store.flush();
      }
    } catch (RamStore.SpaceExhaustedException e) {
      return spaceAllocationFailed(dxferLen);
    } catch (UncheckedIOException e) {
      return mediumError(true, lba, dxferLen);
    }
    return good(Math.max(0, dxferLen - dataOut.size()));
  }

  private ScsiResponse unmap(ByteString cdb, ByteString data, int dxferLen) {
    if (!store.thin()) {
      return checkCondition(Sense.illegalField(0x20, 0x00, true, 0, -1), dxferLen);
    }
    if ((u8(cdb, 1) & 0x01) != 0) {
      return invalidCdbField(1, 0, dxferLen); // ANCHOR
    }
    int plen = be16(cdb, 7);
    if (plen == 0) {
      return good(dxferLen);
    }
    if (data.size() != plen) {
      return dataOutMismatch(7, dxferLen);
    }
    if (plen < 8) {
      return paramListLengthError(dxferLen);
    }
    int bddl = be16(data, 2);
    int count = Math.min(bddl, plen - 8) / 16;
    if (count > MAX_UNMAP_DESCRIPTORS) {
      return invalidParamField(2, -1, dxferLen);
    }
    long total = 0;
    for (int i = 0; i < count; i++) {
      int d = 8 + 16 * i;
      long lba = be64(data, d);
      long n = be32(data, d + 8);
      if (outOfRange(lba, n)) {
        return lbaOutOfRange(dxferLen);
      }
      total += n;
      if (total > MAX_UNMAP_BLOCKS) {
        return invalidParamField(d + 8, -1, dxferLen);
      }
    }
    if (softwareWriteProtect()) {
      return writeProtected(dxferLen);
    }
    try {
      synchronized (store) {
        for (int i = 0; i < count; i++) {
          int d = 8 + 16 * i;
          store.unmap(be64(data, d), be32(data, d + 8), blockSize);
        }
      }
    } catch (UncheckedIOException e) {
      return mediumError(true, be64(data, 8), dxferLen);
    }
    return good(Math.max(0, dxferLen - plen));
  }

  private ScsiResponse synchronizeCache(int op, ByteString cdb, int dxferLen) {
    long lba = cdbLba(op, cdb);
    long n = cdbBlocks(op, cdb);
    if (outOfRange(lba, n)) {
      return lbaOutOfRange(dxferLen);
    }
    try {
      store.flush();
    } catch (UncheckedIOException e) {
      return mediumError(true, lba, dxferLen);
    }
    return good(dxferLen);
  }

  // ---------------------------------------------------------------- READ CAPACITY

  private ScsiResponse readCapacity10(ByteString cdb, int dxferLen) {
    boolean pmi = (u8(cdb, 8) & 0x01) != 0;
    if (!pmi && be32(cdb, 2) != 0) {
      return invalidCdbField(2, -1, dxferLen);
    }
    long last = blocks - 1;
    byte[] b = new byte[8];
    Bytes.put32(b, 0, last >= 0xffffffffL ? 0xffffffffL : last);
    Bytes.put32(b, 4, blockSize);
    return ScsiResponse.good(ByteString.fromArrayUnsafe(b), dxferLen);
  }

  private ScsiResponse serviceActionIn(ByteString cdb, int dxferLen) {
    int sa = u8(cdb, 1) & 0x1f;
    if (sa == Opcodes.SA_GET_LBA_STATUS) {
      return getLbaStatus(cdb, dxferLen);
    }
    if (sa != Opcodes.SA_READ_CAPACITY_16) {
      return invalidCdbField(1, 4, dxferLen);
    }
    long alloc = be32(cdb, 10);
    byte[] b = new byte[32];
    Bytes.put64(b, 0, blocks - 1);
    Bytes.put32(b, 8, blockSize);
    if (store.thin()) {
      b[14] = (byte) 0xc0; // LBPME, LBPRZ
    }
    return goodData(ByteString.fromArrayUnsafe(b), (int) Math.min(alloc, Integer.MAX_VALUE), dxferLen);
  }

  // ---------------------------------------------------------------- COMPARE AND WRITE / ORWRITE

  /**
   * COMPARE AND WRITE (SBC-3 5.2): the first half of the data-out is compared with the medium, and
   * only when every byte matches the second half is written; both under the store's monitor, so no
   * other write of this LUN lands in between. A miscompare writes nothing and answers MISCOMPARE
   * 1D/00 with INFORMATION = the offset of the first differing byte in the data-out.
   * cf. {@code ctl_cnw()}.
   */
  private ScsiResponse compareAndWrite(ByteString cdb, ByteString dataOut, int dxferLen) {
    int b1 = u8(cdb, 1);
    if ((b1 & 0xe0) != 0) {
      return invalidCdbField(1, 7, dxferLen); // WRPROTECT
    }
    long lba = be64(cdb, 2);
    int n = u8(cdb, 13);
    if (outOfRange(lba, n)) {
      return lbaOutOfRange(dxferLen);
    }
    if (n == 0) {
      return dataOut.isEmpty() ? good(dxferLen) : dataOutMismatch(13, dxferLen);
    }
    if (n > maxCompareBlocks) {
      return invalidCdbField(13, -1, dxferLen);
    }
    int half = n * blockSize;
    if (dataOut.size() != 2 * half) {
      return dataOutMismatch(13, dxferLen);
    }
    if (softwareWriteProtect()) {
      return writeProtected(dxferLen);
    }
    ByteString verify = dataOut.take(half);
    try {
      synchronized (store) {
        int at = firstDifference(store.read(lba, n, blockSize), verify);
        if (at >= 0) {
          return miscompare(at, dxferLen);
        }
        store.write(lba, dataOut.drop(half), blockSize);
      }
      if (!writeCacheEnabled || (b1 & 0x08) != 0) {
        store.flush(); // write-through or FUA
      }
    } catch (RamStore.SpaceExhaustedException e) {
      return spaceAllocationFailed(dxferLen);
    } catch (UncheckedIOException e) {
      return mediumError(true, lba, dxferLen);
    }
    return good(Math.max(0, dxferLen - 2 * half));
  }

  /** ORWRITE(16) (SBC-3 5.8): medium := medium OR data-out, as one step under the store's monitor. */
  private ScsiResponse orWrite(ByteString cdb, ByteString dataOut, int dxferLen) {
    int b1 = u8(cdb, 1);
    if ((b1 & 0xe0) != 0) {
      return invalidCdbField(1, 7, dxferLen); // ORPROTECT
    }
    long lba = cdbLba(ORWRITE_16, cdb);
    long n = cdbBlocks(ORWRITE_16, cdb);
    ScsiResponse bad = rangeCheck(lba, n, 10, dxferLen);
    if (bad != null) {
      return bad;
    }
    int need = (int) n * blockSize;
    if (dataOut.size() != need) {
      return dataOutMismatch(10, dxferLen);
    }
    if (softwareWriteProtect()) {
      return writeProtected(dxferLen);
    }
    try {
      synchronized (store) {
        byte[] m = store.read(lba, (int) n, blockSize).toArray();
        java.nio.ByteBuffer d = dataOut.asByteBuffer();
        for (int i = 0; i < need; i++) {
          m[i] |= d.get(d.position() + i);
        }
        store.write(lba, ByteString.fromArrayUnsafe(m), blockSize);
      }
      if (!writeCacheEnabled || (b1 & 0x08) != 0) {
        store.flush();
      }
    } catch (RamStore.SpaceExhaustedException e) {
      return spaceAllocationFailed(dxferLen);
    } catch (UncheckedIOException e) {
      return mediumError(true, lba, dxferLen);
    }
    return good(Math.max(0, dxferLen - need));
  }

  /**
   * WRITE AND VERIFY(10/12/16) (SBC-3 5.41-5.43): written through to the medium (as FUA), then
   * BYTCHK 00b verifies the medium (always readable here) and 01b compares it with the data-out.
   */
  private ScsiResponse writeAndVerify(int op, ByteString cdb, ByteString dataOut, int dxferLen) {
    int b1 = u8(cdb, 1);
    if ((b1 & 0xe0) != 0) {
      return invalidCdbField(1, 7, dxferLen); // WRPROTECT
    }
    int bytchk = (b1 >>> 1) & 0x03;
    if (bytchk > 1) {
      return invalidCdbField(1, 2, dxferLen);
    }
    return writeBlocks(op, cdb, dataOut, dxferLen, true, bytchk == 1);
  }

  /**
   * WRITE ATOMIC(16) (SBC-4 5.48): every write of this LUN is one store operation under the store's
   * monitor, so all of it or none of it is seen; the only extra rule is the length limit of VPD
   * 0xB0 (MAXIMUM ATOMIC TRANSFER LENGTH; no alignment or granularity restrictions).
   */
  private ScsiResponse writeAtomic(ByteString cdb, ByteString dataOut, int dxferLen) {
    int b1 = u8(cdb, 1);
    if ((b1 & 0xe0) != 0) {
      return invalidCdbField(1, 7, dxferLen); // WRPROTECT
    }
    if (be16(cdb, 12) > maxAtomicBlocks) {
      return invalidCdbField(12, -1, dxferLen);
    }
    return writeBlocks(WRITE_ATOMIC_16, cdb, dataOut, dxferLen, (b1 & 0x08) != 0, false);
  }

  // ---------------------------------------------------------------- PRE-FETCH / GET LBA STATUS

  /**
   * PRE-FETCH(10/16) (SBC-3 5.9): the blocks already are where a cache would put them; the answer
   * is GOOD (SBC: the cache could not hold them all) rather than CONDITION MET, which initiators
   * such as libiscsi's test suite take as a failure. IMMED changes nothing: it completes at once.
   */
  private ScsiResponse preFetch(int op, ByteString cdb, int dxferLen) {
    if (outOfRange(cdbLba(op, cdb), cdbBlocks(op, cdb))) {
      return lbaOutOfRange(dxferLen);
    }
    return good(dxferLen);
  }

  /**
   * GET LBA STATUS (SBC-3 5.5): from the starting LBA, one descriptor per run of blocks that are
   * all mapped (0) or all deallocated (1), coalesced by the store ({@link BackingStore#extent}), as
   * many as the allocation length holds (at least one, cut to it), until the end of the LUN.
   */
  private ScsiResponse getLbaStatus(ByteString cdb, int dxferLen) {
    long lba = be64(cdb, 2);
    long alloc = be32(cdb, 10);
    long cap = blocks;
    if (lba < 0 || lba >= cap) {
      return lbaOutOfRange(dxferLen);
    }
    int max = (int) Math.max(1, Math.min(MAX_LBA_STATUS_DESCRIPTORS, (alloc - 8) / 16));
    byte[] b = new byte[8 + 16 * max];
    int count = 0;
    long at = lba;
    try {
      while (count < max && at < cap) {
        long want = Math.min(cap - at, 0xffffffffL);
        BackingStore.Extent e = store.extent(at, want, blockSize);
        long n = Math.max(1, Math.min(e.blocks(), want));
        int d = 8 + 16 * count;
        Bytes.put64(b, d, at);
        Bytes.put32(b, d + 8, n);
        b[d + 12] = (byte) (e.mapped() ? 0 : 1); // PROVISIONING STATUS: mapped / deallocated
        at += n;
        count++;
      }
    } catch (UncheckedIOException e) {
      return mediumError(false, lba, dxferLen);
    }
    Bytes.put32(b, 0, 4 + 16L * count); // PARAMETER DATA LENGTH
    ByteString data = ByteString.fromArrayUnsafe(b).take(8 + 16 * count);
    return goodData(data, (int) Math.min(alloc, Integer.MAX_VALUE), dxferLen);
  }

  // ---------------------------------------------------------------- FORMAT UNIT / READ DEFECT DATA

  /**
   * FORMAT UNIT (SBC-3 5.3): the whole medium is deallocated (a thin store frees it, a file is
   * zeroed), so it reads back zeros. FMTDATA = 1 takes the short or long (LONGLIST) header with
   * FOV options accepted and ignored; protection information, initialization patterns and defect
   * lists (there are no defects) are refused. IMMED is moot: the format completes before the status.
   */
  private ScsiResponse formatUnit(ByteString cdb, ByteString dataOut, int dxferLen) {
    int b1 = u8(cdb, 1);
    if ((b1 & 0xc0) != 0) {
      return invalidCdbField(1, 7, dxferLen); // FMTPINFO: no protection information
    }
    boolean fmtData = (b1 & 0x10) != 0;
    if (!fmtData) {
      if (!dataOut.isEmpty()) {
        return invalidCdbField(1, 4, dxferLen);
      }
    } else {
      boolean longList = (b1 & 0x20) != 0;
      int hdr = longList ? 8 : 4;
      if (dataOut.size() < hdr) {
        return paramListLengthError(dxferLen);
      }
      if ((u8(dataOut, 0) & 0x07) != 0) {
        return invalidParamField(0, 2, dxferLen); // PROTECTION FIELD USAGE
      }
      int options = u8(dataOut, 1);
      if ((options & 0x80) == 0 && (options & 0x7c) != 0) {
        return invalidParamField(1, 6, dxferLen); // DPRY/DCRT/STPF/IP without FOV
      }
      if ((options & 0x08) != 0) {
        return invalidParamField(1, 3, dxferLen); // IP: no initialization pattern
      }
      long defects = longList ? be32(dataOut, 4) : be16(dataOut, 2);
      if (defects != 0) {
        return invalidParamField(longList ? 4 : 2, -1, dxferLen);
      }
      if (dataOut.size() != hdr) {
        return paramListLengthError(dxferLen);
      }
    }
    if (softwareWriteProtect()) {
      return writeProtected(dxferLen);
    }
    try {
      synchronized (store) {
        store.unmap(0, blocks, blockSize);
      }
      store.flush();
    } catch (UncheckedIOException e) {
      return mediumError(true, 0, dxferLen);
    }
    return good(Math.max(0, dxferLen - dataOut.size()));
  }

  /**
   * SANITIZE (SBC-3 5.30), completed before the status (so never "in progress", 04/1B, and IMMED
   * changes nothing; a sanitize that cannot fail leaves no failure mode, so EXIT FAILURE MODE is
   * GOOD). OVERWRITE writes the initialization pattern (1 to block-size bytes, repeated through each
   * block; OVERWRITE COUNT must not be 0) to every block. BLOCK ERASE and CRYPTOGRAPHIC ERASE
   * deallocate every block: offered on thin stores only (LBPME, as libiscsi requires), where blocks
   * read zeros afterwards (VPD 0xB1 WABEREQ/WACEREQ 01b). Reserved service actions, reserved CDB
   * bits and bytes, and parameter lists that do not fit their service action are INVALID FIELD IN
   * CDB.
   */
  private ScsiResponse sanitize(ByteString cdb, ByteString dataOut, int dxferLen) {
    int b1 = u8(cdb, 1);
    int sa = b1 & 0x1f;
    int plen = be16(cdb, 7);
    if ((b1 & 0x40) != 0) {
      return invalidCdbField(1, 6, dxferLen);
    }
    for (int i = 2; i <= 6; i++) {
      if (u8(cdb, i) != 0) {
        return invalidCdbField(i, -1, dxferLen); // reserved
      }
    }
    if (dataOut.size() < plen) {
      return paramListLengthError(dxferLen);
    }
    ByteString pattern = null;
    switch (sa) {
      case 0x01: { // OVERWRITE
        if (plen < 5 || plen > blockSize + 4) {
          return invalidCdbField(7, -1, dxferLen);
        }
        int ipl = be16(dataOut, 2);
        if ((u8(dataOut, 0) & 0x1f) == 0) {
          return invalidParamField(0, 4, dxferLen); // OVERWRITE COUNT 0
        }
        if (ipl == 0 || ipl > blockSize || ipl + 4 != plen) {
          return invalidParamField(2, -1, dxferLen);
        }
        byte[] block = new byte[blockSize];
        for (int i = 0; i < blockSize; i++) {
          block[i] = dataOut.apply(4 + i % ipl);
        }
        pattern = ByteString.fromArrayUnsafe(block);
        break;
      }
      case 0x02: // BLOCK ERASE
      case 0x03: // CRYPTOGRAPHIC ERASE
        if (!store.thin()) {
          return invalidCdbField(1, 4, dxferLen);
        }
        if (plen != 0) {
          return invalidCdbField(7, -1, dxferLen);
        }
        break;
      case 0x1f: // EXIT FAILURE MODE
        return plen != 0 ? invalidCdbField(7, -1, dxferLen) : good(dxferLen);
      default:
        return invalidCdbField(1, 4, dxferLen);
    }
    if (softwareWriteProtect()) {
      return writeProtected(dxferLen);
    }
    try {
      synchronized (store) {
        if (pattern == null) {
          store.unmap(0, blocks, blockSize);
        } else {
          store.writeSame(0, blocks, pattern, blockSize);
        }
      }
      store.flush();
    } catch (RamStore.SpaceExhaustedException e) {
      return spaceAllocationFailed(dxferLen);
    } catch (UncheckedIOException e) {
      return mediumError(true, 0, dxferLen);
    }
    return good(Math.max(0, dxferLen - plen));
  }

  /**
   * READ DEFECT DATA(10/12) (SBC-3 5.12/5.13): both lists are empty. The header echoes the
   * requested lists (PLISTV/GLISTV) and format; the block (000b, 011b), bytes-from-index (100b) and
   * physical-sector (101b) formats are known, the others answer INVALID FIELD IN CDB at the format.
   */
  private ScsiResponse readDefectData(int op, ByteString cdb, int dxferLen) {
    boolean twelve = op == READ_DEFECT_DATA_12;
    int at = twelve ? 1 : 2;
    int req = u8(cdb, at);
    int format = req & 0x07;
    if (format != 0 && format != 3 && format != 4 && format != 5) {
      return invalidCdbField(at, 2, dxferLen);
    }
    long alloc = twelve ? be32(cdb, 6) : be16(cdb, 7);
    byte[] b = new byte[twelve ? 8 : 4];
    b[1] = (byte) (req & 0x1f); // PLISTV, GLISTV, DEFECT LIST FORMAT; DEFECT LIST LENGTH 0
    return goodData(ByteString.fromArrayUnsafe(b), (int) Math.min(alloc, Integer.MAX_VALUE), dxferLen);
  }

  /**
   * Writes {@code data} at {@code lba} for the copy manager (a segment of an EXTENDED COPY naming
   * this LUN as destination), atomically against this LUN's other writers.
   *
   * @throws UncheckedIOException when the store fails (the copy is aborted)
   */
  void copyIn(long lba, ByteString data) {
    synchronized (store) {
      store.write(lba, data, blockSize);
    }
    if (!writeCacheEnabled) {
      store.flush();
    }
  }

  /** The copy manager of this LUN (EXTENDED COPY, RECEIVE COPY RESULTS, VPD 0x8F). */
  CopyManager copyManager() {
    return copies;
  }

  /** MAXIMUM COMPARE AND WRITE LENGTH of VPD 0xB0. */
  public int maxCompareAndWriteBlocks() {
    return maxCompareBlocks;
  }

  // ---------------------------------------------------------------- START STOP / PREVENT

  private ScsiResponse startStop(ByteString cdb, int dxferLen, int initiatorId) {
    int b4 = u8(cdb, 4);
    if ((b4 >>> 4) != 0) {
      return good(dxferLen); // power condition change: accepted, no effect here
    }
    boolean loej = (b4 & 0x02) != 0;
    boolean start = (b4 & 0x01) != 0;
    if (loej) {
      if (!spec.removable()) {
        return invalidCdbField(4, 1, dxferLen);
      }
      if (!start) {
        if (isRemovalPrevented()) {
          return checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x53, 0x02), dxferLen);
        }
        setStarted(false);
        setMediumPresent(false);
        return good(dxferLen);
      }
      if (!isMediumPresent()) {
        setMediumPresent(true);
        postUnitAttention(0x28, 0x00, initiatorId);
      }
      setStarted(true);
      return good(dxferLen);
    }
    if (start && !isMediumPresent()) {
      return checkCondition(Sense.fixed(Sense.NOT_READY, 0x3a, 0x00), dxferLen);
    }
    setStarted(start);
    return good(dxferLen);
  }

  private ScsiResponse preventAllow(ByteString cdb, int dxferLen, int initiatorId) {
    int p = u8(cdb, 4) & 0x03;
    if (p > 1) {
      return invalidCdbField(4, 1, dxferLen);
    }
    setPrevent(initiatorId, p == 1);
    return good(dxferLen);
  }

  // ---------------------------------------------------------------- VPD

  @Override
  protected int[] extraVpdPages() {
    return new int[] {0x8f, 0xb0, 0xb1, 0xb2};
  }

  @Override
  protected byte[] vpdPage(int page) {
    boolean thin = store.thin();
    switch (page) {
      case 0x8f: {
        byte[] b = copies.thirdPartyCopyPage();
        b[0] = (byte) peripheralByte();
        return b;
      }
      case 0xb0: {
        byte[] b = new byte[64];
        b[0] = (byte) peripheralByte();
        b[1] = (byte) 0xb0;
        Bytes.put16(b, 2, 0x3c);
        b[4] = 0x01; // WSNZ
        b[5] = (byte) maxCompareBlocks; // MAXIMUM COMPARE AND WRITE LENGTH
        Bytes.put16(b, 6, 1);
        Bytes.put32(b, 8, maxTransferBlocks);
        Bytes.put32(b, 12, maxTransferBlocks);
        if (thin) {
          Bytes.put32(b, 20, MAX_UNMAP_BLOCKS);
          Bytes.put32(b, 24, MAX_UNMAP_DESCRIPTORS);
          Bytes.put32(b, 28, Math.max(1, RamStore.CHUNK / blockSize));
        }
        Bytes.put64(b, 36, MAX_UNMAP_BLOCKS);
        Bytes.put32(b, 44, maxAtomicBlocks); // MAXIMUM ATOMIC TRANSFER LENGTH; alignment, granularity 0
        return b;
      }
      case 0xb1: {
        byte[] b = new byte[64];
        b[0] = (byte) peripheralByte();
        b[1] = (byte) 0xb1;
        Bytes.put16(b, 2, 0x3c);
        int rpm = spec.rotationRate();
        Bytes.put16(b, 4, rpm == 0 ? 1 : rpm);
        b[7] = (byte) (rpm == 0 ? 0x03 : 0x02); // 2.5" SSD, 3.5" HDD
        if (thin) {
          b[7] |= 0x50; // WABEREQ, WACEREQ 01b: reads after BLOCK/CRYPTOGRAPHIC ERASE return data
        }
        return b;
      }
      case 0xb2: {
        byte[] b = new byte[8];
        b[0] = (byte) peripheralByte();
        b[1] = (byte) 0xb2;
        Bytes.put16(b, 2, 4);
        if (thin) {
          b[5] = (byte) (0x80 | 0x40 | 0x20 | 0x04); // LBPU, LBPWS, LBPWS10, LBPRZ
          b[6] = 0x02; // thin provisioned
        }
        return b;
      }
      default:
        return super.vpdPage(page);
    }
  }
}
