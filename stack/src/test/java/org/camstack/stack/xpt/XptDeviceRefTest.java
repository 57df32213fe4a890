package org.camstack.stack.xpt;

import static org.camstack.stack.xpt.XptFixture.WAIT;
import static org.camstack.stack.xpt.XptFixture.assertStatus;
import static org.camstack.stack.xpt.XptFixture.header;
import static org.camstack.stack.xpt.XptFixture.tur;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.EnumSet;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.camstack.stack.ccb.AsyncCode;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Device references on the XPT actor (cf. {@code xpt_create_path()} / {@code
 * xpt_release_device()}): a lost device stays in the EDT, unconfigured, while anyone holds it, and
 * is retired (its queue actor stops) exactly when the last reference goes; a re-plug before that
 * reuses it; a holder that stops gives its references back.
 */
class XptDeviceRefTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Duration QUIET = Duration.ofMillis(200);

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /** Bus 0, target 0 with LUNs 0 and 1, probed; {@code dev} is LUN 1's queue. */
  private static final class Rig {
    final FakeBus bus = new FakeBus(3, 7, 7);
    final XptFixture x = new XptFixture(testKit);
    final int b;
    final CamPath lun1;
    final ActorRef<XptDevice.Command> dev;
    final TestProbe<Ccb.Completed> done = testKit.createTestProbe();
    final TestProbe<Object> watcher = testKit.createTestProbe();

    Rig() {
      bus.addLun(0, 0);
      bus.addLun(0, 1);
      b = x.register(bus, 0);
      lun1 = CamPath.of(b, 0, 1);
      assertStatus(CamStatus.REQ_CMP, x.scanLun(CamPath.of(b, 0, 0)));
      assertStatus(CamStatus.REQ_CMP, x.scanLun(lun1));
      dev = x.deviceRef(lun1);
    }

    void acquire(ActorRef<?> holder) {
      x.xpt.tell(new Xpt.AcquireDevice(lun1, holder));
    }

    void release(ActorRef<?> holder) {
      x.xpt.tell(new Xpt.ReleaseDevice(lun1, holder));
    }

    /** The LUN leaves the target and a rescan of it finds nothing: AC_LOST_DEVICE. */
    void pullAndRescan() {
      TestProbe<AsyncEvent> lost = x.subscribe(lun1, EnumSet.of(AsyncCode.AC_LOST_DEVICE));
      bus.targets.get(0).unplug(1);
      assertNotEquals(CamStatus.REQ_CMP, x.scanLun(lun1).status());
      assertEquals(lun1, lost.expectMessageClass(AsyncEvent.LostDevice.class, WAIT).path());
    }

    /** The EDT entry of LUN 1, or null (ordered after every message sent before). */
    Ccb.DeviceMatch entry() {
      for (Ccb.DeviceMatch d : x.devMatch(CamPath.bus(b)).buses().get(0).devices()) {
        if (d.path().equals(lun1)) {
          return d;
        }
      }
      return null;
    }

    /** The device queue still answers (GDEV_STATS goes XPT &rarr; device queue). */
    void assertQueueAlive() {
      assertStatus(CamStatus.REQ_CMP, x.action(new Ccb.GetDevStats(header(lun1, done.getRef())), done));
    }

    void assertRetired() {
      watcher.expectTerminated(dev, WAIT);
      assertNull(entry());
      assertStatus(CamStatus.DEV_NOT_THERE, x.action(new Ccb.GetDevStats(header(lun1, done.getRef())), done));
    }
  }

  @Test
  void aLostLunStaysWhileAHolderHasItAndIsRetiredExactlyWhenTheLastReferenceGoes() {
    Rig r = new Rig();
    TestProbe<Object> da0 = testKit.createTestProbe();
    TestProbe<Object> pass0 = testKit.createTestProbe();
    r.acquire(da0.getRef());
    r.acquire(pass0.getRef());
    r.pullAndRescan();
    Ccb.DeviceMatch e = r.entry();
    assertNotNull(e, "held: still in the EDT");
    assertTrue(e.unconfigured());
    r.assertQueueAlive();
    assertStatus(CamStatus.DEV_NOT_THERE, r.x.action(tur(r.lun1, 0, r.done.getRef()), r.done));

    r.release(da0.getRef());
    assertNotNull(r.entry(), "pass0 still holds it");
    r.assertQueueAlive();
    r.release(da0.getRef()); // a second release by the same holder is ignored
    assertNotNull(r.entry());

    r.release(pass0.getRef());
    r.assertRetired();
  }

  @Test
  void thePeriphListAloneKeepsNothingAlive() {
    Rig r = new Rig();
    r.x.xpt.tell(new Xpt.AddPeriph(r.lun1, "pass", 0)); // listed, but holding no reference
    r.pullAndRescan();
    r.assertRetired();
  }

  @Test
  void aRePlugBeforeTheLastReleaseReusesTheDeviceAndTheReleaseThenKeepsIt() {
    Rig r = new Rig();
    TestProbe<Object> oldDa = testKit.createTestProbe();
    r.acquire(oldDa.getRef());
    r.pullAndRescan();
    TestProbe<AsyncEvent> found = r.x.subscribe(r.lun1, EnumSet.of(AsyncCode.AC_FOUND_DEVICE));
    r.bus.target(0).plug(0, 1);
    assertStatus(CamStatus.REQ_CMP, r.x.scanLun(r.lun1));
    AsyncEvent.FoundDevice f = found.expectMessageClass(AsyncEvent.FoundDevice.class, WAIT);
    assertEquals(r.dev, f.device(), "cf. scsi_scan_lun() on an unconfigured cam_ed: the same device");
    TestProbe<Object> newDa = testKit.createTestProbe();
    r.acquire(newDa.getRef());

    r.release(oldDa.getRef()); // the old periph's destructor ran
    r.watcher.expectNoMessage(QUIET);
    assertEquals(false, r.entry().unconfigured());
    assertStatus(CamStatus.REQ_CMP, r.x.action(tur(r.lun1, 0, r.done.getRef()), r.done));
    // the new periph's reference and the EDT's own keep it; losing it again waits for newDa
    r.pullAndRescan();
    assertNotNull(r.entry());
    r.release(newDa.getRef());
    r.assertRetired();
  }

  @Test
  void aHeldDeviceOutlivesItsBusAndARePlugOnTheSamePathIdIsANewDevice() {
    Rig r = new Rig();
    TestProbe<Object> oldDa = testKit.createTestProbe();
    r.acquire(oldDa.getRef());
    TestProbe<AsyncEvent> ev = r.x.subscribe(CamPath.XPT, EnumSet.of(AsyncCode.AC_PATH_DEREGISTERED));
    r.x.xpt.tell(new Xpt.DeregisterBus(r.b));
    ev.expectMessageClass(AsyncEvent.PathDeregistered.class, WAIT);
    r.watcher.expectNoMessage(QUIET); // kept as an orphan
    TestProbe<XptDevice.Counters> counters = testKit.createTestProbe();
    r.dev.tell(new XptDevice.GetCounters(counters.getRef())); // the orphan's queue still answers
    counters.expectMessageClass(XptDevice.Counters.class, WAIT);

    // the HBA comes back, wired to the same path id, and the LUN is probed again
    TestProbe<Xpt.BusRegistered> reg = testKit.createTestProbe();
    r.x.xpt.tell(new Xpt.RegisterBus(r.bus.cpi(0), r.b, 32, r.bus, reg.getRef()));
    assertEquals(r.b, reg.expectMessageClass(Xpt.BusRegistered.class, WAIT).pathId());
    assertStatus(CamStatus.REQ_CMP, r.x.scanLun(r.lun1));
    ActorRef<XptDevice.Command> fresh = r.x.deviceRef(r.lun1);
    assertNotEquals(r.dev, fresh);

    r.release(oldDa.getRef()); // releases the orphan it holds, not the new device
    r.watcher.expectTerminated(r.dev, WAIT);
    assertEquals(false, r.entry().unconfigured());
    assertStatus(CamStatus.REQ_CMP, r.x.action(tur(r.lun1, 0, r.done.getRef()), r.done));
  }

  @Test
  void aHolderThatStopsGivesItsReferencesBack() {
    Rig r = new Rig();
    ActorRef<Object> holder = testKit.spawn(Behaviors.ignore());
    r.acquire(holder);
    r.acquire(holder);
    r.pullAndRescan();
    r.watcher.expectNoMessage(QUIET);
    assertNotNull(r.entry());
    testKit.stop(holder); // e.g. a periph that crashed before its destructor
    r.assertRetired();
  }

  @Test
  void referencesToDevicesTheEdtDoesNotHaveAreIgnored() {
    Rig r = new Rig();
    TestProbe<Object> h = testKit.createTestProbe();
    CamPath nowhere = CamPath.of(r.b, 3, 0);
    r.x.xpt.tell(new Xpt.AcquireDevice(nowhere, h.getRef()));
    r.x.xpt.tell(new Xpt.ReleaseDevice(r.lun1, h.getRef())); // holds nothing there
    assertThrows(NullPointerException.class, () -> new Xpt.ReleaseDevice(null, h.getRef()));
    r.pullAndRescan();
    r.assertRetired(); // the stray release did not count, and nothing held it
    assertStatus(CamStatus.DEV_NOT_THERE, r.x.action(new Ccb.GetDevStats(header(nowhere, r.done.getRef())), r.done));
  }

  /**
   * A periph as the XPT sees it after {@link Xpt.AllocPeriph}: it holds the device, is listed, and
   * gets its async events at its own message adapter; {@code "free"} sends {@link Xpt.FreePeriph}.
   */
  /** Spawns {@link #allocating} and waits until the XPT took its AllocPeriph (pass0 listed). */
  private ActorRef<Object> spawnAllocated(Rig r, TestProbe<AsyncEvent> events) {
    ActorRef<Object> pass0 = testKit.spawn(allocating(r, events));
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertEquals(java.util.List.of("pass0"), r.entry().periphs());
      return null;
    });
    return pass0;
  }

  private static Behavior<Object> allocating(Rig r, TestProbe<AsyncEvent> events) {
    return Behaviors.setup(
        ctx -> {
          ActorRef<AsyncEvent> adapter = ctx.messageAdapter(AsyncEvent.class, ev -> ev);
          r.x.xpt.tell(new Xpt.AllocPeriph(r.lun1, "pass", 0, true, EnumSet.of(AsyncCode.AC_LOST_DEVICE), adapter, ctx.getSelf()));
          return Behaviors.receiveMessage(
              m -> {
                if (m instanceof AsyncEvent ev) {
                  events.getRef().tell(ev);
                } else if ("free".equals(m)) {
                  r.x.xpt.tell(new Xpt.FreePeriph(r.lun1, "pass", 0, true, ctx.getSelf()));
                }
                return Behaviors.same();
              });
        });
  }

  @Test
  void allocPeriphHoldsListsAndSubscribesAndFreePeriphUndoesIt() {
    Rig r = new Rig();
    TestProbe<AsyncEvent> events = testKit.createTestProbe();
    ActorRef<Object> pass0 = spawnAllocated(r, events);
    r.pullAndRescan();
    assertEquals(r.lun1, events.expectMessageClass(AsyncEvent.LostDevice.class, WAIT).path());
    r.watcher.expectNoMessage(QUIET);
    assertNotNull(r.entry(), "held: still in the EDT");
    pass0.tell("free");
    r.assertRetired();
  }

  @Test
  void aPeriphThatStopsAfterAllocPeriphGivesItsReferenceBack() {
    Rig r = new Rig();
    TestProbe<AsyncEvent> events = testKit.createTestProbe();
    ActorRef<Object> pass0 = spawnAllocated(r, events);
    r.pullAndRescan();
    assertEquals(r.lun1, events.expectMessageClass(AsyncEvent.LostDevice.class, WAIT).path());
    r.watcher.expectNoMessage(QUIET);
    assertNotNull(r.entry());
    testKit.stop(pass0); // crashed before its destructor: the holder's watch returns the reference
    r.assertRetired();
  }
}
