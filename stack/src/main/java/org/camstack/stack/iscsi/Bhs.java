package org.camstack.stack.iscsi;

import org.apache.pekko.util.ByteString;

/**
 * Per-opcode views of the raw BHS fields of a {@link Pdu} (RFC 7143 §11) and a builder for the
 * target's PDUs. Offsets are BHS offsets (the opcode-specific words start at 20); every getter
 * reads one field of an already decoded PDU and never throws for a well-framed PDU.
 */
public final class Bhs {

  private Bhs() {}

  /** The reserved tag value: no task / no transfer tag (0xFFFFFFFF). */
  public static final int NO_TAG = 0xFFFF_FFFF;

  // ------------------------------------------------------------------ common initiator fields

  /** CmdSN (bytes 24&ndash;27) of a command-type PDU (SCSI Command, NOP-Out, TMF, Login, Text, Logout). */
  public static int cmdSn(Pdu p) {
    return p.specificInt(24);
  }

  /** ExpStatSN (bytes 28&ndash;31) of an initiator PDU. */
  public static int expStatSn(Pdu p) {
    return p.specificInt(28);
  }

  /** Target Transfer Tag (bytes 20&ndash;23) of NOP-Out, Data-Out and Text Request. */
  public static int targetTransferTag(Pdu p) {
    return p.specificInt(20);
  }

  // ------------------------------------------------------------------ SCSI Command (§11.3)

  /** Byte 1 bit 6 (R): data from the target. */
  public static boolean read(Pdu p) {
    return (p.flags() & 0x40) != 0;
  }

  /** Byte 1 bit 5 (W): data to the target. */
  public static boolean write(Pdu p) {
    return (p.flags() & 0x20) != 0;
  }

  /** Task attribute (byte 1 bits 0&ndash;2): 0 untagged, 1 simple, 2 ordered, 3 head of queue, 4 ACA. */
  public static int taskAttribute(Pdu p) {
    return p.flags() & 0x07;
  }

  /** Expected Data Transfer Length (bytes 20&ndash;23), unsigned. */
  public static long expectedDataTransferLength(Pdu p) {
    return p.specificInt(20) & 0xFFFF_FFFFL;
  }

  /** The 16-byte CDB field (bytes 32&ndash;47), followed by an extended-CDB AHS (type 1) if any. */
  public static byte[] cdb(Pdu p) {
    byte[] spec = p.specificRef(); // read only
    byte[] ahs = p.ahsRef();
    // AHS: 2-byte length, 1-byte type, then the type-specific bytes (the extended CDB after 1 reserved byte)
    if (ahs.length >= 4 && (ahs[2] & 0xFF) == 1) {
      int len = ((ahs[0] & 0xFF) << 8) | (ahs[1] & 0xFF); // counts the reserved byte + CDB tail
      int tail = Math.max(0, Math.min(len - 1, ahs.length - 4));
      byte[] out = new byte[16 + tail];
      System.arraycopy(spec, 12, out, 0, 16);
      System.arraycopy(ahs, 4, out, 16, tail);
      return out;
    }
    byte[] out = new byte[16];
    System.arraycopy(spec, 12, out, 0, 16);
    return out;
  }

  // ------------------------------------------------------------------ Data-Out (§11.7)

  public static int dataSn(Pdu p) {
    return p.specificInt(36);
  }

  public static long bufferOffset(Pdu p) {
    return p.specificInt(40) & 0xFFFF_FFFFL;
  }

  // ------------------------------------------------------------------ Login (§11.12)

  /** T bit of a Login Request/Response (byte 1 bit 7): transit. */
  public static boolean transit(Pdu p) {
    return p.fin();
  }

  /** C bit of Login and Text PDUs (byte 1 bit 6): text continues. */
  public static boolean textContinues(Pdu p) {
    return (p.flags() & 0x40) != 0;
  }

  /** Login current stage (byte 1 bits 2&ndash;3). */
  public static int currentStage(Pdu p) {
    return (p.flags() >>> 2) & 0x03;
  }

  /** Login next stage (byte 1 bits 0&ndash;1). */
  public static int nextStage(Pdu p) {
    return p.flags() & 0x03;
  }

  /** Version-max (byte 2) of a Login Request. */
  public static int versionMax(Pdu p) {
    return p.bytes2to3() >>> 8;
  }

  /** Version-min (byte 3) of a Login Request. */
  public static int versionMin(Pdu p) {
    return p.bytes2to3() & 0xFF;
  }

  /** ISID (bytes 8&ndash;13) of Login PDUs, 48 bits. */
  public static long isid(Pdu p) {
    return p.lun() >>> 16;
  }

  /** An ISID as text: 12 lower-case hex digits (how logs, {@code ctl iscsi sessions} and port names show it). */
  public static String isidText(long isid) {
    return String.format("%012x", isid);
  }

  /**
   * The SCSI initiator port name of an iSCSI initiator (RFC 7143 §4.2.7.1, SPC-4's iSCSI
   * TransportID): {@code <InitiatorName>,i,0x<ISID>}.
   */
  public static String initiatorPortName(String initiatorName, long isid) {
    return initiatorName + ",i,0x" + isidText(isid);
  }

