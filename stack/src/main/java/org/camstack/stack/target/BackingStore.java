package org.camstack.stack.target;

import java.io.UncheckedIOException;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;

/**
 * Where an emulated disk keeps its blocks: a byte space of {@link #size()} bytes addressed in
 * logical blocks. Implementations are safe for concurrent readers and one writer; a read that
 * overlaps a concurrent write of the same blocks may see either contents (as on a real disk).
 * Areas never written, unmapped, or beyond the size read as zeros.
 *
 * <p>I/O failures of a real file surface as {@link UncheckedIOException}; the device turns them
 * into MEDIUM ERROR sense.
 */
public interface BackingStore extends AutoCloseable {

  /** Bytes of the shared zero buffer behind {@link #zeros}. */
  int SHARED_ZEROS = 1 << 20;

  /**
   * {@code n} zero bytes: up to 1 MiB a view of one shared, never written buffer (nothing copied or
   * zeroed per call), beyond that a fresh array. What stores answer for unwritten blocks.
   */
  static ByteString zeros(long n) {
    if (n <= SHARED_ZEROS) {
      return n == SHARED_ZEROS ? SharedZeros.ALL : ByteString.fromArrayUnsafe(SharedZeros.BYTES, 0, (int) n);
    }
    return ByteString.fromArrayUnsafe(new byte[Math.toIntExact(n)]);
  }

  /** Holder of the shared zero buffer (initialised on first use). */
  final class SharedZeros {
    static final byte[] BYTES = new byte[SHARED_ZEROS];
    static final ByteString ALL = ByteString.fromArrayUnsafe(BYTES);

    private SharedZeros() {}
  }

  /** {@code blocks * blockSize} bytes starting at {@code lba}. */
  ByteString read(long lba, int blocks, int blockSize);

  /** Writes {@code data} (a whole number of blocks) at {@code lba}. */
  void write(long lba, ByteString data, int blockSize);

  /** Deallocates the range; it reads as zeros afterwards. */
  void unmap(long lba, long blocks, int blockSize);

  /**
   * Writes the one-block {@code pattern} to every block of the range (WRITE SAME). The default
   * writes in runs of up to 1 MiB; an all-zero pattern becomes an {@link #unmap}.
   */
  default void writeSame(long lba, long blocks, ByteString pattern, int blockSize) {
    if (Bytes.allZero(pattern)) {
      unmap(lba, blocks, blockSize);
      return;
    }
    int perRun = (int) Math.max(1, Math.min(blocks, (1 << 20) / blockSize));
    byte[] run = new byte[perRun * blockSize];
    for (int i = 0; i < perRun; i++) {
      pattern.copyToArray(run, i * blockSize, blockSize);
    }
    ByteString runBs = ByteString.fromArrayUnsafe(run);
    long done = 0;
    while (done < blocks) {
      int n = (int) Math.min(perRun, blocks - done);
      write(lba + done, n == perRun ? runBs : runBs.take(n * blockSize), blockSize);
      done += n;
    }
  }

  /** Capacity in bytes. */
  long size();

  /** Grows or shrinks the store; a grown area reads as zeros. */
  void resize(long bytes);

  /** Makes completed writes durable (SYNCHRONIZE CACHE, FUA, WCE = 0). */
  default void flush() {}

  /** True when {@link #unmap} actually deallocates (thin provisioning: READ CAPACITY(16) LBPME). */
  boolean thin();

  /**
   * A run of blocks that share one provisioning state (GET LBA STATUS): {@code blocks} (at least 1)
   * starting at the asked LBA, all mapped or all deallocated.
   */
  record Extent(long blocks, boolean mapped) {}

  /**
   * The provisioning state of the blocks from {@code lba}: the longest run (at most {@code
   * maxBlocks}, at least 1) whose blocks are all mapped or all deallocated. A fully provisioned
   * store maps everything (the default); a thin one answers at its allocation granularity.
   */
  default Extent extent(long lba, long maxBlocks, int blockSize) {
    return new Extent(Math.max(1, maxBlocks), true);
  }

  @Override
  default void close() {}
}
