package org.camstack.stack.iscsi;

import java.util.Optional;

/**
 * iSCSI PDU opcodes (RFC 7143 §11.1.1.1): the low six bits of BHS byte 0. Initiator opcodes are
 * 0x00&ndash;0x1F, target opcodes 0x20&ndash;0x3F; every other code is reserved.
 */
public enum Opcode {
  NOP_OUT(0x00),
  SCSI_COMMAND(0x01),
  TASK_MGMT_REQUEST(0x02),
  LOGIN_REQUEST(0x03),
  TEXT_REQUEST(0x04),
  SCSI_DATA_OUT(0x05),
  LOGOUT_REQUEST(0x06),
  SNACK_REQUEST(0x10),
  NOP_IN(0x20),
  SCSI_RESPONSE(0x21),
  TASK_MGMT_RESPONSE(0x22),
  LOGIN_RESPONSE(0x23),
  TEXT_RESPONSE(0x24),
  SCSI_DATA_IN(0x25),
  LOGOUT_RESPONSE(0x26),
  R2T(0x31),
  ASYNC_MESSAGE(0x32),
  REJECT(0x3F);

  private static final Opcode[] BY_CODE = new Opcode[64];

  static {
    for (Opcode o : values()) {
      BY_CODE[o.code] = o;
    }
  }

  private final int code;

  Opcode(int code) {
    this.code = code;
  }

  /** The six-bit code on the wire. */
  public int code() {
    return code;
  }

  /** True for the opcodes an initiator sends, false for a target's. */
  public boolean fromInitiator() {
    return code < 0x20;
  }

  /** The opcode of a six-bit code, empty if the code is reserved. */
  public static Optional<Opcode> of(int code) {
    return Optional.ofNullable(ofCode(code));
  }

  /** The opcode of a six-bit code, null if the code is reserved (the decoder's, no Optional per PDU). */
  static Opcode ofCode(int code) {
    return code < 0 || code > 0x3F ? null : BY_CODE[code];
  }
}
