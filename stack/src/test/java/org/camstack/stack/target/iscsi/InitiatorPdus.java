package org.camstack.stack.target.iscsi;

import java.util.ArrayList;
import java.util.List;
import org.camstack.stack.iscsi.Bhs;
import org.camstack.stack.iscsi.Opcode;
import org.camstack.stack.iscsi.Pdu;
import org.camstack.stack.iscsi.TextKeys;

/** Builds the initiator's PDUs for tests, from RFC 7143 §11's layouts (test code only). */
public final class InitiatorPdus {
  static final long ISID = 0x23_0000_0000_01L;

  private InitiatorPdus() {}

  static byte[] text(String... kv) {
    List<TextKeys.Pair> pairs = new ArrayList<>();
    for (String s : kv) {
      int eq = s.indexOf('=');
      pairs.add(new TextKeys.Pair(s.substring(0, eq), s.substring(eq + 1)));
    }
    return TextKeys.format(pairs, 2048);
  }

  static Pdu login(int csg, int nsg, boolean transit, long isid, int tsih, int itt, int cmdSn, byte[] data) {
    byte[] spec = new byte[Pdu.SPECIFIC_LENGTH];
    putInt(spec, 24, cmdSn);
    return new Pdu(Opcode.LOGIN_REQUEST, true, transit, (csg << 2) | (transit ? nsg : 0), 0, (isid << 16) | tsih, itt, spec,
        new byte[0], data);
  }

  static Pdu scsi(int itt, int cmdSn, long lun, boolean read, boolean write, boolean fin, long edtl, byte[] cdb, byte[] immediate) {
    byte[] spec = new byte[Pdu.SPECIFIC_LENGTH];
    putInt(spec, 20, (int) edtl);
    putInt(spec, 24, cmdSn);
    System.arraycopy(cdb, 0, spec, 12, cdb.length);
    int flags = (read ? 0x40 : 0) | (write ? 0x20 : 0) | 0x01;
    return new Pdu(Opcode.SCSI_COMMAND, false, fin, flags, 0, lun << 48, itt, spec, new byte[0], immediate);
  }

  static Pdu dataOut(int itt, int ttt, int dataSn, int offset, boolean fin, byte[] data) {
    byte[] spec = new byte[Pdu.SPECIFIC_LENGTH];
    putInt(spec, 20, ttt);
    putInt(spec, 36, dataSn);
    putInt(spec, 40, offset);
    return new Pdu(Opcode.SCSI_DATA_OUT, false, fin, 0, 0, 0, itt, spec, new byte[0], data);
  }

  static Pdu nopOut(int itt, int ttt, int cmdSn, boolean immediate, byte[] data) {
    byte[] spec = new byte[Pdu.SPECIFIC_LENGTH];
    putInt(spec, 20, ttt);
    putInt(spec, 24, cmdSn);
    return new Pdu(Opcode.NOP_OUT, immediate, true, 0, 0, 0, itt, spec, new byte[0], data);
  }

  static Pdu tmf(int function, int itt, int cmdSn, long lun, int refItt, int refCmdSn) {
    byte[] spec = new byte[Pdu.SPECIFIC_LENGTH];
    putInt(spec, 20, refItt);
    putInt(spec, 24, cmdSn);
    putInt(spec, 32, refCmdSn);
    return new Pdu(Opcode.TASK_MGMT_REQUEST, true, true, function, 0, lun << 48, itt, spec, new byte[0], new byte[0]);
  }

  static Pdu textRequest(int itt, int cmdSn, byte[] data) {
    byte[] spec = new byte[Pdu.SPECIFIC_LENGTH];
    putInt(spec, 20, Bhs.NO_TAG);
    putInt(spec, 24, cmdSn);
    return new Pdu(Opcode.TEXT_REQUEST, false, true, 0, 0, 0, itt, spec, new byte[0], data);
  }

  public static Pdu logout(int itt, int cmdSn, int reason) {
    byte[] spec = new byte[Pdu.SPECIFIC_LENGTH];
    putInt(spec, 24, cmdSn);
    return new Pdu(Opcode.LOGOUT_REQUEST, true, true, reason, 0, 0, itt, spec, new byte[0], new byte[0]);
  }

  static void putInt(byte[] spec, int bhsOffset, int v) {
    int i = bhsOffset - 20;
    spec[i] = (byte) (v >>> 24);
    spec[i + 1] = (byte) (v >>> 16);
    spec[i + 2] = (byte) (v >>> 8);
    spec[i + 3] = (byte) v;
  }

  /** READ(10) of {@code blocks} at {@code lba}. */
  static byte[] read10(long lba, int blocks) {
    return new byte[] {0x28, 0, (byte) (lba >>> 24), (byte) (lba >>> 16), (byte) (lba >>> 8), (byte) lba, 0,
        (byte) (blocks >>> 8), (byte) blocks, 0};
  }

  static byte[] write10(long lba, int blocks) {
    byte[] c = read10(lba, blocks);
    c[0] = 0x2a;
    return c;
  }

  static int status(Pdu p) {
    return p.bytes2to3() & 0xFF;
  }

  static int statSn(Pdu p) {
    return p.specificInt(24);
  }
}
