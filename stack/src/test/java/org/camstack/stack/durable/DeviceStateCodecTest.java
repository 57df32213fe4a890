package org.camstack.stack.durable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.util.ByteString;
import org.camstack.persistence.device.DeviceConfig;
import org.camstack.persistence.device.DeviceEntity;
import org.camstack.persistence.device.FaultRule;
import org.camstack.stack.target.Delay;
import org.camstack.stack.target.EmuDisk;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.target.UnitAttentionSnapshot;
import org.junit.jupiter.api.Test;

/** The conversions between emulated devices and their journal, without a journal. */
class DeviceStateCodecTest {

  private static final LunSpec SPEC = LunSpec.parse("lun = 3, blocks = 4096, removable = true, rotation-rate = 7200, wwn = \"5000c50000000abc\"");

  @Test
  void aLunAndItsJournalConfigurationConvertBothWays() {
    DeviceConfig c = DeviceStateCodec.config(2, 5, SPEC);
    assertEquals(2, c.bus());
    assertEquals(5, c.target());
    assertEquals("ram", c.storeKind());
    assertEquals("naa.5000c50000000abc", DeviceStateCodec.deviceKey(SPEC));
    assertEquals(SPEC, DeviceStateCodec.spec(c, "naa.5000c50000000abc", 3, 4096, SPEC));
    LunSpec bare = DeviceStateCodec.spec(c, "naa.5000c50000000abc", 3, 8192, null);
    assertEquals(8192, bare.blocks());
    assertEquals(0, bare.rotationRate()); // not in the journal configuration: the default
    assertEquals(SPEC.withStore(LunSpec.StoreKind.FILE, "/tmp/x.img"),
        DeviceStateCodec.spec(DeviceStateCodec.config(2, 5, SPEC.withStore(LunSpec.StoreKind.FILE, "/tmp/x.img")),
            "naa.5000c50000000abc", 3, 4096, SPEC));
  }

  @Test
  void everyKindOfFaultRuleSurvivesTheJournal() {
    List<FaultRule> rules =
        List.of(
            FaultRule.mediumError("m", FaultRule.READ, 100, 8),
            FaultRule.mediumError("m2", FaultRule.WRITE, 0, 1).continuous(),
            FaultRule.unitAttention("u", FaultRule.ANY, 0x29, 0x00).continuous(),
            FaultRule.abortedCommand("a", FaultRule.ANY),
            FaultRule.busy("b", FaultRule.WRITE).continuous().onLbas(10, 10),
            FaultRule.taskSetFull("q", FaultRule.ANY).continuous(),
            FaultRule.timeout("t", FaultRule.READ),
            FaultRule.customSense("c", FaultRule.ANY, 0x0b, 0x47, 0x03).continuous());
    EmuDisk d = new EmuDisk(SPEC);
    for (FaultRule r : rules) {
      d.addFault(r); // the device implements every kind the factories build
    }
    assertEquals(rules, DeviceStateCodec.view(d).faults(), "the journal keeps the device's rules as they are");
    assertEquals("medium-error", rules.get(0).kind());
    assertTrue(rules.get(0).oneShot());
    assertEquals(Long.MAX_VALUE, rules.get(3).lbaLast());
    // the sense data is what Sense.fixed builds, so entries journaled before the types merged match
    assertEquals(
        java.util.HexFormat.of().formatHex(org.camstack.stack.scsi.Sense.fixed(0x0b, 0x47, 0x03).toArray()),
        rules.get(7).senseHex());
    assertEquals(0x0b, rules.get(7).senseKey());
    assertEquals(0x47, rules.get(7).asc());
    assertEquals(0x03, rules.get(7).ascq());
    assertEquals(-1, rules.get(0).asc());
  }

  @Test
  void aDelayIsItsFixedAndRandomMicroseconds() {
    Delay d = Delay.uniform(50_000, 75_000);
    assertEquals(Map.of("any", 50L, "any-random", 25L), DeviceStateCodec.delays(d));
    assertEquals(d, DeviceStateCodec.delay(DeviceStateCodec.delays(d)));
    assertEquals(Map.of(), DeviceStateCodec.delays(Delay.NONE));
    assertEquals(Delay.NONE, DeviceStateCodec.delay(Map.of()));
  }

