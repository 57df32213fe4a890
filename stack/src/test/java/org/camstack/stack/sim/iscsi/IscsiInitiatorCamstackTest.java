package org.camstack.stack.sim.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.iscsi.Chap;
import org.camstack.stack.target.Delay;
import org.camstack.stack.target.EmuDevice;
import org.camstack.stack.target.EmuDevices;
import org.camstack.stack.target.EmuDisk;
import org.camstack.stack.scsi.da.DaPeriph;
import org.camstack.stack.target.EmuTarget;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.target.TargetInventory;
import org.camstack.stack.target.iscsi.IscsiPortal;
import org.camstack.stack.target.iscsi.PortalConfig;
import org.camstack.stack.target.iscsi.TargetNames;
import org.camstack.stack.testkit.StackRig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * camstack to camstack: the initiator SIM of stack A logs in (CHAP) to camstack's own iSCSI target
 * ("node B": a target inventory behind a portal), through a TCP proxy that can cut the connection.
 * A connection cut with a command in flight is invisible to the caller (requeued, reconnected); a
 * LUN pulled on B disappears from A through the lifetime protocol and returns as the same unit when
 * plugged back; a session down past fail-on-disconnection loses both devices, and they come back
 * under the same names once the target is reachable again. No lifetime violation throughout.
 */
@Timeout(120)
class IscsiInitiatorCamstackTest {
  static final String HOST = "nodeb";
  static final Duration WAIT = Duration.ofSeconds(20);

  ActorTestKit kit;
  EmuTarget target;
  IscsiPortal portal;
  TcpProxy proxy;
  StackRig rig;
  ActorRef<IscsiSim.Command> sim;
  final TestProbe<Void> waiter() {
    return kit.createTestProbe();
  }

  static EmuDevice disk(long lun) {
    return EmuDevices.create(LunSpec.disk(lun, 16384, 512), null);
  }

  @BeforeEach
  void start() throws Exception {
    kit = ActorTestKit.create(StackRig.config("camstack.topology.buses = []\n"));
    TargetInventory inventory = new TargetInventory();
    target = new EmuTarget(0, List.of(disk(0), disk(1)));
    Map<Integer, EmuTarget> bus = new ConcurrentHashMap<>();
    bus.put(0, target);
    inventory.publish(0, bus);
    Chap.Account account = Chap.Account.of("camstack-a", "twelve-byte-secret");
    portal = IscsiPortal.start(kit.system(), "127.0.0.1", 0,
            PortalConfig.defaults(HOST).withChap(Optional.of(Chap.Credentials.oneWay(account))), inventory)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    proxy = new TcpProxy(portal.port());
    rig = new StackRig(kit, false);
    IscsiSim.Settings s = IscsiSim.Settings.DEFAULT;
    IscsiSim.Settings fast = new IscsiSim.Settings(s.initiatorName(), Duration.ofSeconds(2), Duration.ofMillis(50),
        Duration.ofMillis(300), s.noopInterval(), s.noopTimeout(), s.resetTimeout(), s.timing());
    IscsiUrl url = new IscsiUrl("127.0.0.1", proxy.port(), TargetNames.name(HOST, 0, 0));
    sim = kit.spawn(IscsiSim.create(url, Optional.of(account), -1, 0, fast, rig.stack.xpt()));
  }

  @AfterEach
  void stop() throws Exception {
    try {
      proxy.close();
    } finally {
      kit.shutdownTestKit();
    }
  }

  /** LUN -> its da unit name, once both LUNs have da and pass. */
  private Map<Long, String> awaitDisks(int count) {
    return waiter().awaitAssert(WAIT, Duration.ofMillis(50), () -> {
      Ccb.DevMatchResult edt = rig.stack.awaitPeriphs(StackRig.WAIT);
      Map<Long, String> out = new java.util.TreeMap<>();
      for (Ccb.BusMatch b : edt.buses()) {
        if (!b.devName().equals("iscsi")) {
          continue;
        }
        for (Ccb.DeviceMatch d : b.devices()) {
          if (!d.unconfigured()) {
            d.periphs().stream().filter(p -> p.startsWith("da")).findFirst().ifPresent(da -> out.put(d.path().lun(), da));
          }
        }
      }
      assertEquals(count, out.size(), "da units: " + out);
      return out;
    });
  }

  private IscsiSim.Status status() {
    TestProbe<IscsiSim.Status> p = kit.createTestProbe();
    sim.tell(new IscsiSim.GetStatus(p.getRef()));
    return p.receiveMessage(WAIT);
  }

