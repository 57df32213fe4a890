package org.camstack.stack.scsi;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;

/**
 * SCSI operation codes: constants, the CDB length of each group and the names CAM prints. Several
 * opcodes mean different commands on different device types (0x08 is READ(6) on a disk and RECEIVE
 * on a processor device), so {@link #name(int, int)} takes the peripheral device type.
 *
 * <p>cf. {@code scsi_op_codes[]} and {@code scsi_op_desc()} in sys/cam/scsi/scsi_all.c.
 */
public final class Opcodes {
  private Opcodes() {}

  public static final int TEST_UNIT_READY = 0x00;
  public static final int REZERO_UNIT = 0x01;
  public static final int REWIND = 0x01;
  public static final int REQUEST_SENSE = 0x03;
  public static final int FORMAT_UNIT = 0x04;
  public static final int READ_BLOCK_LIMITS = 0x05;
  public static final int REASSIGN_BLOCKS = 0x07;
  public static final int INITIALIZE_ELEMENT_STATUS = 0x07;
  public static final int READ_6 = 0x08;
  public static final int RECEIVE = 0x08;
  public static final int WRITE_6 = 0x0a;
  public static final int SEND = 0x0a;
  public static final int SEEK_6 = 0x0b;
  public static final int WRITE_FILEMARKS = 0x10;
  public static final int SPACE = 0x11;
  public static final int INQUIRY = 0x12;
  public static final int VERIFY_6 = 0x13;
  public static final int MODE_SELECT_6 = 0x15;
  public static final int RESERVE_6 = 0x16;
  public static final int RELEASE_6 = 0x17;
  public static final int ERASE = 0x19;
  public static final int MODE_SENSE_6 = 0x1a;
  public static final int START_STOP_UNIT = 0x1b;
  public static final int LOAD_UNLOAD = 0x1b;
  public static final int RECEIVE_DIAGNOSTIC = 0x1c;
  public static final int SEND_DIAGNOSTIC = 0x1d;
  public static final int PREVENT_ALLOW = 0x1e;
  public static final int READ_FORMAT_CAPACITIES = 0x23;
  public static final int READ_CAPACITY_10 = 0x25;
  public static final int READ_10 = 0x28;
  public static final int WRITE_10 = 0x2a;
  public static final int SEEK_10 = 0x2b;
  public static final int LOCATE_10 = 0x2b;
  public static final int POSITION_TO_ELEMENT = 0x2b;
  public static final int WRITE_AND_VERIFY_10 = 0x2e;
  public static final int VERIFY_10 = 0x2f;
  public static final int PRE_FETCH_10 = 0x34;
  public static final int READ_POSITION = 0x34;
  public static final int SYNCHRONIZE_CACHE_10 = 0x35;
  public static final int READ_DEFECT_DATA_10 = 0x37;
  public static final int WRITE_BUFFER = 0x3b;
  public static final int READ_BUFFER = 0x3c;
  public static final int READ_LONG_10 = 0x3e;
  public static final int WRITE_LONG_10 = 0x3f;
  public static final int WRITE_SAME_10 = 0x41;
  public static final int UNMAP = 0x42;
  public static final int READ_SUBCHANNEL = 0x42;
  public static final int READ_TOC = 0x43;
  public static final int GET_CONFIGURATION = 0x46;
  public static final int GET_EVENT_STATUS = 0x4a;
  public static final int LOG_SELECT = 0x4c;
  public static final int LOG_SENSE = 0x4d;
  public static final int READ_DISC_INFORMATION = 0x51;
  public static final int MODE_SELECT_10 = 0x55;
  public static final int RESERVE_10 = 0x56;
  public static final int RELEASE_10 = 0x57;
  public static final int MODE_SENSE_10 = 0x5a;
  public static final int PERSISTENT_RES_IN = 0x5e;
  public static final int PERSISTENT_RES_OUT = 0x5f;
  public static final int VARIABLE_LENGTH = 0x7f;
  public static final int EXTENDED_COPY = 0x83;
  public static final int RECEIVE_COPY_RESULTS = 0x84;
  public static final int ATA_PASS_16 = 0x85;
  public static final int READ_16 = 0x88;
  public static final int COMPARE_AND_WRITE = 0x89;
  public static final int WRITE_16 = 0x8a;
  public static final int READ_ATTRIBUTE = 0x8c;
  public static final int WRITE_ATTRIBUTE = 0x8d;
  public static final int WRITE_AND_VERIFY_16 = 0x8e;
  public static final int VERIFY_16 = 0x8f;
  public static final int PRE_FETCH_16 = 0x90;
  public static final int SYNCHRONIZE_CACHE_16 = 0x91;
  public static final int LOCATE_16 = 0x92;
  public static final int WRITE_SAME_16 = 0x93;
  public static final int ORWRITE_16 = 0x8b;
  public static final int ZBC_OUT = 0x94;
  public static final int ZBC_IN = 0x95;
  public static final int SERVICE_ACTION_IN_16 = 0x9e;
  public static final int SERVICE_ACTION_OUT_16 = 0x9f;
  public static final int REPORT_LUNS = 0xa0;
  public static final int ATA_PASS_12 = 0xa1;
  public static final int SECURITY_PROTOCOL_IN = 0xa2;
  public static final int MAINTENANCE_IN = 0xa3;
  public static final int MAINTENANCE_OUT = 0xa4;
  public static final int MOVE_MEDIUM = 0xa5;
  public static final int EXCHANGE_MEDIUM = 0xa6;
  public static final int READ_12 = 0xa8;
  public static final int WRITE_12 = 0xaa;
  public static final int WRITE_AND_VERIFY_12 = 0xae;
  public static final int VERIFY_12 = 0xaf;
  public static final int SECURITY_PROTOCOL_OUT = 0xb5;
  public static final int SEND_VOLUME_TAG = 0xb6;
  public static final int READ_DEFECT_DATA_12 = 0xb7;
  public static final int READ_ELEMENT_STATUS = 0xb8;
  public static final int READ_CD = 0xbe;

