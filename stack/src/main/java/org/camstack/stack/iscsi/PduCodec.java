package org.camstack.stack.iscsi;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;

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
    byte[] ahs = pdu.ahs();
    byte[] data = pdu.data();
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

    public List<Decoded> feed(byte[] chunk, int off, int n) {
      List<Decoded> out = new ArrayList<>();
      if (failed != null) {
        out.add(new Decoded.Error("decoder failed earlier: " + failed));
        return out;
      }
      append(chunk, off, n);
      int pos = 0;
      while (true) {
        if (len - pos < Pdu.BHS_LENGTH) {
          break;
        }
        int need = frameLength(pos);
        if (need < 0) {
          out.add(new Decoded.Error(failed));
          len = 0;
          return out;
        }
        if (len - pos < need) {
          break;
        }
        Decoded d = parse(pos);
        out.add(d);
        if (d instanceof Decoded.Error e) {
          failed = e.message();
          len = 0;
          return out;
        }
        pos += need;
      }
      System.arraycopy(buf, pos, buf, 0, len - pos);
      len -= pos;
      return out;
    }

    private void append(byte[] chunk, int off, int n) {
      if (len + n > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(len + n, buf.length * 2));
      }
      System.arraycopy(chunk, off, buf, len, n);
      len += n;
    }

    /** The whole frame's length from the BHS at pos, or -1 (and {@link #failed} set). */
    private int frameLength(int pos) {
      int code = buf[pos] & 0x3F;
      if (Opcode.of(code).isEmpty()) {
        failed = String.format("reserved opcode 0x%02x", code);
        return -1;
      }
      int ahsLen = (buf[pos + 4] & 0xFF) * 4;
      int dsl = ((buf[pos + 5] & 0xFF) << 16) | ((buf[pos + 6] & 0xFF) << 8) | (buf[pos + 7] & 0xFF);
      if (dsl > settings.maxDataSegmentLength()) {
        failed = "data segment of " + dsl + " bytes exceeds the maximum of " + settings.maxDataSegmentLength();
        return -1;
      }
      return Pdu.BHS_LENGTH + ahsLen + (settings.headerDigest() ? 4 : 0) + padded(dsl)
          + (settings.dataDigest() && dsl > 0 ? 4 : 0);
    }

    private Decoded parse(int pos) {
      int b0 = buf[pos] & 0xFF;
      Opcode opcode = Opcode.of(b0 & 0x3F).orElseThrow();
      int ahsLen = (buf[pos + 4] & 0xFF) * 4;
      int dsl = ((buf[pos + 5] & 0xFF) << 16) | ((buf[pos + 6] & 0xFF) << 8) | (buf[pos + 7] & 0xFF);
      int headerLen = Pdu.BHS_LENGTH + ahsLen;
      int dataStart = pos + headerLen;
      if (settings.headerDigest()) {
        int want = crc32c(buf, pos, headerLen);
        int got = getDigest(buf, pos + headerLen);
        if (want != got) {
          return new Decoded.Error(String.format("header digest mismatch: computed 0x%08x, received 0x%08x", want, got));
        }
        dataStart += 4;
      }
      if (settings.dataDigest() && dsl > 0) {
        int want = crc32c(buf, dataStart, padded(dsl));
        int got = getDigest(buf, dataStart + padded(dsl));
        if (want != got) {
          return new Decoded.Error(String.format("data digest mismatch: computed 0x%08x, received 0x%08x", want, got));
        }
      }
      long lun = 0;
      for (int i = 0; i < 8; i++) {
        lun = (lun << 8) | (buf[pos + 8 + i] & 0xFF);
      }
      int itt = ((buf[pos + 16] & 0xFF) << 24) | ((buf[pos + 17] & 0xFF) << 16) | ((buf[pos + 18] & 0xFF) << 8) | (buf[pos + 19] & 0xFF);
      Pdu pdu = new Pdu(opcode, (b0 & 0x40) != 0, (buf[pos + 1] & 0x80) != 0, buf[pos + 1] & 0x7F,
          ((buf[pos + 2] & 0xFF) << 8) | (buf[pos + 3] & 0xFF), lun, itt,
          Arrays.copyOfRange(buf, pos + 20, pos + Pdu.BHS_LENGTH),
          Arrays.copyOfRange(buf, pos + Pdu.BHS_LENGTH, pos + headerLen),
          Arrays.copyOfRange(buf, dataStart, dataStart + dsl));
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