  @Test
  void chapLoginReconnectPulledLunAndFailOnDisconnection() throws Exception {
    Map<Long, String> das = awaitDisks(2);
    assertEquals("Connected", status().state());

    // data through CHAP-authenticated session
    Devfs.FileHandle fh0 = rig.openOk(das.get(0L));
    byte[] data = new byte[128 * 1024];
    new java.util.Random(7).nextBytes(data);
    assertEquals(Errno.OK, rig.call(r -> new Devfs.Write(fh0, 4096, ByteString.fromArray(data), r)).errno());

    // the connection is cut while a read is in flight: the caller sees nothing but its data
    target.device(0).setDelay(new Delay(300_000_000L, 300_000_000L));
    TestProbe<Devfs.DevReply> reply = kit.createTestProbe();
    rig.devfs().tell(new Devfs.Read(fh0, 4096, data.length, reply.getRef()));
    waiter().awaitAssert(WAIT, Duration.ofMillis(10), () -> {
      assertTrue(target.device(0).tasksInFlight() > 0, "read in flight at the target");
      return null;
    });
    proxy.dropAll();
    Devfs.DevReply r = reply.receiveMessage(WAIT);
    assertEquals(Errno.OK, r.errno(), "read across a reconnect");
    assertArrayEquals(data, r.data().toArray());
    target.device(0).setDelay(Delay.NONE);
    waiter().awaitAssert(WAIT, () -> {
      IscsiSim.Status st = status();
      assertEquals("Connected", st.state());
      assertTrue(st.connections() >= 2, "reconnected: " + st);
      assertTrue(st.requeued() >= 1, "the in-flight read was requeued: " + st);
      return null;
    });
    rig.close(fh0);

    // a LUN pulled on B disappears from A (lifetime protocol), plugged back it is the same unit
    assertNotNull(target.removeLun(1));
    String da1 = das.get(1L);
    waiter().awaitAssert(WAIT, Duration.ofMillis(50), () -> {
      Devfs.OpenResult o = rig.open(da1);
      if (o.ok()) {
        rig.call(rr -> new Devfs.Read(o.file(), 0, 512, rr));
        rig.close(o.file());
      }
      assertTrue(rig.units("da").units().stream().noneMatch(u -> u.path().lun() == 1), "da of lun 1 gone");
      return null;
    });
    waiter().awaitAssert(WAIT, Duration.ofMillis(50), () -> {
      target.addLun(disk(1)); // refused while the pulled one still has commands in flight
      return null;
    });
    waiter().awaitAssert(WAIT, Duration.ofMillis(50), () -> {
      Devfs.OpenResult o = rig.open(das.get(0L)); // its next command reports 3F/0E: the target is rescanned
      if (o.ok()) {
        rig.call(rr -> new Devfs.Read(o.file(), 0, 512, rr));
        rig.close(o.file());
      }
      assertEquals(das, awaitDisks(2), "lun 1 back under the same name");
      return null;
    });

    // a capacity change on B reaches A's da through the unit attention (2A/09) and the classifier
    ((EmuDisk) target.device(0)).resize(32768);
    waiter().awaitAssert(WAIT, Duration.ofMillis(50), () -> {
      Devfs.FileHandle fh = rig.openOk(das.get(0L));
      try {
        rig.call(rr -> new Devfs.Read(fh, 0, 512, rr));
        DaPeriph.MediaInfo m = (DaPeriph.MediaInfo) rig.ioctl(fh, new DaPeriph.GetMediaInfo()).result();
        assertEquals(32768L * 512, m.mediaSize(), "resized");
      } finally {
        rig.close(fh);
      }
      return null;
    });

    // down past fail-on-disconnection: both devices are lost; reachable again, they come back
    proxy.refuse(true);
    proxy.dropAll();
    waiter().awaitAssert(WAIT, Duration.ofMillis(50), () -> {
      assertTrue(rig.units("da").units().isEmpty(), "da units lost: " + rig.units("da").units());
      assertEquals("Failed", status().state());
      return null;
    });
    proxy.refuse(false);
    assertEquals(das, awaitDisks(2), "the same names after the reconnect");
    assertEquals(List.of(), rig.checker.violations(), "lifetime violations");

    TestProbe<StatusReply<Done>> removed = kit.createTestProbe();
    sim.tell(new IscsiSim.Remove(removed.getRef()));
    assertTrue(removed.receiveMessage(WAIT).isSuccess());
    waiter().awaitAssert(WAIT, () -> {
      assertTrue(rig.units("da").units().isEmpty());
      return null;
    });
    assertNotEquals(0, proxy.accepted());
  }
}