  @Test
  void unitAttentionsKeepTheirInitiatorsAndOrder() {
    UnitAttentionSnapshot s =
        new UnitAttentionSnapshot(
            List.of(
                new UnitAttentionSnapshot.Posted(0x2a09, new TreeSet<>()),
                new UnitAttentionSnapshot.Posted(0x3f0e, new TreeSet<>(Set.of(3, 7)))),
            Map.of(7, List.of(0x3f0e, 0x2a09), 3, List.of(0x2901)));
    List<DeviceStateCodec.UaEntry> e = DeviceStateCodec.uaEntries(s);
    assertEquals(
        List.of(
            new DeviceStateCodec.UaEntry("*", 0x2a, 0x09),
            new DeviceStateCodec.UaEntry("*!3,7", 0x3f, 0x0e),
            new DeviceStateCodec.UaEntry("3", 0x29, 0x01),
            new DeviceStateCodec.UaEntry("7", 0x3f, 0x0e),
            new DeviceStateCodec.UaEntry("7", 0x2a, 0x09)),
        e);
    long[] id = {1};
    List<org.camstack.persistence.device.UnitAttention> journal =
        e.stream().map(x -> new org.camstack.persistence.device.UnitAttention(id[0]++, x.initiator(), x.asc(), x.ascq(), "")).toList();
    assertEquals(s, DeviceStateCodec.uaSnapshot(journal));
  }

  @Test
  void aFreshDeviceAgreesWithAFreshJournalAndAChangeIsOneCommand() {
    EmuDisk d = new EmuDisk(SPEC);
    DeviceEntity.Configured fresh =
        new DeviceEntity.Configured(
            DeviceStateCodec.config(0, 0, SPEC), true, 4096, 512, new DeviceEntity.Media(true, true, false), Map.of(),
            new DeviceEntity.Reservations("", Map.of(), "", 0, 0), List.of(), Map.of(), List.of(), 1, List.of());
    assertEquals(List.of(), DeviceStateCodec.diff(DeviceStateCodec.view(d), fresh, Set.of()));
    d.execute(ByteString.fromArray(new byte[] {0x16, 0, 0, 0, 0, 0}), ByteString.emptyByteString(), 0, 7); // RESERVE
    assertEquals("[Reserve 7]", DeviceStateCodec.diff(DeviceStateCodec.view(d), fresh, Set.of()).toString());
    d.setDelay(Delay.fixed(10_000));
    d.addFault(FaultRule.busy("b", FaultRule.ANY).continuous());
    List<DeviceStateCodec.Step> steps = DeviceStateCodec.diff(DeviceStateCodec.view(d), fresh, Set.of());
    assertEquals("[Reserve 7, AddFaultRule b, SetDelay any 10]", steps.toString());
  }

  @Test
  void anExpandersDisabledPhysAreOneCommandEachAndComeBackOnRestore() {
    org.camstack.stack.target.LunSpec xs =
        org.camstack.stack.target.LunSpec.parse("lun = 0, type = expander, slots = 4, bus = 0, target = 5");
    org.camstack.stack.target.EmuExpander x = new org.camstack.stack.target.EmuExpander(xs);
    DeviceEntity.Configured fresh =
        new DeviceEntity.Configured(
            DeviceStateCodec.config(0, 5, xs), true, 0, 0, new DeviceEntity.Media(true, true, false), Map.of(),
            new DeviceEntity.Reservations("", Map.of(), "", 0, 0), List.of(), Map.of(), List.of(), 1, List.of(2));
    assertEquals("[SetPhyEnabled 2 true]", DeviceStateCodec.diff(DeviceStateCodec.view(x), fresh, Set.of()).toString());
    x.smp(org.camstack.stack.scsi.smp.Smp.phyControl(1, org.camstack.stack.scsi.smp.Smp.PC_DISABLE));
    x.smp(org.camstack.stack.scsi.smp.Smp.phyControl(2, org.camstack.stack.scsi.smp.Smp.PC_DISABLE));
    assertEquals("[SetPhyEnabled 1 false]", DeviceStateCodec.diff(DeviceStateCodec.view(x), fresh, Set.of()).toString());
    assertEquals(null, DeviceStateCodec.view(new EmuDisk(SPEC)).disabledPhys(), "a disk has no phys");

    org.camstack.stack.target.EmuExpander restored = new org.camstack.stack.target.EmuExpander(xs);
    DeviceStateCodec.restore(fresh, restored);
    assertEquals(List.of(2), restored.disabledPhys());
    assertTrue(restored.isDisabled(2) && !restored.isDisabled(1));
  }

  private static DeviceEntity.Configured withPr(Map<String, Long> keys, String holder, int type) {
    return new DeviceEntity.Configured(
        DeviceStateCodec.config(0, 0, SPEC), true, 4096, 512, new DeviceEntity.Media(true, true, false), Map.of(),
        new DeviceEntity.Reservations("", keys, holder, type, 0), List.of(), Map.of(), List.of(), 1, List.of());
  }

