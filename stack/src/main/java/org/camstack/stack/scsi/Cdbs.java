package org.camstack.stack.scsi;

import java.util.List;
import org.apache.pekko.util.ByteString;

/**
 * Builds and parses command descriptor blocks. Every builder returns a fresh immutable {@link
 * ByteString}; an argument that does not fit its CDB field throws {@link IllegalArgumentException}
 * with a one-line message.
 *
 * <p>cf. {@code scsi_test_unit_ready()}, {@code scsi_inquiry()}, {@code scsi_read_write()}, {@code
 * scsi_mode_sense_len()}, {@code scsi_start_stop()}, {@code scsi_report_luns()} etc. in
 * sys/cam/scsi/scsi_all.c and scsi_da.c. The field layouts are those of cam-brief 6.1 (SPC-4 /
 * SBC-3).
 */
public final class Cdbs {
  private Cdbs() {}

  /** READ/WRITE(10,12,16) byte 1: disable page out. */
  public static final int DPO = 0x10;
  /** READ/WRITE(10,12,16) byte 1: force unit access. */
  public static final int FUA = 0x08;

  /** MODE SENSE page control: current, changeable, default, saved values. */
  public static final int PC_CURRENT = 0;
  public static final int PC_CHANGEABLE = 1;
  public static final int PC_DEFAULT = 2;
  public static final int PC_SAVED = 3;
  /** MODE SENSE page code for "all pages". */
  public static final int MODE_PAGE_ALL = 0x3f;

  /** REPORT LUNS select report field values. */
  public static final int RPL_REPORT_DEFAULT = 0x00;
  public static final int RPL_REPORT_WELLKNOWN = 0x01;
  public static final int RPL_REPORT_ALL = 0x02;

