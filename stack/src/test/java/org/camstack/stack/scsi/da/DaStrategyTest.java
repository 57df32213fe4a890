package org.camstack.stack.scsi.da;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.periph.PeriphDriver;
import org.camstack.stack.sim.EmuSim;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.testkit.StackRig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The strategy path on the real stack: after an open of {@code daN}, block I/O goes from the opener
 * straight to the da periph ({@link DaPeriph.Strategy}), never through devfs; stale handles and
 * bios caught by a LUN removal complete exactly once with ENXIO.
 */
@ExtendWith(LogCapturingExtension.class)
class DaStrategyTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create("DaStrategyTest", StackRig.config(StackRig.TOPOLOGY));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static final Duration WAIT = StackRig.WAIT;

  private static StackRig settled() {
    StackRig rig = new StackRig(testKit, false);
    rig.scanAndSettle();
    return rig;
  }

  private static PeriphDriver.UnitInfo daAt(StackRig rig, int target) {
    return rig.units("da").atPath(CamPath.of(0, target, 0));
  }

  private static DaPeriph.DiskHandle handle(StackRig rig, Devfs.FileHandle fh) {
    Devfs.DevReply r = rig.ioctl(fh, new DaPeriph.GetDiskHandle());
    assertEquals(Errno.OK, r.errno());
    return (DaPeriph.DiskHandle) r.result();
  }

  private static DaPeriph.BioDone run(DaPeriph.DiskHandle h, java.util.function.Function<org.apache.pekko.actor.typed.ActorRef<DaPeriph.BioDone>, DaPeriph.Bio> bio) {
    TestProbe<DaPeriph.BioDone> p = testKit.createTestProbe();
    DaPeriph.Bio b = bio.apply(p.getRef());
    h.strategy(b);
    DaPeriph.BioDone d = p.receiveMessage(WAIT);
    assertSame(b, d.bio());
    return d;
  }

  private static ByteString pattern(int length, int seed) {
    byte[] data = new byte[length];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 31 + seed);
    }
    return ByteString.fromArray(data);
  }

  private static int devfsThreads(StackRig rig, String node) {
    return rig.nodes().nodes().stream().filter(n -> n.name().equals(node)).mapToInt(Devfs.NodeInfo::threadCount).sum();
  }

  /**
   * Issue 15: once opened for the strategy path, each da periph runs on its device queue's lane,
   * each LUN's queue on its own; before that (attach, probe) it stays on the fork-join pool.
   */
  @Test
  void eachDaPeriphRunsOnItsOwnLane() {
    StackRig rig = settled();
    List<PeriphDriver.UnitInfo> das = rig.units("da").units();
    assertTrue(das.size() >= 2, das::toString);
    java.util.Set<Integer> lanes = new java.util.HashSet<>();
    for (PeriphDriver.UnitInfo u : das) {
      assertEquals(-1, org.camstack.stack.dispatch.Lanes.laneOf(u.periph()), () -> "da" + u.unit() + " on a lane before any opener asked for its handle");
      handle(rig, rig.openOk("da" + u.unit()));
      int lane = org.camstack.stack.dispatch.Lanes.laneOf(u.periph());
      assertTrue(lane >= 0, () -> "da" + u.unit() + " is on no lane");
      lanes.add(lane);
    }
    assertEquals(das.size(), lanes.size(), "one lane (round-robin) per LUN's device queue");
  }

  @Test
  void writeReadFlushAndDeleteGoStraightToThePeriph() {
    StackRig rig = settled();
    PeriphDriver.UnitInfo unit = daAt(rig, 1); // 64 MiB of 4096-byte sectors, RAM store, UNMAP
    String name = "da" + unit.unit();
    Devfs.FileHandle fh = rig.openOk(name);
    DaPeriph.DiskHandle h = handle(rig, fh);
    assertEquals(name, h.name());
    assertEquals(unit.unit(), h.unit());
    assertEquals(unit.generation(), h.generation());
    assertEquals(4096, h.sectorSize());
    assertEquals(64L * 1024 * 1024, h.mediaSize());

    // many bios at once, more than one CCB each: devfs has no call inside the node meanwhile
    TestProbe<DaPeriph.BioDone> p = testKit.createTestProbe();
    int n = 32;
    int len = 4096 * 40;
    for (int i = 0; i < n; i++) {
      h.strategy(DaPeriph.Bio.write((long) i * len, pattern(len, i), p.getRef()));
    }
    assertEquals(0, devfsThreads(rig, name));
    for (int i = 0; i < n; i++) {
      DaPeriph.BioDone d = p.receiveMessage(WAIT);
      assertEquals(Errno.OK, d.errno(), d.toString());
      assertEquals(len, d.bytes());
    }
    for (int i = 0; i < n; i++) {
      h.strategy(DaPeriph.Bio.read((long) i * len, len, p.getRef()));
    }
    assertEquals(0, devfsThreads(rig, name));
    for (int i = 0; i < n; i++) {
      DaPeriph.BioDone d = p.receiveMessage(WAIT);
      assertEquals(Errno.OK, d.errno());
      int k = (int) (d.bio().offset() / len);
      assertEquals(pattern(len, k), d.data(), "bio at " + d.bio().offset());
      assertEquals(len, d.bytes());
    }

    // what the strategy path wrote, devfs reads back: one disk, one queue
    assertEquals(pattern(4096, 3).take(4096), rig.call(r -> new Devfs.Read(fh, 3L * len, 4096, r)).data());

    assertEquals(Errno.OK, run(h, DaPeriph.Bio::flush).errno());
    assertEquals(Errno.OK, run(h, r -> DaPeriph.Bio.delete(0, 8192, r)).errno());
    assertEquals(ByteString.fromArray(new byte[8192]), run(h, r -> DaPeriph.Bio.read(0, 8192, r)).data());
    assertEquals(Errno.EINVAL, run(h, r -> DaPeriph.Bio.read(100, 4096, r)).errno());
    assertEquals(Errno.EIO, run(h, r -> DaPeriph.Bio.read(h.mediaSize(), 4096, r)).errno());

    // the open is what entitles the handle (cf. g_io_check() without access)
    assertEquals(Errno.OK, rig.close(fh).errno());
    assertEquals(Errno.EPERM, run(h, r -> DaPeriph.Bio.read(0, 4096, r)).errno());
    assertEquals(List.of(), rig.checker.violations());
  }

  @Test
  void aStaleHandleGetsEnxioAfterTheLunComesBackWithANewGeneration() {
    StackRig rig = settled();
    PeriphDriver.UnitInfo old = daAt(rig, 0);
    String name = "da" + old.unit();
    Devfs.FileHandle fh = rig.openOk(name);
    DaPeriph.DiskHandle stale = handle(rig, fh);
    assertEquals(Errno.OK, run(stale, r -> DaPeriph.Bio.write(0, pattern(512, 1), r)).errno());

    rig.simDo(rig.sim(0), r -> new EmuSim.RemoveLun(0, 0, r));
    TestProbe<Object> wait = testKit.createTestProbe();
    wait.awaitAssert(
        WAIT,
        () -> {
          assertEquals(Errno.ENXIO, run(stale, r -> DaPeriph.Bio.read(0, 512, r)).errno());
          assertTrue(daAt(rig, 0) == null, "old da still listed");
          return null;
        });
    // the old periph is gone: its handle is answered all the same, exactly once
    assertEquals(Errno.ENXIO, run(stale, r -> DaPeriph.Bio.read(0, 512, r)).errno());

    rig.simDo(rig.sim(0), r -> new EmuSim.AddLun(0, LunSpec.disk(0, 131072, 512), r));
    rig.scanAndSettle(); // a new LUN on a known target shows up at the next scan
    PeriphDriver.UnitInfo fresh =
        wait.awaitAssert(
            WAIT,
            () -> {
              PeriphDriver.UnitInfo u = daAt(rig, 0);
              assertNotNull(u);
              assertTrue(rig.nodes().activeNames().contains("da" + u.unit()));
              return u;
            });
    assertEquals(old.unit(), fresh.unit());
    assertTrue(fresh.generation() > old.generation());
    Devfs.FileHandle fh2 = rig.openOk(name);
    DaPeriph.DiskHandle h2 = handle(rig, fh2);
    assertEquals(fresh.generation(), h2.generation());

    TestProbe<DaPeriph.BioDone> p = testKit.createTestProbe();
    stale.strategy(DaPeriph.Bio.read(0, 512, p.getRef()));
    assertEquals(Errno.ENXIO, p.receiveMessage(WAIT).errno());
    // the new periph refuses a bio tagged with the old generation
    h2.periph().tell(new DaPeriph.Strategy(old.generation(), DaPeriph.Bio.read(0, 512, p.getRef())));
    assertEquals(Errno.ENXIO, p.receiveMessage(WAIT).errno());
    p.expectNoMessage(Duration.ofMillis(200)); // once each, whatever the number of stacks in the system

    assertEquals(Errno.OK, run(h2, r -> DaPeriph.Bio.read(0, 512, r)).errno());
    assertEquals(Errno.OK, rig.close(fh2).errno());
    assertEquals(List.of(), rig.checker.violations());
  }

  @Test
  void biosInFlightWhenTheLunIsPulledCompleteExactlyOnce() {
    StackRig rig = settled();
    PeriphDriver.UnitInfo unit = daAt(rig, 0);
    Devfs.FileHandle fh = rig.openOk("da" + unit.unit());
    DaPeriph.DiskHandle h = handle(rig, fh);
    TestProbe<DaPeriph.BioDone> p = testKit.createTestProbe();
    int n = 200;
    int len = 512 * 512; // two CCBs each
    List<DaPeriph.Bio> sent = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      DaPeriph.Bio b =
          i % 2 == 0
              ? DaPeriph.Bio.write((long) i * len, pattern(len, i), p.getRef())
              : DaPeriph.Bio.read((long) i * len, len, p.getRef());
      sent.add(b);
      h.strategy(b);
    }
    rig.simDo(rig.sim(0), r -> new EmuSim.RemoveLun(0, 0, r));
    for (int i = 0; i < 20; i++) {
      DaPeriph.Bio b = DaPeriph.Bio.read(0, 512, p.getRef()); // after the pull: queued or refused
      sent.add(b);
      h.strategy(b);
    }
    Map<DaPeriph.Bio, Errno> done = new IdentityHashMap<>();
    for (int i = 0; i < sent.size(); i++) {
      DaPeriph.BioDone d = p.receiveMessage(WAIT);
      assertTrue(d.errno() == Errno.OK || d.errno() == Errno.ENXIO, d.toString());
      assertEquals(null, done.put(d.bio(), d.errno()), "completed twice: " + d.bio());
    }
    p.expectNoMessage(Duration.ofMillis(300));
    assertEquals(sent.size(), done.size());
    assertTrue(done.containsValue(Errno.ENXIO), "the pull failed nothing");
    TestProbe<Object> wait = testKit.createTestProbe();
    wait.awaitAssert(
        WAIT,
        () -> {
          assertTrue(daAt(rig, 0) == null, "the da periph was not freed");
          return null;
        });
    assertEquals(List.of(), rig.checker.violations());
  }
}
