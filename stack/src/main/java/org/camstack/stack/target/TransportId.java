package org.camstack.stack.target;

import static org.camstack.stack.scsi.Bytes.be16;
import static org.camstack.stack.scsi.Bytes.u8;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;

/**
 * SCSI TransportIDs (SPC-4 7.6.4): how persistent reservations name an initiator port in READ FULL
 * STATUS, REGISTER with SPEC_I_PT and REGISTER AND MOVE.
 *
 * <ul>
 *   <li>iSCSI (protocol identifier 5): format 01b, {@code "<iSCSI name>,i,0x<ISID>"}
 *       NUL-terminated and padded to a multiple of 4 bytes (at least 20), for an initiator port
 *       named that way ({@link Nexuses#describe}); format 00b (the name alone) for any other
 *       network name. Parsing accepts format 01b only: format 00b names a whole initiator device,
 *       not one I_T nexus.
 *   <li>The in-process SIM: its initiator ids are parallel-SCSI-like bus addresses, so they are
 *       SPI TransportIDs (protocol identifier 1, 24 bytes): SCSI ADDRESS = the SIM initiator id,
 *       RELATIVE PORT IDENTIFIER 0. Parsed only for the SIM's own target port ({@link
 *       Nexuses#CAM_SIM_PORT}).
 * </ul>
 *
 * <p>Pure functions (cf. {@code ctl_alloc_tpc_transportid}/{@code ctl_parse_transportid} in
 * sys/cam/ctl; the layouts are SPC-4's).
 */
final class TransportId {
  private TransportId() {}

  static final int PROTOCOL_SPI = 0x1;
  static final int PROTOCOL_ISCSI = 0x5;
  static final int SPI_LENGTH = 24;
  /** Initiator ids below this are the in-process SIM's. */
  static final int SIM_ID_LIMIT = Nexuses.FIRST_REGISTERED;
  private static final String ISID_SEPARATOR = ",i,0x";

  /** The TransportID of the initiator port of {@code n}. */
  static byte[] of(Nexuses.Nexus n) {
    if (n.initiatorId() >= 0 && n.initiatorId() < SIM_ID_LIMIT && n.relativeTargetPort() == Nexuses.CAM_SIM_PORT) {
      byte[] b = new byte[SPI_LENGTH];
      b[0] = PROTOCOL_SPI;
      Bytes.put16(b, 2, n.initiatorId());
      return b;
    }
    String name = n.initiatorPort();
    boolean withIsid = name.toLowerCase(Locale.ROOT).contains(ISID_SEPARATOR);
    byte[] s = name.getBytes(StandardCharsets.UTF_8);
    int nameLen = Math.max(20, (s.length + 1 + 3) & ~3); // NUL terminated, multiple of 4
    byte[] b = new byte[4 + nameLen];
    b[0] = (byte) ((withIsid ? 0x40 : 0x00) | PROTOCOL_ISCSI);
    Bytes.put16(b, 2, nameLen);
    System.arraycopy(s, 0, b, 4, s.length);
    return b;
  }

  /**
   * The length of the TransportID at {@code off}, or -1 when it is not one this device reads
   * (protocol, format) or does not fit in {@code end}.
   */
  static int length(ByteString d, int off, int end) {
    if (off + 4 > end) {
      return -1;
    }
    int b0 = u8(d, off);
    int proto = b0 & 0x0f;
    int format = b0 >>> 6;
    int len;
    if (proto == PROTOCOL_SPI && format == 0) {
      len = SPI_LENGTH;
    } else if (proto == PROTOCOL_ISCSI && format == 1) {
      len = 4 + be16(d, off + 2);
    } else {
      return -1;
    }
    return off + len <= end ? len : -1;
  }

  /**
   * The I_T nexus between the initiator port the TransportID at {@code off} names and target port
   * {@code relativeTargetPort}, or -1 when it names none this device can serve (unsupported
   * protocol or format, a malformed name, an SPI address on a network port).
   */
  static int nexus(ByteString d, int off, int end, int relativeTargetPort) {
    int len = length(d, off, end);
    if (len < 0 || relativeTargetPort < 1 || relativeTargetPort > 0xffff) {
      return -1;
    }
    int proto = u8(d, off) & 0x0f;
    if (proto == PROTOCOL_SPI) {
      int addr = be16(d, off + 2);
      return relativeTargetPort == Nexuses.CAM_SIM_PORT && addr < SIM_ID_LIMIT ? addr : -1;
    }
    int n = 0;
    while (4 + n < len && u8(d, off + 4 + n) != 0) {
      n++;
    }
    if (4 + n >= len) {
      return -1; // not NUL terminated
    }
    String name = d.slice(off + 4, off + 4 + n).decodeString(StandardCharsets.UTF_8);
    int sep = name.toLowerCase(Locale.ROOT).indexOf(ISID_SEPARATOR);
    if (sep <= 0) {
      return -1;
    }
    String isid = name.substring(sep + ISID_SEPARATOR.length());
    if (isid.length() != 12 || !isid.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
      return -1;
    }
    return Nexuses.idFor(name.substring(0, sep) + ISID_SEPARATOR + isid.toLowerCase(Locale.ROOT), relativeTargetPort);
  }
}
