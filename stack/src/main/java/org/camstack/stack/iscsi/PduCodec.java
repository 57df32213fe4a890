package org.camstack.stack.iscsi;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.apache.pekko.util.ByteString;

/**
 * The iSCSI wire format (RFC 7143 §11.2): BHS, AHS, optional HeaderDigest, data segment padded to
 * 4 bytes, optional DataDigest (present only when the data segment is not empty). Both digests are
 * CRC32C (§13.1) over the bytes they protect (the data digest covers the padding too), sent in the
 * byte order of RFC 3720 Appendix B.4: least significant byte first.
 *
 * <p>Framing is stateful (digests switch on after login), so a {@link Settings} value travels with
 * the encoder call and a {@link Decoder} is built per connection and switched with {@link
 * Decoder#settings(Settings)}.
 */
public final class PduCodec {

  private PduCodec() {}

  /**
   * Framing settings of one direction of a connection.
   *
   * @param maxDataSegmentLength the largest data segment accepted (the receiver's declared
   *     MaxRecvDataSegmentLength), at most 2^24-1
   */
  public record Settings(boolean headerDigest, boolean dataDigest, int maxDataSegmentLength) {
    /** Before login completes: no digests, the default MaxRecvDataSegmentLength. */
    public static final Settings LOGIN = new Settings(false, false, 8192);

    public Settings {
      if (maxDataSegmentLength < 0 || maxDataSegmentLength > Pdu.MAX_DATA_LENGTH) {
        throw new IllegalArgumentException("maxDataSegmentLength outside 0..2^24-1: " + maxDataSegmentLength);
      }
    }
  }

  /** What the decoder yields: a whole PDU, or why the stream cannot be framed any further. */
  public sealed interface Decoded {
    record Frame(Pdu pdu) implements Decoded {}

    /** The stream is broken at this point; the decoder yields nothing more. */
    record Error(String message) implements Decoded {}
  }

  /** CRC32C of a range, as iSCSI computes its digests. */
  public static int crc32c(byte[] b, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(b, off, len);
    return (int) c.getValue();
  }

  static int padded(int len) {
    return (len + 3) & ~3;
  }

  private static void putDigest(byte[] b, int off, int crc) {
    b[off] = (byte) crc;
    b[off + 1] = (byte) (crc >>> 8);
    b[off + 2] = (byte) (crc >>> 16);
    b[off + 3] = (byte) (crc >>> 24);
  }

  private static int getDigest(byte[] b, int off) {
    return (b[off] & 0xFF) | ((b[off + 1] & 0xFF) << 8) | ((b[off + 2] & 0xFF) << 16) | ((b[off + 3] & 0xFF) << 24);
  }

  /** The bytes of one PDU on the wire. */
  public static byte[] encode(Pdu pdu, Settings s) {
    byte[] ahs = pdu.ahsRef(); // read only
    byte[] data = pdu.dataRef();
    int headerLen = Pdu.BHS_LENGTH + ahs.length;
    int dataStart = headerLen + (s.headerDigest() ? 4 : 0);
    int dataPadded = padded(data.length);
    int total = dataStart + dataPadded + (s.dataDigest() && data.length > 0 ? 4 : 0);
    byte[] out = new byte[total];
    System.arraycopy(pdu.bhs(), 0, out, 0, Pdu.BHS_LENGTH);
    System.arraycopy(ahs, 0, out, Pdu.BHS_LENGTH, ahs.length);
    if (s.headerDigest()) {
      putDigest(out, headerLen, crc32c(out, 0, headerLen));
    }
    System.arraycopy(data, 0, out, dataStart, data.length);
    if (s.dataDigest() && data.length > 0) {
      putDigest(out, dataStart + dataPadded, crc32c(out, dataStart, dataPadded));
    }
    return out;
  }

