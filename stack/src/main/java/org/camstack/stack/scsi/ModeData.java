package org.camstack.stack.scsi;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.util.ByteString;

/**
 * MODE SENSE / MODE SELECT parameter data: header, block descriptors and mode pages, in the 6-byte
 * (4-byte header) and 10-byte (8-byte header) forms.
 *
 * <p>cf. {@code struct scsi_mode_header_6}, {@code struct scsi_mode_header_10}, {@code struct
 * scsi_mode_block_descr}, {@code struct scsi_mode_page_header}, {@code struct
 * scsi_mode_page_header_sp}, {@code struct scsi_caching_page} and {@code struct
 * scsi_control_page} in sys/cam/scsi/scsi_all.h.
 *
 * @param mediumType medium type byte
 * @param deviceSpecific device-specific parameter (direct access: WP 0x80, DPOFUA 0x10)
 * @param blockDescriptors the block descriptors (usually none or one)
 * @param pages the mode pages in order
 */
public record ModeData(int mediumType, int deviceSpecific, List<BlockDescriptor> blockDescriptors, List<Page> pages) {

  public static final int PAGE_RW_ERROR_RECOVERY = 0x01;
  public static final int PAGE_DISCONNECT = 0x02;
  public static final int PAGE_FORMAT = 0x03;
  public static final int PAGE_RIGID_DISK = 0x04;
  public static final int PAGE_VERIFY_ERROR_RECOVERY = 0x07;
  public static final int PAGE_CACHING = 0x08;
  public static final int PAGE_CONTROL = 0x0a;
  public static final int PAGE_POWER_CONDITION = 0x1a;
  public static final int PAGE_INFO_EXCEPTIONS = 0x1c;
  public static final int PAGE_ALL = 0x3f;

  /** Device-specific parameter: write protected. */
  public static final int DEV_SPEC_WP = 0x80;
  /** Device-specific parameter: DPO and FUA supported. */
  public static final int DEV_SPEC_DPOFUA = 0x10;

  /** Caching page byte 2: write cache enable, read cache disable. */
  public static final int CACHING_WCE = 0x04;
  public static final int CACHING_RCD = 0x01;
  /** Control page byte 2: descriptor-format sense. */
  public static final int CONTROL_D_SENSE = 0x04;

  /** A block descriptor: {@code blocks} logical blocks of {@code blockLength} bytes (density 0). */
  public record BlockDescriptor(long blocks, long blockLength) {}

  /**
   * One mode page.
   *
   * @param code page code (0..0x3e)
   * @param subpage subpage code; a page with subpage &gt; 0 uses the sub_page format (SPF)
   * @param ps parameters saveable
   * @param params the parameter bytes after the page header
   */
  public record Page(int code, int subpage, boolean ps, ByteString params) {
    public Page {
      if (code < 0 || code > 0x3f || subpage < 0 || subpage > 0xff) {
        throw new IllegalArgumentException("bad mode page " + code + "/" + subpage);
      }
      if (params == null || params.size() > (subpage > 0 ? 0xffff : 0xff)) {
        throw new IllegalArgumentException("mode page 0x" + Integer.toHexString(code) + " parameters too long");
      }
    }

    public static Page of(int code, byte... params) {
      return new Page(code, 0, false, Bytes.wrap(params.clone()));
    }

    /** Byte {@code i} of the whole page (header included, as the standards number them). */
    public int byteAt(int i) {
      return Bytes.u8(params, i - (subpage > 0 ? 4 : 2));
    }

    int encodedLength() {
      return (subpage > 0 ? 4 : 2) + params.size();
    }

    void encode(byte[] b, int p, boolean withPs) {
      b[p] = (byte) ((withPs && ps ? 0x80 : 0) | (subpage > 0 ? 0x40 : 0) | code);
      int h;
      if (subpage > 0) {
        b[p + 1] = (byte) subpage;
        Bytes.put16(b, p + 2, params.size());
        h = 4;
      } else {
        b[p + 1] = (byte) params.size();
        h = 2;
      }
      params.copyToArray(b, p + h, params.size());
    }
  }

  public ModeData {
    blockDescriptors = List.copyOf(blockDescriptors);
    pages = List.copyOf(pages);
  }

  /** Pages only: medium type 0, no device-specific bits, no block descriptor. */
  public static ModeData ofPages(List<Page> pages) {
    return new ModeData(0, 0, List.of(), pages);
  }

  /** The caching page (0x08, 18 parameter bytes) with WCE / RCD. */
  public static Page cachingPage(boolean wce, boolean rcd) {
    byte[] p = new byte[18];
    p[0] = (byte) ((wce ? CACHING_WCE : 0) | (rcd ? CACHING_RCD : 0));
    return new Page(PAGE_CACHING, 0, true, Bytes.wrap(p));
  }

  /** The control page (0x0a, 10 parameter bytes) with D_SENSE. */
  public static Page controlPage(boolean descriptorSense) {
    byte[] p = new byte[10];
    p[0] = (byte) (descriptorSense ? CONTROL_D_SENSE : 0);
    p[1] = 0x10; // queue algorithm modifier 1: unrestricted reordering
    p[6] = (byte) 0xff; // busy timeout period
    p[7] = (byte) 0xff;
    return new Page(PAGE_CONTROL, 0, true, Bytes.wrap(p));
  }

