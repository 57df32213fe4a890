package org.camstack.stack.target;

import static org.camstack.stack.target.T.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.util.ByteString;
import org.camstack.persistence.journal.JournalConfig;
import org.camstack.stack.durable.DurableJournal;
import org.camstack.stack.durable.DurableLibraries;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The SMC command set of {@link EmuChanger} in a library of 4 storage elements (CAM000L6..CAM003L6
 * at 0x1000..0x1003), one mailslot (0x10) and two drives (0x100, 0x101), and the library's
 * durability.
 */
class EmuChangerTest {

  static final class Lib {
    final TapeLibrary library;
    final EmuChanger changer;
    final EmuTape d0;
    final EmuTape d1;

    Lib(Path dir) {
      this(dir, LibraryStateSink.NONE);
    }

    Lib(Path dir, LibraryStateSink sink) {
      library = new TapeLibrary(dir);
      library.setStateSink(sink);
      changer = (EmuChanger) EmuDevices.create(LunSpec.changer(0, 4), null, library);
      d0 = (EmuTape) EmuDevices.create(LunSpec.tape(1), null, library);
      d1 = (EmuTape) EmuDevices.create(LunSpec.tape(2), null, library);
      library.powerOn();
      changer.clearUnitAttentions();
      d0.clearUnitAttentions();
      d1.clearUnitAttentions();
    }
  }

  static ByteString move(int from, int to) {
    return cdb(0xa5, 0, 0, 0, from >>> 8, from, to >>> 8, to, 0, 0, 0, 0);
  }

  static ByteString exchange(int src, int first, int second) {
    return cdb(0xa6, 0, 0, 0, src >>> 8, src, first >>> 8, first, second >>> 8, second, 0, 0);
  }

  static ByteString res(int type, boolean voltag, int start, int count) {
    return cdb(0xb8, (voltag ? 0x10 : 0) | type, start >>> 8, start, count >>> 8, count, 0, 0, 0x10, 0, 0, 0);
  }

  private static Arguments row(String what, ByteString cdb, String expected) {
    return Arguments.of(what, cdb, expected);
  }

  /** One command on a fresh library; the outcome and the inventory after it. */
  static Stream<Arguments> table() {
    return Stream.of(
        row("move slot to drive", move(0x1000, 0x100), "GOOD | 1001:CAM001L6 1002:CAM002L6 1003:CAM003L6 100:CAM000L6"),
        row("move slot to mailslot", move(0x1003, 0x10), "GOOD | 1000:CAM000L6 1001:CAM001L6 1002:CAM002L6 10:CAM003L6"),
        row("move slot to slot: full", move(0x1000, 0x1001), "CC 5/3b/0d | 1000:CAM000L6 1001:CAM001L6 1002:CAM002L6 1003:CAM003L6"),
        row("move from empty drive", move(0x100, 0x1000), "CC 5/3b/0e | 1000:CAM000L6 1001:CAM001L6 1002:CAM002L6 1003:CAM003L6"),
        row("move to no such element", move(0x1000, 0x1009), "CC 5/21/01 | 1000:CAM000L6 1001:CAM001L6 1002:CAM002L6 1003:CAM003L6"),
        row("move with another transport", cdb(0xa5, 0, 0, 1, 0x10, 0, 1, 0, 0, 0, 0, 0), "CC 5/21/01 | 1000:CAM000L6 1001:CAM001L6 1002:CAM002L6 1003:CAM003L6"),
        row("move inverted", cdb(0xa5, 0, 0, 0, 0x10, 0, 1, 0, 0, 0, 1, 0), "CC 5/24/00 | 1000:CAM000L6 1001:CAM001L6 1002:CAM002L6 1003:CAM003L6"),
        row("exchange two slots", exchange(0x1000, 0x1001, 0x1000), "GOOD | 1000:CAM001L6 1001:CAM000L6 1002:CAM002L6 1003:CAM003L6"),
        row("exchange with an empty first destination", exchange(0x1000, 0x100, 0x1000), "CC 5/3b/0e | 1000:CAM000L6 1001:CAM001L6 1002:CAM002L6 1003:CAM003L6"),
        row("position to element", cdb(0x2b, 0, 0, 0, 0x10, 0x02, 0, 0, 0, 0), "GOOD | 1000:CAM000L6 1001:CAM001L6 1002:CAM002L6 1003:CAM003L6"),
        row("position to no such element", cdb(0x2b, 0, 0, 0, 0x20, 0x00, 0, 0, 0, 0), "CC 5/21/01 | 1000:CAM000L6 1001:CAM001L6 1002:CAM002L6 1003:CAM003L6"),
        row("initialize element status", cdb(0x07, 0, 0, 0, 0, 0), "GOOD | 1000:CAM000L6 1001:CAM001L6 1002:CAM002L6 1003:CAM003L6"),
        row("initialize element status with range", cdb(0x37, 1, 0x10, 0, 0, 0, 0, 2, 0, 0), "GOOD | 1000:CAM000L6 1001:CAM001L6 1002:CAM002L6 1003:CAM003L6"),
        row("initialize element status with a bad range", cdb(0x37, 1, 0x30, 0, 0, 0, 0, 2, 0, 0), "CC 5/21/01 | 1000:CAM000L6 1001:CAM001L6 1002:CAM002L6 1003:CAM003L6"),
        row("read element status: bad type", res(5, false, 0, 10), "CC 5/24/00 | 1000:CAM000L6 1001:CAM001L6 1002:CAM002L6 1003:CAM003L6"),
        row("read element status beyond every element", res(0, false, 0x2000, 10), "CC 5/21/01 | 1000:CAM000L6 1001:CAM001L6 1002:CAM002L6 1003:CAM003L6"));
  }

