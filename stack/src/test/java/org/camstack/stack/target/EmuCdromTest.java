package org.camstack.stack.target;

import static org.camstack.stack.target.T.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.ScsiResponse;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MMC command set of the emulated CD/DVD drive, as tables of (state, CDB) &rarr; outcome. */
class EmuCdromTest {
  private static final int SECTORS = 300;

  @TempDir Path dir;
  private Path iso;
  private EmuCdrom cd;

  @BeforeEach
  void setUp() throws IOException {
    iso = dir.resolve("disc.iso");
    byte[] b = new byte[SECTORS * 2048];
    for (int s = 0; s < SECTORS; s++) {
      for (int i = 0; i < 2048; i += 8) {
        b[s * 2048 + i] = (byte) s; // every sector says which one it is
        b[s * 2048 + i + 1] = (byte) (s >>> 8);
      }
    }
    Files.write(iso, b);
    cd = new EmuCdrom(spec("file = \"" + iso.toString().replace("\\", "/") + "\""));
  }

  private static LunSpec spec(String extra) {
    return LunSpec.parse("lun = 0, type = cd, " + extra);
  }

  private static ByteString readToc(boolean msf, int format, int track, int alloc) {
    return cdb(0x43, msf ? 0x02 : 0, format, 0, 0, 0, track, alloc >>> 8, alloc, 0);
  }

  private static ByteString getConfiguration(int rt, int start, int alloc) {
    return cdb(0x46, rt, start >>> 8, start, 0, 0, 0, alloc >>> 8, alloc, 0);
  }

  private static ByteString gesn(boolean polled, int classes, int alloc) {
    return cdb(0x4a, polled ? 1 : 0, 0, 0, classes, 0, 0, alloc >>> 8, alloc, 0);
  }

  private static ByteString discInfo(int type, int alloc) {
    return cdb(0x51, type, 0, 0, 0, 0, 0, alloc >>> 8, alloc, 0);
  }

  private static ByteString startStop(boolean loej, boolean start) {
    return cdb(0x1b, 0, 0, 0, (loej ? 2 : 0) | (start ? 1 : 0), 0);
  }

  private static ByteString prevent(int p) {
    return cdb(0x1e, 0, 0, 0, p, 0);
  }

  /** Clears the power-on unit attention. */
  private void drainUa() {
    run(cd, tur(), 0);
  }

  /** One row: what a command answers in a state. */
  record Row(String what, Function<EmuCdrom, ByteString> setup, ByteString cdb, int alloc, int key, int asc, int ascq) {}

  private static Function<EmuCdrom, ByteString> as(java.util.function.Consumer<EmuCdrom> c) {
    return d -> {
      c.accept(d);
      return null;
    };
  }