  /** The first page with {@code code} (any subpage 0). */
  public Optional<Page> page(int code) {
    return page(code, 0);
  }

  public Optional<Page> page(int code, int subpage) {
    for (Page p : pages) {
      if (p.code() == code && p.subpage() == subpage) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  public boolean writeProtected() {
    return (deviceSpecific & DEV_SPEC_WP) != 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Parsing

  /** Parses MODE SENSE(6) data or a MODE SELECT(6) parameter list. */
  public static ModeData parse6(ByteString data) {
    int bdLen = Bytes.u8(data, 3);
    int end = data.size();
    return parse(data, Bytes.u8(data, 1), Bytes.u8(data, 2), 4, bdLen, false, end);
  }

  /** Parses MODE SENSE(10) data or a MODE SELECT(10) parameter list. */
  public static ModeData parse10(ByteString data) {
    boolean longLba = (Bytes.u8(data, 4) & 0x01) != 0;
    int bdLen = Bytes.be16(data, 6);
    return parse(data, Bytes.u8(data, 2), Bytes.u8(data, 3), 8, bdLen, longLba, data.size());
  }

  private static ModeData parse(
      ByteString data, int mediumType, int devSpec, int hdr, int bdLen, boolean longLba, int end) {
    List<BlockDescriptor> bds = new ArrayList<>();
    int size = longLba ? 16 : 8;
    int bdEnd = Math.min(end, hdr + bdLen);
    for (int p = hdr; p + size <= bdEnd; p += size) {
      if (longLba) {
        bds.add(new BlockDescriptor(Bytes.be64(data, p) & Long.MAX_VALUE, Bytes.be32(data, p + 12)));
      } else {
        bds.add(new BlockDescriptor(Bytes.be32(data, p), Bytes.be24(data, p + 5)));
      }
    }
    List<Page> pages = new ArrayList<>();
    int p = hdr + bdLen;
    while (p + 2 <= end) {
      int b0 = Bytes.u8(data, p);
      boolean spf = (b0 & 0x40) != 0;
      int h = spf ? 4 : 2;
      if (p + h > end) {
        break;
      }
      int len = spf ? Bytes.be16(data, p + 2) : Bytes.u8(data, p + 1);
      int stop = Math.min(end, p + h + len);
      int sub = spf ? Bytes.u8(data, p + 1) : 0;
      pages.add(new Page(b0 & 0x3f, sub, (b0 & 0x80) != 0, data.slice(p + h, stop)));
      p += h + len;
    }
    return new ModeData(mediumType, devSpec, bds, pages);
  }

  // ---------------------------------------------------------------------------------------------
  // Building

  /** MODE SENSE(6) data: 4-byte header, 8-byte descriptors, pages. */
  public ByteString toBytes6() {
    return encode(false, true);
  }

  /** MODE SENSE(10) data: 8-byte header; long (16-byte) descriptors when a block count needs it. */
  public ByteString toBytes10() {
    return encode(true, true);
  }

  /** A MODE SELECT(6) parameter list: mode data length 0 and PS bits clear (both reserved). */
  public ByteString toSelect6() {
    return encode(false, false);
  }

  /** A MODE SELECT(10) parameter list. */
  public ByteString toSelect10() {
    return encode(true, false);
  }

  private ByteString encode(boolean ten, boolean sense) {
    boolean longLba = ten && blockDescriptors.stream().anyMatch(d -> d.blocks() > 0xffffffffL);
    int hdr = ten ? 8 : 4;
    int bdLen = blockDescriptors.size() * (longLba ? 16 : 8);
    int total = hdr + bdLen;
    for (Page p : pages) {
      total += p.encodedLength();
    }
    if (!ten && (total > 0x100 || bdLen > 0xff)) {
      throw new IllegalArgumentException("mode data of " + total + " bytes does not fit MODE SENSE(6)");
    }
    if (total > 0x10001) {
      throw new IllegalArgumentException("mode data of " + total + " bytes does not fit MODE SENSE(10)");
    }
    byte[] b = new byte[total];
    if (ten) {
      if (sense) {
        Bytes.put16(b, 0, total - 2);
      }
      b[2] = (byte) mediumType;
      b[3] = (byte) (sense ? deviceSpecific : deviceSpecific & ~DEV_SPEC_WP);
      b[4] = (byte) (longLba ? 1 : 0);
      Bytes.put16(b, 6, bdLen);
    } else {
      if (sense) {
        b[0] = (byte) (total - 1);
      }
      b[1] = (byte) mediumType;
      b[2] = (byte) (sense ? deviceSpecific : deviceSpecific & ~DEV_SPEC_WP);
      b[3] = (byte) bdLen;
    }
    int p = hdr;
    for (BlockDescriptor d : blockDescriptors) {
      if (longLba) {
        Bytes.put64(b, p, d.blocks());
        Bytes.put32(b, p + 12, d.blockLength());
        p += 16;
      } else {
        Bytes.put32(b, p, Math.min(d.blocks(), 0xffffffffL));
        Bytes.put24(b, p + 5, (int) d.blockLength());
        p += 8;
      }
    }
    for (Page pg : pages) {
      pg.encode(b, p, sense);
      p += pg.encodedLength();
    }
    return Bytes.wrap(b);
  }
}
