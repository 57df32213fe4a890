package org.camstack.stack.target;

import static org.camstack.stack.target.T.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
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

/**
 * The SSC command set of {@link EmuTape} against one cartridge holding, from BOP: block A (100
 * bytes), block B (200 bytes), a filemark, block C (100 bytes), a filemark; EOD is object 5.
 * Each row: where the tape stands, one CDB, and the outcome summarised by {@link #summary}.
 */
class EmuTapeTest {

  static ByteString read6(boolean fixed, boolean sili, int len) {
    return cdb(0x08, (fixed ? 1 : 0) | (sili ? 2 : 0), len >>> 16, len >>> 8, len, 0);
  }

  static ByteString write6(boolean fixed, int len) {
    return cdb(0x0a, fixed ? 1 : 0, len >>> 16, len >>> 8, len, 0);
  }

  static ByteString space(int code, int count) {
    return cdb(0x11, code, count >>> 16, count >>> 8, count, 0);
  }

  static ByteString weof(int n) {
    return cdb(0x10, 0, n >>> 16, n >>> 8, n, 0);
  }

  static ByteString locate10(int obj) {
    return cdb(0x2b, 0, 0, obj >>> 24, obj >>> 16, obj >>> 8, obj, 0, 0, 0);
  }

  static ByteString locate16(long obj) {
    return cdb(0x92, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (int) obj, 0, 0, 0, 0);
  }

  static ByteString readPosition(int sa) {
    return cdb(0x34, sa, 0, 0, 0, 0, 0, 0, 0, 0);
  }

  static final ByteString REWIND = cdb(0x01, 0, 0, 0, 0, 0);
  static final ByteString ERASE = cdb(0x19, 1, 0, 0, 0, 0);

  private static Arguments row(String what, int at, ByteString cdb, int dxfer, String expected) {
    return Arguments.of(what, at, cdb, dxfer, expected);
  }

