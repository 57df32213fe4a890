package org.camstack.stack.target;

import static org.camstack.stack.target.T.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackingStoreTest {

  @Test
  void nullStoreReadsZerosFromASharedBuffer() {
    NullStore s = new NullStore(1L << 40);
    ByteString a = s.read(0, 8, 512);
    ByteString b = s.read(123456789L, 8, 512);
    assertEquals(4096, a.size());
    assertTrue(Bytes.allZero(a));
    s.write(0, bytes(4096, 1), 512);
    assertTrue(Bytes.allZero(s.read(0, 8, 512)));
    assertTrue(s.thin());
    assertEquals(a, b);
    // a 1 MiB read is the shared buffer itself: nothing allocated per read
    org.junit.jupiter.api.Assertions.assertSame(s.read(0, 2048, 512), s.read(99, 2048, 512));
  }

  @Test
  void ramStoreIsSparseAndCrossesChunks() {
    RamStore s = new RamStore(1L << 40); // 1 TiB costs nothing until written
    assertEquals(0, s.allocatedBytes());
    long lba = (RamStore.CHUNK / 512) - 1; // straddles chunk 0 and 1
    ByteString data = pattern(1024);
    s.write(lba, data, 512);
    assertEquals(2L * RamStore.CHUNK, s.allocatedBytes());
    assertArrayEquals(data.toArray(), s.read(lba, 2, 512).toArray());
    assertTrue(Bytes.allZero(s.read(lba - 1, 1, 512)));
    assertTrue(Bytes.allZero(s.read((1L << 40) / 512 - 1, 1, 512)));
  }

  @Test
  void ramStoreTakesSlicedAndComposedByteStrings() {
    RamStore s = new RamStore(1 << 20);
    ByteString big = pattern(4096);
    ByteString slice = big.slice(512, 1536); // offset into a shared array
    s.write(0, slice, 512);
    assertArrayEquals(slice.toArray(), s.read(0, 2, 512).toArray());
    ByteString composed = bytes(512, 1).concat(bytes(512, 2)).concat(slice);
    s.write(RamStore.CHUNK / 512 - 2, composed, 512); // also across a chunk boundary
    assertArrayEquals(composed.toArray(), s.read(RamStore.CHUNK / 512 - 2, 4, 512).toArray());
    s.write(10, composed, 512);
    assertArrayEquals(composed.toArray(), s.read(10, 4, 512).toArray());
  }

  @Test
  void ramStoreReadsAreViewsThatLaterWritesDoNotChange() {
    RamStore s = new RamStore(4L * RamStore.CHUNK);
    int perChunk = RamStore.CHUNK / 512;
    s.write(0, bytes(2 * RamStore.CHUNK, 1), 512);
    ByteString inOne = s.read(3, 2, 512);
    ByteString across = s.read(perChunk - 1, 2, 512);
    long before = s.reservedBytes();
    s.write(3, bytes(1024, 2), 512); // copy-on-write: the view keeps what it read
    s.write(perChunk - 1, bytes(1024, 3), 512);
    s.unmap(0, 8, 512); // a partial unmap of a seen chunk copies too
    assertTrue(allEqual(inOne, 1), "a view kept its contents");
    assertTrue(allEqual(across, 1), "a view across chunks kept its contents");
    assertTrue(Bytes.allZero(s.read(3, 2, 512)));
    assertTrue(allEqual(s.read(perChunk - 1, 2, 512), 3));
    assertEquals(before, s.reservedBytes(), "a copy replaces its chunk in the budget");
    // unwritten blocks read as zeros without allocating chunks
    assertTrue(Bytes.allZero(s.read(3L * perChunk, perChunk, 512)));
    assertEquals(2L * RamStore.CHUNK, s.allocatedBytes());
    // writes with no view out stay in place and are seen by the next read
    s.write(perChunk + 5, bytes(512, 4), 512);
    s.write(perChunk + 5, bytes(512, 5), 512);
    assertTrue(allEqual(s.read(perChunk + 5, 1, 512), 5));
  }

  private static boolean allEqual(ByteString b, int value) {
    for (int i = 0; i < b.size(); i++) {
      if (b.apply(i) != (byte) value) {
        return false;
      }
    }
    return true;
  }

  @Test
  void ramStoreUnmapFreesWholeChunksAndZerosPartialOnes() {
    RamStore s = new RamStore(4L * RamStore.CHUNK);
    int perChunk = RamStore.CHUNK / 512;
    s.write(0, bytes(3 * RamStore.CHUNK, 7), 512);
    assertEquals(3L * RamStore.CHUNK, s.allocatedBytes());
    s.unmap(1, perChunk, 512); // tail of chunk 0, head of chunk 1
    assertEquals(7, s.read(0, 1, 512).apply(0));
    assertTrue(Bytes.allZero(s.read(1, perChunk, 512)));
    s.unmap(2L * perChunk, perChunk, 512); // whole chunk 2
    assertEquals(2L * RamStore.CHUNK, s.allocatedBytes());
  }

  @Test
  void ramStoreResizeKeepsDataAndZerosTheGrownArea() {
    RamStore s = new RamStore(10 * 512);
    s.write(8, bytes(1024, 9), 512);
    s.resize(9 * 512);
    s.resize(1L << 32);
    assertEquals(9, s.read(8, 1, 512).apply(0));
    assertTrue(Bytes.allZero(s.read(9, 1, 512)), "the cut-off block came back as zeros");
    s.write((1L << 32) / 512 - 1, bytes(512, 3), 512);
    assertEquals(3, s.read((1L << 32) / 512 - 1, 1, 512).apply(511));
  }

  @Test
  void writeSameRepeatsThePatternAndZerosUnmap() {
    RamStore s = new RamStore(1 << 24);
    ByteString p = pattern(512);
    s.writeSame(10, 3000, p, 512);
    ByteString r = s.read(10, 3000, 512);
    for (int i = 0; i < 3000; i++) {
      assertEquals(p, r.slice(i * 512, (i + 1) * 512));
    }
    s.writeSame(0, 1 << 15, bytes(512, 0), 512);
    assertEquals(0, s.allocatedBytes());
  }

  @Test
  void fileStoreRoundTripAndZerosPastTheEnd(@TempDir Path dir) {
    FileStore s = new FileStore(dir.resolve("a.img"), 64 * 512);
    ByteString data = pattern(2048);
    s.write(5, data, 512);
    s.flush();
    assertArrayEquals(data.toArray(), s.read(5, 4, 512).toArray());
    s.unmap(6, 1, 512);
    assertTrue(Bytes.allZero(s.read(6, 1, 512)));
    assertFalse(s.thin());
    s.resize(6 * 512);
    ByteString tail = s.read(5, 3, 512);
    assertArrayEquals(Arrays.copyOf(data.toArray(), 512), tail.take(512).toArray());
    assertTrue(Bytes.allZero(tail.drop(512)));
    s.close();
    FileStore again = new FileStore(dir.resolve("a.img"), 64 * 512);
    assertArrayEquals(Arrays.copyOf(data.toArray(), 512), again.read(5, 1, 512).toArray());
    again.close();
  }

  static ByteString pattern(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 31 + 7);
    }
    return ByteString.fromArrayUnsafe(b);
  }
}