  /** SERVICE ACTION IN(16) service actions. */
  public static final int SA_READ_CAPACITY_16 = 0x10;
  public static final int SA_GET_LBA_STATUS = 0x12;
  public static final int SA_REPORT_REFERRALS = 0x13;
  /** MAINTENANCE IN service actions. */
  public static final int SA_REPORT_TARGET_PORT_GROUPS = 0x0a;
  public static final int SA_REPORT_SUPPORTED_OPCODES = 0x0c;
  public static final int SA_REPORT_SUPPORTED_TMFS = 0x0d;
  public static final int SA_REPORT_TIMESTAMP = 0x0f;

  // Device-type masks (bit = 1 << peripheral device type).
  private static final int D = 1; // direct access
  private static final int T = 1 << 0x01; // sequential (tape)
  private static final int L = 1 << 0x02; // printer
  private static final int P = 1 << 0x03; // processor
  private static final int W = 1 << 0x04; // WORM
  private static final int R = 1 << 0x05; // CD/DVD
  private static final int S = 1 << 0x06; // scanner
  private static final int O = 1 << 0x07; // optical
  private static final int M = 1 << 0x08; // medium changer
  private static final int C = 1 << 0x09; // communication
  private static final int A = 1 << 0x0c; // storage array
  private static final int E = 1 << 0x0d; // enclosure services
  private static final int B = 1 << 0x0e; // simplified direct access
  private static final int K = 1 << 0x0f; // optical card
  private static final int F = 1 << 0x11; // object-based storage
  private static final int V = 1 << 0x12; // automation/drive interface
  private static final int Z = 1 << 0x14; // host-managed zoned
  private static final int ALL = 0xffffffff;

  private record Entry(int opcode, int mask, String name) {}

  /** Per opcode, the entries in priority order (first match wins). */
  @SuppressWarnings("unchecked")
  private static final List<Entry>[] TABLE = new List[256];

  private static void op(int opcode, int mask, String name) {
    if (TABLE[opcode] == null) {
      TABLE[opcode] = new ArrayList<>(2);
    }
    TABLE[opcode].add(new Entry(opcode, mask, name));
  }