  private static void prout(EmuDisk d, int initiator, int sa, int type, long saKey, long key, int flags) {
    byte[] p = new byte[24];
    for (int i = 0; i < 8; i++) {
      p[i] = (byte) (key >>> (56 - 8 * i));
      p[8 + i] = (byte) (saKey >>> (56 - 8 * i));
    }
    p[20] = (byte) flags;
    d.execute(ByteString.fromArray(new byte[] {0x5f, (byte) sa, (byte) type, 0, 0, 0, 0, 0, 24, 0}), ByteString.fromArray(p), 24, initiator);
  }

  /** Persistent reservations reach the journal only with APTPL; the steps follow the entity's rules. */
  @Test
  void persistentReservationSteps() {
    EmuDisk d = new EmuDisk(SPEC);
    prout(d, 3, 0, 0, 0xa1, 0, 0); // REGISTER, APTPL=0
    assertEquals(List.of(), DeviceStateCodec.diff(DeviceStateCodec.view(d), withPr(Map.of(), "", 0), Set.of()));
    assertEquals("[PrRelease 3, PrRegister 3 0]",
        DeviceStateCodec.diff(DeviceStateCodec.view(d), withPr(Map.of("3", 0xa1L), "3", 1), Set.of()).toString());
    prout(d, 3, 6, 0, 0xa1, 0, 0x01); // REGISTER AND IGNORE, APTPL=1
    prout(d, 3, 1, 3, 0, 0xa1, 0); // RESERVE, Exclusive Access
    assertEquals("[PrRegister 3 a1, PrReserve 3 3]",
        DeviceStateCodec.diff(DeviceStateCodec.view(d), withPr(Map.of(), "", 0), Set.of()).toString());
    assertEquals("[PrRelease 3, PrRegister 9 0, PrReserve 3 3]",
        DeviceStateCodec.diff(DeviceStateCodec.view(d), withPr(Map.of("3", 0xa1L, "9", 0xb2L), "3", 1), Set.of()).toString());
    assertEquals(List.of(), DeviceStateCodec.diff(DeviceStateCodec.view(d), withPr(Map.of("3", 0xa1L), "3", 3), Set.of()));
    // restored from the journal: the same registrations and reservation, APTPL on
    EmuDisk r = new EmuDisk(SPEC);
    DeviceStateCodec.restore(withPr(Map.of("3", 0xa1L), "3", 3), r);
    assertEquals(DeviceStateCodec.view(d), DeviceStateCodec.view(r));
  }

  @Test
  void aJournalRuleTheDeviceCannotAnswerIsLeftOut() {
    EmuDisk d = new EmuDisk(SPEC);
    DeviceEntity.Configured s =
        new DeviceEntity.Configured(
            DeviceStateCodec.config(0, 0, SPEC), true, SPEC.blocks(), 512, new DeviceEntity.Media(true, true, false),
            Map.of(), new DeviceEntity.Reservations("", Map.of(), "", 0, 0),
            List.of(new FaultRule("old", "error", "read", 0, 9, true, ""), FaultRule.busy("b", FaultRule.ANY)),
            Map.of(), List.of(), 3, List.of());
    DeviceStateCodec.restore(s, d);
    assertEquals(List.of(FaultRule.busy("b", FaultRule.ANY)), d.faults());
  }

  @Test
  void aRestoredDeviceShowsTheJournalsState() {
    EmuDisk d = new EmuDisk(SPEC);
    byte[] caching = d.modePages(0).get(0x08);
    caching[2] &= ~0x04;
    DeviceEntity.Configured s =
        new DeviceEntity.Configured(
            DeviceStateCodec.config(0, 0, SPEC), true, 6000, 512, new DeviceEntity.Media(false, false, true),
            Map.of("08", java.util.HexFormat.of().formatHex(caching)),
            new DeviceEntity.Reservations("7", Map.of(), "", 0, 0),
            List.of(FaultRule.busy("b", FaultRule.ANY).continuous()),
            Map.of("any", 20L),
            List.of(new org.camstack.persistence.device.UnitAttention(4, "3", 0x2a, 0x09, "")),
            5,
            List.of());
    DeviceStateCodec.restore(s, d);
    assertEquals(6000, d.blocks());
    assertTrue(!d.isStarted() && !d.isMediumPresent() && d.isRemovalPrevented());
    assertTrue(!d.writeCacheEnabled());
    assertEquals(7, d.reservationHolder());
    assertEquals(List.of("b"), d.faults().stream().map(FaultRule::id).toList());
    assertEquals(Delay.fixed(20_000), d.delay());
    assertEquals(List.of(0x2a09), d.pendingUnitAttentions(3));
    assertEquals(List.of(), d.pendingUnitAttentions(7)); // nothing posted to initiators not seen yet
    assertEquals(List.of(), DeviceStateCodec.diff(DeviceStateCodec.view(d), s, Set.of()));
  }
}
