package org.camstack.stack.scsi;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.DeviceInfo;

/**
 * Vital product data pages: the supported-page list (0x00), unit serial number (0x80) and device
 * identification (0x83), parsed and built.
 *
 * <p>cf. {@code struct scsi_vpd_supported_page_list}, {@code struct scsi_vpd_unit_serial_number},
 * {@code struct scsi_vpd_device_id}, {@code struct scsi_vpd_id_descriptor}, {@code
 * scsi_get_devid()} and {@code scsi_devid_match()} in sys/cam/scsi/scsi_all.[ch].
 */
public final class Vpd {
  private Vpd() {}

  public static final int SUPPORTED_PAGES = 0x00;
  public static final int UNIT_SERIAL = 0x80;
  public static final int DEVICE_ID = 0x83;
  public static final int MANAGEMENT_NETWORK = 0x85;
  public static final int EXTENDED_INQUIRY = 0x86;
  public static final int MODE_PAGE_POLICY = 0x87;
  public static final int SCSI_PORTS = 0x88;
  public static final int ATA_INFORMATION = 0x89;
  public static final int BLOCK_LIMITS = 0xb0;
  public static final int BLOCK_CHARACTERISTICS = 0xb1;
  public static final int LOGICAL_BLOCK_PROVISIONING = 0xb2;

  /** Code sets. */
  public static final int CODESET_BINARY = 1;
  public static final int CODESET_ASCII = 2;
  public static final int CODESET_UTF8 = 3;

  /** Associations. */
  public static final int ASSOC_LUN = 0;
  public static final int ASSOC_PORT = 1;
  public static final int ASSOC_TARGET = 2;

  /** Designator types. */
  public static final int ID_VENDOR = 0;
  public static final int ID_T10 = 1;
  public static final int ID_EUI64 = 2;
  public static final int ID_NAA = 3;
  public static final int ID_RELATIVE_PORT = 4;
  public static final int ID_TARGET_PORT_GROUP = 5;
  public static final int ID_LUN_GROUP = 6;
  public static final int ID_MD5 = 7;
  public static final int ID_SCSI_NAME = 8;
  public static final int ID_PROTOCOL_PORT = 9;
  public static final int ID_UUID = 0xa;

  /**
   * One designation descriptor of page 0x83.
   *
   * @param protocolId protocol identifier (meaningful with {@code piv})
   * @param codeSet 1 binary, 2 ASCII, 3 UTF-8
   * @param piv protocol identifier valid
   * @param association 0 LU, 1 target port, 2 target device
   * @param type designator type ({@code ID_*})
   * @param value the designator bytes
   */
  public record Designator(
      int protocolId, int codeSet, boolean piv, int association, int type, ByteString value) {

    public Designator {
      if (value == null || value.size() > 255) {
        throw new IllegalArgumentException("designator value must be 0..255 bytes");
      }
    }

    /** An NAA designator of the LU from a 64-bit NAA value (e.g. 0x5000c50000000001). */
    public static Designator naa(long naa) {
      byte[] b = new byte[8];
      Bytes.put64(b, 0, naa);
      return new Designator(0, CODESET_BINARY, false, ASSOC_LUN, ID_NAA, Bytes.wrap(b));
    }

    /** An EUI-64 designator of the LU. */
    public static Designator eui64(long eui) {
      byte[] b = new byte[8];
      Bytes.put64(b, 0, eui);
      return new Designator(0, CODESET_BINARY, false, ASSOC_LUN, ID_EUI64, Bytes.wrap(b));
    }

    /** A T10 vendor ID designator of the LU: the 8-byte padded vendor then {@code id}. */
    public static Designator t10(String vendor, String id) {
      String v = (vendor + "        ").substring(0, 8);
      return new Designator(0, CODESET_ASCII, false, ASSOC_LUN, ID_T10, ByteString.fromString(v + id, StandardCharsets.US_ASCII));
    }

    /** The relative target port identifier (association: target port). */
    public static Designator relativePort(int port) {
      byte[] b = new byte[4];
      Bytes.put16(b, 2, port);
      return new Designator(0, CODESET_BINARY, false, ASSOC_PORT, ID_RELATIVE_PORT, Bytes.wrap(b));
    }

    /** An NAA designator of the target port. */
    public static Designator targetPortNaa(long naa) {
      Designator d = naa(naa);
      return new Designator(0, CODESET_BINARY, false, ASSOC_PORT, ID_NAA, d.value());
    }

    /**
     * The designator as an identifier string: {@code naa.5000c50000000001}, {@code
     * eui.0011223344556677}, {@code t10.VENDOR  id}, a SCSI name string as is, a relative port as
     * {@code port.N}, other binary designators as hex.
     */
    public String text() {
      return switch (type) {
        case ID_NAA -> "naa." + hexNoSpaces(value);
        case ID_EUI64 -> "eui." + hexNoSpaces(value);
        case ID_T10 -> "t10." + ascii();
        case ID_SCSI_NAME -> ascii();
        case ID_RELATIVE_PORT -> "port." + Bytes.be16(value, 2);
        case ID_TARGET_PORT_GROUP -> "tpg." + Bytes.be16(value, 2);
        case ID_LUN_GROUP -> "lungroup." + Bytes.be16(value, 2);
        case ID_UUID -> "uuid." + hexNoSpaces(value);
        default -> codeSet == CODESET_ASCII || codeSet == CODESET_UTF8 ? ascii() : hexNoSpaces(value);
      };
    }

    private String ascii() {
      String s = value.decodeString(codeSet == CODESET_UTF8 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
      int end = s.length();
      while (end > 0 && (s.charAt(end - 1) == 0 || s.charAt(end - 1) == ' ')) {
        end--;
      }
      return s.substring(0, end);
    }
  }

  private static String hexNoSpaces(ByteString b) {
    StringBuilder sb = new StringBuilder(b.size() * 2);
    for (int i = 0; i < b.size(); i++) {
      sb.append(String.format("%02x", b.apply(i) & 0xff));
    }
    return sb.toString();
  }

  /** The page length field (bytes 2-3), clipped to the data actually present. */
  private static int pageLength(ByteString page) {
    return Math.max(0, Math.min(Bytes.be16(page, 2), page.size() - 4));
  }

  // ---------------------------------------------------------------------------------------------
  // Parsing

  /** Page 0x00: the supported page codes in listed order. */
  public static List<Integer> supportedPages(ByteString page) {
    int n = pageLength(page);
    List<Integer> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(Bytes.u8(page, 4 + i));
    }
    return out;
  }

