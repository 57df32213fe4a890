package org.camstack.stack.target;

import static org.camstack.stack.target.T.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.Sense;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * EXTENDED COPY (LID1) and RECEIVE COPY RESULTS: the parameter lists libiscsi's ExtendedCopy and
 * ReceiveCopyResults suites send, copies between LUNs of one target and across targets through the
 * {@link TargetInventory}, and VPD 0x8F.
 */
class ExtendedCopyTest {
  private static final int BS = 512;
  private static final int BLOCKS = 4096;

  // ---------------------------------------------------------------- parameter list builders

  static ByteString xcopy(int plen) {
    return cdb(0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0, plen >>> 24, plen >>> 16, plen >>> 8, plen, 0, 0);
  }

  static ByteString rcr(int sa, int listId) {
    return cdb(0x84, sa, listId, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0);
  }

  static byte[] header(int listId, int usage, int cscdLen, int segLen, int inlineLen) {
    byte[] b = new byte[16];
    b[0] = (byte) listId;
    b[1] = (byte) (usage << 3);
    Bytes.put16(b, 2, cscdLen);
    Bytes.put32(b, 8, segLen);
    Bytes.put32(b, 12, inlineLen);
    return b;
  }

  /** Identification CSCD (E4h) naming an NAA designator, LU association, as libiscsi builds it. */
  static byte[] cscd(int type, int b1, long naa, int blockSize) {
    byte[] d = new byte[32];
    d[0] = (byte) type;
    d[1] = (byte) b1;
    d[4] = 0x01; // binary
    d[5] = 0x03; // LU association, NAA
    d[7] = 8;
    Bytes.put64(d, 8, naa);
    Bytes.put24(d, 29, blockSize);
    return d;
  }

  static byte[] cscd(long naa) {
    return cscd(0xe4, 0, naa, BS);
  }

  /** Block-to-block segment (02h). */
  static byte[] segment(int src, int dst, int blocks, long srcLba, long dstLba) {
    byte[] d = new byte[28];
    d[0] = 0x02;
    Bytes.put16(d, 2, 0x18);
    Bytes.put16(d, 4, src);
    Bytes.put16(d, 6, dst);
    Bytes.put16(d, 10, blocks);
    Bytes.put64(d, 12, srcLba);
    Bytes.put64(d, 20, dstLba);
    return d;
  }

  static ByteString list(int listId, int usage, List<byte[]> cscds, List<byte[]> segments) {
    int cl = cscds.stream().mapToInt(d -> d.length).sum();
    int sl = segments.stream().mapToInt(d -> d.length).sum();
    ByteString b = ByteString.fromArrayUnsafe(header(listId, usage, cl, sl, 0));
    for (byte[] d : cscds) {
      b = b.concat(ByteString.fromArrayUnsafe(d));
    }
    for (byte[] d : segments) {
      b = b.concat(ByteString.fromArrayUnsafe(d));
    }
    return b;
  }

  static ScsiResponse send(EmuDisk d, ByteString params) {
    return out(d, xcopy(params.size()), params);
  }

  static List<byte[]> times(int n, byte[] d) {
    return java.util.Collections.nCopies(n, d);
  }

  static EmuDisk disk(int target, long lun) {
    LunSpec s = LunSpec.disk(lun, BLOCKS, BS);
    return new EmuDisk(s.withIdentity(LunSpec.defaultSerial(0, target, lun), LunSpec.defaultWwn(0, target, lun)));
  }

  // ---------------------------------------------------------------- the table

  private static Arguments row(String what, Function<EmuDisk, ByteString> params, int key, int asc, int ascq) {
    return Arguments.of(what, params, key, asc, ascq);
  }

