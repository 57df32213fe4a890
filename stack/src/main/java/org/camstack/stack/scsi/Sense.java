package org.camstack.stack.scsi;

import org.apache.pekko.util.ByteString;

/**
 * Builds and reads SCSI sense data in fixed (0x70/0x71) and descriptor (0x72/0x73) format.
 *
 * <p>cf. {@code struct scsi_sense_data_fixed}, {@code struct scsi_sense_data_desc}, {@code
 * scsi_set_sense_data()} and {@code scsi_extract_sense_len()} in sys/cam/scsi/scsi_all.[ch]. Values
 * are immutable {@link ByteString}s.
 */
public final class Sense {
  private Sense() {}

  public static final int NO_SENSE = 0x0;
  public static final int RECOVERED_ERROR = 0x1;
  public static final int NOT_READY = 0x2;
  public static final int MEDIUM_ERROR = 0x3;
  public static final int HARDWARE_ERROR = 0x4;
  public static final int ILLEGAL_REQUEST = 0x5;
  public static final int UNIT_ATTENTION = 0x6;
  public static final int DATA_PROTECT = 0x7;
  public static final int BLANK_CHECK = 0x8;
  public static final int VENDOR_SPECIFIC = 0x9;
  public static final int COPY_ABORTED = 0xa;
  public static final int ABORTED_COMMAND = 0xb;
  public static final int EQUAL = 0xc;
  public static final int VOLUME_OVERFLOW = 0xd;
  public static final int MISCOMPARE = 0xe;
  public static final int COMPLETED = 0xf;

  /** {@code SSD_MIN_SIZE}: a fixed-format sense is 18 bytes. */
  public static final int FIXED_LENGTH = 18;
  /** {@code SSD_FULL_SIZE}. */
  public static final int FULL_SIZE = 252;

  /** Fixed-format current sense with key and ASC/ASCQ. */
  public static ByteString fixed(int key, int asc, int ascq) {
    return ByteString.fromArrayUnsafe(fixedBytes(key, asc, ascq));
  }

  /**
   * Fixed-format sense with the INFORMATION field set (VALID bit), e.g. the failing LBA of a
   * medium error.
   */
  public static ByteString fixedWithInfo(int key, int asc, int ascq, long information) {
    byte[] b = fixedBytes(key, asc, ascq);
    b[0] |= (byte) 0x80;
    b[3] = (byte) (information >>> 24);
    b[4] = (byte) (information >>> 16);
    b[5] = (byte) (information >>> 8);
    b[6] = (byte) information;
    return ByteString.fromArrayUnsafe(b);
  }

  /** Fixed sense byte 2: a filemark was read or spaced over (stream commands, SSC). */
  public static final int FILEMARK = 0x80;
  /** Fixed sense byte 2: end of medium or beginning of partition (stream commands, SSC). */
  public static final int EOM = 0x40;
  /** Fixed sense byte 2: incorrect length indicator (stream commands, SSC). */
  public static final int ILI = 0x20;

  /**
   * Fixed-format sense of a stream (tape) command: key, ASC/ASCQ, the {@link #FILEMARK} / {@link
   * #EOM} / {@link #ILI} bits, and the INFORMATION field (VALID set), a residual that may be
   * negative (an overlength block).
   */
  public static ByteString fixedStream(int key, int asc, int ascq, int streamFlags, long information) {
    byte[] b = fixedWithInfo(key, asc, ascq, information).toArray();
    b[2] |= (byte) (streamFlags & (FILEMARK | EOM | ILI));
    return ByteString.fromArrayUnsafe(b);
  }

  /** The FILEMARK / EOM / ILI bits of fixed or descriptor sense (0 when none). */
  public static int streamFlags(ByteString sense) {
    if (sense.isEmpty()) {
      return 0;
    }
    if (!isDescriptor(sense)) {
      return sense.size() > 2 ? sense.apply(2) & (FILEMARK | EOM | ILI) : 0;
    }
    for (int p = 8; p + 1 < sense.size(); p += 2 + (sense.apply(p + 1) & 0xff)) {
      if ((sense.apply(p) & 0xff) == 0x04 && p + 3 < sense.size()) {
        return sense.apply(p + 3) & (FILEMARK | EOM | ILI);
      }
    }
    return 0;
  }

  /** The INFORMATION field (signed 32 bits of fixed sense) when VALID, else {@code dflt}. */
  public static long information(ByteString sense, long dflt) {
    if (isDescriptor(sense)) {
      for (int p = 8; p + 1 < sense.size(); p += 2 + (sense.apply(p + 1) & 0xff)) {
        if ((sense.apply(p) & 0xff) == 0x00 && p + 11 < sense.size() && (sense.apply(p + 2) & 0x80) != 0) {
          return Bytes.be32(sense, p + 8) | (sense.apply(p + 8) < 0 ? 0xffffffff00000000L : 0);
        }
      }
      return dflt;
    }
    if (sense.size() < 7 || (sense.apply(0) & 0x80) == 0) {
      return dflt;
    }
    return (int) Bytes.be32(sense, 3);
  }

