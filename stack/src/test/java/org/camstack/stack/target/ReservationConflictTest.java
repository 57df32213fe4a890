package org.camstack.stack.target;

import static org.camstack.stack.target.PrLun.status;
import static org.camstack.stack.target.T.cdb;
import static org.camstack.stack.target.T.inquiry;
import static org.camstack.stack.target.T.modeSense6;
import static org.camstack.stack.target.T.read10;
import static org.camstack.stack.target.T.readCapacity10;
import static org.camstack.stack.target.T.reportLuns;
import static org.camstack.stack.target.T.requestSense;
import static org.camstack.stack.target.T.tur;
import static org.camstack.stack.target.T.write10;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.ScsiResponse;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The conflict table (SPC-4 5.13.1, SBC-3 4.17) as a table: for each persistent reservation type,
 * which command class from the holder, another registrant and a non-registrant ends in RESERVATION
 * CONFLICT; then the commands allowed through every type, and the SPC-2 reservation's. The
 * expectations are libiscsi's test_prout_reserve_access_*.c ones, extended to "other" commands.
 */
class ReservationConflictTest {

  static final int HOLDER = 1;
  static final int REGISTRANT = 2;
  static final int STRANGER = 3;

  /** read / write / other (MODE SENSE): '+' GOOD, 'C' RESERVATION CONFLICT. */
  private static Arguments row(int type, String holder, String registrant, String stranger) {
    return Arguments.of(type, holder, registrant, stranger);
  }

  static Stream<Arguments> types() {
    return Stream.of(
        row(Reservations.WRITE_EXCLUSIVE, "+++", "+CC", "+CC"),
        row(Reservations.EXCLUSIVE_ACCESS, "+++", "CCC", "CCC"),
        row(Reservations.WE_REGISTRANTS_ONLY, "+++", "+++", "+CC"),
        row(Reservations.EA_REGISTRANTS_ONLY, "+++", "+++", "CCC"),
        row(Reservations.WE_ALL_REGISTRANTS, "+++", "+++", "+CC"),
        row(Reservations.EA_ALL_REGISTRANTS, "+++", "+++", "CCC"));
  }

  private static PrLun reserved(int type) {
    PrLun l = new PrLun();
    assertEquals("GOOD", status(l.register(HOLDER, 0xa1)));
    assertEquals("GOOD", status(l.register(REGISTRANT, 0xb2)));
    assertEquals("GOOD", status(l.reserve(HOLDER, 0xa1, type)));
    return l;
  }

  private static String access(PrLun l, int ini) {
    StringBuilder sb = new StringBuilder();
    for (ScsiResponse r :
        List.of(l.run(ini, read10(1, 1), 512), l.write(ini, write10(1, 1), 512), l.run(ini, modeSense6(0x3f, 255), 255))) {
      sb.append(switch (status(r)) {
        case "GOOD" -> '+';
        case "CONFLICT" -> 'C';
        default -> '?';
      });
    }
    return sb.toString();
  }

  @ParameterizedTest(name = "type {0}: holder {1}, registrant {2}, stranger {3}")
  @MethodSource("types")
  void readWriteOtherByNexus(int type, String holder, String registrant, String stranger) {
    PrLun l = reserved(type);
    assertEquals(List.of(holder, registrant, stranger), List.of(access(l, HOLDER), access(l, REGISTRANT), access(l, STRANGER)));
  }

  /** Commands every nexus may send through every type (SPC-4 table 63 "Allowed" rows). */
  static List<BiFunction<PrLun, Integer, ScsiResponse>> allowed() {
    List<BiFunction<PrLun, Integer, ScsiResponse>> l = new ArrayList<>();
    l.add((d, i) -> d.run(i, tur(), 0));
    l.add((d, i) -> d.run(i, inquiry(36), 36));
    l.add((d, i) -> d.run(i, requestSense(false, 18), 18));
    l.add((d, i) -> d.run(i, reportLuns(0, 64), 64));
    l.add((d, i) -> d.run(i, readCapacity10(), 8));
    l.add((d, i) -> d.run(i, cdb(0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0), 32)); // READ CAPACITY(16)
    l.add((d, i) -> d.prin(i, 0, 64)); // PR IN
    l.add((d, i) -> d.run(i, cdb(0x1e, 0, 0, 0, 0, 0), 0)); // ALLOW MEDIUM REMOVAL
    l.add((d, i) -> d.run(i, cdb(0x1b, 0, 0, 0, 0x01, 0), 0)); // START STOP UNIT, START=1
    return l;
  }

