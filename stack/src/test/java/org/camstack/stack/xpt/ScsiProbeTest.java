package org.camstack.stack.xpt;

import static org.camstack.stack.xpt.XptFixture.WAIT;
import static org.camstack.stack.xpt.XptFixture.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.scsi.Sense;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The probe FSM and bus scan over varied topologies (cf. scsi_xpt.c). */
class ScsiProbeTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static CamPath p(int b, int t, long l) {
    return CamPath.of(b, t, l);
  }

  @Test
  void busScanFindsSparseLunsThroughReportLunsAndSkipsTheInitiator() {
    FakeBus bus = new FakeBus(7, 7, 7);
    bus.addLun(0, 0);
    bus.addLun(1, 0);
    bus.addLun(1, 3);
    bus.addLun(1, 7);
    bus.addLun(2, 0).product = "OTHER";
    bus.addLun(7, 0); // the initiator's own id is never scanned
    XptFixture x = new XptFixture(testKit);
    int b = x.register(bus, 0);
    TestProbe<AsyncEvent> events = x.subscribe(CamPath.XPT);

    assertStatus(CamStatus.REQ_CMP, x.scanBus(b));

    assertEquals(List.of(p(b, 0, 0), p(b, 1, 0), p(b, 1, 3), p(b, 1, 7), p(b, 2, 0)), x.configured());
    Set<CamPath> found = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      found.add(events.expectMessageClass(AsyncEvent.FoundDevice.class, WAIT).path());
    }
    assertEquals(Set.copyOf(x.configured()), found);
  }

  @Test
  void foundDeviceCarriesInquiryVpdAndSerial() {
    FakeBus bus = new FakeBus(3, 7, 7);
    bus.addLun(0, 0);
    XptFixture x = new XptFixture(testKit);
    int b = x.register(bus, 0);
    x.scanBus(b);
    TestProbe<Ccb.Completed> c = testKit.createTestProbe();
    DeviceInfo info =
        x.action(new Ccb.GetDevType(XptFixture.header(p(b, 0, 0), c.getRef())), c).resultAs(DeviceInfo.class);
    assertEquals("<CAMSTACK FAKE-DISK 0001>", info.identity());
    assertEquals(64, info.inquiry().size()); // short INQUIRY, then the full length
    assertEquals("FAKE0L0", info.serial());
    assertTrue(info.supportsVpd(0x83));
    assertEquals(16, info.deviceId().size());
  }

  @Test
  void failedReportLunsFallsBackToASparseSequentialScanUpToMaxLun() {
    FakeBus bus = new FakeBus(1, 7, 7);
    bus.addLun(0, 0);
    bus.addLun(0, 3);
    bus.addLun(0, 7);
    bus.target(0).reportLunsSupported = false;
    XptFixture x = new XptFixture(testKit);
    int b = x.register(bus, 0);
    x.scanBus(b);
    assertEquals(List.of(p(b, 0, 0), p(b, 0, 3), p(b, 0, 7)), x.configured());
  }

  @Test
  void scsi2TargetScanStopsAtTheFirstMissingLun() {
    FakeBus bus = new FakeBus(1, 7, 7);
    for (long l : new long[] {0, 1, 3}) {
      bus.addLun(0, l).ansi = 2;
    }
    XptFixture x = new XptFixture(testKit);
    int b = x.register(bus, 0);
    x.scanBus(b);
    assertEquals(List.of(p(b, 0, 0), p(b, 0, 1)), x.configured());
  }

  @Test
  void missingTargetAnswersSelectionTimeoutAndQualifier3IsNotThere() {
    FakeBus bus = new FakeBus(3, 7, 7);
    bus.addLun(0, 0).type = DeviceInfo.T_NODEVICE;
    XptFixture x = new XptFixture(testKit);
    int b = x.register(bus, 0);
    assertStatus(CamStatus.SEL_TIMEOUT, x.scanLun(p(b, 2, 0)));
    assertStatus(CamStatus.DEV_NOT_THERE, x.scanLun(p(b, 0, 0)));
    assertStatus(CamStatus.DEV_NOT_THERE, x.scanLun(p(b, 0, 1)));
    assertEquals(List.of(), x.configured());
    // nothing unconfigured lingers in the EDT either
    assertEquals(List.of(), x.devMatch(CamPath.bus(b)).buses().get(0).devices());
  }

  @Test
  void removedTargetIsLostOnRescan() {
    FakeBus bus = new FakeBus(3, 7, 7);
    bus.addLun(1, 0);
    bus.addLun(1, 2);
    XptFixture x = new XptFixture(testKit);
    int b = x.register(bus, 0);
    x.scanBus(b);
    TestProbe<AsyncEvent> events = x.subscribe(CamPath.bus(b));
    events.expectMessageClass(AsyncEvent.FoundDevice.class); // replay
    events.expectMessageClass(AsyncEvent.FoundDevice.class);

    bus.targets.remove(1);
    x.scanBus(b);

    Set<CamPath> lost = new HashSet<>();
    lost.add(events.expectMessageClass(AsyncEvent.LostDevice.class, WAIT).path());
    lost.add(events.expectMessageClass(AsyncEvent.LostDevice.class, WAIT).path());
    assertEquals(Set.of(p(b, 1, 0), p(b, 1, 2)), lost);
    assertEquals(List.of(), x.configured());
  }

  @Test
  void reportLunsChangePurgesAVanishedLun() {
    FakeBus bus = new FakeBus(3, 7, 7);
    bus.addLun(0, 0);
    bus.addLun(0, 1);
    bus.addLun(0, 5);
    XptFixture x = new XptFixture(testKit);
    int b = x.register(bus, 0);
    x.scanBus(b);
    TestProbe<AsyncEvent> events = x.subscribe(p(b, 0, 5), Set.of(org.camstack.stack.ccb.AsyncCode.AC_LOST_DEVICE));

    bus.target(0).unplug(5);
    assertStatus(CamStatus.REQ_CMP, x.scanLun(p(b, 0, 0))); // re-probe of LUN 0: new REPORT LUNS

    assertEquals(p(b, 0, 5), events.expectMessageClass(AsyncEvent.LostDevice.class, WAIT).path());
    assertEquals(List.of(p(b, 0, 0), p(b, 0, 1)), x.configured());
  }

  @Test
  void addedLunIsFoundByTheTargetRescanThatUnitAttention3F0ETriggers() {
    FakeBus bus = new FakeBus(3, 7, 7);
    bus.addLun(0, 0);
    XptFixture x = new XptFixture(testKit);
    int b = x.register(bus, 0);
    x.scanBus(b);
    TestProbe<AsyncEvent> events = x.subscribe(p(b, 0, 4), Set.of(org.camstack.stack.ccb.AsyncCode.AC_FOUND_DEVICE));

    bus.target(0).plug(0, 4); // LUN 0 now has UA 3F/0E pending
    // a re-probe of LUN 0 starts with TUR, which sees the unit attention
    assertStatus(CamStatus.REQ_CMP, x.scanLun(p(b, 0, 0)));

    assertEquals(p(b, 0, 4), events.expectMessageClass(AsyncEvent.FoundDevice.class, WAIT).path());
    assertEquals(List.of(p(b, 0, 0), p(b, 0, 4)), x.configured());
  }

  @Test
  void unitAttentionsDuringProbeAreRetried() {
    FakeBus bus = new FakeBus(1, 7, 7);
    FakeBus.Lun lun = bus.addLun(0, 0);
    lun.unitAttention(0x29, 0x00);
    lun.unitAttention(0x2a, 0x09);
    XptFixture x = new XptFixture(testKit);
    int b = x.register(bus, 0);
    assertStatus(CamStatus.REQ_CMP, x.scanLun(p(b, 0, 0)));
    assertEquals(List.of(p(b, 0, 0)), x.configured());
  }

  @Test
  void changedInquiryOnReprobeIsAnnouncedAsLostThenFoundUnlessExpected() {
    FakeBus bus = new FakeBus(1, 7, 7);
    FakeBus.Lun lun = bus.addLun(0, 1);
    bus.addLun(0, 0);
    XptFixture x = new XptFixture(testKit);
    int b = x.register(bus, 0);
    x.scanBus(b);
    TestProbe<AsyncEvent> events = x.subscribe(p(b, 0, 1));
    events.expectMessageClass(AsyncEvent.FoundDevice.class); // replay

    // unchanged re-probe: silent
    assertStatus(CamStatus.REQ_CMP, x.scanLun(p(b, 0, 1)));
    events.expectNoMessage(Duration.ofMillis(100));

    // changed serial: lost, then found again
    lun.serial = "SWAPPED";
    assertStatus(CamStatus.REQ_CMP, x.scanLun(p(b, 0, 1)));
    assertEquals(p(b, 0, 1), events.expectMessageClass(AsyncEvent.LostDevice.class, WAIT).path());
    AsyncEvent.FoundDevice f = events.expectMessageClass(AsyncEvent.FoundDevice.class, WAIT);
    assertEquals("SWAPPED", f.info().serial());

    // AC_INQ_CHANGED: re-probe without announcing
    lun.revision = "0002";
    x.xpt.tell(new Xpt.RaiseAsync(new AsyncEvent.InqChanged(p(b, 0, 1))));
    events.expectMessageClass(AsyncEvent.InqChanged.class, WAIT);
    TestProbe<Ccb.Completed> c = testKit.createTestProbe();
    c.awaitAssert(
        WAIT,
        () -> {
          DeviceInfo info =
              x.action(new Ccb.GetDevType(XptFixture.header(p(b, 0, 1), c.getRef())), c).resultAs(DeviceInfo.class);
          assertEquals("0002", info.revision());
          return null;
        });
    events.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void concurrentScanRequestsForTheSameBusCompleteTogether() {
    FakeBus bus = new FakeBus(7, 7, 7);
    for (int t = 0; t < 6; t++) {
      bus.addLun(t, 0);
    }
    XptFixture x = new XptFixture(testKit);
    int b = x.register(bus, 0);
    TestProbe<Ccb.Completed> c = testKit.createTestProbe();
    Ccb.ScanBus s1 = new Ccb.ScanBus(XptFixture.header(CamPath.bus(b), c.getRef()));
    Ccb.ScanBus s2 = new Ccb.ScanBus(XptFixture.header(CamPath.bus(b), c.getRef()));
    x.xpt.tell(new Xpt.Action(s1));
    x.xpt.tell(new Xpt.Action(s2));
    assertStatus(CamStatus.REQ_CMP, c.expectMessageClass(Ccb.Completed.class, WAIT));
    assertStatus(CamStatus.REQ_CMP, c.expectMessageClass(Ccb.Completed.class, WAIT));
    c.expectNoMessage(Duration.ofMillis(50));
    assertEquals(6, x.configured().size());
  }

  @Test
  void malformedScanCcbsCompleteWithAnErrorStatus() {
    FakeBus bus = new FakeBus(3, 7, 7);
    XptFixture x = new XptFixture(testKit);
    int b = x.register(bus, 0);
    assertStatus(CamStatus.PATH_INVALID, x.scanBus(9));
    assertStatus(CamStatus.PATH_INVALID, x.scanBus(CamPath.WILDCARD));
    assertStatus(CamStatus.REQ_INVALID, x.scanTarget(b, 4)); // beyond max target
    assertStatus(CamStatus.REQ_INVALID, x.scanLun(CamPath.target(b, 0)));
    assertStatus(CamStatus.REQ_INVALID, x.scanLun(p(b, 0, 8))); // beyond max LUN
  }

  @Test
  void probeFailureOtherThanUnitAttentionLeavesTheLunUnconfigured() {
    FakeBus bus = new FakeBus(1, 7, 7);
    bus.addLun(0, 0).faultHook =
        cdb -> (cdb.apply(0) & 0xff) == 0x12 ? FakeBus.check(Sense.HARDWARE_ERROR, 0x44, 0x00) : null;
    XptFixture x = new XptFixture(testKit);
    int b = x.register(bus, 0);
    assertStatus(CamStatus.DEV_NOT_THERE, x.scanLun(p(b, 0, 0)));
    assertFalse(x.configured().contains(p(b, 0, 0)));
  }
}
