package org.camstack.stack.target;

import static org.camstack.stack.scsi.Bytes.be16;
import static org.camstack.stack.scsi.Bytes.be32;
import static org.camstack.stack.scsi.Bytes.be64;
import static org.camstack.stack.scsi.Bytes.u8;

import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.Sense;

/**
 * The copy manager of one disk LUN (SPC-4 6.4 and 6.18): EXTENDED COPY (LID1, 83h/00h) with
 * identification CSCD descriptors (E4h) naming LUNs of this node by their VPD 0x83 NAA designator
 * and block-to-block segment descriptors (02h); RECEIVE COPY RESULTS (84h) COPY STATUS (00h),
 * OPERATING PARAMETERS (03h) and FAILED SEGMENT DETAILS (04h); the third-party copy VPD page 0x8F
 * advertising both.
 *
 * <p>A copy runs to completion inside the EXTENDED COPY command (no background copies), segment by
 * segment in runs of at most 1 MiB; each run is written with the destination's {@link
 * EmuDisk#copyIn}, atomically against that LUN's other writers. A CSCD is found in this LUN, then
 * in the LUNs of its target, then through the {@link TargetInventory} the target is published in.
 *
 * <p>Checks, in order (cf. {@code ctl_extended_copy_lid1()} and {@code tpc_process()} in
 * sys/cam/ctl/ctl_tpc.c): parameter list length (1A/00); descriptor lists longer than the maximum
 * descriptor list length (1A/00); too many CSCD (26/06) or segment (26/08) descriptors; inline data
 * (26/00); unsupported CSCD (26/07) or segment (26/09) descriptor type codes. LU ID TYPE is
 * ignored, as SPC-4 says (libiscsi expects GOOD from an SPC-4 target for a reserved one). Then each
 * segment runs: a NUL or unknown CSCD, a bad CSCD index, a range beyond a
 * LUN's capacity, a LUN not ready or write protected, or a store failure end the copy with COPY
 * ABORTED (0D/02 COPY TARGET DEVICE NOT REACHABLE, 08/04 UNREACHABLE COPY TARGET for a CSCD that
 * names no LUN) and the failed segment's index in COMMAND-SPECIFIC INFORMATION.
 *
 * <p>Results of a list whose LIST ID USAGE is 00b or 01b are held per I_T nexus and list identifier
 * until an initiator retrieves them (COPY STATUS or FAILED SEGMENT DETAILS), at most {@link
 * #HELD_LISTS} per LUN (the oldest goes first). Thread-safe: lists are held under this object's
 * monitor.
 */
final class CopyManager {
  /** MAXIMUM CSCD DESCRIPTOR COUNT. */
  static final int MAX_CSCDS = 8;
  /** MAXIMUM SEGMENT DESCRIPTOR COUNT. */
  static final int MAX_SEGMENTS = 16;
  /** MAXIMUM DESCRIPTOR LIST LENGTH: exactly the largest lists of 32-byte CSCDs and 02h segments. */
  static final int MAX_LIST_LENGTH = MAX_CSCDS * 32 + MAX_SEGMENTS * 28;
  /** Held copy results per LUN. */
  static final int HELD_LISTS = 64;
  /** TOTAL CONCURRENT COPIES and MAXIMUM IDENTIFIED CONCURRENT COPIES. */
  static final int CONCURRENT_COPIES = 16;

  private static final int HEADER = 16;
  private static final int CSCD_IDENTIFICATION = 0xe4;
  private static final int SEG_BLOCK_TO_BLOCK = 0x02;
  private static final int RUN_BYTES = 1 << 20;

  /** Copy manager status of COPY STATUS (SPC-3 7.17.3). */
  private static final int COMPLETED_GOOD = 0x01;
  private static final int COMPLETED_ERROR = 0x02;

  /** The held outcome of one copy. */
  private record Held(int status, int segments, long bytes, ByteString sense) {}

  private record Key(int initiator, int listId) {}

  /** A copy failure: the COPY ABORTED sense for segment {@code segment}. */
  private static final class Aborted extends Exception {
    private static final long serialVersionUID = 1L;
    final int segment;
    final int asc;
    final int ascq;

    Aborted(int segment, int asc, int ascq) {
      super(null, null, false, false);
      this.segment = segment;
      this.asc = asc;
      this.ascq = ascq;
    }
  }

  private final EmuDisk disk;
  private final Map<Key, Held> held = new LinkedHashMap<>(); // guarded by this

  CopyManager(EmuDisk disk) {
    this.disk = disk;
  }

  // ---------------------------------------------------------------- EXTENDED COPY

