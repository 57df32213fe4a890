package org.camstack.stack.scsi;

import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.DeviceInfo;

/**
 * {@code camcontrol inquiry} output and standard INQUIRY data.
 *
 * <p>cf. {@code scsi_print_inquiry_sbuf()}, {@code scsi_print_inquiry_short_sbuf()} in
 * sys/cam/scsi/scsi_all.c and {@code scsidoinquiry()}, {@code scsiserial()}, {@code
 * scsixferrate()} in sbin/camcontrol/camcontrol.c (modern wording).
 */
public final class InquiryFormat {
  private InquiryFormat() {}

  /** Standard INQUIRY data length FreeBSD asks for ({@code SHORT_INQUIRY_LENGTH}). */
  public static final int SHORT_LENGTH = 36;

  /** The device-type name {@code scsi_print_inquiry} uses, "unknown" for unassigned types. */
  public static String deviceTypeName(int type) {
    return switch (type & 0x1f) {
      case 0x00 -> "Direct Access";
      case 0x01 -> "Sequential Access";
      case 0x02 -> "Printer";
      case 0x03 -> "Processor";
      case 0x04 -> "WORM";
      case 0x05 -> "CD-ROM";
      case 0x06 -> "Scanner";
      case 0x07 -> "Optical";
      case 0x08 -> "Changer";
      case 0x09 -> "Communication";
      case 0x0c -> "Storage Array";
      case 0x0d -> "Enclosure Services";
      case 0x0e -> "Simplified Direct Access";
      case 0x0f -> "Optical Card Read/Write";
      case 0x11 -> "Object-Based Storage";
      case 0x12 -> "Automation/Drive Interface";
      case 0x14 -> "Host Managed Zoned Block";
      case 0x1f -> "Uninstalled";
      default -> "unknown";
    };
  }

  /** "SPC-4 SCSI" for version 6, "SCSI-2" for 2, "SCSI" for 0. */
  public static String versionName(int ansiVersion) {
    if (ansiVersion == 0) {
      return "SCSI";
    }
    if (ansiVersion <= 2) {
      return "SCSI-" + ansiVersion;
    }
    return "SPC-" + (ansiVersion - 2) + " SCSI";
  }

  /** {@code ""}, {@code " (offline)"}, {@code " (reserved qualifier)"}, ... */
  private static String qualifierText(int qualifier) {
    return switch (qualifier) {
      case 0 -> "";
      case 1 -> " (offline)";
      case 2 -> " (reserved qualifier)";
      case 3 -> " (LUN not supported)";
      default -> " (vendor-unique qualifier)";
    };
  }

  /**
   * {@code <SEAGATE ST3146855LW 0003> Fixed Direct Access SPC-4 SCSI device}: the text after
   * "pass0: " in {@code camcontrol inquiry -D}.
   */
  public static String describe(ByteString inquiry) {
    DeviceInfo info = new DeviceInfo(org.camstack.stack.ccb.CamPath.XPT, inquiry, null, null, null, null);
    return describe(info);
  }

  public static String describe(DeviceInfo info) {
    return info.identity() + " " + description(info.removable(), info.deviceType(), info.ansiVersion(), info.qualifier());
  }

  /**
   * {@code Fixed Direct Access SPC-4 SCSI device}, with a qualifier other than "connected" in
   * parentheses: what modern {@code scsi_print_inquiry()} prints after the identity.
   */
  public static String description(boolean removable, int deviceType, int ansiVersion, int qualifier) {
    return (removable ? "Removable" : "Fixed")
        + " "
        + deviceTypeName(deviceType)
        + " "
        + versionName(ansiVersion)
        + " device"
        + qualifierText(qualifier);
  }

  /** {@code pass0: <...> Fixed Direct Access SPC-4 SCSI device}. */
  public static String inquiryLine(String device, ByteString inquiry) {
    return device + ": " + describe(inquiry);
  }

  /**
   * {@code pass0: Serial Number 3NM1ABCD} ({@code %.60s}). camcontrol prints the prefix only
   * when {@code -S} is combined with {@code -D} or {@code -R}; alone it prints the bare serial.
   *
   * @param device "pass0", or null for {@code -S} given alone (the serial is printed bare)
   */
  public static String serialLine(String device, String serial) {
    String s = serial.length() > 60 ? serial.substring(0, 60) : serial;
    return device == null ? s : device + ": Serial Number " + s;
  }

  /**
   * {@code pass0: 300.000MB/s transfers, Command Queueing Enabled}: {@code %d.%03dMB/s} at 1000
   * KB/s and above, else {@code %dKB/s}, then the transport details (e.g. {@code " (20.000MHz,
   * offset 15, 16bit)"}, may be empty) and the queueing note.
   *
   * @param speedKbps transfer rate in KB/s (camcontrol's {@code speed})
   */
  public static String rateLine(String device, long speedKbps, String details, boolean cmdQueueing) {
    StringBuilder sb = new StringBuilder();
    sb.append(device).append(": ");
    long mb = speedKbps / 1000;
    if (mb > 0) {
      sb.append(String.format("%d.%03dMB/s transfers", mb, speedKbps % 1000));
    } else {
      sb.append(speedKbps).append("KB/s transfers");
    }
    sb.append(details == null ? "" : details);
    if (cmdQueueing) {
      sb.append(", Command Queueing Enabled");
    }
    return sb.toString();
  }

  /**
   * Standard INQUIRY data (36 bytes, response data format 2, additional length 31): qualifier 0,
   * {@code deviceType}, RMB, version, CmdQue, and the space-padded ASCII identification fields.
   */
  public static ByteString standardInquiry(
      int deviceType,
      boolean removable,
      int ansiVersion,
      boolean cmdQueue,
      String vendor,
      String product,
      String revision) {
    byte[] b = new byte[SHORT_LENGTH];
    b[0] = (byte) (deviceType & 0x1f);
    b[1] = (byte) (removable ? 0x80 : 0);
    b[2] = (byte) ansiVersion;
    b[3] = 0x02; // response data format 2
    b[4] = (byte) (SHORT_LENGTH - 5);
    b[7] = (byte) (cmdQueue ? 0x02 : 0);
    Bytes.putAscii(b, 8, vendor, 8);
    Bytes.putAscii(b, 16, product, 16);
    Bytes.putAscii(b, 32, revision, 4);
    return Bytes.wrap(b);
  }
}