  static {
    op(0x00, ALL, "TEST UNIT READY");
    op(0x01, T, "REWIND");
    op(0x01, D | W | R | O | M, "REZERO UNIT");
    op(0x03, ALL, "REQUEST SENSE");
    op(0x04, D | R | O | Z, "FORMAT UNIT");
    op(0x04, T, "FORMAT MEDIUM");
    op(0x04, L, "FORMAT");
    op(0x05, T, "READ BLOCK LIMITS");
    op(0x07, D | W | O | Z, "REASSIGN BLOCKS");
    op(0x07, M, "INITIALIZE ELEMENT STATUS");
    op(0x08, D | T | W | O | Z, "READ(6)");
    op(0x08, P, "RECEIVE");
    op(0x08, C, "GET MESSAGE(6)");
    op(0x0a, D | T | W | O | Z, "WRITE(6)");
    op(0x0a, P, "SEND(6)");
    op(0x0a, C, "SEND MESSAGE(6)");
    op(0x0a, L, "PRINT");
    op(0x0b, D | W | R | O, "SEEK(6)");
    op(0x0b, L, "SLEW AND PRINT");
    op(0x0b, T, "SET CAPACITY");
    op(0x0f, T, "READ REVERSE(6)");
    op(0x10, T, "WRITE FILEMARKS(6)");
    op(0x10, L, "SYNCHRONIZE BUFFER");
    op(0x11, T, "SPACE(6)");
    op(0x12, ALL, "INQUIRY");
    op(0x13, T, "VERIFY(6)");
    op(0x14, T | L, "RECOVER BUFFERED DATA");
    op(0x15, ALL & ~P, "MODE SELECT(6)");
    op(0x16, ALL & ~(P | M), "RESERVE(6)");
    op(0x16, M, "RESERVE ELEMENT(6)");
    op(0x17, ALL & ~(P | M), "RELEASE(6)");
    op(0x17, M, "RELEASE ELEMENT(6)");
    op(0x18, ALL, "COPY");
    op(0x19, T, "ERASE(6)");
    op(0x1a, ALL & ~P, "MODE SENSE(6)");
    op(0x1b, D | W | R | O | A | B | K | Z, "START STOP UNIT");
    op(0x1b, T, "LOAD UNLOAD");
    op(0x1b, S, "SCAN");
    op(0x1b, L, "STOP PRINT");
    op(0x1b, M, "OPEN/CLOSE IMPORT/EXPORT ELEMENT");
    op(0x1c, ALL, "RECEIVE DIAGNOSTIC RESULTS");
    op(0x1d, ALL, "SEND DIAGNOSTIC");
    op(0x1e, D | T | W | R | O | M | B | K | Z, "PREVENT ALLOW MEDIUM REMOVAL");
    op(0x23, D | R, "READ FORMAT CAPACITIES");
    op(0x24, S, "SET WINDOW");
    op(0x25, D | W | O | B | Z, "READ CAPACITY(10)");
    op(0x25, R, "READ CD CAPACITY");
    op(0x25, S, "GET WINDOW");
    op(0x28, D | W | R | O | S | B | Z, "READ(10)");
    op(0x28, C, "GET MESSAGE(10)");
    op(0x29, O, "READ GENERATION");
    op(0x2a, D | W | R | O | S | B | Z, "WRITE(10)");
    op(0x2a, C, "SEND MESSAGE(10)");
    op(0x2b, D | W | R | O, "SEEK(10)");
    op(0x2b, T, "LOCATE(10)");
    op(0x2b, M, "POSITION TO ELEMENT");
    op(0x2c, O, "ERASE(10)");
    op(0x2d, O, "READ UPDATED BLOCK");
    op(0x2e, D | W | R | O | B | Z, "WRITE AND VERIFY(10)");
    op(0x2f, D | W | R | O | B | Z, "VERIFY(10)");
    op(0x30, D | W | R | O, "SEARCH DATA HIGH(10)");
    op(0x31, D | W | R | O, "SEARCH DATA EQUAL(10)");
    op(0x31, S, "OBJECT POSITION");
    op(0x32, D | W | R | O, "SEARCH DATA LOW(10)");
    op(0x33, D | W | R | O, "SET LIMITS(10)");
    op(0x34, D | W | R | O | Z, "PRE-FETCH(10)");
    op(0x34, T, "READ POSITION");
    op(0x34, S, "GET DATA BUFFER STATUS");
    op(0x35, D | W | R | O | B | Z, "SYNCHRONIZE CACHE(10)");
    op(0x36, D | W | R | O, "LOCK UNLOCK CACHE(10)");
    op(0x37, D | O | Z, "READ DEFECT DATA(10)");
    op(0x37, M, "INITIALIZE ELEMENT STATUS WITH RANGE");
    op(0x38, W | O, "MEDIUM SCAN");
    op(0x39, ALL, "COMPARE");
    op(0x3a, ALL, "COPY AND VERIFY");
    op(0x3b, ALL, "WRITE BUFFER");
    op(0x3c, ALL, "READ BUFFER");
    op(0x3d, O, "UPDATE BLOCK");
    op(0x3e, D | W | O | Z, "READ LONG(10)");
    op(0x3f, D | W | O | Z, "WRITE LONG(10)");
    op(0x40, ALL, "CHANGE DEFINITION");
    op(0x41, D | Z, "WRITE SAME(10)");
    op(0x42, D | Z, "UNMAP");
    op(0x42, R, "READ SUB-CHANNEL");
    op(0x43, R, "READ TOC/PMA/ATIP");
    op(0x44, T, "REPORT DENSITY SUPPORT");
    op(0x44, R, "READ HEADER");
    op(0x45, R, "PLAY AUDIO(10)");
    op(0x46, R, "GET CONFIGURATION");
    op(0x47, R, "PLAY AUDIO MSF");
    op(0x48, D | Z, "SANITIZE");
    op(0x4a, R, "GET EVENT STATUS NOTIFICATION");
    op(0x4b, R, "PAUSE/RESUME");
    op(0x4c, ALL & ~(R | M), "LOG SELECT");
    op(0x4d, ALL & ~(R | M), "LOG SENSE");
    op(0x50, D, "XDWRITE(10)");
    op(0x51, R, "READ DISC INFORMATION");
    op(0x51, D, "XPWRITE(10)");
    op(0x52, R, "READ TRACK INFORMATION");
    op(0x52, D, "XDREAD(10)");
    op(0x53, R, "RESERVE TRACK");
    op(0x53, D, "XDWRITEREAD(10)");
    op(0x54, R, "SEND OPC INFORMATION");
    op(0x55, ALL & ~P, "MODE SELECT(10)");
    op(0x56, ALL & ~(P | M), "RESERVE(10)");
    op(0x56, M, "RESERVE ELEMENT(10)");
    op(0x57, ALL & ~(P | M), "RELEASE(10)");
    op(0x57, M, "RELEASE ELEMENT(10)");
    op(0x58, R, "REPAIR TRACK");
    op(0x5a, ALL & ~P, "MODE SENSE(10)");
    op(0x5b, R, "CLOSE TRACK/SESSION");
    op(0x5c, R, "READ BUFFER CAPACITY");
    op(0x5d, R, "SEND CUE SHEET");
    op(0x5e, ALL & ~(R | L | S), "PERSISTENT RESERVE IN");
    op(0x5f, ALL & ~(R | L | S), "PERSISTENT RESERVE OUT");
    op(0x7e, D | T | R | M | Z, "extended CDB");
    op(0x7f, D | F | Z, "variable length CDB (more than 16 bytes)");
    op(0x80, D, "XDWRITE EXTENDED(16)");
    op(0x80, T, "WRITE FILEMARKS(16)");
    op(0x81, D, "REBUILD(16)");
    op(0x81, T, "READ REVERSE(16)");
    op(0x82, D, "REGENERATE(16)");
    op(0x83, ALL, "EXTENDED COPY");
    op(0x84, ALL, "RECEIVE COPY RESULTS");
    op(0x85, D | R | B | Z, "ATA COMMAND PASS THROUGH(16)");
    op(0x86, ALL, "ACCESS CONTROL IN");
    op(0x87, ALL, "ACCESS CONTROL OUT");
    op(0x88, D | T | W | O | B | Z, "READ(16)");
    op(0x89, D | Z, "COMPARE AND WRITE");
    op(0x8a, D | T | W | O | B | Z, "WRITE(16)");
    op(0x8b, D, "ORWRITE");
    op(0x8c, ALL, "READ ATTRIBUTE");
    op(0x8d, ALL, "WRITE ATTRIBUTE");
    op(0x8e, D | W | O | B | Z, "WRITE AND VERIFY(16)");
    op(0x8f, D | T | W | O | B | Z, "VERIFY(16)");
    op(0x90, D | W | O | B | Z, "PRE-FETCH(16)");
    op(0x91, D | W | O | B | Z, "SYNCHRONIZE CACHE(16)");
    op(0x91, T, "SPACE(16)");
    op(0x92, D | W | O | Z, "LOCK UNLOCK CACHE(16)");
    op(0x92, T, "LOCATE(16)");
    op(0x93, D | Z, "WRITE SAME(16)");
    op(0x93, T, "ERASE(16)");
    op(0x94, Z, "ZBC OUT");
    op(0x95, Z, "ZBC IN");
    op(0x9e, ALL, "SERVICE ACTION IN(16)");
    op(0x9f, ALL, "SERVICE ACTION OUT(16)");
    op(0xa0, ALL, "REPORT LUNS");
    op(0xa1, D | B | Z, "ATA COMMAND PASS THROUGH(12)");
    op(0xa1, R, "BLANK");
    op(0xa2, ALL, "SECURITY PROTOCOL IN");
    op(0xa3, ALL & ~(R | M), "MAINTENANCE (IN)");
    op(0xa3, R, "SEND KEY");
    op(0xa4, ALL & ~(R | M), "MAINTENANCE (OUT)");
    op(0xa4, R, "REPORT KEY");
    op(0xa5, M, "MOVE MEDIUM");
    op(0xa5, R, "PLAY AUDIO(12)");
    op(0xa6, M, "EXCHANGE MEDIUM");
    op(0xa6, R, "LOAD/UNLOAD C/DVD");
    op(0xa7, ALL, "MOVE MEDIUM ATTACHED");
    op(0xa8, D | W | R | O | Z, "READ(12)");
    op(0xa8, C, "GET MESSAGE(12)");
    op(0xa9, M, "REQUEST VOLUME ELEMENT ADDRESS");
    op(0xaa, D | W | R | O | Z, "WRITE(12)");
    op(0xaa, C, "SEND MESSAGE(12)");
    op(0xab, ALL, "SERVICE ACTION IN(12)");
    op(0xac, O, "ERASE(12)");
    op(0xac, R, "GET PERFORMANCE");
    op(0xad, R, "READ DVD STRUCTURE");
    op(0xae, D | W | O | Z, "WRITE AND VERIFY(12)");
    op(0xaf, D | W | R | O | Z, "VERIFY(12)");
    op(0xb0, W | R | O, "SEARCH DATA HIGH(12)");
    op(0xb1, W | R | O, "SEARCH DATA EQUAL(12)");
    op(0xb2, W | R | O, "SEARCH DATA LOW(12)");
    op(0xb3, W | R | O, "SET LIMITS(12)");
    op(0xb4, W | R | O, "READ ELEMENT STATUS ATTACHED");
    op(0xb5, ALL & ~M, "SECURITY PROTOCOL OUT");
    op(0xb5, M, "REQUEST VOLUME ELEMENT ADDRESS");
    op(0xb6, M, "SEND VOLUME TAG");
    op(0xb6, R, "SET STREAMING");
    op(0xb7, D | O | Z, "READ DEFECT DATA(12)");
    op(0xb8, M | T, "READ ELEMENT STATUS");
    op(0xb9, R, "READ CD MSF");
    op(0xba, A, "REDUNDANCY GROUP (IN)");
    op(0xba, R, "SCAN");
    op(0xbb, A, "REDUNDANCY GROUP (OUT)");
    op(0xbb, R, "SET CD SPEED");
    op(0xbc, A, "SPARE (IN)");
    op(0xbd, A, "SPARE (OUT)");
    op(0xbd, R, "MECHANISM STATUS");
    op(0xbe, A, "VOLUME SET (IN)");
    op(0xbe, R, "READ CD");
    op(0xbf, A, "VOLUME SET (OUT)");
    op(0xbf, R, "SEND DVD STRUCTURE");
  }

