package org.camstack.stack.target;

import static org.camstack.stack.target.PrLun.status;
import static org.camstack.stack.target.Reservations.CLEAR;
import static org.camstack.stack.target.Reservations.EA_ALL_REGISTRANTS;
import static org.camstack.stack.target.Reservations.EA_REGISTRANTS_ONLY;
import static org.camstack.stack.target.Reservations.EXCLUSIVE_ACCESS;
import static org.camstack.stack.target.Reservations.PREEMPT;
import static org.camstack.stack.target.Reservations.PREEMPT_AND_ABORT;
import static org.camstack.stack.target.Reservations.REGISTER;
import static org.camstack.stack.target.Reservations.REGISTER_AND_IGNORE;
import static org.camstack.stack.target.Reservations.REGISTER_AND_MOVE;
import static org.camstack.stack.target.Reservations.RELEASE;
import static org.camstack.stack.target.Reservations.RESERVE;
import static org.camstack.stack.target.Reservations.WE_ALL_REGISTRANTS;
import static org.camstack.stack.target.Reservations.WE_REGISTRANTS_ONLY;
import static org.camstack.stack.target.Reservations.WRITE_EXCLUSIVE;
import static org.camstack.stack.target.T.be16;
import static org.camstack.stack.target.T.be32;
import static org.camstack.stack.target.T.be64;
import static org.camstack.stack.target.T.cdb;
import static org.camstack.stack.target.T.tur;
import static org.camstack.stack.target.T.u8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.ScsiResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PERSISTENT RESERVE OUT per service action as a table (situation, command &rarr; status, state
 * after, unit attentions), then PERSISTENT RESERVE IN's data, TransportIDs, the SPC-2 exceptions
 * and the durable (APTPL) form. Initiators 1, 2, 3 are SIM nexuses; keys a1, b2, c3 are theirs.
 */
class PersistentReservationTest {

  private static final Consumer<PrLun> NOTHING = l -> {};

  /** 1 and 2 registered, 3 not. */
  private static final Consumer<PrLun> TWO = l -> {
    l.register(1, 0xa1);
    l.register(2, 0xb2);
  };

  private static Consumer<PrLun> twoReserved(int type) {
    return l -> {
      TWO.accept(l);
      l.reserve(1, 0xa1, type);
    };
  }

  /**
   * One row: before, the command, its status, the state after ({@link PrLun#state}) and the unit
   * attentions then pending for initiators 1, 2, 3.
   */
  private static Arguments row(
      String what, Consumer<PrLun> before, Function<PrLun, ScsiResponse> cmd, String status, String state, String uas) {
    return Arguments.of(what, before, cmd, status, state, uas);
  }

