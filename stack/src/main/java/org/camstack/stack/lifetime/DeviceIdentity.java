package org.camstack.stack.lifetime;

import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.DeviceInfo;

/**
 * The stable identity of a device, independent of its path and unit number (I7): the WWN from VPD
 * page 0x83 when the device has one, else its serial number (VPD 0x80).
 *
 * @param wwn {@code naa.<hex>} / {@code eui.<hex>} from the first LUN-associated NAA or EUI-64
 *     designator, or ""
 * @param serial the unit serial number, or ""
 */
public record DeviceIdentity(String wwn, String serial) {

  public static final DeviceIdentity UNKNOWN = new DeviceIdentity("", "");

  public DeviceIdentity {
    wwn = wwn == null ? "" : wwn;
    serial = serial == null ? "" : serial;
  }

  /** The key lifetime events and persisted wiring use: the WWN, else the serial, else "". */
  public String key() {
    return !wwn.isEmpty() ? wwn : serial;
  }

  public static DeviceIdentity of(DeviceInfo info) {
    if (info == null) {
      return UNKNOWN;
    }
    return new DeviceIdentity(wwn(info.deviceId()), info.serial());
  }

  /**
   * The first NAA (type 3), else EUI-64 (type 2), designator associated with the LUN in a VPD 0x83
   * payload, with or without its 4-byte page header.
   */
  static String wwn(ByteString page) {
    if (page == null || page.size() < 4) {
      return "";
    }
    int start = 0;
    int declared = ((page.apply(2) & 0xff) << 8) | (page.apply(3) & 0xff);
    if ((page.apply(1) & 0xff) == 0x83 && declared + 4 == page.size()) {
      start = 4;
    }
    String eui = "";
    int p = start;
    while (p + 4 <= page.size()) {
      int type = page.apply(p + 1) & 0x0f;
      int assoc = (page.apply(p + 1) >> 4) & 0x03;
      int len = page.apply(p + 3) & 0xff;
      if (p + 4 + len > page.size()) {
        break;
      }
      if (assoc == 0 && (type == 3 || type == 2)) {
        StringBuilder hex = new StringBuilder(4 + 2 * len).append(type == 3 ? "naa." : "eui.");
        for (int i = 0; i < len; i++) {
          int v = page.apply(p + 4 + i) & 0xff; // lowercase, two digits (no String.format: 6 per cycle)
          hex.append(Character.forDigit(v >> 4, 16)).append(Character.forDigit(v & 0xf, 16));
        }
        if (type == 3) {
          return hex.toString();
        }
        if (eui.isEmpty()) {
          eui = hex.toString();
        }
      }
      p += 4 + len;
    }
    return eui;
  }
}
