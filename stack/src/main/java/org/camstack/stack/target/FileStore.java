package org.camstack.stack.target;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.pekko.util.ByteString;

/**
 * A host file through positional {@link FileChannel} I/O (thread-safe without locks). The file is
 * created if missing and extended (sparse where the file system allows) to the LUN's size; bytes
 * past its end read as zeros. Unmap writes zeros, so it is not advertised as thin.
 */
public final class FileStore implements BackingStore {
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

  private final Path path;
  private final FileChannel channel;
  private volatile long size;

  /**
   * @throws IllegalArgumentException with a one-line message when the file cannot be opened
   */
  public FileStore(Path path, long sizeBytes) {
    this.path = path;
    try {
      this.channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      if (channel.size() < sizeBytes) {
        channel.write(ByteBuffer.wrap(new byte[1]), sizeBytes - 1);
      }
    } catch (IOException | UnsupportedOperationException e) {
      throw new IllegalArgumentException("cannot open backing file " + path + ": " + e.getMessage());
    }
    this.size = sizeBytes;
  }

  public Path path() {
    return path;
  }

  @Override
  public ByteString read(long lba, int blocks, int blockSize) {
    int n = blocks * blockSize;
    byte[] out = new byte[n];
    ByteBuffer bb = ByteBuffer.wrap(out);
    long pos = lba * blockSize;
    try {
      while (bb.hasRemaining()) {
        int r = channel.read(bb, pos + bb.position());
        if (r < 0) {
          break; // past EOF: the rest stays zero
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return ByteString.fromArrayUnsafe(out);
  }

  @Override
  public void write(long lba, ByteString data, int blockSize) {
    ByteBuffer bb = data.asByteBuffer();
    long pos = lba * blockSize;
    try {
      int start = bb.position();
      while (bb.hasRemaining()) {
        channel.write(bb, pos + bb.position() - start);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void unmap(long lba, long blocks, int blockSize) {
    long pos = lba * blockSize;
    long n = blocks * blockSize;
    try {
      long done = 0;
      while (done < n) {
        ByteBuffer z = ZEROS.duplicate();
        z.limit((int) Math.min(z.capacity(), n - done));
        while (z.hasRemaining()) {
          done += channel.write(z, pos + done);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public void resize(long bytes) {
    try {
      synchronized (this) {
        if (bytes < channel.size()) {
          channel.truncate(bytes);
        } else if (bytes > channel.size()) {
          channel.write(ByteBuffer.wrap(new byte[1]), bytes - 1);
        }
        size = bytes;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void flush() {
    try {
      channel.force(false);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public boolean thin() {
    return false;
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