  static Stream<Arguments> table() {
    return Stream.of(
        // --- READ(6), variable
        row("read exact block", 0, read6(false, false, 100), 100, "GOOD 100B pos 1"),
        row("read shorter block: ILI, positive residual", 0, read6(false, false, 150), 150, "CC 0/00/00 ILI info 50 100B pos 1"),
        row("read longer block: ILI, negative residual", 0, read6(false, false, 50), 50, "CC 0/00/00 ILI info -50 50B pos 1"),
        row("read shorter block with SILI", 0, read6(false, true, 150), 150, "GOOD 100B pos 1"),
        row("read filemark", 2, read6(false, false, 100), 100, "CC 0/00/01 FILEMARK info 100 0B pos 3"),
        row("read at EOD", 5, read6(false, false, 100), 100, "CC 8/00/05 info 100 0B pos 5"),
        row("read length 0", 0, read6(false, false, 0), 0, "GOOD 0B pos 0"),
        row("fixed read in variable mode", 0, read6(true, false, 1), 512, "CC 5/24/00 0B pos 0"),
        row("fixed read with SILI", 0, read6(true, true, 1), 512, "CC 5/24/00 0B pos 0"),
        // --- SPACE blocks
        row("space 1 block", 0, space(0, 1), 0, "GOOD 0B pos 1"),
        row("space 3 blocks into a filemark", 0, space(0, 3), 0, "CC 0/00/01 FILEMARK info 1 0B pos 3"),
        row("space -1 block at BOP", 0, space(0, -1), 0, "CC 0/00/04 EOM info 1 0B pos 0"),
        row("space -2 blocks back into a filemark", 4, space(0, -2), 0, "CC 0/00/01 FILEMARK info 1 0B pos 3"),
        row("space 1 block at EOD", 5, space(0, 1), 0, "CC 8/00/05 info 1 0B pos 5"),
        // --- SPACE filemarks, EOD
        row("space 1 filemark", 0, space(1, 1), 0, "GOOD 0B pos 3"),
        row("space 2 filemarks", 0, space(1, 2), 0, "GOOD 0B pos 5"),
        row("space 3 filemarks: EOD", 0, space(1, 3), 0, "CC 8/00/05 info 1 0B pos 5"),
        row("space -1 filemark from EOD", 5, space(1, -1), 0, "GOOD 0B pos 4"),
        row("space -2 filemarks from EOD", 5, space(1, -2), 0, "GOOD 0B pos 2"),
        row("space -3 filemarks: BOP", 5, space(1, -3), 0, "CC 0/00/04 EOM info 1 0B pos 0"),
        row("space to EOD", 1, space(3, 0), 0, "GOOD 0B pos 5"),
        row("space setmarks", 0, space(4, 1), 0, "CC 5/24/00 0B pos 0"),
        // --- REWIND, LOCATE
        row("rewind", 4, REWIND, 0, "GOOD 0B pos 0"),
        row("locate(10) 3", 0, locate10(3), 0, "GOOD 0B pos 3"),
        row("locate(10) beyond EOD", 0, locate10(9), 0, "CC 8/00/05 info 0 0B pos 5"),
        row("locate(16) 2", 4, locate16(2), 0, "GOOD 0B pos 2"),
        // --- WRITE, WRITE FILEMARKS, ERASE
        row("write discards what follows", 3, write6(false, 10), 0, "GOOD 0B pos 4 eod 4"),
        row("weof 2 at EOD", 5, weof(2), 0, "GOOD 0B pos 7 eod 7"),
        row("weof 0 flushes", 1, weof(0), 0, "GOOD 0B pos 1 eod 5"),
        row("erase at 2", 2, ERASE, 0, "GOOD 0B pos 2 eod 2"),
        row("fixed write in variable mode", 0, write6(true, 1), 0, "CC 5/24/00 0B pos 0 eod 5"),
        row("variable write beyond block limits", 0, write6(false, EmuTape.MAX_BLOCK + 1), 0, "CC 5/24/00 0B pos 0 eod 5"),
        // --- READ POSITION, READ BLOCK LIMITS
        row("read position short at BOP", 0, readPosition(0), 20, "GOOD 20B pos 0 data 80000000000000000000000000000000"),
        row("read position short at 3", 3, readPosition(0), 20, "GOOD 20B pos 3 data 00000000000000030000000300000000"),
        row("read position long at 3", 3, readPosition(6), 32, "GOOD 32B pos 3 data 00000000000000000000000000000003"),
        row("read position extended: not supported", 3, readPosition(8), 32, "CC 5/24/00 0B pos 3"),
        row("read block limits", 3, cdb(0x05, 0, 0, 0, 0, 0), 6, "GOOD 6B pos 3 data 000400000001"));
  }

  static EmuTape loaded(int at) {
    EmuTape t = new EmuTape(LunSpec.tape(0));
    Cartridge c = Cartridge.inMemory("TST000L6");
    c.writeBlock(0, fill(100, 'A'));
    c.writeBlock(1, fill(200, 'B'));
    c.writeFilemarks(2, 1);
    c.writeBlock(3, fill(100, 'C'));
    c.writeFilemarks(4, 1);
    t.insert(c);
    t.clearUnitAttentions();
    t.restorePosition(at);
    return t;
  }