  static Stream<Arguments> serviceActions() {
    return Stream.of(
        // REGISTER
        row("REGISTER new", NOTHING, l -> l.prout(1, REGISTER, 0, 0, 0xa1, 0), "GOOD", "g1 [1:a1] -/0", "||"),
        row("REGISTER new with a key", NOTHING, l -> l.prout(1, REGISTER, 0, 0x99, 0xa1, 0), "CONFLICT", "g0 [] -/0", "||"),
        row("REGISTER new with key 0 (nothing)", NOTHING, l -> l.prout(1, REGISTER, 0, 0, 0, 0), "GOOD", "g0 [] -/0", "||"),
        row("REGISTER again, wrong key", TWO, l -> l.prout(1, REGISTER, 0, 0, 0xa2, 0), "CONFLICT", "g2 [1:a1, 2:b2] -/0", "||"),
        row("REGISTER new key", TWO, l -> l.prout(1, REGISTER, 0, 0xa1, 0xa2, 0), "GOOD", "g3 [1:a2, 2:b2] -/0", "||"),
        row("REGISTER 0 unregisters", TWO, l -> l.prout(2, REGISTER, 0, 0xb2, 0, 0), "GOOD", "g3 [1:a1] -/0", "||"),
        row("unregister the WE holder", twoReserved(WRITE_EXCLUSIVE), l -> l.prout(1, REGISTER, 0, 0xa1, 0, 0), "GOOD",
            "g3 [2:b2] -/0", "||"),
        row("unregister the WE-RO holder", twoReserved(WE_REGISTRANTS_ONLY), l -> l.prout(1, REGISTER, 0, 0xa1, 0, 0), "GOOD",
            "g3 [2:b2] -/0", "|2a/04|"),
        row("unregister an all-registrants holder", twoReserved(WE_ALL_REGISTRANTS), l -> l.prout(1, REGISTER, 0, 0xa1, 0, 0),
            "GOOD", "g3 [2:b2] 2/7", "||"),
        row("REGISTER, list of 25 bytes", NOTHING, l -> l.prout(1, REGISTER, 0, new byte[25]), "5/1a/00", "g0 [] -/0", "||"),
        row("REGISTER, list of 0 bytes", NOTHING, l -> l.prout(1, REGISTER, 0, new byte[0]), "5/1a/00", "g0 [] -/0", "||"),
        row("REGISTER SPEC_I_PT when registered", TWO, l -> l.prout(1, REGISTER, 0, 0xa1, 0xa2, 0x08), "5/26/00",
            "g2 [1:a1, 2:b2] -/0", "||"),
        // REGISTER AND IGNORE EXISTING KEY
        row("REGISTER AND IGNORE, any key", TWO, l -> l.prout(1, REGISTER_AND_IGNORE, 0, 0x77, 0xa9, 0), "GOOD",
            "g3 [1:a9, 2:b2] -/0", "||"),
        row("REGISTER AND IGNORE with SPEC_I_PT", NOTHING, l -> l.prout(1, REGISTER_AND_IGNORE, 0, 0, 0xa1, 0x08), "5/26/00",
            "g0 [] -/0", "||"),
        // RESERVE
        row("RESERVE", TWO, l -> l.reserve(1, 0xa1, EXCLUSIVE_ACCESS), "GOOD", "g2 [1:a1, 2:b2] 1/3", "||"),
        row("RESERVE unregistered", TWO, l -> l.reserve(3, 0, EXCLUSIVE_ACCESS), "CONFLICT", "g2 [1:a1, 2:b2] -/0", "||"),
        row("RESERVE wrong key", TWO, l -> l.reserve(1, 0xb2, EXCLUSIVE_ACCESS), "CONFLICT", "g2 [1:a1, 2:b2] -/0", "||"),
        row("RESERVE again, same type", twoReserved(EXCLUSIVE_ACCESS), l -> l.reserve(1, 0xa1, EXCLUSIVE_ACCESS), "GOOD",
            "g2 [1:a1, 2:b2] 1/3", "||"),
        row("RESERVE again, other type", twoReserved(EXCLUSIVE_ACCESS), l -> l.reserve(1, 0xa1, WRITE_EXCLUSIVE), "CONFLICT",
            "g2 [1:a1, 2:b2] 1/3", "||"),
        row("RESERVE held by another", twoReserved(EXCLUSIVE_ACCESS), l -> l.reserve(2, 0xb2, EXCLUSIVE_ACCESS), "CONFLICT",
            "g2 [1:a1, 2:b2] 1/3", "||"),
        row("RESERVE all-registrants by another registrant", twoReserved(EA_ALL_REGISTRANTS),
            l -> l.reserve(2, 0xb2, EA_ALL_REGISTRANTS), "GOOD", "g2 [1:a1, 2:b2] 1/8", "||"),
        row("RESERVE type 2", TWO, l -> l.reserve(1, 0xa1, 2), "5/24/00", "g2 [1:a1, 2:b2] -/0", "||"),
        row("RESERVE scope 1", TWO, l -> l.reserve(1, 0xa1, 0x13), "5/24/00", "g2 [1:a1, 2:b2] -/0", "||"),
        // RELEASE
        row("RELEASE by the holder", twoReserved(EXCLUSIVE_ACCESS), l -> l.prout(1, RELEASE, EXCLUSIVE_ACCESS, 0xa1, 0, 0), "GOOD",
            "g2 [1:a1, 2:b2] -/0", "||"),
        row("RELEASE of registrants-only tells the others", twoReserved(EA_REGISTRANTS_ONLY),
            l -> l.prout(1, RELEASE, EA_REGISTRANTS_ONLY, 0xa1, 0, 0), "GOOD", "g2 [1:a1, 2:b2] -/0", "|2a/04|"),
        row("RELEASE all-registrants by another registrant", twoReserved(WE_ALL_REGISTRANTS),
            l -> l.prout(2, RELEASE, WE_ALL_REGISTRANTS, 0xb2, 0, 0), "GOOD", "g2 [1:a1, 2:b2] -/0", "2a/04||"),
        row("RELEASE by a non-holder (nothing)", twoReserved(EXCLUSIVE_ACCESS),
            l -> l.prout(2, RELEASE, EXCLUSIVE_ACCESS, 0xb2, 0, 0), "GOOD", "g2 [1:a1, 2:b2] 1/3", "||"),
        row("RELEASE with the wrong type", twoReserved(EXCLUSIVE_ACCESS), l -> l.prout(1, RELEASE, WRITE_EXCLUSIVE, 0xa1, 0, 0),
            "5/26/04", "g2 [1:a1, 2:b2] 1/3", "||"),
        row("RELEASE unregistered", twoReserved(EXCLUSIVE_ACCESS), l -> l.prout(3, RELEASE, EXCLUSIVE_ACCESS, 0, 0, 0),
            "CONFLICT", "g2 [1:a1, 2:b2] 1/3", "||"),
        // CLEAR
        row("CLEAR", twoReserved(EXCLUSIVE_ACCESS), l -> l.prout(2, CLEAR, 0, 0xb2, 0, 0), "GOOD", "g3 [] -/0", "2a/03||"),
        row("CLEAR unregistered", twoReserved(EXCLUSIVE_ACCESS), l -> l.prout(3, CLEAR, 0, 0, 0, 0), "CONFLICT",
            "g2 [1:a1, 2:b2] 1/3", "||"),
        // PREEMPT
        row("PREEMPT a registration (libiscsi preempt_rm_reg)", TWO, l -> l.prout(2, PREEMPT, EXCLUSIVE_ACCESS, 0xb2, 0xa1, 0),
            "GOOD", "g3 [2:b2] -/0", "2a/05||"),
        row("PREEMPT a key nobody has", TWO, l -> l.prout(2, PREEMPT, EXCLUSIVE_ACCESS, 0xb2, 0xee, 0), "CONFLICT",
            "g2 [1:a1, 2:b2] -/0", "||"),
        row("PREEMPT key 0 without all-registrants", TWO, l -> l.prout(2, PREEMPT, EXCLUSIVE_ACCESS, 0xb2, 0, 0), "5/26/00",
            "g2 [1:a1, 2:b2] -/0", "||"),
        row("PREEMPT the holder", twoReserved(EXCLUSIVE_ACCESS), l -> l.prout(2, PREEMPT, EXCLUSIVE_ACCESS, 0xb2, 0xa1, 0),
            "GOOD", "g3 [2:b2] 2/3", "2a/05||"),
        row("PREEMPT the holder, new type", l -> {
              twoReserved(EXCLUSIVE_ACCESS).accept(l);
              l.register(3, 0xc3);
            }, l -> l.prout(2, PREEMPT, WRITE_EXCLUSIVE, 0xb2, 0xa1, 0), "GOOD", "g4 [2:b2, 3:c3] 2/1", "2a/05||2a/04"),
        row("PREEMPT AND ABORT the holder", twoReserved(WRITE_EXCLUSIVE),
            l -> l.prout(2, PREEMPT_AND_ABORT, WRITE_EXCLUSIVE, 0xb2, 0xa1, 0), "GOOD", "g3 [2:b2] 2/1", "2a/05||"),
        row("PREEMPT all-registrants with key 0", l -> {
              twoReserved(EA_ALL_REGISTRANTS).accept(l);
              l.register(3, 0xc3);
            }, l -> l.prout(3, PREEMPT, EXCLUSIVE_ACCESS, 0xc3, 0, 0), "GOOD", "g4 [3:c3] 3/3", "2a/05|2a/05|"),
        row("PREEMPT unregistered", twoReserved(EXCLUSIVE_ACCESS), l -> l.prout(3, PREEMPT, EXCLUSIVE_ACCESS, 0, 0xa1, 0),
            "CONFLICT", "g2 [1:a1, 2:b2] 1/3", "||"),
        // REGISTER AND MOVE to initiator 3 (SPI TransportID)
        row("REGISTER AND MOVE", twoReserved(EXCLUSIVE_ACCESS), l -> l.prout(1, REGISTER_AND_MOVE, 0, move(0xa1, 0xc3, 0, spi(3))),
            "GOOD", "g3 [1:a1, 2:b2, 3:c3] 3/3", "||"),
        row("REGISTER AND MOVE, UNREG", twoReserved(EXCLUSIVE_ACCESS),
            l -> l.prout(1, REGISTER_AND_MOVE, 0, move(0xa1, 0xc3, 0x02, spi(3))), "GOOD", "g3 [2:b2, 3:c3] 3/3", "||"),
        row("REGISTER AND MOVE by a non-holder", twoReserved(EXCLUSIVE_ACCESS),
            l -> l.prout(2, REGISTER_AND_MOVE, 0, move(0xb2, 0xc3, 0, spi(3))), "CONFLICT", "g2 [1:a1, 2:b2] 1/3", "||"),
        row("REGISTER AND MOVE to itself", twoReserved(EXCLUSIVE_ACCESS),
            l -> l.prout(1, REGISTER_AND_MOVE, 0, move(0xa1, 0xc3, 0, spi(1))), "5/26/00", "g2 [1:a1, 2:b2] 1/3", "||"),
        row("REGISTER AND MOVE all-registrants", twoReserved(WE_ALL_REGISTRANTS),
            l -> l.prout(1, REGISTER_AND_MOVE, 0, move(0xa1, 0xc3, 0, spi(3))), "CONFLICT", "g2 [1:a1, 2:b2] 1/7", "||"),
        row("REGISTER AND MOVE, unknown protocol", twoReserved(EXCLUSIVE_ACCESS), l -> {
              byte[] fc = new byte[24]; // Fibre Channel (0)
              return l.prout(1, REGISTER_AND_MOVE, 0, move(0xa1, 0xc3, 0, fc));
            }, "5/26/00", "g2 [1:a1, 2:b2] 1/3", "||"),
        row("REGISTER AND MOVE to relative target port 0", twoReserved(EXCLUSIVE_ACCESS),
            l -> l.prout(1, REGISTER_AND_MOVE, 0, move(0xa1, 0xc3, 0, 0, iscsi("iqn.2026-12.org.example:x,i,0x23d000000007"))),
            "5/26/00", "g2 [1:a1, 2:b2] 1/3", "||"),
        row("REGISTER AND MOVE, iSCSI format 00b", twoReserved(EXCLUSIVE_ACCESS), l -> {
              byte[] tid = iscsi("iqn.2026-12.org.example:x");
              tid[0] = 0x05;
              return l.prout(1, REGISTER_AND_MOVE, 0, move(0xa1, 0xc3, 0, Nexuses.ISCSI_PORT, tid));
            }, "5/26/00", "g2 [1:a1, 2:b2] 1/3", "||"),
        // bad service action
        row("PR OUT service action 8", NOTHING, l -> l.prout(1, 8, 0, 0, 0xa1, 0), "5/24/00", "g0 [] -/0", "||"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("serviceActions")
  void serviceAction(
      String what, Consumer<PrLun> before, Function<PrLun, ScsiResponse> cmd, String status, String state, String uas) {
    PrLun l = new PrLun();
    before.accept(l);
    for (int i = 1; i <= 3; i++) {
      l.disk.clearUnitAttentions();
    }
    ScsiResponse r = cmd.apply(l);
    assertEquals(List.of(status, state, uas), List.of(status(r), l.state(), l.uas(1) + "|" + l.uas(2) + "|" + l.uas(3)));
  }

  /** A SPI TransportID (the SIM's): SCSI address = initiator id. */
  static byte[] spi(int id) {
    byte[] b = new byte[24];
    b[0] = 0x01;
    Bytes.put16(b, 2, id);
    return b;
  }

  /** An iSCSI TransportID, format 01b. */
  static byte[] iscsi(String port) {
    byte[] s = port.getBytes(StandardCharsets.UTF_8);
    int n = Math.max(20, (s.length + 4) & ~3);
    byte[] b = new byte[4 + n];
    b[0] = 0x45;
    Bytes.put16(b, 2, n);
    System.arraycopy(s, 0, b, 4, s.length);
    return b;
  }

  /** A REGISTER AND MOVE parameter list to the SIM's target port. */
  static byte[] move(long key, long saKey, int flags, byte[] tid) {
    return move(key, saKey, flags, Nexuses.CAM_SIM_PORT, tid);
  }

  static byte[] move(long key, long saKey, int flags, int rtp, byte[] tid) {
    byte[] p = new byte[24 + tid.length];
    Bytes.put64(p, 0, key);
    Bytes.put64(p, 8, saKey);
    p[17] = (byte) flags;
    Bytes.put16(p, 18, rtp);
    Bytes.put32(p, 20, tid.length);
    System.arraycopy(tid, 0, p, 24, tid.length);
    return p;
  }

  // ------------------------------------------------------------------ PR IN

  @Test
  void readKeysCountsEveryKeyEvenWhenTruncated() {
    PrLun l = new PrLun();
    TWO.accept(l);
    ScsiResponse full = l.prin(3, 0, 64);
    assertEquals(List.of(2L, 16L, 0xa1L, 0xb2L), List.of(be32(full.data(), 0), be32(full.data(), 4), be64(full.data(), 8), be64(full.data(), 16)));
    ScsiResponse cut = l.prin(3, 0, 8); // libiscsi test_prin_read_keys_truncate
    assertEquals(8, cut.data().size());
    assertEquals(16L, be32(cut.data(), 4));
  }

  @Test
  void readReservationShowsKeyZeroForAllRegistrants() {
    PrLun l = new PrLun();
    TWO.accept(l);
    assertEquals(List.of(8, 0L), List.of(l.prin(1, 1, 64).data().size(), be32(l.prin(1, 1, 64).data(), 4)));
    l.reserve(1, 0xa1, EA_REGISTRANTS_ONLY);
    ByteString d = l.prin(3, 1, 64).data();
    assertEquals(List.of(24, 16L, 0xa1L, 6), List.of(d.size(), be32(d, 4), be64(d, 8), u8(d, 21)));
    l.prout(1, RELEASE, EA_REGISTRANTS_ONLY, 0xa1, 0, 0);
    assertEquals("6/2a/04", status(l.run(2, tur(), 0))); // RESERVATIONS RELEASED
    l.reserve(2, 0xb2, WE_ALL_REGISTRANTS);
    d = l.prin(3, 1, 64).data();
    assertEquals(List.of(0L, 7), List.of(be64(d, 8), u8(d, 21)));
  }

  @Test
  void reportCapabilities() {
    ByteString d = new PrLun().prin(1, 2, 64).data();
    // length 8; CRH SIP_C ATP_C PTPL_C; TMV, ALLOW_COMMANDS 010b; the six types
    assertEquals("00 08 1d a0 ea 01 00 00", Bytes.hex(d));
    PrLun l = new PrLun();
    l.prout(1, REGISTER, 0, 0, 0xa1, 0x01); // APTPL
    assertEquals(0xa1, u8(l.prin(1, 2, 64).data(), 3)); // PTPL_A
  }

  @Test
  void serviceActionsFourAndUpAreInvalid() {
    PrLun l = new PrLun();
    for (int sa = 0; sa < 0x20; sa++) {
      assertEquals(sa < 4 ? "GOOD" : "5/24/00", status(l.prin(1, sa, 256)), "SA " + sa);
    }
  }

  @Test
  void readFullStatusNamesEachNexusByItsTransportId() {
    PrLun l = new PrLun();
    String port = "iqn.2026-12.org.example:client,i,0x23d000000001";
    int net = Nexuses.idFor(port, Nexuses.ISCSI_PORT);
    l.register(7, 0xa1);
    l.prout(net, REGISTER_AND_IGNORE, 0, 0, 0xb2, 0x04); // ALL_TG_PT
    l.reserve(7, 0xa1, WRITE_EXCLUSIVE);
    ByteString d = l.prin(1, 3, 1024).data();
    long addl = be32(d, 4);
    assertEquals(d.size() - 8, addl);
    // SIM nexus 7: holder, SPI TransportID with SCSI address 7, target port 1
    assertEquals(List.of(0xa1L, 0x01, 1, 1, 24L, 0x01, 7),
        List.of(be64(d, 8), u8(d, 20), u8(d, 21), be16(d, 26), be32(d, 28), u8(d, 32), be16(d, 34)));
    int p = 8 + 24 + 24;
    // the iSCSI nexus: ALL_TG_PT, not holder, format 01b protocol 5, its port name NUL-terminated
    int tidLen = (int) be32(d, p + 20);
    assertEquals(List.of(0xb2L, 0x02, 0x45), List.of(be64(d, p), u8(d, p + 12), u8(d, p + 24)));
    assertEquals(0, tidLen % 4);
    assertEquals(port, d.slice(p + 28, p + 28 + port.length()).utf8String());
    assertEquals(0, u8(d, p + 28 + port.length()));
    assertEquals(d.size(), p + 24 + tidLen);
  }

  @Test
  void allTargetPortsRegistersTheInitiatorPortOnEveryTargetPort() {
    PrLun l = new PrLun();
    String port = "iqn.2026-12.org.example:multi,i,0x23d000000002";
    int onIscsi = Nexuses.idFor(port, Nexuses.ISCSI_PORT);
    int onOther = Nexuses.idFor(port, 9);
    assertEquals("GOOD", status(l.prout(onIscsi, REGISTER_AND_IGNORE, 0, 0, 0xa1, 0x04)));
    assertEquals("GOOD", status(l.reserve(onOther, 0xa1, EXCLUSIVE_ACCESS)));
    assertEquals("GOOD", status(l.run(onIscsi, T.read10(0, 1), 512)));
    assertEquals("CONFLICT", status(l.run(1, T.read10(0, 1), 512)));
    // the same port registered through one target port cannot register for all of them
    PrLun m = new PrLun();
    assertEquals("GOOD", status(m.register(onOther, 0xa1)));
    assertEquals("CONFLICT", status(m.prout(onIscsi, REGISTER_AND_IGNORE, 0, 0, 0xa2, 0x04)));
    assertEquals("GOOD", status(m.register(onIscsi, 0xa2))); // per nexus: fine
  }

  @Test
  void registerAndMoveToAnIscsiNexus() {
    PrLun l = new PrLun();
    String port = "iqn.2026-12.org.example:mover,i,0x23d000000003";
    int from = Nexuses.idFor("iqn.2026-12.org.example:mover,i,0x23d000000004", Nexuses.ISCSI_PORT);
    l.register(from, 0xa1);
    l.reserve(from, 0xa1, EXCLUSIVE_ACCESS);
    byte[] tid = iscsi("iqn.2026-12.org.example:mover,i,0x23D000000003"); // ISID case does not matter
    assertEquals("GOOD", status(l.prout(from, REGISTER_AND_MOVE, 0, move(0xa1, 0xd4, 0x02, Nexuses.ISCSI_PORT, tid))));
    int to = Nexuses.idFor(port, Nexuses.ISCSI_PORT);
    assertEquals(to, l.disk.reservations().state().holder().initiatorId());
    assertEquals("GOOD", status(l.write(to, T.write10(0, 1), 512)));
    assertEquals("CONFLICT", status(l.write(from, T.write10(0, 1), 512)));
  }

  @Test
  void specIptRegistersTheNamedNexusesToo() {
    PrLun l = new PrLun();
    byte[] tids = new byte[48];
    System.arraycopy(spi(4), 0, tids, 0, 24);
    System.arraycopy(spi(5), 0, tids, 24, 24);
    byte[] p = new byte[28 + tids.length];
    System.arraycopy(PrLun.params(0, 0xa1, 0x08), 0, p, 0, 24);
    Bytes.put32(p, 24, tids.length);
    System.arraycopy(tids, 0, p, 28, tids.length);
    assertEquals("GOOD", status(l.prout(1, REGISTER, 0, p)));
    assertEquals("g1 [1:a1, 4:a1, 5:a1] -/0", l.state());
    // a named nexus already registered: RESERVATION CONFLICT, nothing changes
    PrLun m = new PrLun();
    m.register(5, 0xee);
    assertEquals("CONFLICT", status(m.prout(1, REGISTER, 0, p)));
    assertEquals("g1 [5:ee] -/0", m.state());
  }

  @Test
  void clearAndPreemptBumpTheGenerationOnceReserveAndReleaseNot() {
    PrLun l = new PrLun();
    l.register(1, 0xa1); // libiscsi test_prout_clear_simple
    long g = be32(l.prin(1, 0, 64).data(), 0);
    l.reserve(1, 0xa1, EXCLUSIVE_ACCESS);
    assertEquals(g, be32(l.prin(1, 0, 64).data(), 0));
    l.prout(1, CLEAR, 0, 0xa1, 0, 0);
    assertEquals(List.of(g + 1, 0L), List.of(be32(l.prin(1, 0, 64).data(), 0), be32(l.prin(1, 0, 64).data(), 4)));
  }

  @Test
  void preemptedNexusHearsItOnItsNextCommand() {
    PrLun l = new PrLun();
    twoReserved(EXCLUSIVE_ACCESS).accept(l);
    l.disk.clearUnitAttentions();
    l.prout(2, PREEMPT, EXCLUSIVE_ACCESS, 0xb2, 0xa1, 0);
    assertEquals("6/2a/05", status(l.run(1, tur(), 0)));
    assertEquals("GOOD", status(l.run(1, tur(), 0)));
    assertEquals("GOOD", status(l.run(2, tur(), 0)));
  }

  // ------------------------------------------------------------------ SPC-2 RESERVE vs persistent reservations

  @Test
  void reserve6AgainstPersistentReservations() {
    PrLun l = new PrLun();
    ByteString reserve6 = cdb(0x16, 0, 0, 0, 0, 0);
    ByteString release6 = cdb(0x17, 0, 0, 0, 0, 0);
    l.register(1, 0xa1);
    // registered, nothing reserved: RESERVE and RELEASE conflict for everyone
    assertEquals(List.of("CONFLICT", "CONFLICT", "CONFLICT"),
        List.of(status(l.run(1, reserve6, 0)), status(l.run(3, reserve6, 0)), status(l.run(3, release6, 0))));
    // CRH: the holder's RESERVE/RELEASE are GOOD and change nothing; a registrant of a registrants-only one too
    l.register(2, 0xb2);
    l.reserve(1, 0xa1, WE_REGISTRANTS_ONLY);
    assertEquals(List.of("GOOD", "GOOD", "GOOD", "CONFLICT"),
        List.of(status(l.run(1, reserve6, 0)), status(l.run(1, release6, 0)), status(l.run(2, reserve6, 0)), status(l.run(3, reserve6, 0))));
    assertEquals("g2 [1:a1, 2:b2] 1/5", l.state());
    assertEquals(-1, l.disk.reservationHolder());
    // under RESERVE(6), PR IN and PR OUT conflict even from the holder
    PrLun m = new PrLun();
    m.run(1, reserve6, 0);
    assertEquals(List.of("CONFLICT", "CONFLICT"), List.of(status(m.prin(1, 0, 64)), status(m.register(1, 0xa1))));
  }

  @Test
  void resetReleasesReserve6ButNotPersistentReservations() {
    PrLun l = new PrLun();
    twoReserved(EXCLUSIVE_ACCESS).accept(l);
    l.disk.reset(0x29, 0x03);
    assertEquals("g2 [1:a1, 2:b2] 1/3", l.state());
    PrLun m = new PrLun();
    m.run(1, cdb(0x16, 0, 0, 0, 0, 0), 0);
    m.disk.reservations().nexusLost(2);
    assertEquals(1, m.disk.reservationHolder());
    m.disk.reservations().nexusLost(1);
    assertEquals(-1, m.disk.reservationHolder());
  }

  // ------------------------------------------------------------------ durable form

  @Test
  void onlyAptplStateIsDurableAndItRestores() {
    PrLun l = new PrLun();
    TWO.accept(l);
    l.reserve(1, 0xa1, EA_REGISTRANTS_ONLY);
    assertEquals(Reservations.Durable.NONE, l.disk.reservations().durable());
    String port = "iqn.2026-12.org.example:durable,i,0x23d000000005";
    int net = Nexuses.idFor(port, Nexuses.ISCSI_PORT);
    l.prout(net, REGISTER_AND_IGNORE, 0, 0, 0xc3, 0x05); // APTPL + ALL_TG_PT
    Reservations.Durable d = l.disk.reservations().durable();
    assertEquals(new Reservations.Durable(Map.of("1", 0xa1L, "2", 0xb2L, "all:" + port + "@2", 0xc3L), "1", 6), d);
    PrLun back = new PrLun();
    assertTrue(back.disk.reservations().restore(d).isEmpty());
    assertEquals(d, back.disk.reservations().durable());
    assertEquals("CONFLICT", status(back.run(3, T.read10(0, 1), 512)));
    assertEquals("GOOD", status(back.run(net, T.read10(0, 1), 512)));
    // initiators that do not parse are skipped, and said so
    PrLun odd = new PrLun();
    List<String> skipped = odd.disk.reservations().restore(new Reservations.Durable(Map.of("x@y", 1L, "99999", 2L, "4", 3L), "4", 3));
    assertEquals(java.util.Set.of("x@y", "99999"), java.util.Set.copyOf(skipped));
    assertEquals("g0 [4:3] 4/3", odd.state());
  }

  /**
   * PREEMPT AND ABORT asks the frontends (through the inventory's task aborters) to abort the
   * preempted nexuses' tasks on this LUN, the sender's excepted; PREEMPT asks nothing.
   */
  @Test
  void preemptAndAbortCallsTheInventorysTaskAbortersForEachPreemptedNexus() {
    PrLun l = new PrLun();
    EmuTarget t = new EmuTarget(0, List.of(l.disk));
    TargetInventory inv = new TargetInventory();
    inv.publish(0, new java.util.concurrent.ConcurrentHashMap<>(Map.of(0, t)));
    List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
    inv.addTaskAborter((target, lun, id) -> calls.add((target == t) + " lun " + lun + " nexus " + id));
    l.register(1, 0xa1);
    l.register(2, 0xb2);
    l.register(3, 0xa1);
    l.reserve(1, 0xa1, WRITE_EXCLUSIVE);
    assertEquals("GOOD", status(l.prout(2, PREEMPT_AND_ABORT, WRITE_EXCLUSIVE, 0xb2, 0xa1, 0)));
    assertEquals(List.of("true lun 0 nexus 1", "true lun 0 nexus 3"), calls);
    calls.clear();
    l.run(1, tur(), 0); // 1 reads its 2A/05
    assertEquals("GOOD", status(l.register(1, 0xa1)));
    assertEquals("GOOD", status(l.prout(2, PREEMPT, WRITE_EXCLUSIVE, 0xb2, 0xa1, 0)));
    assertEquals(List.of(), calls, "plain PREEMPT aborts nothing");
  }
}
