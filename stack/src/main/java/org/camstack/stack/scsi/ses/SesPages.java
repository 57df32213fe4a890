package org.camstack.stack.scsi.ses;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;

/**
 * SES-2 diagnostic pages the enclosure driver reads and writes: configuration (0x01), enclosure
 * status (0x02) and enclosure control (0x02, SEND DIAGNOSTIC). cf. sys/cam/scsi/scsi_ses.h and
 * the page walkers of scsi_enc_ses.c.
 */
public final class SesPages {
  private SesPages() {}

  public static final int PAGE_SUPPORTED = 0x00;
  public static final int PAGE_CONFIGURATION = 0x01;
  public static final int PAGE_STATUS = 0x02;
  public static final int PAGE_ADDITIONAL_STATUS = 0x0a;

  /** Element types (SES-2 table 3, the ones the driver distinguishes). */
  public static final int ELM_DEVICE_SLOT = 0x01;
  public static final int ELM_POWER_SUPPLY = 0x02;
  public static final int ELM_COOLING = 0x03;
  public static final int ELM_TEMPERATURE = 0x04;
  public static final int ELM_ENCLOSURE = 0x0e;
  public static final int ELM_ARRAY_DEVICE_SLOT = 0x17;

  /** Status byte 0 bits 3..0: element status codes. */
  public static final int STATUS_UNSUPPORTED = 0x0;
  public static final int STATUS_OK = 0x1;
  public static final int STATUS_CRITICAL = 0x2;
  public static final int STATUS_NONCRITICAL = 0x3;
  public static final int STATUS_UNRECOVERABLE = 0x4;
  public static final int STATUS_NOT_INSTALLED = 0x5;
  public static final int STATUS_UNKNOWN = 0x6;
  public static final int STATUS_NOT_AVAILABLE = 0x7;

  /** A type descriptor header of the configuration page, with its text. */
  public record TypeDescriptor(int elementType, int possibleElements, int subenclosureId, String text) {}

  /**
   * The configuration page (0x01).
   *
   * @param logicalId the primary subenclosure's enclosure logical identifier (bytes 4..11)
   */
  public record Configuration(long generation, int subenclosures, long logicalId, List<TypeDescriptor> types) {
    public Configuration {
      types = List.copyOf(types);
    }

    public int elementCount() {
      int n = 0;
      for (TypeDescriptor t : types) {
        n += t.possibleElements();
      }
      return n;
    }
  }

  /**
   * The status page (0x02): per type, the overall status and the element statuses (4 bytes each).
   *
   * @param flags byte 1: INVOP 0x10, INFO 0x08, NON-CRIT 0x04, CRIT 0x02, UNRECOV 0x01
   */
  public record Status(long generation, int flags, List<ByteString> overall, List<List<ByteString>> elements) {
    public Status {
      overall = List.copyOf(overall);
      List<List<ByteString>> copy = new ArrayList<>();
      for (List<ByteString> l : elements) {
        copy.add(List.copyOf(l));
      }
      elements = List.copyOf(copy);
    }
  }

  /** cf. ses_process_config(). */
  public static Configuration parseConfiguration(ByteString page) {
    if (page.size() < 8 || (page.apply(0) & 0xff) != PAGE_CONFIGURATION) {
      throw new IllegalArgumentException("not a configuration page");
    }
    int len = Math.min(page.size(), 4 + be16(page, 2));
    int secondary = page.apply(1) & 0xff;
    long gen = be32(page, 4);
    int p = 8;
    int headers = 0;
    long logicalId = 0;
    for (int s = 0; s <= secondary; s++) {
      need(p + 4 <= len, "enclosure descriptor");
      if (s == 0 && p + 12 <= len) {
        for (int i = 0; i < 8; i++) {
          logicalId = (logicalId << 8) | (page.apply(p + 4 + i) & 0xff);
        }
      }
      headers += page.apply(p + 2) & 0xff;
      p += 4 + (page.apply(p + 3) & 0xff);
    }
    List<int[]> hdr = new ArrayList<>();
    for (int i = 0; i < headers; i++) {
      need(p + 4 <= len, "type descriptor header");
      hdr.add(
          new int[] {page.apply(p) & 0xff, page.apply(p + 1) & 0xff, page.apply(p + 2) & 0xff, page.apply(p + 3) & 0xff});
      p += 4;
    }
    List<TypeDescriptor> types = new ArrayList<>();
    for (int[] h : hdr) {
      int tl = Math.min(h[3], Math.max(0, len - p));
      String text = new String(page.slice(p, p + tl).toArray(), StandardCharsets.ISO_8859_1).trim();
      p += tl;
      types.add(new TypeDescriptor(h[0], h[1], h[2], text));
    }
    return new Configuration(gen, secondary + 1, logicalId, types);
  }

