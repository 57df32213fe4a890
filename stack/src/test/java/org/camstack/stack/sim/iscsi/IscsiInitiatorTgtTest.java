package org.camstack.stack.sim.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.scsi.da.DaPeriph;
import org.camstack.stack.testkit.StackRig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The iSCSI initiator SIM against a real tgtd: the XPT scans the session's bus, tgt's controller
 * (LUN 0) and its file-backed disk (LUN 1, {@code <IET VIRTUAL-DISK 0001>}) attach with pass and
 * da; da writes reach the backing file, reads come back from it, the media size is the file's;
 * removing the session detaches them through the lifetime protocol.
 */
@Timeout(120)
class IscsiInitiatorTgtTest {
  private static final long SIZE = 64L << 20;

  private ActorTestKit kit;
  private Tgt tgt;
  private Path dir;

  @BeforeEach
  void setUp() throws Exception {
    Tgt.requireTgt();
    dir = Files.createTempDirectory("camstack-initiator-tgt");
    tgt = Tgt.start(dir, SIZE);
    kit = ActorTestKit.create(StackRig.config("camstack.topology.buses = []\n"));
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (kit != null) {
        kit.shutdownTestKit();
      }
    } finally {
      if (tgt != null) {
        tgt.close();
      }
      if (dir != null) {
        try (var paths = Files.walk(dir)) {
          paths.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
      }
    }
  }

  @Test
  void tgtDiskAttachesReadsWritesAndDetaches() throws Exception {
    StackRig rig = new StackRig(kit, false);
    ActorRef<IscsiSim.Command> sim = kit.spawn(IscsiSim.create(IscsiUrl.parse(tgt.url()), Optional.empty(), -1, 0,
        IscsiSim.Settings.DEFAULT, rig.stack.xpt()));
    TestProbe<Void> waiter = kit.createTestProbe();
    Ccb.DeviceMatch disk = waiter.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      Ccb.DevMatchResult edt = rig.stack.awaitPeriphs(StackRig.WAIT);
      Ccb.BusMatch bus = edt.buses().stream().filter(b -> b.devName().equals("iscsi")).findFirst().orElseThrow();
      Ccb.DeviceMatch d = bus.devices().stream().filter(x -> x.path().lun() == 1).findFirst().orElseThrow();
      assertTrue(d.periphs().stream().anyMatch(p -> p.startsWith("da")), "da on " + d);
      assertTrue(d.periphs().stream().anyMatch(p -> p.startsWith("pass")), "pass on " + d);
      assertTrue(bus.devices().stream().anyMatch(x -> x.path().lun() == 0), "tgt's controller at LUN 0");
      return d;
    });
    assertEquals("IET", disk.info().vendor());
    assertEquals("VIRTUAL-DISK", disk.info().product());
    assertEquals("0001", disk.info().revision());
    String da = disk.periphs().stream().filter(p -> p.startsWith("da")).findFirst().orElseThrow();

    Devfs.FileHandle fh = rig.openOk(da);
    DaPeriph.MediaInfo media = (DaPeriph.MediaInfo) rig.ioctl(fh, new DaPeriph.GetMediaInfo()).result();
    assertEquals(SIZE, media.mediaSize(), "readcap agrees with the backing file");

    // 256 KiB: more than FirstBurstLength, so immediate data, unsolicited Data-Out and R2Ts all run
    byte[] data = new byte[256 * 1024];
    ThreadLocalRandom.current().nextBytes(data);
    long offset = 1 << 20;
    Devfs.DevReply w = rig.call(r -> new Devfs.Write(fh, offset, ByteString.fromArray(data), r));
    assertEquals(Errno.OK, w.errno(), "write");
    byte[] onDisk = new byte[data.length];
    try (RandomAccessFile f = new RandomAccessFile(tgt.backing.toFile(), "r")) {
      f.seek(offset);
      f.readFully(onDisk);
    }
    assertArrayEquals(data, onDisk, "the write reached tgt's backing file");
    Devfs.DevReply r = rig.call(rr -> new Devfs.Read(fh, offset, data.length, rr));
    assertEquals(Errno.OK, r.errno(), "read");
    assertArrayEquals(data, r.data().toArray(), "read back what was written");
    rig.close(fh);

    TestProbe<StatusReply<Done>> removed = kit.createTestProbe();
    sim.tell(new IscsiSim.Remove(removed.getRef()));
    assertTrue(removed.receiveMessage(Duration.ofSeconds(20)).isSuccess());
    waiter.awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(100), () -> {
      assertTrue(rig.units("da").units().isEmpty(), "da detached: " + rig.units("da"));
      assertTrue(rig.nodes().nodes().stream().noneMatch(n -> n.name().startsWith("da")), "no da node left");
      return null;
    });
  }
}
