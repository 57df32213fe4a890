package org.camstack.stack.scsi.ch;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;

/**
 * The SMC CDBs ch(4) sends and the READ ELEMENT STATUS decoder. cf. scsi_ch.c ({@code
 * scsi_move_medium}, {@code scsi_exchange_medium}, {@code scsi_position_to_element}, {@code
 * scsi_read_element_status}, {@code scsi_initialize_element_status}) and scsi_ch.h.
 */
public final class ChCdbs {
  private ChCdbs() {}

  private static ByteString cdb(int... b) {
    byte[] a = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      a[i] = (byte) b[i];
    }
    return ByteString.fromArrayUnsafe(a);
  }

  public static ByteString moveMedium(int transport, int from, int to) {
    return cdb(0xa5, 0, transport >>> 8, transport, from >>> 8, from, to >>> 8, to, 0, 0, 0, 0);
  }

  public static ByteString exchangeMedium(int transport, int source, int first, int second) {
    return cdb(0xa6, 0, transport >>> 8, transport, source >>> 8, source, first >>> 8, first, second >>> 8, second, 0, 0);
  }

  public static ByteString positionToElement(int transport, int to) {
    return cdb(0x2b, 0, transport >>> 8, transport, to >>> 8, to, 0, 0, 0, 0);
  }

  public static ByteString initializeElementStatus() {
    return cdb(0x07, 0, 0, 0, 0, 0);
  }

  /** READ ELEMENT STATUS: element type code (0 all), VOLTAG, first address, count, allocation length. */
  public static ByteString readElementStatus(int type, boolean voltag, int start, int count, int alloc) {
    return cdb(0xb8, (voltag ? 0x10 : 0) | (type & 0x0f), start >>> 8, start, count >>> 8, count, 0, alloc >>> 16, alloc >>> 8,
        alloc, 0, 0);
  }

  /**
   * Decodes READ ELEMENT STATUS data: every element status page and its descriptors.
   *
   * @param element maps an address to its element (null: unknown, reported by type code)
   * @throws IllegalArgumentException on truncated data
   */
  public static List<ChPeriph.ElementStatus> parseElementStatus(ByteString d, IntFunction<ChPeriph.Element> element) {
    if (d.size() < 8) {
      throw new IllegalArgumentException("element status data of " + d.size() + " bytes");
    }
    List<ChPeriph.ElementStatus> out = new ArrayList<>();
    int end = Math.min(d.size(), 8 + Bytes.be24(d, 5));
    int p = 8;
    while (p + 8 <= end) {
      int type = d.apply(p) & 0x0f;
      boolean pvoltag = (d.apply(p + 1) & 0x80) != 0;
      int descLen = Bytes.be16(d, p + 2);
      int bytes = Bytes.be24(d, p + 5);
      if (descLen < 12) {
        throw new IllegalArgumentException("element descriptor length " + descLen);
      }
      int pageEnd = Math.min(end, p + 8 + bytes);
      for (int q = p + 8; q + descLen <= pageEnd; q += descLen) {
        int addr = Bytes.be16(d, q);
        int flags = d.apply(q + 2) & 0xff;
        String tag = pvoltag && descLen >= 48 ? d.slice(q + 12, q + 44).utf8String().trim() : "";
        ChPeriph.Element source = (d.apply(q + 9) & 0x80) != 0 ? element.apply(Bytes.be16(d, q + 10)) : null;
        ChPeriph.Element me = element.apply(addr);
        if (me == null) {
          me = new ChPeriph.Element(ChPeriph.Kind.of(type), addr);
        }
        out.add(new ChPeriph.ElementStatus(me, addr, (flags & 0x01) != 0, (flags & 0x02) != 0, (flags & 0x04) != 0,
            (flags & 0x08) != 0, tag, source));
      }
      p = pageEnd;
    }
    return out;
  }
}
