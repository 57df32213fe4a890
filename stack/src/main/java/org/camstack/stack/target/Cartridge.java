package org.camstack.stack.target;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * One tape cartridge: a barcode (volume tag) and a sequence of logical objects, each a data block
 * or a filemark, ending at end-of-data (EOD). Writing at a position discards everything after it
 * (a tape cannot be rewritten in the middle); a cartridge has a capacity in bytes with an early
 * warning zone before it.
 *
 * <p>Contents live in memory and, when the cartridge has a file, also in that file, appended as
 * they are written (record: 4-byte big-endian length, then the data; length -1 is a filemark) and
 * truncated when the tape is overwritten, so a cartridge outlives the node process.
 *
 * <p>Not thread-safe: the drive it is loaded in (or the library holding it) serialises access.
 *
 * <p>cf. mhVTL's and tgt's virtual tape media (file-backed cartridges), SSC-3 4.2 (recorded
 * objects, EOD, early warning).
 */
public final class Cartridge {
  /** Default native capacity of an emulated cartridge. */
  public static final long DEFAULT_CAPACITY = 256L << 20;
  /** Bytes before the end of the medium where early warning starts (with the default capacity). */
  public static final long DEFAULT_EARLY_WARNING = 1L << 20;

  private static final byte[] FILEMARK = new byte[0];
  private static final int FILEMARK_LENGTH = -1;

  private final String barcode;
  private final long capacity;
  private final long earlyWarning;
  private final Path file; // null: memory only
  private final List<byte[]> objects = new ArrayList<>();
  /** File offset where each object's record starts (file-backed only). */
  private final List<Long> offsets = new ArrayList<>();
  private long used;
  private long fileEnd;

  private Cartridge(String barcode, long capacity, long earlyWarning, Path file) {
    if (barcode == null || barcode.isEmpty() || barcode.length() > 32 || !barcode.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new IllegalArgumentException("bad barcode '" + barcode + "': 1..32 printable ASCII characters");
    }
    if (capacity <= 0 || earlyWarning < 0 || earlyWarning >= capacity) {
      throw new IllegalArgumentException("cartridge " + barcode + ": capacity " + capacity + ", early warning " + earlyWarning);
    }
    this.barcode = barcode;
    this.capacity = capacity;
    this.earlyWarning = earlyWarning;
    this.file = file;
  }

  /** A blank cartridge in memory. */
  public static Cartridge inMemory(String barcode, long capacity, long earlyWarning) {
    return new Cartridge(barcode, capacity, earlyWarning, null);
  }

  /** A blank cartridge in memory with the default capacity. */
  public static Cartridge inMemory(String barcode) {
    return inMemory(barcode, DEFAULT_CAPACITY, DEFAULT_EARLY_WARNING);
  }

  /**
   * The cartridge kept in {@code file}: read back when it exists, created blank otherwise. A torn
   * last record (the process died mid-append) is cut off.
   *
   * @throws UncheckedIOException when the file cannot be read or created
   */
  public static Cartridge open(String barcode, long capacity, long earlyWarning, Path file) {
    Cartridge c = new Cartridge(barcode, capacity, earlyWarning, file);
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        long size = ch.size();
        long pos = 0;
        ByteBuffer len = ByteBuffer.allocate(4);
        while (pos + 4 <= size) {
          len.clear();
          ch.read(len, pos);
          int n = len.flip().getInt();
          if (n == FILEMARK_LENGTH) {
            c.offsets.add(pos);
            c.objects.add(FILEMARK);
            pos += 4;
            continue;
          }
          if (n < 0 || pos + 4 + n > size) {
            break;
          }
          ByteBuffer data = ByteBuffer.allocate(n);
          ch.read(data, pos + 4);
          c.offsets.add(pos);
          c.objects.add(data.array());
          c.used += n;
          pos += 4 + n;
        }
        if (pos != size) {
          ch.truncate(pos);
        }
        c.fileEnd = pos;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cartridge " + barcode + ": cannot open " + file + ": " + e.getMessage(), e);
    }
    return c;
  }

  public String barcode() {
    return barcode;
  }

  public long capacity() {
    return capacity;
  }

  /** Data bytes recorded. */
  public long used() {
    return used;
  }

  /** Logical objects recorded (blocks and filemarks); the EOD position. */
  public int size() {
    return objects.size();
  }

  public boolean isFilemark(int index) {
    return objects.get(index) == FILEMARK;
  }

  /** The data block at {@code index} (not a filemark). */
  public byte[] block(int index) {
    byte[] b = objects.get(index);
    if (b == FILEMARK) {
      throw new IllegalArgumentException("object " + index + " of " + barcode + " is a filemark");
    }
    return b;
  }

  /** Filemarks before position {@code pos} (the logical file identifier). */
  public int filemarksBefore(int pos) {
    int n = 0;
    for (int i = 0; i < pos && i < objects.size(); i++) {
      if (objects.get(i) == FILEMARK) {
        n++;
      }
    }
    return n;
  }

  /** Would {@code bytes} more data cross into the early warning zone? */
  public boolean inEarlyWarning(long extraBytes) {
    return used + extraBytes > capacity - earlyWarning;
  }

  /** Would {@code bytes} more data not fit on the medium at all? */
  public boolean wouldOverflow(long extraBytes) {
    return used + extraBytes > capacity;
  }

  /** Discards every object from {@code pos} on: {@code pos} becomes EOD. */
  public void truncate(int pos) {
    if (pos < 0 || pos > objects.size()) {
      throw new IllegalArgumentException("position " + pos + " beyond EOD " + objects.size());
    }
    if (pos == objects.size()) {
      return;
    }
    for (int i = objects.size() - 1; i >= pos; i--) {
      byte[] o = objects.remove(i);
      if (o != FILEMARK) {
        used -= o.length;
      }
    }
    if (file != null) {
      long at = offsets.get(pos);
      offsets.subList(pos, offsets.size()).clear();
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.truncate(at);
        ch.force(false);
      } catch (IOException e) {
        throw new UncheckedIOException("cartridge " + barcode + ": cannot truncate " + file, e);
      }
      fileEnd = at;
    }
  }

  /** Records a data block at {@code pos} (discarding what follows); returns the new position. */
  public int writeBlock(int pos, byte[] data) {
    truncate(pos);
    append(data);
    return objects.size();
  }

  /** Records {@code n} filemarks at {@code pos} (discarding what follows); returns the new position. */
  public int writeFilemarks(int pos, int n) {
    truncate(pos);
    for (int i = 0; i < n; i++) {
      append(FILEMARK);
    }
    return objects.size();
  }

  private void append(byte[] data) {
    if (file != null) {
      boolean fm = data == FILEMARK;
      ByteBuffer b = ByteBuffer.allocate(4 + (fm ? 0 : data.length));
      b.putInt(fm ? FILEMARK_LENGTH : data.length);
      if (!fm) {
        b.put(data);
      }
      b.flip();
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        long at = fileEnd;
        while (b.hasRemaining()) {
          at += ch.write(b, at);
        }
        ch.force(false);
        offsets.add(fileEnd);
        fileEnd = at;
      } catch (IOException e) {
        throw new UncheckedIOException("cartridge " + barcode + ": cannot write " + file, e);
      }
    }
    objects.add(data == FILEMARK ? FILEMARK : data.clone());
    if (data != FILEMARK) {
      used += data.length;
    }
  }

  @Override
  public String toString() {
    return "Cartridge[" + barcode + ", " + objects.size() + " objects, " + used + " bytes]";
  }
}