  @Test
  void senseTable() {
    Function<EmuCdrom, ByteString> loaded = as(d -> {});
    Function<EmuCdrom, ByteString> ejected = as(EmuCdrom::eject);
    Function<EmuCdrom, ByteString> closedEmpty = as(d -> {
      d.eject();
      run(d, startStop(true, true), 0);
    });
    List<Row> rows = List.of(
        new Row("tur loaded", loaded, tur(), 0, 0, 0, 0),
        new Row("tur tray open", ejected, tur(), 0, 2, 0x3a, 0x02),
        new Row("tur tray closed, no disc", closedEmpty, tur(), 0, 2, 0x3a, 0x01),
        new Row("read capacity without disc", ejected, readCapacity10(), 8, 2, 0x3a, 0x02),
        new Row("read(10) without disc", ejected, read10(0, 1), 2048, 2, 0x3a, 0x02),
        new Row("read toc without disc", closedEmpty, readToc(false, 0, 0, 100), 100, 2, 0x3a, 0x01),
        new Row("disc info without disc", ejected, discInfo(0, 34), 34, 2, 0x3a, 0x02),
        new Row("get configuration without disc", ejected, getConfiguration(0, 0, 200), 200, 0, 0, 0),
        new Row("gesn without disc", ejected, gesn(true, 0x10, 8), 8, 0, 0, 0),
        new Row("read(10) past the end", loaded, read10(SECTORS - 1, 2), 4096, 5, 0x21, 0x00),
        new Row("read(12) past the end", loaded, rw12(0xa8, SECTORS, 1), 2048, 5, 0x21, 0x00),
        new Row("read toc format 2 (full toc)", loaded, readToc(false, 2, 0, 100), 100, 5, 0x24, 0x00),
        new Row("read toc track 2 of 1", loaded, readToc(false, 0, 2, 100), 100, 5, 0x24, 0x00),
        new Row("gesn asynchronous", loaded, gesn(false, 0x10, 8), 8, 5, 0x24, 0x00),
        new Row("get configuration rt 3", loaded, getConfiguration(3, 0, 200), 200, 5, 0x24, 0x00),
        new Row("disc info type 1", loaded, discInfo(1, 34), 34, 5, 0x24, 0x00),
        new Row("persistent prevent", loaded, prevent(2), 0, 5, 0x24, 0x00),
        new Row("eject while prevented", as(d -> run(d, prevent(1), 0)), startStop(true, false), 0, 5, 0x53, 0x02),
        new Row("eject allowed again", as(d -> {
          run(d, prevent(1), 0);
          run(d, prevent(0), 0);
        }), startStop(true, false), 0, 0, 0, 0),
        new Row("start without disc", ejected, startStop(false, true), 0, 2, 0x3a, 0x02),
        new Row("write(10) is not a cd command", loaded, write10(0, 1), 2048, 5, 0x20, 0x00));
    for (Row row : rows) {
      EmuCdrom d = new EmuCdrom(cd.spec());
      run(d, tur(), 0); // power-on UA
      row.setup().apply(d);
      run(d, tur(), 0); // a medium change UA the setup may have posted
      ScsiResponse r = row.alloc() == 2048 && row.cdb().apply(0) == 0x2a
          ? out(d, row.cdb(), bytes(2048, 0))
          : run(d, row.cdb(), row.alloc());
      if (row.key() == 0) {
        assertEquals(0, r.scsiStatus(), row.what() + ": " + describe(r));
      } else {
        assertSense(r, row.key(), row.asc(), row.ascq());
      }
    }
  }

  @Test
  void inquiryIsARemovableCdrom() {
    ByteString d = run(cd, inquiry(96), 96).data();
    assertEquals(0x05, u8(d, 0));
    assertEquals(0x80, u8(d, 1) & 0x80, "RMB");
    assertEquals("EMU-CDROM       ", ascii(d, 16, 16));
  }

  @Test
  void readCapacityAndSectors() {
    drainUa();
    ScsiResponse rc = run(cd, readCapacity10(), 8);
    assertGood(rc);
    assertEquals(SECTORS - 1, be32(rc.data(), 0));
    assertEquals(2048, be32(rc.data(), 4));
    for (long lba : new long[] {0, 1, 7, SECTORS - 1}) {
      ScsiResponse r = run(cd, read10(lba, 1), 2048);
      assertGood(r);
      assertEquals(2048, r.data().size());
      assertEquals(lba & 0xff, u8(r.data(), 0), "sector " + lba);
      assertEquals(lba >>> 8, u8(r.data(), 1), "sector " + lba);
    }
    ScsiResponse r12 = run(cd, rw12(0xa8, 10, 3), 3 * 2048);
    assertGood(r12);
    assertEquals(12, u8(r12.data(), 2 * 2048));
  }

