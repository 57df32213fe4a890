package org.camstack.stack.scsi.smp;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;

/**
 * Serial Management Protocol frames (SAS-2 SPL, section 9.4): the request frames camstack's host
 * side sends in an {@code XPT_SMP_IO} CCB and the readers of the response frames, for the functions
 * the emulated expander ({@code org.camstack.stack.target.EmuExpander}) answers. Frames are
 * without the trailing CRC (the HBA adds and checks it). cf. sys/cam/scsi/smp_all.c (the frame
 * builders and the function-result table), camcontrol's smp* verbs.
 *
 * <p>Request header: byte 0 frame type 40h, byte 1 function, byte 2 allocated response length and
 * byte 3 request length (both in dwords after the header). Response header: byte 0 frame type 41h,
 * byte 1 function, byte 2 function result, byte 3 response length in dwords.
 */
public final class Smp {
  private Smp() {}

  public static final int FRAME_REQUEST = 0x40;
  public static final int FRAME_RESPONSE = 0x41;

  // functions
  public static final int REPORT_GENERAL = 0x00;
  public static final int REPORT_MANUFACTURER_INFO = 0x01;
  public static final int DISCOVER = 0x10;
  public static final int REPORT_PHY_ERROR_LOG = 0x11;
  public static final int REPORT_PHY_SATA = 0x12;
  public static final int DISCOVER_LIST = 0x20;
  public static final int PHY_CONTROL = 0x91;

  // function results
  public static final int FR_ACCEPTED = 0x00;
  public static final int FR_UNKNOWN_FUNCTION = 0x01;
  public static final int FR_FUNCTION_FAILED = 0x02;
  public static final int FR_INVALID_REQUEST_LENGTH = 0x03;
  public static final int FR_PHY_DOES_NOT_EXIST = 0x10;
  public static final int FR_PHY_NOT_SATA = 0x12;
  public static final int FR_UNKNOWN_PHY_OPERATION = 0x13;
  public static final int FR_PHY_VACANT = 0x16;

  // PHY CONTROL operations
  public static final int PC_NOP = 0x00;
  public static final int PC_LINK_RESET = 0x01;
  public static final int PC_HARD_RESET = 0x02;
  public static final int PC_DISABLE = 0x03;
  public static final int PC_CLEAR_ERROR_LOG = 0x05;

  // DISCOVER: attached device type (byte 12 bits 6:4)
  public static final int DEV_NONE = 0;
  public static final int DEV_END_DEVICE = 1;
  public static final int DEV_EXPANDER = 2;

  // negotiated logical link rate (byte 13 bits 3:0)
  public static final int RATE_UNKNOWN = 0x0;
  public static final int RATE_PHY_DISABLED = 0x1;
  public static final int RATE_6G = 0xa;

  /** The largest response frame camstack asks for (bytes, without CRC). */
  public static final int MAX_RESPONSE = 1020;

  // ---------------------------------------------------------------------------------------------
  // requests

  /** A request frame of {@code len} bytes (a multiple of 4) with the header filled in. */
  private static byte[] request(int function, int len) {
    byte[] b = new byte[len];
    b[0] = (byte) FRAME_REQUEST;
    b[1] = (byte) function;
    b[2] = (byte) 0xff; // allocated response length: as much as there is
    b[3] = (byte) ((len - 4) / 4);
    return b;
  }

  /** REPORT GENERAL. */
  public static ByteString reportGeneral() {
    return ByteString.fromArray(request(REPORT_GENERAL, 4));
  }

  /** REPORT MANUFACTURER INFORMATION. */
  public static ByteString reportManufacturerInfo() {
    return ByteString.fromArray(request(REPORT_MANUFACTURER_INFO, 4));
  }

  /** DISCOVER of one phy. */
  public static ByteString discover(int phy) {
    return phyRequest(DISCOVER, phy);
  }

  /** REPORT PHY ERROR LOG of one phy. */
  public static ByteString reportPhyErrorLog(int phy) {
    return phyRequest(REPORT_PHY_ERROR_LOG, phy);
  }

  /** REPORT PHY SATA of one phy. */
  public static ByteString reportPhySata(int phy) {
    return phyRequest(REPORT_PHY_SATA, phy);
  }

  private static ByteString phyRequest(int function, int phy) {
    byte[] b = request(function, 12);
    b[9] = (byte) phy;
    return ByteString.fromArray(b);
  }

  /** DISCOVER LIST from {@code startPhy}, at most {@code max} short descriptors (type 1). */
  public static ByteString discoverList(int startPhy, int max) {
    byte[] b = request(DISCOVER_LIST, 32);
    b[8] = (byte) startPhy;
    b[9] = (byte) max;
    b[10] = 0; // filter: all phys
    b[11] = 1; // short descriptors
    return ByteString.fromArray(b);
  }

  /** PHY CONTROL: {@code operation} ({@link #PC_LINK_RESET}, ...) on {@code phy}. */
  public static ByteString phyControl(int phy, int operation) {
    byte[] b = request(PHY_CONTROL, 40);
    b[9] = (byte) phy;
    b[10] = (byte) operation;
    return ByteString.fromArray(b);
  }

  /** A request frame of any function and length (tests: bad functions and lengths). */
  public static ByteString raw(int function, int len) {
    return ByteString.fromArray(request(function, len));
  }

  // ---------------------------------------------------------------------------------------------
  // responses

  /** A response frame of {@code len} bytes with the header filled in (device side). */
  public static byte[] response(int function, int result, int len) {
    byte[] b = new byte[len];
    b[0] = (byte) FRAME_RESPONSE;
    b[1] = (byte) function;
    b[2] = (byte) result;
    b[3] = (byte) ((len - 4) / 4);
    return b;
  }

