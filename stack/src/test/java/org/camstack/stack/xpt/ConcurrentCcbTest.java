package org.camstack.stack.xpt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.scsi.Cdbs;
import org.camstack.stack.sim.EmuSim;
import org.camstack.stack.target.Delay;
import org.camstack.stack.testkit.TestStack;
import org.camstack.stack.testkit.TopologyBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Several hundred CCBs in flight over many device queues at once (32 LUNs x 16), half of the LUNs
 * answering with a random delay (the asynchronous path), half of the CCBs entering through the
 * XPT and half straight at the device queue: every CCB completes exactly once.
 */
class ConcurrentCcbTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final int TARGETS = 4;
  private static final int LUNS = 8;
  private static final int PER_LUN = 16;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void everyCcbOfManyDevicesCompletesExactlyOnce() {
    TopologyBuilder.BusBuilder bus = TopologyBuilder.create().bus().maxLun(LUNS - 1).queueDepth(8);
    for (int t = 0; t < TARGETS; t++) {
      for (int l = 0; l < LUNS; l++) {
        bus.disk(t, l, "size = 1MiB, store = null");
      }
    }
    Config topo = bus.build();
    try (TestStack s = TestStack.start(testKit, topo)) {
      assertEquals(TARGETS * LUNS, s.configured().size());
      Map<CamPath, ActorRef<XptDevice.Command>> devices = new HashMap<>();
      for (int t = 0; t < TARGETS; t++) {
        for (int l = 0; l < LUNS; l++) {
          CamPath p = s.path(0, t, l);
          devices.put(p, s.device(p));
          if ((t + l) % 2 == 1) {
            int target = t;
            int lun = l;
            s.simOk(0, r -> new EmuSim.SetDelay(target, lun, Delay.uniform(0, Duration.ofMillis(2).toNanos()), r));
          }
        }
      }

      TestProbe<Ccb.Completed> done = testKit.createTestProbe();
      Set<Long> sent = new HashSet<>();
      long id = 1;
      for (int i = 0; i < PER_LUN; i++) {
        for (Map.Entry<CamPath, ActorRef<XptDevice.Command>> e : devices.entrySet()) {
          CamPath p = e.getKey();
          Ccb.Header h = new Ccb.Header(id, p, CamPriority.NORMAL, CcbFlags.DIR_IN, 5000, 0, done.getRef());
          Ccb.ScsiIo io = new Ccb.ScsiIo(h, Cdbs.read10(i, 1, false, false), ByteString.emptyByteString(), 512);
          if (id % 2 == 0) {
            e.getValue().tell(new XptDevice.Action(io));
          } else {
            s.xpt().tell(new Xpt.Action(io));
          }
          sent.add(id++);
        }
      }
      int total = TARGETS * LUNS * PER_LUN;
      assertEquals(total, sent.size());

      List<Ccb.Completed> all = done.receiveSeveralMessages(total, Duration.ofSeconds(30));
      Set<Long> seen = new HashSet<>();
      for (Ccb.Completed c : all) {
        assertTrue(seen.add(c.ccb().ccbId()), () -> "completed twice: " + c.ccb().ccbId());
        assertEquals(CamStatus.REQ_CMP, c.status(), () -> "ccb " + c.ccb().ccbId() + " on " + c.ccb().path() + ": " + c);
        assertEquals(512, c.data().size());
      }
      assertEquals(sent, seen);
      done.expectNoMessage(Duration.ofMillis(300));
    }
  }
}
