package org.camstack.stack.sim.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.target.Delay;
import org.camstack.stack.target.EmuDevice;
import org.camstack.stack.target.EmuDevices;
import org.camstack.stack.target.EmuTarget;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.target.TargetInventory;
import org.camstack.stack.target.iscsi.IscsiPortal;
import org.camstack.stack.target.iscsi.PortalConfig;
import org.camstack.stack.target.iscsi.TargetNames;
import org.camstack.stack.testkit.StackRig;
import org.camstack.stack.xpt.Xpt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Task management end to end, against camstack's own iSCSI target in the same JVM: an {@code
 * XPT_ABORT} of a READ the target holds (a delay fault on the LUN) sends ABORT TASK, the target
 * forgets the task and the CCB completes {@code CAM_REQ_ABORTED} at once; an {@code XPT_RESET_DEV}
 * sends LOGICAL UNIT RESET, which the target carries out (its in-flight task aborted, unit
 * attention 29/03). The portal counts the requests it receives by function.
 */
@Timeout(60)
class IscsiInitiatorTaskManagementTest {
  static final String HOST = "tmf";
  static final Duration WAIT = Duration.ofSeconds(20);
  static final int ABORT_TASK = 1;
  static final int LOGICAL_UNIT_RESET = 5;

  ActorTestKit kit;
  EmuTarget target;
  IscsiPortal portal;
  StackRig rig;
  ActorRef<IscsiSim.Command> sim;

  @BeforeEach
  void start() throws Exception {
    kit = ActorTestKit.create(StackRig.config("camstack.topology.buses = []\n"));
    TargetInventory inventory = new TargetInventory();
    EmuDevice disk = EmuDevices.create(LunSpec.disk(0, 16384, 512), null);
    target = new EmuTarget(0, List.of(disk));
    Map<Integer, EmuTarget> bus = new ConcurrentHashMap<>();
    bus.put(0, target);
    inventory.publish(0, bus);
    portal = IscsiPortal.start(kit.system(), "127.0.0.1", 0, PortalConfig.defaults(HOST), inventory)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    rig = new StackRig(kit, false);
    IscsiUrl url = new IscsiUrl("127.0.0.1", portal.port(), TargetNames.name(HOST, 0, 0));
    sim = kit.spawn(IscsiSim.create(url, Optional.empty(), -1, 0, IscsiSim.Settings.DEFAULT, rig.stack.xpt()));
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  /** The path of LUN 0 once da attached to it and the target has nothing in flight (attach done). */
  private CamPath lun0() throws Exception {
    CamPath p = kit.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(50), () -> {
      List<org.camstack.stack.periph.PeriphDriver.UnitInfo> das = rig.units("da").units();
      assertEquals(1, das.size(), "da attached: " + das);
      return das.get(0).path();
    });
    rig.stack.awaitPeriphs(WAIT);
    awaitInFlightAtTarget(0);
    return p;
  }

  /** A 1-block READ(10) with a long timeout (the delay fault would otherwise outlast it). */
  private static Ccb.ScsiIo read(long id, CamPath path, ActorRef<Ccb.Completed> replyTo) {
    byte[] cdb = new byte[10];
    cdb[0] = 0x28;
    cdb[8] = 1;
    return new Ccb.ScsiIo(
        new Ccb.Header(id, path, CamPriority.NORMAL, CcbFlags.DIR_IN, 60_000, 0, replyTo),
        ByteString.fromArrayUnsafe(cdb), ByteString.emptyByteString(), 512);
  }

  private void awaitInFlightAtTarget(int n) {
    kit.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(10), () -> {
      assertEquals(n, target.device(0).tasksInFlight(), "tasks in flight at the target");
      return null;
    });
  }

  @Test
  void xptAbortOfACommandInFlightSendsAbortTaskAndCompletesTheCcbAborted() throws Exception {
    CamPath path = lun0();
    target.device(0).setDelay(Delay.fixed(30_000_000_000L)); // held by the target for 30 s
    TestProbe<Ccb.Completed> owner = kit.createTestProbe();
    Ccb.ScsiIo victim = read(900_001, path, owner.getRef());
    rig.stack.xpt().tell(new Xpt.Action(victim));
    awaitInFlightAtTarget(1);
    assertEquals(0, portal.sessions().tmfsReceived(ABORT_TASK));

    rig.stack.xpt().tell(new Xpt.Action(new Ccb.Abort(new Ccb.Header(900_002, path, CamPriority.NORMAL, 0, 0, 0, owner.getRef()), victim.ccbId())));

    Ccb.Completed first = owner.receiveMessage(WAIT);
    Ccb.Completed second = owner.receiveMessage(WAIT);
    Ccb.Completed aborted = first.ccb() == victim ? first : second;
    Ccb.Completed ack = first.ccb() == victim ? second : first;
    assertEquals(victim, aborted.ccb());
    assertEquals(CamStatus.REQ_ABORTED, aborted.status());
    assertEquals(CamStatus.REQ_CMP, ack.status());
    // ABORT TASK reached the target, which forgot the task long before its 30 s delay
    kit.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(10), () -> {
      assertEquals(1, portal.sessions().tmfsReceived(ABORT_TASK));
      return null;
    });
    awaitInFlightAtTarget(0);
    target.device(0).setDelay(Delay.NONE);
    // the session is the same one and still works
    IscsiSim.Status st = status();
    assertEquals("Connected", st.state());
    assertEquals(1, st.connections(), st.toString());
    TestProbe<Ccb.Completed> p = kit.createTestProbe();
    rig.stack.xpt().tell(new Xpt.Action(read(900_003, path, p.getRef())));
    assertEquals(CamStatus.REQ_CMP, p.receiveMessage(WAIT).status());
    assertEquals(List.of(), rig.checker.violations());
  }

  @Test
  void xptResetDevSendsLogicalUnitResetWhichAbortsTheTaskInFlight() throws Exception {
    CamPath path = lun0();
    target.device(0).setDelay(Delay.fixed(30_000_000_000L));
    TestProbe<Ccb.Completed> reader = kit.createTestProbe();
    rig.stack.xpt().tell(new Xpt.Action(read(910_001, path, reader.getRef())));
    awaitInFlightAtTarget(1);

    TestProbe<Ccb.Completed> resetter = kit.createTestProbe();
    rig.stack.xpt().tell(new Xpt.Action(new Ccb.ResetDev(new Ccb.Header(910_002, path, CamPriority.NORMAL, 0, 0, 0, resetter.getRef()))));

    assertEquals(CamStatus.REQ_CMP, resetter.receiveMessage(WAIT).status());
    assertEquals(1, portal.sessions().tmfsReceived(LOGICAL_UNIT_RESET));
    assertEquals(0, portal.sessions().tmfsReceived(ABORT_TASK));
    awaitInFlightAtTarget(0); // the reset aborted the held READ at the target
    target.device(0).setDelay(Delay.NONE);
    assertEquals("Connected", status().state());
    assertTrue(status().connections() >= 1);
  }

  private IscsiSim.Status status() {
    TestProbe<IscsiSim.Status> p = kit.createTestProbe();
    sim.tell(new IscsiSim.GetStatus(p.getRef()));
    return p.receiveMessage(WAIT);
  }
}