  ScsiResponse extendedCopy(ByteString cdb, ByteString data, int dxferLen, int initiatorId) {
    if ((u8(cdb, 1) & 0x1f) != 0) {
      return disk.invalidCdbField(1, 4, dxferLen); // only LID1
    }
    long plen = be32(cdb, 10);
    if (plen == 0) {
      return EmuDevice.good(dxferLen);
    }
    if (data.size() != plen) {
      return disk.dataOutMismatch(10, dxferLen);
    }
    if (plen < HEADER) {
      return disk.paramListLengthError(dxferLen);
    }
    int listId = u8(data, 0);
    int usage = (u8(data, 1) >>> 3) & 0x03;
    int cscdLen = be16(data, 2);
    long segLen = be32(data, 8);
    long inlineLen = be32(data, 12);
    if (HEADER + cscdLen + segLen + inlineLen > plen) {
      return disk.paramListLengthError(dxferLen);
    }
    if (cscdLen + segLen > MAX_LIST_LENGTH) {
      return disk.paramListLengthError(dxferLen);
    }
    if (cscdLen / 32 > MAX_CSCDS) {
      return disk.checkCondition(Sense.illegalField(0x26, 0x06, false, 2, -1), dxferLen);
    }
    int segStart = HEADER + cscdLen;
    int segEnd = segStart + (int) segLen;
    int segCount = 0;
    for (int p = segStart; p < segEnd; segCount++) {
      if (p + 4 > segEnd) {
        return disk.paramListLengthError(dxferLen);
      }
      p += 4 + be16(data, p + 2);
      if (p > segEnd) {
        return disk.paramListLengthError(dxferLen);
      }
    }
    if (segCount > MAX_SEGMENTS) {
      return disk.checkCondition(Sense.illegalField(0x26, 0x08, false, 8, -1), dxferLen);
    }
    if (inlineLen != 0) {
      return disk.invalidParamField(12, -1, dxferLen); // MAXIMUM INLINE DATA LENGTH is 0
    }
    if (usage == 3 && listId != 0) {
      return disk.invalidParamField(0, -1, dxferLen); // no list identifier, yet one given
    }
    if (cscdLen % 32 != 0) {
      return disk.paramListLengthError(dxferLen);
    }
    int cscds = cscdLen / 32;
    for (int i = 0; i < cscds; i++) {
      int d = HEADER + 32 * i;
      if (u8(data, d) != CSCD_IDENTIFICATION) {
        return disk.checkCondition(Sense.illegalField(0x26, 0x07, false, d, -1), dxferLen);
      }
    }
    for (int p = segStart; p < segEnd; p += 4 + be16(data, p + 2)) {
      if (u8(data, p) != SEG_BLOCK_TO_BLOCK) {
        return disk.checkCondition(Sense.illegalField(0x26, 0x09, false, p, -1), dxferLen);
      }
      if (be16(data, p + 2) != 0x18) {
        return disk.invalidParamField(p + 2, -1, dxferLen);
      }
    }
    // the list is valid: run it
    int done = 0;
    long bytes = 0;
    Aborted failure = null;
    int seg = 0;
    for (int p = segStart; p < segEnd; p += 28, seg++) {
      try {
        bytes += runSegment(data, p, seg, cscds);
        done++;
      } catch (Aborted a) {
        failure = a;
        break;
      }
    }
    ByteString sense = failure == null ? null : copyAborted(failure);
    if (usage == 0 || usage == 1) {
      hold(new Key(initiatorId, listId), new Held(failure == null ? COMPLETED_GOOD : COMPLETED_ERROR, done, bytes, sense));
    }
    if (failure != null) {
      return disk.checkCondition(sense, dxferLen);
    }
    return EmuDevice.good(Math.max(0, dxferLen - (int) plen));
  }

  /** Runs one block-to-block segment at {@code p}; the bytes copied. */
  private long runSegment(ByteString data, int p, int seg, int cscds) throws Aborted {
    int src = be16(data, p + 4);
    int dst = be16(data, p + 6);
    boolean dc = (u8(data, p + 1) & 0x02) != 0;
    long n = be16(data, p + 10);
    long srcLba = be64(data, p + 12);
    long dstLba = be64(data, p + 20);
    EmuDisk from = resolve(data, src, cscds, seg);
    EmuDisk to = resolve(data, dst, cscds, seg);
    int bs = from.blockSize();
    if (to.blockSize() != bs) {
      throw new Aborted(seg, 0x0d, 0x02); // block-to-block between equal block sizes only
    }
    if (n == 0) {
      return 0;
    }
    if (dc) {
      n = n * to.blockSize() / bs;
    }
    if (!inRange(from, srcLba, n) || !inRange(to, dstLba, n)) {
      throw new Aborted(seg, 0x0d, 0x02);
    }
    if (from.notReadySense() != null || to.notReadySense() != null || to.softwareWriteProtect()) {
      throw new Aborted(seg, 0x0d, 0x02);
    }
    int perRun = Math.max(1, RUN_BYTES / bs);
    long copied = 0;
    try {
      while (copied < n) {
        int k = (int) Math.min(perRun, n - copied);
        ByteString run = from.store().read(srcLba + copied, k, bs);
        to.copyIn(dstLba + copied, run);
        copied += k;
      }
    } catch (UncheckedIOException e) {
      throw new Aborted(seg, 0x0d, 0x02);
    }
    return copied * bs;
  }

