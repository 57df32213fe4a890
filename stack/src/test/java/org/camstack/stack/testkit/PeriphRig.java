package org.camstack.stack.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.ccb.Errno;
import org.camstack.persistence.audit.LifetimeChecker;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.stack.periph.Periph;
import org.camstack.stack.periph.PeriphDriver;
import org.camstack.stack.periph.PeriphSettings;
import org.camstack.stack.periph.RefToken;
import org.camstack.stack.periph.WiringSource;
import org.camstack.stack.xpt.Xpt;
import org.camstack.stack.xpt.XptDevice;

/**
 * A periph driver with its neighbours for tests: a real {@link Devfs} (destroy task in manual
 * mode unless asked otherwise), an {@link XptStub} for the XPT, one {@link TestProbe} per device
 * queue, and a {@link LifetimeChecker} listening to everything.
 */
public final class PeriphRig {

  public static final Duration SHORT = Duration.ofMillis(150);

  public final ActorTestKit kit;
  public final LifetimeChecker checker = new LifetimeChecker();
  public final ActorRef<Devfs.Command> devfs;
  public final ActorRef<Object> xpt; // an XptStub: narrow() to the XPT's views
  public final ActorRef<PeriphDriver.Command> driver;
  public final PeriphSettings settings;
  private final Map<CamPath, TestProbe<XptDevice.Command>> devices = new HashMap<>();

  public PeriphRig(ActorTestKit kit, PeriphDriver.Spec spec, boolean legacy) {
    this(kit, spec, legacy, WiringSource.NONE, Devfs.Settings.manualDestroy());
  }

  public PeriphRig(
      ActorTestKit kit, PeriphDriver.Spec spec, boolean legacy, WiringSource wiring, Devfs.Settings devfsSettings) {
    this.kit = kit;
    this.settings =
        PeriphSettings.defaults()
            .withLegacyMode(legacy)
            .withListener(checker)
            .withSesRefreshInterval(Duration.ofHours(1));
    this.devfs = kit.spawn(Devfs.create(devfsSettings, checker));
    this.xpt = kit.spawn(XptStub.create());
    this.driver = kit.spawn(PeriphDriver.create(spec, xpt.narrow(), devfs, wiring, settings));
  }

  /** The device queue probe of {@code path} (created on first use). */
  public TestProbe<XptDevice.Command> device(CamPath path) {
    return devices.computeIfAbsent(path, p -> kit.createTestProbe("dev-" + p.btl().replace(':', '-')));
  }

  /** AC_FOUND_DEVICE for {@code info}. */
  public void found(DeviceInfo info) {
    xpt.tell(new XptStub.AddDevice(info.path(), info, device(info.path()).getRef()));
  }

  /** AC_LOST_DEVICE for {@code path}. */
  public void lost(CamPath path) {
    xpt.tell(new XptStub.LoseDevice(path));
  }

  public PeriphDriver.Units units() {
    TestProbe<PeriphDriver.Units> p = kit.createTestProbe();
    driver.tell(new PeriphDriver.ListUnits(p.getRef()));
    return p.receiveMessage();
  }

  /** Waits until the driver has a periph on {@code path} and returns it. */
  public PeriphDriver.UnitInfo awaitUnitAt(CamPath path) {
    TestProbe<PeriphDriver.Units> p = kit.createTestProbe();
    return p.awaitAssert(
        () -> {
          driver.tell(new PeriphDriver.ListUnits(p.getRef()));
          PeriphDriver.UnitInfo u = p.receiveMessage().atPath(path);
          assertTrue(u != null, "no periph at " + path);
          return u;
        });
  }

  /** Waits until devfs has {@code name} active. */
  public void awaitNode(String name) {
    TestProbe<Devfs.NodeList> p = kit.createTestProbe();
    p.awaitAssert(
        () -> {
          devfs.tell(new Devfs.ListNodes(p.getRef()));
          assertTrue(p.receiveMessage().activeNames().contains(name), name + " not in devfs");
          return null;
        });
  }

  public Devfs.NodeList nodes() {
    TestProbe<Devfs.NodeList> p = kit.createTestProbe();
    devfs.tell(new Devfs.ListNodes(p.getRef()));
    return p.receiveMessage();
  }

  public List<LifetimeEvent.ProtocolViolation> devfsViolations() {
    TestProbe<Devfs.Violations> p = kit.createTestProbe();
    devfs.tell(new Devfs.GetViolations(p.getRef()));
    return p.receiveMessage().violations();
  }