  static byte[] fill(int n, char c) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) c);
    return b;
  }

  /** Status, sense key/ASC/ASCQ, stream bits, information, bytes moved, position, EOD, and the first 16 data bytes (hex) for short replies. */
  static String summary(EmuTape t, ScsiResponse r, boolean wrote) {
    StringBuilder s = new StringBuilder();
    if (r.scsiStatus() == ScsiStatus.GOOD) {
      s.append("GOOD");
    } else {
      s.append(String.format("CC %x/%02x/%02x", Sense.key(r.sense()), Sense.asc(r.sense()), Sense.ascq(r.sense())));
      int f = Sense.streamFlags(r.sense());
      if ((f & Sense.FILEMARK) != 0) {
        s.append(" FILEMARK");
      }
      if ((f & Sense.EOM) != 0) {
        s.append(" EOM");
      }
      if ((f & Sense.ILI) != 0) {
        s.append(" ILI");
      }
      long info = Sense.information(r.sense(), Long.MIN_VALUE);
      if (info != Long.MIN_VALUE) {
        s.append(" info ").append(info);
      }
    }
    s.append(' ').append(r.data().size()).append("B pos ").append(t.position());
    if (wrote) {
      s.append(" eod ").append(t.cartridge().size());
    }
    if (r.data().size() > 0 && r.data().size() <= 32 && r.scsiStatus() == ScsiStatus.GOOD) {
      s.append(" data ").append(Bytes.hex(r.data().take(16)).replace(" ", ""));
    }
    return s.toString();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void commandSet(String what, int at, ByteString cdb, int dxfer, String expected) {
    EmuTape t = loaded(at);
    int op = cdb.apply(0) & 0xff;
    boolean wrote = op == 0x0a || op == 0x10 || op == 0x19;
    ScsiResponse r;
    if (op == 0x0a) {
      int len = Bytes.be24(cdb, 2);
      ByteString data = len > EmuTape.MAX_BLOCK || (cdb.apply(1) & 1) != 0 ? bytes(512, 1) : bytes(len, 'W');
      r = out(t, cdb, data);
    } else {
      r = run(t, cdb, dxfer);
    }
    assertEquals(expected, summary(t, r, wrote), what);
  }

  // ---------------------------------------------------------------- beyond the table

  static ByteString modeSelectBlockSize(int bs) {
    byte[] p = new byte[12];
    p[3] = 8; // block descriptor length
    Bytes.put24(p, 4 + 5, bs);
    return ByteString.fromArrayUnsafe(p);
  }

  @Test
  void fixedBlockModeThroughModeSelect() {
    EmuTape t = loaded(5);
    assertGood(out(t, cdb(0x15, 0x10, 0, 0, 12, 0), modeSelectBlockSize(512)));
    assertEquals(512, t.blockSize());
    // MODE SENSE reports it in the block descriptor, with the density code
    ScsiResponse ms = run(t, cdb(0x1a, 0, 0x10, 0, 255, 0), 255);
    assertGood(ms);
    assertEquals(8, ms.data().apply(3));
    assertEquals(EmuTape.DENSITY, ms.data().apply(4) & 0xff);
    assertEquals(512, Bytes.be24(ms.data(), 4 + 5));
    assertEquals(0x10 | 0x80, ms.data().apply(12) & 0xff); // device configuration page, PS
    // write 3 fixed blocks, a filemark, then read back 4 blocks: 3 come, the filemark stops it
    assertGood(out(t, write6(true, 3), bytes(3 * 512, 'F')));
    assertGood(run(t, weof(1), 0));
    assertGood(run(t, locate10(5), 0));
    ScsiResponse r = run(t, read6(true, false, 4), 4 * 512);
    assertEquals("CC 0/00/01 FILEMARK info 1 1536B pos 9", summary(t, r, false));
    assertEquals(512, r.resid());
    // a fixed read over a block of another length: ILI, residual in blocks
    assertGood(run(t, REWIND, 0));
    assertEquals("CC 0/00/00 ILI info 2 100B pos 1", summary(t, run(t, read6(true, false, 2), 1024), false));
    // back to variable mode
    assertGood(out(t, cdb(0x15, 0x10, 0, 0, 12, 0), modeSelectBlockSize(0)));
    assertEquals(0, t.blockSize());
    // a refused page list leaves the block size alone
    byte[] bad = new byte[16];
    bad[3] = 8;
    Bytes.put24(bad, 9, 1024);
    bad[12] = 0x33; // no such page
    bad[13] = 2;
    assertSense(out(t, cdb(0x15, 0x10, 0, 0, 16, 0), ByteString.fromArrayUnsafe(bad)), Sense.ILLEGAL_REQUEST, 0x26, 0x00);
    assertEquals(0, t.blockSize());
  }

  @Test
  void earlyWarningThenEndOfMedium() {
    EmuTape t = new EmuTape(LunSpec.tape(0));
    t.insert(Cartridge.inMemory("SMALL0L6", 1000, 300));
    t.clearUnitAttentions();
    assertGood(out(t, write6(false, 600), bytes(600, 1)));
    ScsiResponse ew = out(t, write6(false, 200), bytes(200, 2));
    assertEquals("CC 0/00/02 EOM info 0 0B pos 2 eod 2", summary(t, ew, true)); // written, but warned
    ScsiResponse eom = out(t, write6(false, 300), bytes(300, 3));
    assertEquals("CC d/00/02 EOM info 300 0B pos 2 eod 2", summary(t, eom, true)); // not written
    ScsiResponse rp = run(t, readPosition(0), 20);
    assertEquals(0x40, rp.data().apply(0) & 0xff); // EOP (early warning zone)
  }

  @Test
  void noCartridgeUnloadAndLoad() {
    EmuTape t = new EmuTape(LunSpec.tape(0));
    assertSense(run(t, tur(), 0), Sense.NOT_READY, 0x3a, 0x00);
    assertSense(run(t, read6(false, false, 10), 10), Sense.NOT_READY, 0x3a, 0x00);
    t.insert(Cartridge.inMemory("LOAD00L6"));
    assertSense(run(t, tur(), 0), Sense.UNIT_ATTENTION, 0x28, 0x00);
    assertGood(run(t, tur(), 0));
    assertGood(out(t, write6(false, 4), bytes(4, 9)));
    assertGood(run(t, cdb(0x1b, 0, 0, 0, 0, 0), 0)); // UNLOAD: rewound, not ready
    assertEquals(0, t.position());
    assertSense(run(t, tur(), 0), Sense.NOT_READY, 0x04, 0x02);
    assertGood(run(t, cdb(0x1b, 0, 0, 0, 1, 0), 0)); // LOAD
    assertGood(run(t, tur(), 0));
    assertGood(run(t, cdb(0x1e, 0, 0, 0, 1, 0), 0)); // PREVENT
    assertEquals(null, t.remove());
    assertSense(run(t, cdb(0x1b, 0, 0, 0, 0, 0), 0), Sense.ILLEGAL_REQUEST, 0x53, 0x02);
    assertGood(run(t, cdb(0x1e, 0, 0, 0, 0, 0), 0));
    assertEquals("LOAD00L6", t.remove().barcode());
    assertFalse(t.isMediumPresent());
  }

  @Test
  void descriptorSenseCarriesTheStreamBits() {
    EmuTape t = loaded(2);
    byte[] control = {0, 0, 0, 0, 0x0a, 0x0a, 0x06, 0x10, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 0, 0};
    assertGood(out(t, cdb(0x15, 0x10, 0, 0, 16, 0), ByteString.fromArrayUnsafe(control)));
    t.clearUnitAttentions();
    ScsiResponse r = run(t, read6(false, false, 100), 100);
    assertTrue(Sense.isDescriptor(r.sense()));
    assertEquals(Sense.FILEMARK, Sense.streamFlags(r.sense()));
    assertEquals(100, Sense.information(r.sense(), -1));
  }

  @Test
  void inquiryIsASequentialAccessRemovableDevice() {
    EmuTape t = loaded(0);
    ScsiResponse r = run(t, inquiry(36), 36);
    assertGood(r);
    assertEquals(0x01, r.data().apply(0));
    assertEquals(0x80, r.data().apply(1) & 0xff);
  }

  @Test
  void cartridgeFileSurvivesReopen(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    java.nio.file.Path f = dir.resolve("X.tape");
    Cartridge c = Cartridge.open("X", 1 << 20, 1 << 10, f);
    c.writeBlock(0, fill(10, 'a'));
    c.writeFilemarks(1, 1);
    c.writeBlock(2, fill(20, 'b'));
    c.writeBlock(3, fill(30, 'c'));
    c.truncate(3);
    Cartridge again = Cartridge.open("X", 1 << 20, 1 << 10, f);
    assertEquals(3, again.size());
    assertTrue(again.isFilemark(1));
    assertEquals(20, again.block(2).length);
    assertEquals(30, again.used());
  }
}
