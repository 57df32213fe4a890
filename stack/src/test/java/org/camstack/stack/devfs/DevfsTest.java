package org.camstack.stack.devfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Errno;
import org.camstack.persistence.audit.LifetimeChecker;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.stack.lifetime.Lifetime;
import org.camstack.stack.lifetime.PeriphId;
import org.camstack.persistence.audit.ViolationKind;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LogCapturingExtension.class)
class DevfsTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static final Duration SHORT = Duration.ofMillis(150);

  private final LifetimeChecker checker = new LifetimeChecker();
  private final ActorRef<Devfs.Command> devfs =
      testKit.spawn(Devfs.create(Devfs.Settings.manualDestroy(), checker));

  /** A fake driver: its calls land in {@code calls}, its liveness is {@code alive}. */
  private final class Driver {
    final TestProbe<Devfs.CdevCall> calls = testKit.createTestProbe();
    final TestProbe<Object> alive = testKit.createTestProbe();
    final Devfs.Owner owner;

    Driver(String drv, int unit, long gen) {
      owner =
          new Devfs.Owner(
              new PeriphId(drv, unit, gen), CamPath.of(0, unit, 0), "naa.5000", calls.getRef(), alive.getRef());
      checker.onEvent(Lifetime.registered(owner.periph(), owner.path(), owner.identity())); // the driver's part
    }

    long makeDev(String name, boolean trackClose) {
      Devfs.MakeDevResult r = makeDevResult(name, trackClose, 0);
      assertTrue(r.ok(), "make_dev " + name + ": " + r);
      return r.nodeId();
    }

    Devfs.MakeDevResult makeDevResult(String name, boolean trackClose, int flags) {
      TestProbe<Devfs.MakeDevResult> p = testKit.createTestProbe();
      devfs.tell(new Devfs.MakeDev(name, trackClose, flags, owner, p.getRef()));
      return p.receiveMessage();
    }
  }

  private Devfs.FileHandle open(Driver d, String name) {
    TestProbe<Devfs.OpenResult> p = testKit.createTestProbe();
    devfs.tell(new Devfs.Open(name, Devfs.FREAD | Devfs.FWRITE, p.getRef()));
    Devfs.CdevCall call = d.calls.receiveMessage();
    assertInstanceOf(Devfs.OpenRequest.class, call.request());
    call.reply(Devfs.DevReply.ok());
    Devfs.OpenResult r = p.receiveMessage();
    assertTrue(r.ok(), "open " + name);
    return r.file();
  }

  private List<LifetimeEvent.ProtocolViolation> violations() {
    TestProbe<Devfs.Violations> p = testKit.createTestProbe();
    devfs.tell(new Devfs.GetViolations(p.getRef()));
    return p.receiveMessage().violations();
  }

  private Devfs.NodeList nodes() {
    TestProbe<Devfs.NodeList> p = testKit.createTestProbe();
    devfs.tell(new Devfs.ListNodes(p.getRef()));
    return p.receiveMessage();
  }

  @Test
  void makeDevOfAnActiveNameIsRecordedAsThe2012Panic() {
    Driver old = new Driver("pass", 3, 1);
    long n = old.makeDev("pass3", true);
    checker.onEvent(Lifetime.invalidated(old.owner.periph(), "", "AC_LOST_DEVICE"));
    devfs.tell(new Devfs.DestroyDevSched(n, null)); // scheduled, the task has not run yet
    Driver neu = new Driver("pass", 3, 2); // legacy: the unit went back before the node was gone

    Devfs.MakeDevResult r = neu.makeDevResult("pass3", true, 0);

    assertEquals(Errno.EEXIST, r.errno());
    List<LifetimeEvent.ProtocolViolation> v = violations();
    assertEquals(1, v.size());
    assertEquals(ViolationKind.DUPLICATE_NAME, v.get(0).kind());
    assertTrue(
        v.get(0).message().startsWith("make_dev_credv: bad si_name (error=17, si_name=pass3)"),
        v.get(0).message());
    assertTrue(v.get(0).names().contains("pass3"));
    // devfs's report, and the checker's own finding from the driver's and devfs's events
    assertEquals(Map.of(ViolationKind.DUPLICATE_NAME, 1, ViolationKind.UNIT_REUSED, 1), checker.countsByKind());
  }

  @Test
  void makeDevCheckNameAnswersEexistWithoutViolation() {
    Driver a = new Driver("pass", 0, 1);
    a.makeDev("pass0", true);

    Devfs.MakeDevResult r = a.makeDevResult("pass0", true, Devfs.MAKEDEV_CHECKNAME);

    assertEquals(Errno.EEXIST, r.errno());
    assertTrue(violations().isEmpty());
  }

  @Test
  void badNamesAreRefused() {
    Driver a = new Driver("pass", 0, 1);
    assertEquals(Errno.EINVAL, a.makeDevResult("", true, 0).errno());
    assertEquals(Errno.EINVAL, a.makeDevResult("..", true, 0).errno());
    assertEquals(Errno.EINVAL, a.makeDevResult("a/", true, 0).errno());
    a.makeDev("dir/pass0", true);
    assertEquals(Errno.EEXIST, a.makeDevResult("dir", true, Devfs.MAKEDEV_CHECKNAME).errno());
  }

  @Test
  void destroyWaitsForCallsInsideAndCallsBackAfterTheNameIsFree() {
    Driver d = new Driver("pass", 3, 1);
    long node = d.makeDev("pass3", true);
    Devfs.FileHandle fh = open(d, "pass3");
    TestProbe<Devfs.DevReply> ioctl = testKit.createTestProbe();
    devfs.tell(new Devfs.Ioctl(fh, new Devfs.IoctlCmd() {}, ioctl.getRef()));
    Devfs.CdevCall inside = d.calls.receiveMessage(); // one call in flight

    TestProbe<Devfs.NodeGone> gone = testKit.createTestProbe();
    devfs.tell(new Devfs.DestroyDevSched(node, gone.getRef()));

    // from the request on, new calls fail in devfs without reaching the driver
    TestProbe<Devfs.OpenResult> late = testKit.createTestProbe();
    devfs.tell(new Devfs.Open("pass3", Devfs.FREAD | Devfs.FWRITE, late.getRef()));
    assertEquals(Errno.ENXIO, late.receiveMessage().errno());
    TestProbe<Devfs.DevReply> close = testKit.createTestProbe();
    devfs.tell(new Devfs.Close(fh, close.getRef()));
    assertEquals(Errno.ENXIO, close.receiveMessage().errno());
    d.calls.expectNoMessage(SHORT);

    devfs.tell(Devfs.RunDestroyQueue.INSTANCE);
    gone.expectNoMessage(SHORT); // the ioctl is still inside

    inside.reply(Devfs.DevReply.ok());
    assertTrue(ioctl.receiveMessage().isOk());
    devfs.tell(Devfs.RunDestroyQueue.INSTANCE);
    assertEquals("pass3", gone.receiveMessage().nodeName());

    // the callback came after the name was freed: a new pass3 can be made
    new Driver("pass", 3, 2).makeDev("pass3", true);
    assertTrue(violations().isEmpty());
  }

  @Test
  void withoutTrackCloseOnlyTheLastCloseReachesTheDriver() {
    Driver d = new Driver("ses", 0, 1);
    d.makeDev("ses0", false);
    Devfs.FileHandle a = open(d, "ses0");
    Devfs.FileHandle b = open(d, "ses0");
    TestProbe<Devfs.DevReply> r = testKit.createTestProbe();

    devfs.tell(new Devfs.Close(a, r.getRef()));
    assertTrue(r.receiveMessage().isOk());
    d.calls.expectNoMessage(SHORT);

    devfs.tell(new Devfs.Close(b, r.getRef()));
    Devfs.CdevCall last = d.calls.receiveMessage();
    assertEquals(new Devfs.CloseRequest(true), last.request());
    last.reply(Devfs.DevReply.ok());
    assertTrue(r.receiveMessage().isOk());
  }

  @Test
  void withTrackCloseEveryCloseReachesTheDriver() {
    Driver d = new Driver("pass", 0, 1);
    d.makeDev("pass0", true);
    Devfs.FileHandle a = open(d, "pass0");
    open(d, "pass0");
    TestProbe<Devfs.DevReply> r = testKit.createTestProbe();

    devfs.tell(new Devfs.Close(a, r.getRef()));
    Devfs.CdevCall first = d.calls.receiveMessage();
    assertEquals(new Devfs.CloseRequest(false), first.request());
    first.reply(Devfs.DevReply.ok());
    assertTrue(r.receiveMessage().isOk());

    devfs.tell(new Devfs.Close(a, r.getRef()));
    assertEquals(Errno.EBADF, r.receiveMessage().errno()); // closed already
  }

  @Test
  void synchronousDestroyFromInsideACallOnTheSameNodeIsADetectedDeadlock() {
    Driver d = new Driver("ses", 0, 1);
    long node = d.makeDev("ses0", true);
    Devfs.FileHandle fh = open(d, "ses0");
    TestProbe<Devfs.DevReply> client = testKit.createTestProbe();
    devfs.tell(new Devfs.Close(fh, client.getRef()));
    Devfs.CdevCall close = d.calls.receiveMessage();

    // the driver, inside d_close, destroys its own node synchronously
    TestProbe<Devfs.Destroyed> waits = testKit.createTestProbe();
    devfs.tell(new Devfs.DestroyDev(node, d.alive.getRef(), waits.getRef()));

    Devfs.Destroyed answer = waits.receiveMessage();
    assertTrue(answer.deadlock());
    List<LifetimeEvent.ProtocolViolation> v = violations();
    assertEquals(ViolationKind.DESTROY_DEADLOCK, v.get(0).kind());
    assertTrue(v.get(0).message().contains("d_close"), v.get(0).message());
    close.reply(Devfs.DevReply.ok());
    assertTrue(client.receiveMessage().isOk());
  }

  @Test
  void synchronousDestroyByAnotherThreadWaitsForTheCallsInside() {
    Driver d = new Driver("ses", 0, 1);
    long node = d.makeDev("ses0", true);
    Devfs.FileHandle fh = open(d, "ses0");
    TestProbe<Devfs.DevReply> client = testKit.createTestProbe();
    devfs.tell(new Devfs.Ioctl(fh, new Devfs.IoctlCmd() {}, client.getRef()));
    Devfs.CdevCall inside = d.calls.receiveMessage();

    TestProbe<Devfs.Destroyed> waits = testKit.createTestProbe();
    TestProbe<Object> someoneElse = testKit.createTestProbe();
    devfs.tell(new Devfs.DestroyDev(node, someoneElse.getRef(), waits.getRef()));
    waits.expectNoMessage(SHORT);
    // destroy_devl() freed the name at once
    new Driver("ses", 0, 2).makeDev("ses0", true);

    inside.reply(Devfs.DevReply.ok());
    client.receiveMessage();
    devfs.tell(Devfs.RunDestroyQueue.INSTANCE);
    assertFalse(waits.receiveMessage().deadlock());
    assertTrue(violations().isEmpty());
  }

  @Test
  void physPathAliasResolvesToItsParentAndDiesWithIt() {
    Driver d = new Driver("pass", 2, 1);
    long node = d.makeDev("pass2", true);
    TestProbe<Devfs.AliasResult> ar = testKit.createTestProbe();
    devfs.tell(new Devfs.MakePhysPathAlias(node, "id1,enc@n5000/type@0/slot@3", "", ar.getRef()));
    Devfs.AliasResult alias = ar.receiveMessage();
    assertEquals("enc@n5000/type@0/slot@3/pass2", alias.alias());

    open(d, alias.alias()); // reaches pass2's driver

    TestProbe<Devfs.NodeGone> gone = testKit.createTestProbe();
    devfs.tell(new Devfs.DestroyDevSched(node, gone.getRef()));
    devfs.tell(Devfs.RunDestroyQueue.INSTANCE);
    gone.receiveMessage();
    assertTrue(nodes().nodes().isEmpty());
    assertEquals(1, checker.eventsOf(LifetimeEvent.AliasAdded.class).size());
    assertEquals(2, checker.eventsOf(LifetimeEvent.NodeGone.class).size());
  }

  @Test
  void anAliasOnADyingNodeIsAViolation() {
    Driver d = new Driver("pass", 2, 1);
    long node = d.makeDev("pass2", true);
    devfs.tell(new Devfs.DestroyDevSched(node, null));
    TestProbe<Devfs.AliasResult> ar = testKit.createTestProbe();

    devfs.tell(new Devfs.MakePhysPathAlias(node, "slot@3", "", ar.getRef()));

    assertEquals(Errno.ENXIO, ar.receiveMessage().errno());
    assertEquals(ViolationKind.ALIAS_ON_INVALID, violations().get(0).kind());
  }

  @Test
  void aDevAliasResolvesToItsParentDiesWithItAndFreesItsNameWithIt() {
    Driver d = new Driver("sg", 0, 1);
    long node = d.makeDev("sg0", true);
    TestProbe<Devfs.AliasResult> ar = testKit.createTestProbe();
    devfs.tell(new Devfs.MakeDevAlias(node, "sga", ar.getRef()));
    assertEquals(new Devfs.AliasResult("sga", Errno.OK), ar.receiveMessage());
    assertEquals("sg0", nodes().nodes().stream().filter(n -> n.name().equals("sga")).findFirst().orElseThrow().parent());

    open(d, "sga"); // reaches sg0's driver

    TestProbe<Devfs.NodeGone> gone = testKit.createTestProbe();
    devfs.tell(new Devfs.DestroyDevSched(node, gone.getRef()));
    devfs.tell(Devfs.RunDestroyQueue.INSTANCE);
    gone.receiveMessage();
    assertTrue(nodes().nodes().isEmpty(), nodes().toString()); // the alias went with sg0, before the callback

    Driver again = new Driver("sg", 0, 2); // the unit is reused only after the callback
    long node2 = again.makeDev("sg0", true);
    devfs.tell(new Devfs.MakeDevAlias(node2, "sga", ar.getRef()));
    assertEquals(Errno.OK, ar.receiveMessage().errno());
    assertTrue(violations().isEmpty(), violations().toString());
  }

  @Test
  void aDevAliasThatIsTakenOrOnADyingNodeIsRefusedAndRecorded() {
    Driver d = new Driver("sg", 0, 1);
    long node = d.makeDev("sg0", true);
    Driver other = new Driver("sg", 1, 1);
    long node1 = other.makeDev("sg1", true);
    TestProbe<Devfs.AliasResult> ar = testKit.createTestProbe();
    devfs.tell(new Devfs.MakeDevAlias(node, "sga", ar.getRef()));
    ar.receiveMessage();

    devfs.tell(new Devfs.MakeDevAlias(node1, "sga", ar.getRef()));
    assertEquals(new Devfs.AliasResult("", Errno.EEXIST), ar.receiveMessage());
    assertEquals(ViolationKind.DUPLICATE_NAME, violations().get(0).kind());

    devfs.tell(new Devfs.DestroyDevSched(node1, null));
    devfs.tell(new Devfs.MakeDevAlias(node1, "sgb", ar.getRef()));
    assertEquals(Errno.ENXIO, ar.receiveMessage().errno());
    assertEquals(ViolationKind.ALIAS_ON_INVALID, violations().get(1).kind());
    assertTrue(violations().get(1).message().startsWith("make_dev_alias: parent sg1 is being destroyed"), violations().get(1).message());
  }

  @Test
  void aDriverThatStopsWithACallInsideIsAUseAfterFree() {
    Driver d = new Driver("pass", 3, 1);
    d.makeDev("pass3", false);
    Devfs.FileHandle fh = open(d, "pass3");
    TestProbe<Devfs.DevReply> client = testKit.createTestProbe();
    devfs.tell(new Devfs.Ioctl(fh, new Devfs.IoctlCmd() {}, client.getRef()));
    d.calls.receiveMessage();

    d.alive.stop();

    assertEquals(Errno.ENXIO, client.receiveMessage().errno());
    List<LifetimeEvent.ProtocolViolation> v = violations();
    assertEquals(ViolationKind.CALL_IN_FLIGHT_AT_FREE, v.get(0).kind());
    assertTrue(v.get(0).message().contains("d_ioctl"), v.get(0).message());
  }

  @Test
  void aFileOfTheOldNodeNeverReachesTheNewNodeOfTheSameName() {
    Driver old = new Driver("pass", 3, 1);
    long node = old.makeDev("pass3", true);
    Devfs.FileHandle stale = open(old, "pass3");
    TestProbe<Devfs.NodeGone> gone = testKit.createTestProbe();
    devfs.tell(new Devfs.DestroyDevSched(node, gone.getRef()));
    devfs.tell(Devfs.RunDestroyQueue.INSTANCE);
    gone.receiveMessage();
    Driver neu = new Driver("pass", 3, 2);
    neu.makeDev("pass3", true);

    TestProbe<Devfs.DevReply> r = testKit.createTestProbe();
    devfs.tell(new Devfs.Ioctl(stale, new Devfs.IoctlCmd() {}, r.getRef()));
    assertEquals(Errno.ENXIO, r.receiveMessage().errno());
    devfs.tell(new Devfs.Close(stale, r.getRef()));
    assertEquals(Errno.ENXIO, r.receiveMessage().errno());
    neu.calls.expectNoMessage(SHORT);
    old.calls.expectNoMessage(Duration.ZERO);
  }

  @Test
  void aSecondScheduledDestroyDoesNotRegisterItsCallbackAgain() {
    Driver d = new Driver("pass", 1, 1);
    long node = d.makeDev("pass1", true);
    TestProbe<Devfs.NodeGone> first = testKit.createTestProbe();
    TestProbe<Devfs.NodeGone> second = testKit.createTestProbe();

    devfs.tell(new Devfs.DestroyDevSched(node, first.getRef()));
    devfs.tell(new Devfs.DestroyDevSched(node, second.getRef()));
    devfs.tell(Devfs.RunDestroyQueue.INSTANCE);

    assertNotNull(first.receiveMessage());
    second.expectNoMessage(SHORT);
  }

  @Test
  void theDestroyTaskRunsByItselfOutsideManualMode() {
    ActorRef<Devfs.Command> auto =
        testKit.spawn(Devfs.create(Devfs.Settings.delayed(Duration.ofMillis(5)), checker));
    TestProbe<Devfs.CdevCall> calls = testKit.createTestProbe();
    TestProbe<Object> alive = testKit.createTestProbe();
    Devfs.Owner o = new Devfs.Owner(new PeriphId("da", 0, 1), CamPath.of(0, 0, 0), "", calls.getRef(), alive.getRef());
    TestProbe<Devfs.MakeDevResult> made = testKit.createTestProbe();
    auto.tell(new Devfs.MakeDev("da0", true, 0, o, made.getRef()));
    TestProbe<Devfs.NodeGone> gone = testKit.createTestProbe();

    auto.tell(new Devfs.DestroyDevSched(made.receiveMessage().nodeId(), gone.getRef()));

    assertEquals("da0", gone.receiveMessage().nodeName());
  }
}