  public XptStub.State xptState() {
    TestProbe<XptStub.State> p = kit.createTestProbe();
    xpt.tell(new XptStub.GetState(p.getRef()));
    return p.receiveMessage();
  }

  public void runDestroyTask() {
    devfs.tell(Devfs.RunDestroyQueue.INSTANCE);
  }

  /** Waits until the destroy of {@code name} was requested (SCHED_DTR). */
  public void awaitDestroyRequested(String name) {
    TestProbe<Devfs.NodeList> p = kit.createTestProbe();
    p.awaitAssert(
        () -> {
          devfs.tell(new Devfs.ListNodes(p.getRef()));
          boolean sched = false;
          for (Devfs.NodeInfo n : p.receiveMessage().nodes()) {
            sched |= n.name().equals(name) && n.state().equals("SCHED_DTR");
          }
          assertTrue(sched, name + " not SCHED_DTR");
          return null;
        });
  }

  /** Waits for the destroy request of {@code name}, then runs the devfs destroy task. */
  public void destroyTaskFor(String name) {
    awaitDestroyRequested(name);
    runDestroyTask();
  }

  public Periph.Refs refs(ActorRef<Periph.Command> periph) {
    TestProbe<Periph.Refs> p = kit.createTestProbe();
    periph.tell(new Periph.DumpRefs(p.getRef()));
    return p.receiveMessage();
  }

  public StatusReply<Done> acquire(ActorRef<Periph.Command> periph, RefToken token) {
    TestProbe<StatusReply<Done>> p = kit.createTestProbe();
    periph.tell(new Periph.Acquire(token, p.getRef()));
    return p.receiveMessage();
  }

  // ---------------------------------------------------------------------------------------------
  // Users

  public Devfs.OpenResult open(String name) {
    TestProbe<Devfs.OpenResult> p = kit.createTestProbe();
    devfs.tell(new Devfs.Open(name, Devfs.FREAD | Devfs.FWRITE, p.getRef()));
    return p.receiveMessage();
  }

  public Devfs.FileHandle openOk(String name) {
    Devfs.OpenResult r = open(name);
    assertTrue(r.ok(), "open " + name + ": " + r.errno());
    return r.file();
  }

  public Devfs.DevReply close(Devfs.FileHandle fh) {
    TestProbe<Devfs.DevReply> p = kit.createTestProbe();
    devfs.tell(new Devfs.Close(fh, p.getRef()));
    return p.receiveMessage();
  }

  /** Sends an ioctl and returns the probe its answer will arrive on. */
  public TestProbe<Devfs.DevReply> ioctl(Devfs.FileHandle fh, Devfs.IoctlCmd cmd) {
    TestProbe<Devfs.DevReply> p = kit.createTestProbe();
    devfs.tell(new Devfs.Ioctl(fh, cmd, p.getRef()));
    return p;
  }

  // ---------------------------------------------------------------------------------------------
  // Device side

  /**
   * The next CCB the periph sent to {@code path}'s device queue (an Action, or a ScheduledAction
   * taken as granted).
   */
  public Ccb nextCcb(CamPath path) {
    XptDevice.Command c = device(path).fishForMessage(
        Duration.ofSeconds(3),
        m -> m instanceof XptDevice.Action || m instanceof XptDevice.ScheduledAction
            ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
            : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore())
        .get(0);
    return c instanceof XptDevice.ScheduledAction s ? s.ccb() : ((XptDevice.Action) c).ccb();
  }

  /** Answers an XPT_DEV_ADVINFO(PHYS_PATH) with {@code physPath}. */
  public static void answerPhysPath(Ccb ccb, String physPath) {
    Ccb.DevAdvInfo q = (Ccb.DevAdvInfo) ccb;
    q.header()
        .replyTo()
        .tell(Ccb.Completed.ok(q, new Ccb.AdvInfoResult(Ccb.AdvInfoType.PHYS_PATH, ByteString.fromString(physPath))));
  }

  public static void complete(Ccb ccb, CamStatus status) {
    ccb.header().replyTo().tell(Ccb.Completed.of(ccb, status));
  }

  public static void completeData(Ccb ccb, ByteString data) {
    ccb.header()
        .replyTo()
        .tell(new Ccb.Completed(ccb, CamStatus.REQ_CMP, 0, 0, ByteString.emptyByteString(), data, 0, null));
  }

  public static Errno errno(Devfs.DevReply r) {
    return r.errno();
  }
}
