package org.camstack.bench.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.util.ByteString;
import org.camstack.bench.harness.DispatcherSettings;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.xpt.XptDevice;
import org.junit.jupiter.api.Test;

/**
 * The baselines run the same layers as the actor stack: for the same CCB on the same emulated
 * LUN, the direct-call device layer and the real XptDevice return the same completion.
 */
class BaselineEquivalenceTest {

  @Test
  void directLayersAndXptDeviceAnswerTheSameReadAlike() throws Exception {
    IoSpec spec = new IoSpec(2, 4, 4096, false, 100, "ram", 1 << 20, 1, 0, 0, 1, 7);
    try (EmulatedLuns luns = EmulatedLuns.create(spec);
        ActorStack stack = ActorStack.boot(luns, 32, new DispatcherSettings(2, 100))) {
      LunFixture f = stack.luns().get(1);
      ActorRef<XptDevice.Command> device = stack.devices().get(1);
      CompletableFuture<Ccb.Completed> viaActor = new CompletableFuture<>();
      ActorRef<Ccb.Completed> probe = stack.spawn(Behaviors.receiveMessage(c -> {
        viaActor.complete(c);
        return Behaviors.same();
      }), "probe");
      ByteString cdb = IoBench.CDBS.read(24, 8);
      Ccb.ScsiIo io = new Ccb.ScsiIo(new Ccb.Header(1, f.path(), 1, CcbFlags.DIR_IN, 0, 0, probe), cdb, ByteString.emptyByteString(), 4096);

      device.tell(new XptDevice.Action(io));
      Ccb.Completed actor = viaActor.get(10, TimeUnit.SECONDS);
      DirectLun direct = new DirectLun(f.path(), f.sim(), DirectRunner.INITIATOR, 4, 32);
      Ccb.Completed started = direct.start(io);
      assertNotNull(started, "an opening was free");
      Ccb.Completed call = direct.complete(started);

      assertEquals(CamStatus.REQ_CMP, actor.status());
      assertEquals(actor.status(), call.status());
      assertEquals(actor.statusWord(), call.statusWord());
      assertEquals(actor.resid(), call.resid());
      assertEquals(4096, call.data().size());
      assertEquals(actor.data(), call.data(), "same bytes from the same store");
      byte[] bytes = call.data().toArray();
      boolean nonZero = false;
      for (byte b : bytes) {
        nonZero |= b != 0;
      }
      assertTrue(nonZero, "the store was filled before the run");
      assertEquals(0, direct.queue.active(), "the opening came back");
    }
  }
}
