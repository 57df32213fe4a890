package org.camstack.stack.target;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.pekko.util.ByteString;

/**
 * Sparse memory store: 64 KiB chunks allocated on first write, in leaves of 4096 chunks (256 MiB)
 * kept in a map that grows with use, so a LUN of any capacity costs memory only for what was
 * written: nothing is allocated up front in proportion to the capacity. Every chunk and leaf is
 * reserved from a {@link MemoryBudget} before it is allocated; a write the budget cannot hold
 * fails with {@link SpaceExhaustedException} (the disk answers SPACE ALLOCATION FAILED, as a thin
 * LUN whose pool is full) and the node keeps running. Unmapping a whole chunk frees it.
 *
 * <p>Reads copy nothing: a read within one chunk is an immutable view of the chunk's array, a read
 * of unwritten blocks a view of the one shared zero buffer ({@link BackingStore#zeros}), a read
 * across chunks the concatenation of such views (no bytes copied). A chunk once handed out is
 * never written in place again: the next write to it copies the chunk first (copy-on-write) and
 * swaps the copy in, so a view keeps the contents it was read with. A chunk that no read has seen
 * since its last write is written in place (a burst of writes costs one copy at most).
 *
 * <p>Safe for concurrent readers and one writer at a time (EmuDisk serialises writers on the
 * store's monitor; chunk and leaf creation are atomic); {@link #resize} may run concurrently with
 * I/O. A read racing a write of the same blocks may see either contents, as the interface says.
 */
public final class RamStore implements BackingStore {
  static final int CHUNK_SHIFT = 16;
  static final int CHUNK = 1 << CHUNK_SHIFT;
  private static final int LEAF_SHIFT = 12;
  private static final int LEAF = 1 << LEAF_SHIFT;
  /** What a leaf's reference array costs (header + references, compressed oops or not). */
  static final long LEAF_BYTES = 16L + 8L * LEAF;

  private static final Cleaner CLEANER = Cleaner.create();

  /** A thin LUN's backing memory is exhausted: the budget refused a chunk. */
  public static final class SpaceExhaustedException extends UncheckedIOException {
    private static final long serialVersionUID = 1L;

    public SpaceExhaustedException(String message) {
      super(new IOException(message));
    }
  }

  private record Recent(long index, AtomicReferenceArray<Chunk> leaf) {}

  /**
   * 64 KiB of blocks and whether a read handed out a view of them since the last write ({@code
   * shared}: the next write copies the array first).
   */
  private static final class Chunk {
    final byte[] data;
    volatile boolean shared;

    Chunk(byte[] data) {
      this.data = data;
    }
  }

  /** What the store holds of its budget; shared with the cleaner, so no reference to the store. */
  private static final class Held implements Runnable {
    final MemoryBudget budget;
    final AtomicLong bytes = new AtomicLong();

    Held(MemoryBudget budget) {
      this.budget = budget;
    }

    boolean take(long n) {
      if (!budget.tryReserve(n)) {
        return false;
      }
      bytes.addAndGet(n);
      return true;
    }

    void give(long n) {
      bytes.addAndGet(-n);
      budget.release(n);
    }

    @Override
    public void run() {
      long n = bytes.getAndSet(0);
      if (n > 0) {
        budget.release(n);
      }
    }
  }

  private final Map<Long, AtomicReferenceArray<Chunk>> leaves = new ConcurrentHashMap<>();
  private final Held held;
  private final Cleaner.Cleanable cleanable;
  private volatile Recent recent;
  private volatile long size;

  /** A store of {@code sizeBytes} on the process budget. */
  public RamStore(long sizeBytes) {
    this(sizeBytes, MemoryBudget.process());
  }

  public RamStore(long sizeBytes, MemoryBudget budget) {
    if (sizeBytes < 0) {
      throw new IllegalArgumentException("negative store size " + sizeBytes);
    }
    this.size = sizeBytes;
    this.held = new Held(budget);
    this.cleanable = CLEANER.register(this, held);
  }

  private AtomicReferenceArray<Chunk> leaf(long li) {
    Recent r = recent;
    if (r != null && r.index == li) {
      return r.leaf;
    }
    AtomicReferenceArray<Chunk> leaf = leaves.get(li);
    if (leaf != null) {
      recent = new Recent(li, leaf);
    }
    return leaf;
  }

  private Chunk chunk(long index) {
    AtomicReferenceArray<Chunk> leaf = leaf(index >>> LEAF_SHIFT);
    return leaf == null ? null : leaf.get((int) (index & (LEAF - 1)));
  }

