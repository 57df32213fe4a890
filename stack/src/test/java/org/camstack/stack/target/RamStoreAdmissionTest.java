package org.camstack.stack.target;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/**
 * The RAM store's index grows with use and every byte it holds is admitted by a {@link
 * MemoryBudget}: any capacity costs nothing up front, a write beyond the budget is refused (the
 * disk answers SPACE ALLOCATION FAILED) and freeing gives the memory back.
 */
class RamStoreAdmissionTest {
  private static final long LEAF_SPAN = (long) RamStore.CHUNK << 12;

  private static ByteString block(int value) {
    byte[] b = new byte[512];
    Arrays.fill(b, (byte) value);
    return ByteString.fromArrayUnsafe(b);
  }

  @Test
  void hugeCapacitiesCostNothingUntilWritten() {
    MemoryBudget budget = new MemoryBudget(1 << 20);
    // 2^62 bytes: the old up-front index alone would have been ~2^34 references
    RamStore s = new RamStore(1L << 62, budget);
    assertEquals(0, budget.used());
    long lastLba = (1L << 62) / 512 - 1;
    s.write(lastLba, block(9), 512);
    assertArrayEquals(block(9).toArray(), s.read(lastLba, 1, 512).toArray());
    assertEquals(RamStore.CHUNK + RamStore.LEAF_BYTES, budget.used(), "one chunk and one leaf");
    s.resize(1L << 61); // the written block is now beyond the end: freed
    assertEquals(0, budget.used());
    assertEquals(0, s.allocatedBytes());
  }

  @Test
  void aWriteBeyondTheBudgetIsRefusedAndNothingLeaks() {
    MemoryBudget budget = new MemoryBudget(2L * RamStore.CHUNK + RamStore.LEAF_BYTES);
    RamStore s = new RamStore(1L << 40, budget);
    s.write(0, block(1), 512);
    s.write(RamStore.CHUNK / 512, block(2), 512);
    assertEquals(budget.limit(), budget.used());
    assertThrows(RamStore.SpaceExhaustedException.class, () -> s.write(2L * RamStore.CHUNK / 512, block(3), 512));
    assertThrows(RamStore.SpaceExhaustedException.class, () -> s.write(LEAF_SPAN / 512, block(4), 512), "a new leaf too");
    assertEquals(budget.limit(), budget.used());
    // what was written is intact; freeing one chunk makes room again
    assertArrayEquals(block(2).toArray(), s.read(RamStore.CHUNK / 512, 1, 512).toArray());
    s.unmap(0, RamStore.CHUNK / 512, 512);
    s.write(2L * RamStore.CHUNK / 512, block(3), 512);
    assertArrayEquals(block(3).toArray(), s.read(2L * RamStore.CHUNK / 512, 1, 512).toArray());
  }

  @Test
  void unmappingAHugeRangeVisitsOnlyWhatExistsAndDropsEmptyLeaves() {
    MemoryBudget budget = new MemoryBudget(1L << 30);
    RamStore s = new RamStore(1L << 60, budget);
    s.write(0, block(1), 512);
    s.write((1L << 59) / 512, block(2), 512);
    assertEquals(2 * (RamStore.CHUNK + RamStore.LEAF_BYTES), budget.used());
    s.unmap(0, (1L << 60) / 512, 512); // 2^51 blocks: must not walk them
    assertEquals(0, budget.used());
    assertArrayEquals(new byte[512], s.read((1L << 59) / 512, 1, 512).toArray());
  }

  @Test
  void closeGivesEverythingBack() {
    MemoryBudget budget = new MemoryBudget(1L << 30);
    RamStore s = new RamStore(1L << 30, budget);
    s.write(0, ByteString.fromArrayUnsafe(new byte[4 * RamStore.CHUNK]), 512);
    assertTrue(budget.used() >= 4L * RamStore.CHUNK);
    s.close();
    assertEquals(0, budget.used());
  }

  @Test
  void aFullThinDiskAnswersSpaceAllocationFailed() {
    LunSpec spec = LunSpec.disk(0, 1L << 20, 512);
    EmuDisk d = new EmuDisk(spec, new RamStore(spec.blocks() * 512, new MemoryBudget(RamStore.LEAF_BYTES + RamStore.CHUNK)));
    T.assertGood(T.out(d, T.write10(0, 1), block(1))); // takes the only chunk
    // SBC-3: DATA PROTECT, 27/07 SPACE ALLOCATION FAILED WRITE PROTECT
    T.assertSense(T.out(d, T.write10(RamStore.CHUNK / 512, 1), block(2)), org.camstack.stack.scsi.Sense.DATA_PROTECT, 0x27, 0x07);
    T.assertGood(T.out(d, T.write10(1, 1), block(3))); // the allocated chunk still takes writes
  }
}
