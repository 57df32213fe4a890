package org.camstack.stack.scsi.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.ccb.Errno;
import org.camstack.persistence.audit.LifetimeChecker;
import org.camstack.stack.periph.Periph;
import org.camstack.stack.periph.PeriphDriver;
import org.camstack.stack.periph.PeriphSettings;
import org.camstack.stack.periph.RefToken;
import org.camstack.stack.periph.WiringSource;
import org.camstack.stack.testkit.PeriphRig;
import org.camstack.stack.testkit.TestDevices;
import org.camstack.stack.testkit.XptStub;
import org.camstack.stack.xpt.AsyncEvent;
import org.camstack.stack.xpt.Xpt;
import org.camstack.stack.xpt.XptDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The physical-path alias task of pass against a devfs that answers last (a {@link TestProbe}
 * plays devfs, so the schedule is the test's): the task stays busy until devfs answered, a second
 * AC_ADVINFO_CHANGED meanwhile coalesces into one more run, and that run names the alias devfs
 * has as {@code oldAlias} (issue 9: the duplicate-name panics of long fixed-mode chaos runs).
 */
@ExtendWith(LogCapturingExtension.class)
class PassPhysPathTaskTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final CamPath D = CamPath.of(0, 2, 0);

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private final TestProbe<Devfs.Command> devfs = testKit.createTestProbe();
  private final TestProbe<XptDevice.Command> device = testKit.createTestProbe();
  private final ActorRef<Object> xpt = testKit.spawn(XptStub.create());
  private final PeriphSettings settings =
      PeriphSettings.defaults().withListener(new LifetimeChecker());
  private final ActorRef<PeriphDriver.Command> driver =
      testKit.spawn(PeriphDriver.create(PassPeriph.SPEC, xpt.narrow(), devfs.getRef(), WiringSource.NONE, settings));

  private <T extends Devfs.Command> T devfsGets(Class<T> type) {
    return devfs.expectMessageClass(type, Duration.ofSeconds(3));
  }

  private Ccb.DevAdvInfo nextPhysPathCcb() {
    return (Ccb.DevAdvInfo) ((XptDevice.Action) device.expectMessageClass(XptDevice.Action.class)).ccb();
  }

  private Periph.Refs refs(ActorRef<Periph.Command> p) {
    TestProbe<Periph.Refs> r = testKit.createTestProbe();
    p.tell(new Periph.DumpRefs(r.getRef()));
    return r.receiveMessage();
  }

  /** Raises {@code event} through the XPT and returns once the periph has handled it. */
  private void raiseAndSettle(AsyncEvent event, ActorRef<Periph.Command> p) {
    xpt.tell(new XptStub.Raise(event));
    TestProbe<XptStub.State> s = testKit.createTestProbe();
    xpt.tell(new XptStub.GetState(s.getRef())); // the stub has forwarded the event by now
    s.receiveMessage();
    refs(p); // and the periph has handled it
  }

  @Test
  void aSecondPhysPathChangeWhileDevfsIsStillAnsweringReplacesTheAliasDevfsHas() {
    xpt.tell(new XptStub.AddDevice(D, TestDevices.disk(D), device.getRef()));
    Devfs.MakeDev mk = devfsGets(Devfs.MakeDev.class);
    mk.replyTo().tell(new Devfs.MakeDevResult(mk.name(), 41, Errno.OK));
    TestProbe<PeriphDriver.Units> u = testKit.createTestProbe();
    driver.tell(new PeriphDriver.ListUnits(u.getRef()));
    ActorRef<Periph.Command> p = u.receiveMessage().atPath(D).periph();

    PeriphRig.answerPhysPath(nextPhysPathCcb(), "enc0/slot2");
    Devfs.MakePhysPathAlias first = devfsGets(Devfs.MakePhysPathAlias.class);
    assertEquals("", first.oldAlias());

    // the enclosure publishes a new slot before devfs answered the first alias
    raiseAndSettle(new AsyncEvent.AdvInfoChanged(D, Ccb.AdvInfoType.PHYS_PATH), p);
    // devfs is the slowest party: every CCB the periph has out completes before devfs answers
    while (refs(p).ccbsOutstanding() > 0) {
      PeriphRig.answerPhysPath(nextPhysPathCcb(), "enc0/slot5");
    }
    first.replyTo().tell(new Devfs.AliasResult("enc0/slot2/pass0", Errno.OK));
    while (refs(p).ccbsOutstanding() > 0) { // the coalesced second run
      PeriphRig.answerPhysPath(nextPhysPathCcb(), "enc0/slot5");
    }

    Devfs.MakePhysPathAlias second = devfsGets(Devfs.MakePhysPathAlias.class);
    assertEquals("enc0/slot2/pass0", second.oldAlias(), "the alias devfs has must be replaced");
    assertEquals("enc0/slot5", second.physPath());
    second.replyTo().tell(new Devfs.AliasResult("enc0/slot5/pass0", Errno.OK));
    TestProbe<Object> w = testKit.createTestProbe();
    w.awaitAssert(
        () -> {
          assertEquals(null, refs(p).held().get(RefToken.TASK));
          return null;
        });
  }
}
