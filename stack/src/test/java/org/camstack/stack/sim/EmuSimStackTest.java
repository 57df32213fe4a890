package org.camstack.stack.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.util.ByteString;
import org.camstack.persistence.device.FaultRule;
import org.camstack.stack.ccb.AsyncCode;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.scsi.Cdbs;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.target.Delay;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.testkit.TestStack;
import org.camstack.stack.testkit.TopologyBuilder;
import org.camstack.stack.xpt.AsyncEvent;
import org.camstack.stack.xpt.XptDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The XPT over emulated SIMs and devices: topology, runtime changes, faults through the stack. */
class EmuSimStackTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Duration WAIT = TestStack.TIMEOUT;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static Config oneTarget() {
    return TopologyBuilder.create()
        .bus()
        .maxLun(7)
        .disk(0, 0)
        .disk(0, 1, "size = 8MiB, block-size = 4096")
        .disk(2, 0)
        .build();
  }

  private static Ccb.ScsiIo read10(CamPath path, long lba, int blocks, int blockSize, int timeoutMs, ActorRef<Ccb.Completed> r) {
    Ccb.Header h = new Ccb.Header(TestStack.header(path, r).ccbId(), path, CamPriority.NORMAL, CcbFlags.DIR_IN, timeoutMs, 0, r);
    return new Ccb.ScsiIo(h, Cdbs.read10(lba, blocks, false, false), ByteString.emptyByteString(), blocks * blockSize);
  }

  private static Ccb.ScsiIo tur(CamPath path, ActorRef<Ccb.Completed> r) {
    Ccb.Header h = new Ccb.Header(TestStack.header(path, r).ccbId(), path, CamPriority.NORMAL, CcbFlags.DIR_NONE, 0, 0, r);
    return new Ccb.ScsiIo(h, Cdbs.testUnitReady(), ByteString.emptyByteString(), 0);
  }

  @Test
  void shippedDefaultTopologyComesUpWithTwoBusesDisksAndAnEnclosure() {
    try (TestStack s = TestStack.start(testKit, ConfigFactory.load())) {
      assertEquals(
          List.of(
              s.path(0, 0, 0), s.path(0, 1, 0), s.path(0, 2, 0), s.path(0, 6, 0),
              s.path(1, 0, 0), s.path(1, 3, 0), s.path(1, 5, 0), s.path(1, 5, 3), s.path(1, 5, 7),
              s.path(2, 0, 0), s.path(2, 1, 0), s.path(2, 2, 0),
              CamPath.of(3, 0, 0), CamPath.of(3, 1, 0), CamPath.of(3, 2, 0), CamPath.of(3, 3, 0), CamPath.of(3, 4, 0),
              CamPath.of(3, 5, 0)),
          s.configured());
      DeviceInfo ses = s.action(r -> new Ccb.GetDevType(TestStack.header(s.path(0, 6, 0), r))).resultAs(DeviceInfo.class);
      assertEquals(DeviceInfo.T_ENCLOSURE, ses.deviceType());
      assertEquals("EMU-SES", ses.product());
      // READ CAPACITY(16) of the 2 TiB disk
      CamPath big = s.path(0, 2, 0);
      Ccb.Completed rc =
          s.action(r -> new Ccb.ScsiIo(new Ccb.Header(1, big, CamPriority.NORMAL, CcbFlags.DIR_IN, 0, 0, r), Cdbs.readCapacity16(32), ByteString.emptyByteString(), 32));
      if (!rc.isOk()) { // a pending power-on unit attention comes first
        rc = s.action(r -> new Ccb.ScsiIo(new Ccb.Header(2, big, CamPriority.NORMAL, CcbFlags.DIR_IN | CcbFlags.DEV_QFRZDIS, 0, 0, r), Cdbs.readCapacity16(32), ByteString.emptyByteString(), 32));
      }
      assertEquals(CamStatus.REQ_CMP, rc.status());
      long lastLba = rc.data().asByteBuffer().getLong(0);
      assertEquals((2L << 40) / 512 - 1, lastLba);
    }
  }

  @Test
  void faultsInjectedInTheSimComeBackThroughTheStack() {
    try (TestStack s = TestStack.start(testKit, oneTarget())) {
      CamPath p = s.path(0, 0, 0);
      TestProbe<Ccb.Completed> done = testKit.createTestProbe();
      ActorRef<XptDevice.Command> dev = s.device(p);
      // clear the power-on unit attention (if any) without freezing
      dev.tell(new XptDevice.Action(new Ccb.ScsiIo(new Ccb.Header(1, p, CamPriority.NORMAL, CcbFlags.DIR_NONE | CcbFlags.DEV_QFRZDIS, 0, 0, done.getRef()), Cdbs.testUnitReady(), ByteString.emptyByteString(), 0)));
      done.expectMessageClass(Ccb.Completed.class, WAIT);

      s.simOk(0, r -> new EmuSim.AddFault(0, 0, FaultRule.mediumError("bad", FaultRule.READ, 100, 8).continuous(), r));
      dev.tell(new XptDevice.Action(read10(p, 96, 8, 512, 0, done.getRef())));
      Ccb.Completed c = done.expectMessageClass(Ccb.Completed.class, WAIT);
      assertEquals(CamStatus.SCSI_STATUS_ERROR, c.status());
      assertEquals(ScsiStatus.CHECK_COND, c.scsiStatus());
      assertTrue(c.autosenseValid());
      assertTrue(c.devQueueFrozen());
      assertEquals(Sense.MEDIUM_ERROR, Sense.key(c.sense()));
      assertEquals(0x11, Sense.asc(c.sense()));
      dev.tell(new XptDevice.ReleaseDevq(1, true));
      // outside the range: fine
      dev.tell(new XptDevice.Action(read10(p, 0, 8, 512, 0, done.getRef())));
      assertEquals(CamStatus.REQ_CMP, done.expectMessageClass(Ccb.Completed.class, WAIT).status());

      // list and delete
      StatusReply<List<FaultRule>> list =
          org.apache.pekko.actor.typed.javadsl.AskPattern.<EmuSim.Command, StatusReply<List<FaultRule>>>ask(
                  s.sim(0), r -> new EmuSim.ListFaults(0, 0, r), WAIT, testKit.system().scheduler())
              .toCompletableFuture()
              .join();
      assertEquals("bad", list.getValue().get(0).id());
      s.simOk(0, r -> new EmuSim.DeleteFault(0, 0, "bad", r));
      assertTrue(s.simError(0, r -> new EmuSim.DeleteFault(0, 0, "bad", r)).contains("no fault 'bad'"));

      // busy, once
      s.simOk(0, r -> new EmuSim.AddFault(0, 0, FaultRule.busy("b", FaultRule.ANY), r));
      dev.tell(new XptDevice.Action(read10(p, 0, 1, 512, 0, done.getRef())));
      Ccb.Completed busy = done.expectMessageClass(Ccb.Completed.class, WAIT);
      assertEquals(CamStatus.SCSI_STATUS_ERROR, busy.status());
      assertEquals(ScsiStatus.BUSY, busy.scsiStatus());
      dev.tell(new XptDevice.ReleaseDevq(1, true));

      // the device never answers: the CCB's own timeout completes it
      s.simOk(0, r -> new EmuSim.AddFault(0, 0, FaultRule.timeout("t", FaultRule.READ), r));
      dev.tell(new XptDevice.Action(read10(p, 0, 1, 512, 200, done.getRef())));
      Ccb.Completed to = done.expectMessageClass(Ccb.Completed.class, WAIT);
      assertEquals(CamStatus.CMD_TIMEOUT, to.status());
      assertTrue(to.devQueueFrozen());
      dev.tell(new XptDevice.ReleaseDevq(1, true));
      dev.tell(new XptDevice.Action(read10(p, 0, 1, 512, 0, done.getRef())));
      assertEquals(CamStatus.REQ_CMP, done.expectMessageClass(Ccb.Completed.class, WAIT).status());
    }
  }

  @Test
  void injectedDelayCompletesLaterButOnce() {
    try (TestStack s = TestStack.start(testKit, oneTarget())) {
      CamPath p = s.path(0, 2, 0);
      s.simOk(0, r -> new EmuSim.SetDelay(2, 0, Delay.fixed(Duration.ofMillis(30).toNanos()), r));
      TestProbe<Ccb.Completed> done = testKit.createTestProbe();
      ActorRef<XptDevice.Command> dev = s.device(p);
      long t0 = System.nanoTime();
      for (int i = 0; i < 3; i++) {
        dev.tell(new XptDevice.Action(new Ccb.ScsiIo(new Ccb.Header(10 + i, p, CamPriority.NORMAL, CcbFlags.DIR_IN | CcbFlags.DEV_QFRZDIS, 0, 0, done.getRef()), Cdbs.read10(0, 1, false, false), ByteString.emptyByteString(), 512)));
      }
      List<Ccb.Completed> cs = done.receiveSeveralMessages(3, WAIT);
      assertTrue(System.nanoTime() - t0 >= Duration.ofMillis(30).toNanos());
      assertEquals(Set.of(10L, 11L, 12L), Set.copyOf(cs.stream().map(c -> c.ccb().ccbId()).toList()));
      done.expectNoMessage(Duration.ofMillis(100));
      s.simOk(0, r -> new EmuSim.SetDelay(2, 0, Delay.NONE, r));
    }
  }

  @Test
  void pulledTargetAnswersSelectionTimeoutAndTheHbaRescanLosesIt() {
    Config topo = TopologyBuilder.create().bus().rescanOnChange(false).disk(0, 0).disk(3, 0).disk(3, 1).build();
    try (TestStack s = TestStack.start(testKit, topo)) {
      TestProbe<AsyncEvent> ev = s.subscribe(CamPath.target(s.pathId(0), 3), EnumSet.of(AsyncCode.AC_LOST_DEVICE));
      s.simOk(0, r -> new EmuSim.RemoveTarget(3, r));
      Ccb.Completed c = s.action(r -> tur(s.path(0, 3, 0), r));
      assertEquals(CamStatus.SEL_TIMEOUT, c.status());
      assertTrue(c.devQueueFrozen());
      s.device(s.path(0, 3, 0)).tell(new XptDevice.ReleaseDevq(1, true)); // as the periph would
      s.scanAll();
      assertEquals(Set.of(s.path(0, 3, 0), s.path(0, 3, 1)),
          Set.of(ev.expectMessageClass(AsyncEvent.LostDevice.class, WAIT).path(), ev.expectMessageClass(AsyncEvent.LostDevice.class, WAIT).path()));
      assertEquals(List.of(s.path(0, 0, 0)), s.configured());
    }
  }

  @Test
  void hotPluggedAndPulledTargetsAreRescannedByTheHba() {
    try (TestStack s = TestStack.start(testKit, oneTarget())) {
      TestProbe<AsyncEvent> ev = s.subscribe(CamPath.target(s.pathId(0), 5), EnumSet.of(AsyncCode.AC_FOUND_DEVICE, AsyncCode.AC_LOST_DEVICE));
      s.simOk(0, r -> new EmuSim.AddTarget(5, List.of(LunSpec.disk(0, 2048, 512), LunSpec.disk(2, 2048, 512)), r));
      Set<CamPath> found = Set.of(ev.expectMessageClass(AsyncEvent.FoundDevice.class, WAIT).path(), ev.expectMessageClass(AsyncEvent.FoundDevice.class, WAIT).path());
      assertEquals(Set.of(s.path(0, 5, 0), s.path(0, 5, 2)), found);
      s.simOk(0, r -> new EmuSim.RemoveTarget(5, r));
      ev.expectMessageClass(AsyncEvent.LostDevice.class, WAIT);
      ev.expectMessageClass(AsyncEvent.LostDevice.class, WAIT);
      assertFalse(s.configured().contains(s.path(0, 5, 0)));
    }
  }

  /** EXTENDED COPY finds LUNs across targets through the inventory: a plugged target is linked too. */
  @Test
  void aHotPluggedTargetIsLinkedToTheInventory() {
    try (TestStack s = TestStack.start(testKit, oneTarget())) {
      org.camstack.stack.target.TargetInventory inv = s.stack().targets();
      assertSame(inv, inv.target(s.pathId(0), 0).inventory());
      LunSpec spec = LunSpec.disk(0, 2048, 512).withIdentity("PLUGGED5", LunSpec.defaultWwn(9, 5, 0));
      s.simOk(0, r -> new EmuSim.AddTarget(5, List.of(spec), r));
      org.camstack.stack.target.EmuDevice plugged = inv.lun(s.pathId(0), 5, 0);
      assertSame(inv, plugged.target().inventory());
      assertSame(plugged, inv.lunByNaa(spec.wwnValue()));
    }
  }

  @Test
  void lunPlugAndPullChangeReportLunsAndARescanFollows() {
    try (TestStack s = TestStack.start(testKit, oneTarget())) {
      TestProbe<AsyncEvent> ev = s.subscribe(CamPath.target(s.pathId(0), 0), EnumSet.of(AsyncCode.AC_FOUND_DEVICE, AsyncCode.AC_LOST_DEVICE));
      ev.receiveSeveralMessages(2); // replay of LUNs 0 and 1
      s.simOk(0, r -> new EmuSim.AddLun(0, LunSpec.disk(4, 2048, 512), r));
      // LUN 0 now holds UA 3F/0E: its re-probe (TUR first) sees it and rescans the target
      assertEquals(CamStatus.REQ_CMP, s.action(r -> new Ccb.ScanLun(TestStack.header(s.path(0, 0, 0), r), false)).status());
      assertEquals(s.path(0, 0, 4), ev.expectMessageClass(AsyncEvent.FoundDevice.class, WAIT).path());

      s.simOk(0, r -> new EmuSim.RemoveLun(0, 1, r));
      assertEquals(CamStatus.REQ_CMP, s.action(r -> new Ccb.ScanTarget(TestStack.header(CamPath.target(s.pathId(0), 0), r))).status());
      assertEquals(s.path(0, 0, 1), ev.expectMessageClass(AsyncEvent.LostDevice.class, WAIT).path());
      assertEquals(List.of(s.path(0, 0, 0), s.path(0, 0, 4), s.path(0, 2, 0)), s.configured());
    }
  }

  @Test
  void busResetAndResizeReachTheDevicesAsUnitAttentions() {
    try (TestStack s = TestStack.start(testKit, oneTarget())) {
      CamPath p = s.path(0, 2, 0);
      TestProbe<AsyncEvent> ev = s.subscribe(CamPath.bus(s.pathId(0)), EnumSet.of(AsyncCode.AC_BUS_RESET));
      s.simOk(0, r -> new EmuSim.ResetBus(r));
      assertEquals(CamPath.bus(s.pathId(0)), ev.expectMessageClass(AsyncEvent.BusReset.class, WAIT).path());
      Ccb.Completed c = s.action(r -> tur(p, r));
      assertEquals(Sense.UNIT_ATTENTION, Sense.key(c.sense()));
      assertEquals(0x29, Sense.asc(c.sense()));
      assertEquals(0x02, Sense.ascq(c.sense()));
      s.device(p).tell(new XptDevice.ReleaseDevq(1, true));

      s.simOk(0, r -> new EmuSim.ResizeLun(2, 0, 4096, r));
      Ccb.Completed c2 = s.action(r -> tur(p, r));
      assertEquals(0x2a, Sense.asc(c2.sense()));
      assertEquals(0x09, Sense.ascq(c2.sense()));
    }
  }

  @Test
  void simControlMessagesRefuseBadRequestsWithOneLineErrors() {
    try (TestStack s = TestStack.start(testKit, oneTarget())) {
      assertTrue(s.simError(0, r -> new EmuSim.AddLun(9, LunSpec.disk(0, 100, 512), r)).contains("no target 9"));
      assertTrue(s.simError(0, r -> new EmuSim.AddLun(0, LunSpec.disk(1, 100, 512), r)).contains("already has lun 1"));
      assertTrue(s.simError(0, r -> new EmuSim.AddLun(0, LunSpec.disk(9, 100, 512), r)).contains("max-lun"));
      assertTrue(s.simError(0, r -> new EmuSim.RemoveLun(0, 5, r)).contains("no lun 0:5"));
      assertTrue(s.simError(0, r -> new EmuSim.AddTarget(7, List.of(), r)).contains("initiator"));
      assertTrue(s.simError(0, r -> new EmuSim.AddTarget(0, List.of(), r)).contains("already present"));
      assertTrue(s.simError(0, r -> new EmuSim.RemoveTarget(4, r)).contains("no target 4"));
      assertTrue(s.simError(0, r -> new EmuSim.ResizeLun(0, 3, 10, r)).contains("no disk"));
      assertTrue(s.simError(0, r -> new EmuSim.SetDelay(1, 0, Delay.NONE, r)).contains("no lun 1:0"));
    }
  }

  @Test
  void badTopologiesAreRefusedWithOneLineMessages() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Topology.fromConfig(TopologyBuilder.create().bus().initiatorId(3).disk(3, 0).build()));
    assertTrue(e.getMessage().contains("target 3"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Topology.fromConfig(TopologyBuilder.create().bus().maxLun(3).disk(0, 5).build()));
    assertTrue(e.getMessage().contains("max-lun"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Topology.fromConfig(TopologyBuilder.create().bus().disk(0, 0, "size = 1000").build()));
    assertTrue(e.getMessage().contains("block-size"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @Test
  void sequentialScanHbaAndEnclosureSlotsWork() {
    Config topo =
        TopologyBuilder.create().bus().seqScan(true).disk(0, 0, "size = 1MiB, enclosure-slot = 0").disk(1, 0, "size = 1MiB, enclosure-slot = 3").enclosure(4, 0, 4).build();
    try (TestStack s = TestStack.start(testKit, topo)) {
      assertEquals(List.of(s.path(0, 0, 0), s.path(0, 1, 0), s.path(0, 4, 0)), s.configured());
      // RECEIVE DIAGNOSTIC RESULTS page 0x02 through the stack
      CamPath ses = s.path(0, 4, 0);
      Ccb.Completed c = s.action(r -> new Ccb.ScsiIo(new Ccb.Header(1, ses, CamPriority.NORMAL, CcbFlags.DIR_IN | CcbFlags.DEV_QFRZDIS, 0, 0, r), Cdbs.receiveDiagnostic(true, 0x02, 1024), ByteString.emptyByteString(), 1024));
      if (!c.isOk()) {
        c = s.action(r -> new Ccb.ScsiIo(new Ccb.Header(2, ses, CamPriority.NORMAL, CcbFlags.DIR_IN | CcbFlags.DEV_QFRZDIS, 0, 0, r), Cdbs.receiveDiagnostic(true, 0x02, 1024), ByteString.emptyByteString(), 1024));
      }
      assertEquals(CamStatus.REQ_CMP, c.status());
      assertEquals(0x02, c.data().apply(0) & 0xff);
    }
  }

  /** Element status code of array device slot {@code slot} in SES page 0x02, read through the stack. */
  private static int slotStatus(TestStack s, CamPath ses, int slot) {
    Ccb.Completed c = null;
    for (int attempt = 0; attempt < 3 && (c == null || !c.isOk()); attempt++) { // a pending UA first
      int id = 100 + attempt;
      c = s.action(r -> new Ccb.ScsiIo(new Ccb.Header(id, ses, CamPriority.NORMAL, CcbFlags.DIR_IN | CcbFlags.DEV_QFRZDIS, 0, 0, r),
          Cdbs.receiveDiagnostic(true, 0x02, 1024), ByteString.emptyByteString(), 1024));
    }
    assertEquals(CamStatus.REQ_CMP, c.status());
    return c.data().apply(8 + 4 + 4 * slot) & 0x0f; // header, overall slot element, then the slots
  }

  @Test
  void aDiskPulledAndPluggedBackIntoItsSlotIsInstalledAgain() {
    Config topo = TopologyBuilder.create().bus().disk(0, 0, "size = 1MiB, enclosure-slot = 2").enclosure(4, 0, 4).build();
    try (TestStack s = TestStack.start(testKit, topo)) {
      CamPath ses = s.path(0, 4, 0);
      assertEquals(0x01, slotStatus(s, ses, 2)); // OK
      s.simOk(0, r -> new EmuSim.RemoveLun(0, 0, r));
      assertEquals(0x05, slotStatus(s, ses, 2)); // not installed
      // plugged back as the API does: same identity, no slot named
      LunSpec back = LunSpec.disk(0, 2048, 512).withIdentity(LunSpec.defaultSerial(0, 0, 0), LunSpec.defaultWwn(0, 0, 0));
      s.simOk(0, r -> new EmuSim.AddLun(0, back, r));
      assertEquals(0x01, slotStatus(s, ses, 2));
      assertEquals(0x05, slotStatus(s, ses, 1));
      // another disk naming no slot stays out of the enclosure
      s.simOk(0, r -> new EmuSim.AddLun(0, LunSpec.disk(1, 2048, 512), r));
      assertEquals(0x05, slotStatus(s, ses, 0));
    }
  }
}
