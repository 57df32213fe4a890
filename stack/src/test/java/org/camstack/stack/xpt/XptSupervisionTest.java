package org.camstack.stack.xpt;

import static org.camstack.stack.xpt.XptFixture.WAIT;
import static org.camstack.stack.xpt.XptFixture.assertStatus;
import static org.camstack.stack.xpt.XptFixture.read;
import static org.camstack.stack.xpt.XptFixture.tur;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.camstack.stack.ccb.AsyncCode;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.sim.BusSpec;
import org.camstack.stack.sim.EmuSim;
import org.camstack.stack.target.LunSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * What the XPT does when one of its actors fails or stops (docs/lifetime.md, "Supervision"): a
 * failed device queue is lost and dropped, not restarted, and the LUN can be found again; the XPT
 * itself keeps serving; an emulated SIM that stops takes its bus with it.
 */
class XptSupervisionTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void aFailedDeviceQueueIsLostAndDroppedAndARescanFindsTheLunAgain() {
    FakeBus bus = new FakeBus(3, 7, 7);
    FakeBus.Lun lun = bus.addLun(0, 0);
    bus.addLun(1, 0);
    XptFixture x = new XptFixture(testKit);
    int b = x.register(bus, 0);
    x.scanBus(b);
    CamPath path = CamPath.of(b, 0, 0);
    ActorRef<XptDevice.Command> dev = x.deviceRef(path);
    TestProbe<AsyncEvent> lost = x.subscribe(path, EnumSet.of(AsyncCode.AC_LOST_DEVICE));

    lun.faultHook = cdb -> {
      throw new AssertionError("SIM bug: not a RuntimeException, so the device queue fails");
    };
    TestProbe<Ccb.Completed> done = testKit.createTestProbe();
    LoggingTestKit.error(AssertionError.class)
        .expect(testKit.system(), () -> {
          dev.tell(new XptDevice.Action(read(path, 0, done.getRef())));
          return null;
        });
    TestProbe<Object> watcher = testKit.createTestProbe();
    watcher.expectTerminated(dev, WAIT); // stopped, not restarted
    assertEquals(path, lost.expectMessageClass(AsyncEvent.LostDevice.class, WAIT).path());
    assertStatus(CamStatus.DEV_NOT_THERE, x.action(tur(path, 0, done.getRef()), done));
    assertEquals(List.of(CamPath.of(b, 1, 0)), x.configured(), "the other LUN is untouched");

    lun.faultHook = null;
    assertStatus(CamStatus.REQ_CMP, x.scanLun(path));
    ActorRef<XptDevice.Command> again = x.deviceRef(path);
    assertNotEquals(dev, again, "a new device queue");
    assertStatus(CamStatus.REQ_CMP, x.action(tur(path, 0, done.getRef()), done));
  }

  @Test
  void malformedMessagesCannotBeBuiltSoTheXptNeverSeesThem() {
    assertThrows(NullPointerException.class, () -> new Xpt.Action(null));
    assertThrows(NullPointerException.class, () -> new XptDevice.Action(null));
    assertThrows(NullPointerException.class, () -> new Xpt.AddPeriph(CamPath.XPT, null, 0));
    assertThrows(NullPointerException.class, () -> new Xpt.AcquireDevice(CamPath.XPT, null));
    XptFixture x = new XptFixture(testKit);
    x.xpt.tell(new Xpt.RaiseAsync(null)); // tolerated
    x.xpt.tell(new Xpt.RegisterBus(null, -1, 1, null, null)); // ignored with a warning
    assertEquals(1, x.devMatch(CamPath.XPT).buses().size(), "still serving: only the xpt bus");
  }

  @Test
  void anEmulatedSimThatStopsDeregistersItsBusAndItsDevicesAreLost() {
    ActorRef<Xpt.Command> xpt = testKit.spawn(Xpt.create(Xpt.Settings.DEFAULT));
    TestProbe<AsyncEvent> ev = testKit.createTestProbe();
    TestProbe<Xpt.AsyncRegistered> ack = testKit.createTestProbe();
    xpt.tell(new Xpt.RegisterAsync(
        EnumSet.of(AsyncCode.AC_FOUND_DEVICE, AsyncCode.AC_LOST_DEVICE, AsyncCode.AC_PATH_DEREGISTERED), CamPath.XPT, ev.getRef(), ack.getRef()));
    ack.expectMessageClass(Xpt.AsyncRegistered.class, WAIT);
    BusSpec spec = BusSpec.empty("emusim", 0).withTargets(Map.of(0, List.of(LunSpec.disk(0, 2048, 512))));
    ActorRef<EmuSim.Command> sim = testKit.spawn(EmuSim.create(spec, xpt));
    AsyncEvent.FoundDevice found = ev.expectMessageClass(AsyncEvent.FoundDevice.class, WAIT);

    testKit.stop(sim); // an HBA detach; a failed EmuSim is not restarted either (PostStop runs)
    assertEquals(found.path(), ev.expectMessageClass(AsyncEvent.LostDevice.class, WAIT).path());
    assertTrue(ev.expectMessageClass(AsyncEvent.PathDeregistered.class, WAIT).path().lun() == CamPath.WILDCARD);
  }
}
