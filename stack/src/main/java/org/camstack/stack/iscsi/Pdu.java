package org.camstack.stack.iscsi;

import java.util.Arrays;
import java.util.Objects;

/**
 * One iSCSI PDU (RFC 7143 §11.2): the 48-byte Basic Header Segment, the Additional Header Segments
 * and the data segment. The fields common to every opcode are named; the opcode-specific ones are
 * kept raw ({@link #flags()}: byte 1 bits 0&ndash;6, {@link #bytes2to3()}, and {@link #specific()}:
 * BHS bytes 20&ndash;47). TotalAHSLength and DataSegmentLength are derived from the AHS and data.
 * Immutable: byte arrays are copied in and out (the codec and {@link Bhs.Builder} of this package
 * hand over fresh arrays and skip the copy in). Digests and padding belong to the wire, see {@link
 * PduCodec}.
 */
public final class Pdu {

  /** Size of the Basic Header Segment. */
  public static final int BHS_LENGTH = 48;
  /** Size of the opcode-specific tail of the BHS (bytes 20&ndash;47). */
  public static final int SPECIFIC_LENGTH = 28;
  /** Largest AHS: TotalAHSLength is one byte of 4-byte words. */
  public static final int MAX_AHS_LENGTH = 255 * 4;
  /** Largest data segment: DataSegmentLength is 24 bits. */
  public static final int MAX_DATA_LENGTH = 0xFF_FFFF;

  private final Opcode opcode;
  private final boolean immediate;
  private final boolean fin;
  private final int flags;
  private final int bytes2to3;
  private final long lun;
  private final int initiatorTaskTag;
  private final byte[] specific;
  private final byte[] ahs;
  private final byte[] data;

  /**
   * @param flags byte 1 bits 0&ndash;6 (0..0x7F), opcode-specific
   * @param bytes2to3 BHS bytes 2&ndash;3 big-endian (0..0xFFFF), opcode-specific
   * @param lun BHS bytes 8&ndash;15 raw (a LUN or opcode-specific)
   * @param specific BHS bytes 20&ndash;47, exactly {@value #SPECIFIC_LENGTH} bytes
   * @param ahs a multiple of 4 bytes, at most {@value #MAX_AHS_LENGTH}
   * @param data at most {@value #MAX_DATA_LENGTH} bytes, unpadded
   */
  public Pdu(Opcode opcode, boolean immediate, boolean fin, int flags, int bytes2to3, long lun,
      int initiatorTaskTag, byte[] specific, byte[] ahs, byte[] data) {
    this(opcode, immediate, fin, flags, bytes2to3, lun, initiatorTaskTag, specific.clone(), ahs.clone(), data.clone(), true);
  }

  /**
   * Takes the arrays as they are, without the defensive copies: for the codec and the builder of
   * this package, which hand over arrays nobody else holds (a decoded PDU costs no second copy of
   * its data segment). The marker argument only tells the constructors apart.
   */
  Pdu(Opcode opcode, boolean immediate, boolean fin, int flags, int bytes2to3, long lun,
      int initiatorTaskTag, byte[] specific, byte[] ahs, byte[] data, boolean owned) {
    this.opcode = Objects.requireNonNull(opcode, "opcode");
    if ((flags & ~0x7F) != 0) {
      throw new IllegalArgumentException("flags must fit 7 bits: " + flags);
    }
    if ((bytes2to3 & ~0xFFFF) != 0) {
      throw new IllegalArgumentException("bytes2to3 must fit 16 bits: " + bytes2to3);
    }
    if (specific.length != SPECIFIC_LENGTH) {
      throw new IllegalArgumentException("specific must be " + SPECIFIC_LENGTH + " bytes: " + specific.length);
    }
    if (ahs.length % 4 != 0 || ahs.length > MAX_AHS_LENGTH) {
      throw new IllegalArgumentException("AHS must be a multiple of 4 bytes up to " + MAX_AHS_LENGTH + ": " + ahs.length);
    }
    if (data.length > MAX_DATA_LENGTH) {
      throw new IllegalArgumentException("data segment over 24 bits: " + data.length);
    }
    this.immediate = immediate;
    this.fin = fin;
    this.flags = flags;
    this.bytes2to3 = bytes2to3;
    this.lun = lun;
    this.initiatorTaskTag = initiatorTaskTag;
    this.specific = specific;
    this.ahs = ahs;
    this.data = data;
  }

