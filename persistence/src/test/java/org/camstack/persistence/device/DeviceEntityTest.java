package org.camstack.persistence.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.camstack.persistence.device.DeviceEntity.Command;
import org.camstack.persistence.device.DeviceEntity.Configured;
import org.camstack.persistence.device.DeviceEntity.Event;
import org.camstack.persistence.device.DeviceEntity.State;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** DeviceEntity on the in-memory journal; the testkit serializes every command, event and state. */
@ExtendWith(LogCapturingExtension.class)
class DeviceEntityTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create(EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));

  private static final String WWN = "naa.5000c50000000001";
  private static final DeviceConfig DISK = DeviceConfig.disk(0, 1, 0, "S001", 2048, 512);
  private static final DeviceConfig CD =
      new DeviceConfig(0, 2, 0, DeviceConfig.TYPE_CDROM, "CAMSTACK", "EMU CD", "0001", "C1", 1000,
          2048, "ram", true, "", -1);

  private final EventSourcedBehaviorTestKit<Command, Event, State> entity =
      EventSourcedBehaviorTestKit.create(testKit.system(), DeviceEntity.create(WWN, 5));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void clearJournal() {
    entity.clear();
  }

  private CommandResultWithReply<Command, Event, State, StatusReply<Done>> run(
      java.util.function.Function<org.apache.pekko.actor.typed.ActorRef<StatusReply<Done>>, Command>
          cmd) {
    return entity.runCommand(cmd);
  }

  private Configured created(DeviceConfig config) {
    var r = run(rt -> new DeviceEntity.Create(config, rt));
    assertTrue(r.reply().isSuccess());
    return (Configured) r.state();
  }

  @Test
  void createPersistsTheConfigurationAndIsIdempotent() {
    var r = run(rt -> new DeviceEntity.Create(DISK, rt));
    assertEquals(new DeviceEntity.DeviceCreated(DISK), r.event());
    Configured s = (Configured) r.state();
    assertEquals(2048, s.blocks());
    assertEquals(512, s.blockSize());
    assertFalse(s.plugged());

    var again = run(rt -> new DeviceEntity.Create(DISK, rt));
    assertTrue(again.reply().isSuccess());
    assertTrue(again.hasNoEvents());

    var other = run(rt -> new DeviceEntity.Create(CD, rt));
    assertTrue(other.reply().isError());
    assertTrue(other.reply().getError().getMessage().startsWith(WWN + ": already created"));
  }

  @Test
  void anExpandersPhyStateIsIdempotentAndSurvivesARecovery() {
    created(DISK);
    var off = run(rt -> new DeviceEntity.SetPhyEnabled(3, false, rt));
    assertEquals(new DeviceEntity.PhyStateChanged(3, false), off.event());
    assertTrue(run(rt -> new DeviceEntity.SetPhyEnabled(3, false, rt)).hasNoEvents());
    assertTrue(run(rt -> new DeviceEntity.SetPhyEnabled(5, true, rt)).hasNoEvents(), "enabled already");
    run(rt -> new DeviceEntity.SetPhyEnabled(1, false, rt));
    assertEquals(java.util.List.of(1, 3), ((Configured) entity.restart().state()).disabledPhys());

    var on = run(rt -> new DeviceEntity.SetPhyEnabled(3, true, rt));
    assertEquals(new DeviceEntity.PhyStateChanged(3, true), on.event());
    assertEquals(java.util.List.of(1), ((Configured) on.state()).disabledPhys());
    var bad = run(rt -> new DeviceEntity.SetPhyEnabled(256, false, rt));
    assertEquals(WWN + ": phy 256 is not a phy number (0..255)", bad.reply().getError().getMessage());
    assertTrue(bad.hasNoEvents());
  }

  @Test
  void commandsBeforeCreateAreRefusedWithAnError() {
    var r = run(DeviceEntity.Plug::new);
    assertTrue(r.reply().isError());
    assertEquals(WWN + ": device not created", r.reply().getError().getMessage());
    assertTrue(r.hasNoEvents());

    CommandResultWithReply<Command, Event, State, StatusReply<UnitAttention>> ua =
        entity.runCommand(rt -> new DeviceEntity.PostUnitAttention("*", 0x29, 0, "reset", rt));
    assertTrue(ua.reply().isError());
  }

  @Test
  void plugAndUnplugAreIdempotent() {
    created(DISK);
    assertEquals(new DeviceEntity.DevicePlugged(), run(DeviceEntity.Plug::new).event());
    assertTrue(run(DeviceEntity.Plug::new).hasNoEvents());
    var unplug = run(rt -> new DeviceEntity.Unplug("yanked", rt));
    assertEquals(new DeviceEntity.DeviceUnplugged("yanked"), unplug.event());
    assertFalse(((Configured) unplug.state()).plugged());
    var again = run(rt -> new DeviceEntity.Unplug("yanked", rt));
    assertTrue(again.reply().isSuccess());
    assertTrue(again.hasNoEvents());
  }

  @Test
  void capacityChangePostsCapacityDataHasChangedAtomically() {
    created(DISK);
    var r = run(rt -> new DeviceEntity.ChangeCapacity(4096, 0, rt));
    assertEquals(2, r.events().size());
    assertEquals(new DeviceEntity.CapacityChanged(4096, 0), r.events().get(0));
    Configured s = (Configured) r.state();
    assertEquals(4096, s.blocks());
    assertEquals(512, s.blockSize());
    UnitAttention ua = s.unitAttentions().get(0);
    assertEquals(0x2a, ua.asc());
    assertEquals(0x09, ua.ascq());
    assertEquals(UnitAttention.ALL_INITIATORS, ua.initiator());

    assertTrue(run(rt -> new DeviceEntity.ChangeCapacity(4096, 512, rt)).hasNoEvents());
    assertTrue(run(rt -> new DeviceEntity.ChangeCapacity(-1, 0, rt)).reply().isError());
  }

  @Test
  void mediaStateFollowsStartStopLoadEjectAndPrevent() {
    created(CD);
    assertEquals(new DeviceEntity.MediumStopped(), run(DeviceEntity.StopUnit::new).event());
    assertTrue(run(DeviceEntity.StopUnit::new).hasNoEvents());
    run(rt -> new DeviceEntity.PreventRemoval(true, rt));
    var refused = run(DeviceEntity.EjectMedium::new);
    assertEquals(WWN + ": medium removal prevented", refused.reply().getError().getMessage());
    run(rt -> new DeviceEntity.PreventRemoval(false, rt));
    assertEquals(new DeviceEntity.MediumEjected(), run(DeviceEntity.EjectMedium::new).event());
    var load = run(DeviceEntity.LoadMedium::new);
    assertEquals(new DeviceEntity.MediumLoaded(), load.events().get(0));
    assertEquals(0x28, ((Configured) load.state()).unitAttentions().get(0).asc());
    var start = run(DeviceEntity.StartUnit::new);
    assertEquals(new DeviceEntity.Media(true, true, false), ((Configured) start.state()).media());
  }

  @Test
  void ejectingANonRemovableMediumIsAnError() {
    created(DISK);
    assertTrue(run(DeviceEntity.EjectMedium::new).reply().isError());
    assertTrue(run(DeviceEntity.LoadMedium::new).reply().isError());
  }

  @Test
  void modePagesAreKeptAsHexByPageCode() {
    created(DISK);
    var r = run(rt -> new DeviceEntity.ChangeModePage(0x08, 0, "0812A4", rt));
    assertEquals(new DeviceEntity.ModePageChanged(8, 0, "0812a4"), r.event());
    run(rt -> new DeviceEntity.ChangeModePage(0x1c, 0x01, "1c01", rt));
    Configured s = (Configured) run(rt -> new DeviceEntity.ChangeModePage(8, 0, "0812a4", rt)).state();
    assertEquals(Map.of("08", "0812a4", "1c/01", "1c01"), s.modePages());
    assertTrue(run(rt -> new DeviceEntity.ChangeModePage(8, 0, "xyz", rt)).reply().isError());
    assertEquals(
        Map.of(), ((Configured) run(DeviceEntity.ResetModePages::new).state()).modePages());
  }

  @Test
  void spc2ReservationConflictsForOtherInitiators() {
    created(DISK);
    assertEquals(new DeviceEntity.UnitReserved("iqn.a"), run(rt -> new DeviceEntity.Reserve("iqn.a", rt)).event());
    assertTrue(run(rt -> new DeviceEntity.Reserve("iqn.a", rt)).hasNoEvents());
    var conflict = run(rt -> new DeviceEntity.Reserve("iqn.b", rt));
    assertEquals(
        WWN + ": reservation conflict: held by iqn.a", conflict.reply().getError().getMessage());
    var foreignRelease = run(rt -> new DeviceEntity.Release("iqn.b", rt));
    assertTrue(foreignRelease.reply().isSuccess());
    assertTrue(foreignRelease.hasNoEvents());
    var release = run(rt -> new DeviceEntity.Release("iqn.a", rt));
    assertEquals("", ((Configured) release.state()).reservations().holder());
  }

  @Test
  void persistentReservationsRegisterReservePreemptAndClear() {
    created(DISK);
    run(rt -> new DeviceEntity.PrRegister("iqn.a", 0xAAL, rt));
    run(rt -> new DeviceEntity.PrRegister("iqn.b", 0xBBL, rt));
    assertTrue(run(rt -> new DeviceEntity.PrReserve("iqn.c", 0xCCL, 1, rt)).reply().isError());
    var reserve = run(rt -> new DeviceEntity.PrReserve("iqn.a", 0xAAL, 1, rt));
    assertEquals(new DeviceEntity.PrReserved("iqn.a", 0xAAL, 1), reserve.event());
    assertTrue(run(rt -> new DeviceEntity.PrReserve("iqn.b", 0xBBL, 1, rt)).reply().isError());

    var preempt = run(rt -> new DeviceEntity.PrPreempt("iqn.b", 0xBBL, 0xAAL, 3, rt));
    DeviceEntity.Reservations r = ((Configured) preempt.state()).reservations();
    assertEquals("iqn.b", r.prHolder());
    assertEquals(3, r.prType());
    assertEquals(Map.of("iqn.b", 0xBBL), r.prKeys());
    assertEquals(3, r.prGeneration());

    var clear = run(rt -> new DeviceEntity.PrClear("iqn.b", 0xBBL, rt));
    r = ((Configured) clear.state()).reservations();
    assertEquals(Map.of(), r.prKeys());
    assertEquals("", r.prHolder());
  }

  @Test
  void unregisteringTheHolderReleasesThePersistentReservation() {
    created(DISK);
    run(rt -> new DeviceEntity.PrRegister("iqn.a", 7, rt));
    run(rt -> new DeviceEntity.PrReserve("iqn.a", 7, 5, rt));
    var unreg = run(rt -> new DeviceEntity.PrRegister("iqn.a", 0, rt));
    assertEquals(new DeviceEntity.PrKeyUnregistered("iqn.a"), unreg.event());
    assertEquals("", ((Configured) unreg.state()).reservations().prHolder());
    assertTrue(run(rt -> new DeviceEntity.PrRegister("iqn.a", 0, rt)).hasNoEvents());
  }

  @Test
  void faultRulesAndDelaysAreKeptAndOneShotRulesAreConsumed() {
    created(DISK);
    FaultRule medium =
        new FaultRule("r1", "error", "read", 100, 199, true, "f0000300000000000000000011000000");
    FaultRule busy = new FaultRule("r2", "busy", "any", 0, Long.MAX_VALUE, false, "");
    run(rt -> new DeviceEntity.AddFaultRule(medium, rt));
    run(rt -> new DeviceEntity.AddFaultRule(busy, rt));
    assertTrue(run(rt -> new DeviceEntity.AddFaultRule(busy, rt)).hasNoEvents());
    var delay = run(rt -> new DeviceEntity.SetDelay("write", 1500, rt));
    assertEquals(Map.of("write", 1500L), ((Configured) delay.state()).delays());

    assertTrue(run(rt -> new DeviceEntity.ConsumeFaultRule("r2", rt)).reply().isError());
    var consumed = run(rt -> new DeviceEntity.ConsumeFaultRule("r1", rt));
    assertEquals(new DeviceEntity.FaultRuleConsumed("r1"), consumed.event());
    assertEquals(List.of(busy), ((Configured) consumed.state()).faultRules());
    assertTrue(run(rt -> new DeviceEntity.ConsumeFaultRule("r1", rt)).hasNoEvents());

    var cleared = run(DeviceEntity.ClearFaultRules::new);
    assertEquals(List.of(), ((Configured) cleared.state()).faultRules());
    assertEquals(Map.of(), ((Configured) cleared.state()).delays());
  }

  @Test
  void unitAttentionsArePostedWithIdsAndConsumedOnce() {
    created(DISK);
    CommandResultWithReply<Command, Event, State, StatusReply<UnitAttention>> posted =
        entity.runCommand(rt -> new DeviceEntity.PostUnitAttention("", 0x29, 0x00, "power on", rt));
    UnitAttention ua = posted.reply().getValue();
    assertEquals(new UnitAttention(1, "*", 0x29, 0, "power on"), ua);
    var consume = run(rt -> new DeviceEntity.ConsumeUnitAttention(ua.id(), rt));
    assertEquals(new DeviceEntity.UnitAttentionConsumed(1), consume.event());
    assertTrue(run(rt -> new DeviceEntity.ConsumeUnitAttention(ua.id(), rt)).hasNoEvents());
    CommandResultWithReply<Command, Event, State, StatusReply<UnitAttention>> next =
        entity.runCommand(rt -> new DeviceEntity.PostUnitAttention("iqn.a", 0x2a, 1, "mode", rt));
    assertEquals(2, next.reply().getValue().id());
  }

  @Test
  void pendingUnitAttentionsSurviveRestart() {
    created(DISK);
    entity.<StatusReply<UnitAttention>>runCommand(
        rt -> new DeviceEntity.PostUnitAttention("*", 0x29, 0, "power on", rt));
    run(rt -> new DeviceEntity.ChangeCapacity(10, 4096, rt));
    Configured before = (Configured) entity.getState();
    assertEquals(before, entity.restart().state());
    assertEquals(2, before.unitAttentions().size());
  }

  @Test
  void reconfigurePostsInquiryDataHasChangedAndResizes() {
    created(DISK);
    DeviceConfig bigger = DeviceConfig.disk(0, 1, 0, "S001", 8192, 4096);
    var r = run(rt -> new DeviceEntity.Reconfigure(bigger, rt));
    Configured s = (Configured) r.state();
    assertEquals(bigger, s.config());
    assertEquals(8192, s.blocks());
    assertEquals(4096, s.blockSize());
    assertEquals(0x3f, s.unitAttentions().get(0).asc());
    assertTrue(run(rt -> new DeviceEntity.Reconfigure(bigger, rt)).hasNoEvents());
  }

  @Test
  void decommissionIsTerminalUntilCreatedAgain() {
    created(DISK);
    var d = run(rt -> new DeviceEntity.Decommission("removed from topology", rt));
    assertEquals(new DeviceEntity.Decommissioned("removed from topology", DISK), d.state());
    assertTrue(run(rt -> new DeviceEntity.Decommission("again", rt)).hasNoEvents());
    var refused = run(DeviceEntity.Plug::new);
    assertEquals(WWN + ": device is decommissioned", refused.reply().getError().getMessage());
    var back = run(rt -> new DeviceEntity.Create(CD, rt));
    assertEquals(Configured.fresh(CD), back.state());
  }

  @Test
  void getRepliesInEveryPhase() {
    CommandResultWithReply<Command, Event, State, StatusReply<State>> get =
        entity.runCommand(DeviceEntity.Get::new);
    assertInstanceOf(DeviceEntity.Unconfigured.class, get.reply().getValue());
    created(DISK);
    get = entity.runCommand(DeviceEntity.Get::new);
    assertInstanceOf(Configured.class, get.reply().getValue());
  }

  @Test
  void longHistoryRecoversFromASnapshot() {
    created(DISK);
    for (int i = 0; i < 12; i++) {
      final int n = i;
      run(rt -> new DeviceEntity.SetDelay("read", n + 1, rt));
    }
    Configured before = (Configured) entity.getState();
    var snapshots = entity.snapshotTestKit().orElseThrow();
    // 13 events with snapshotEvery(5): snapshots at 5 and 10
    var snap = snapshots.expectNextPersistedClass(DeviceEntity.persistenceId(WWN).id(), State.class);
    assertInstanceOf(Configured.class, snap);
    assertEquals(before, entity.restart().state());
  }

  @Test
  void deviceKeysThatLookLikeUnitNamesAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> DeviceEntity.create("da3"));
    assertThrows(IllegalArgumentException.class, () -> DeviceEntity.create("pass12"));
    assertThrows(IllegalArgumentException.class, () -> DeviceEntity.create("a|b"));
    assertEquals("CamDevice|" + WWN, DeviceEntity.persistenceId(WWN).id());
  }

  @Test
  void everyCommandHasAHandler() throws Exception {
    // Java 17 has no exhaustive switch over sealed types: check the on<Command> convention.
    var handlers = new java.util.HashSet<String>();
    for (var m : DeviceEntity.class.getDeclaredMethods()) {
      handlers.add(m.getName());
    }
    List<String> inline = List.of("Create", "Get", "Decommission");
    for (Class<?> c : Command.class.getPermittedSubclasses()) {
      if (!inline.contains(c.getSimpleName())) {
        assertTrue(handlers.contains("on" + c.getSimpleName()), "no handler for " + c);
      }
    }
  }
}
