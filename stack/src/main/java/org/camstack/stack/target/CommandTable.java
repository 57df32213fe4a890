package org.camstack.stack.target;

import static org.camstack.stack.scsi.Bytes.be16;
import static org.camstack.stack.scsi.Bytes.be24;
import static org.camstack.stack.scsi.Bytes.be32;
import static org.camstack.stack.scsi.Bytes.be64;
import static org.camstack.stack.scsi.Bytes.u8;

import java.io.ByteArrayOutputStream;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.Opcodes;

/**
 * What one logical unit implements: opcode (and, for service-action commands, service action)
 * &rarr; {@code F_*} flags, the CDB length, and the CDB usage data REPORT SUPPORTED OPERATION
 * CODES reports. {@link EmuDevice}'s precheck reads it on every command; RSOC is generated from it,
 * so every command a subclass declares is listed.
 *
 * <p>An opcode may be declared plain ({@link #define(int, int)}) or per service action ({@link
 * #define(int, int, int)}, the SA in the low 5 bits of CDB byte 1, as MAINTENANCE IN, SERVICE
 * ACTION IN(16), PERSISTENT RESERVE IN/OUT). When an opcode has both, the service actions declared
 * are the ones reported, and any other service action goes to the plain declaration (the subclass
 * then checks it); without a plain declaration an undeclared service action is refused by the
 * precheck with INVALID FIELD IN CDB.
 *
 * <p>Declarations happen in constructors; afterwards the table is only read (published by the
 * final field of the device that owns it).
 *
 * <p>cf. sys/cam/ctl/ctl_cmd_table.c ({@code ctl_cmd_table}: flags and usage per opcode / service
 * action) and {@code ctl_report_supported_opcodes}.
 */
final class CommandTable {

  /** Opcode is implemented. */
  static final int F_KNOWN = 0x01;
  /** Does not report (nor clear) a pending unit attention: INQUIRY, REPORT LUNS, REQUEST SENSE. */
  static final int F_NO_UA = 0x02;
  /** Needs a started unit with medium (else NOT READY). */
  static final int F_READY = 0x04;
  /** Allowed while another initiator holds the reservation. */
  static final int F_RES_OK = 0x08;
  /** Fault class READ; the CDB carries LBA and length at their group's standard places. */
  static final int F_READ = 0x10;
  /** Fault class WRITE. */
  static final int F_WRITE = 0x20;
  /** Media-access command with LBA/length fields at the standard places. */
  static final int F_LBA = 0x40;

  /** {@link #flags(int, ByteString)}: the opcode is known but this service action is not. */
  static final int UNKNOWN_SERVICE_ACTION = -1;

  /** Reported in every command timeouts descriptor: nominal and recommended timeout, seconds. */
  static final int NOMINAL_TIMEOUT_S = 1;
  static final int RECOMMENDED_TIMEOUT_S = 30;

  private static final int SERVICE_ACTIONS = 32;

  private final int[] plain = new int[256];
  /** Per opcode: flags by service action, or null when the opcode has none declared. */
  private final int[][] bySa = new int[256][];
  /** Flags of the opcode as the precheck's first lookup sees it (plain, or F_KNOWN when SAs only). */
  private final int[] opFlags = new int[256];

  /** Declares an opcode implemented with the given flags. */
  void define(int opcode, int flags) {
    plain[opcode] = flags | F_KNOWN;
    opFlags[opcode] = plain[opcode];
  }

  /** Declares one service action of a service-action opcode. */
  void define(int opcode, int serviceAction, int flags) {
    if (serviceAction < 0 || serviceAction >= SERVICE_ACTIONS) {
      throw new IllegalArgumentException("service action 0x" + Integer.toHexString(serviceAction) + " out of 0..0x1f");
    }
    if (bySa[opcode] == null) {
      bySa[opcode] = new int[SERVICE_ACTIONS];
    }
    bySa[opcode][serviceAction] = flags | F_KNOWN;
    if (opFlags[opcode] == 0) {
      opFlags[opcode] = F_KNOWN;
    }
  }

  /** Non-zero when the opcode is implemented in some form (precheck step 1). */
  int known(int opcode) {
    return opFlags[opcode];
  }

  /**
   * The flags the command runs with: those of its service action when the opcode has declared
   * ones, else the plain ones; {@link #UNKNOWN_SERVICE_ACTION} when neither fits. The CDB is at
   * least {@link #cdbLength} long.
   */
  int flags(int opcode, ByteString cdb) {
    int[] sas = bySa[opcode];
    if (sas == null) {
      return plain[opcode];
    }
    int f = sas[u8(cdb, 1) & 0x1f];
    if (f != 0) {
      return f;
    }
    return plain[opcode] != 0 ? plain[opcode] : UNKNOWN_SERVICE_ACTION;
  }

  /** Does the opcode report its service actions (SERVACTV)? */
  boolean hasServiceActions(int opcode) {
    return bySa[opcode] != null;
  }

  /** Flags of one service action, 0 when not declared. */
  int serviceActionFlags(int opcode, int serviceAction) {
    int[] sas = bySa[opcode];
    return sas == null || serviceAction < 0 || serviceAction >= SERVICE_ACTIONS ? 0 : sas[serviceAction];
  }

  /** CDB length implied by the opcode's group code (reserved / vendor groups: 6, the subclass checks). */
  static int cdbLength(int op) {
    int n = Opcodes.cdbLength(op);
    return n < 0 ? 6 : n;
  }