  /**
   * Page 0x80: the product serial number with leading/trailing spaces and NULs trimmed (non-
   * printable bytes escaped as {@code \ooo}, as {@code cam_strvis()} does).
   */
  public static String unitSerial(ByteString page) {
    int n = pageLength(page);
    String s = page.slice(4, 4 + n).decodeString(StandardCharsets.ISO_8859_1);
    return DeviceInfo.visible(s);
  }

  /** Page 0x83: every designation descriptor; a descriptor cut off by the page end is dropped. */
  public static List<Designator> designators(ByteString page) {
    int end = 4 + pageLength(page);
    List<Designator> out = new ArrayList<>();
    int p = 4;
    while (p + 4 <= end) {
      int len = Bytes.u8(page, p + 3);
      if (p + 4 + len > end) {
        break;
      }
      int b0 = Bytes.u8(page, p);
      int b1 = Bytes.u8(page, p + 1);
      out.add(new Designator(b0 >> 4, b0 & 0x0f, (b1 & 0x80) != 0, (b1 >> 4) & 0x3, b1 & 0x0f, page.slice(p + 4, p + 4 + len)));
      p += 4 + len;
    }
    return out;
  }

  /**
   * The LU's preferred identifier, as {@code scsi_get_devid()} ranks them: NAA, then EUI-64, then
   * T10 vendor ID, then SCSI name string, among descriptors with LU association.
   */
  public static Optional<String> lunId(ByteString page83) {
    List<Designator> ds = designators(page83);
    for (int type : new int[] {ID_NAA, ID_EUI64, ID_T10, ID_SCSI_NAME}) {
      for (Designator d : ds) {
        if (d.association() == ASSOC_LUN && d.type() == type) {
          return Optional.of(d.text());
        }
      }
    }
    return Optional.empty();
  }

  // ---------------------------------------------------------------------------------------------
  // Building (the device side)

  private static byte[] header(int deviceType, int pageCode, int length) {
    if (length > 0xffff) {
      throw new IllegalArgumentException("VPD page 0x" + Integer.toHexString(pageCode) + " too long: " + length);
    }
    byte[] b = new byte[4 + length];
    b[0] = (byte) (deviceType & 0x1f);
    b[1] = (byte) pageCode;
    Bytes.put16(b, 2, length);
    return b;
  }

  /** Page 0x00 listing {@code pages} (which should be ascending and include 0x00). */
  public static ByteString supportedPagesPage(int deviceType, int... pages) {
    byte[] b = header(deviceType, SUPPORTED_PAGES, pages.length);
    for (int i = 0; i < pages.length; i++) {
      b[4 + i] = (byte) pages[i];
    }
    return Bytes.wrap(b);
  }

  /** Page 0x80 with {@code serial} in ASCII. */
  public static ByteString unitSerialPage(int deviceType, String serial) {
    byte[] s = serial.getBytes(StandardCharsets.US_ASCII);
    byte[] b = header(deviceType, UNIT_SERIAL, s.length);
    System.arraycopy(s, 0, b, 4, s.length);
    return Bytes.wrap(b);
  }

  /** Page 0x83 with the given designation descriptors. */
  public static ByteString deviceIdPage(int deviceType, List<Designator> designators) {
    int len = 0;
    for (Designator d : designators) {
      len += 4 + d.value().size();
    }
    byte[] b = header(deviceType, DEVICE_ID, len);
    int p = 4;
    for (Designator d : designators) {
      b[p] = (byte) (((d.protocolId() & 0xf) << 4) | (d.codeSet() & 0xf));
      b[p + 1] = (byte) ((d.piv() ? 0x80 : 0) | ((d.association() & 0x3) << 4) | (d.type() & 0xf));
      b[p + 3] = (byte) d.value().size();
      d.value().copyToArray(b, p + 4, d.value().size());
      p += 4 + d.value().size();
    }
    return Bytes.wrap(b);
  }
}