  /**
   * The CDB length implied by the opcode's group code (bits 7..5): group 0 &rarr; 6, groups 1 and
   * 2 &rarr; 10, group 4 &rarr; 16, group 5 &rarr; 12; -1 for the reserved and vendor-specific
   * groups (3, 6, 7). cf. {@code scsi_cdb_len[]} / {@code SCSI_CDB_GROUP*} in scsi_all.h.
   */
  public static int cdbLength(int opcode) {
    return switch ((opcode & 0xff) >> 5) {
      case 0 -> 6;
      case 1, 2 -> 10;
      case 4 -> 16;
      case 5 -> 12;
      default -> -1;
    };
  }

  /**
   * The command name for an opcode on a device of peripheral type {@code deviceType} (0..0x1f,
   * {@link org.camstack.stack.ccb.DeviceInfo#T_DIRECT} etc.), e.g. "READ(6)" for (0x08, disk) and
   * "RECEIVE" for (0x08, processor). With {@code deviceType} -1 (unknown), or when no entry fits
   * the type, the first (block-device) name is used. Unknown opcodes give "Vendor Specific
   * Command" (0xc0 and up) or "UNKNOWN OPCODE 0xNN".
   */
  public static String name(int opcode, int deviceType) {
    List<Entry> entries = TABLE[opcode & 0xff];
    if (entries == null) {
      return (opcode & 0xff) >= 0xc0
          ? "Vendor Specific Command"
          : String.format("UNKNOWN OPCODE 0x%02x", opcode & 0xff);
    }
    if (deviceType >= 0 && deviceType < 32) {
      int bit = 1 << deviceType;
      for (Entry e : entries) {
        if ((e.mask & bit) != 0) {
          return e.name;
        }
      }
    }
    return entries.get(0).name;
  }