  /**
   * The READ checks the drive shares with the disk ({@code EmuDevice.mediaRangeCheck}): range,
   * zero length, maximum transfer (field pointer on the CDB's length field: byte 7 of READ(10),
   * byte 6 of READ(12)), on a built-in blank disc larger than one transfer.
   */
  @Test
  void readChecksTheRangeTheLengthAndTheMaximumTransferLikeTheDisk() {
    EmuCdrom big = new EmuCdrom(spec("blocks = 4096"));
    run(big, tur(), 0); // power-on UA
    int max = EmuCdrom.MAX_TRANSFER_SECTORS;
    ScsiResponse zero = run(big, read10(5, 0), 0);
    assertGood(zero);
    assertEquals(0, zero.data().size());
    assertGood(run(big, read10(4096 - max, max), max * 2048));
    ScsiResponse r10 = run(big, read10(0, max + 1), (max + 1) * 2048);
    assertSense(r10, 5, 0x24, 0x00);
    assertEquals(List.of(0xc0, 0, 7), List.of(u8(r10.sense(), 15), u8(r10.sense(), 16), u8(r10.sense(), 17)), "READ(10) length field");
    ScsiResponse r12 = run(big, rw12(0xa8, 0, max + 1), (max + 1) * 2048);
    assertSense(r12, 5, 0x24, 0x00);
    assertEquals(6, u8(r12.sense(), 17), "READ(12) length field");
    assertSense(run(big, rw12(0xa8, 4096 - max, max + 1), 2048), 5, 0x21, 0x00); // the range first
    assertSense(run(big, rw12(0xa8, 0xffffffffL, 1), 2048), 5, 0x21, 0x00);
  }

  @Test
  void tocInLbaAndMsf() {
    drainUa();
    ByteString toc = run(cd, readToc(false, 0, 0, 100), 100).data();
    assertEquals(18, be16(toc, 0), "toc data length");
    assertEquals(1, u8(toc, 2));
    assertEquals(1, u8(toc, 3));
    assertEquals(0x14, u8(toc, 5), "data track");
    assertEquals(1, u8(toc, 6));
    assertEquals(0, be32(toc, 8));
    assertEquals(0xaa, u8(toc, 14), "lead-out");
    assertEquals(SECTORS, be32(toc, 16));
    ByteString msf = run(cd, readToc(true, 0, 0, 100), 100).data();
    assertEquals(List.of(0, 0, 2, 0), List.of(u8(msf, 8), u8(msf, 9), u8(msf, 10), u8(msf, 11)), "track 1 at 00:02:00");
    long f = SECTORS + 150;
    assertEquals(List.of((int) (f / 4500), (int) (f / 75 % 60), (int) (f % 75)), List.of(u8(msf, 17), u8(msf, 18), u8(msf, 19)));
    ByteString leadOutOnly = run(cd, readToc(false, 0, 0xaa, 100), 100).data();
    assertEquals(10, be16(leadOutOnly, 0));
    ByteString session = run(cd, readToc(false, 1, 0, 100), 100).data();
    assertEquals(10, be16(session, 0));
    assertEquals(1, u8(session, 6), "first track in last session");
    byte[] b = new byte[4];
    EmuCdrom.putMsf(b, 0, 0);
    assertArrayEquals(new byte[] {0, 0, 2, 0}, b);
    assertEquals(4, run(cd, readToc(false, 0, 0, 4), 4).data().size(), "allocation length truncates");
  }

  @Test
  void configurationFollowsTheDisc() {
    ByteString c = run(cd, getConfiguration(0, 0, 500), 500).data();
    assertEquals(EmuCdrom.PROFILE_CDROM, be16(c, 6));
    assertEquals(c.size() - 4, be32(c, 0));
    assertEquals(0x0000, be16(c, 8), "profile list first");
    ByteString one = run(cd, getConfiguration(2, 0x0003, 500), 500).data();
    assertEquals(8 + 8, one.size());
    assertEquals(0x0003, be16(one, 8));
    cd.eject();
    ByteString none = run(cd, getConfiguration(1, 0, 500), 500).data();
    assertEquals(EmuCdrom.PROFILE_NONE, be16(none, 6));
    for (int p = 8; p < none.size(); p += 4 + u8(none, p + 3)) {
      assertTrue(be16(none, p) != 0x0010, "random readable is not current without a disc");
    }
  }