  /** The function result of a response frame (byte 2); -1 when the frame is too short. */
  public static int result(ByteString response) {
    return response.size() < 4 || Bytes.u8(response, 0) != FRAME_RESPONSE ? -1 : Bytes.u8(response, 2);
  }

  /** cf. smp_error_desc(): the function result's name. */
  public static String resultName(int result) {
    switch (result) {
      case FR_ACCEPTED:
        return "SMP Function Accepted";
      case FR_UNKNOWN_FUNCTION:
        return "Unknown SMP Function";
      case FR_FUNCTION_FAILED:
        return "SMP Function Failed";
      case FR_INVALID_REQUEST_LENGTH:
        return "Invalid Request Frame Length";
      case FR_PHY_DOES_NOT_EXIST:
        return "Phy Does Not Exist";
      case FR_PHY_NOT_SATA:
        return "Phy Does Not Support SATA";
      case FR_UNKNOWN_PHY_OPERATION:
        return "Unknown Phy Operation";
      case FR_PHY_VACANT:
        return "Phy Vacant";
      default:
        return String.format(Locale.ROOT, "Function Result 0x%02x", result);
    }
  }

  /** A phy operation by its camstack/camcontrol name (linkreset, hardreset, disable, clearerrlog, nop). */
  public static int phyOperation(String name) {
    switch (name.toLowerCase(Locale.ROOT)) {
      case "nop":
        return PC_NOP;
      case "linkreset":
      case "link-reset":
        return PC_LINK_RESET;
      case "hardreset":
      case "hard-reset":
        return PC_HARD_RESET;
      case "disable":
        return PC_DISABLE;
      case "clearerrlog":
      case "clear-error-log":
        return PC_CLEAR_ERROR_LOG;
      default:
        throw new IllegalArgumentException("unknown phy operation '" + name + "' (linkreset | hardreset | disable | clearerrlog | nop)");
    }
  }

  /** REPORT GENERAL response. */
  public record General(int changeCount, int routeIndexes, int phys, String enclosureId) {}

  public static General general(ByteString r) {
    return new General(Bytes.be16(r, 4), Bytes.be16(r, 6), Bytes.u8(r, 9), hex16(r, 12));
  }

  /** REPORT MANUFACTURER INFORMATION response. */
  public record Manufacturer(String vendor, String product, String revision) {}

  public static Manufacturer manufacturer(ByteString r) {
    return new Manufacturer(ascii(r, 12, 8), ascii(r, 20, 16), ascii(r, 36, 4));
  }

  /**
   * One phy as DISCOVER (or a DISCOVER LIST short descriptor) reports it.
   *
   * @param attachedType {@link #DEV_NONE}, {@link #DEV_END_DEVICE}, {@link #DEV_EXPANDER}
   * @param linkRate negotiated logical link rate ({@link #RATE_PHY_DISABLED}, {@link #RATE_6G}, ...)
   * @param attachedSasAddress 16 hex digits, all zero when nothing is attached
   * @param sspTarget the attached device is an SSP target
   */
  public record Phy(int phy, int attachedType, int linkRate, String attachedSasAddress, boolean sspTarget, int changeCount) {
    public String linkRateName() {
      switch (linkRate) {
        case RATE_PHY_DISABLED:
          return "disabled";
        case RATE_6G:
          return "6.0";
        case 0x8:
          return "1.5";
        case 0x9:
          return "3.0";
        default:
          return "unknown";
      }
    }
  }

  /** DISCOVER response. */
  public static Phy discoverPhy(ByteString r) {
    return new Phy(Bytes.u8(r, 9), (Bytes.u8(r, 12) >> 4) & 7, Bytes.u8(r, 13) & 0xf, hex16(r, 24),
        (Bytes.u8(r, 15) & 0x08) != 0, Bytes.u8(r, 42));
  }

  /** Length of a DISCOVER LIST short descriptor. */
  public static final int SHORT_DESCRIPTOR = 24;
  /** Offset of the first descriptor in a DISCOVER LIST response. */
  public static final int LIST_HEADER = 48;

  /** The short descriptors of a DISCOVER LIST response (phys whose result is not accepted are left out). */
  public static List<Phy> discoverList(ByteString r) {
    int n = Bytes.u8(r, 9);
    List<Phy> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int o = LIST_HEADER + i * SHORT_DESCRIPTOR;
      if (o + SHORT_DESCRIPTOR > r.size() || Bytes.u8(r, o + 1) != FR_ACCEPTED) {
        continue;
      }
      out.add(new Phy(Bytes.u8(r, o), (Bytes.u8(r, o + 2) >> 4) & 7, Bytes.u8(r, o + 3) & 0xf, hex16(r, o + 8),
          (Bytes.u8(r, o + 5) & 0x08) != 0, Bytes.u8(r, o + 19)));
    }
    return out;
  }

  /** REPORT PHY ERROR LOG response. */
  public record ErrorLog(int phy, long invalidDwords, long disparityErrors, long lossOfSync, long resetProblems) {}

  public static ErrorLog errorLog(ByteString r) {
    return new ErrorLog(Bytes.u8(r, 9), Bytes.be32(r, 12), Bytes.be32(r, 16), Bytes.be32(r, 20), Bytes.be32(r, 24));
  }

  private static String hex16(ByteString r, int off) {
    StringBuilder sb = new StringBuilder(16);
    for (int i = 0; i < 8; i++) {
      sb.append(String.format(Locale.ROOT, "%02x", Bytes.u8(r, off + i)));
    }
    return sb.toString();
  }

  private static String ascii(ByteString r, int off, int len) {
    byte[] b = r.slice(off, off + len).toArray();
    return new String(b, java.nio.charset.StandardCharsets.US_ASCII).trim();
  }
}