  /**
   * A frame from its header ({@code head}: the BHS with DataSegmentLength filled in, no AHS, and 4
   * more bytes for the HeaderDigest when the settings have one, computed here) and its data
   * segment, which is referenced, not copied: header, data, then the padding and DataDigest (when
   * the segment is not empty) in one small tail.
   */
  static ByteString frame(byte[] head, ByteString data, Settings s) {
    if (s.headerDigest()) {
      putDigest(head, Pdu.BHS_LENGTH, crc32c(head, 0, Pdu.BHS_LENGTH));
    }
    ByteString out = ByteString.fromArrayUnsafe(head);
    int n = data.size();
    if (n == 0) {
      return out;
    }
    int pad = padded(n) - n;
    boolean digest = s.dataDigest();
    out = out.concat(data);
    if (pad == 0 && !digest) {
      return out;
    }
    byte[] tail = new byte[pad + (digest ? 4 : 0)];
    if (digest) {
      CRC32C c = new CRC32C();
      c.update(data.asByteBuffer()); // a read-only view of one array; a copy only for a composite
      c.update(tail, 0, pad); // the padding is zero and covered too
      putDigest(tail, pad, (int) c.getValue());
    }
    return out.concat(ByteString.fromArrayUnsafe(tail));
  }

  /**
   * An incremental decoder for one connection: feed it chunks as they arrive (a TCP stream may
   * split anywhere), get back the PDUs completed by each chunk. It keeps at most one unfinished PDU
   * (bounded by the settings) plus the unread part of the last chunk. After an {@link
   * Decoded.Error} it is failed: framing is lost, the connection must close.
   */
  public static final class Decoder {
    private Settings settings;
    private byte[] buf = new byte[Pdu.BHS_LENGTH];
    private int len;
    private String failed;

    public Decoder(Settings settings) {
      this.settings = settings;
    }

    /** Switches the framing, e.g. digests on after login; applies from the next PDU. */
    public void settings(Settings s) {
      this.settings = s;
    }

    public Settings settings() {
      return settings;
    }

    /** Bytes held for a PDU not yet complete. */
    public int buffered() {
      return len;
    }

    public boolean failed() {
      return failed != null;
    }

    public List<Decoded> feed(byte[] chunk) {
      return feed(chunk, 0, chunk.length);
    }

    /** {@link #feed(byte[], int, int)} of a chunk from the socket (its array is read, not copied, when compact). */
    public List<Decoded> feed(ByteString chunk) {
      byte[] a = chunk.toArrayUnsafe();
      return feed(a, 0, a.length);
    }

    /**
     * Decodes what {@code chunk[off, off+n)} completes. Whole frames are parsed in place, from the
     * chunk; only an unfinished frame's bytes are copied into the decoder (the chunk is not kept:
     * the caller may reuse it).
     */
    public List<Decoded> feed(byte[] chunk, int off, int n) {
      List<Decoded> out = new ArrayList<>(4);
      if (failed != null) {
        out.add(new Decoded.Error("decoder failed earlier: " + failed));
        return out;
      }
      int pos = off;
      int end = off + n;
      if (len > 0) { // finish the frame held from the last chunk first
        int take = Math.min(Pdu.BHS_LENGTH - len, end - pos);
        if (take > 0) {
          append(chunk, pos, take);
          pos += take;
        }
        if (len < Pdu.BHS_LENGTH) {
          return out;
        }
        int need = frameLength(buf, 0);
        if (need < 0) {
          out.add(new Decoded.Error(failed));
          len = 0;
          return out;
        }
        take = Math.min(need - len, end - pos);
        append(chunk, pos, take);
        pos += take;
        if (len < need) {
          return out;
        }
        len = 0;
        if (!emit(buf, 0, out)) {
          return out;
        }
      }
      while (end - pos >= Pdu.BHS_LENGTH) {
        int need = frameLength(chunk, pos);
        if (need < 0) {
          out.add(new Decoded.Error(failed));
          return out;
        }
        if (end - pos < need) {
          break;
        }
        if (!emit(chunk, pos, out)) {
          return out;
        }
        pos += need;
      }
      append(chunk, pos, end - pos); // the start of the next frame, if any
      return out;
    }

    /** Parses the frame at {@code b[pos]} into {@code out}; false (and failed) when it is broken. */
    private boolean emit(byte[] b, int pos, List<Decoded> out) {
      Decoded d = parse(b, pos);
      out.add(d);
      if (d instanceof Decoded.Error e) {
        failed = e.message();
        len = 0;
        return false;
      }
      return true;
    }

