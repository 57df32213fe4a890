package org.camstack.stack.sim.emu;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.pekko.util.ByteString;

/**
 * Sparse memory store: 64 KiB chunks allocated on first write, in leaves of 4096 chunks (256 MiB)
 * under one top array, so a multi-terabyte LUN costs memory only for what was written. Unmapping a
 * whole chunk frees it. Safe for concurrent readers and one writer (chunk and leaf creation are
 * atomic); {@link #resize} may run concurrently with I/O.
 */
public final class RamStore implements BackingStore {
  static final int CHUNK_SHIFT = 16;
  static final int CHUNK = 1 << CHUNK_SHIFT;
  private static final int LEAF_SHIFT = 12;
  private static final int LEAF = 1 << LEAF_SHIFT;

  private volatile AtomicReferenceArray<AtomicReferenceArray<byte[]>> top;
  private volatile long size;

  public RamStore(long sizeBytes) {
    if (sizeBytes < 0) {
      throw new IllegalArgumentException("negative store size " + sizeBytes);
    }
    this.size = sizeBytes;
    this.top = new AtomicReferenceArray<>(leavesFor(sizeBytes));
  }

  private static int leavesFor(long bytes) {
    long chunks = (bytes + CHUNK - 1) >>> CHUNK_SHIFT;
    long leaves = (chunks + LEAF - 1) >>> LEAF_SHIFT;
    if (leaves > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("store of " + bytes + " bytes is too large for memory");
    }
    return (int) leaves;
  }

  private byte[] chunk(long index) {
    AtomicReferenceArray<AtomicReferenceArray<byte[]>> t = top;
    int li = (int) (index >>> LEAF_SHIFT);
    if (li >= t.length()) {
      return null;
    }
    AtomicReferenceArray<byte[]> leaf = t.get(li);
    return leaf == null ? null : leaf.get((int) (index & (LEAF - 1)));
  }

  private byte[] chunkForWrite(long index) {
    AtomicReferenceArray<AtomicReferenceArray<byte[]>> t = top;
    int li = (int) (index >>> LEAF_SHIFT);
    if (li >= t.length()) {
      return null;
    }
    AtomicReferenceArray<byte[]> leaf = t.get(li);
    if (leaf == null) {
      synchronized (this) {
        t = top;
        if (li >= t.length()) {
          return null;
        }
        leaf = t.get(li);
        if (leaf == null) {
          leaf = new AtomicReferenceArray<>(LEAF);
          t.set(li, leaf);
        }
      }
    }
    int ci = (int) (index & (LEAF - 1));
    byte[] c = leaf.get(ci);
    if (c == null) {
      byte[] fresh = new byte[CHUNK];
      c = leaf.compareAndExchange(ci, null, fresh);
      if (c == null) {
        c = fresh;
      }
    }
    return c;
  }

  @Override
  public ByteString read(long lba, int blocks, int blockSize) {
    int n = blocks * blockSize;
    byte[] out = new byte[n];
    long pos = lba * blockSize;
    long limit = size;
    int done = 0;
    while (done < n) {
      long p = pos + done;
      int off = (int) (p & (CHUNK - 1));
      int len = Math.min(CHUNK - off, n - done);
      if (p < limit) {
        byte[] c = chunk(p >>> CHUNK_SHIFT);
        if (c != null) {
          System.arraycopy(c, off, out, done, len);
        }
      }
      done += len;
    }
    return ByteString.fromArrayUnsafe(out);
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

  private void unmapBytes(long pos, long n) {
    long done = 0;
    while (done < n) {
      long p = pos + done;
      int off = (int) (p & (CHUNK - 1));
      int len = (int) Math.min(CHUNK - off, n - done);
      long index = p >>> CHUNK_SHIFT;
      AtomicReferenceArray<AtomicReferenceArray<byte[]>> t = top;
      int li = (int) (index >>> LEAF_SHIFT);
      if (li >= t.length()) {
        return;
      }
      AtomicReferenceArray<byte[]> leaf = t.get(li);
      if (leaf == null) {
        // skip the rest of this empty leaf
        long leafEnd = ((long) (li + 1) << (LEAF_SHIFT + CHUNK_SHIFT));
        done = Math.min(n, leafEnd - pos);
        continue;
      }
      int ci = (int) (index & (LEAF - 1));
      if (len == CHUNK) {
        leaf.set(ci, null);
      } else {
        byte[] c = leaf.get(ci);
        if (c != null) {
          Arrays.fill(c, off, off + len, (byte) 0);
        }
      }
      done += len;
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
    int leaves = leavesFor(bytes);
    AtomicReferenceArray<AtomicReferenceArray<byte[]>> t = top;
    if (leaves != t.length()) {
      AtomicReferenceArray<AtomicReferenceArray<byte[]>> nt = new AtomicReferenceArray<>(leaves);
      for (int i = 0, m = Math.min(leaves, t.length()); i < m; i++) {
        nt.set(i, t.get(i));
      }
      top = nt;
    }
    if (bytes > old) {
      // whatever a racing writer left beyond the old end must read as zeros
      unmapBytes(old, bytes - old);
      size = bytes;
    } else {
      size = bytes;
      long end = (long) leaves << (LEAF_SHIFT + CHUNK_SHIFT);
      if (end > bytes) {
        unmapBytes(bytes, end - bytes);
      }
    }
  }

  /** Bytes of chunk memory currently allocated (tests, stats). */
  public long allocatedBytes() {
    AtomicReferenceArray<AtomicReferenceArray<byte[]>> t = top;
    long total = 0;
    for (int i = 0; i < t.length(); i++) {
      AtomicReferenceArray<byte[]> leaf = t.get(i);
      if (leaf != null) {
        for (int j = 0; j < LEAF; j++) {
          if (leaf.get(j) != null) {
            total += CHUNK;
          }
        }
      }
    }
    return total;
  }

  @Override
  public boolean thin() {
    return true;
  }
}
