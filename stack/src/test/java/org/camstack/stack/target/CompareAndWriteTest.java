package org.camstack.stack.target;

import static org.camstack.stack.target.T.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** COMPARE AND WRITE (89h): what libiscsi's CompareAndWrite suite checks, and atomicity. */
class CompareAndWriteTest {
  private static final int BS = 512;

  static ByteString caw(int flags, long lba, int blocks) {
    return cdb(0x89, flags, (int) (lba >>> 56), (int) (lba >>> 48), (int) (lba >>> 40), (int) (lba >>> 32),
        (int) (lba >>> 24), (int) (lba >>> 16), (int) (lba >>> 8), (int) lba, 0, 0, 0, blocks, 0, 0);
  }

  /** compare half ++ write half. */
  static ByteString pair(ByteString compare, ByteString write) {
    return compare.concat(write);
  }

  private static Arguments row(String what, ByteString cdb, ByteString data, int key, int asc, int ascq, int fieldByte) {
    return Arguments.of(what, cdb, data, key, asc, ascq, fieldByte);
  }

  private static Arguments good(String what, ByteString cdb, ByteString data) {
    return row(what, cdb, data, -1, 0, 0, -1);
  }

  /** Block 0..9 hold 'A' before each row; the LUN has 1000 blocks. */
  static Stream<Arguments> table() {
    ByteString a1 = bytes(BS, 'A');
    ByteString b1 = bytes(BS, 'B');
    return Stream.of(
        good("1 block, matching", caw(0, 0, 1), pair(a1, b1)),
        good("2 blocks, matching", caw(0, 0, 2), pair(a1.concat(a1), b1.concat(b1))),
        good("DPO accepted (DPOFUA in MODE SENSE)", caw(0x10, 0, 1), pair(a1, b1)),
        good("FUA accepted", caw(0x08, 0, 1), pair(a1, b1)),
        good("DPO + FUA accepted", caw(0x18, 0, 1), pair(a1, b1)),
        good("0 blocks is a no-op", caw(0, 5, 0), ByteString.emptyByteString()),
        good("0 blocks at the last LBA + 1", caw(0, 1000, 0), ByteString.emptyByteString()),
        row("miscompare", caw(0, 0, 1), pair(b1, a1), Sense.MISCOMPARE, 0x1d, 0x00, -1),
        row("last block beyond the end", caw(0, 999, 2), pair(bytes(2 * BS, 'A'), bytes(2 * BS, 'B')), Sense.ILLEGAL_REQUEST, 0x21, 0x00, -1),
        row("LBA 2^64-1", caw(0, -1L, 1), pair(a1, b1), Sense.ILLEGAL_REQUEST, 0x21, 0x00, -1),
        row("256 blocks: more than VPD B0 allows", caw(0, 0, 256), pair(bytes(256 * BS, 'A'), bytes(256 * BS, 'B')), Sense.ILLEGAL_REQUEST, 0x24, 0x00, 13),
        row("WRPROTECT set", caw(0x20, 0, 1), pair(a1, b1), Sense.ILLEGAL_REQUEST, 0x24, 0x00, 1),
        row("data-out of 4 blocks for 1 (too large)", caw(0, 0, 1), bytes(4 * BS, 'A'), Sense.ILLEGAL_REQUEST, 0x24, 0x00, 13),
        row("data-out of 4 blocks for 3 (too small)", caw(0, 0, 3), bytes(4 * BS, 'A'), Sense.ILLEGAL_REQUEST, 0x24, 0x00, 13),
        row("data-out with 0 blocks", caw(0, 0, 0), pair(a1, b1), Sense.ILLEGAL_REQUEST, 0x24, 0x00, 13));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void answers(String what, ByteString cdb, ByteString data, int key, int asc, int ascq, int fieldByte) {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, BS));
    assertGood(out(disk, write10(0, 10), bytes(10 * BS, 'A')));
    ScsiResponse r = out(disk, cdb, data);
    if (key < 0) {
      assertGood(r);
      return;
    }
    assertSense(r, key, asc, ascq);
    if (fieldByte >= 0) {
      assertEquals(fieldByte, fieldPointer(r.sense())[1], "field pointer");
    }
  }

  @Test
  void matchWritesTheSecondHalf() {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, BS));
    assertGood(out(disk, rw16(0x8a, 998, 2), bytes(2 * BS, 'A')));
    assertGood(out(disk, caw(0, 998, 2), pair(bytes(2 * BS, 'A'), bytes(2 * BS, 'B'))));
    assertEquals(bytes(2 * BS, 'B'), run(disk, rw16(0x88, 998, 2), 2 * BS).data());
  }

  @Test
  void miscompareWritesNothingAndPointsAtTheFirstDifferentByte() {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, BS));
    assertGood(out(disk, write10(0, 3), bytes(3 * BS, 'A')));
    byte[] compare = bytes(3 * BS, 'A').toArray();
    compare[3 * BS - 27] = 'C'; // libiscsi: byte 27 from the end
    ScsiResponse r = out(disk, caw(0, 0, 3), pair(ByteString.fromArrayUnsafe(compare), bytes(3 * BS, 'B')));
    assertSense(r, Sense.MISCOMPARE, 0x1d, 0x00);
    assertTrue((r.sense().apply(0) & 0x80) != 0, "VALID");
    assertEquals(3 * BS - 27, be32(r.sense(), 3), "INFORMATION = offset of the first differing byte");
    assertEquals(bytes(3 * BS, 'A'), run(disk, read10(0, 3), 3 * BS).data(), "nothing written");
  }

  @Test
  void unwrittenBlocksMiscompareAgainstAnyNonZeroData() {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, BS));
    assertSense(out(disk, caw(0, 7, 1), pair(bytes(BS, '%'), bytes(BS, 'B'))), Sense.MISCOMPARE, 0x1d, 0x00);
    assertEquals(bytes(BS, 0), run(disk, read10(7, 1), BS).data());
  }

  @Test
  void lengthLimitComesFromVpdB0() {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, BS));
    int max = u8(run(disk, vpd(0xb0, 64), 64).data(), 5);
    assertEquals(EmuDisk.MAX_COMPARE_AND_WRITE_BLOCKS, max);
    assertGood(out(disk, caw(0, 0, max), pair(bytes(max * BS, 0), bytes(max * BS, 'B'))));
    ScsiResponse over = out(disk, caw(0, 0, max + 1), pair(bytes((max + 1) * BS, 'B'), bytes((max + 1) * BS, 'C')));
    assertSense(over, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertEquals(13, fieldPointer(over.sense())[1]);
  }

  @Test
  void writeProtectedMediumRefusesTheWrite() {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, BS));
    setSoftwareWriteProtect(disk);
    assertSense(out(disk, caw(0, 0, 1), pair(bytes(BS, 0), bytes(BS, 'B'))), Sense.DATA_PROTECT, 0x27, 0x02);
  }

  /**
   * Each thread increments a counter kept in block 0 by COMPARE AND WRITE (old value -> old + 1),
   * retrying on MISCOMPARE; plain WRITEs of another block run alongside. Without atomicity two
   * threads would both see the same old value and both succeed: an increment would be lost.
   */
  @Test
  void concurrentIncrementsLoseNothing() throws Exception {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, BS));
    assertGood(out(disk, write10(0, 1), counter(0)));
    int threads = 4;
    int perThread = 2_000;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicInteger miscompares = new AtomicInteger();
    List<Thread> all = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int initiator = 10 + t;
      all.add(new Thread(() -> {
        try {
          for (int i = 0; i < perThread; ) {
            long seen = Bytes.be64(run(disk, read10(0, 1), BS, initiator).data(), 0);
            ScsiResponse r = out(disk, caw(0, 0, 1), pair(counter(seen), counter(seen + 1)), initiator);
            if (r.scsiStatus() == ScsiStatus.GOOD) {
              i++;
            } else {
              assertEquals(Sense.MISCOMPARE, Sense.key(r.sense()), T.describe(r));
              miscompares.incrementAndGet();
            }
            assertGood(out(disk, write10(1 + initiator, 1), bytes(BS, initiator), initiator));
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }));
    }
    all.forEach(Thread::start);
    for (Thread t : all) {
      t.join();
    }
    assertNull(failure.get());
    assertEquals((long) threads * perThread, Bytes.be64(run(disk, read10(0, 1), BS).data(), 0),
        "every successful COMPARE AND WRITE counted (" + miscompares.get() + " miscompares retried)");
  }

  /** Control page SWP = 1 through MODE SELECT(6) (as EmuDiskIoTest does). */
  static void setSoftwareWriteProtect(EmuDisk disk) {
    ByteString ms = EmuDiskIoTest.modeSelect6(new byte[] {0x0a, 0x0a, 0x02, 0x10, 0x08, 0, 0, 0, (byte) 0xff, (byte) 0xff, 0, 0});
    assertGood(out(disk, cdb(0x15, 0x10, 0, 0, ms.size(), 0), ms));
  }

  /** A block whose first 8 bytes hold {@code v} and whose other bytes are a pattern of it. */
  private static ByteString counter(long v) {
    byte[] b = new byte[BS];
    for (int i = 8; i < BS; i++) {
      b[i] = (byte) (v * 31 + i);
    }
    Bytes.put64(b, 0, v);
    return ByteString.fromArrayUnsafe(b);
  }
}