    private void append(byte[] chunk, int off, int n) {
      if (n <= 0) {
        return;
      }
      if (len + n > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(len + n, buf.length * 2));
      }
      System.arraycopy(chunk, off, buf, len, n);
      len += n;
    }

    /** The whole frame's length from the BHS at b[pos], or -1 (and {@link #failed} set). */
    private int frameLength(byte[] b, int pos) {
      int code = b[pos] & 0x3F;
      if (Opcode.ofCode(code) == null) {
        failed = String.format("reserved opcode 0x%02x", code);
        return -1;
      }
      int ahsLen = (b[pos + 4] & 0xFF) * 4;
      int dsl = ((b[pos + 5] & 0xFF) << 16) | ((b[pos + 6] & 0xFF) << 8) | (b[pos + 7] & 0xFF);
      if (dsl > settings.maxDataSegmentLength()) {
        failed = "data segment of " + dsl + " bytes exceeds the maximum of " + settings.maxDataSegmentLength();
        return -1;
      }
      return Pdu.BHS_LENGTH + ahsLen + (settings.headerDigest() ? 4 : 0) + padded(dsl)
          + (settings.dataDigest() && dsl > 0 ? 4 : 0);
    }

    private Decoded parse(byte[] b, int pos) {
      int b0 = b[pos] & 0xFF;
      Opcode opcode = Opcode.ofCode(b0 & 0x3F);
      int ahsLen = (b[pos + 4] & 0xFF) * 4;
      int dsl = ((b[pos + 5] & 0xFF) << 16) | ((b[pos + 6] & 0xFF) << 8) | (b[pos + 7] & 0xFF);
      int headerLen = Pdu.BHS_LENGTH + ahsLen;
      int dataStart = pos + headerLen;
      if (settings.headerDigest()) {
        int want = crc32c(b, pos, headerLen);
        int got = getDigest(b, pos + headerLen);
        if (want != got) {
          return new Decoded.Error(String.format("header digest mismatch: computed 0x%08x, received 0x%08x", want, got));
        }
        dataStart += 4;
      }
      if (settings.dataDigest() && dsl > 0) {
        int want = crc32c(b, dataStart, padded(dsl));
        int got = getDigest(b, dataStart + padded(dsl));
        if (want != got) {
          return new Decoded.Error(String.format("data digest mismatch: computed 0x%08x, received 0x%08x", want, got));
        }
      }
      long lun = 0;
      for (int i = 0; i < 8; i++) {
        lun = (lun << 8) | (b[pos + 8 + i] & 0xFF);
      }
      int itt = ((b[pos + 16] & 0xFF) << 24) | ((b[pos + 17] & 0xFF) << 16) | ((b[pos + 18] & 0xFF) << 8) | (b[pos + 19] & 0xFF);
      // fresh arrays, handed over to the PDU without a second copy
      Pdu pdu = new Pdu(opcode, (b0 & 0x40) != 0, (b[pos + 1] & 0x80) != 0, b[pos + 1] & 0x7F,
          ((b[pos + 2] & 0xFF) << 8) | (b[pos + 3] & 0xFF), lun, itt,
          Arrays.copyOfRange(b, pos + 20, pos + Pdu.BHS_LENGTH),
          ahsLen == 0 ? Pdu.NONE : Arrays.copyOfRange(b, pos + Pdu.BHS_LENGTH, pos + headerLen),
          dsl == 0 ? Pdu.NONE : Arrays.copyOfRange(b, dataStart, dataStart + dsl), true);
      return new Decoded.Frame(pdu);
    }
  }

  /** Decodes a buffer holding whole PDUs; empty if the last one is incomplete. */
  public static Optional<List<Decoded>> decodeAll(byte[] bytes, Settings s) {
    Decoder d = new Decoder(s);
    List<Decoded> out = d.feed(bytes);
    return d.buffered() == 0 ? Optional.of(out) : Optional.empty();
  }
}