  static String inventory(TapeLibrary l) {
    List<String> out = new ArrayList<>();
    l.inventory().forEach((a, b) -> {
      if (b != null) {
        out.add(Integer.toHexString(a) + ":" + b);
      }
    });
    return String.join(" ", out);
  }

  static String outcome(ScsiResponse r) {
    return r.scsiStatus() == ScsiStatus.GOOD
        ? "GOOD"
        : String.format("CC %x/%02x/%02x", Sense.key(r.sense()), Sense.asc(r.sense()), Sense.ascq(r.sense()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void commandSet(String what, ByteString cdb, String expected) {
    Lib lib = new Lib(null);
    ScsiResponse r = run(lib.changer, cdb, 4096);
    assertEquals(expected, outcome(r) + " | " + inventory(lib.library), what);
  }

  /** Decoded READ ELEMENT STATUS: "addr:flags:barcode:source" per element. */
  static List<String> decode(ByteString d) {
    List<String> out = new ArrayList<>();
    int p = 8;
    int end = 8 + Bytes.be24(d, 5);
    while (p < end) {
      boolean pvoltag = (d.apply(p + 1) & 0x80) != 0;
      int descLen = Bytes.be16(d, p + 2);
      int bytes = Bytes.be24(d, p + 5);
      for (int q = p + 8; q < p + 8 + bytes; q += descLen) {
        String tag = pvoltag ? d.slice(q + 12, q + 44).utf8String().trim() : "-";
        int src = (d.apply(q + 9) & 0x80) != 0 ? Bytes.be16(d, q + 10) : -1;
        out.add(Integer.toHexString(Bytes.be16(d, q)) + ":" + Integer.toHexString(d.apply(q + 2) & 0xff) + ":" + tag + ":"
            + (src < 0 ? "-" : Integer.toHexString(src)));
      }
      p += 8 + bytes;
    }
    return out;
  }

  @Test
  void readElementStatusWithVolumeTags() {
    Lib lib = new Lib(null);
    assertGood(run(lib.changer, move(0x1002, 0x101), 0));
    ScsiResponse r = run(lib.changer, res(0, true, 0, 100), 4096);
    assertGood(r);
    assertEquals(8, Bytes.be16(r.data(), 2)); // MT, 4 ST, IE, 2 DT
    assertEquals(
        List.of(
            "0:0:" + ":-", // transport: empty, empty tag
            "1000:9:CAM000L6:1000", "1001:9:CAM001L6:1001", "1002:8::-", "1003:9:CAM003L6:1003",
            "10:38::-",
            "100:8::-", "101:9:CAM002L6:1002"),
        decode(r.data()));
    ScsiResponse dt = run(lib.changer, res(TapeLibrary.TYPE_DT, false, 0, 100), 4096);
    assertEquals(List.of("100:8:-:-", "101:9:-:1002"), decode(dt.data()));
  }

  @Test
  void aCartridgeMovedToTheOtherDriveReadsBackTheSame() {
    Lib lib = new Lib(null);
    assertGood(run(lib.changer, move(0x1000, 0x100), 0));
    assertSense(run(lib.d0, tur(), 0), Sense.UNIT_ATTENTION, 0x28, 0x00);
    assertGood(out(lib.d0, EmuTapeTest.write6(false, 5), bytes(5, 'x')));
    assertGood(run(lib.d0, EmuTapeTest.weof(1), 0));
    assertGood(run(lib.changer, move(0x100, 0x101), 0));
    assertNull(lib.d0.cartridge());
    lib.d1.clearUnitAttentions();
    ScsiResponse r = run(lib.d1, EmuTapeTest.read6(false, false, 5), 5);
    assertGood(r);
    assertArrayEquals(bytes(5, 'x').toArray(), r.data().toArray());
    assertEquals(Sense.FILEMARK, Sense.streamFlags(run(lib.d1, EmuTapeTest.read6(false, false, 5), 5).sense()));
  }

  @Test
  void aDrivePreventingRemovalKeepsItsCartridge() {
    Lib lib = new Lib(null);
    assertGood(run(lib.changer, move(0x1000, 0x100), 0));
    lib.d0.clearUnitAttentions();
    assertGood(run(lib.d0, cdb(0x1e, 0, 0, 0, 1, 0), 0));
    assertSense(run(lib.changer, move(0x100, 0x1000), 0), Sense.ILLEGAL_REQUEST, 0x53, 0x02);
    assertEquals("CAM000L6", lib.d0.cartridge().barcode());
  }

  @Test
  void importAndExportThroughTheMailslot() {
    Lib lib = new Lib(null);
    lib.library.importCartridge("NEW000L6");
    assertSense(run(lib.changer, tur(), 0), Sense.UNIT_ATTENTION, 0x28, 0x01);
    List<String> ie = decode(run(lib.changer, res(TapeLibrary.TYPE_IE, true, 0, 1), 4096).data());
    assertEquals(List.of("10:3b:NEW000L6:10"), ie); // FULL, IMPEXP, ACCESS, EXENAB, INENAB
    assertGood(run(lib.changer, move(0x10, 0x100), 0));
    assertGood(run(lib.changer, move(0x1001, 0x10), 0));
    assertEquals("CAM001L6", lib.library.exportCartridge());
    assertSense(run(lib.changer, tur(), 0), Sense.UNIT_ATTENTION, 0x28, 0x01);
    assertEquals(
        List.of("1001:8::-"), decode(run(lib.changer, res(TapeLibrary.TYPE_ST, true, 0x1001, 1), 4096).data()));
  }

  @Test
  void modeSenseElementAddressAssignment() {
    Lib lib = new Lib(null);
    ScsiResponse r = run(lib.changer, cdb(0x1a, 0x08, 0x1d, 0, 255, 0), 255);
    assertGood(r);
    ByteString p = r.data().drop(4);
    assertEquals(0x1d, p.apply(0) & 0x3f);
    assertEquals(0x1000, Bytes.be16(p, 6));
    assertEquals(4, Bytes.be16(p, 8));
    assertEquals(0x10, Bytes.be16(p, 10));
    assertEquals(1, Bytes.be16(p, 12));
    assertEquals(0x100, Bytes.be16(p, 14));
    assertEquals(2, Bytes.be16(p, 16));
  }

  @Test
  void theLibraryOutlivesItsProcess(@TempDir Path dir) {
    JournalConfig journal = DurableJournal.freshH2("EmuChangerTest");
    String host = DurableJournal.host("library");
    ActorSystem<Void> a = DurableJournal.system("library-a", journal, ConfigFactory.empty());
    Lib lib;
    try {
      DurableLibraries durable = DurableJournal.await(DurableLibraries.recover(a, host, List.of(2), Duration.ofSeconds(30)));
      lib = new Lib(dir, durable.sink(2));
      assertGood(run(lib.changer, move(0x1000, 0x100), 0));
      lib.d0.clearUnitAttentions();
      assertGood(out(lib.d0, EmuTapeTest.write6(false, 3), bytes(3, 'q')));
      assertGood(run(lib.d0, EmuTapeTest.weof(1), 0));
      assertGood(out(lib.d0, EmuTapeTest.write6(false, 2), bytes(2, 'r')));
      assertGood(run(lib.changer, exchange(0x1001, 0x1002, 0x1001), 0));
      assertGood(out(lib.d1, cdb(0x15, 0x10, 0, 0, 12, 0), EmuTapeTest.modeSelectBlockSize(512)));
      lib.library.importCartridge("NEW000L6");
      DurableJournal.await(durable.flush());
    } finally {
      DurableJournal.crash(a);
    }
    // power cycle: a new process, a new library over the same cartridge files and journal
    ActorSystem<Void> b = DurableJournal.system("library-b", journal, ConfigFactory.empty());
    try {
      DurableLibraries durable = DurableJournal.await(DurableLibraries.recover(b, host, List.of(2), Duration.ofSeconds(30)));
      Lib again = new Lib(dir, durable.sink(2));
      assertEquals(inventory(lib.library), inventory(again.library));
      assertEquals(3, again.d0.position()); // where the drive stood
      assertEquals(3, again.d0.cartridge().size());
      assertEquals(512, again.d1.blockSize()); // the drive's fixed block length
      assertEquals(0, again.d0.blockSize());
      assertGood(run(again.changer, move(0x100, 0x101), 0));
      again.d1.clearUnitAttentions();
      assertGood(out(again.d1, cdb(0x15, 0x10, 0, 0, 12, 0), EmuTapeTest.modeSelectBlockSize(0)));
      assertArrayEquals(bytes(3, 'q').toArray(), run(again.d1, EmuTapeTest.read6(false, false, 3), 3).data().toArray());
      // nothing of the library's state is in a file next to the cartridges
      try (Stream<Path> files = java.nio.file.Files.list(dir)) {
        assertEquals(List.of(), files.filter(f -> !f.getFileName().toString().endsWith(".tape")).toList());
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } finally {
      DurableJournal.crash(b);
    }
  }
}
