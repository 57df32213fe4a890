package org.camstack.stack.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.testkit.UserProgramDisk;
import org.camstack.stack.scsi.Cdbs;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.testkit.StackRig;
import org.camstack.stack.xpt.Xpt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * targ(4): a Java thread plays a tiny disk (INQUIRY, TUR, READ CAPACITY, READ(6)/(10), REPORT LUNS,
 * MODE SENSE) on a target-mode bus; the local da driver attaches to it and reads the blocks the
 * program serves. A command the program leaves unanswered times out with CAM_CMD_TIMEOUT and a
 * late CTIO is refused.
 */
@ExtendWith(LogCapturingExtension.class)
@Timeout(120)
class TargBusTest {
  private static final String TOPOLOGY =
      "camstack.topology.buses = [ { name = emusim, targets = [\n"
          + "  { id = 0, luns = [ { lun = 0, size = 1MiB, block-size = 512 } ] }\n"
          + "] } ]\n";

  private static final ActorTestKit testKit = ActorTestKit.create("TargBusTest", StackRig.config(TOPOLOGY));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static final StackRig rig = new StackRig(testKit, false);

  static {
    rig.scanAndSettle();
  }

  private static final int BLOCKS = 128;

  /** Byte i of block lba of the played disk. */
  private static byte pattern(long lba, int i) {
    return (byte) (lba * 7 + i);
  }

  /** The user program: a 128-block disk of 512-byte blocks, until {@code stop}. */
  private static void playDisk(TargBus.Lun lun, AtomicBoolean stop, AtomicBoolean mute, ConcurrentLinkedQueue<TargBus.Atio> ignored) {
    try {
      while (!stop.get()) {
        TargBus.Atio a = lun.accept(Duration.ofMillis(200));
        if (a == null) {
          continue;
        }
        if (mute.get()) {
          ignored.add(a);
          continue;
        }
        lun.ctio(a.tag(), answer(a));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static TargBus.Ctio answer(TargBus.Atio a) {
    ByteString cdb = a.cdb();
    switch (a.opcode()) {
      case 0x12: { // INQUIRY
        if ((cdb.apply(1) & 1) != 0) {
          if ((cdb.apply(2) & 0xff) == 0) {
            return TargBus.Ctio.good(ByteString.fromArray(new byte[] {0, 0, 0, 1, 0}));
          }
          return TargBus.Ctio.checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x24, 0));
        }
        byte[] b = UserProgramDisk.standardInquiry();
        return TargBus.Ctio.good(ByteString.fromArray(b));
      }
      case 0x00: // TEST UNIT READY
        return TargBus.Ctio.good(ByteString.emptyByteString());
      case 0x25: { // READ CAPACITY(10)
        byte[] b = new byte[8];
        Bytes.put32(b, 0, BLOCKS - 1);
        Bytes.put32(b, 4, 512);
        return TargBus.Ctio.good(ByteString.fromArray(b));
      }
      case 0xa0: { // REPORT LUNS: LUN 0
        byte[] b = new byte[16];
        Bytes.put32(b, 0, 8);
        return TargBus.Ctio.good(ByteString.fromArray(b));
      }
      case 0x1a: // MODE SENSE(6): a bare header
        return TargBus.Ctio.good(ByteString.fromArray(new byte[] {3, 0, 0, 0}));
      case 0x08: // READ(6)
      case 0x28: { // READ(10)
        boolean six = a.opcode() == 0x08;
        long lba = six ? Bytes.be24(cdb, 1) & 0x1fffff : Bytes.be32(cdb, 2);
        int n = six ? (Bytes.u8(cdb, 4) == 0 ? 256 : Bytes.u8(cdb, 4)) : Bytes.be16(cdb, 7);
        if (lba + n > BLOCKS) {
          return TargBus.Ctio.checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x21, 0));
        }
        byte[] b = new byte[n * 512];
        for (int k = 0; k < n; k++) {
          for (int i = 0; i < 512; i++) {
            b[k * 512 + i] = pattern(lba + k, i);
          }
        }
        return TargBus.Ctio.good(ByteString.fromArray(b));
      }
      default: // INVALID COMMAND OPERATION CODE (READ CAPACITY(16), SYNCHRONIZE CACHE, ...)
        return TargBus.Ctio.checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x20, 0));
    }
  }

  @Test
  void daAttachesToADiskPlayedByAUserProgramAndReadsItsBlocks() throws Exception {
    TargBus bus = new TargBus();
    TestProbe<Xpt.BusRegistered> reg = testKit.createTestProbe();
    TargBus.register(rig.stack.xpt(), bus, "targ", 0, 7, reg.getRef());
    int pathId = reg.receiveMessage(StackRig.WAIT).pathId();
    TargBus.Lun lun = bus.enable(0, 0);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicBoolean mute = new AtomicBoolean();
    ConcurrentLinkedQueue<TargBus.Atio> ignored = new ConcurrentLinkedQueue<>();
    Thread program = new Thread(() -> playDisk(lun, stop, mute, ignored), "targ-user-program");
    program.start();
    try {
      TestProbe<Ccb.Completed> done = testKit.createTestProbe();
      CamPath path = CamPath.of(pathId, 0, 0);
      rig.stack.xpt().tell(new Xpt.Action(new Ccb.ScanBus(Ccb.Header.of(1, CamPath.bus(pathId), done.getRef()))));
      done.receiveMessage(StackRig.WAIT);
      TestProbe<Object> p = testKit.createTestProbe();
      int unit = p.awaitAssert(StackRig.WAIT, () -> {
        assertNotNull(rig.units("da").atPath(path), "da on the played disk");
        return rig.units("da").atPath(path).unit();
      });
      assertEquals(List.of(), rig.units("da").units().stream().filter(u -> u.path().equals(CamPath.of(pathId, 0, 1))).toList(),
          "the black hole answers the other LUNs: nothing attaches there");

      // the da's node appears once its READ CAPACITY (answered by the program) finished attaching it
      Devfs.FileHandle fh = p.awaitAssert(StackRig.WAIT, () -> rig.openOk("da" + unit));
      Devfs.DevReply r = rig.call(c -> new Devfs.Read(fh, 5 * 512L, 3 * 512, c));
      assertEquals(Errno.OK, r.errno());
      byte[] want = new byte[3 * 512];
      for (int k = 0; k < 3; k++) {
        for (int i = 0; i < 512; i++) {
          want[k * 512 + i] = pattern(5 + k, i);
        }
      }
      assertArrayEquals(want, r.data().toArray());
      rig.close(fh);

      // the program stops answering: the command times out, a late CTIO finds it gone
      mute.set(true);
      TestProbe<Ccb.Completed> tur = testKit.createTestProbe();
      rig.stack.xpt().tell(new Xpt.Action(new Ccb.ScsiIo(
          new Ccb.Header(2, path, CamPriority.NORMAL, CcbFlags.DIR_NONE, 300, 0, tur.getRef()), Cdbs.testUnitReady(),
          ByteString.emptyByteString(), 0)));
      assertEquals(CamStatus.CMD_TIMEOUT, tur.receiveMessage(StackRig.WAIT).status());
      TargBus.Atio late = p.awaitAssert(StackRig.WAIT, () -> {
        assertFalse(ignored.isEmpty(), "the program saw the TUR");
        return ignored.peek();
      });
      assertFalse(lun.ctio(late.tag(), TargBus.Ctio.good(ByteString.emptyByteString())), "a CTIO after the timeout is refused");
      assertEquals(0, bus.waiting());
      assertEquals(List.of(), rig.checker.violations());
    } finally {
      stop.set(true);
      program.join(10_000);
    }
  }
}