  private static boolean inRange(EmuDisk d, long lba, long n) {
    long cap = d.blocks();
    return lba >= 0 && n <= cap && lba <= cap - n;
  }

  /** The disk CSCD {@code index} names; COPY ABORTED when it cannot be reached. */
  private EmuDisk resolve(ByteString data, int index, int cscds, int seg) throws Aborted {
    if (index >= cscds) {
      throw new Aborted(seg, 0x08, 0x04);
    }
    int d = HEADER + 32 * index;
    int b1 = u8(data, d + 1);
    if ((b1 & 0x20) != 0 || (b1 & 0x1f) != 0) {
      throw new Aborted(seg, 0x0d, 0x02); // NUL, or not a block device
    }
    int association = (u8(data, d + 5) >>> 4) & 0x03;
    int type = u8(data, d + 5) & 0x0f;
    int len = u8(data, d + 7);
    if (association != 0 || type != 3 || len != 8) {
      throw new Aborted(seg, 0x08, 0x04); // only LU NAA designators name LUNs here
    }
    long naa = be64(data, d + 8);
    long blockLength = Bytes.be24(data, d + 29);
    EmuDevice found = findByNaa(naa);
    if (!(found instanceof EmuDisk t)) {
      throw new Aborted(seg, 0x08, 0x04);
    }
    if (blockLength != 0 && blockLength != t.blockSize()) {
      throw new Aborted(seg, 0x0d, 0x02);
    }
    return t;
  }

  /** This LUN, a LUN of its target, or one of the node's through the inventory; null if none. */
  EmuDevice findByNaa(long naa) {
    if (disk.spec().wwnValue() == naa) {
      return disk;
    }
    EmuTarget t = disk.target();
    if (t == null) {
      return null;
    }
    for (EmuDevice d : t.luns().values()) {
      if (d.spec().wwnValue() == naa) {
        return d;
      }
    }
    TargetInventory inv = t.inventory();
    return inv == null ? null : inv.lunByNaa(naa);
  }

  /** COPY ABORTED with the failed segment in COMMAND-SPECIFIC INFORMATION (SPC-4 6.4.4). */
  private static ByteString copyAborted(Aborted a) {
    byte[] b = Sense.fixed(Sense.COPY_ABORTED, a.asc, a.ascq).toArray();
    Bytes.put32(b, 8, a.segment);
    return ByteString.fromArrayUnsafe(b);
  }

  private synchronized void hold(Key k, Held h) {
    held.remove(k);
    held.put(k, h);
    Iterator<Key> it = held.keySet().iterator();
    while (held.size() > HELD_LISTS && it.hasNext()) {
      it.next();
      it.remove();
    }
  }

  private synchronized Held take(Key k) {
    return held.remove(k);
  }

  /** Lists held for retrieval (tests). */
  synchronized int heldLists() {
    return held.size();
  }

  // ---------------------------------------------------------------- RECEIVE COPY RESULTS

  ScsiResponse receiveCopyResults(ByteString cdb, int dxferLen, int initiatorId) {
    int sa = u8(cdb, 1) & 0x1f;
    int listId = u8(cdb, 2);
    int alloc = (int) Math.min(be32(cdb, 10), Integer.MAX_VALUE);
    switch (sa) {
      case 0x00: { // COPY STATUS
        Held h = take(new Key(initiatorId, listId));
        if (h == null) {
          return disk.invalidCdbField(2, -1, dxferLen);
        }
        byte[] b = new byte[12];
        Bytes.put32(b, 0, 8);
        b[4] = (byte) h.status;
        Bytes.put16(b, 5, h.segments);
        long count = h.bytes;
        int units = 0;
        while (count > 0xffffffffL) {
          count >>>= 10; // KiB, MiB, ... (TRANSFER COUNT UNITS 01h, 02h, ...)
          units++;
        }
        b[7] = (byte) units;
        Bytes.put32(b, 8, count);
        return EmuDevice.goodData(ByteString.fromArrayUnsafe(b), alloc, dxferLen);
      }
      case 0x03: // OPERATING PARAMETERS
        return EmuDevice.goodData(ByteString.fromArrayUnsafe(operatingParameters()), alloc, dxferLen);
      case 0x04: { // FAILED SEGMENT DETAILS
        Held h = take(new Key(initiatorId, listId));
        if (h == null) {
          return disk.invalidCdbField(2, -1, dxferLen);
        }
        ByteString sense = h.sense == null ? ByteString.emptyByteString() : h.sense;
        byte[] b = new byte[h.sense == null ? 4 : 64 + sense.size()];
        if (h.sense != null) {
          Bytes.put32(b, 0, b.length - 4);
          b[60] = 0x02; // EXTENDED COPY COMMAND STATUS: CHECK CONDITION
          Bytes.put16(b, 62, sense.size());
          sense.copyToArray(b, 64, sense.size());
        }
        return EmuDevice.goodData(ByteString.fromArrayUnsafe(b), alloc, dxferLen);
      }
      default:
        return disk.invalidCdbField(1, 4, dxferLen);
    }
  }

