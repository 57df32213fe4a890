package org.camstack.stack.scsi;

import org.apache.pekko.util.ByteString;

/**
 * READ CAPACITY(10) and (16) parameter data.
 *
 * <p>cf. {@code struct scsi_read_capacity_data} and {@code struct scsi_read_capacity_data_long}
 * in sys/cam/scsi/scsi_all.h.
 *
 * @param lastLba the address of the last logical block (blocks - 1)
 * @param blockLength logical block length in bytes
 * @param protectionEnabled PROT_EN (RC16 byte 12 bit 0)
 * @param protectionType P_TYPE (RC16 byte 12 bits 3..1); the DIF type is {@code protectionType + 1}
 * @param lbPerPbExponent logical blocks per physical block exponent (RC16 byte 13 bits 3..0)
 * @param lbpme logical block provisioning management enabled (thin provisioning, UNMAP works)
 * @param lbprz unmapped blocks read as zeros
 * @param lowestAlignedLba lowest aligned logical block address (14 bits)
 */
public record ReadCapacity(
    long lastLba,
    long blockLength,
    boolean protectionEnabled,
    int protectionType,
    int lbPerPbExponent,
    boolean lbpme,
    boolean lbprz,
    int lowestAlignedLba) {

  /** RC10 last-LBA value meaning "too big, use READ CAPACITY(16)". */
  public static final long RC10_OVERFLOW = 0xffffffffL;
  /** Length of READ CAPACITY(10) data. */
  public static final int RC10_LENGTH = 8;
  /** Length of READ CAPACITY(16) data FreeBSD asks for. */
  public static final int RC16_LENGTH = 32;

  public ReadCapacity {
    if (lastLba < 0 || blockLength < 0) {
      throw new IllegalArgumentException("negative capacity: last LBA " + lastLba + ", block length " + blockLength);
    }
  }

  /** A plain capacity: no protection, one logical block per physical block, not thin. */
  public static ReadCapacity of(long lastLba, long blockLength) {
    return new ReadCapacity(lastLba, blockLength, false, 0, 0, false, false, 0);
  }

  /** Parses READ CAPACITY(10) data (8 bytes; shorter data reads as zeros). */
  public static ReadCapacity parse10(ByteString data) {
    return of(Bytes.be32(data, 0), Bytes.be32(data, 4));
  }

  /** Parses READ CAPACITY(16) data (32 bytes; shorter data reads as zeros). */
  public static ReadCapacity parse16(ByteString data) {
    int b12 = Bytes.u8(data, 12);
    int b13 = Bytes.u8(data, 13);
    int b14 = Bytes.u8(data, 14);
    return new ReadCapacity(
        Bytes.be64(data, 0) & Long.MAX_VALUE,
        Bytes.be32(data, 8),
        (b12 & 0x01) != 0,
        (b12 >> 1) & 0x07,
        b13 & 0x0f,
        (b14 & 0x80) != 0,
        (b14 & 0x40) != 0,
        ((b14 & 0x3f) << 8) | Bytes.u8(data, 15));
  }

  /** The number of logical blocks. */
  public long blocks() {
    return lastLba + 1;
  }

  /** Capacity in bytes. */
  public long sizeBytes() {
    return blocks() * blockLength;
  }

  /** True when READ CAPACITY(10) cannot express the capacity (its last LBA is 0xFFFFFFFF). */
  public boolean needsLong() {
    return lastLba >= RC10_OVERFLOW;
  }

  /** Physical block size in bytes. */
  public long physicalBlockLength() {
    return blockLength << lbPerPbExponent;
  }

  /** READ CAPACITY(10) data: the last LBA clamps to 0xFFFFFFFF when it does not fit. */
  public ByteString toBytes10() {
    byte[] b = new byte[RC10_LENGTH];
    Bytes.put32(b, 0, Math.min(lastLba, RC10_OVERFLOW));
    Bytes.put32(b, 4, blockLength);
    return Bytes.wrap(b);
  }

  /** READ CAPACITY(16) data (32 bytes). */
  public ByteString toBytes16() {
    byte[] b = new byte[RC16_LENGTH];
    Bytes.put64(b, 0, lastLba);
    Bytes.put32(b, 8, blockLength);
    b[12] = (byte) (((protectionType & 0x7) << 1) | (protectionEnabled ? 1 : 0));
    b[13] = (byte) (lbPerPbExponent & 0x0f);
    b[14] = (byte) ((lbpme ? 0x80 : 0) | (lbprz ? 0x40 : 0) | ((lowestAlignedLba >> 8) & 0x3f));
    b[15] = (byte) lowestAlignedLba;
    return Bytes.wrap(b);
  }

  /** camcontrol readcap's default line: {@code Last Block: 2097151, Block Length: 512 bytes}. */
  public String describe() {
    return "Last Block: " + lastLba + ", Block Length: " + blockLength + " bytes";
  }
}