  /** Index of the CONTROL byte: the last one, byte 1 for the variable-length CDB (7Fh). */
  static int controlByte(int op) {
    return op == Opcodes.VARIABLE_LENGTH ? 1 : cdbLength(op) - 1;
  }

  /**
   * CDB usage data: byte 0 the opcode, byte 1 the service action for service-action commands,
   * every other field bit the device may evaluate set, the CONTROL byte 0 (neither NACA nor LINK).
   */
  static byte[] usage(int opcode, int serviceAction) {
    byte[] u = new byte[cdbLength(opcode)];
    u[0] = (byte) opcode;
    for (int i = 1; i < u.length - 1; i++) {
      u[i] = (byte) 0xff;
    }
    if (serviceAction >= 0) {
      u[1] = (byte) serviceAction;
    }
    u[u.length - 1] = 0;
    return u;
  }

  // ---------------------------------------------------------------- REPORT SUPPORTED OPERATION CODES

  /**
   * Parameter data for reporting options 000b: every command, one 8-byte descriptor each (opcode,
   * service action, SERVACTV, CDB length), each followed by a 12-byte command timeouts descriptor
   * when {@code rctd}.
   */
  byte[] allCommands(boolean rctd) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    for (int op = 0; op < 256; op++) {
      int[] sas = bySa[op];
      if (sas != null) {
        for (int sa = 0; sa < SERVICE_ACTIONS; sa++) {
          if (sas[sa] != 0) {
            descriptor(o, op, sa, true, rctd);
          }
        }
      } else if (plain[op] != 0) {
        descriptor(o, op, 0, false, rctd);
      }
    }
    byte[] body = o.toByteArray();
    byte[] b = new byte[4 + body.length];
    Bytes.put32(b, 0, body.length);
    System.arraycopy(body, 0, b, 4, body.length);
    return b;
  }

  private static void descriptor(ByteArrayOutputStream o, int op, int sa, boolean servactv, boolean rctd) {
    byte[] d = new byte[8];
    d[0] = (byte) op;
    Bytes.put16(d, 2, sa);
    d[5] = (byte) ((rctd ? 0x02 : 0) | (servactv ? 0x01 : 0)); // CTDP, SERVACTV
    Bytes.put16(d, 6, cdbLength(op));
    o.writeBytes(d);
    if (rctd) {
      o.writeBytes(timeouts());
    }
  }

  /** Command timeouts descriptor: length 0Ah, nominal and recommended timeouts in seconds. */
  private static byte[] timeouts() {
    byte[] t = new byte[12];
    Bytes.put16(t, 0, 0x0a);
    Bytes.put32(t, 4, NOMINAL_TIMEOUT_S);
    Bytes.put32(t, 8, RECOMMENDED_TIMEOUT_S);
    return t;
  }

  /**
   * Parameter data for reporting options 001b / 010b / 011b (one command), or null when the
   * request is invalid (001b naming an opcode with service actions, 010b naming an implemented
   * opcode without them): the caller answers INVALID FIELD IN CDB.
   */
  byte[] oneCommand(int option, int op, int sa, boolean rctd) {
    boolean servactv = bySa[op] != null;
    boolean supported;
    int usageSa;
    switch (option) {
      case 1:
        if (servactv) {
          return null;
        }
        supported = plain[op] != 0;
        usageSa = -1;
        break;
      case 2:
        if (!servactv) {
          if (plain[op] != 0) {
            return null;
          }
          supported = false;
        } else {
          supported = serviceActionFlags(op, sa) != 0;
        }
        usageSa = sa;
        break;
      case 3:
        if (servactv) {
          supported = serviceActionFlags(op, sa) != 0;
          usageSa = sa;
        } else {
          supported = plain[op] != 0 && sa == 0;
          usageSa = -1;
        }
        break;
      default:
        throw new IllegalArgumentException("reporting option " + option);
    }
    if (!supported) {
      return new byte[] {0, 0x01, 0, 0}; // SUPPORT 001b: not supported, no usage data
    }
    byte[] u = usage(op, usageSa);
    byte[] b = new byte[4 + u.length + (rctd ? 12 : 0)];
    b[1] = (byte) ((rctd ? 0x80 : 0) | 0x03); // CTDP, SUPPORT 011b: as the standard says
    Bytes.put16(b, 2, u.length);
    System.arraycopy(u, 0, b, 4, u.length);
    if (rctd) {
      System.arraycopy(timeouts(), 0, b, 4 + u.length, 12);
    }
    return b;
  }

  // ---------------------------------------------------------------- CDB fields

  /** LBA of a media-access CDB (READ/WRITE/VERIFY/WRITE SAME/SYNC CACHE layouts); -1 if none. */
  static long cdbLba(int op, ByteString cdb) {
    switch (op >>> 5) {
      case 0:
        return be24(cdb, 1) & 0x1fffff;
      case 1:
      case 2:
      case 5:
        return be32(cdb, 2);
      case 4:
        return be64(cdb, 2);
      default:
        return -1;
    }
  }

  /** Transfer / number-of-blocks field of a media-access CDB (READ(6)/WRITE(6): 0 means 256). */
  static long cdbBlocks(int op, ByteString cdb) {
    switch (op >>> 5) {
      case 0: {
        int n = u8(cdb, 4);
        return n == 0 ? 256 : n;
      }
      case 1:
      case 2:
        return be16(cdb, 7);
      case 5:
        return be32(cdb, 6);
      case 4:
        return be32(cdb, 10);
      default:
        return 0;
    }
  }
}
