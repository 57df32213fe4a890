package org.camstack.stack.target;

import static org.camstack.stack.scsi.Bytes.be16;
import static org.camstack.stack.scsi.Bytes.be32;
import static org.camstack.stack.scsi.Bytes.be64;
import static org.camstack.stack.scsi.Bytes.u8;
import static org.camstack.stack.scsi.Opcodes.PREVENT_ALLOW;
import static org.camstack.stack.scsi.Opcodes.READ_10;
import static org.camstack.stack.scsi.Opcodes.READ_12;
import static org.camstack.stack.scsi.Opcodes.READ_16;
import static org.camstack.stack.scsi.Opcodes.READ_6;
import static org.camstack.stack.scsi.Opcodes.READ_CAPACITY_10;
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
 * VERIFY(10/12/16), SYNCHRONIZE CACHE(10/16), WRITE SAME(10/16) with UNMAP, UNMAP, READ
 * CAPACITY(10/16), START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL, mode pages 0x01 (read-write error
 * recovery), 0x08 (caching) and 0x0A (control), VPD 0xB0/0xB1/0xB2; plus the SPC set of {@link
 * EmuDevice}. Blocks live in a {@link BackingStore}.
 *
 * <p>cf. sys/cam/ctl/ctl.c ({@code ctl_read_write}, {@code ctl_read_capacity_16}, {@code
 * ctl_unmap}, {@code ctl_write_same}, {@code ctl_start_stop}) and the scsi_debug {@code resp_*}
 * handlers.
 */
public class EmuDisk extends EmuDevice {

  /** Largest single transfer, bytes (VPD 0xB0 MAXIMUM TRANSFER LENGTH = this / block size). */
  public static final int MAX_TRANSFER_BYTES = 16 << 20;
  /** VPD 0xB0 MAXIMUM UNMAP LBA COUNT and MAXIMUM WRITE SAME LENGTH. */
  public static final long MAX_UNMAP_BLOCKS = 0x400000L;
  /** VPD 0xB0 MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT. */
  public static final int MAX_UNMAP_DESCRIPTORS = 256;

  private final BackingStore store;
  private final int blockSize;
  private final int maxTransferBlocks;
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
    supports(WRITE_SAME_10, rw | F_WRITE);
    supports(WRITE_SAME_16, rw | F_WRITE);
    supports(UNMAP, F_READY | F_WRITE);
    supports(SYNCHRONIZE_CACHE_10, F_READY);
    supports(SYNCHRONIZE_CACHE_16, F_READY);
    supports(READ_CAPACITY_10, F_READY | F_RES_OK);
    supports(SERVICE_ACTION_IN_16, F_READY | F_RES_OK);
    supports(SERVICE_ACTION_IN_16, Opcodes.SA_READ_CAPACITY_16, F_READY | F_RES_OK); // listed by RSOC
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

  /** CDB byte of the transfer-length field, for field pointers. */
  private static int lengthField(int op) {
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

  private boolean outOfRange(long lba, long n) {
    long cap = blocks;
    return lba < 0 || n > cap || lba > cap - n;
  }

  private ScsiResponse writeProtected(int dxferLen) {
    return checkCondition(Sense.fixed(Sense.DATA_PROTECT, 0x27, 0x02), dxferLen);
  }

  /** A thin LUN whose backing memory is exhausted (SBC-3: 27/07 SPACE ALLOCATION FAILED WRITE PROTECT). */
  private ScsiResponse spaceAllocationFailed(int dxferLen) {
    return checkCondition(Sense.fixed(Sense.DATA_PROTECT, 0x27, 0x07), dxferLen);
  }

  private ScsiResponse mediumError(boolean write, long lba, int dxferLen) {
    return checkCondition(Sense.fixedWithInfo(Sense.MEDIUM_ERROR, write ? 0x0c : 0x11, 0x00, lba), dxferLen);
  }

  // ---------------------------------------------------------------- READ / WRITE

  private ScsiResponse read(int op, ByteString cdb, int dxferLen) {
    if (op != READ_6 && (u8(cdb, 1) & 0xe0) != 0) {
      return invalidCdbField(1, 7, dxferLen); // RDPROTECT: no protection information
    }
    long lba = cdbLba(op, cdb);
    long n = cdbBlocks(op, cdb);
    if (outOfRange(lba, n)) {
      return lbaOutOfRange(dxferLen);
    }
    if (n == 0) {
      return good(dxferLen);
    }
    if (n > maxTransferBlocks) {
      return invalidCdbField(lengthField(op), -1, dxferLen);
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
    long lba = cdbLba(op, cdb);
    long n = cdbBlocks(op, cdb);
    if (outOfRange(lba, n)) {
      return lbaOutOfRange(dxferLen);
    }
    if (n == 0) {
      return good(dxferLen);
    }
    if (n > maxTransferBlocks) {
      return invalidCdbField(lengthField(op), -1, dxferLen);
    }
    int need = (int) n * blockSize;
    if (dataOut.size() != need) {
      return dataOutMismatch(lengthField(op), dxferLen);
    }
    if (softwareWriteProtect()) {
      return writeProtected(dxferLen);
    }
    try {
      store.write(lba, dataOut, blockSize);
      if (!writeCacheEnabled || (op != WRITE_6 && (b1 & 0x08) != 0)) {
        store.flush(); // write-through or FUA
      }
    } catch (RamStore.SpaceExhaustedException e) {
      return spaceAllocationFailed(dxferLen);
    } catch (UncheckedIOException e) {
      return mediumError(true, lba, dxferLen);
    }
    return good(Math.max(0, dxferLen - need));
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
        return checkCondition(Sense.fixedWithInfo(Sense.MISCOMPARE, 0x1d, 0x00, bytchk == 1 ? i : j), dxferLen);
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
      if (unmap && Bytes.allZero(pattern)) {
        store.unmap(lba, n, blockSize);
      } else {
        store.writeSame(lba, n, pattern, blockSize);
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
      for (int i = 0; i < count; i++) {
        int d = 8 + 16 * i;
        store.unmap(be64(data, d), be32(data, d + 8), blockSize);
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
    if ((u8(cdb, 1) & 0x1f) != Opcodes.SA_READ_CAPACITY_16) {
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
    return new int[] {0xb0, 0xb1, 0xb2};
  }

  @Override
  protected byte[] vpdPage(int page) {
    boolean thin = store.thin();
    switch (page) {
      case 0xb0: {
        byte[] b = new byte[64];
        b[0] = (byte) peripheralByte();
        b[1] = (byte) 0xb0;
        Bytes.put16(b, 2, 0x3c);
        b[4] = 0x01; // WSNZ
        Bytes.put16(b, 6, 1);
        Bytes.put32(b, 8, maxTransferBlocks);
        Bytes.put32(b, 12, maxTransferBlocks);
        if (thin) {
          Bytes.put32(b, 20, MAX_UNMAP_BLOCKS);
          Bytes.put32(b, 24, MAX_UNMAP_DESCRIPTORS);
          Bytes.put32(b, 28, Math.max(1, RamStore.CHUNK / blockSize));
        }
        Bytes.put64(b, 36, MAX_UNMAP_BLOCKS);
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