  /**
   * The array of the chunk at {@code index} of {@code leaf} to write into: the chunk's own when no
   * view of it is out, else a copy swapped in (copy-on-write); null when there is no chunk.
   */
  private static byte[] writable(AtomicReferenceArray<Chunk> leaf, int ci) {
    Chunk c = leaf.get(ci);
    if (c == null) {
      return null;
    }
    if (!c.shared) {
      return c.data;
    }
    Chunk copy = new Chunk(c.data.clone());
    leaf.set(ci, copy); // one writer at a time: nobody else swaps this slot
    return copy.data;
  }

  /** The chunk to write at {@code index}; null beyond the end; throws when the budget is spent. */
  private byte[] chunkForWrite(long index) {
    if (index << CHUNK_SHIFT >= size) {
      return null;
    }
    long li = index >>> LEAF_SHIFT;
    AtomicReferenceArray<Chunk> leaf = leaf(li);
    if (leaf == null) {
      synchronized (this) {
        leaf = leaves.get(li);
        if (leaf == null) {
          if (!held.take(LEAF_BYTES)) {
            throw exhausted();
          }
          leaf = new AtomicReferenceArray<>(LEAF);
          leaves.put(li, leaf);
        }
      }
    }
    int ci = (int) (index & (LEAF - 1));
    byte[] c = writable(leaf, ci);
    if (c == null) {
      if (!held.take(CHUNK)) {
        throw exhausted();
      }
      Chunk fresh = new Chunk(new byte[CHUNK]);
      if (leaf.compareAndExchange(ci, null, fresh) == null) {
        return fresh.data;
      }
      held.give(CHUNK);
      c = writable(leaf, ci);
    }
    return c;
  }

  private SpaceExhaustedException exhausted() {
    return new SpaceExhaustedException(
        "memory budget exhausted (" + held.budget.used() + " of " + held.budget.limit() + " bytes in use)");
  }

  @Override
  public ByteString read(long lba, int blocks, int blockSize) {
    int n = blocks * blockSize;
    long pos = lba * blockSize;
    long limit = size;
    int first = (int) (pos & (CHUNK - 1));
    if (first + n <= CHUNK) {
      return view(pos, first, n, limit); // the common case: one chunk, one view
    }
    ByteString out = ByteString.emptyByteString();
    int done = 0;
    while (done < n) {
      long p = pos + done;
      int off = (int) (p & (CHUNK - 1));
      int len = Math.min(CHUNK - off, n - done);
      out = out.concat(view(p, off, len, limit));
      done += len;
    }
    return out;
  }

  /** {@code len} bytes at {@code p} (offset {@code off} in its chunk), all in one chunk. */
  private ByteString view(long p, int off, int len, long limit) {
    Chunk c = p < limit ? chunk(p >>> CHUNK_SHIFT) : null;
    if (c == null) {
      return BackingStore.zeros(len);
    }
    if (!c.shared) {
      c.shared = true; // before the view exists: a later write copies the chunk
    }
    return ByteString.fromArrayUnsafe(c.data, off, len);
  }

  @Override
  public void write(long lba, ByteString data, int blockSize) {
    long pos = lba * blockSize;
    int n = data.size();
    int first = (int) (pos & (CHUNK - 1));
    if (first + n <= CHUNK) {
      // the common case, one chunk: copy straight from the ByteString, nothing allocated
      byte[] c = chunkForWrite(pos >>> CHUNK_SHIFT);
      if (c != null) {
        data.copyToArray(c, first, n);
      }
      return;
    }
    ByteBuffer src = data.asByteBuffer();
    int done = 0;
    while (done < n) {
      long p = pos + done;
      int off = (int) (p & (CHUNK - 1));
      int len = Math.min(CHUNK - off, n - done);
      byte[] c = chunkForWrite(p >>> CHUNK_SHIFT);
      if (c != null) {
        src.get(c, off, len);
      } else {
        src.position(src.position() + len);
      }
      done += len;
    }
  }

  @Override
  public void unmap(long lba, long blocks, int blockSize) {
    unmapBytes(lba * blockSize, blocks * blockSize);
  }

