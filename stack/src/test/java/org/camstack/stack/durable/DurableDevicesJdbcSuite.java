package org.camstack.stack.durable;

import static org.camstack.stack.durable.DurableJournal.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.util.ByteString;
import org.camstack.persistence.cli.CliRun;
import org.camstack.persistence.device.DeviceEntity;
import org.camstack.persistence.inspect.JournalInspector;
import org.camstack.persistence.device.FaultRule;
import org.camstack.persistence.inventory.HostInventoryEntity;
import org.camstack.persistence.journal.JournalConfig;
import org.camstack.stack.CamStack;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.sim.EmuSim;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.sim.Topology;
import org.camstack.stack.target.Delay;
import org.camstack.stack.target.EmuCdrom;
import org.camstack.stack.target.EmuDevice;
import org.camstack.stack.target.EmuDisk;
import org.camstack.stack.target.EmuExpander;
import org.camstack.stack.scsi.smp.Smp;
import org.camstack.stack.target.LunSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Durable device state on a real JDBC journal ({@link DurableDevicesH2Test}, {@link
 * DurableDevicesPostgresTest}): the SIMs of a stack with {@link DurableDevices}, stopped and
 * started again on the same journal in a new ActorSystem, come back with the same devices in the
 * same state; a crash in the middle of a storm of plugs and pulls recovers every device either
 * plugged or pulled, whole targets at a time, consistent across the inventory, each device's
 * journal and the emulated bus.
 *
 * <p>The buses do not scan (no periph touches the devices), so what the test sees is exactly what
 * was restored. SCSI commands go straight to the emulated devices, as initiators 7 (the HBA), 3
 * and 9 (other hosts).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class DurableDevicesJdbcSuite {

  /** The journal under test; every test uses its own host and WWNs. */
  abstract JournalConfig journal();

  private static final int HBA = 7;
  private static final Duration T = Duration.ofSeconds(20);

  /** A running stack: an ActorSystem, the recovered durable devices and the SIMs. */
  final class Node {
    final ActorSystem<Void> system;
    final DurableDevices durable;
    final CamStack cam;

    Node(String host, Config topology) {
      system = DurableJournal.system("durable", journal(), topology);
      durable = await(DurableDevices.recover(system, host, Topology.fromConfig(system.settings().config()), T));
      cam =
          CamStack.start(
              system, system.settings().config(), CamStack.Options.DEFAULT.withTopology(durable.topology()).withDeviceHooks(durable));
      await(cam.buses(T));
    }

    EmuDevice dev(String wwn) {
      return durable.live("naa." + wwn).orElseThrow(() -> new AssertionError("no live device " + wwn));
    }

    boolean live(String wwn) {
      return durable.live("naa." + wwn).isPresent();
    }

    DeviceEntity.State journalOf(String wwn) {
      return await(durable.state("naa." + wwn));
    }

    void sim(Function<ActorRef<StatusReply<Done>>, EmuSim.Command> m) {
      StatusReply<Done> r = await(AskPattern.ask(cam.sims().get(0), m::apply, T, system.scheduler()));
      assertTrue(r.isSuccess(), () -> "SIM refused: " + r);
    }

    CompletionStage<StatusReply<Done>> simAsync(Function<ActorRef<StatusReply<Done>>, EmuSim.Command> m) {
      return AskPattern.ask(cam.sims().get(0), m::apply, T, system.scheduler());
    }

    Map<Integer, List<Long>> targets() {
      return await(AskPattern.<EmuSim.Command, EmuSim.BusInfo>ask(cam.sims().get(0), EmuSim.GetBus::new, T, system.scheduler())).targets();
    }

    /** Graceful: the journals catch up, then the system stops. */
    void stop() {
      await(durable.flush());
      DurableJournal.crash(system);
    }
  }

  // ------------------------------------------------------------------ SCSI

  private static ByteString cdb(int... bytes) {
    byte[] b = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      b[i] = (byte) bytes[i];
    }
    return ByteString.fromArrayUnsafe(b);
  }

  private static ScsiResponse run(EmuDevice d, int initiator, int... cdb) {
    return d.execute(cdb(cdb), ByteString.emptyByteString(), 0, initiator);
  }

  private static final int[] TUR = {0x00, 0, 0, 0, 0, 0};
  private static final int[] READ10_LBA0 = {0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0};

  private static void assertGood(ScsiResponse r) {
    assertEquals(ScsiStatus.GOOD, r.scsiStatus(), () -> "expected GOOD, got " + r);
  }

  private static void assertSense(ScsiResponse r, int key, int asc, int ascq) {
    assertEquals(ScsiStatus.CHECK_COND, r.scsiStatus(), () -> "expected CHECK CONDITION, got " + r);
    assertEquals(List.of(key, asc, ascq), List.of(Sense.key(r.sense()), Sense.asc(r.sense()), Sense.ascq(r.sense())), r::toString);
  }

  // ------------------------------------------------------------------ cd: the disc in the drive

  @Test
  void aDiscLoadedAtRuntimeIsPlayedAgainAfterARestart() throws java.io.IOException {
    String host = DurableJournal.host("cdload");
    String w = DurableJournal.wwn(0x300);
    java.nio.file.Path dir = DurableJournal.dataDir("cdload-isos");
    java.nio.file.Files.createDirectories(dir);
    java.nio.file.Path first = dir.resolve("first.iso");
    java.nio.file.Path second = dir.resolve("second.iso");
    java.nio.file.Files.write(first, new byte[4 * 2048]);
    java.nio.file.Files.write(second, new byte[8 * 2048]);
    Config topology =
        ConfigFactory.parseString(
            "camstack.topology.buses = [ { name = emusim, scan-on-register = false, rescan-on-change = false, targets = [\n"
                + "{ id = 0, luns = [ { lun = 0, type = cd, wwn = \"" + w + "\", file = \"" + first + "\" } ] }\n"
                + "] } ]");
    Node a = new Node(host, topology);
    EmuCdrom cd = (EmuCdrom) a.dev(w);
    assertEquals(first, cd.image());
    cd.load(second); // ctl cd load
    a.stop();

    Node b = new Node(host, topology);
    EmuCdrom again = (EmuCdrom) b.dev(w);
    assertEquals(second, again.image());
    assertEquals(8, again.sectors());
    assertTrue(again.eject()); // ctl cd eject
    b.stop();
    // the runtime disc's image is gone: the node still starts (the topology's disc instead)
    java.nio.file.Files.delete(second);

    Node c = new Node(host, topology);
    try {
      EmuCdrom ejected = (EmuCdrom) c.dev(w);
      assertTrue(ejected.isTrayOpen());
      assertFalse(ejected.isMediumPresent());
    } finally {
      c.stop();
    }
  }

  // ------------------------------------------------------------------ SAS expander: phy state

  @Test
  void anExpanderPhyDisabledBySmpStaysDisabledAfterARestart() {
    String host = DurableJournal.host("phys");
    String d0 = DurableJournal.wwn(0x400);
    String d1 = DurableJournal.wwn(0x401);
    String wx = DurableJournal.wwn(0x402);
    Config topology =
        ConfigFactory.parseString(
            "camstack.topology.buses = [ { name = emusim, scan-on-register = false, rescan-on-change = false, targets = [\n"
                + "{ id = 0, luns = [ " + lun(0, d0, "") + " ] }\n"
                + "{ id = 1, luns = [ " + lun(0, d1, "") + " ] }\n"
                + "{ id = 5, luns = [ { lun = 0, type = expander, slots = 4, wwn = \"" + wx + "\" } ] }\n"
                + "] } ]");
    Node a = new Node(host, topology);
    EmuExpander x = (EmuExpander) a.dev(wx);
    assertEquals(1, x.phyOf(1), "phy 1 carries the disk at target 1");
    assertEquals(Smp.FR_ACCEPTED, Smp.result(x.smp(Smp.phyControl(1, Smp.PC_DISABLE))));
    assertFalse(a.targets().containsKey(1), "the disk left the bus with its phy");
    await(a.durable.flush());
    assertEquals(List.of(1), ((DeviceEntity.Configured) a.journalOf(wx)).disabledPhys());
    a.stop();
    CliRun shown =
        CliRun.capture(
            JournalInspector::run, "--url", journal().url(), "--user", journal().user(), "--password", journal().password(),
            "show", "CamDevice|naa." + wx);
    assertEquals(0, shown.exit(), shown.both());
    assertTrue(shown.both().contains("PhyStateChanged"), shown.both());

    Node b = new Node(host, topology);
    EmuExpander again = (EmuExpander) b.dev(wx);
    assertEquals(List.of(1), again.disabledPhys());
    assertEquals(Smp.RATE_PHY_DISABLED, Byte.toUnsignedInt(again.smp(Smp.discover(1)).toArray()[13]));
    assertFalse(b.targets().containsKey(1), "still off the bus after the restart");
    assertTrue(b.targets().containsKey(0));
    assertTrue(b.live(d1), "the parked disk is still the journal's device");
    assertEquals(Smp.FR_ACCEPTED, Smp.result(again.smp(Smp.phyControl(1, Smp.PC_LINK_RESET))));
    assertTrue(b.targets().containsKey(1), "link reset brings the disk back");
    b.stop();

    Node c = new Node(host, topology);
    try {
      assertEquals(List.of(), ((EmuExpander) c.dev(wx)).disabledPhys());
      assertTrue(c.targets().containsKey(1));
    } finally {
      c.stop();
    }
  }

  // ------------------------------------------------------------------ restart

  private static String lun(int lun, String wwn, String extra) {
    return "{ lun = " + lun + ", wwn = \"" + wwn + "\", blocks = 4096, store = ram" + extra + " }";
  }

  @Test
  void aRestartedStackComesBackWithTheSameDevicesInTheSameState() {
    String host = DurableJournal.host("restart");
    String[] w = new String[8];
    for (int i = 0; i < w.length; i++) {
      w[i] = DurableJournal.wwn(0x100 + i);
    }
    Config topology =
        ConfigFactory.parseString(
            "camstack.topology.buses = [ { name = emusim, scan-on-register = false, rescan-on-change = false,"
                + " max-lun = 7, targets = [\n"
                + "{ id = 0, luns = [ " + lun(0, w[0], "") + " ] }\n"
                + "{ id = 1, luns = [ " + lun(0, w[1], "") + " ] }\n"
                + "{ id = 2, luns = [ " + lun(0, w[2], ", removable = true") + " ] }\n"
                + "{ id = 3, luns = [ " + lun(0, w[3], "") + ", " + lun(1, w[4], "") + " ] }\n"
                + "{ id = 4, luns = [ " + lun(0, w[5], "") + " ] }\n"
                + "] } ]");
    Node a = new Node(host, topology);
    // reservation: the HBA holds lun 0:0:0
    assertGood(run(a.dev(w[0]), HBA, 0x16, 0, 0, 0, 0, 0));
    // mode page: write cache off; stopped
    EmuDisk d1 = (EmuDisk) a.dev(w[1]);
    byte[] caching = d1.modePages(0).get(0x08);
    caching[2] &= ~0x04;
    byte[] select = new byte[4 + caching.length];
    System.arraycopy(caching, 0, select, 4, caching.length);
    assertGood(d1.execute(cdb(0x15, 0x10, 0, 0, select.length, 0), ByteString.fromArray(select), select.length, HBA));
    assertFalse(d1.writeCacheEnabled());
    assertGood(run(d1, HBA, 0x1b, 0, 0, 0, 0, 0));
    // removable medium ejected, then removal prevented
    assertGood(run(a.dev(w[2]), HBA, 0x1b, 0, 0, 0, 0x02, 0));
    assertGood(run(a.dev(w[2]), HBA, 0x1e, 0, 0, 0, 0x01, 0));
    // unit attentions: initiator 3 has seen 0:3:0, then it is resized (2A/09 for everyone)
    assertGood(run(a.dev(w[3]), 3, TUR));
    a.sim(r -> new EmuSim.ResizeLun(3, 0, 8192, r));
    // fault rules on 0:3:1: a one-shot one fires (consumed), a continuous one stays; a delay
    a.sim(r -> new EmuSim.AddFault(3, 1, FaultRule.mediumError("once", FaultRule.READ, 0, 8), r));
    a.sim(r -> new EmuSim.AddFault(3, 1, FaultRule.busy("always", FaultRule.WRITE).continuous().onLbas(10, 10), r));
    assertSense(run(a.dev(w[4]), 3, READ10_LBA0), Sense.MEDIUM_ERROR, 0x11, 0x00);
    a.sim(r -> new EmuSim.SetDelay(3, 1, Delay.uniform(50_000, 75_000), r));
    // 0:4:0 pulled; 0:3:2 plugged at runtime (3F/0E on its neighbours) and resized
    a.sim(r -> new EmuSim.RemoveTarget(4, r));
    LunSpec added = LunSpec.parse("lun = 2, blocks = 2048, wwn = \"" + w[6] + "\"");
    a.sim(r -> new EmuSim.AddLun(3, added, r));
    a.sim(r -> new EmuSim.ResizeLun(3, 2, 3000, r));

    Map<String, DeviceStateCodec.View> before = new TreeMap<>();
    for (String x : List.of(w[0], w[1], w[2], w[3], w[4], w[6])) {
      before.put(x, DeviceStateCodec.view(a.dev(x)));
    }
    Map<Integer, List<Long>> targetsBefore = a.targets();
    a.stop();

    Node b = new Node(host, topology);
    try {
      // the restart read every state in bulk: no entity recovered one by one, none spawned
      await(b.durable.flush());
      assertEquals(0, b.durable.entitiesSpawned(), "entities spawned by a clean restart");
      assertEquals(targetsBefore, b.targets());
      assertEquals(Map.of(0, List.of(0L), 1, List.of(0L), 2, List.of(0L), 3, List.of(0L, 1L, 2L)), b.targets());
      for (Map.Entry<String, DeviceStateCodec.View> e : before.entrySet()) {
        assertEquals(e.getValue(), DeviceStateCodec.view(b.dev(e.getKey())), "state of " + e.getKey());
      }
      assertFalse(b.live(w[5]), "a pulled device stays out");
      DeviceEntity.State pulled = b.journalOf(w[5]);
      assertFalse(assertInstanceOf(DeviceEntity.Configured.class, pulled).plugged());

      // what the devices do with it
      assertEquals(HBA, b.dev(w[0]).reservationHolder());
      assertEquals(ScsiStatus.RESERV_CONFLICT, run(b.dev(w[0]), 3, TUR).scsiStatus());
      assertGood(run(b.dev(w[0]), HBA, TUR));
      EmuDisk r1 = (EmuDisk) b.dev(w[1]);
      assertFalse(r1.writeCacheEnabled());
      assertFalse(r1.isStarted());
      assertSense(run(r1, 3, TUR), Sense.UNIT_ATTENTION, 0x2a, 0x01); // MODE PARAMETERS CHANGED, still pending
      assertSense(run(r1, 3, TUR), Sense.NOT_READY, 0x04, 0x02);
      assertFalse(b.dev(w[2]).isMediumPresent());
      assertTrue(b.dev(w[2]).isRemovalPrevented());
      assertGood(run(b.dev(w[2]), 5, 0x1e, 0, 0, 0, 0x00, 0)); // ALLOW from anyone lifts the restored PREVENT
      assertFalse(b.dev(w[2]).isRemovalPrevented());
      EmuDisk r3 = (EmuDisk) b.dev(w[3]);
      assertEquals(8192, r3.blocks());
      assertSense(run(r3, 3, TUR), Sense.UNIT_ATTENTION, 0x2a, 0x09); // pending before the stop
      assertSense(run(r3, 9, TUR), Sense.UNIT_ATTENTION, 0x2a, 0x09); // posted to initiators not seen yet
      EmuDevice r4 = b.dev(w[4]);
      assertEquals(List.of("always"), r4.faults().stream().map(FaultRule::id).toList());
      assertEquals(Delay.uniform(50_000, 75_000), r4.delay());
      assertEquals(3000, ((EmuDisk) b.dev(w[6])).blocks());
      DeviceEntity.Configured j4 = assertInstanceOf(DeviceEntity.Configured.class, b.journalOf(w[4]));
      assertEquals(List.of("always"), j4.faultRules().stream().map(FaultRule::id).toList());

      // the journal follows the restored devices: the UAs just reported are consumed
      await(b.durable.flush());
      DeviceEntity.Configured j3 = assertInstanceOf(DeviceEntity.Configured.class, b.journalOf(w[3]));
      assertTrue(j3.unitAttentions().stream().noneMatch(u -> u.initiator().equals("3") && u.asc() == 0x2a), j3.unitAttentions()::toString);
    } finally {
      b.stop();
    }
  }

  // ------------------------------------------------------------------ crash during hot-unplug

  private static final int STORM_TARGETS = 6;

  @Test
  void aCrashDuringAHotUnplugStormLeavesEveryTargetWhollyThereOrWhollyGone() {
    String host = DurableJournal.host("storm");
    StringBuilder t = new StringBuilder();
    Map<Integer, List<LunSpec>> specs = new TreeMap<>();
    for (int i = 0; i < STORM_TARGETS; i++) {
      String w0 = DurableJournal.wwn(0x200 + 2 * i);
      String w1 = DurableJournal.wwn(0x201 + 2 * i);
      t.append("{ id = ").append(i).append(", luns = [ ").append(lun(0, w0, "")).append(", ").append(lun(1, w1, "")).append(" ] }\n");
    }
    Config topology =
        ConfigFactory.parseString(
            "camstack.topology.buses = [ { name = emusim, scan-on-register = false, rescan-on-change = false,"
                + " max-lun = 7, targets = [\n" + t + "] } ]");
    Node a = new Node(host, topology);
    for (Map.Entry<Integer, List<LunSpec>> e : Topology.fromConfig(a.system.settings().config()).buses().get(0).targets().entrySet()) {
      specs.put(e.getKey(), e.getValue());
    }
    // each target: pull, plug, pull, ... one at a time; all targets at once; crash mid-way
    Map<Integer, Boolean> acked = new java.util.concurrent.ConcurrentHashMap<>();
    Map<Integer, Boolean> inFlight = new java.util.concurrent.ConcurrentHashMap<>();
    AtomicInteger done = new AtomicInteger();
    CompletableFuture<Done> enough = new CompletableFuture<>();
    for (int target : specs.keySet()) {
      acked.put(target, true);
      storm(a, target, specs.get(target), true, acked, inFlight, done, enough);
    }
    await(enough);
    DurableJournal.crash(a.system); // no flush, no coordinated shutdown: ops in flight are cut
    Map<Integer, Boolean> lastAcked = Map.copyOf(acked);
    Map<Integer, Boolean> pending = Map.copyOf(inFlight);
    assertTrue(done.get() >= 30, "storm too short: " + done.get());

    Node b = new Node(host, topology);
    try {
      Map<Integer, List<Long>> targets = b.targets();
      HostInventoryEntity.State inv = await(b.durable.inventory());
      for (int target : specs.keySet()) {
        List<Long> luns = targets.get(target);
        boolean present = luns != null;
        if (present) {
          assertEquals(List.of(0L, 1L), luns, "target " + target + " came back half");
        }
        boolean allowed = present == lastAcked.get(target) || (pending.containsKey(target) && present == pending.get(target));
        assertTrue(allowed, "target " + target + ": present=" + present + ", last acked " + lastAcked.get(target) + ", in flight " + pending.get(target));
        for (LunSpec l : specs.get(target)) {
          String key = DurableDevices.deviceKey(l);
          assertEquals(present, b.live(l.wwn()), key);
          assertEquals(present, inv.member(key).plugged(), "inventory of " + key);
          DeviceEntity.Configured c = assertInstanceOf(DeviceEntity.Configured.class, await(b.durable.state(key)));
          assertEquals(present, c.plugged(), "journal of " + key);
        }
      }
      // and the recovered stack keeps going: pull and plug a target once more
      int any = targets.keySet().iterator().next();
      b.sim(r -> new EmuSim.RemoveTarget(any, r));
      b.sim(r -> new EmuSim.AddTarget(any, specs.get(any), r));
      await(b.durable.flush());
      assertTrue(b.live(specs.get(any).get(0).wwn()));
    } finally {
      b.stop();
    }
  }

  // ------------------------------------------------------------------ persistent reservations

  private static ScsiResponse prout(EmuDevice d, int initiator, int sa, int type, long key, long saKey, int flags) {
    byte[] p = new byte[24];
    for (int i = 0; i < 8; i++) {
      p[i] = (byte) (key >>> (56 - 8 * i));
      p[8 + i] = (byte) (saKey >>> (56 - 8 * i));
    }
    p[20] = (byte) flags;
    return d.execute(cdb(0x5f, sa, type, 0, 0, 0, 0, 0, 24, 0), ByteString.fromArray(p), 24, initiator);
  }

  private static ByteString prin(EmuDevice d, int initiator, int sa) {
    ScsiResponse r = d.execute(cdb(0x5e, sa, 0, 0, 0, 0, 0, 1, 0, 0), ByteString.emptyByteString(), 256, initiator);
    assertGood(r);
    return r.data();
  }

  private static long be64(ByteString b, int i) {
    long v = 0;
    for (int k = 0; k < 8; k++) {
      v = (v << 8) | (b.apply(i + k) & 0xff);
    }
    return v;
  }

  @Test
  void persistentReservationsWithAptplSurviveARestartAndWithoutItDoNot() {
    String host = DurableJournal.host("pr");
    String kept = DurableJournal.wwn(0x5a0); // tags unique across the suites: one PostgreSQL database serves them all
    String lost = DurableJournal.wwn(0x5a1);
    Config topology =
        ConfigFactory.parseString(
            "camstack.topology.buses = [ { name = emusim, scan-on-register = false, rescan-on-change = false,"
                + " max-lun = 7, targets = [\n"
                + "{ id = 0, luns = [ " + lun(0, kept, "") + ", " + lun(1, lost, "") + " ] }\n"
                + "] } ]");
    String port = "iqn.2026-12.org.example:durable-test,i,0x23d000000009";
    int net = org.camstack.stack.target.Nexuses.idFor(port, org.camstack.stack.target.Nexuses.ISCSI_PORT);
    Node a = new Node(host, topology);
    // APTPL=1: initiator 3 and an iSCSI nexus registered, 3 holds Exclusive Access
    assertGood(prout(a.dev(kept), 3, 0, 0, 0, 0xa1, 0x01));
    assertGood(prout(a.dev(kept), net, 6, 0, 0, 0xb2, 0x01));
    assertGood(prout(a.dev(kept), 3, 1, 3, 0xa1, 0, 0));
    // APTPL=0 on the other LUN: the same, not durable
    assertGood(prout(a.dev(lost), 3, 0, 0, 0, 0xa1, 0x00));
    assertGood(prout(a.dev(lost), 3, 1, 1, 0xa1, 0, 0));
    await(a.durable.flush());
    DeviceEntity.Reservations j = assertInstanceOf(DeviceEntity.Configured.class, a.journalOf(kept)).reservations();
    assertEquals(Map.of("3", 0xa1L, port + "@2", 0xb2L), j.prKeys());
    assertEquals(List.of("3", 3), List.of(j.prHolder(), j.prType()));
    assertEquals(Map.of(), assertInstanceOf(DeviceEntity.Configured.class, a.journalOf(lost)).reservations().prKeys());
    DeviceStateCodec.View before = DeviceStateCodec.view(a.dev(kept));
    a.stop();

    Node b = new Node(host, topology);
    try {
      EmuDevice k = b.dev(kept);
      assertEquals(before, DeviceStateCodec.view(k));
      ByteString keys = prin(k, 9, 0);
      assertEquals(java.util.Set.of(0xa1L, 0xb2L), java.util.Set.of(be64(keys, 8), be64(keys, 16)));
      ByteString res = prin(k, 9, 1);
      assertEquals(List.of(0xa1L, 3), List.of(be64(res, 8), res.apply(21) & 0xff));
      assertEquals(ScsiStatus.RESERV_CONFLICT, run(k, 9, READ10_LBA0).scsiStatus());
      assertEquals(ScsiStatus.RESERV_CONFLICT, run(k, net, READ10_LBA0).scsiStatus()); // a registrant, not the holder
      assertGood(run(k, 3, READ10_LBA0));
      // the other LUN forgot its registration and reservation
      EmuDevice l = b.dev(lost);
      assertEquals(8, prin(l, 9, 0).size());
      assertEquals(8, prin(l, 9, 1).size());
      assertGood(run(l, 9, READ10_LBA0));
      // and the journal follows what happens next: CLEAR empties it
      assertGood(prout(k, 3, 3, 0, 0xa1, 0, 0));
      await(b.durable.flush());
      assertEquals(Map.of(), assertInstanceOf(DeviceEntity.Configured.class, b.journalOf(kept)).reservations().prKeys());
    } finally {
      b.stop();
    }
  }

  @Test
  void aPullOrPlugCutBetweenTheInventoryAndTheDeviceJournalIsSettledAtRestart() {
    String host = DurableJournal.host("cut");
    String w0 = DurableJournal.wwn(0x300);
    String w1 = DurableJournal.wwn(0x301);
    String w2 = DurableJournal.wwn(0x302);
    String fresh = DurableJournal.wwn(0x303);
    Config topology =
        ConfigFactory.parseString(
            "camstack.topology.buses = [ { name = emusim, scan-on-register = false, rescan-on-change = false,"
                + " max-lun = 7, targets = [\n"
                + "{ id = 0, luns = [ " + lun(0, w0, "") + ", " + lun(1, w1, "") + " ] }\n"
                + "{ id = 1, luns = [ " + lun(0, w2, "") + " ] }\n"
                + "] } ]");
    Node a = new Node(host, topology);
    await(a.durable.flush());
    // the crash hits a pull of target 0 after the inventory recorded it, before the devices' journals
    // did; and a plug of a new device after the inventory recorded it, before its journal existed
    ActorRef<HostInventoryEntity.Command> inv = a.durable.inventoryRef();
    await(AskPattern.<HostInventoryEntity.Command, Done>askWithStatus(inv, r -> new HostInventoryEntity.Unplug(List.of("naa." + w0, "naa." + w1), "target removed", r), T, a.system.scheduler()));
    await(AskPattern.<HostInventoryEntity.Command, Done>askWithStatus(inv, r -> new HostInventoryEntity.Plug(List.of("naa." + fresh), "hot-plug", r), T, a.system.scheduler()));
    DurableJournal.crash(a.system);

    Node b = new Node(host, topology);
    try {
      assertEquals(Map.of(1, List.of(0L)), b.targets(), "target 0 pulled, the new device never was");
      for (String w : List.of(w0, w1)) {
        assertFalse(b.live(w));
        assertFalse(assertInstanceOf(DeviceEntity.Configured.class, b.journalOf(w)).plugged(), "journal of " + w + " repaired");
      }
      HostInventoryEntity.State now = await(b.durable.inventory());
      assertEquals(null, now.member("naa." + fresh), "the interrupted plug is forgotten");
      assertTrue(now.member("naa." + w2).plugged());
      // plugged again, target 0 is whole and its devices keep their journals
      List<LunSpec> luns = Topology.fromConfig(b.system.settings().config()).buses().get(0).targets().get(0);
      b.sim(r -> new EmuSim.AddTarget(0, luns, r));
      assertTrue(b.live(w0) && b.live(w1));
      assertTrue(assertInstanceOf(DeviceEntity.Configured.class, b.journalOf(w0)).plugged());
    } finally {
      b.stop();
    }
  }

  /** One target's sequence of plugs and pulls, each sent once the previous one was acknowledged. */
  private static void storm(
      Node n,
      int target,
      List<LunSpec> luns,
      boolean present,
      Map<Integer, Boolean> acked,
      Map<Integer, Boolean> inFlight,
      AtomicInteger done,
      CompletableFuture<Done> enough) {
    if (enough.isDone()) {
      return;
    }
    inFlight.put(target, !present);
    n.simAsync(r -> present ? new EmuSim.RemoveTarget(target, r) : new EmuSim.AddTarget(target, luns, r))
        .whenComplete(
            (r, e) -> {
              if (e != null || r.isError()) {
                return; // the crash
              }
              acked.put(target, !present);
              inFlight.remove(target);
              if (done.incrementAndGet() >= 40) {
                enough.complete(Done.getInstance());
              }
              storm(n, target, luns, !present, acked, inFlight, done, enough);
            });
  }
}