  /** {@link #name(int, int)} for an unknown device type. */
  public static String name(int opcode) {
    return name(opcode, -1);
  }

  /** True when the opcode is in the table. */
  public static boolean isKnown(int opcode) {
    return TABLE[opcode & 0xff] != null;
  }

  /**
   * The name of the command a whole CDB carries, resolving service actions: SERVICE ACTION IN(16)
   * with service action 0x10 is "READ CAPACITY(16)", MAINTENANCE IN 0x0a is "REPORT TARGET PORT
   * GROUPS". Empty CDB &rarr; "(empty CDB)".
   */
  public static String describe(ByteString cdb, int deviceType) {
    if (cdb.isEmpty()) {
      return "(empty CDB)";
    }
    int op = cdb.apply(0) & 0xff;
    int sa = Bytes.u8(cdb, 1) & 0x1f;
    if (op == SERVICE_ACTION_IN_16) {
      switch (sa) {
        case SA_READ_CAPACITY_16:
          return "READ CAPACITY(16)";
        case SA_GET_LBA_STATUS:
          return "GET LBA STATUS";
        case SA_REPORT_REFERRALS:
          return "REPORT REFERRALS";
        default:
          break;
      }
    } else if (op == MAINTENANCE_IN && deviceType != 0x05) {
      switch (sa) {
        case SA_REPORT_TARGET_PORT_GROUPS:
          return "REPORT TARGET PORT GROUPS";
        case SA_REPORT_SUPPORTED_OPCODES:
          return "REPORT SUPPORTED OPERATION CODES";
        case SA_REPORT_SUPPORTED_TMFS:
          return "REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS";
        case SA_REPORT_TIMESTAMP:
          return "REPORT TIMESTAMP";
        default:
          break;
      }
    }
    return name(op, deviceType);
  }
}