  /** TSIH (bytes 14&ndash;15) of Login PDUs. */
  public static int tsih(Pdu p) {
    return (int) (p.lun() & 0xFFFF);
  }

  /** CID (bytes 20&ndash;21) of Login and Logout Requests. */
  public static int cid(Pdu p) {
    return p.specificInt(20) >>> 16;
  }

  // ------------------------------------------------------------------ TMF (§11.5), Logout (§11.14)

  /** Task management function (byte 1 bits 0&ndash;6). */
  public static int tmfFunction(Pdu p) {
    return p.flags() & 0x7F;
  }

  /** Referenced Task Tag (bytes 20&ndash;23) of a TMF request. */
  public static int referencedTaskTag(Pdu p) {
    return p.specificInt(20);
  }

  /** RefCmdSN (bytes 32&ndash;35) of a TMF request. */
  public static int refCmdSn(Pdu p) {
    return p.specificInt(32);
  }

  /** Logout reason code (byte 1 bits 0&ndash;6). */
  public static int logoutReason(Pdu p) {
    return p.flags() & 0x7F;
  }

  // ------------------------------------------------------------------ building

  /** A mutable BHS under construction; {@link #build(byte[])} makes the immutable {@link Pdu}. */
  public static final class Builder {
    private final Opcode opcode;
    private boolean immediate;
    private boolean fin;
    private int flags;
    private int bytes2to3;
    private long lun;
    private int itt = NO_TAG;
    private final byte[] specific = new byte[Pdu.SPECIFIC_LENGTH];

    public Builder(Opcode opcode) {
      this.opcode = opcode;
    }

    /** The I bit (byte 0, 0x40): an immediate command (initiator PDUs). */
    public Builder immediate(boolean i) {
      this.immediate = i;
      return this;
    }

    public Builder fin(boolean f) {
      this.fin = f;
      return this;
    }

    /** Byte 1 bits 0&ndash;6. */
    public Builder flags(int f) {
      this.flags = f;
      return this;
    }

    public Builder byte2(int b) {
      this.bytes2to3 = (bytes2to3 & 0x00FF) | ((b & 0xFF) << 8);
      return this;
    }

    public Builder byte3(int b) {
      this.bytes2to3 = (bytes2to3 & 0xFF00) | (b & 0xFF);
      return this;
    }

    public Builder lun(long l) {
      this.lun = l;
      return this;
    }

    public Builder itt(int tag) {
      this.itt = tag;
      return this;
    }

    /** A 32-bit word at BHS offset 20..44. */
    public Builder word(int bhsOffset, int v) {
      int i = bhsOffset - 20;
      specific[i] = (byte) (v >>> 24);
      specific[i + 1] = (byte) (v >>> 16);
      specific[i + 2] = (byte) (v >>> 8);
      specific[i + 3] = (byte) v;
      return this;
    }

    /** One byte at BHS offset 20..47. */
    public Builder octet(int bhsOffset, int v) {
      specific[bhsOffset - 20] = (byte) v;
      return this;
    }

    public Pdu build(byte[] data) {
      return new Pdu(opcode, immediate, fin, flags, bytes2to3, lun, itt, specific.clone(), Pdu.NONE, data.clone(), true);
    }

    public Pdu build() {
      return build(Pdu.NONE);
    }

    /**
     * The PDU's bytes on the wire straight away, without a {@link Pdu} in between: the BHS (no AHS)
     * is written once into the frame's header and {@code data} is referenced, not copied (the
     * socket copies it once, when it writes). What {@code PduCodec.encode(build(data), s)} gives,
     * for the hot path (Data-In, SCSI Response).
     *
     * @throws IllegalArgumentException for a data segment over 24 bits
     */
    public ByteString encode(ByteString data, PduCodec.Settings s) {
      int n = data.size();
      if (n > Pdu.MAX_DATA_LENGTH) {
        throw new IllegalArgumentException("data segment over 24 bits: " + n);
      }
      byte[] head = new byte[Pdu.BHS_LENGTH + (s.headerDigest() ? 4 : 0)];
      head[0] = (byte) ((immediate ? 0x40 : 0) | opcode.code());
      head[1] = (byte) ((fin ? 0x80 : 0) | flags);
      head[2] = (byte) (bytes2to3 >>> 8);
      head[3] = (byte) bytes2to3;
      head[5] = (byte) (n >>> 16);
      head[6] = (byte) (n >>> 8);
      head[7] = (byte) n;
      for (int i = 0; i < 8; i++) {
        head[8 + i] = (byte) (lun >>> (56 - 8 * i));
      }
      head[16] = (byte) (itt >>> 24);
      head[17] = (byte) (itt >>> 16);
      head[18] = (byte) (itt >>> 8);
      head[19] = (byte) itt;
      System.arraycopy(specific, 0, head, 20, Pdu.SPECIFIC_LENGTH);
      return PduCodec.frame(head, data, s);
    }

    /** With an Additional Header Segment (e.g. the extended-CDB AHS of a CDB over 16 bytes). */
    public Pdu build(byte[] ahs, byte[] data) {
      return new Pdu(opcode, immediate, fin, flags, bytes2to3, lun, itt, specific.clone(), ahs.clone(), data.clone(), true);
    }
  }

  public static Builder of(Opcode opcode) {
    return new Builder(opcode);
  }
}
