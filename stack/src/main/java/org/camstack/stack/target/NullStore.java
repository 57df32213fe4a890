package org.camstack.stack.target;

import org.apache.pekko.util.ByteString;

/**
 * Reads zeros, discards writes: CTL's ramdisk without a capacity, for throughput tests and huge
 * LUNs. A read of up to 1 MiB returns a view of one shared zero buffer ({@link
 * BackingStore#zeros}: no copy).
 */
public final class NullStore implements BackingStore {
  private volatile long size;

  public NullStore(long sizeBytes) {
    this.size = sizeBytes;
  }

  @Override
  public ByteString read(long lba, int blocks, int blockSize) {
    return BackingStore.zeros((long) blocks * blockSize);
  }

  @Override
  public void write(long lba, ByteString data, int blockSize) {}

  @Override
  public void unmap(long lba, long blocks, int blockSize) {}

  @Override
  public void writeSame(long lba, long blocks, ByteString pattern, int blockSize) {}

  /** Nothing is ever stored: every block is deallocated (and reads as zeros, LBPRZ). */
  @Override
  public Extent extent(long lba, long maxBlocks, int blockSize) {
    return new Extent(Math.max(1, maxBlocks), false);
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public void resize(long bytes) {
    size = bytes;
  }

  @Override
  public boolean thin() {
    return true;
  }
}