  /**
   * A SAS device attached to an element, from the additional element status page.
   *
   * @param elementIndex the element's index over all individual elements (EIP)
   * @param sasAddress the attached end device's SAS address
   */
  public record Attached(int elementIndex, long sasAddress) {}

  /**
   * cf. ses_process_elm_addlstatus(): the SAS addresses behind the elements of page 0x0A (SAS
   * protocol, descriptor type 0, EIP set). Elements with no device are left out.
   */
  public static List<Attached> parseAdditionalStatus(ByteString page) {
    if (page.size() < 8 || (page.apply(0) & 0xff) != PAGE_ADDITIONAL_STATUS) {
      throw new IllegalArgumentException("not an additional element status page");
    }
    int len = Math.min(page.size(), 4 + be16(page, 2));
    List<Attached> out = new ArrayList<>();
    int p = 8;
    while (p + 2 <= len) {
      int b0 = page.apply(p) & 0xff;
      int dlen = (page.apply(p + 1) & 0xff) + 2;
      need(p + dlen <= len, "additional element status descriptor");
      boolean invalid = (b0 & 0x80) != 0;
      boolean eip = (b0 & 0x10) != 0;
      int proto = b0 & 0x0f;
      if (!invalid && eip && proto == 6 && dlen >= 8) {
        int elementIndex = page.apply(p + 3) & 0xff;
        int phys = page.apply(p + 4) & 0xff;
        int type = (page.apply(p + 5) & 0xff) >> 6;
        int q = p + 8;
        for (int i = 0; i < phys && type == 0 && q + 28 <= p + dlen; i++, q += 28) {
          long sas = 0;
          for (int k = 0; k < 8; k++) {
            sas = (sas << 8) | (page.apply(q + 12 + k) & 0xff);
          }
          if (sas != 0) {
            out.add(new Attached(elementIndex, sas));
            break;
          }
        }
      }
      p += dlen;
    }
    return out;
  }

  /**
   * cf. ses_setphyspath_callback(): {@code id1,enc@n<logical id>/type@<type index>/slot@<element
   * index in type>}.
   */
  public static String physPath(Configuration config, int elementIndex) {
    int idx = elementIndex;
    for (int ti = 0; ti < config.types().size(); ti++) {
      int n = config.types().get(ti).possibleElements();
      if (idx < n) {
        return String.format("id1,enc@n%x/type@%x/slot@%x", config.logicalId(), ti, idx);
      }
      idx -= n;
    }
    return "";
  }

  /** cf. ses_process_status(). */
  public static Status parseStatus(ByteString page, Configuration config) {
    if (page.size() < 8 || (page.apply(0) & 0xff) != PAGE_STATUS) {
      throw new IllegalArgumentException("not a status page");
    }
    int len = Math.min(page.size(), 4 + be16(page, 2));
    int p = 8;
    List<ByteString> overall = new ArrayList<>();
    List<List<ByteString>> elements = new ArrayList<>();
    for (TypeDescriptor t : config.types()) {
      need(p + 4 <= len, "overall status");
      overall.add(page.slice(p, p + 4));
      p += 4;
      List<ByteString> elms = new ArrayList<>();
      for (int i = 0; i < t.possibleElements(); i++) {
        need(p + 4 <= len, "element status");
        elms.add(page.slice(p, p + 4));
        p += 4;
      }
      elements.add(elms);
    }
    return new Status(be32(page, 4), page.apply(1) & 0x1f, overall, elements);
  }

