package org.camstack.stack.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.scsi.Cdbs;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.target.EmuDevice;
import org.camstack.stack.target.Nexuses;
import org.camstack.stack.testkit.TestStack;
import org.camstack.stack.testkit.TopologyBuilder;
import org.camstack.stack.xpt.XptDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A persistent reservation taken by a network initiator port on the LUN object the target layer
 * publishes (as the iSCSI frontend would) is seen by the in-process SIM's initiator through the
 * whole stack: its WRITE ends in RESERVATION CONFLICT, its READ too for Exclusive Access, until the
 * holder releases.
 */
class ReservationAcrossFrontendsTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Duration WAIT = TestStack.TIMEOUT;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static ScsiResponse prout(EmuDevice d, int initiator, int sa, int type, long key, long saKey) {
    byte[] p = new byte[24];
    for (int i = 0; i < 8; i++) {
      p[i] = (byte) (key >>> (56 - 8 * i));
      p[8 + i] = (byte) (saKey >>> (56 - 8 * i));
    }
    byte[] cdb = {0x5f, (byte) sa, (byte) type, 0, 0, 0, 0, 0, 24, 0};
    return d.execute(ByteString.fromArray(cdb), ByteString.fromArray(p), 24, initiator);
  }

  private static Ccb.Completed io(SimInitiator h, CamPath p, ByteString cdb, int flags, ByteString out, int len) {
    h.dev.tell(new XptDevice.Action(new Ccb.ScsiIo(
        new Ccb.Header(h.next++, p, CamPriority.NORMAL, flags | CcbFlags.DEV_QFRZDIS, 0, 0, h.done.getRef()), cdb, out, len)));
    return h.done.expectMessageClass(Ccb.Completed.class, WAIT);
  }

  /** The SIM initiator's device queue and where its CCBs complete. */
  private static final class SimInitiator {
    org.apache.pekko.actor.typed.ActorRef<XptDevice.Command> dev;
    TestProbe<Ccb.Completed> done;
    int next = 1;
  }

  @Test
  void aReservationOfANetworkNexusStopsTheSimInitiatorsWrites() {
    try (TestStack s = TestStack.start(testKit, TopologyBuilder.create().bus().disk(0, 0).build())) {
      CamPath p = s.path(0, 0, 0);
      EmuDevice lun = s.stack().targets().lun(s.pathId(0), 0, 0);
      int net = Nexuses.idFor("iqn.2026-12.org.example:pr-test,i,0x23d0000000aa", Nexuses.ISCSI_PORT);
      SimInitiator h = new SimInitiator();
      h.dev = s.device(p);
      h.done = testKit.createTestProbe();
      ByteString block = ByteString.fromArray(new byte[512]);
      io(h, p, Cdbs.testUnitReady(), CcbFlags.DIR_NONE, ByteString.emptyByteString(), 0); // power-on UA, if any
      assertEquals(CamStatus.REQ_CMP, io(h, p, Cdbs.write10(0, 1, false, false), CcbFlags.DIR_OUT, block, 512).status());

      assertEquals(ScsiStatus.GOOD, prout(lun, net, 6, 0, 0, 0xabcL).scsiStatus()); // REGISTER AND IGNORE
      assertEquals(ScsiStatus.GOOD, prout(lun, net, 1, 3, 0xabcL, 0).scsiStatus()); // RESERVE, Exclusive Access
      Ccb.Completed w = io(h, p, Cdbs.write10(0, 1, false, false), CcbFlags.DIR_OUT, block, 512);
      assertEquals(CamStatus.SCSI_STATUS_ERROR, w.status());
      assertEquals(ScsiStatus.RESERV_CONFLICT, w.scsiStatus());
      h.dev.tell(new XptDevice.ReleaseDevq(1, true));
      Ccb.Completed r = io(h, p, Cdbs.read10(0, 1, false, false), CcbFlags.DIR_IN, ByteString.emptyByteString(), 512);
      assertEquals(ScsiStatus.RESERV_CONFLICT, r.scsiStatus());
      h.dev.tell(new XptDevice.ReleaseDevq(1, true));

      assertEquals(ScsiStatus.GOOD, prout(lun, net, 2, 3, 0xabcL, 0).scsiStatus()); // RELEASE
      assertEquals(CamStatus.REQ_CMP, io(h, p, Cdbs.write10(0, 1, false, false), CcbFlags.DIR_OUT, block, 512).status());
    }
  }
}