  /**
   * ILLEGAL REQUEST sense with the sense-key-specific field pointer (SKSV): which CDB byte (or
   * parameter-list byte, {@code inCdb == false}) is wrong, and optionally which bit.
   *
   * @param bit the bit in error, or -1 for none (BPV clear)
   */
  public static ByteString illegalField(int asc, int ascq, boolean inCdb, int fieldPointer, int bit) {
    byte[] b = fixedBytes(ILLEGAL_REQUEST, asc, ascq);
    int sks = 0x80 | (inCdb ? 0x40 : 0);
    if (bit >= 0) {
      sks |= 0x08 | (bit & 0x7);
    }
    b[15] = (byte) sks;
    b[16] = (byte) (fieldPointer >>> 8);
    b[17] = (byte) fieldPointer;
    return ByteString.fromArrayUnsafe(b);
  }

  private static byte[] fixedBytes(int key, int asc, int ascq) {
    byte[] b = new byte[FIXED_LENGTH];
    b[0] = 0x70;
    b[2] = (byte) (key & 0x0f);
    b[7] = (byte) (FIXED_LENGTH - 8);
    b[12] = (byte) asc;
    b[13] = (byte) ascq;
    return b;
  }

  /**
   * Descriptor-format (0x72) sense with the same content as a fixed one: key, ASC/ASCQ, and the
   * information and sense-key-specific descriptors when the fixed sense carried them.
   */
  public static ByteString toDescriptor(ByteString fixedSense) {
    if (isDescriptor(fixedSense)) {
      return fixedSense;
    }
    boolean infoValid = fixedSense.size() > 6 && (fixedSense.apply(0) & 0x80) != 0;
    boolean sksv = fixedSense.size() > 17 && (fixedSense.apply(15) & 0x80) != 0;
    int stream = fixedSense.size() > 2 ? fixedSense.apply(2) & (FILEMARK | EOM | ILI) : 0;
    int len = 8 + (infoValid ? 12 : 0) + (sksv ? 8 : 0) + (stream != 0 ? 4 : 0);
    byte[] b = new byte[len];
    b[0] = 0x72;
    b[1] = (byte) key(fixedSense);
    b[2] = (byte) asc(fixedSense);
    b[3] = (byte) ascq(fixedSense);
    b[7] = (byte) (len - 8);
    int p = 8;
    if (infoValid) {
      b[p] = 0x00; // information descriptor
      b[p + 1] = 0x0a;
      b[p + 2] = (byte) 0x80; // VALID
      for (int i = 0; i < 4; i++) {
        b[p + 8 + i] = fixedSense.apply(3 + i);
      }
      p += 12;
    }
    if (sksv) {
      b[p] = 0x02; // sense key specific descriptor
      b[p + 1] = 0x06;
      b[p + 4] = fixedSense.apply(15);
      b[p + 5] = fixedSense.apply(16);
      b[p + 6] = fixedSense.apply(17);
      p += 8;
    }
    if (stream != 0) {
      b[p] = 0x04; // stream commands descriptor
      b[p + 1] = 0x02;
      b[p + 3] = (byte) stream;
    }
    return ByteString.fromArrayUnsafe(b);
  }

  public static boolean isDescriptor(ByteString sense) {
    if (sense.isEmpty()) {
      return false;
    }
    int rc = sense.apply(0) & 0x7f;
    return rc == 0x72 || rc == 0x73;
  }

  /** Sense key, or -1 when {@code sense} is empty or too short. */
  public static int key(ByteString sense) {
    if (isDescriptor(sense)) {
      return sense.size() > 1 ? sense.apply(1) & 0x0f : -1;
    }
    return sense.size() > 2 ? sense.apply(2) & 0x0f : -1;
  }

  /** Additional sense code, or -1 when absent. */
  public static int asc(ByteString sense) {
    if (isDescriptor(sense)) {
      return sense.size() > 2 ? sense.apply(2) & 0xff : -1;
    }
    return sense.size() > 12 ? sense.apply(12) & 0xff : -1;
  }

  /** Additional sense code qualifier, or -1 when absent. */
  public static int ascq(ByteString sense) {
    if (isDescriptor(sense)) {
      return sense.size() > 3 ? sense.apply(3) & 0xff : -1;
    }
    return sense.size() > 13 ? sense.apply(13) & 0xff : -1;
  }

  /** True for response codes 0x71/0x73 (deferred errors). */
  public static boolean isDeferred(ByteString sense) {
    if (sense.isEmpty()) {
      return false;
    }
    int rc = sense.apply(0) & 0x7f;
    return rc == 0x71 || rc == 0x73;
  }
}
