package org.camstack.stack.target;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.smp.Smp;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Every SMP function of the emulated expander, as a table: request frame &rarr; function result and
 * response length; then the phy state machine of PHY CONTROL and what it asks of the SIM.
 */
class EmuExpanderTest {
  private static final String DISK0 = "5000c50000000003";
  private static final String DISK1 = "5000c50000000004";

  /** Records the phy changes the expander asks for, in order. */
  private static final class Recorder implements EmuExpander.PhyWiring {
    final List<String> calls = new ArrayList<>();

    public void phyDown(int target) {
      calls.add("down " + target);
    }

    public void phyUp(int target) {
      calls.add("up " + target);
    }

    public void hardReset(int target) {
      calls.add("reset " + target);
    }
  }

  private static EmuExpander expander(Recorder r) {
    EmuExpander x = new EmuExpander(LunSpec.parse("lun = 0, type = expander, slots = 8, bus = 3, target = 5"));
    x.wire(List.of(new EmuExpander.PhyLink(0, 3, DISK0), new EmuExpander.PhyLink(1, 4, DISK1)), r);
    return x;
  }

  static Stream<Arguments> functions() {
    return Stream.of(
        // request, function result, response length (bytes, without CRC)
        Arguments.of("REPORT GENERAL", Smp.reportGeneral(), Smp.FR_ACCEPTED, 32),
        Arguments.of("REPORT MANUFACTURER INFORMATION", Smp.reportManufacturerInfo(), Smp.FR_ACCEPTED, 60),
        Arguments.of("DISCOVER phy 0", Smp.discover(0), Smp.FR_ACCEPTED, 64),
        Arguments.of("DISCOVER phy 7 (vacant)", Smp.discover(7), Smp.FR_ACCEPTED, 64),
        Arguments.of("DISCOVER phy 8", Smp.discover(8), Smp.FR_PHY_DOES_NOT_EXIST, 4),
        Arguments.of("DISCOVER short frame", Smp.raw(Smp.DISCOVER, 4), Smp.FR_INVALID_REQUEST_LENGTH, 4),
        Arguments.of("REPORT PHY ERROR LOG phy 1", Smp.reportPhyErrorLog(1), Smp.FR_ACCEPTED, 28),
        Arguments.of("REPORT PHY ERROR LOG phy 200", Smp.reportPhyErrorLog(200), Smp.FR_PHY_DOES_NOT_EXIST, 4),
        Arguments.of("REPORT PHY SATA phy 0 (a SAS disk)", Smp.reportPhySata(0), Smp.FR_PHY_NOT_SATA, 4),
        Arguments.of("REPORT PHY SATA phy 9", Smp.reportPhySata(9), Smp.FR_PHY_DOES_NOT_EXIST, 4),
        Arguments.of("DISCOVER LIST 0..7", Smp.discoverList(0, 8), Smp.FR_ACCEPTED, Smp.LIST_HEADER + 8 * Smp.SHORT_DESCRIPTOR),
        Arguments.of("DISCOVER LIST 6.. (2 left)", Smp.discoverList(6, 8), Smp.FR_ACCEPTED, Smp.LIST_HEADER + 2 * Smp.SHORT_DESCRIPTOR),
        Arguments.of("DISCOVER LIST from phy 8", Smp.discoverList(8, 8), Smp.FR_PHY_DOES_NOT_EXIST, 4),
        Arguments.of("DISCOVER LIST short frame", Smp.raw(Smp.DISCOVER_LIST, 12), Smp.FR_INVALID_REQUEST_LENGTH, 4),
        Arguments.of("PHY CONTROL nop", Smp.phyControl(2, Smp.PC_NOP), Smp.FR_ACCEPTED, 4),
        Arguments.of("PHY CONTROL clear error log", Smp.phyControl(1, Smp.PC_CLEAR_ERROR_LOG), Smp.FR_ACCEPTED, 4),
        Arguments.of("PHY CONTROL op 0x04 (unsupported)", Smp.phyControl(1, 0x04), Smp.FR_UNKNOWN_PHY_OPERATION, 4),
        Arguments.of("PHY CONTROL op 0x7f", Smp.phyControl(1, 0x7f), Smp.FR_UNKNOWN_PHY_OPERATION, 4),
        Arguments.of("PHY CONTROL phy 8", Smp.phyControl(8, Smp.PC_LINK_RESET), Smp.FR_PHY_DOES_NOT_EXIST, 4),
        Arguments.of("PHY CONTROL short frame", Smp.raw(Smp.PHY_CONTROL, 12), Smp.FR_INVALID_REQUEST_LENGTH, 4),
        Arguments.of("function 0x02 (unknown)", Smp.raw(0x02, 4), Smp.FR_UNKNOWN_FUNCTION, 4),
        Arguments.of("function 0x90 CONFIGURE GENERAL (not emulated)", Smp.raw(0x80, 4), Smp.FR_UNKNOWN_FUNCTION, 4),
        Arguments.of("not a request frame", ByteString.fromArray(new byte[] {0x41, 0, 0, 0}), Smp.FR_FUNCTION_FAILED, 4),
        Arguments.of("empty frame", ByteString.emptyByteString(), Smp.FR_FUNCTION_FAILED, 4));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("functions")
  void functionResults(String name, ByteString request, int result, int length) {
    ByteString r = expander(new Recorder()).smp(request);
    assertEquals(Smp.FRAME_RESPONSE, Bytes.u8(r, 0), name);
    assertEquals(request.size() > 1 ? request.apply(1) & 0xff : 0, Bytes.u8(r, 1), name + ": function echoed");
    assertEquals(result, Smp.result(r), name + ": " + Smp.resultName(Smp.result(r)));
    assertEquals(length, r.size(), name + ": length");
    assertEquals((length - 4) / 4, Bytes.u8(r, 3), name + ": response length in dwords");
  }

  @Test
  void generalManufacturerAndDiscoverDescribeTheWiring() {
    EmuExpander x = expander(new Recorder());
    Smp.General g = Smp.general(x.smp(Smp.reportGeneral()));
    assertEquals(8, g.phys());
    assertEquals(0, g.changeCount());
    assertEquals(x.spec().wwn(), g.enclosureId());
    Smp.Manufacturer m = Smp.manufacturer(x.smp(Smp.reportManufacturerInfo()));
    assertEquals("EMU-EXPANDER", m.product());
    assertEquals(x.spec().vendor().trim(), m.vendor());

    Smp.Phy p0 = Smp.discoverPhy(x.smp(Smp.discover(0)));
    assertEquals(new Smp.Phy(0, Smp.DEV_END_DEVICE, Smp.RATE_6G, DISK0, true, 0), p0);
    Smp.Phy p5 = Smp.discoverPhy(x.smp(Smp.discover(5)));
    assertEquals(new Smp.Phy(5, Smp.DEV_NONE, Smp.RATE_UNKNOWN, "0000000000000000", false, 0), p5);

    List<Smp.Phy> list = Smp.discoverList(x.smp(Smp.discoverList(0, 8)));
    assertEquals(8, list.size());
    assertEquals(p0, list.get(0));
    assertEquals(DISK1, list.get(1).attachedSasAddress());
    assertEquals(p5, list.get(5));
  }

  @Test
  void phyControlDisablesResetsAndClearsTheErrorLog() {
    Recorder r = new Recorder();
    EmuExpander x = expander(r);
    assertEquals(2, Smp.errorLog(x.smp(Smp.reportPhyErrorLog(1))).invalidDwords(), "a wired phy starts with counted errors");
    assertEquals(Smp.FR_ACCEPTED, Smp.result(x.smp(Smp.phyControl(1, Smp.PC_CLEAR_ERROR_LOG))));
    assertEquals(new Smp.ErrorLog(1, 0, 0, 0, 0), Smp.errorLog(x.smp(Smp.reportPhyErrorLog(1))));

    // link reset of an enabled phy: counted, nothing leaves
    x.smp(Smp.phyControl(0, Smp.PC_LINK_RESET));
    assertEquals(List.of(), r.calls);
    assertEquals(1, Smp.discoverPhy(x.smp(Smp.discover(0))).changeCount());

    x.smp(Smp.phyControl(0, Smp.PC_DISABLE));
    x.smp(Smp.phyControl(0, Smp.PC_DISABLE)); // already disabled: no second pull
    assertTrue(x.isDisabled(0));
    Smp.Phy down = Smp.discoverPhy(x.smp(Smp.discover(0)));
    assertEquals(Smp.RATE_PHY_DISABLED, down.linkRate());
    assertEquals(Smp.DEV_NONE, down.attachedType());
    assertEquals(2, Smp.general(x.smp(Smp.reportGeneral())).changeCount());

    x.smp(Smp.phyControl(1, Smp.PC_HARD_RESET)); // enabled phy: the target is reset
    x.smp(Smp.phyControl(0, Smp.PC_LINK_RESET)); // disabled phy: the disk comes back
    assertFalse(x.isDisabled(0));
    assertEquals(Smp.DEV_END_DEVICE, Smp.discoverPhy(x.smp(Smp.discover(0))).attachedType());
    x.smp(Smp.phyControl(5, Smp.PC_DISABLE)); // nothing on phy 5
    x.smp(Smp.phyControl(5, Smp.PC_HARD_RESET));
    assertEquals(List.of("down 3", "reset 4", "up 3"), r.calls);
    assertEquals(0, x.phyOf(3));
    assertEquals(-1, x.phyOf(9));
  }
}
