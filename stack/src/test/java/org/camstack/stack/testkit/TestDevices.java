package org.camstack.stack.testkit;

import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.DeviceInfo;

/** DeviceInfo values for tests that stand in for the probe. */
public final class TestDevices {
  private TestDevices() {}

  public static ByteString inquiry(int type, boolean removable, String vendor, String product, String rev) {
    byte[] b = new byte[36];
    b[0] = (byte) type;
    b[1] = (byte) (removable ? 0x80 : 0);
    b[2] = 6; // SPC-4
    b[3] = 2;
    b[4] = 31;
    b[7] = 0x02; // CmdQue
    put(b, 8, 8, vendor);
    put(b, 16, 16, product);
    put(b, 32, 4, rev);
    return ByteString.fromArray(b);
  }

  private static void put(byte[] b, int off, int len, String s) {
    byte[] v = s.getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < len; i++) {
      b[off + i] = i < v.length ? v[i] : (byte) ' ';
    }
  }

  /** VPD 0x83 payload (no header) with one NAA designator associated with the LUN. */
  public static ByteString naa(long wwn) {
    byte[] b = new byte[12];
    b[0] = 0x01; // binary
    b[1] = 0x03; // assoc LUN, NAA
    b[3] = 8;
    for (int i = 0; i < 8; i++) {
      b[4 + i] = (byte) (wwn >>> (56 - 8 * i));
    }
    return ByteString.fromArray(b);
  }

  public static DeviceInfo disk(CamPath path) {
    long wwn = 0x5000c50000000000L | (path.bus() << 16) | (path.target() << 8) | path.lun();
    return new DeviceInfo(
        path,
        inquiry(DeviceInfo.T_DIRECT, false, "CAMSTACK", "EMUDISK", "0001"),
        ByteString.fromArray(new byte[] {0x00, (byte) 0x80, (byte) 0x83, (byte) 0xb0, (byte) 0xb1, (byte) 0xb2}),
        "SN" + path.btl(),
        naa(wwn),
        "");
  }

  public static DeviceInfo removableDisk(CamPath path) {
    DeviceInfo d = disk(path);
    return new DeviceInfo(
        path,
        inquiry(DeviceInfo.T_DIRECT, true, "CAMSTACK", "EMUCARD", "0001"),
        d.supportedVpd(),
        d.serial(),
        d.deviceId(),
        "");
  }

  public static DeviceInfo enclosure(CamPath path) {
    return new DeviceInfo(
        path,
        inquiry(DeviceInfo.T_ENCLOSURE, false, "CAMSTACK", "EMUSES", "0001"),
        ByteString.fromArray(new byte[] {0x00, (byte) 0x80, (byte) 0x83}),
        "ENC" + path.btl(),
        naa(0x5000cafe00000000L | path.target()),
        "");
  }

  public static DeviceInfo processor(CamPath path) {
    return new DeviceInfo(
        path,
        inquiry(DeviceInfo.T_PROCESSOR, false, "CAMSTACK", "EMUPROC", "0001"),
        ByteString.emptyByteString(),
        "",
        ByteString.emptyByteString(),
        "");
  }

  public static DeviceInfo cdrom(CamPath path) {
    return new DeviceInfo(
        path,
        inquiry(DeviceInfo.T_CDROM, true, "CAMSTACK", "EMU-CDROM", "0001"),
        ByteString.fromArray(new byte[] {0x00, (byte) 0x80, (byte) 0x83}),
        "CD" + path.btl(),
        naa(0x5000cd0000000000L | path.target()),
        "");
  }
}