  /** An UNMAP block descriptor: {@code count} blocks from {@code lba}. */
  public record LbaRange(long lba, long count) {
    public LbaRange {
      if (lba < 0) {
        throw new IllegalArgumentException("negative LBA " + lba);
      }
      if (count < 0 || count > 0xffffffffL) {
        throw new IllegalArgumentException("UNMAP block count " + count + " does not fit 32 bits");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // SPC commands

  /** TEST UNIT READY (6 zero bytes). cf. {@code scsi_test_unit_ready()}. */
  public static ByteString testUnitReady() {
    return Bytes.wrap(new byte[6]);
  }

  /** REQUEST SENSE: {@code desc} asks for descriptor-format sense. */
  public static ByteString requestSense(boolean desc, int allocLen) {
    byte[] b = cdb(Opcodes.REQUEST_SENSE, 6);
    b[1] = (byte) (desc ? 0x01 : 0);
    b[4] = (byte) u8("allocation length", allocLen);
    return Bytes.wrap(b);
  }

  /**
   * INQUIRY: standard data ({@code evpd} false, {@code page} 0) or a VPD page. The allocation
   * length is 2 bytes (3-4) as FreeBSD builds it. cf. {@code scsi_inquiry()}.
   */
  public static ByteString inquiry(boolean evpd, int page, int allocLen) {
    if (!evpd && page != 0) {
      throw new IllegalArgumentException("INQUIRY page code " + page + " without EVPD");
    }
    byte[] b = cdb(Opcodes.INQUIRY, 6);
    b[1] = (byte) (evpd ? 0x01 : 0);
    b[2] = (byte) u8("page code", page);
    Bytes.put16(b, 3, u16("allocation length", allocLen));
    return Bytes.wrap(b);
  }

  /** MODE SENSE(6). {@code pc} is one of {@code PC_*}, {@code page} 0..0x3f. */
  public static ByteString modeSense6(boolean dbd, int pc, int page, int subpage, int allocLen) {
    byte[] b = cdb(Opcodes.MODE_SENSE_6, 6);
    b[1] = (byte) (dbd ? 0x08 : 0);
    b[2] = (byte) pageControl(pc, page);
    b[3] = (byte) u8("subpage", subpage);
    b[4] = (byte) u8("allocation length", allocLen);
    return Bytes.wrap(b);
  }

  /** MODE SENSE(10). */
  public static ByteString modeSense10(boolean dbd, int pc, int page, int subpage, int allocLen) {
    byte[] b = cdb(Opcodes.MODE_SENSE_10, 10);
    b[1] = (byte) (dbd ? 0x08 : 0);
    b[2] = (byte) pageControl(pc, page);
    b[3] = (byte) u8("subpage", subpage);
    Bytes.put16(b, 7, u16("allocation length", allocLen));
    return Bytes.wrap(b);
  }

  /** MODE SELECT(6): {@code pf} page format, {@code sp} save pages, {@code len} parameter length. */
  public static ByteString modeSelect6(boolean pf, boolean sp, int len) {
    byte[] b = cdb(Opcodes.MODE_SELECT_6, 6);
    b[1] = (byte) ((pf ? 0x10 : 0) | (sp ? 0x01 : 0));
    b[4] = (byte) u8("parameter list length", len);
    return Bytes.wrap(b);
  }

  /** MODE SELECT(10). */
  public static ByteString modeSelect10(boolean pf, boolean sp, int len) {
    byte[] b = cdb(Opcodes.MODE_SELECT_10, 10);
    b[1] = (byte) ((pf ? 0x10 : 0) | (sp ? 0x01 : 0));
    Bytes.put16(b, 7, u16("parameter list length", len));
    return Bytes.wrap(b);
  }

  /** REPORT LUNS (12 bytes). {@code select} is one of {@code RPL_REPORT_*}. */
  public static ByteString reportLuns(int select, long allocLen) {
    byte[] b = cdb(Opcodes.REPORT_LUNS, 12);
    b[2] = (byte) u8("select report", select);
    Bytes.put32(b, 6, u32("allocation length", allocLen));
    return Bytes.wrap(b);
  }

  /** RECEIVE DIAGNOSTIC RESULTS: {@code pcv} page code valid. */
  public static ByteString receiveDiagnostic(boolean pcv, int page, int allocLen) {
    byte[] b = cdb(Opcodes.RECEIVE_DIAGNOSTIC, 6);
    b[1] = (byte) (pcv ? 0x01 : 0);
    b[2] = (byte) u8("page code", page);
    Bytes.put16(b, 3, u16("allocation length", allocLen));
    return Bytes.wrap(b);
  }

  /** SEND DIAGNOSTIC with a parameter list: {@code pf} page format. */
  public static ByteString sendDiagnostic(boolean pf, int len) {
    byte[] b = cdb(Opcodes.SEND_DIAGNOSTIC, 6);
    b[1] = (byte) (pf ? 0x10 : 0);
    Bytes.put16(b, 3, u16("parameter list length", len));
    return Bytes.wrap(b);
  }

  /** SEND DIAGNOSTIC with SELFTEST set (default self-test, no parameter list). */
  public static ByteString sendDiagnosticSelfTest() {
    byte[] b = cdb(Opcodes.SEND_DIAGNOSTIC, 6);
    b[1] = 0x04;
    return Bytes.wrap(b);
  }

  /** RESERVE(6). */
  public static ByteString reserve6() {
    return Bytes.wrap(cdb(Opcodes.RESERVE_6, 6));
  }

  /** RELEASE(6). */
  public static ByteString release6() {
    return Bytes.wrap(cdb(Opcodes.RELEASE_6, 6));
  }

  /** RESERVE(10) of the whole LU, no third party. */
  public static ByteString reserve10() {
    return Bytes.wrap(cdb(Opcodes.RESERVE_10, 10));
  }

  /** RELEASE(10) of the whole LU, no third party. */
  public static ByteString release10() {
    return Bytes.wrap(cdb(Opcodes.RELEASE_10, 10));
  }

  // ---------------------------------------------------------------------------------------------
  // SBC commands

  /** START STOP UNIT. cf. {@code scsi_start_stop()}. */
  public static ByteString startStopUnit(boolean start, boolean loej, boolean immed) {
    byte[] b = cdb(Opcodes.START_STOP_UNIT, 6);
    b[1] = (byte) (immed ? 0x01 : 0);
    b[4] = (byte) ((start ? 0x01 : 0) | (loej ? 0x02 : 0));
    return Bytes.wrap(b);
  }

  /** PREVENT ALLOW MEDIUM REMOVAL. cf. {@code scsi_prevent()}. */
  public static ByteString preventAllow(boolean prevent) {
    byte[] b = cdb(Opcodes.PREVENT_ALLOW, 6);
    b[4] = (byte) (prevent ? 0x01 : 0);
    return Bytes.wrap(b);
  }

  /** READ CAPACITY(10). cf. {@code scsi_read_capacity()}. */
  /** READ TOC/PMA/ATIP (43h): {@code format} 0 TOC, 1 session information; MSF or LBA addresses. */
  public static ByteString readToc(boolean msf, int format, int startTrack, int allocLen) {
    return ByteString.fromArray(
        new byte[] {0x43, (byte) (msf ? 0x02 : 0), (byte) format, 0, 0, 0, (byte) startTrack, (byte) (allocLen >>> 8), (byte) allocLen, 0});
  }

  /** GET EVENT STATUS NOTIFICATION (4Ah), polled, for the given notification classes. */
  public static ByteString getEventStatus(int classes, int allocLen) {
    return ByteString.fromArray(new byte[] {0x4a, 0x01, 0, 0, (byte) classes, 0, 0, (byte) (allocLen >>> 8), (byte) allocLen, 0});
  }

  /** SEND (0Ah) of a processor device: {@code len} bytes out. */
  public static ByteString send(int len) {
    return ByteString.fromArray(new byte[] {0x0a, 0, (byte) (len >>> 16), (byte) (len >>> 8), (byte) len, 0});
  }

  /** RECEIVE (08h) of a processor device: up to {@code allocLen} bytes in. */
  public static ByteString receive(int allocLen) {
    return ByteString.fromArray(new byte[] {0x08, 0, (byte) (allocLen >>> 16), (byte) (allocLen >>> 8), (byte) allocLen, 0});
  }

  public static ByteString readCapacity10() {
    return Bytes.wrap(cdb(Opcodes.READ_CAPACITY_10, 10));
  }

  /** READ CAPACITY(16): SERVICE ACTION IN(16) / 0x10. cf. {@code scsi_read_capacity_16()}. */
  public static ByteString readCapacity16(int allocLen) {
    byte[] b = cdb(Opcodes.SERVICE_ACTION_IN_16, 16);
    b[1] = (byte) Opcodes.SA_READ_CAPACITY_16;
    Bytes.put32(b, 10, u32("allocation length", allocLen));
    return Bytes.wrap(b);
  }

  /** READ with the smallest CDB that fits; see {@link #readWrite}. */
  public static ByteString read(long lba, long blocks) {
    return readWrite(false, lba, blocks, false, false, 6);
  }

  /** WRITE with the smallest CDB that fits; see {@link #readWrite}. */
  public static ByteString write(long lba, long blocks) {
    return readWrite(true, lba, blocks, false, false, 6);
  }

  /**
   * READ or WRITE with the smallest CDB of at least {@code minCdbSize} bytes that holds the LBA and
   * block count, as {@code scsi_read_write()} picks it: 6 bytes when {@code lba < 2^21}, {@code 1
   * <= blocks <= 256} and neither DPO nor FUA; 10 when {@code lba < 2^32} and {@code blocks <
   * 65536}; 12 when {@code lba < 2^32}; else 16.
   *
   * @param minCdbSize 6, 10, 12 or 16 (da's {@code minimum_cmd_size} quirk)
   */
  public static ByteString readWrite(
      boolean write, long lba, long blocks, boolean dpo, boolean fua, int minCdbSize) {
    if (lba < 0) {
      throw new IllegalArgumentException("negative LBA " + lba);
    }
    if (blocks < 0 || blocks > 0xffffffffL) {
      throw new IllegalArgumentException("block count " + blocks + " does not fit 32 bits");
    }
    boolean lba32 = lba <= 0xffffffffL;
    if (minCdbSize < 10 && lba < (1 << 21) && blocks >= 1 && blocks <= 256 && !dpo && !fua) {
      return rw6(write, lba, (int) blocks);
    }
    if (minCdbSize < 12 && lba32 && blocks < 65536) {
      return rw10(write, lba, (int) blocks, dpo, fua);
    }
    if (minCdbSize < 16 && lba32) {
      return rw12(write, lba, blocks, dpo, fua);
    }
    return rw16(write, lba, blocks, dpo, fua);
  }

  /** READ(6): 21-bit LBA, 1..256 blocks (256 is encoded as 0). */
  public static ByteString read6(long lba, int blocks) {
    return rw6(false, lba, blocks);
  }

  public static ByteString write6(long lba, int blocks) {
    return rw6(true, lba, blocks);
  }

  public static ByteString read10(long lba, int blocks, boolean dpo, boolean fua) {
    return rw10(false, lba, blocks, dpo, fua);
  }

  public static ByteString write10(long lba, int blocks, boolean dpo, boolean fua) {
    return rw10(true, lba, blocks, dpo, fua);
  }

  public static ByteString read12(long lba, long blocks, boolean dpo, boolean fua) {
    return rw12(false, lba, blocks, dpo, fua);
  }

  public static ByteString write12(long lba, long blocks, boolean dpo, boolean fua) {
    return rw12(true, lba, blocks, dpo, fua);
  }

  public static ByteString read16(long lba, long blocks, boolean dpo, boolean fua) {
    return rw16(false, lba, blocks, dpo, fua);
  }

  public static ByteString write16(long lba, long blocks, boolean dpo, boolean fua) {
    return rw16(true, lba, blocks, dpo, fua);
  }

  private static ByteString rw6(boolean write, long lba, int blocks) {
    if (lba < 0 || lba >= (1 << 21)) {
      throw new IllegalArgumentException("LBA " + lba + " does not fit a 6-byte CDB (21 bits)");
    }
    if (blocks < 1 || blocks > 256) {
      throw new IllegalArgumentException("block count " + blocks + " not in 1..256 for a 6-byte CDB");
    }
    byte[] b = cdb(write ? Opcodes.WRITE_6 : Opcodes.READ_6, 6);
    Bytes.put24(b, 1, (int) lba);
    b[4] = (byte) (blocks & 0xff);
    return Bytes.wrap(b);
  }

  private static ByteString rw10(boolean write, long lba, int blocks, boolean dpo, boolean fua) {
    byte[] b = cdb(write ? Opcodes.WRITE_10 : Opcodes.READ_10, 10);
    b[1] = (byte) ((dpo ? DPO : 0) | (fua ? FUA : 0));
    Bytes.put32(b, 2, u32("LBA", lba));
    Bytes.put16(b, 7, u16("block count", blocks));
    return Bytes.wrap(b);
  }

  private static ByteString rw12(boolean write, long lba, long blocks, boolean dpo, boolean fua) {
    byte[] b = cdb(write ? Opcodes.WRITE_12 : Opcodes.READ_12, 12);
    b[1] = (byte) ((dpo ? DPO : 0) | (fua ? FUA : 0));
    Bytes.put32(b, 2, u32("LBA", lba));
    Bytes.put32(b, 6, u32("block count", blocks));
    return Bytes.wrap(b);
  }

  private static ByteString rw16(boolean write, long lba, long blocks, boolean dpo, boolean fua) {
    byte[] b = cdb(write ? Opcodes.WRITE_16 : Opcodes.READ_16, 16);
    b[1] = (byte) ((dpo ? DPO : 0) | (fua ? FUA : 0));
    Bytes.put64(b, 2, lba64(lba));
    Bytes.put32(b, 10, u32("block count", blocks));
    return Bytes.wrap(b);
  }

  /** VERIFY(10); {@code bytchk} compares the data-out buffer with the medium. */
  public static ByteString verify10(long lba, int blocks, boolean bytchk) {
    byte[] b = cdb(Opcodes.VERIFY_10, 10);
    b[1] = (byte) (bytchk ? 0x02 : 0);
    Bytes.put32(b, 2, u32("LBA", lba));
    Bytes.put16(b, 7, u16("verification length", blocks));
    return Bytes.wrap(b);
  }

  public static ByteString verify12(long lba, long blocks, boolean bytchk) {
    byte[] b = cdb(Opcodes.VERIFY_12, 12);
    b[1] = (byte) (bytchk ? 0x02 : 0);
    Bytes.put32(b, 2, u32("LBA", lba));
    Bytes.put32(b, 6, u32("verification length", blocks));
    return Bytes.wrap(b);
  }

  public static ByteString verify16(long lba, long blocks, boolean bytchk) {
    byte[] b = cdb(Opcodes.VERIFY_16, 16);
    b[1] = (byte) (bytchk ? 0x02 : 0);
    Bytes.put64(b, 2, lba64(lba));
    Bytes.put32(b, 10, u32("verification length", blocks));
    return Bytes.wrap(b);
  }

  /** SYNCHRONIZE CACHE(10); {@code blocks} 0 means to the end of the medium. */
  public static ByteString synchronizeCache10(long lba, int blocks, boolean immed) {
    byte[] b = cdb(Opcodes.SYNCHRONIZE_CACHE_10, 10);
    b[1] = (byte) (immed ? 0x02 : 0);
    Bytes.put32(b, 2, u32("LBA", lba));
    Bytes.put16(b, 7, u16("block count", blocks));
    return Bytes.wrap(b);
  }

  public static ByteString synchronizeCache16(long lba, long blocks, boolean immed) {
    byte[] b = cdb(Opcodes.SYNCHRONIZE_CACHE_16, 16);
    b[1] = (byte) (immed ? 0x02 : 0);
    Bytes.put64(b, 2, lba64(lba));
    Bytes.put32(b, 10, u32("block count", blocks));
    return Bytes.wrap(b);
  }

  /** WRITE SAME(10): one block of data-out written to {@code blocks} blocks (UNMAP bit 0x08). */
  public static ByteString writeSame10(long lba, int blocks, boolean unmap) {
    byte[] b = cdb(Opcodes.WRITE_SAME_10, 10);
    b[1] = (byte) (unmap ? 0x08 : 0);
    Bytes.put32(b, 2, u32("LBA", lba));
    Bytes.put16(b, 7, u16("block count", blocks));
    return Bytes.wrap(b);
  }

  public static ByteString writeSame16(long lba, long blocks, boolean unmap) {
    byte[] b = cdb(Opcodes.WRITE_SAME_16, 16);
    b[1] = (byte) (unmap ? 0x08 : 0);
    Bytes.put64(b, 2, lba64(lba));
    Bytes.put32(b, 10, u32("block count", blocks));
    return Bytes.wrap(b);
  }

  /** UNMAP with a parameter list of {@code paramLen} bytes (see {@link #unmapParameters}). */
  public static ByteString unmap(int paramLen, boolean anchor) {
    byte[] b = cdb(Opcodes.UNMAP, 10);
    b[1] = (byte) (anchor ? 0x01 : 0);
    Bytes.put16(b, 7, u16("parameter list length", paramLen));
    return Bytes.wrap(b);
  }

  /**
   * The UNMAP parameter list: an 8-byte header (UNMAP data length, block descriptor data length)
   * and one 16-byte descriptor (LBA 8, count 4, reserved 4) per range.
   */
  public static ByteString unmapParameters(List<LbaRange> ranges) {
    int descLen = 16 * ranges.size();
    if (8 + descLen > 0xffff) {
      throw new IllegalArgumentException(ranges.size() + " UNMAP descriptors do not fit 64 KiB");
    }
    byte[] b = new byte[8 + descLen];
    Bytes.put16(b, 0, 6 + descLen);
    Bytes.put16(b, 2, descLen);
    int p = 8;
    for (LbaRange r : ranges) {
      Bytes.put64(b, p, r.lba());
      Bytes.put32(b, p + 8, r.count());
      p += 16;
    }
    return Bytes.wrap(b);
  }

  /**
   * Parses an UNMAP parameter list (the device side). Descriptors past the end of the list, or
   * beyond what the block descriptor data length announces, are ignored.
   */
  public static List<LbaRange> parseUnmapParameters(ByteString params) {
    if (params.size() < 8) {
      return List.of();
    }
    int descLen = Math.min(Bytes.be16(params, 2), params.size() - 8);
    int n = descLen / 16;
    LbaRange[] out = new LbaRange[n];
    for (int i = 0; i < n; i++) {
      int p = 8 + 16 * i;
      out[i] = new LbaRange(Bytes.be64(params, p) & Long.MAX_VALUE, Bytes.be32(params, p + 8));
    }
    return List.of(out);
  }

  // ---------------------------------------------------------------------------------------------
  // Parsing

  /** The opcode, or -1 for an empty CDB. */
  public static int opcode(ByteString cdb) {
    return cdb.isEmpty() ? -1 : cdb.apply(0) & 0xff;
  }

  /** The service action (byte 1 bits 4..0) of SERVICE ACTION IN/OUT and MAINTENANCE IN/OUT. */
  public static int serviceAction(ByteString cdb) {
    return Bytes.u8(cdb, 1) & 0x1f;
  }

  /**
   * The starting LBA of a block command (READ/WRITE/VERIFY/WRITE AND VERIFY/SYNCHRONIZE CACHE/
   * WRITE SAME/PRE-FETCH/COMPARE AND WRITE in any size), or -1 for a command without one. READ(6)
   * and WRITE(6) carry 21 bits.
   */
  public static long lba(ByteString cdb) {
    int op = opcode(cdb);
    switch (op) {
      case Opcodes.READ_6, Opcodes.WRITE_6:
        return Bytes.be24(cdb, 1) & 0x1fffff;
      case Opcodes.READ_10, Opcodes.WRITE_10, Opcodes.WRITE_AND_VERIFY_10, Opcodes.VERIFY_10,
          Opcodes.PRE_FETCH_10, Opcodes.SYNCHRONIZE_CACHE_10, Opcodes.WRITE_SAME_10,
          Opcodes.READ_12, Opcodes.WRITE_12, Opcodes.WRITE_AND_VERIFY_12, Opcodes.VERIFY_12:
        return Bytes.be32(cdb, 2);
      case Opcodes.READ_16, Opcodes.WRITE_16, Opcodes.WRITE_AND_VERIFY_16, Opcodes.VERIFY_16,
          Opcodes.PRE_FETCH_16, Opcodes.SYNCHRONIZE_CACHE_16, Opcodes.WRITE_SAME_16,
          Opcodes.COMPARE_AND_WRITE, Opcodes.ORWRITE_16:
        return Bytes.be64(cdb, 2);
      default:
        return -1;
    }
  }

  /**
   * The transfer (or verification, or affected-range) length in blocks of a block command, or -1
   * for a command without one. READ(6)/WRITE(6) with 0 mean 256 blocks; SYNCHRONIZE CACHE and
   * WRITE SAME with 0 mean "to the end of the medium" and are returned as 0.
   */
  public static long transferLength(ByteString cdb) {
    int op = opcode(cdb);
    switch (op) {
      case Opcodes.READ_6, Opcodes.WRITE_6:
        {
          int n = Bytes.u8(cdb, 4);
          return n == 0 ? 256 : n;
        }
      case Opcodes.READ_10, Opcodes.WRITE_10, Opcodes.WRITE_AND_VERIFY_10, Opcodes.VERIFY_10,
          Opcodes.PRE_FETCH_10, Opcodes.SYNCHRONIZE_CACHE_10, Opcodes.WRITE_SAME_10:
        return Bytes.be16(cdb, 7);
      case Opcodes.READ_12, Opcodes.WRITE_12, Opcodes.WRITE_AND_VERIFY_12, Opcodes.VERIFY_12:
        return Bytes.be32(cdb, 6);
      case Opcodes.READ_16, Opcodes.WRITE_16, Opcodes.WRITE_AND_VERIFY_16, Opcodes.VERIFY_16,
          Opcodes.PRE_FETCH_16, Opcodes.SYNCHRONIZE_CACHE_16, Opcodes.WRITE_SAME_16,
          Opcodes.ORWRITE_16:
        return Bytes.be32(cdb, 10);
      case Opcodes.COMPARE_AND_WRITE:
        return Bytes.u8(cdb, 13);
      default:
        return -1;
    }
  }

  /**
   * The allocation length (bytes the initiator accepts) of a data-in command, or -1 for a command
   * without that field. Covers INQUIRY, REQUEST SENSE, MODE SENSE(6/10), RECEIVE DIAGNOSTIC
   * RESULTS, LOG SENSE, PERSISTENT RESERVE IN, READ BUFFER, REPORT LUNS, MAINTENANCE IN, SERVICE
   * ACTION IN(16) (READ CAPACITY(16)), SECURITY PROTOCOL IN, READ DEFECT DATA, READ ELEMENT STATUS,
   * GET CONFIGURATION, READ TOC, RECEIVE COPY RESULTS, READ ATTRIBUTE. READ CAPACITY(10) has no
   * field but always returns 8 bytes; 8 is returned for it.
   */
  public static long allocationLength(ByteString cdb) {
    int op = opcode(cdb);
    switch (op) {
      case Opcodes.REQUEST_SENSE, Opcodes.MODE_SENSE_6:
        return Bytes.u8(cdb, 4);
      case Opcodes.INQUIRY, Opcodes.RECEIVE_DIAGNOSTIC:
        return Bytes.be16(cdb, 3);
      case Opcodes.READ_CAPACITY_10:
        return 8;
      case Opcodes.MODE_SENSE_10, Opcodes.LOG_SENSE, Opcodes.PERSISTENT_RES_IN,
          Opcodes.READ_DEFECT_DATA_10, Opcodes.GET_CONFIGURATION, Opcodes.READ_TOC,
          Opcodes.GET_EVENT_STATUS, Opcodes.READ_DISC_INFORMATION:
        return Bytes.be16(cdb, 7);
      case Opcodes.READ_BUFFER, Opcodes.READ_ELEMENT_STATUS:
        return Bytes.be24(cdb, op == Opcodes.READ_BUFFER ? 6 : 7);
      case Opcodes.REPORT_LUNS, Opcodes.MAINTENANCE_IN, Opcodes.SECURITY_PROTOCOL_IN,
          Opcodes.READ_DEFECT_DATA_12:
        return Bytes.be32(cdb, 6);
      case Opcodes.SERVICE_ACTION_IN_16, Opcodes.RECEIVE_COPY_RESULTS, Opcodes.READ_ATTRIBUTE:
        return Bytes.be32(cdb, 10);
      default:
        return -1;
    }
  }

  /**
   * The parameter list length (bytes the initiator sends) of a data-out command, or -1 for a
   * command without that field: MODE SELECT(6/10), SEND DIAGNOSTIC, UNMAP, RESERVE(10), LOG
   * SELECT, PERSISTENT RESERVE OUT, WRITE BUFFER, MAINTENANCE OUT, SECURITY PROTOCOL OUT,
   * EXTENDED COPY, WRITE ATTRIBUTE.
   */
  public static long parameterListLength(ByteString cdb) {
    int op = opcode(cdb);
    switch (op) {
      case Opcodes.MODE_SELECT_6:
        return Bytes.u8(cdb, 4);
      case Opcodes.SEND_DIAGNOSTIC:
        return Bytes.be16(cdb, 3);
      case Opcodes.MODE_SELECT_10, Opcodes.UNMAP, Opcodes.RESERVE_10, Opcodes.LOG_SELECT:
        return Bytes.be16(cdb, 7);
      case Opcodes.PERSISTENT_RES_OUT:
        return Bytes.be32(cdb, 5);
      case Opcodes.WRITE_BUFFER:
        return Bytes.be24(cdb, 6);
      case Opcodes.MAINTENANCE_OUT, Opcodes.SECURITY_PROTOCOL_OUT:
        return Bytes.be32(cdb, 6);
      case Opcodes.EXTENDED_COPY, Opcodes.WRITE_ATTRIBUTE:
        return Bytes.be32(cdb, 10);
      default:
        return -1;
    }
  }

  /** DPO bit of a READ/WRITE(10/12/16). */
  public static boolean dpo(ByteString cdb) {
    return opcode(cdb) != Opcodes.READ_6 && opcode(cdb) != Opcodes.WRITE_6
        && (Bytes.u8(cdb, 1) & DPO) != 0;
  }

  /** FUA bit of a READ/WRITE(10/12/16). */
  public static boolean fua(ByteString cdb) {
    return opcode(cdb) != Opcodes.READ_6 && opcode(cdb) != Opcodes.WRITE_6
        && (Bytes.u8(cdb, 1) & FUA) != 0;
  }

  /** READ(6/10/12/16): the command class "read" of fault injection. */
  public static boolean isRead(int opcode) {
    return opcode == Opcodes.READ_6
        || opcode == Opcodes.READ_10
        || opcode == Opcodes.READ_12
        || opcode == Opcodes.READ_16;
  }

  /**
   * Commands that change the medium: WRITE(6/10/12/16), WRITE AND VERIFY, WRITE SAME, UNMAP,
   * COMPARE AND WRITE, ORWRITE.
   */
  public static boolean isWrite(int opcode) {
    return switch (opcode) {
      case Opcodes.WRITE_6, Opcodes.WRITE_10, Opcodes.WRITE_12, Opcodes.WRITE_16,
          Opcodes.WRITE_AND_VERIFY_10, Opcodes.WRITE_AND_VERIFY_12, Opcodes.WRITE_AND_VERIFY_16,
          Opcodes.WRITE_SAME_10, Opcodes.WRITE_SAME_16, Opcodes.UNMAP, Opcodes.COMPARE_AND_WRITE,
          Opcodes.ORWRITE_16 -> true;
      default -> false;
    };
  }

  // ---------------------------------------------------------------------------------------------

  private static byte[] cdb(int opcode, int len) {
    byte[] b = new byte[len];
    b[0] = (byte) opcode;
    return b;
  }

  private static int pageControl(int pc, int page) {
    if (pc < 0 || pc > 3) {
      throw new IllegalArgumentException("page control " + pc + " not in 0..3");
    }
    if (page < 0 || page > 0x3f) {
      throw new IllegalArgumentException("mode page code 0x" + Integer.toHexString(page) + " not in 0..0x3f");
    }
    return (pc << 6) | page;
  }

  private static int u8(String what, int v) {
    if (v < 0 || v > 0xff) {
      throw new IllegalArgumentException(what + " " + v + " does not fit one byte");
    }
    return v;
  }

  private static int u16(String what, int v) {
    if (v < 0 || v > 0xffff) {
      throw new IllegalArgumentException(what + " " + v + " does not fit 16 bits");
    }
    return v;
  }

  private static long u32(String what, long v) {
    if (v < 0 || v > 0xffffffffL) {
      throw new IllegalArgumentException(what + " " + v + " does not fit 32 bits");
    }
    return v;
  }

  private static long lba64(long lba) {
    if (lba < 0) {
      throw new IllegalArgumentException("negative LBA " + lba);
    }
    return lba;
  }
}