  /** One disk; its own designator names source and destination (as libiscsi does). */
  static Stream<Arguments> table() {
    Function<EmuDisk, byte[]> self = d -> cscd(d.spec().wwnValue());
    byte[] seg = segment(0, 0, 2048, 0, BLOCKS - 2048);
    return Stream.of(
        row("a good copy", d -> list(1, 0, List.of(self.apply(d)), List.of(seg)), -1, 0, 0),
        row("parameter list length 0", d -> ByteString.emptyByteString(), -1, 0, 0),
        row("list cut inside the CSCD", d -> list(1, 0, List.of(self.apply(d)), List.of(seg)).take(16 + 31), Sense.ILLEGAL_REQUEST, 0x1a, 0x00),
        row("list cut inside the segment", d -> list(1, 0, List.of(self.apply(d)), List.of(seg)).take(16 + 32 + 27), Sense.ILLEGAL_REQUEST, 0x1a, 0x00),
        row("header only, 15 bytes", d -> ByteString.fromArrayUnsafe(new byte[15]), Sense.ILLEGAL_REQUEST, 0x1a, 0x00),
        row("9 CSCDs", d -> list(1, 0, times(9, self.apply(d)), List.of(seg)), Sense.ILLEGAL_REQUEST, 0x26, 0x06),
        row("17 segments", d -> list(2, 0, List.of(self.apply(d)), times(17, seg)), Sense.ILLEGAL_REQUEST, 0x26, 0x08),
        row("9 CSCDs and 17 segments: longer than the maximum list", d -> list(3, 0, times(9, self.apply(d)), times(17, seg)), Sense.ILLEGAL_REQUEST, 0x1a, 0x00),
        row("Fibre Channel N_Port_Name CSCD (E0h)", d -> list(1, 0, List.of(cscd(0xe0, 0, d.spec().wwnValue(), BS)), List.of(seg)), Sense.ILLEGAL_REQUEST, 0x26, 0x07),
        row("stream-to-stream segment (03h)", d -> list(1, 0, List.of(self.apply(d)), List.of(new byte[] {0x03, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})), Sense.ILLEGAL_REQUEST, 0x26, 0x09),
        row("LU ID TYPE reserved: ignored (SPC-4)", d -> list(1, 0, List.of(cscd(0xe4, 0xc0, d.spec().wwnValue(), BS)), List.of(seg)), -1, 0, 0),
        row("inline data", d -> {
          ByteString l = list(1, 0, List.of(self.apply(d)), List.of(seg)).concat(ByteString.fromArrayUnsafe(new byte[4]));
          byte[] b = l.toArray();
          Bytes.put32(b, 12, 4);
          return ByteString.fromArrayUnsafe(b);
        }, Sense.ILLEGAL_REQUEST, 0x26, 0x00),
        row("NUL CSCD", d -> list(1, 0, List.of(cscd(0xe4, 0x20, d.spec().wwnValue(), BS)), List.of(seg)), Sense.COPY_ABORTED, 0x0d, 0x02),
        row("destination CSCD index beyond the list", d -> list(1, 0, List.of(self.apply(d)), List.of(segment(0, 1, 2048, 0, 0))), Sense.COPY_ABORTED, 0x08, 0x04),
        row("destination beyond the capacity", d -> list(1, 0, List.of(self.apply(d)), List.of(segment(0, 0, 2048, 0, BLOCKS - 1))), Sense.COPY_ABORTED, 0x0d, 0x02),
        row("a designator naming no LUN", d -> list(1, 0, List.of(cscd(0x5000000000000001L)), List.of(seg)), Sense.COPY_ABORTED, 0x08, 0x04),
        row("another disk block length", d -> list(1, 0, List.of(cscd(0xe4, 0, d.spec().wwnValue(), 4096)), List.of(seg)), Sense.COPY_ABORTED, 0x0d, 0x02));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void answers(String what, Function<EmuDisk, ByteString> params, int key, int asc, int ascq) {
    EmuDisk d = disk(0, 0);
    ScsiResponse r = send(d, params.apply(d));
    if (key < 0) {
      assertGood(r);
    } else {
      assertSense(r, key, asc, ascq);
    }
  }

  // ---------------------------------------------------------------- copies

  @Test
  void copiesWithinOneLun() {
    EmuDisk d = disk(0, 0);
    ByteString a = bytes(2048 * BS, 'A');
    assertGood(out(d, rw16(0x8a, 0, 2048), a));
    assertGood(send(d, list(1, 2, List.of(cscd(d.spec().wwnValue())), List.of(segment(0, 0, 2048, 0, BLOCKS - 2048)))));
    assertEquals(a, run(d, rw16(0x88, BLOCKS - 2048, 2048), 2048 * BS).data());
  }

  @Test
  void copiesBetweenLunsOfOneTargetAndAcrossTargets() {
    EmuDisk a = disk(0, 0);
    EmuDisk b = disk(0, 1);
    EmuDisk c = disk(1, 0);
    EmuTarget t0 = new EmuTarget(0, List.of(a, b));
    EmuTarget t1 = new EmuTarget(1, List.of(c));
    ByteString data = BackingStoreTest.pattern(100 * BS);
    assertGood(out(a, write10(10, 100), data));
    // a (the copy manager) copies its blocks into b: same target, no inventory needed
    assertGood(send(a, list(0, 3, List.of(cscd(a.spec().wwnValue()), cscd(b.spec().wwnValue())), List.of(segment(0, 1, 100, 10, 500)))));
    assertEquals(data, run(b, read10(500, 100), 100 * BS).data());
    // c is in another target: unreachable until the targets are published
    ByteString toC = list(0, 3, List.of(cscd(b.spec().wwnValue()), cscd(c.spec().wwnValue())), List.of(segment(0, 1, 100, 500, 7)));
    assertSense(send(b, toC), Sense.COPY_ABORTED, 0x08, 0x04);
    TargetInventory inv = new TargetInventory();
    Map<Integer, EmuTarget> bus = new ConcurrentHashMap<>(Map.of(0, t0, 1, t1));
    inv.publish(3, bus);
    assertSame(c, inv.lunByNaa(c.spec().wwnValue()));
    assertNull(inv.lunByNaa(0x5000000000000001L));
    assertGood(send(b, toC));
    assertEquals(data, run(c, read10(7, 100), 100 * BS).data());
    // a copy manager need not be source nor destination: c copies from a to b
    assertGood(send(c, list(0, 3, List.of(cscd(a.spec().wwnValue()), cscd(b.spec().wwnValue())), List.of(segment(0, 1, 5, 10, 0)))));
    assertEquals(data.take(5 * BS), run(b, read10(0, 5), 5 * BS).data());
    inv.withdraw(3);
    assertNull(t1.inventory());
    assertSense(send(b, toC), Sense.COPY_ABORTED, 0x08, 0x04);
  }

  @Test
  void aWriteProtectedDestinationAbortsTheCopyAtItsSegment() {
    EmuDisk a = disk(0, 0);
    EmuDisk b = disk(0, 1);
    new EmuTarget(0, List.of(a, b));
    CompareAndWriteTest.setSoftwareWriteProtect(b);
    ByteString l = list(5, 0, List.of(cscd(a.spec().wwnValue()), cscd(b.spec().wwnValue())),
        List.of(segment(0, 0, 1, 0, 1), segment(0, 1, 1, 0, 1)));
    ScsiResponse r = send(a, l);
    assertSense(r, Sense.COPY_ABORTED, 0x0d, 0x02);
    assertEquals(1, be32(r.sense(), 8), "COMMAND-SPECIFIC INFORMATION: the failed segment");
    ScsiResponse details = run(a, rcr(0x04, 5), 1024);
    assertGood(details);
    assertEquals(0x02, u8(details.data(), 60), "EXTENDED COPY COMMAND STATUS: CHECK CONDITION");
    ByteString sense = details.data().drop(64).take(be16(details.data(), 62));
    assertEquals(Sense.COPY_ABORTED, Sense.key(sense));
  }

  // ---------------------------------------------------------------- RECEIVE COPY RESULTS

  @Test
  void copyStatusIsHeldPerNexusAndListUntilRetrieved() {
    EmuDisk d = disk(0, 0);
    assertSense(run(d, rcr(0x00, 1), 1024), Sense.ILLEGAL_REQUEST, 0x24, 0x00); // no copy yet
    ByteString l = list(1, 0, List.of(cscd(d.spec().wwnValue())), List.of(segment(0, 0, 2048, 0, BLOCKS - 2048)));
    assertGood(send(d, l));
    assertSense(run(d, rcr(0x00, 1), 1024, INI + 1), Sense.ILLEGAL_REQUEST, 0x24, 0x00); // another nexus
    ScsiResponse s = run(d, rcr(0x00, 1), 1024);
    assertGood(s);
    assertEquals(8, be32(s.data(), 0), "AVAILABLE DATA");
    assertEquals(0x01, u8(s.data(), 4), "COPY MANAGER STATUS: completed, good");
    assertEquals(1, be16(s.data(), 5), "SEGMENTS PROCESSED");
    assertEquals(0, u8(s.data(), 7), "TRANSFER COUNT UNITS: bytes");
    assertEquals(2048L * BS, be32(s.data(), 8), "TRANSFER COUNT");
    assertSense(run(d, rcr(0x00, 1), 1024), Sense.ILLEGAL_REQUEST, 0x24, 0x00); // retrieved: gone
    assertGood(send(d, list(2, 2, List.of(cscd(d.spec().wwnValue())), List.of(segment(0, 0, 1, 0, 1)))));
    assertEquals(0, d.copyManager().heldLists(), "LIST ID USAGE 10b holds nothing");
    assertSense(run(d, rcr(0x07, 1), 1024), Sense.ILLEGAL_REQUEST, 0x24, 0x00);
  }

  @Test
  void heldListsAreBounded() {
    EmuDisk d = disk(0, 0);
    for (int i = 0; i < CopyManager.HELD_LISTS + 10; i++) {
      assertGood(send(d, list(i & 0xff, 0, List.of(cscd(d.spec().wwnValue())), List.of(segment(0, 0, 0, 0, 0)))));
    }
    assertEquals(CopyManager.HELD_LISTS, d.copyManager().heldLists());
    assertSense(run(d, rcr(0x00, 0), 1024), Sense.ILLEGAL_REQUEST, 0x24, 0x00); // the oldest went first
    assertGood(run(d, rcr(0x00, CopyManager.HELD_LISTS + 9), 1024));
  }

  @Test
  void operatingParametersMatchTheLimitsEnforced() {
    EmuDisk d = disk(0, 0);
    ScsiResponse r = run(d, rcr(0x03, 0), 1024);
    assertGood(r);
    ByteString p = r.data();
    assertEquals(p.size() - 4, be32(p, 0));
    assertEquals(CopyManager.MAX_CSCDS, be16(p, 8));
    assertEquals(CopyManager.MAX_SEGMENTS, be16(p, 10));
    assertEquals(CopyManager.MAX_LIST_LENGTH, be32(p, 12));
    assertEquals(0, be32(p, 20), "MAXIMUM INLINE DATA LENGTH");
    assertEquals(9, u8(p, 37), "DATA SEGMENT GRANULARITY: 2^9 = the block size");
    assertEquals(2, u8(p, 43));
    assertEquals(List.of(0x02, 0xe4), List.of(u8(p, 44), u8(p, 45)));
    // libiscsi's DescrLimits premise: one more of both is longer than the maximum list
    int oneMore = 16 + (CopyManager.MAX_CSCDS + 1) * 32 + (CopyManager.MAX_SEGMENTS + 1) * 28;
    assertTrue(CopyManager.MAX_LIST_LENGTH < oneMore);
  }

  // ---------------------------------------------------------------- VPD and INQUIRY

  @Test
  void thirdPartyCopyVpdPageAndThe3pcBit() {
    EmuDisk d = disk(0, 0);
    assertEquals(0x08, u8(run(d, inquiry(96), 96).data(), 5) & 0x08, "3PC");
    ByteString p = run(d, vpd(0x8f, 1024), 1024).data();
    assertEquals(0x8f, u8(p, 1));
    assertEquals(p.size() - 4, be16(p, 2));
    int at = 4;
    java.util.Map<Integer, ByteString> descriptors = new java.util.TreeMap<>();
    while (at < p.size()) {
      int len = be16(p, at + 2);
      assertEquals(0, (4 + len) % 4, "descriptor padded to 4 bytes");
      descriptors.put(be16(p, at), p.slice(at, at + 4 + len));
      at += 4 + len;
    }
    assertEquals(p.size(), at);
    assertEquals(List.of(0x0001, 0x0004, 0x0008, 0x000c, 0x8001), List.copyOf(descriptors.keySet()));
    ByteString cmds = descriptors.get(0x0001);
    assertEquals(8, u8(cmds, 4), "COMMANDS SUPPORTED LIST LENGTH");
    assertEquals(List.of(0x83, 1, 0x00, 0x84, 3, 0x00, 0x03, 0x04),
        List.of(u8(cmds, 5), u8(cmds, 6), u8(cmds, 7), u8(cmds, 8), u8(cmds, 9), u8(cmds, 10), u8(cmds, 11), u8(cmds, 12)));
    ByteString params = descriptors.get(0x0004);
    assertEquals(CopyManager.MAX_CSCDS, be16(params, 6));
    assertEquals(CopyManager.MAX_SEGMENTS, be16(params, 8));
    assertEquals(CopyManager.MAX_LIST_LENGTH, be32(params, 10));
    assertEquals(0x20, be16(descriptors.get(0x8001), 2));
  }
}
