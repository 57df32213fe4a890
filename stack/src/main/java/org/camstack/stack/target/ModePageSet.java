package org.camstack.stack.target;

import static org.camstack.stack.scsi.Bytes.be16;
import static org.camstack.stack.scsi.Bytes.be24;
import static org.camstack.stack.scsi.Bytes.be32;
import static org.camstack.stack.scsi.Bytes.u8;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.Sense;

/**
 * The mode pages of one logical unit: each page's current, changeable, default and saved values
 * ({@link ModePage}), MODE SENSE(6/10) and MODE SELECT(6/10) over them, and the hot flags cached
 * from the control page 0Ah (D_SENSE: descriptor-format sense; SWP: software write protect).
 *
 * <p>MODE SELECT validates the whole parameter list before applying any of it (a bit outside the
 * changeable mask, an unknown page or a wrong page length refuses the list with a field pointer);
 * SP also copies the new current values to the saved ones. A reset reverts current to saved.
 *
 * <p>Thread-safe: one lock guards the pages; the hot flags are volatile.
 *
 * <p>cf. sys/cam/ctl/ctl.c {@code ctl_mode_sense}, {@code ctl_mode_select}, {@code ctl_init_page_index}.
 */
final class ModePageSet {

  /** What the owning device adds to the mode data (block descriptor, device-specific byte). */
  interface Host {
    /** Does MODE SENSE carry a block descriptor (direct-access devices)? */
    boolean hasBlockDescriptor();

    /** Mode parameter header device-specific byte (disk: WP 0x80, DPOFUA 0x10). */
    int deviceSpecificParameter();

    /** Blocks for the block descriptor. */
    long descriptorBlocks();

    /** Block size for the block descriptor. */
    int descriptorBlockSize();

    /** Current values changed (under the set's lock): recompute the device's own hot flags. */
    void pagesChanged();
  }

  private final Host host;
  private final List<ModePage> pages = new ArrayList<>(); // sorted by code; guarded by this
  private volatile boolean descriptorSense;
  private volatile boolean softwareWriteProtect;

  ModePageSet(Host host) {
    this.host = host;
  }

  /** Registers a page (bytes 0/1 = code/length) with its changeable mask, replacing one of that code. */
  synchronized void add(byte[] defaults, byte[] changeable) {
    ModePage p = new ModePage(defaults, changeable);
    pages.removeIf(q -> q.code == p.code);
    pages.add(p);
    pages.sort((a, b) -> Integer.compare(a.code, b.code));
    changed();
  }

  /** Control page D_SENSE: sense in descriptor format. */
  boolean descriptorSense() {
    return descriptorSense;
  }

  /** Control page SWP. */
  boolean softwareWriteProtect() {
    return softwareWriteProtect;
  }

  /** Current value of a page byte, 0 when there is no such page. */
  synchronized int currentByte(int page, int index) {
    ModePage p = find(page);
    return p == null ? 0 : p.current[index] & 0xff;
  }

  /** Reverts every current value to the saved one (a reset). */
  synchronized void revertToSaved() {
    for (ModePage p : pages) {
      System.arraycopy(p.saved, 0, p.current, 0, p.length());
    }
    changed();
  }

  private void changed() {
    ModePage control = find(0x0a);
    if (control != null) {
      descriptorSense = (control.current[2] & 0x04) != 0;
      softwareWriteProtect = (control.current[4] & 0x08) != 0;
    }
    host.pagesChanged();
  }

  private ModePage find(int code) {
    for (ModePage p : pages) {
      if (p.code == code) {
        return p;
      }
    }
    return null;
  }

  private ScsiResponse fail(ByteString fixedSense, int dxferLen) {
    return EmuDevice.checkCondition(fixedSense, dxferLen, descriptorSense);
  }

  private ScsiResponse invalidCdbField(int byteIndex, int bit, int dxferLen) {
    return fail(Sense.illegalField(0x24, 0x00, true, byteIndex, bit), dxferLen);
  }