  /** OPERATING PARAMETERS data (SPC-3 7.17.4): the limits {@link #extendedCopy} enforces. */
  private byte[] operatingParameters() {
    byte[] b = new byte[44 + 2];
    Bytes.put32(b, 0, b.length - 4);
    b[4] = 0x01; // SNLID: LIST ID USAGE 11b is supported
    Bytes.put16(b, 8, MAX_CSCDS);
    Bytes.put16(b, 10, MAX_SEGMENTS);
    Bytes.put32(b, 12, MAX_LIST_LENGTH);
    Bytes.put32(b, 16, maxSegmentBytes());
    // MAXIMUM INLINE DATA LENGTH, HELD DATA LIMIT, MAXIMUM STREAM DEVICE TRANSFER SIZE: 0
    Bytes.put16(b, 34, CONCURRENT_COPIES);
    b[36] = (byte) CONCURRENT_COPIES;
    b[37] = (byte) granularity();
    b[43] = 2; // IMPLEMENTED DESCRIPTOR LIST LENGTH
    b[44] = (byte) SEG_BLOCK_TO_BLOCK;
    b[45] = (byte) CSCD_IDENTIFICATION;
    return b;
  }

  private long maxSegmentBytes() {
    return 0xffffL * disk.blockSize(); // BLOCK DEVICE NUMBER OF BLOCKS is 16 bits
  }

  /** DATA SEGMENT GRANULARITY: log2 of the block size. */
  private int granularity() {
    return 31 - Integer.numberOfLeadingZeros(disk.blockSize());
  }

  /**
   * VPD 0x8F, third-party copy (SPC-4 7.8.17): Supported Commands (0001h: 83h/00h; 84h/00h, 03h,
   * 04h), Parameter Data (0004h), Supported Descriptors (0008h: 02h, E4h), Supported CSCD
   * Descriptor IDs (000Ch: none) and General Copy Operations (8001h); each descriptor padded to a
   * multiple of 4 bytes. Byte 0 (the peripheral byte) is the caller's.
   */
  byte[] thirdPartyCopyPage() {
    byte[] commands = {0x00, 0x01, 0x00, 0x00, 0x08, (byte) 0x83, 0x01, 0x00, (byte) 0x84, 0x03, 0x00, 0x03, 0x04, 0, 0, 0};
    // type 0001h, length 12 (list length byte + 8 bytes of commands + 3 pad), list length 8
    Bytes.put16(commands, 2, commands.length - 4);
    byte[] params = new byte[32];
    Bytes.put16(params, 0, 0x0004);
    Bytes.put16(params, 2, 0x1c);
    Bytes.put16(params, 6, MAX_CSCDS);
    Bytes.put16(params, 8, MAX_SEGMENTS);
    Bytes.put32(params, 10, MAX_LIST_LENGTH);
    byte[] descriptors = {0x00, 0x08, 0x00, 0x04, 0x02, (byte) SEG_BLOCK_TO_BLOCK, (byte) CSCD_IDENTIFICATION, 0};
    byte[] cscdIds = {0x00, 0x0c, 0x00, 0x04, 0x00, 0x00, 0, 0};
    byte[] general = new byte[36];
    Bytes.put16(general, 0, 0x8001);
    Bytes.put16(general, 2, 0x20);
    Bytes.put32(general, 4, CONCURRENT_COPIES);
    Bytes.put32(general, 8, CONCURRENT_COPIES);
    Bytes.put32(general, 12, maxSegmentBytes());
    general[16] = (byte) granularity();
    int len = commands.length + params.length + descriptors.length + cscdIds.length + general.length;
    byte[] b = new byte[4 + len];
    b[1] = (byte) 0x8f;
    Bytes.put16(b, 2, len);
    int p = 4;
    for (byte[] d : new byte[][] {commands, params, descriptors, cscdIds, general}) {
      System.arraycopy(d, 0, b, p, d.length);
      p += d.length;
    }
    return b;
  }
}