  /**
   * Zeros {@code [pos, pos + n)}: whole chunks are freed, partial ones filled with zeros. The last
   * chunk of a store whose size is not a multiple of 64 KiB counts as whole when the range covers it
   * up to the end of the store.
   */
  private void unmapBytes(long pos, long n) {
    if (n <= 0) {
      return;
    }
    long end = pos + n < pos ? Long.MAX_VALUE : pos + n;
    long limit = size; // a chunk covered up to the end of the store is covered whole
    long firstLeaf = pos >>> (LEAF_SHIFT + CHUNK_SHIFT);
    long lastLeaf = (end - 1) >>> (LEAF_SHIFT + CHUNK_SHIFT);
    // only the leaves that exist: the map is as small as what was written, the range may be huge
    List<Long> hit = new ArrayList<>();
    for (Long li : leaves.keySet()) {
      if (li >= firstLeaf && li <= lastLeaf) {
        hit.add(li);
      }
    }
    for (long li : hit) {
      AtomicReferenceArray<Chunk> leaf = leaves.get(li);
      if (leaf == null) {
        continue;
      }
      long leafStart = li << (LEAF_SHIFT + CHUNK_SHIFT);
      long from = Math.max(pos, leafStart);
      long to = Math.min(end, leafStart + ((long) LEAF << CHUNK_SHIFT));
      for (long p = from; p < to; ) {
        int off = (int) (p & (CHUNK - 1));
        int len = (int) Math.min(CHUNK - off, to - p);
        int ci = (int) ((p >>> CHUNK_SHIFT) & (LEAF - 1));
        if (len == CHUNK || (off == 0 && p + len >= limit)) {
          if (leaf.getAndSet(ci, null) != null) {
            held.give(CHUNK);
          }
        } else {
          byte[] c = writable(leaf, ci);
          if (c != null) {
            Arrays.fill(c, off, off + len, (byte) 0);
          }
        }
        p += len;
      }
      if (from == leafStart && to == leafStart + ((long) LEAF << CHUNK_SHIFT)) {
        dropLeaf(li, leaf);
      }
    }
  }

  /** Drops an emptied leaf (under the lock that creates leaves, so no writer re-adds it racily). */
  private synchronized void dropLeaf(long li, AtomicReferenceArray<Chunk> leaf) {
    for (int i = 0; i < LEAF; i++) {
      if (leaf.get(i) != null) {
        return;
      }
    }
    if (leaves.remove(li, leaf)) {
      recent = null;
      held.give(LEAF_BYTES);
    }
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public synchronized void resize(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("negative store size " + bytes);
    }
    long old = size;
    if (bytes > old) {
      // whatever a racing writer left beyond the old end must read as zeros
      unmapBytes(old, bytes - old);
      size = bytes;
    } else {
      size = bytes;
      unmapBytes(bytes, Long.MAX_VALUE - bytes);
    }
  }

  /**
   * Mapped means a 64 KiB chunk holds the block: a block is mapped when any chunk it touches is
   * allocated, deallocated when none is (never written, unmapped as whole chunks, or beyond the
   * size). Absent leaves (256 MiB) are skipped whole, so an empty terabyte costs a few thousand
   * lookups.
   */
  @Override
  public Extent extent(long lba, long maxBlocks, int blockSize) {
    long max = Math.max(1, maxBlocks);
    long start = lba * blockSize;
    long limit = size;
    boolean mapped = allocatedAt(start, limit);
    long end = start + max * blockSize; // bytes to look at, at most
    if (end < start) {
      end = Long.MAX_VALUE;
    }
    long p = (start & ~((long) CHUNK - 1)) + CHUNK; // next chunk boundary
    while (p < end) {
      if (!mapped && p < limit && leaf(p >>> (CHUNK_SHIFT + LEAF_SHIFT)) == null) {
        p = ((p >>> (CHUNK_SHIFT + LEAF_SHIFT)) + 1) << (CHUNK_SHIFT + LEAF_SHIFT); // skip the leaf
        continue;
      }
      if (allocatedAt(p, limit) != mapped) {
        break;
      }
      p += CHUNK;
    }
    long runBytes = Math.min(p, end) - start;
    long blocks = mapped
        ? (runBytes + blockSize - 1) / blockSize // a block reaching into the run is mapped
        : runBytes / blockSize; // a block reaching out of it is not wholly deallocated
    if (blocks == 0) {
      return new Extent(1, true);
    }
    return new Extent(Math.min(blocks, max), mapped);
  }

  private boolean allocatedAt(long pos, long limit) {
    return pos < limit && chunk(pos >>> CHUNK_SHIFT) != null;
  }

  /** Bytes of chunk memory currently allocated (tests, stats). */
  public long allocatedBytes() {
    long total = 0;
    for (AtomicReferenceArray<Chunk> leaf : leaves.values()) {
      for (int j = 0; j < LEAF; j++) {
        if (leaf.get(j) != null) {
          total += CHUNK;
        }
      }
    }
    return total;
  }

  /** Bytes this store holds of its budget: chunks and index leaves. */
  public long reservedBytes() {
    return held.bytes.get();
  }

  @Override
  public boolean thin() {
    return true;
  }

  /** Frees every chunk and gives the memory back to the budget; the store reads zeros after. */
  @Override
  public synchronized void close() {
    leaves.clear();
    recent = null;
    cleanable.clean();
  }
}