  @Test
  void mediaEventsAndUnitAttention() {
    ByteString ev = run(cd, gesn(true, 0x10, 8), 8).data();
    assertEquals(6, be16(ev, 0));
    assertEquals(4, u8(ev, 2) & 0x07, "media class");
    assertEquals(0x02, u8(ev, 5), "present, tray closed");
    assertTrue(cd.eject());
    ev = run(cd, gesn(true, 0x10, 8), 8).data();
    assertEquals(EmuCdrom.EVENT_MEDIA_REMOVAL, u8(ev, 4));
    assertEquals(0x01, u8(ev, 5), "tray open, no disc");
    assertEquals(EmuCdrom.EVENT_NO_CHANGE, u8(run(cd, gesn(true, 0x10, 8), 8).data(), 4), "reported once");
    ByteString nea = run(cd, gesn(true, 0x02, 8), 8).data();
    assertEquals(0x80, u8(nea, 2) & 0x80, "no event of the requested class");
    drainUa();
    cd.load(iso);
    assertSense(run(cd, tur(), 0), 6, 0x28, 0x00);
    assertGood(run(cd, tur(), 0));
    assertEquals(EmuCdrom.EVENT_NEW_MEDIA, u8(run(cd, gesn(true, 0x10, 8), 8).data(), 4));
  }

  @Test
  void preventedDiscStaysIn() {
    drainUa();
    assertGood(run(cd, prevent(1), 0));
    assertFalse(cd.eject(), "the eject button does nothing while prevented");
    assertEquals(EmuCdrom.EVENT_EJECT_REQUEST, u8(run(cd, gesn(true, 0x10, 8), 8).data(), 4));
    assertThrows(IllegalArgumentException.class, () -> cd.load(iso));
    assertTrue(cd.isMediumPresent());
    assertGood(run(cd, prevent(0), 0));
    assertGood(run(cd, startStop(true, false), 0));
    assertTrue(cd.isTrayOpen());
    assertSense(run(cd, tur(), 0), 2, 0x3a, 0x02);
  }

  @Test
  void discInformationAndCapabilitiesPage() {
    drainUa();
    ByteString di = run(cd, discInfo(0, 34), 34).data();
    assertEquals(32, be16(di, 0));
    assertEquals(0x0e, u8(di, 2), "complete, finalized");
    ByteString ms = run(cd, modeSense10(0, 0x2a, 255), 255).data();
    int p = 8 + be16(ms, 6);
    assertEquals(0x2a, u8(ms, p) & 0x3f);
    assertEquals(20, u8(ms, p + 1));
    assertEquals(0x08, u8(ms, p + 6) & 0x08, "eject supported");
  }

  @Test
  void emptyDriveAndBadImages() throws IOException {
    EmuCdrom empty = new EmuCdrom(spec(""));
    assertFalse(empty.isMediumPresent());
    run(empty, tur(), 0);
    assertSense(run(empty, tur(), 0), 2, 0x3a, 0x01);
    Path tiny = Files.write(dir.resolve("tiny.iso"), new byte[100]);
    assertThrows(IllegalArgumentException.class, () -> empty.load(tiny));
    assertThrows(IllegalArgumentException.class, () -> empty.load(dir.resolve("missing.iso")));
    assertThrows(IllegalArgumentException.class, () -> new EmuCdrom(spec("block-size = 512")));
    empty.load(iso);
    assertEquals(SECTORS, empty.sectors());
  }

  @Test
  void aBuiltInBlankDiscUntilTheFirstEject() {
    EmuCdrom blank = new EmuCdrom(spec("blocks = 16"));
    run(blank, tur(), 0);
    assertGood(run(blank, tur(), 0));
    assertEquals(15, be32(run(blank, readCapacity10(), 8).data(), 0));
    assertEquals(bytes(2048, 0), run(blank, read10(3, 1), 2048).data());
    assertEquals(EmuCdrom.PROFILE_CDROM, blank.currentProfile());
    assertEquals(null, blank.image());
    assertTrue(blank.eject());
    assertSense(run(blank, tur(), 0), 2, 0x3a, 0x02);
    assertGood(run(blank, startStop(true, true), 0));
    assertSense(run(blank, tur(), 0), 2, 0x3a, 0x01);
  }
}