  /**
   * The control page (0x02 via SEND DIAGNOSTIC) that changes one element: every other element is
   * left unselected. cf. ses_set_status() / ses_encode().
   *
   * @param typeIndex index into the configuration's type descriptors
   * @param element element index within that type
   * @param control the 4-byte control element; SELECT is set here
   */
  public static ByteString control(Configuration config, int typeIndex, int element, byte[] control) {
    int body = 0;
    for (TypeDescriptor t : config.types()) {
      body += 4 * (1 + t.possibleElements());
    }
    byte[] b = new byte[8 + body];
    b[0] = PAGE_STATUS;
    b[2] = (byte) ((body + 4) >> 8);
    b[3] = (byte) (body + 4);
    long g = config.generation();
    b[4] = (byte) (g >>> 24);
    b[5] = (byte) (g >>> 16);
    b[6] = (byte) (g >>> 8);
    b[7] = (byte) g;
    int p = 8;
    for (int ti = 0; ti < config.types().size(); ti++) {
      p += 4; // overall control: not selected
      for (int e = 0; e < config.types().get(ti).possibleElements(); e++) {
        if (ti == typeIndex && e == element) {
          System.arraycopy(control, 0, b, p, 4);
          b[p] |= (byte) 0x80; // SELECT
        }
        p += 4;
      }
    }
    return ByteString.fromArray(b);
  }

  /**
   * A device-slot control element requesting ident and/or fault. Byte 2 bit 1 RQST IDENT, byte 3
   * bit 5 RQST FAULT (SES-2 device slot / array device slot control elements).
   */
  public static byte[] slotControl(boolean ident, boolean fault) {
    byte[] c = new byte[4];
    c[2] = (byte) (ident ? 0x02 : 0);
    c[3] = (byte) (fault ? 0x20 : 0);
    return c;
  }

  /** IDENT bit of a device-slot status element (byte 2 bit 1). */
  public static boolean slotIdent(ByteString status) {
    return status.size() >= 4 && (status.apply(2) & 0x02) != 0;
  }

  /** FAULT SENSED or FAULT REQSTD of a device-slot status element (byte 3 bits 6, 5). */
  public static boolean slotFault(ByteString status) {
    return status.size() >= 4 && (status.apply(3) & 0x60) != 0;
  }

  /** The element status code, byte 0 bits 3..0. */
  public static int statusCode(ByteString status) {
    return status.isEmpty() ? STATUS_UNKNOWN : status.apply(0) & 0x0f;
  }

  public static boolean isSlot(int elementType) {
    return elementType == ELM_DEVICE_SLOT || elementType == ELM_ARRAY_DEVICE_SLOT;
  }

  /** RECEIVE DIAGNOSTIC RESULTS with PCV for {@code page}. */
  public static ByteString receiveDiagnostic(int page, int allocLength) {
    return ByteString.fromArray(
        new byte[] {0x1c, 0x01, (byte) page, (byte) (allocLength >> 8), (byte) allocLength, 0});
  }

  /** SEND DIAGNOSTIC with PF and a parameter list of {@code length} bytes. */
  public static ByteString sendDiagnostic(int length) {
    return ByteString.fromArray(new byte[] {0x1d, 0x10, 0, (byte) (length >> 8), (byte) length, 0});
  }

  private static int be16(ByteString b, int off) {
    return ((b.apply(off) & 0xff) << 8) | (b.apply(off + 1) & 0xff);
  }

  private static long be32(ByteString b, int off) {
    return ((long) (b.apply(off) & 0xff) << 24)
        | ((b.apply(off + 1) & 0xff) << 16)
        | ((b.apply(off + 2) & 0xff) << 8)
        | (b.apply(off + 3) & 0xff);
  }

  private static void need(boolean ok, String what) {
    if (!ok) {
      throw new IllegalArgumentException("truncated page: " + what);
    }
  }
}
