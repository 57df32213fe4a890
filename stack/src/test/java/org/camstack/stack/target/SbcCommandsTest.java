package org.camstack.stack.target;

import static org.camstack.stack.target.T.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * GET LBA STATUS, WRITE AND VERIFY, PRE-FETCH, ORWRITE, READ DEFECT DATA and FORMAT UNIT: the
 * answers libiscsi's suites for them expect.
 */
class SbcCommandsTest {
  private static final int BS = 512;
  /** Blocks per 64 KiB RAM chunk at 512-byte blocks: the thin allocation granularity. */
  private static final int CHUNK_BLOCKS = RamStore.CHUNK / BS;

  static ByteString getLbaStatus(long lba, int alloc) {
    return cdb(0x9e, 0x12, (int) (lba >>> 56), (int) (lba >>> 48), (int) (lba >>> 40), (int) (lba >>> 32),
        (int) (lba >>> 24), (int) (lba >>> 16), (int) (lba >>> 8), (int) lba,
        alloc >>> 24, alloc >>> 16, alloc >>> 8, alloc, 0, 0);
  }

  static ByteString op10(int op, int b1, long lba, int blocks) {
    return cdb(op, b1, (int) (lba >>> 24), (int) (lba >>> 16), (int) (lba >>> 8), (int) lba, 0, blocks >>> 8, blocks, 0);
  }

  static ByteString op16(int op, int b1, long lba, long blocks) {
    ByteString c = rw16(op, lba, blocks);
    return cdb(op, b1).concat(c.drop(2));
  }

  private static ByteString op12(int op, int b1, long lba, long blocks) {
    return cdb(op, b1).concat(rw12(op, lba, blocks).drop(2));
  }

  static ByteString atomic16(int b1, long lba, int blocks) {
    return cdb(0x9c, b1, (int) (lba >>> 56), (int) (lba >>> 48), (int) (lba >>> 40), (int) (lba >>> 32),
        (int) (lba >>> 24), (int) (lba >>> 16), (int) (lba >>> 8), (int) lba, 0, 0, blocks >>> 8, blocks, 0, 0);
  }

  static ByteString sanitize(int sa, int plen) {
    return cdb(0x48, sa, 0, 0, 0, 0, 0, plen >>> 8, plen, 0);
  }

  /** OVERWRITE parameter list: count, pattern length, pattern of {@code fill}. */
  static ByteString overwrite(int count, int patternLength, int fill) {
    return cdb(count, 0, patternLength >>> 8, patternLength).concat(bytes(patternLength, fill));
  }

  private static ByteString lengthOnly(ByteString list, int patternLength) {
    byte[] b = list.toArray();
    b[2] = (byte) (patternLength >>> 8);
    b[3] = (byte) patternLength;
    return ByteString.fromArrayUnsafe(b);
  }

  /** One descriptor of GET LBA STATUS data: {lba, blocks, provisioning status}. */
  private static long[] descriptor(ByteString data, int i) {
    int d = 8 + 16 * i;
    return new long[] {be64(data, d), be32(data, d + 8), u8(data, d + 12) & 0x0f};
  }

  // ---------------------------------------------------------------- the table

  private static Arguments row(String what, Function<EmuDisk, ScsiResponse> command, int key, int asc, int ascq) {
    return Arguments.of(what, command, key, asc, ascq);
  }

  private static Arguments good(String what, Function<EmuDisk, ScsiResponse> command) {
    return row(what, command, -1, 0, 0);
  }

