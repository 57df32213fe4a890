package org.camstack.stack.ccb;

import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;

/**
 * What the probe learned about a device: the answer to XPT_GDEV_TYPE and the payload of
 * AC_FOUND_DEVICE. cf. {@code struct ccb_getdev} and the inquiry/VPD fields of {@code struct
 * cam_ed}.
 *
 * @param path the device
 * @param inquiry standard INQUIRY data as returned by the device (36 bytes or more)
 * @param supportedVpd VPD page 0x00 payload (the page list), empty if not supported
 * @param serial VPD page 0x80 serial number (trimmed ASCII), empty if none
 * @param deviceId VPD page 0x83 page as returned (designation descriptors), empty if none
 * @param physPath physical path (set by an enclosure through XPT_DEV_ADVINFO), empty if none
 */
public record DeviceInfo(
    CamPath path,
    ByteString inquiry,
    ByteString supportedVpd,
    String serial,
    ByteString deviceId,
    String physPath)
    implements Ccb.CcbResult {

  /** SCSI peripheral device types ({@code T_*} in scsi_all.h). */
  public static final int T_DIRECT = 0x00;
  public static final int T_SEQUENTIAL = 0x01;
  public static final int T_PRINTER = 0x02;
  public static final int T_PROCESSOR = 0x03;
  public static final int T_WORM = 0x04;
  public static final int T_CDROM = 0x05;
  public static final int T_OPTICAL = 0x07;
  public static final int T_CHANGER = 0x08;
  public static final int T_STORARRAY = 0x0c;
  public static final int T_ENCLOSURE = 0x0d;
  public static final int T_RBC = 0x0e;
  public static final int T_NODEVICE = 0x1f;

  public DeviceInfo {
    if (path == null || inquiry == null) {
      throw new IllegalArgumentException("device info needs a path and inquiry data");
    }
    supportedVpd = supportedVpd == null ? ByteString.emptyByteString() : supportedVpd;
    serial = serial == null ? "" : serial;
    deviceId = deviceId == null ? ByteString.emptyByteString() : deviceId;
    physPath = physPath == null ? "" : physPath;
  }

  public DeviceInfo withPhysPath(String newPhysPath) {
    return new DeviceInfo(path, inquiry, supportedVpd, serial, deviceId, newPhysPath);
  }

  private int inqByte(int i) {
    return i < inquiry.size() ? inquiry.apply(i) & 0xff : 0;
  }

  /** Peripheral device type, byte 0 bits 4..0 ({@code SID_TYPE}). */
  public int deviceType() {
    return inqByte(0) & 0x1f;
  }

  /** Peripheral qualifier, byte 0 bits 7..5 ({@code SID_QUAL}): 0 connected, 1 offline, 3 none. */
  public int qualifier() {
    return (inqByte(0) >> 5) & 0x7;
  }

  /** RMB bit. */
  public boolean removable() {
    return (inqByte(1) & 0x80) != 0;
  }

  /** {@code SID_ANSI_REV}: 2 SCSI-2, 3 SPC, 4 SPC-2, 5 SPC-3, 6 SPC-4. */
  public int ansiVersion() {
    return inqByte(2) & 0x7;
  }

  /** {@code SID_CmdQue}: tagged queuing supported. */
  public boolean commandQueueing() {
    return (inqByte(7) & 0x02) != 0;
  }

  public String vendor() {
    return ascii(8, 8);
  }

  public String product() {
    return ascii(16, 16);
  }

  public String revision() {
    return ascii(32, 4);
  }

  /** The bytes of a fixed ASCII inquiry field with leading/trailing spaces and NULs trimmed. */
  private String ascii(int offset, int len) {
    if (inquiry.size() < offset) {
      return "";
    }
    int end = Math.min(inquiry.size(), offset + len);
    byte[] b = inquiry.slice(offset, end).toArray();
    return visible(new String(b, StandardCharsets.ISO_8859_1));
  }

  /**
   * cf. {@code cam_strvis()}: trims leading and trailing spaces and NULs; non-printable bytes become
   * {@code \ooo}.
   */
  public static String visible(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && (s.charAt(start) == ' ' || s.charAt(start) == 0)) {
      start++;
    }
    while (end > start && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == 0)) {
      end--;
    }
    StringBuilder sb = new StringBuilder(end - start);
    for (int i = start; i < end; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c >= 0x7f) {
        sb.append('\\').append(String.format("%03o", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /** {@code <VENDOR PRODUCT REV>} as camcontrol devlist prints it. */
  public String identity() {
    return "<" + vendor() + " " + product() + " " + revision() + ">";
  }

  /** True when VPD page {@code page} is listed in page 0x00. */
  public boolean supportsVpd(int page) {
    for (int i = 0; i < supportedVpd.size(); i++) {
      if ((supportedVpd.apply(i) & 0xff) == page) {
        return true;
      }
    }
    return false;
  }
}