  private ScsiResponse invalidParamField(int byteIndex, int bit, int dxferLen) {
    return fail(Sense.illegalField(0x26, 0x00, false, byteIndex, bit), dxferLen);
  }

  private ScsiResponse paramListLengthError(int dxferLen) {
    return fail(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x1a, 0x00), dxferLen);
  }

  // ---------------------------------------------------------------- MODE SENSE

  /** MODE SENSE(6) or (10). */
  ScsiResponse sense(ByteString cdb, boolean ten, int dxferLen) {
    int b1 = u8(cdb, 1);
    boolean dbd = (b1 & 0x08) != 0;
    boolean llbaa = ten && (b1 & 0x10) != 0;
    int pc = u8(cdb, 2) >>> 6;
    int page = u8(cdb, 2) & 0x3f;
    int sub = u8(cdb, 3);
    int alloc = ten ? be16(cdb, 7) : u8(cdb, 4);
    if (sub != 0 && !(sub == 0xff && page == 0x3f)) {
      return invalidCdbField(3, -1, dxferLen);
    }
    int hdr = ten ? 8 : 4;
    int bdl = 0;
    if (!dbd && host.hasBlockDescriptor()) {
      bdl = llbaa ? 16 : 8;
    }
    byte[] b;
    synchronized (this) {
      int pagesLen = 0;
      if (page == 0x3f) {
        for (ModePage p : pages) {
          pagesLen += p.length();
        }
      } else {
        ModePage p = find(page);
        if (p == null) {
          return invalidCdbField(2, 5, dxferLen);
        }
        pagesLen = p.length();
      }
      b = new byte[hdr + bdl + pagesLen];
      int pos = hdr + bdl;
      for (ModePage p : pages) {
        if (page == 0x3f || p.code == page) {
          System.arraycopy(p.values(pc), 0, b, pos, p.length());
          b[pos] = (byte) (p.code | 0x80); // PS: saveable
          b[pos + 1] = (byte) (p.length() - 2);
          pos += p.length();
        }
      }
    }
    int dsp = host.deviceSpecificParameter();
    if (ten) {
      Bytes.put16(b, 0, Math.min(0xffff, b.length - 2));
      b[3] = (byte) dsp;
      b[4] = (byte) (llbaa && bdl == 16 ? 0x01 : 0);
      Bytes.put16(b, 6, bdl);
    } else {
      b[0] = (byte) Math.min(0xff, b.length - 1);
      b[2] = (byte) dsp;
      b[3] = (byte) bdl;
    }
    if (bdl != 0) {
      long blocks = host.descriptorBlocks();
      int bs = host.descriptorBlockSize();
      if (bdl == 16) {
        Bytes.put64(b, hdr, blocks);
        Bytes.put32(b, hdr + 12, bs);
      } else {
        Bytes.put32(b, hdr, blocks > 0xffffffffL ? 0xffffffffL : blocks);
        Bytes.put24(b, hdr + 5, bs);
      }
    }
    return EmuDevice.goodData(ByteString.fromArrayUnsafe(b), alloc, dxferLen);
  }

  // ---------------------------------------------------------------- MODE SELECT

  /** The outcome of MODE SELECT: the answer, and whether a current value changed. */
  record Selected(ScsiResponse response, boolean changed) {}

  /**
   * MODE SELECT(6) or (10). A list it consumed whole answers GOOD with residual {@code dxferLen}
   * minus the list length.
   */
  Selected select(ByteString cdb, ByteString data, boolean ten, int dxferLen) {
    int b1 = u8(cdb, 1);
    boolean save = (b1 & 0x01) != 0;
    int plen = ten ? be16(cdb, 7) : u8(cdb, 4);
    int lenField = ten ? 7 : 4;
    if (plen == 0) {
      return new Selected(EmuDevice.good(dxferLen), false);
    }
    if (data.size() != plen) {
      return new Selected(invalidCdbField(lenField, -1, dxferLen), false);
    }
    int hdr = ten ? 8 : 4;
    if (plen < hdr) {
      return new Selected(paramListLengthError(dxferLen), false);
    }
    int bdl = ten ? be16(data, 6) : u8(data, 3);
    boolean longLba = ten && (u8(data, 4) & 0x01) != 0;
    if (bdl != 0) {
      int expect = longLba ? 16 : 8;
      if (bdl != expect || !host.hasBlockDescriptor()) {
        return new Selected(invalidParamField(ten ? 6 : 3, -1, dxferLen), false);
      }
      if (hdr + bdl > plen) {
        return new Selected(paramListLengthError(dxferLen), false);
      }
      int bsOff = longLba ? hdr + 12 : hdr + 5;
      long bs = longLba ? be32(data, bsOff) : be24(data, bsOff);
      if (bs != 0 && bs != host.descriptorBlockSize()) {
        return new Selected(invalidParamField(bsOff, -1, dxferLen), false);
      }
    }
    boolean changed = false;
    synchronized (this) {
      // validate everything first, then apply
      List<byte[]> staged = new ArrayList<>();
      List<ModePage> targets = new ArrayList<>();
      int p = hdr + bdl;
      while (p < plen) {
        if (p + 2 > plen) {
          return new Selected(paramListLengthError(dxferLen), false);
        }
        int b0 = u8(data, p);
        if ((b0 & 0x40) != 0) {
          return new Selected(invalidParamField(p, 6, dxferLen), false); // subpage format: none here
        }
        ModePage mp = find(b0 & 0x3f);
        if (mp == null) {
          return new Selected(invalidParamField(p, 5, dxferLen), false);
        }
        int len = u8(data, p + 1);
        if (len != mp.length() - 2) {
          return new Selected(invalidParamField(p + 1, -1, dxferLen), false);
        }
        if (p + 2 + len > plen) {
          return new Selected(paramListLengthError(dxferLen), false);
        }
        int idx = targets.indexOf(mp);
        byte[] next = idx >= 0 ? staged.get(idx) : mp.current.clone();
        for (int i = 2; i < mp.length(); i++) {
          int v = u8(data, p + i);
          int cur = next[i] & 0xff;
          int ch = mp.changeable[i] & 0xff;
          int bad = (v ^ cur) & ~ch & 0xff;
          if (bad != 0) {
            return new Selected(invalidParamField(p + i, 31 - Integer.numberOfLeadingZeros(bad), dxferLen), false);
          }
          next[i] = (byte) ((cur & ~ch) | (v & ch));
        }
        if (idx < 0) {
          targets.add(mp);
          staged.add(next);
        }
        p += 2 + len;
      }
      for (int i = 0; i < targets.size(); i++) {
        ModePage mp = targets.get(i);
        byte[] next = staged.get(i);
        if (!Arrays.equals(mp.current, next)) {
          changed = true;
          System.arraycopy(next, 0, mp.current, 0, next.length);
        }
        if (save) {
          System.arraycopy(mp.current, 0, mp.saved, 0, next.length);
        }
      }
      if (changed) {
        changed();
      }
    }
    return new Selected(EmuDevice.good(Math.max(0, dxferLen - plen)), changed);
  }

  // ---------------------------------------------------------------- durable state

  /** Every page's values for page control {@code pc}, by code, as copies (byte 0 PS clear). */
  synchronized Map<Integer, byte[]> values(int pc) {
    Map<Integer, byte[]> out = new TreeMap<>();
    for (ModePage p : pages) {
      out.put(p.code, p.values(pc).clone());
    }
    return out;
  }

  /** Puts back a restored page as current and saved (changeable bits only); false when unknown. */
  synchronized boolean restore(byte[] values) {
    if (values == null || values.length < 2) {
      return false;
    }
    ModePage p = find(values[0] & 0x3f);
    if (p == null || p.length() != values.length) {
      return false;
    }
    for (int i = 2; i < p.length(); i++) {
      int ch = p.changeable[i] & 0xff;
      p.current[i] = (byte) ((p.defaults[i] & ~ch) | (values[i] & ch));
    }
    System.arraycopy(p.current, 0, p.saved, 0, p.length());
    changed();
    return true;
  }
}