  /** A 1000-block RAM disk; each row one command and its status or sense. */
  static Stream<Arguments> table() {
    ByteString one = bytes(BS, 0x5a);
    return Stream.of(
        good("GET LBA STATUS at LBA 0", d -> run(d, getLbaStatus(0, 24), 24)),
        good("GET LBA STATUS at the last LBA", d -> run(d, getLbaStatus(999, 24), 24)),
        row("GET LBA STATUS at the capacity", d -> run(d, getLbaStatus(1000, 24), 24), Sense.ILLEGAL_REQUEST, 0x21, 0x00),
        row("GET LBA STATUS at 2^63", d -> run(d, getLbaStatus(1L << 63, 24), 24), Sense.ILLEGAL_REQUEST, 0x21, 0x00),
        row("GET LBA STATUS at 2^64-1", d -> run(d, getLbaStatus(-1L, 24), 24), Sense.ILLEGAL_REQUEST, 0x21, 0x00),
        good("WRITE AND VERIFY(10)", d -> out(d, op10(0x2e, 0, 0, 1), one)),
        good("WRITE AND VERIFY(10) BYTCHK=1", d -> out(d, op10(0x2e, 0x02, 0, 1), one)),
        good("WRITE AND VERIFY(10) DPO", d -> out(d, op10(0x2e, 0x10, 0, 1), one)),
        good("WRITE AND VERIFY(10) 0 blocks", d -> out(d, op10(0x2e, 0, 5, 0), ByteString.emptyByteString())),
        row("WRITE AND VERIFY(10) BYTCHK=10b", d -> out(d, op10(0x2e, 0x04, 0, 1), one), Sense.ILLEGAL_REQUEST, 0x24, 0x00),
        row("WRITE AND VERIFY(10) WRPROTECT", d -> out(d, op10(0x2e, 0x20, 0, 1), one), Sense.ILLEGAL_REQUEST, 0x24, 0x00),
        row("WRITE AND VERIFY(10) beyond the end", d -> out(d, op10(0x2e, 0, 1000, 1), one), Sense.ILLEGAL_REQUEST, 0x21, 0x00),
        good("WRITE AND VERIFY(12) BYTCHK=1", d -> out(d, op12(0xae, 0x02, 999, 1), one)),
        row("WRITE AND VERIFY(12) beyond the end", d -> out(d, op12(0xae, 0, 999, 2), bytes(2 * BS, 1)), Sense.ILLEGAL_REQUEST, 0x21, 0x00),
        good("WRITE AND VERIFY(16) BYTCHK=1", d -> out(d, op16(0x8e, 0x02, 998, 2), bytes(2 * BS, 7))),
        row("WRITE AND VERIFY(16) at 2^63", d -> out(d, op16(0x8e, 0, 1L << 63, 1), one), Sense.ILLEGAL_REQUEST, 0x21, 0x00),
        good("PRE-FETCH(10)", d -> run(d, op10(0x34, 0, 0, 1), 0)),
        good("PRE-FETCH(10) IMMED, GROUP 3", d -> run(d, cdb(0x34, 0x02, 0, 0, 0, 0, 0x03, 0, 1, 0), 0)),
        good("PRE-FETCH(10) 0 blocks", d -> run(d, op10(0x34, 0, 999, 0), 0)),
        row("PRE-FETCH(10) beyond the end", d -> run(d, op10(0x34, 0, 999, 2), 0), Sense.ILLEGAL_REQUEST, 0x21, 0x00),
        good("PRE-FETCH(16) to the last block", d -> run(d, op16(0x90, 0x02, 744, 256), 0)),
        row("PRE-FETCH(16) at 2^63", d -> run(d, op16(0x90, 0, 1L << 63, 1), 0), Sense.ILLEGAL_REQUEST, 0x21, 0x00),
        good("ORWRITE(16)", d -> out(d, op16(0x8b, 0, 0, 1), one)),
        good("ORWRITE(16) 0 blocks", d -> out(d, op16(0x8b, 0, 0, 0), ByteString.emptyByteString())),
        good("ORWRITE(16) DPO FUA", d -> out(d, op16(0x8b, 0x18, 0, 1), one)),
        row("ORWRITE(16) ORPROTECT", d -> out(d, op16(0x8b, 0x20, 0, 1), one), Sense.ILLEGAL_REQUEST, 0x24, 0x00),
        row("ORWRITE(16) beyond the end", d -> out(d, op16(0x8b, 0, 1000, 1), one), Sense.ILLEGAL_REQUEST, 0x21, 0x00),
        good("READ DEFECT DATA(10) short block format", d -> run(d, cdb(0x37, 0, 0x18, 0, 0, 0, 0, 0, 32, 0), 32)),
        good("READ DEFECT DATA(12) long block format", d -> run(d, cdb(0xb7, 0x1b, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0), 32)),
        row("READ DEFECT DATA(10) reserved format 001b", d -> run(d, cdb(0x37, 0, 0x01, 0, 0, 0, 0, 0, 32, 0), 32), Sense.ILLEGAL_REQUEST, 0x24, 0x00),
        row("READ DEFECT DATA(12) vendor format 110b", d -> run(d, cdb(0xb7, 0x06, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0), 32), Sense.ILLEGAL_REQUEST, 0x24, 0x00),
        good("FORMAT UNIT", d -> run(d, cdb(0x04, 0, 0, 0, 0, 0), 0)),
        good("FORMAT UNIT short header, FOV DCRT", d -> out(d, cdb(0x04, 0x10, 0, 0, 0, 0), cdb(0, 0xa0, 0, 0))),
        good("FORMAT UNIT long header", d -> out(d, cdb(0x04, 0x30, 0, 0, 0, 0), cdb(0, 0, 0, 0, 0, 0, 0, 0))),
        row("FORMAT UNIT FMTPINFO", d -> run(d, cdb(0x04, 0x80, 0, 0, 0, 0), 0), Sense.ILLEGAL_REQUEST, 0x24, 0x00),
        row("FORMAT UNIT IP", d -> out(d, cdb(0x04, 0x10, 0, 0, 0, 0), cdb(0, 0x88, 0, 0)), Sense.ILLEGAL_REQUEST, 0x26, 0x00),
        row("FORMAT UNIT DCRT without FOV", d -> out(d, cdb(0x04, 0x10, 0, 0, 0, 0), cdb(0, 0x20, 0, 0)), Sense.ILLEGAL_REQUEST, 0x26, 0x00),
        row("FORMAT UNIT with a defect list", d -> out(d, cdb(0x04, 0x10, 0, 0, 0, 0), cdb(0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0)), Sense.ILLEGAL_REQUEST, 0x26, 0x00),
        good("WRITE ATOMIC(16)", d -> out(d, atomic16(0, 0, 1), one)),
        good("WRITE ATOMIC(16) 256 blocks at the end", d -> out(d, atomic16(0, 744, 256), bytes(256 * BS, 0xa6))),
        good("WRITE ATOMIC(16) 0 blocks", d -> out(d, atomic16(0, 0, 0), ByteString.emptyByteString())),
        good("WRITE ATOMIC(16) DPO FUA", d -> out(d, atomic16(0x18, 0, 1), one)),
        row("WRITE ATOMIC(16) beyond the end", d -> out(d, atomic16(0, 1000, 1), one), Sense.ILLEGAL_REQUEST, 0x21, 0x00),
        row("WRITE ATOMIC(16) WRPROTECT", d -> out(d, atomic16(0x20, 0, 1), one), Sense.ILLEGAL_REQUEST, 0x24, 0x00),
        good("SANITIZE OVERWRITE, one block pattern", d -> out(d, sanitize(0x01, BS + 4), overwrite(1, BS, 0xaa))),
        good("SANITIZE OVERWRITE, 4-byte pattern", d -> out(d, sanitize(0x01, 8), overwrite(1, 4, 0xaa))),
        row("SANITIZE OVERWRITE, parameter list of 4 bytes", d -> out(d, sanitize(0x01, 4), overwrite(1, 0, 0)), Sense.ILLEGAL_REQUEST, 0x24, 0x00),
        row("SANITIZE OVERWRITE, parameter list of block size + 5", d -> out(d, sanitize(0x01, BS + 5), overwrite(1, BS + 1, 0)), Sense.ILLEGAL_REQUEST, 0x24, 0x00),
        row("SANITIZE OVERWRITE COUNT 0", d -> out(d, sanitize(0x01, BS + 4), overwrite(0, BS, 0xaa)), Sense.ILLEGAL_REQUEST, 0x26, 0x00),
        row("SANITIZE OVERWRITE, pattern length 0", d -> out(d, sanitize(0x01, BS + 4), lengthOnly(overwrite(1, BS, 0xaa), 0)), Sense.ILLEGAL_REQUEST, 0x26, 0x00),
        good("SANITIZE BLOCK ERASE", d -> run(d, sanitize(0x02, 0), 0)),
        good("SANITIZE CRYPTOGRAPHIC ERASE", d -> run(d, sanitize(0x03, 0), 0)),
        good("SANITIZE EXIT FAILURE MODE", d -> run(d, sanitize(0x1f, 0), 0)),
        row("SANITIZE BLOCK ERASE with a parameter list", d -> out(d, sanitize(0x02, 8), bytes(8, 0)), Sense.ILLEGAL_REQUEST, 0x24, 0x00),
        row("SANITIZE BLOCK ERASE, reserved byte 2", d -> run(d, cdb(0x48, 0x02, 1, 0, 0, 0, 0, 0, 0, 0), 0), Sense.ILLEGAL_REQUEST, 0x24, 0x00),
        row("SANITIZE OVERWRITE, reserved byte 6", d -> out(d, cdb(0x48, 0x01, 0, 0, 0, 0, 0x80, 0, 8, 0), overwrite(1, 4, 0xaa)), Sense.ILLEGAL_REQUEST, 0x24, 0x00),
        row("SANITIZE reserved bit 6 of byte 1", d -> run(d, sanitize(0x42, 0), 0), Sense.ILLEGAL_REQUEST, 0x24, 0x00),
        row("SANITIZE reserved service action", d -> run(d, sanitize(0x04, 0), 0), Sense.ILLEGAL_REQUEST, 0x24, 0x00),
        row("FORMAT UNIT header cut short", d -> out(d, cdb(0x04, 0x30, 0, 0, 0, 0), cdb(0, 0, 0, 0)), Sense.ILLEGAL_REQUEST, 0x1a, 0x00));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void answers(String what, Function<EmuDisk, ScsiResponse> command, int key, int asc, int ascq) {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, BS));
    ScsiResponse r = command.apply(disk);
    if (key < 0) {
      assertGood(r);
    } else {
      assertSense(r, key, asc, ascq);
    }
  }

  @Test
  void writeCommandsAreRefusedOnAWriteProtectedMedium() {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, BS));
    CompareAndWriteTest.setSoftwareWriteProtect(disk);
    assertSense(out(disk, op10(0x2e, 0, 0, 1), bytes(BS, 1)), Sense.DATA_PROTECT, 0x27, 0x02);
    assertSense(out(disk, op16(0x8b, 0, 0, 1), bytes(BS, 1)), Sense.DATA_PROTECT, 0x27, 0x02);
    assertSense(run(disk, cdb(0x04, 0, 0, 0, 0, 0), 0), Sense.DATA_PROTECT, 0x27, 0x02);
    assertGood(run(disk, op10(0x34, 0, 0, 1), 0));
  }

  // ---------------------------------------------------------------- GET LBA STATUS

  @Test
  void lbaStatusFollowsWhatTheThinStoreAllocated() {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, BS));
    ScsiResponse empty = run(disk, getLbaStatus(0, 24), 24);
    assertGood(empty);
    assertEquals(20, be32(empty.data(), 0), "PARAMETER DATA LENGTH of one descriptor");
    assertEquals(java.util.List.of(0L, 1000L, 1L), asList(descriptor(empty.data(), 0)), "all deallocated");

    assertGood(out(disk, write10(CHUNK_BLOCKS + 3, 1), bytes(BS, 9))); // allocates the second chunk
    ScsiResponse r = run(disk, getLbaStatus(0, 8 + 16 * 8), 8 + 16 * 8);
    assertGood(r);
    assertEquals(4 + 16 * 3, be32(r.data(), 0));
    assertEquals(java.util.List.of(0L, (long) CHUNK_BLOCKS, 1L), asList(descriptor(r.data(), 0)));
    assertEquals(java.util.List.of((long) CHUNK_BLOCKS, (long) CHUNK_BLOCKS, 0L), asList(descriptor(r.data(), 1)));
    assertEquals(java.util.List.of(2L * CHUNK_BLOCKS, 1000L - 2 * CHUNK_BLOCKS, 1L), asList(descriptor(r.data(), 2)));

    ScsiResponse mid = run(disk, getLbaStatus(CHUNK_BLOCKS + 5, 24), 24);
    assertEquals(java.util.List.of((long) CHUNK_BLOCKS + 5, (long) CHUNK_BLOCKS - 5, 0L), asList(descriptor(mid.data(), 0)),
        "the first descriptor starts at the LBA asked for");

    ScsiResponse cut = run(disk, getLbaStatus(0, 24), 24);
    assertEquals(24, cut.data().size(), "as many descriptors as the allocation length holds");
    assertEquals(0, run(disk, getLbaStatus(0, 0), 0).data().size());

    // unmapping whole chunks deallocates them again
    byte[] unmap = new byte[24];
    org.camstack.stack.scsi.Bytes.put16(unmap, 0, 22);
    org.camstack.stack.scsi.Bytes.put16(unmap, 2, 16);
    org.camstack.stack.scsi.Bytes.put64(unmap, 8, CHUNK_BLOCKS);
    org.camstack.stack.scsi.Bytes.put32(unmap, 16, CHUNK_BLOCKS);
    assertGood(out(disk, cdb(0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0), ByteString.fromArrayUnsafe(unmap)));
    assertEquals(java.util.List.of(0L, 1000L, 1L), asList(descriptor(run(disk, getLbaStatus(0, 24), 24).data(), 0)));
  }

  @Test
  void aPartlyUnmappedChunkStaysMappedAsVpdB0Granularitysays() {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, BS));
    assertGood(out(disk, write10(0, 257), bytes(257 * BS, 'A')));
    byte[] unmap = new byte[24];
    org.camstack.stack.scsi.Bytes.put16(unmap, 0, 22);
    org.camstack.stack.scsi.Bytes.put16(unmap, 2, 16);
    org.camstack.stack.scsi.Bytes.put64(unmap, 8, 4);
    org.camstack.stack.scsi.Bytes.put32(unmap, 16, 1);
    assertGood(out(disk, cdb(0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0), ByteString.fromArrayUnsafe(unmap)));
    assertEquals(0L, descriptor(run(disk, getLbaStatus(5, 24), 24).data(), 0)[2], "libiscsi UnmapSingle: the next block is mapped");
    assertEquals(CHUNK_BLOCKS, be32(run(disk, vpd(0xb0, 64), 64).data(), 28), "OPTIMAL UNMAP GRANULARITY");
  }

  @Test
  void provisioningIsReportedConsistentlyByEveryStore(@TempDir Path dir) {
    EmuDisk thin = new EmuDisk(LunSpec.disk(0, 1000, BS));
    EmuDisk file = new EmuDisk(LunSpec.disk(0, 1000, BS).withStore(LunSpec.StoreKind.FILE, dir.resolve("f.img").toString()));
    EmuDisk nul = new EmuDisk(LunSpec.disk(0, 1000, BS).withStore(LunSpec.StoreKind.NULL, null));
    for (EmuDisk d : new EmuDisk[] {thin, file, nul}) {
      boolean lbpme = (u8(run(d, readCapacity16(32), 32).data(), 14) & 0x80) != 0;
      boolean lbprz = (u8(run(d, readCapacity16(32), 32).data(), 14) & 0x40) != 0;
      ByteString b2 = run(d, vpd(0xb2, 255), 255).data();
      assertEquals(lbpme, (u8(b2, 5) & 0x80) != 0, "LBPU iff LBPME");
      assertEquals(lbpme, (u8(b2, 5) & 0x40) != 0, "LBPWS iff LBPME");
      assertEquals(lbpme, (u8(b2, 5) & 0x20) != 0, "LBPWS10 iff LBPME");
      assertEquals(lbprz, (u8(b2, 5) & 0x04) != 0, "LBPRZ in B2 and READ CAPACITY(16)");
      assertEquals(lbpme ? 2 : 0, u8(b2, 6) & 0x07, "provisioning type");
      assertGood(out(d, write10(0, 1), bytes(BS, 3)));
      long status = descriptor(run(d, getLbaStatus(0, 24), 24).data(), 0)[2];
      assertEquals(d == nul ? 1 : 0, status, d.store().getClass().getSimpleName() + " block 0 after a write");
    }
    assertTrue(!((u8(run(file, readCapacity16(32), 32).data(), 14) & 0x80) != 0), "a file is fully provisioned");
  }

  private static java.util.List<Long> asList(long[] v) {
    return java.util.Arrays.stream(v).boxed().toList();
  }

  // ---------------------------------------------------------------- the data

  @Test
  void orWriteOrsIntoTheMedium() {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, BS));
    assertGood(out(disk, op16(0x8b, 0, 998, 2), bytes(2 * BS, 0xa5)));
    assertEquals(bytes(2 * BS, 0xa5), run(disk, rw16(0x88, 998, 2), 2 * BS).data());
    assertGood(out(disk, op16(0x8b, 0, 998, 2), bytes(2 * BS, 0x5a)));
    assertEquals(bytes(2 * BS, 0xff), run(disk, rw16(0x88, 998, 2), 2 * BS).data());
  }

  @Test
  void writeAndVerifyWritesAndComparesWhatTheStoreKept() {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, BS));
    assertGood(out(disk, op12(0xae, 0x02, 10, 3), bytes(3 * BS, 'W')));
    assertEquals(bytes(3 * BS, 'W'), run(disk, read10(10, 3), 3 * BS).data());
    EmuDisk nul = new EmuDisk(LunSpec.disk(0, 1000, BS).withStore(LunSpec.StoreKind.NULL, null));
    ScsiResponse r = out(nul, op10(0x2e, 0x02, 0, 1), bytes(BS, 'W'));
    assertSense(r, Sense.MISCOMPARE, 0x1d, 0x00); // a null store keeps nothing
    assertEquals(0, be32(r.sense(), 3));
    assertGood(out(nul, op10(0x2e, 0, 0, 1), bytes(BS, 'W'))); // BYTCHK 0: no comparison
  }

  @Test
  void readDefectDataHeadersAreEmptyListsInTheRequestedFormat() {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, BS));
    ScsiResponse ten = run(disk, cdb(0x37, 0, 0x1d, 0, 0, 0, 0, 0, 32, 0), 32);
    assertEquals(4, ten.data().size());
    assertEquals(0x1d, u8(ten.data(), 1), "PLISTV GLISTV, format 101b");
    assertEquals(0, be16(ten.data(), 2), "DEFECT LIST LENGTH");
    ScsiResponse twelve = run(disk, cdb(0xb7, 0x0c, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0), 32);
    assertEquals(8, twelve.data().size());
    assertEquals(0x0c, u8(twelve.data(), 1));
    assertEquals(0, be32(twelve.data(), 4));
    ScsiResponse bad = run(disk, cdb(0x37, 0, 0x07, 0, 0, 0, 0, 0, 32, 0), 32);
    assertField(bad, true, 2, 2);
    assertEquals(2, run(disk, cdb(0x37, 0, 0x18, 0, 0, 0, 0, 0, 2, 0), 2).data().size(), "allocation length");
  }

  @Test
  void formatUnitLeavesAMediumThatReadsZerosAndIsDeallocated(@TempDir Path dir) {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, BS));
    assertGood(out(disk, write10(0, 300), bytes(300 * BS, 'F')));
    assertTrue(((RamStore) disk.store()).allocatedBytes() > 0);
    assertGood(run(disk, cdb(0x04, 0, 0, 0, 0, 0), 0));
    assertEquals(bytes(300 * BS, 0), run(disk, read10(0, 300), 300 * BS).data());
    assertEquals(0, ((RamStore) disk.store()).allocatedBytes(), "a thin store frees everything");
    assertEquals(java.util.List.of(0L, 1000L, 1L), asList(descriptor(run(disk, getLbaStatus(0, 24), 24).data(), 0)));

    EmuDisk file = new EmuDisk(LunSpec.disk(0, 100, BS).withStore(LunSpec.StoreKind.FILE, dir.resolve("fmt.img").toString()));
    assertGood(out(file, write10(90, 10), bytes(10 * BS, 'F')));
    assertGood(out(file, cdb(0x04, 0x10, 0, 0, 0, 0), cdb(0, 0x02, 0, 0))); // IMMED
    assertEquals(bytes(10 * BS, 0), run(file, read10(90, 10), 10 * BS).data());
  }

  @Test
  void sanitizeWipesTheMedium(@TempDir Path dir) {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, BS));
    assertGood(out(disk, write10(0, 256), bytes(256 * BS, 'a')));
    assertGood(out(disk, sanitize(0x01, 8), overwrite(1, 4, 0xaa)));
    assertEquals(bytes(1000 * BS, 0xaa), run(disk, rw16(0x88, 0, 1000), 1000 * BS).data(), "the pattern in every block");
    assertGood(run(disk, sanitize(0x02, 0), 0));
    assertEquals(bytes(256 * BS, 0), run(disk, read10(0, 256), 256 * BS).data(), "WABEREQ 01b: reads return zeros");
    assertEquals(java.util.List.of(0L, 1000L, 1L), asList(descriptor(run(disk, getLbaStatus(0, 256), 256).data(), 0)),
        "every block deallocated after BLOCK ERASE");
    assertEquals(0x50, u8(run(disk, vpd(0xb1, 64), 64).data(), 7) & 0xf0, "WABEREQ, WACEREQ 01b");
    EmuDisk file = new EmuDisk(LunSpec.disk(0, 100, BS).withStore(LunSpec.StoreKind.FILE, dir.resolve("s.img").toString()));
    assertSense(run(file, sanitize(0x02, 0), 0), Sense.ILLEGAL_REQUEST, 0x24, 0x00); // no LBPME: no block erase
    assertEquals(0, u8(run(file, vpd(0xb1, 64), 64).data(), 7) & 0xf0);
    CompareAndWriteTest.setSoftwareWriteProtect(disk);
    assertSense(run(disk, sanitize(0x03, 0), 0), Sense.DATA_PROTECT, 0x27, 0x02);
  }

  @Test
  void writeAtomicLimitsAreInVpdB0() {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1 << 20, BS).withStore(LunSpec.StoreKind.NULL, null));
    ByteString b0 = run(disk, vpd(0xb0, 64), 64).data();
    long maxAtomic = be32(b0, 44);
    assertTrue(maxAtomic > 0 && maxAtomic <= be32(b0, 8), "0 < MAXIMUM ATOMIC TRANSFER LENGTH <= MAXIMUM TRANSFER LENGTH");
    assertEquals(0, be32(b0, 48), "ATOMIC ALIGNMENT");
    assertEquals(0, be32(b0, 52), "ATOMIC TRANSFER LENGTH GRANULARITY");
    assertGood(out(disk, atomic16(0, 0, (int) maxAtomic), bytes((int) maxAtomic * BS, 1)));
    EmuDisk small = new EmuDisk(LunSpec.disk(0, 1 << 20, 65536).withStore(LunSpec.StoreKind.NULL, null));
    long smallMax = be32(run(small, vpd(0xb0, 64), 64).data(), 44);
    assertEquals(EmuDisk.MAX_TRANSFER_BYTES / 65536, smallMax);
    ScsiResponse over = out(small, atomic16(0, 0, (int) smallMax + 1), bytes(((int) smallMax + 1) * 65536, 1));
    assertSense(over, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertEquals(12, fieldPointer(over.sense())[1]);
  }

  @Test
  void theNewOpcodesAnswerNotReadyWithoutMedium() {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, BS));
    assertGood(run(disk, cdb(0x1b, 0, 0, 0, 0, 0), 0)); // STOP
    for (ByteString c : new ByteString[] {getLbaStatus(0, 24), op10(0x34, 0, 0, 1), op16(0x90, 0, 0, 1), op10(0x2e, 0, 0, 0),
        cdb(0x37, 0, 0, 0, 0, 0, 0, 0, 32, 0), cdb(0x04, 0, 0, 0, 0, 0)}) {
      ScsiResponse r = run(disk, c, 0);
      assertEquals(ScsiStatus.CHECK_COND, r.scsiStatus(), T.describe(r));
      assertEquals(Sense.NOT_READY, Sense.key(r.sense()), () -> String.format("opcode %02x", c.apply(0)));
    }
  }
}
