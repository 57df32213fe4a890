package org.camstack.stack.scsi;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.pekko.util.ByteString;

/**
 * REPORT LUNS parameter data: a 4-byte list length, 4 reserved bytes, then one 8-byte LUN per
 * entry.
 *
 * <p>LUN encoding (SAM-5): LUN &lt; 256 uses peripheral device addressing (byte 0 = 0, byte 1 =
 * LUN); LUN &lt; 16384 flat space addressing (byte 0 = 0x40 | LUN bits 13..8, byte 1 = LUN bits
 * 7..0); LUN &lt; 2^24 extended flat space addressing (byte 0 = 0xD2, bytes 1-3 = LUN). Other
 * entries decode to CAM's 64-bit LUN id: the 8 bytes with their four 16-bit words in reverse order.
 * cf. {@code struct scsi_report_luns_data}, {@code CAM_GET_SIMPLE_LUN}, {@code
 * CAM_GET_LUN} and {@code CAM_EXTLUN_BYTE_SWIZZLE} in sys/cam/scsi/scsi_all.h and cam.h.
 */
public final class ReportLuns {
  private ReportLuns() {}

  /** Header length (list length + reserved). */
  public static final int HEADER_LENGTH = 8;
  /** Bytes per LUN entry. */
  public static final int ENTRY_LENGTH = 8;

  /** The LUN list length in bytes the device announced (bytes 0-3), which may exceed what came. */
  public static long listLength(ByteString data) {
    return Bytes.be32(data, 0);
  }

  /**
   * The allocation length needed to receive the whole list: {@code listLength + 8}. The probe
   * re-issues REPORT LUNS with this when it exceeds what it asked for.
   */
  public static long requiredLength(ByteString data) {
    return listLength(data) + HEADER_LENGTH;
  }

  /** The LUNs in the data, in device order; entries that were cut off are left out. */
  public static List<Long> parse(ByteString data) {
    long announced = listLength(data) / ENTRY_LENGTH;
    long present = Math.max(0, (data.size() - HEADER_LENGTH) / ENTRY_LENGTH);
    int n = (int) Math.min(announced, present);
    List<Long> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(decodeLun(data, HEADER_LENGTH + ENTRY_LENGTH * i));
    }
    return out;
  }

  /** REPORT LUNS data for {@code luns} in the given order. */
  public static ByteString build(Collection<Long> luns) {
    byte[] b = new byte[HEADER_LENGTH + ENTRY_LENGTH * luns.size()];
    Bytes.put32(b, 0, (long) ENTRY_LENGTH * luns.size());
    int p = HEADER_LENGTH;
    for (long lun : luns) {
      encodeLun(lun, b, p);
      p += ENTRY_LENGTH;
    }
    return Bytes.wrap(b);
  }

  /**
   * The 8-byte SAM LUN for {@code lun} (0 &le; lun &lt; 2^24).
   *
   * @throws IllegalArgumentException for a negative LUN or one above 24 bits
   */
  public static ByteString encodeLun(long lun) {
    byte[] b = new byte[ENTRY_LENGTH];
    encodeLun(lun, b, 0);
    return Bytes.wrap(b);
  }

  private static void encodeLun(long lun, byte[] b, int p) {
    if (lun < 0) {
      throw new IllegalArgumentException("negative LUN " + lun);
    }
    if (lun < 256) {
      b[p + 1] = (byte) lun;
    } else if (lun < 16384) {
      b[p] = (byte) (0x40 | (lun >> 8));
      b[p + 1] = (byte) lun;
    } else if (lun < (1 << 24)) {
      b[p] = (byte) 0xd2;
      Bytes.put24(b, p + 1, (int) lun);
    } else {
      throw new IllegalArgumentException("LUN " + lun + " needs more than 24 bits");
    }
  }

  /** The LUN id of the 8-byte entry at {@code offset}. */
  public static long decodeLun(ByteString data, int offset) {
    int b0 = Bytes.u8(data, offset);
    int method = b0 & 0xc0;
    boolean singleLevel = Bytes.be16(data, offset + 2) == 0 && Bytes.be32(data, offset + 4) == 0;
    if (singleLevel && method == 0x00 && (b0 & 0x3f) == 0) {
      return Bytes.u8(data, offset + 1);
    }
    if (singleLevel && method == 0x40) {
      return ((b0 & 0x3f) << 8) | Bytes.u8(data, offset + 1);
    }
    if (b0 == 0xd2 && Bytes.be32(data, offset + 4) == 0) {
      return Bytes.be24(data, offset + 1);
    }
    return swizzle(Bytes.be64(data, offset));
  }

  /** {@code CAM_EXTLUN_BYTE_SWIZZLE}: reverses the order of the four 16-bit words. */
  static long swizzle(long v) {
    return ((v << 48) & 0xffff000000000000L)
        | ((v << 16) & 0x0000ffff00000000L)
        | ((v >>> 16) & 0x00000000ffff0000L)
        | ((v >>> 48) & 0x000000000000ffffL);
  }
}
