package org.camstack.stack.xpt;

import static org.camstack.stack.xpt.XptFixture.WAIT;
import static org.camstack.stack.xpt.XptFixture.assertStatus;
import static org.camstack.stack.xpt.XptFixture.header;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.DeadLetter;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.AsyncCode;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.DeviceInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Async registration with wildcards and replay; DEV_MATCH, GDEVLIST and the other EDT codes. */
class XptEdtTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Duration QUIET = Duration.ofMillis(150);

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /** Bus 0: targets 0 and 1 (LUNs 0 and 2), scanned. */
  private static final class Rig {
    final FakeBus bus = new FakeBus(3, 7, 7);
    final XptFixture x = new XptFixture(testKit);
    final int b;
    final TestProbe<Ccb.Completed> done = testKit.createTestProbe();

    Rig() {
      bus.addLun(0, 0);
      bus.addLun(1, 0);
      bus.addLun(1, 2);
      b = x.register(bus, 0);
      x.scanBus(b);
    }

    CamPath p(int t, long l) {
      return CamPath.of(b, t, l);
    }

    Ccb.Completed run(Ccb ccb) {
      return x.action(ccb, done);
    }

    Ccb.GdevListResult gdevlist(CamPath path, int index, long generation) {
      Ccb.Completed c = run(new Ccb.GetDevList(header(path, done.getRef()), index, generation));
      assertStatus(CamStatus.REQ_CMP, c);
      return c.resultAs(Ccb.GdevListResult.class);
    }
  }

  @Test
  void lateRegistrantsGetFoundDeviceReplayedForWhatTheirWildcardCovers() {
    Rig r = new Rig();
    TestProbe<AsyncEvent> all = r.x.subscribe(CamPath.XPT, EnumSet.of(AsyncCode.AC_FOUND_DEVICE));
    TestProbe<AsyncEvent> t1 = r.x.subscribe(CamPath.target(r.b, 1), EnumSet.of(AsyncCode.AC_FOUND_DEVICE));
    // the ack follows the replay, so the replay is already in the probes' queues
    assertEquals(3, all.receiveSeveralMessages(3).size());
    all.expectNoMessage(Duration.ofMillis(50));
    List<AsyncEvent> mine = t1.receiveSeveralMessages(2);
    assertEquals(Set.of(r.p(1, 0), r.p(1, 2)), Set.of(mine.get(0).path(), mine.get(1).path()));
    AsyncEvent.FoundDevice f = (AsyncEvent.FoundDevice) mine.get(0);
    assertEquals("<CAMSTACK FAKE-DISK 0001>", f.info().identity());
    t1.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void pathRegisteredIsReplayedAndThenDeliveredLive() {
    Rig r = new Rig();
    TestProbe<AsyncEvent> ev = r.x.subscribe(CamPath.XPT, EnumSet.of(AsyncCode.AC_PATH_REGISTERED, AsyncCode.AC_PATH_DEREGISTERED));
    AsyncEvent.PathRegistered replay = ev.expectMessageClass(AsyncEvent.PathRegistered.class);
    assertEquals(CamPath.bus(r.b), replay.path());
    assertEquals("fakesim", replay.cpi().devName());
    int b2 = r.x.register(new FakeBus(1, 0, 7), 1);
    assertEquals(CamPath.bus(b2), ev.expectMessageClass(AsyncEvent.PathRegistered.class, WAIT).path());
  }

  @Test
  void eventsGoOnlyToSubscribersWhosePathOverlapsAndWhoWantTheCode() {
    Rig r = new Rig();
    TestProbe<AsyncEvent> lun0 = r.x.subscribe(r.p(0, 0), EnumSet.of(AsyncCode.AC_UNIT_ATTENTION));
    TestProbe<AsyncEvent> bus = r.x.subscribe(CamPath.bus(r.b), EnumSet.of(AsyncCode.AC_UNIT_ATTENTION));
    TestProbe<AsyncEvent> other = r.x.subscribe(CamPath.bus(r.b), EnumSet.of(AsyncCode.AC_SCSI_AEN));
    r.x.xpt.tell(new Xpt.RaiseAsync(new AsyncEvent.UnitAttention(r.p(1, 0), 0x2a, 0x09)));
    assertEquals(r.p(1, 0), bus.expectMessageClass(AsyncEvent.UnitAttention.class, WAIT).path());
    // a target-wide event reaches the LUN subscriber of that target
    r.x.xpt.tell(new Xpt.RaiseAsync(new AsyncEvent.UnitAttention(CamPath.target(r.b, 0), 0x29, 0x00)));
    assertEquals(CamPath.target(r.b, 0), lun0.expectMessageClass(AsyncEvent.UnitAttention.class, WAIT).path());
    bus.expectMessageClass(AsyncEvent.UnitAttention.class, WAIT);
    lun0.expectNoMessage(QUIET);
    other.expectNoMessage(Duration.ofMillis(10));
  }

  @Test
  void reRegisteringReplacesTheEventSetAndUnregisteringStopsDelivery() {
    Rig r = new Rig();
    TestProbe<AsyncEvent> p = r.x.subscribe(CamPath.XPT, EnumSet.of(AsyncCode.AC_SCSI_AEN));
    TestProbe<Xpt.AsyncRegistered> ack = testKit.createTestProbe();
    r.x.xpt.tell(new Xpt.RegisterAsync(EnumSet.of(AsyncCode.AC_UNIT_ATTENTION), CamPath.XPT, p.getRef(), ack.getRef()));
    ack.expectMessageClass(Xpt.AsyncRegistered.class, WAIT);
    r.x.xpt.tell(new Xpt.RaiseAsync(new AsyncEvent.ScsiAen(r.p(0, 0))));
    r.x.xpt.tell(new Xpt.RaiseAsync(new AsyncEvent.UnitAttention(r.p(0, 0), 0x29, 0)));
    p.expectMessageClass(AsyncEvent.UnitAttention.class, WAIT); // once: replaced, not added
    p.expectNoMessage(QUIET);
    r.x.xpt.tell(new Xpt.UnregisterAsync(CamPath.XPT, p.getRef()));
    r.x.xpt.tell(new Xpt.RaiseAsync(new AsyncEvent.UnitAttention(r.p(0, 0), 0x29, 0)));
    p.expectNoMessage(QUIET);
  }

  @Test
  void sasyncCbCcbRegistersWithReplayAndUnregisters() {
    Rig r = new Rig();
    TestProbe<AsyncEvent> p = testKit.createTestProbe();
    assertStatus(CamStatus.REQ_CMP, r.run(new Ccb.SetAsync(header(r.p(0, 0), r.done.getRef()), Set.of(AsyncCode.AC_FOUND_DEVICE, AsyncCode.AC_LOST_DEVICE), p.getRef())));
    assertEquals(r.p(0, 0), p.expectMessageClass(AsyncEvent.FoundDevice.class, WAIT).path());
    assertStatus(CamStatus.REQ_CMP, r.run(new Ccb.SetAsync(header(r.p(0, 0), r.done.getRef()), Set.of(), p.getRef())));
    r.x.xpt.tell(new Xpt.RaiseAsync(new AsyncEvent.LostDevice(r.p(0, 0))));
    p.expectNoMessage(QUIET);
  }

  @Test
  void stoppedSubscribersAreDroppedByDeathWatch() {
    Rig r = new Rig();
    TestProbe<DeadLetter> dead = testKit.createTestProbe();
    testKit.system().eventStream().tell(new EventStream.Subscribe<>(DeadLetter.class, dead.getRef()));
    ActorRef<AsyncEvent> sub = testKit.spawn(Behaviors.<AsyncEvent>ignore());
    TestProbe<Xpt.AsyncRegistered> ack = testKit.createTestProbe();
    r.x.xpt.tell(new Xpt.RegisterAsync(EnumSet.of(AsyncCode.AC_UNIT_ATTENTION), CamPath.XPT, sub, ack.getRef()));
    ack.expectMessageClass(Xpt.AsyncRegistered.class, WAIT);
    testKit.stop(sub);
    // wait until the XPT processed the Terminated: a second subscriber's registration is ordered after it
    TestProbe<AsyncEvent> witness = testKit.createTestProbe();
    dead.awaitAssert(
        WAIT,
        () -> {
          TestProbe<Xpt.AsyncRegistered> a2 = testKit.createTestProbe();
          r.x.xpt.tell(new Xpt.RegisterAsync(EnumSet.of(AsyncCode.AC_UNIT_ATTENTION), CamPath.XPT, witness.getRef(), a2.getRef()));
          a2.expectMessageClass(Xpt.AsyncRegistered.class, WAIT);
          r.x.xpt.tell(new Xpt.RaiseAsync(new AsyncEvent.UnitAttention(r.p(0, 0), 0x29, 0)));
          witness.expectMessageClass(AsyncEvent.UnitAttention.class, WAIT);
          dead.expectNoMessage(Duration.ofMillis(100));
          return null;
        });
  }

  @Test
  void devMatchListsBusesInOrderWithTheXptBusLastAndFiltersByPathAndPeriph() {
    Rig r = new Rig();
    r.x.xpt.tell(new Xpt.AddPeriph(r.p(1, 2), "pass", 1));
    r.x.xpt.tell(new Xpt.AddPeriph(r.p(1, 2), "da", 0));
    Ccb.DevMatchResult all = r.x.devMatch(CamPath.XPT);
    assertEquals(2, all.buses().size());
    Ccb.BusMatch b0 = all.buses().get(0);
    assertEquals("fakesim", b0.devName());
    assertEquals(3, b0.devices().size());
    assertEquals(List.of("da0", "pass1"), b0.devices().get(2).periphs()); // newest first
    Ccb.BusMatch xb = all.buses().get(1);
    assertEquals(-1, xb.pathId());
    assertEquals("xpt", xb.devName());
    assertEquals(CamPath.XPT, xb.devices().get(0).path());
    assertEquals(List.of("xpt0"), xb.devices().get(0).periphs());
    assertTrue(xb.devices().get(0).unconfigured());

    assertEquals(1, r.x.devMatch(CamPath.bus(r.b)).buses().size());
    assertEquals(2, r.x.devMatch(CamPath.target(r.b, 1)).buses().get(0).devices().size());
    Ccb.DevMatchResult byPeriph =
        r.run(new Ccb.DevMatch(header(CamPath.XPT, r.done.getRef()), CamPath.XPT, "da")).resultAs(Ccb.DevMatchResult.class);
    assertEquals(1, byPeriph.buses().size());
    assertEquals(r.p(1, 2), byPeriph.buses().get(0).devices().get(0).path());
    Ccb.DevMatchResult byUnit =
        r.run(new Ccb.DevMatch(header(CamPath.XPT, r.done.getRef()), CamPath.XPT, "xpt0")).resultAs(Ccb.DevMatchResult.class);
    assertEquals(-1, byUnit.buses().get(0).pathId());
  }

  @Test
  void gdevlistWalksThePeriphsAsCamcontrolPeriphlistDoes() {
    Rig r = new Rig();
    CamPath path = r.p(0, 0);
    r.x.xpt.tell(new Xpt.AddPeriph(path, "pass", 0));
    r.x.xpt.tell(new Xpt.AddPeriph(path, "da", 0));
    Ccb.GdevListResult first = r.gdevlist(path, 0, 0);
    assertEquals(new Ccb.GdevListResult("da", 0, first.generation(), 1, Ccb.ListStatus.MORE_DEVS), first);
    Ccb.GdevListResult second = r.gdevlist(path, first.index(), first.generation());
    assertEquals(new Ccb.GdevListResult("pass", 0, first.generation(), 2, Ccb.ListStatus.LAST_DEVICE), second);
    assertEquals(Ccb.ListStatus.ERROR, r.gdevlist(path, 2, first.generation()).status());
    // the list changes between two calls: CHANGED, then start over
    r.x.xpt.tell(new Xpt.AddPeriph(path, "ses", 0));
    Ccb.GdevListResult changed = r.gdevlist(path, 1, first.generation());
    assertEquals(Ccb.ListStatus.LIST_CHANGED, changed.status());
    Ccb.GdevListResult again = r.gdevlist(path, 0, changed.generation());
    assertEquals("ses", again.periphName());
    assertTrue(again.generation() > first.generation());
    // xpt0 on the wildcard path
    Ccb.GdevListResult xpt = r.gdevlist(CamPath.XPT, 0, 0);
    assertEquals("xpt", xpt.periphName());
    assertEquals(Ccb.ListStatus.LAST_DEVICE, xpt.status());
  }

  @Test
  void advinfoSetsThePhysicalPathAndAnnouncesIt() {
    Rig r = new Rig();
    CamPath path = r.p(1, 0);
    TestProbe<AsyncEvent> ev = r.x.subscribe(path, EnumSet.of(AsyncCode.AC_ADVINFO_CHANGED));
    ByteString phys = ByteString.fromString("id1,enc@n5000000000000001/type@0/slot@3");
    assertStatus(CamStatus.REQ_CMP, r.run(new Ccb.DevAdvInfo(header(path, r.done.getRef()), Ccb.AdvInfoType.PHYS_PATH, phys)));
    AsyncEvent.AdvInfoChanged ch = ev.expectMessageClass(AsyncEvent.AdvInfoChanged.class, WAIT);
    assertEquals(Ccb.AdvInfoType.PHYS_PATH, ch.type());
    Ccb.AdvInfoResult got =
        r.run(new Ccb.DevAdvInfo(header(path, r.done.getRef()), Ccb.AdvInfoType.PHYS_PATH, ByteString.emptyByteString())).resultAs(Ccb.AdvInfoResult.class);
    assertEquals(phys, got.data());
    assertEquals(phys.utf8String(), r.run(new Ccb.GetDevType(header(path, r.done.getRef()))).resultAs(DeviceInfo.class).physPath());
    Ccb.AdvInfoResult serial =
        r.run(new Ccb.DevAdvInfo(header(path, r.done.getRef()), Ccb.AdvInfoType.SERIAL_NUM, ByteString.emptyByteString())).resultAs(Ccb.AdvInfoResult.class);
    assertEquals("FAKE1L0", serial.data().utf8String());
    assertEquals(16, r.run(new Ccb.DevAdvInfo(header(path, r.done.getRef()), Ccb.AdvInfoType.SCSI_DEVID, ByteString.emptyByteString())).resultAs(Ccb.AdvInfoResult.class).data().size());
    assertStatus(CamStatus.REQ_INVALID, r.run(new Ccb.DevAdvInfo(header(path, r.done.getRef()), Ccb.AdvInfoType.SERIAL_NUM, phys)));
  }

  @Test
  void pathInqAndTransferSettings() {
    Rig r = new Rig();
    Ccb.PathInqResult cpi = r.run(new Ccb.PathInq(header(CamPath.bus(r.b), r.done.getRef()))).resultAs(Ccb.PathInqResult.class);
    assertEquals(3, cpi.maxTarget());
    assertEquals(7, cpi.initiatorId());
    assertEquals("xpt", r.run(new Ccb.PathInq(header(CamPath.XPT, r.done.getRef()))).resultAs(Ccb.PathInqResult.class).devName());

    CamPath path = r.p(0, 0);
    Ccb.TranSettings ts = r.run(new Ccb.GetTranSettings(header(path, r.done.getRef()))).resultAs(Ccb.TranSettings.class);
    assertTrue(ts.tagEnabled());
    assertEquals(6, ts.protocolVersion());
    TestProbe<AsyncEvent> ev = r.x.subscribe(path, EnumSet.of(AsyncCode.AC_TRANSFER_NEG));
    Ccb.TranSettings untagged = new Ccb.TranSettings(ts.transport(), ts.transportVersion(), ts.protocolVersion(), false, 0, 0, 0);
    assertStatus(CamStatus.REQ_CMP, r.run(new Ccb.SetTranSettings(header(path, r.done.getRef()), untagged)));
    assertFalse(ev.expectMessageClass(AsyncEvent.TransferNeg.class, WAIT).settings().tagEnabled());
    Ccb.DevStatsResult stats = r.run(new Ccb.GetDevStats(header(path, r.done.getRef()))).resultAs(Ccb.DevStatsResult.class);
    assertEquals(1, stats.devOpenings()); // tags off: one opening
    assertStatus(CamStatus.REQ_INVALID, r.run(new Ccb.SetTranSettings(header(path, r.done.getRef()), null)));
  }

  @Test
  void deregisteredBusLosesItsDevicesAndAnnouncesItself() {
    Rig r = new Rig();
    TestProbe<AsyncEvent> ev = r.x.subscribe(CamPath.XPT, EnumSet.of(AsyncCode.AC_LOST_DEVICE, AsyncCode.AC_PATH_DEREGISTERED));
    r.x.xpt.tell(new Xpt.DeregisterBus(r.b));
    for (int i = 0; i < 3; i++) {
      ev.expectMessageClass(AsyncEvent.LostDevice.class, WAIT);
    }
    assertEquals(CamPath.bus(r.b), ev.expectMessageClass(AsyncEvent.PathDeregistered.class, WAIT).path());
    assertStatus(CamStatus.PATH_INVALID, r.run(new Ccb.PathInq(header(CamPath.bus(r.b), r.done.getRef()))));
    assertEquals(1, r.x.devMatch(CamPath.XPT).buses().size()); // only the xpt bus
  }

  @Test
  void plainNoopAndUnknownPathsNeverHang() {
    Rig r = new Rig();
    assertStatus(CamStatus.REQ_CMP, r.run(new Ccb.Noop(header(CamPath.XPT, r.done.getRef()))));
    assertStatus(CamStatus.PATH_INVALID, r.run(new Ccb.ResetBus(header(CamPath.bus(7), r.done.getRef()))));
    assertStatus(CamStatus.PATH_INVALID, r.run(new Ccb.PathStats(header(CamPath.bus(7), r.done.getRef()))));
    assertStatus(CamStatus.DEV_NOT_THERE, r.run(new Ccb.GetDevStats(header(r.p(3, 0), r.done.getRef()))));
    assertStatus(CamStatus.REQ_INVALID, r.run(new Ccb.GetDevList(header(CamPath.bus(r.b), r.done.getRef()), 0, 0)));
    assertStatus(CamStatus.DEV_NOT_THERE, r.run(new Ccb.Abort(header(r.p(3, 0), r.done.getRef()), 1)));
  }
}