  /** A PDU with no AHS, opcode-specific bytes zero. */
  public static Pdu of(Opcode opcode, boolean fin, long lun, int itt, byte[] data) {
    return new Pdu(opcode, false, fin, 0, 0, lun, itt, new byte[SPECIFIC_LENGTH], NONE, data.clone(), true);
  }

  /** The empty AHS or data segment, shared (never written). */
  static final byte[] NONE = new byte[0];

  public Opcode opcode() {
    return opcode;
  }

  /** The I bit (byte 0, 0x40): an immediate command. */
  public boolean immediate() {
    return immediate;
  }

  /** The F bit (byte 1, 0x80): final. */
  public boolean fin() {
    return fin;
  }

  public int flags() {
    return flags;
  }

  public int bytes2to3() {
    return bytes2to3;
  }

  public long lun() {
    return lun;
  }

  public int initiatorTaskTag() {
    return initiatorTaskTag;
  }

  /** TotalAHSLength in 4-byte words. */
  public int totalAhsLength() {
    return ahs.length / 4;
  }

  public int dataSegmentLength() {
    return data.length;
  }

  public byte[] specific() {
    return specific.clone();
  }

  public byte[] ahs() {
    return ahs.clone();
  }

  public byte[] data() {
    return data.clone();
  }

  /** Copies the data segment into {@code dst} at {@code off} (no intermediate copy, unlike {@link #data()}). */
  public void copyData(byte[] dst, int off) {
    System.arraycopy(data, 0, dst, off, data.length);
  }

  // read-only views for this package (the codec and Bhs): never written, never handed out
  byte[] specificRef() {
    return specific;
  }

  byte[] ahsRef() {
    return ahs;
  }

  byte[] dataRef() {
    return data;
  }

  /** A big-endian 32-bit word of the opcode-specific bytes, by its BHS offset (20..44). */
  public int specificInt(int bhsOffset) {
    int i = bhsOffset - 20;
    if (i < 0 || i > SPECIFIC_LENGTH - 4) {
      throw new IllegalArgumentException("offset outside bytes 20..47: " + bhsOffset);
    }
    return ((specific[i] & 0xFF) << 24) | ((specific[i + 1] & 0xFF) << 16) | ((specific[i + 2] & 0xFF) << 8) | (specific[i + 3] & 0xFF);
  }

  /** The 48-byte BHS as on the wire. */
  public byte[] bhs() {
    byte[] b = new byte[BHS_LENGTH];
    b[0] = (byte) ((immediate ? 0x40 : 0) | opcode.code());
    b[1] = (byte) ((fin ? 0x80 : 0) | flags);
    b[2] = (byte) (bytes2to3 >>> 8);
    b[3] = (byte) bytes2to3;
    b[4] = (byte) totalAhsLength();
    b[5] = (byte) (data.length >>> 16);
    b[6] = (byte) (data.length >>> 8);
    b[7] = (byte) data.length;
    for (int i = 0; i < 8; i++) {
      b[8 + i] = (byte) (lun >>> (56 - 8 * i));
    }
    b[16] = (byte) (initiatorTaskTag >>> 24);
    b[17] = (byte) (initiatorTaskTag >>> 16);
    b[18] = (byte) (initiatorTaskTag >>> 8);
    b[19] = (byte) initiatorTaskTag;
    System.arraycopy(specific, 0, b, 20, SPECIFIC_LENGTH);
    return b;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Pdu p && Arrays.equals(bhs(), p.bhs()) && Arrays.equals(ahs, p.ahs) && Arrays.equals(data, p.data);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(bhs()) + Arrays.hashCode(ahs)) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return String.format("Pdu[%s%s%s itt=0x%08x lun=0x%016x ahs=%d data=%d]", opcode, immediate ? " I" : "",
        fin ? " F" : "", initiatorTaskTag, lun, ahs.length, data.length);
  }
}