  static Stream<Arguments> allowedThroughEveryType() {
    List<Arguments> out = new ArrayList<>();
    for (int type : new int[] {1, 3, 5, 6, 7, 8}) {
      List<BiFunction<PrLun, Integer, ScsiResponse>> cmds = allowed();
      for (int i = 0; i < cmds.size(); i++) {
        out.add(Arguments.of(type, i, cmds.get(i)));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "type {0}: allowed command #{1} from a stranger")
  @MethodSource("allowedThroughEveryType")
  void allowedCommands(int type, int index, BiFunction<PrLun, Integer, ScsiResponse> cmd) {
    assertEquals("GOOD", status(cmd.apply(reserved(type), STRANGER)));
  }

  /** Conditional rows: PREVENT=1 and START STOP UNIT with START=0 are "other". */
  @ParameterizedTest(name = "type {0}")
  @MethodSource("types")
  void preventAndStopAreOther(int type, String holder, String registrant, String stranger) {
    PrLun l = reserved(type);
    String expect = stranger.substring(2); // like MODE SENSE
    assertEquals(expect.equals("+") ? "GOOD" : "CONFLICT", status(l.run(STRANGER, cdb(0x1e, 0, 0, 0, 1, 0), 0)));
    assertEquals(expect.equals("+") ? "GOOD" : "CONFLICT", status(l.run(STRANGER, cdb(0x1b, 0, 0, 0, 0, 0), 0)));
  }

  // ------------------------------------------------------------------ SPC-2 RESERVE

  /** From another nexus under RESERVE(6): command &rarr; outcome (libiscsi test_reserve6_2initiators). */
  static Stream<Arguments> spc2() {
    return Stream.of(
        Arguments.of("INQUIRY", inquiry(36), "GOOD"),
        Arguments.of("REQUEST SENSE", requestSense(false, 18), "GOOD"),
        Arguments.of("REPORT LUNS", reportLuns(0, 64), "GOOD"),
        Arguments.of("READ CAPACITY", readCapacity10(), "GOOD"),
        Arguments.of("ALLOW MEDIUM REMOVAL", cdb(0x1e, 0, 0, 0, 0, 0), "GOOD"),
        Arguments.of("RELEASE(6), a no-op", cdb(0x17, 0, 0, 0, 0, 0), "GOOD"),
        Arguments.of("TEST UNIT READY", tur(), "CONFLICT"),
        Arguments.of("MODE SENSE(6)", modeSense6(0x3f, 255), "CONFLICT"),
        Arguments.of("READ(10)", read10(1, 1), "CONFLICT"),
        Arguments.of("RESERVE(6)", cdb(0x16, 0, 0, 0, 0, 0), "CONFLICT"),
        Arguments.of("PREVENT MEDIUM REMOVAL", cdb(0x1e, 0, 0, 0, 1, 0), "CONFLICT"),
        Arguments.of("PERSISTENT RESERVE IN", cdb(0x5e, 0, 0, 0, 0, 0, 0, 0, 64, 0), "CONFLICT"));
  }

  @ParameterizedTest(name = "{0}: {2}")
  @MethodSource("spc2")
  void spc2ReservationAgainstAnotherNexus(String what, ByteString c, String expect) {
    PrLun l = new PrLun();
    assertEquals("GOOD", status(l.run(HOLDER, cdb(0x16, 0, 0, 0, 0, 0), 0)));
    assertEquals(expect, status(l.run(STRANGER, c, 255)));
    assertEquals(HOLDER, l.disk.reservationHolder());
  }
}
