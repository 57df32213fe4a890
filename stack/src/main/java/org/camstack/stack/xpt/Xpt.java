package org.camstack.stack.xpt;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.util.ByteString;
import org.camstack.persistence.audit.LifetimeListener;
import org.camstack.stack.ccb.AsyncCode;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.ccb.HbaFlags;
import org.camstack.stack.lifetime.Lifetime;
import org.camstack.stack.sim.SimDataPath;
import org.camstack.stack.xpt.Edt.Bus;
import org.camstack.stack.xpt.Edt.Device;
import org.camstack.stack.xpt.Edt.PeriphId;
import org.camstack.stack.xpt.Edt.ProbeWaiter;
import org.camstack.stack.xpt.Edt.Target;
import org.slf4j.Logger;

/**
 * PROTOCOL and actor of the transport layer's control plane: it dispatches every XPT function
 * code, registers buses, runs scans and probes and applies the transport's async hooks. SCSI I/O
 * does not pass through it on the hot path (see {@link XptDevice}). cf. sys/cam/cam_xpt.c.
 *
 * <p>Its state lives in two plain objects it owns: the {@link Edt} (buses, targets, devices, periph
 * lists, device references) and the {@link AsyncRegistry} (who gets which async events). This class
 * is the actor around them: it decodes commands, spawns and watches children, and does the telling.
 *
 * <p>One view per kind of caller, as {@code cam_xpt_periph.h} / {@code cam_xpt_sim.h}: hand
 * periphs {@code xpt.narrow()} to {@link PeriphCommand}, SIMs to {@link SimCommand}.
 *
 * <p>Actor tree: the XPT spawns one {@link XptDevice} per LUN it knows (cf. {@code struct
 * cam_ed}), one {@link ScsiProbe} per LUN being probed and one {@link BusScanner} per bus or target
 * scan in progress. It death-watches its children, the async subscribers and the device-reference
 * holders. Every CCB it receives completes exactly once; malformed ones with REQ_INVALID,
 * PATH_INVALID or DEV_NOT_THERE.
 *
 * <p>Supervision (docs/lifetime.md, "Supervision"): no child is restarted. A device queue that
 * fails is dropped (AC_LOST_DEVICE), a probe that fails completes its requests with REQ_CMP_ERR, a
 * scanner that fails completes its scan requests with REQ_CMP_ERR; the XPT itself stops on an
 * exception (its state cannot be rebuilt) and its owner treats that as the stack's end.
 */
public final class Xpt extends AbstractBehavior<Xpt.Command> {

  /** Supertype of all messages to the XPT. */
  public sealed interface Command
      permits PeriphCommand,
          SimCommand,
          ProbeDone,
          ProbeLun,
          ScanFinished,
          WatchedStopped,
          DeviceTerminated,
          ProbeTerminated,
          ScannerTerminated {}

  /** Messages a peripheral driver (or a user through xpt0) may send. */
  public sealed interface PeriphCommand extends Command
      permits Action,
          RegisterAsync,
          UnregisterAsync,
          AddPeriph,
          RemovePeriph,
          AcquireDevice,
          ReleaseDevice,
          AllocPeriph,
          FreePeriph,
          RaiseAsync {}

  /** Messages a SIM may send. */
  public sealed interface SimCommand extends Command permits RegisterBus, DeregisterBus {}

  /**
   * cf. {@code xpt_action(ccb)}. Any function code; device-queued ones are forwarded to the
   * device's {@link XptDevice}. Reply: exactly one {@link Ccb.Completed} to the CCB's replyTo.
   */
  public record Action(Ccb ccb) implements PeriphCommand {
    public Action {
      Objects.requireNonNull(ccb, "ccb");
    }
  }

  /**
   * cf. {@code xpt_register_async(events, cb, arg, path)}. AC_FOUND_DEVICE and AC_PATH_REGISTERED
   * are replayed to the new subscriber for every configured device / registered bus it covers. The
   * XPT watches the subscriber and drops it when it stops. Re-registering the same subscriber and
   * path replaces its event set; an empty set unregisters. Reply: {@link AsyncRegistered} when
   * {@code ack} is non-null, sent after the replay.
   */
  public record RegisterAsync(
      Set<AsyncCode> events, CamPath path, ActorRef<AsyncEvent> subscriber, ActorRef<AsyncRegistered> ack)
      implements PeriphCommand {
    public RegisterAsync {
      events = Set.copyOf(events);
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(subscriber, "subscriber");
    }
  }

  /** Acknowledges a {@link RegisterAsync} after the replay. */
  public record AsyncRegistered(CamPath path) {}

  /** cf. {@code xpt_register_async(0, ...)}: drop the subscription. No reply. */
  public record UnregisterAsync(CamPath path, ActorRef<AsyncEvent> subscriber) implements PeriphCommand {
    public UnregisterAsync {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(subscriber, "subscriber");
    }
  }

  /**
   * cf. {@code xpt_add_periph()}: a periph instance attached to the device ({@code
   * device->periphs}, newest first; bumps the device generation). Only the list that GDEVLIST and
   * DEV_MATCH show: it keeps nothing alive (see {@link AcquireDevice}). No reply.
   */
  public record AddPeriph(CamPath path, String periphName, int unit) implements PeriphCommand {
    public AddPeriph {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(periphName, "periphName");
    }
  }

  /** cf. {@code xpt_remove_periph()}: the instance leaves the device's list. No reply. */
  public record RemovePeriph(CamPath path, String periphName, int unit) implements PeriphCommand {
    public RemovePeriph {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(periphName, "periphName");
    }
  }

  /**
   * cf. {@code xpt_create_path()} &rarr; {@code xpt_acquire_device()}: {@code holder} takes a
   * reference on the device at {@code path}; the device stays in the EDT (unconfigured once lost)
   * until every reference is released. A periph sends it when it registers. The XPT watches the
   * holder and drops its references when it stops. Ignored when the EDT has no device at {@code
   * path}. No reply.
   */
  public record AcquireDevice(CamPath path, ActorRef<?> holder) implements PeriphCommand {
    public AcquireDevice {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(holder, "holder");
    }
  }

  /**
   * cf. {@code xpt_free_path()} &rarr; {@code xpt_release_device()}: {@code holder} drops one
   * reference; the last reference of an unconfigured device retires it (cf. {@code
   * xpt_release_device()} freeing a {@code CAM_DEV_UNCONFIGURED} device at refcount 0). A periph
   * sends it after its destructor ran. Ignored when the holder holds nothing there. No reply.
   */
  public record ReleaseDevice(CamPath path, ActorRef<?> holder) implements PeriphCommand {
    public ReleaseDevice {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(holder, "holder");
    }
  }

  /**
   * cf. {@code cam_periph_alloc()}: what a new periph asks of the XPT, in one message and in CAM's
   * order: {@link AcquireDevice} ({@code xpt_create_path()}), {@link AddPeriph} when {@code listed}
   * ({@code xpt_add_periph()}; a driver that lists itself later sends AddPeriph then), {@link
   * RegisterAsync} of {@code events} on {@code path} ({@code xpt_register_async()}). Each part as the
   * single message does it: the reference and the list entry are skipped when the EDT has no device
   * at {@code path}, the registration replays. The XPT watches {@code holder} once: its stop drops
   * its references and {@code subscriber}'s subscriptions. No reply.
   *
   * @param subscriber where async events go (the periph's adapter)
   * @param holder the periph itself: holds the device reference
   */
  public record AllocPeriph(
      CamPath path,
      String periphName,
      int unit,
      boolean listed,
      Set<AsyncCode> events,
      ActorRef<AsyncEvent> subscriber,
      ActorRef<?> holder)
      implements PeriphCommand {
    public AllocPeriph {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(periphName, "periphName");
      events = Set.copyOf(events);
      Objects.requireNonNull(subscriber, "subscriber");
      Objects.requireNonNull(holder, "holder");
    }
  }

  /**
   * cf. {@code camperiphfree()}: {@link RemovePeriph} when {@code listed} ({@code
   * xpt_remove_periph()}), then {@link ReleaseDevice} ({@code xpt_free_path()}), in one message. A
   * periph sends it after its destructor ran. No reply.
   */
  public record FreePeriph(CamPath path, String periphName, int unit, boolean listed, ActorRef<?> holder)
      implements PeriphCommand {
    public FreePeriph {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(periphName, "periphName");
      Objects.requireNonNull(holder, "holder");
    }
  }

  /**
   * cf. {@code xpt_async(code, path, arg)} raised by a periph (e.g. AC_LOST_DEVICE from error
   * recovery, AC_UNIT_ATTENTION, AC_INQ_CHANGED, AC_ADVINFO_CHANGED). The XPT applies its own
   * transport hook first (a lost device is unconfigured, an inquiry change re-probes, a reset is
   * recorded), then delivers. No reply.
   */
  public record RaiseAsync(AsyncEvent event) implements PeriphCommand {}

  /**
   * cf. {@code xpt_bus_register(sim, parent, bus)}: a SIM registers one bus with its capabilities
   * and the data path the device queues call directly. The XPT assigns the path id: the wanted one
   * when it is free (cf. a {@code hint.scbus.N.at} wiring in {@code xptpathid()}), else the lowest
   * free one; raises AC_PATH_REGISTERED and, unless {@link HbaFlags#PIM_NOSCAN}, scans the bus.
   * Reply: {@link BusRegistered}. A registration without capabilities or data path is ignored.
   *
   * @param wantedPathId the path id the bus is wired to, or -1 for any
   * @param queueDepth the SIM's per-device tag depth (openings of a tagged device)
   */
  public record RegisterBus(
      Ccb.PathInqResult cpi,
      int wantedPathId,
      int queueDepth,
      SimDataPath dataPath,
      ActorRef<BusRegistered> replyTo)
      implements SimCommand {}

  /** The path id the XPT gave a registered bus. */
  public record BusRegistered(int pathId) {}

  /**
   * cf. {@code xpt_bus_deregister(path_id)}: AC_LOST_DEVICE for every device of the bus, then
   * AC_PATH_DEREGISTERED. Devices still referenced stay (as orphans) until released. No reply.
   */
  public record DeregisterBus(int pathId) implements SimCommand {}

  // --- internal messages (package-private: sent by the XPT's children) -------------------------

  /**
   * A probe finished; cf. {@code probedone()} reaching PROBE_DONE / PROBE_INVALID. No reply; the
   * probe stops after sending it.
   */
  record ProbeDone(CamPath path, ActorRef<ScsiProbe.Command> probe, ScsiProbe.Result result) implements Command {}

  /**
   * A scanner asks for one LUN to be probed; cf. the {@code XPT_SCAN_LUN} that {@code
   * scsi_scan_bus()} issues. Reply: one {@link BusScanner.LunScanned}.
   */
  record ProbeLun(CamPath path, ActorRef<BusScanner.Command> replyTo) implements Command {}

  /**
   * A scanner is done ({@code target} -1 for a whole bus); cf. {@code scsi_scan_bus()} completing
   * the request CCB. No reply; the scanner stops after sending it.
   */
  record ScanFinished(int bus, int target, ActorRef<BusScanner.Command> scanner) implements Command {}

  /**
   * A watched async subscriber or device-reference holder stopped: its subscriptions and references
   * go (no CAM counterpart: a kernel periph cannot vanish without its destructor). No reply.
   */
  private record WatchedStopped(ActorRef<?> who) implements Command {}

  /** A device queue stopped; unexpected unless the XPT retired it. No reply. */
  private record DeviceTerminated(CamPath path, ActorRef<XptDevice.Command> ref) implements Command {}

  /** A probe stopped; unexpected unless it sent its {@link ProbeDone} first. No reply. */
  private record ProbeTerminated(CamPath path, ActorRef<ScsiProbe.Command> probe) implements Command {}

  /** A scanner stopped; unexpected unless it sent its {@link ScanFinished} first. No reply. */
  private record ScannerTerminated(int bus, int target, ActorRef<BusScanner.Command> scanner) implements Command {}

  /**
   * XPT settings ({@code camstack.xpt}).
   *
   * @param defaultTimeout the SIM default for CCBs with {@code timeoutMs == 0}
   * @param probeTimeout timeout of each probe CCB
   * @param probeRetries retries of each probe CCB (unit attentions, busy, ...)
   * @param listener where device queues and the XPT emit each CCB completion ({@code CcbCompleted})
   */
  public record Settings(Duration defaultTimeout, Duration probeTimeout, int probeRetries, LifetimeListener listener) {
    public static final Settings DEFAULT = new Settings(Duration.ofSeconds(60), Duration.ofSeconds(10), 4);

    public Settings(Duration defaultTimeout, Duration probeTimeout, int probeRetries) {
      this(defaultTimeout, probeTimeout, probeRetries, LifetimeListener.NOOP);
    }

    /** Device queues emit each CCB completion to {@code l} (the lifetime checker's I6). */
    public Settings withListener(LifetimeListener l) {
      return new Settings(defaultTimeout, probeTimeout, probeRetries, l == null ? LifetimeListener.NOOP : l);
    }

    /** Reads {@code camstack.xpt} from a full config (or the defaults when the section is absent). */
    public static Settings fromConfig(Config config) {
      if (!config.hasPath("camstack.xpt")) {
        return DEFAULT;
      }
      Config c = config.getConfig("camstack.xpt");
      return new Settings(
          c.hasPath("default-timeout") ? c.getDuration("default-timeout") : DEFAULT.defaultTimeout(),
          c.hasPath("probe-timeout") ? c.getDuration("probe-timeout") : DEFAULT.probeTimeout(),
          c.hasPath("probe-retries") ? c.getInt("probe-retries") : DEFAULT.probeRetries());
    }
  }

  /** The XPT's own bus ({@code scbus-1 on xpt0 bus 0}); cf. the "xpt" SIM of cam_xpt.c. */
  public static final Ccb.PathInqResult XPT_CPI =
      new Ccb.PathInqResult(1, 0, HbaFlags.PIM_NOSCAN, 0, 0, 0, "FreeBSD", "", "xpt", 0, 0, 0, 0);

  /** cf. {@code xpt_init()} creating the XPT. */
  public static Behavior<Command> create(Settings settings) {
    return Behaviors.setup(ctx -> new Xpt(ctx, settings));
  }

  private static final class Scan {
    List<Ccb> waiters = new ArrayList<>();
    ActorRef<BusScanner.Command> scanner;
    boolean again; // a request came while this scan ran: scan once more afterwards
    List<Ccb> nextWaiters = new ArrayList<>();
  }

  private final Settings settings;
  private final Logger log;
  private final Edt edt = new Edt();
  private final AsyncRegistry<ActorRef<AsyncEvent>> async = new AsyncRegistry<>();
  // AllocPeriph: holder -> its subscriber (its adapter), watched through the holder only (one watch
  // and unwatch per periph saved); the holder's stop drops the subscriber's subscriptions too
  private final Map<ActorRef<?>, ActorRef<AsyncEvent>> subscriberOf = new HashMap<>();
  private final Map<Long, Scan> scans = new HashMap<>();
  private long spawnSeq;

  private Xpt(ActorContext<Command> ctx, Settings settings) {
    super(ctx);
    this.settings = settings;
    this.log = ctx.getLog();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Action.class, this::onAction)
        .onMessage(RegisterAsync.class, this::onRegisterAsync)
        .onMessage(UnregisterAsync.class, this::onUnregisterAsync)
        .onMessage(AddPeriph.class, this::onAddPeriph)
        .onMessage(RemovePeriph.class, this::onRemovePeriph)
        .onMessage(AcquireDevice.class, this::onAcquireDevice)
        .onMessage(ReleaseDevice.class, this::onReleaseDevice)
        .onMessage(AllocPeriph.class, this::onAllocPeriph)
        .onMessage(FreePeriph.class, this::onFreePeriph)
        .onMessage(RaiseAsync.class, this::onRaiseAsync)
        .onMessage(RegisterBus.class, this::onRegisterBus)
        .onMessage(DeregisterBus.class, this::onDeregisterBus)
        .onMessage(ProbeDone.class, this::onProbeDone)
        .onMessage(ProbeLun.class, this::onProbeLun)
        .onMessage(ScanFinished.class, this::onScanFinished)
        .onMessage(WatchedStopped.class, this::onWatchedStopped)
        .onMessage(DeviceTerminated.class, this::onDeviceTerminated)
        .onMessage(ProbeTerminated.class, this::onProbeTerminated)
        .onMessage(ScannerTerminated.class, this::onScannerTerminated)
        .build();
  }

  // ---------------------------------------------------------------------------------------------
  // xpt_action

  /** cf. {@code xpt_action_default()}: one branch per function code. */
  private Behavior<Command> onAction(Action a) {
    Ccb ccb = a.ccb();
    if (ccb instanceof Ccb.ScsiIo
        || ccb instanceof Ccb.SmpIo
        || ccb instanceof Ccb.ResetDev
        || ccb instanceof Ccb.RelSimQ
        || ccb instanceof Ccb.Abort
        || ccb instanceof Ccb.GetDevStats) {
      forwardToDevice(ccb);
    } else if (ccb instanceof Ccb.Noop) {
      if ((ccb.header().flags() & CcbFlags.DEV_QFREEZE) != 0) {
        forwardToDevice(ccb);
      } else {
        done(Ccb.Completed.of(ccb, CamStatus.REQ_CMP));
      }
    } else if (ccb instanceof Ccb.GetDevType) {
      onGetDevType(ccb);
    } else if (ccb instanceof Ccb.GetDevList g) {
      onGetDevList(g);
    } else if (ccb instanceof Ccb.PathInq) {
      onPathInq(ccb);
    } else if (ccb instanceof Ccb.SetAsync s) {
      onSetAsync(s);
    } else if (ccb instanceof Ccb.ScanBus) {
      onScanBus(ccb);
    } else if (ccb instanceof Ccb.ScanTarget) {
      onScanTarget(ccb);
    } else if (ccb instanceof Ccb.ScanLun s) {
      onScanLun(s);
    } else if (ccb instanceof Ccb.DevMatch m) {
      done(Ccb.Completed.ok(m, edt.devMatch(m.pattern(), m.periphName())));
    } else if (ccb instanceof Ccb.ResetBus) {
      onResetBus(ccb);
    } else if (ccb instanceof Ccb.GetTranSettings) {
      onGetTranSettings(ccb);
    } else if (ccb instanceof Ccb.SetTranSettings s) {
      onSetTranSettings(s);
    } else if (ccb instanceof Ccb.DevAdvInfo d) {
      onDevAdvInfo(d);
    } else if (ccb instanceof Ccb.PathStats) {
      onPathStats(ccb);
    } else {
      done(Ccb.Completed.of(ccb, CamStatus.REQ_INVALID));
    }
    return this;
  }

  private void done(Ccb.Completed c) {
    if (settings.listener().tracesCcbs()) {
      settings.listener().onEvent(Lifetime.ccbCompleted(c.ccb(), c, "xpt")); // cf. I6
    }
    c.ccb().header().replyTo().tell(c);
  }

  private void fail(Ccb ccb, CamStatus status) {
    done(SimIo.failed(ccb, status));
  }

  /** The bus of a CCB, or null after completing it with PATH_INVALID. */
  private Bus busFor(Ccb ccb) {
    Bus bus = ccb.path().bus() == CamPath.WILDCARD ? null : edt.bus(ccb.path().bus());
    if (bus == null) {
      fail(ccb, CamStatus.PATH_INVALID);
    }
    return bus;
  }

  /** The device of a CCB, or null after completing it with the error status. */
  private Device deviceFor(Ccb ccb) {
    Bus bus = busFor(ccb);
    if (bus == null) {
      return null;
    }
    CamPath p = ccb.path();
    if (p.target() == CamPath.WILDCARD || p.lun() == CamPath.WILDCARD) {
      fail(ccb, CamStatus.REQ_INVALID);
      return null;
    }
    Device d = bus.device(p);
    if (d == null) {
      fail(ccb, CamStatus.DEV_NOT_THERE);
    }
    return d;
  }

  private void forwardToDevice(Ccb ccb) {
    Device d = deviceFor(ccb);
    if (d != null) {
      d.ref.tell(new XptDevice.Action(ccb));
    }
  }

  /** cf. {@code XPT_GDEV_TYPE}: unconfigured devices are not there. */
  private void onGetDevType(Ccb ccb) {
    if (ccb.path().equals(CamPath.XPT)) {
      done(Ccb.Completed.ok(ccb, Edt.xptDeviceInfo()));
      return;
    }
    Device d = deviceFor(ccb);
    if (d == null) {
      return;
    }
    if (!d.configured || d.info == null) {
      fail(ccb, CamStatus.DEV_NOT_THERE);
      return;
    }
    done(Ccb.Completed.ok(ccb, d.info));
  }

  /** cf. {@code XPT_GDEVLIST}: see {@link Edt#gdevList}. */
  private void onGetDevList(Ccb.GetDevList g) {
    Device d = null;
    if (!g.path().equals(CamPath.XPT)) {
      d = deviceFor(g);
      if (d == null) {
        return;
      }
    }
    done(Ccb.Completed.ok(g, edt.gdevList(d, g.index(), g.generation())));
  }

  /** cf. {@code XPT_PATH_INQ}: the SIM's capabilities (the XPT's own for the wildcard bus). */
  private void onPathInq(Ccb ccb) {
    if (ccb.path().bus() == CamPath.WILDCARD) {
      done(Ccb.Completed.ok(ccb, XPT_CPI));
      return;
    }
    Bus bus = busFor(ccb);
    if (bus != null) {
      done(Ccb.Completed.ok(ccb, bus.cpi));
    }
  }

  /** cf. {@code XPT_SASYNC_CB}: register (or, with no events, unregister) a subscriber. */
  @SuppressWarnings("unchecked") // the CCB carries ActorRef<?>; subscribers accept AsyncEvent
  private void onSetAsync(Ccb.SetAsync s) {
    if (s.subscriber() == null) {
      fail(s, CamStatus.REQ_INVALID);
      return;
    }
    register(s.events(), s.path(), (ActorRef<AsyncEvent>) s.subscriber());
    done(Ccb.Completed.of(s, CamStatus.REQ_CMP));
  }

  private void onResetBus(Ccb ccb) {
    Bus bus = busFor(ccb);
    if (bus == null) {
      return;
    }
    bus.dataPath.resetBus(); // cf. the SIM's XPT_RESET_BUS: UA 29/02 on every LUN
    busWasReset(bus);
    done(Ccb.Completed.of(ccb, CamStatus.REQ_CMP));
    deliver(new AsyncEvent.BusReset(CamPath.bus(bus.pathId)));
  }

  private void busWasReset(Bus bus) {
    bus.lastResetMillis = System.currentTimeMillis();
    XptDevice.Reset reset = new XptDevice.Reset(CamStatus.SCSI_BUS_RESET, bus.lastResetMillis);
    for (Device d : bus.devices()) {
      d.ref.tell(reset);
    }
  }

  private void onGetTranSettings(Ccb ccb) {
    Device d = deviceFor(ccb);
    if (d != null) {
      done(Ccb.Completed.ok(ccb, d.tranSettings()));
    }
  }

  /** cf. {@code XPT_SET_TRAN_SETTINGS}: tag enable changes the openings; AC_TRANSFER_NEG. */
  private void onSetTranSettings(Ccb.SetTranSettings s) {
    Device d = deviceFor(s);
    if (d == null) {
      return;
    }
    if (s.settings() == null) {
      fail(s, CamStatus.REQ_INVALID);
      return;
    }
    Ccb.TranSettings old = d.tranSettings();
    d.tran = s.settings();
    if (old.tagEnabled() != d.tran.tagEnabled()) {
      Bus bus = edt.bus(d.path.bus());
      d.ref.tell(new XptDevice.SetTags(d.tran.tagEnabled() ? tagDepth(bus, d.path) : 1));
    }
    done(Ccb.Completed.ok(s, d.tran));
    deliver(new AsyncEvent.TransferNeg(d.path, d.tran));
  }

  /**
   * cf. {@code XPT_DEV_ADVINFO}: read the device id, serial, physical path or long read-capacity
   * buffer; with data, set the physical path or the read-capacity buffer (AC_ADVINFO_CHANGED).
   */
  private void onDevAdvInfo(Ccb.DevAdvInfo a) {
    Device d = deviceFor(a);
    if (d == null) {
      return;
    }
    if (a.type() == null) {
      fail(a, CamStatus.REQ_INVALID);
      return;
    }
    boolean set = a.setData() != null && !a.setData().isEmpty();
    if (set) {
      if (a.type() == Ccb.AdvInfoType.PHYS_PATH) {
        d.physPath = a.setData().utf8String();
        if (d.info != null) {
          d.info = d.info.withPhysPath(d.physPath);
        }
      } else if (a.type() == Ccb.AdvInfoType.RCAPLONG) {
        d.rcapLong = a.setData();
      } else {
        fail(a, CamStatus.REQ_INVALID);
        return;
      }
      done(Ccb.Completed.ok(a, new Ccb.AdvInfoResult(a.type(), a.setData())));
      deliver(new AsyncEvent.AdvInfoChanged(d.path, a.type()));
      return;
    }
    ByteString data;
    switch (a.type()) {
      case SCSI_DEVID:
        data = d.info == null ? ByteString.emptyByteString() : d.info.deviceId();
        break;
      case SERIAL_NUM:
        data = d.info == null ? ByteString.emptyByteString() : ByteString.fromString(d.info.serial());
        break;
      case PHYS_PATH:
        data = ByteString.fromString(d.physPath);
        break;
      case RCAPLONG:
        data = d.rcapLong;
        break;
      default:
        fail(a, CamStatus.REQ_INVALID);
        return;
    }
    done(Ccb.Completed.ok(a, new Ccb.AdvInfoResult(a.type(), data)));
  }

  private void onPathStats(Ccb ccb) {
    if (ccb.path().bus() == CamPath.WILDCARD) {
      done(Ccb.Completed.ok(ccb, new Ccb.PathStatsResult(0)));
      return;
    }
    Bus bus = busFor(ccb);
    if (bus != null) {
      done(Ccb.Completed.ok(ccb, new Ccb.PathStatsResult(bus.lastResetMillis)));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Scanning

  private static long scanKey(int bus, int target) {
    return ((long) bus << 32) | (target & 0xffffffffL);
  }

  /** cf. {@code scsi_scan_bus(XPT_SCAN_BUS)}. */
  private void onScanBus(Ccb ccb) {
    Bus bus = busFor(ccb);
    if (bus != null) {
      startScan(bus, CamPath.WILDCARD, ccb);
    }
  }

  /** cf. {@code scsi_scan_bus(XPT_SCAN_TGT)}. */
  private void onScanTarget(Ccb ccb) {
    Bus bus = busFor(ccb);
    if (bus == null) {
      return;
    }
    int t = ccb.path().target();
    if (t == CamPath.WILDCARD || t > bus.cpi.maxTarget()) {
      fail(ccb, CamStatus.REQ_INVALID);
      return;
    }
    startScan(bus, t, ccb);
  }

  /** cf. {@code scsi_scan_lun()}. Completes REQ_CMP when the LUN is there. */
  private void onScanLun(Ccb.ScanLun s) {
    Bus bus = busFor(s);
    if (bus == null) {
      return;
    }
    CamPath p = s.path();
    if (p.target() == CamPath.WILDCARD
        || p.lun() == CamPath.WILDCARD
        || p.target() > bus.cpi.maxTarget()
        || p.lun() > bus.cpi.maxLun()) {
      fail(s, CamStatus.REQ_INVALID);
      return;
    }
    scanLun(bus, p, s.expectInqChange(), (r, status) -> done(SimIo.failed(s, status)));
  }

  /**
   * Starts the scan of a bus ({@code target} -1) or of one target. A request arriving while the
   * same scan runs may describe a change the running scan already passed: it is queued, and one
   * more scan runs afterwards for all such requests.
   */
  private void startScan(Bus bus, int target, Ccb request) {
    long key = scanKey(bus.pathId, target);
    Scan running = scans.get(key);
    if (running != null) {
      running.again = true;
      if (request != null) {
        running.nextWaiters.add(request);
      }
      return;
    }
    List<Ccb> waiters = new ArrayList<>();
    if (request != null) {
      waiters.add(request);
    }
    runScan(bus, target, waiters);
  }

  private void runScan(Bus bus, int target, List<Ccb> waiters) {
    Scan scan = new Scan();
    scan.waiters = waiters;
    scans.put(scanKey(bus.pathId, target), scan);
    List<Integer> targets = new ArrayList<>();
    if (target == CamPath.WILDCARD) {
      for (int t = 0; t <= bus.cpi.maxTarget(); t++) {
        if (t != bus.cpi.initiatorId()) {
          targets.add(t);
        }
      }
    } else {
      targets.add(target);
    }
    boolean seq = (bus.cpi.hbaMisc() & HbaFlags.PIM_SEQSCAN) != 0;
    String name = "scan-" + bus.pathId + "-" + (target == CamPath.WILDCARD ? "all" : target) + "-" + (spawnSeq++);
    scan.scanner =
        getContext().spawn(BusScanner.create(bus.pathId, target, targets, bus.cpi.maxLun(), seq, getContext().getSelf()), name);
    getContext().watchWith(scan.scanner, new ScannerTerminated(bus.pathId, target, scan.scanner));
  }

  private Behavior<Command> onScanFinished(ScanFinished m) {
    endScan(m.bus(), m.target(), m.scanner(), CamStatus.REQ_CMP);
    return this;
  }

  /**
   * A scanner stopped. After its ScanFinished this is stale; without one (the scanner failed) its
   * requests complete with REQ_CMP_ERR and a queued rescan still runs.
   */
  private Behavior<Command> onScannerTerminated(ScannerTerminated m) {
    Scan scan = scans.get(scanKey(m.bus(), m.target()));
    if (scan != null && m.scanner().equals(scan.scanner)) {
      log.warn("scbus{}: scanner of target {} stopped without finishing", m.bus(), m.target());
      endScan(m.bus(), m.target(), m.scanner(), CamStatus.REQ_CMP_ERR);
    }
    return this;
  }

  private void endScan(int busId, int target, ActorRef<BusScanner.Command> scanner, CamStatus status) {
    long key = scanKey(busId, target);
    Scan scan = scans.get(key);
    if (scan == null || !scanner.equals(scan.scanner)) {
      return;
    }
    scans.remove(key);
    Bus bus = edt.bus(busId);
    for (Ccb c : scan.waiters) {
      done(Ccb.Completed.of(c, bus != null ? status : CamStatus.PATH_INVALID));
    }
    if (scan.again && bus != null) {
      runScan(bus, target, scan.nextWaiters);
    }
  }

  private Behavior<Command> onProbeLun(ProbeLun m) {
    Bus bus = edt.bus(m.path().bus());
    if (bus == null) {
      m.replyTo().tell(new BusScanner.LunScanned(m.path(), false, CamStatus.PATH_INVALID, 0, null));
      return this;
    }
    scanLun(bus, m.path(), false,
        (r, status) -> m.replyTo().tell(new BusScanner.LunScanned(m.path(), r.found(), status, r.ansiVersion(), r.reportedLuns())));
    return this;
  }

  /** Probes one LUN, creating its device entry; a probe already running takes the request next. */
  private void scanLun(Bus bus, CamPath p, boolean expectInqChange, ProbeWaiter waiter) {
    Device d = bus.device(p);
    if (d == null) {
      d = createDevice(bus, p);
    }
    if (d.probe != null) {
      // cf. scsi_scan_lun(): queue the request to the running probe; it probes again after
      d.queuedProbe = true;
      d.queuedWaiters.add(waiter);
      d.queuedExpectInqChange &= expectInqChange;
      return;
    }
    List<ProbeWaiter> waiters = new ArrayList<>();
    waiters.add(waiter);
    startProbe(d, expectInqChange, waiters);
  }

  /** cf. {@code xpt_alloc_device()}: a new, unconfigured device with its queue actor. */
  private Device createDevice(Bus bus, CamPath p) {
    String name = "dev-" + p.bus() + "-" + p.target() + "-" + p.lun() + "-" + (spawnSeq++);
    ActorRef<XptDevice.Command> ref =
        getContext().spawn(
            XptDevice.create(p, bus.dataPath, bus.cpi.initiatorId(), bus.queueDepth, settings.defaultTimeout(), getContext().getSelf(), settings.listener()),
            name);
    getContext().watchWith(ref, new DeviceTerminated(p, ref));
    return edt.addDevice(bus, p, ref);
  }

  private void startProbe(Device d, boolean expectInqChange, List<ProbeWaiter> waiters) {
    if (d.lost) {
      d.lost = false;
      d.ref.tell(new XptDevice.DeviceRevived());
    }
    int unit = edt.allocProbeUnit();
    d.probeUnit = unit;
    d.probeWaiters = waiters;
    DeviceInfo previous = d.configured ? d.info : null;
    String name = "probe-" + d.path.bus() + "-" + d.path.target() + "-" + d.path.lun() + "-" + (spawnSeq++);
    d.probe =
        getContext().spawn(
            ScsiProbe.create(d.path, d.ref, getContext().getSelf(), previous, expectInqChange, settings.probeTimeout(), settings.probeRetries()),
            name);
    getContext().watchWith(d.probe, new ProbeTerminated(d.path, d.probe));
    Edt.addPeriph(d, new PeriphId("probe", unit)); // cf. cam_periph_alloc(..., "probe", ...)
    d.probeExpectInqChange = expectInqChange;
  }

  /** cf. {@code probedone()} end: announce, purge, complete the requests, maybe probe again. */
  private Behavior<Command> onProbeDone(ProbeDone m) {
    Bus bus = edt.bus(m.path().bus());
    Device d = bus == null ? null : bus.device(m.path());
    if (d == null || !m.probe().equals(d.probe)) {
      log.debug("{}: stale probe result ignored", m.path());
      return this;
    }
    ScsiProbe.Result r = m.result();
    boolean expect = d.probeExpectInqChange;
    getContext().unwatch(m.probe()); // it stops now: its ProbeTerminated would be stale (1 message per probe)
    endProbe(d);
    Target target = bus.targets.get(d.path.target());
    if (d.path.lun() == 0) {
      target.reportedLuns = r.reportedLuns();
      if (r.reportedLuns() != null) {
        purgeOld(target, r.reportedLuns());
      }
    }
    if (r.found()) {
      configure(bus, d, r, expect);
    } else {
      lose(d);
      if (r.failStatus() == CamStatus.SEL_TIMEOUT) {
        // the whole target stopped answering selection: every LUN on it is gone
        for (Device other : new ArrayList<>(target.luns.values())) {
          lose(other);
          retireIfUnused(other);
        }
      }
    }
    CamStatus status = r.found() ? CamStatus.REQ_CMP : r.failStatus();
    List<ProbeWaiter> waiters = d.probeWaiters;
    d.probeWaiters = new ArrayList<>();
    if (d.queuedProbe) {
      List<ProbeWaiter> next = d.queuedWaiters;
      boolean nextExpect = d.queuedExpectInqChange;
      d.queuedWaiters = new ArrayList<>();
      d.queuedProbe = false;
      d.queuedExpectInqChange = true;
      startProbe(d, nextExpect, next);
    } else {
      retireIfUnused(d);
    }
    for (ProbeWaiter w : waiters) {
      w.probed(r, status);
    }
    if (r.rescanTarget()) {
      log.debug("{}: REPORTED LUNS DATA HAS CHANGED: rescanning the target", d.path);
      startScan(bus, d.path.target(), null);
    }
    return this;
  }

  private void endProbe(Device d) {
    d.probe = null;
    if (d.probeUnit >= 0) {
      edt.freeProbeUnit(d.probeUnit);
      Edt.removePeriph(d, new PeriphId("probe", d.probeUnit));
      d.probeUnit = -1;
    }
  }

  /** cf. {@code probedone()} PROBE_SERIAL_NUM / PROBE_TUR_FOR_NEGOTIATION. */
  private void configure(Bus bus, Device d, ScsiProbe.Result r, boolean expectInqChange) {
    if (d.configured && r.changed() && !expectInqChange) {
      log.info("{}: inquiry data changed: announcing as a new device", d.path);
      lose(d); // cf. AC_LOST_DEVICE first, then found
      d.lost = false;
      d.ref.tell(new XptDevice.DeviceRevived());
    }
    d.info = r.info().withPhysPath(d.physPath);
    if (d.tagged != r.tagged() || !d.configured) {
      d.tagged = r.tagged();
      d.ref.tell(new XptDevice.SetTags(d.tagged ? tagDepth(bus, d.path) : 1));
    }
    if (!d.configured) {
      d.configured = true; // cf. probedone(): clear CAM_DEV_UNCONFIGURED, xpt_acquire_device()
      if (!expectInqChange) {
        log.info("{}: found {}", d.path, d.info.identity());
        deliver(new AsyncEvent.FoundDevice(d.path, d.info, d.ref));
      }
    }
  }

  /** cf. {@code xpt_start_tags()}: the SIM's queue depth, or less if the SIM says so for this LUN. */
  private static int tagDepth(Bus bus, CamPath p) {
    int lunDepth;
    try {
      lunDepth = bus.dataPath.maxTags(p.target(), p.lun());
    } catch (RuntimeException e) {
      lunDepth = Integer.MAX_VALUE;
    }
    return Math.max(1, Math.min(bus.queueDepth, lunDepth));
  }

  /** cf. {@code probe_purge_old()}: LUNs the target no longer reports are lost. */
  private void purgeOld(Target target, List<Long> reported) {
    for (Device other : new ArrayList<>(target.luns.values())) {
      if (other.path.lun() != 0 && !reported.contains(other.path.lun()) && other.configured) {
        log.info("{}: no longer in REPORT LUNS", other.path);
        lose(other);
        retireIfUnused(other);
      }
    }
  }

  /**
   * cf. {@code scsi_dev_async(AC_LOST_DEVICE)}: unconfigure (dropping the EDT's reference), flush
   * the queue, announce. No-op for a device that is not configured.
   */
  private void lose(Device d) {
    if (!edt.unconfigure(d)) {
      return;
    }
    d.ref.tell(new XptDevice.DeviceLost());
    log.info("{}: lost device", d.path);
    deliver(new AsyncEvent.LostDevice(d.path));
  }

  /** cf. {@code xpt_release_device()} reaching 0: stop the queue of a device nothing references. */
  private void retireIfUnused(Device d) {
    if (edt.retireIfUnused(d)) {
      log.debug("{}: device retired", d.path);
      d.ref.tell(new XptDevice.Retire());
      getContext().unwatch(d.ref); // out of the EDT: its DeviceTerminated would be stale
    }
  }

  private Behavior<Command> onDeviceTerminated(DeviceTerminated m) {
    Device d = edt.find(m.path());
    if (d != null && d.ref.equals(m.ref())) {
      // the queue actor failed: the device is gone for everyone
      log.warn("{}: device queue stopped unexpectedly", m.path());
      lose(d);
      if (d.probe != null) {
        getContext().stop(d.probe);
      }
      edt.drop(d);
      failProbeWaiters(d);
    }
    return this;
  }

  private Behavior<Command> onProbeTerminated(ProbeTerminated m) {
    Device d = edt.device(m.path());
    if (d != null && m.probe().equals(d.probe)) {
      // stopped without a ProbeDone: a probe bug; the requests still complete exactly once
      log.warn("{}: probe stopped without a result", m.path());
      endProbe(d);
      failProbeWaiters(d);
      retireIfUnused(d);
    }
    return this;
  }

  private void failProbeWaiters(Device d) {
    ScsiProbe.Result r = ScsiProbe.Result.notThere(CamStatus.REQ_CMP_ERR);
    List<ProbeWaiter> all = new ArrayList<>(d.probeWaiters);
    all.addAll(d.queuedWaiters);
    d.probeWaiters = new ArrayList<>();
    d.queuedWaiters = new ArrayList<>();
    d.queuedProbe = false;
    for (ProbeWaiter w : all) {
      w.probed(r, CamStatus.REQ_CMP_ERR);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Async subscriptions

  private Behavior<Command> onRegisterAsync(RegisterAsync m) {
    register(m.events(), m.path(), m.subscriber());
    if (m.ack() != null) {
      m.ack().tell(new AsyncRegistered(m.path()));
    }
    return this;
  }

  private Behavior<Command> onUnregisterAsync(UnregisterAsync m) {
    async.unregister(m.path(), m.subscriber());
    unwatchIfDone(m.subscriber());
    return this;
  }

  /**
   * Stops watching {@code who} once it has no subscription and holds no device reference: its
   * WatchedStopped would find nothing to drop (two messages per periph and hot-plug cycle saved).
   */
  private void unwatchIfDone(ActorRef<?> who) {
    if (!async.has(who) && !edt.holdsAny(who)) {
      ActorRef<AsyncEvent> sub = subscriberOf.get(who);
      if (sub != null && async.has(sub)) {
        return; // the holder's watch stands for its subscriber's too
      }
      subscriberOf.remove(who);
      getContext().unwatch(who);
    }
  }

  /** cf. {@code xpt_register_async()}: insert at the head (or replace, or drop), watch, replay. */
  private void register(Set<AsyncCode> events, CamPath path, ActorRef<AsyncEvent> subscriber) {
    register(events, path, subscriber, true);
  }

  /** {@code watch} false: the caller watches an actor whose stop stands for the subscriber's. */
  private void register(Set<AsyncCode> events, CamPath path, ActorRef<AsyncEvent> subscriber, boolean watch) {
    if (async.register(events, path, subscriber) && watch) {
      getContext().watchWith(subscriber, new WatchedStopped(subscriber));
    }
    for (AsyncEvent ev : AsyncRegistry.replay(events, path, edt)) {
      subscriber.tell(ev);
    }
  }

  /** A subscriber or a reference holder stopped: drop its subscriptions and its references. */
  private Behavior<Command> onWatchedStopped(WatchedStopped m) {
    async.removeSubscriber(m.who());
    ActorRef<AsyncEvent> sub = subscriberOf.remove(m.who());
    if (sub != null) {
      async.removeSubscriber(sub); // stopped with its holder
    }
    for (Device d : edt.releaseAll(m.who())) {
      log.debug("{}: reference holder {} stopped", d.path, m.who().path().name());
      retireIfUnused(d);
    }
    return this;
  }

  /** cf. {@code xpt_async()}: every subscriber whose path overlaps the event's and wants the code. */
  private void deliver(AsyncEvent ev) {
    for (ActorRef<AsyncEvent> s : async.recipients(ev)) {
      s.tell(ev);
    }
  }

  /** Applies the XPT's own handling of an event raised by a periph or a device, then delivers. */
  private Behavior<Command> onRaiseAsync(RaiseAsync m) {
    AsyncEvent ev = m.event();
    if (ev == null) {
      return this;
    }
    if (ev instanceof AsyncEvent.LostDevice) {
      // lose() delivers one LostDevice per configured device covered by the (wildcard) path
      for (Device d : edt.covered(ev.path())) {
        lose(d);
        retireIfUnused(d);
      }
      return this;
    }
    if (ev instanceof AsyncEvent.InqChanged && !ev.path().isWildcard()) {
      Bus bus = edt.bus(ev.path().bus());
      if (bus != null && bus.device(ev.path()) != null) {
        scanLun(bus, ev.path(), true, (r, st) -> {});
      }
    } else if (ev instanceof AsyncEvent.SentBdr) {
      long now = System.currentTimeMillis();
      for (Device d : edt.covered(ev.path())) {
        d.ref.tell(new XptDevice.Reset(CamStatus.BDR_SENT, now));
      }
    } else if (ev instanceof AsyncEvent.BusReset) {
      Bus bus = edt.bus(ev.path().bus());
      if (bus != null) {
        busWasReset(bus);
      }
    }
    deliver(ev);
    return this;
  }

  // ---------------------------------------------------------------------------------------------
  // Periph lists and device references

  private Behavior<Command> onAddPeriph(AddPeriph m) {
    addPeriph(m.path(), m.periphName(), m.unit());
    return this;
  }

  private void addPeriph(CamPath path, String periphName, int unit) {
    PeriphId id = new PeriphId(periphName, unit);
    if (path.equals(CamPath.XPT)) {
      edt.addXptPeriph(id);
      return;
    }
    Device d = edt.find(path);
    if (d == null) {
      log.debug("{}: AddPeriph {} for a device not in the EDT ignored", path, id.display());
      return;
    }
    Edt.addPeriph(d, id);
  }

  private Behavior<Command> onRemovePeriph(RemovePeriph m) {
    removePeriph(m.path(), m.periphName(), m.unit());
    return this;
  }

  private void removePeriph(CamPath path, String periphName, int unit) {
    PeriphId id = new PeriphId(periphName, unit);
    if (path.equals(CamPath.XPT)) {
      edt.removeXptPeriph(id);
      return;
    }
    edt.removePeriph(path, id); // the list only: references decide the device's lifetime
  }

  private Behavior<Command> onAcquireDevice(AcquireDevice m) {
    acquire(m.path(), m.holder());
    return this;
  }

  /** Whether the holder got its reference (and is watched). */
  private boolean acquire(CamPath path, ActorRef<?> holder) {
    Device d = edt.acquire(path, holder);
    if (d == null) {
      log.debug("{}: AcquireDevice for a device not in the EDT ignored", path);
      return false;
    }
    getContext().watchWith(holder, new WatchedStopped(holder));
    return true;
  }

  private Behavior<Command> onReleaseDevice(ReleaseDevice m) {
    release(m.path(), m.holder());
    return this;
  }

  private void release(CamPath path, ActorRef<?> holder) {
    Device d = edt.release(path, holder);
    if (d == null) {
      log.debug("{}: ReleaseDevice by a holder with no reference ignored", path);
      return;
    }
    unwatchIfDone(holder);
    retireIfUnused(d);
  }

  private Behavior<Command> onAllocPeriph(AllocPeriph m) {
    boolean held = acquire(m.path(), m.holder());
    if (m.listed()) {
      addPeriph(m.path(), m.periphName(), m.unit());
    }
    if (held && m.subscriber().path().parent().equals(m.holder().path())) {
      // the subscriber is the holder's adapter (it stops with it): the holder's watch covers it
      subscriberOf.put(m.holder(), m.subscriber());
      register(m.events(), m.path(), m.subscriber(), false);
    } else {
      register(m.events(), m.path(), m.subscriber());
    }
    return this;
  }

  private Behavior<Command> onFreePeriph(FreePeriph m) {
    if (m.listed()) {
      removePeriph(m.path(), m.periphName(), m.unit());
    }
    release(m.path(), m.holder());
    return this;
  }

  // ---------------------------------------------------------------------------------------------
  // Buses

  private Behavior<Command> onRegisterBus(RegisterBus m) {
    if (m.cpi() == null || m.dataPath() == null) {
      log.warn("RegisterBus without capabilities or data path ignored");
      return this;
    }
    Bus bus = edt.addBus(m.wantedPathId(), m.cpi(), m.queueDepth(), m.dataPath());
    int pathId = bus.pathId;
    log.info("scbus{} on {}{} bus {} registered", pathId, m.cpi().devName(), m.cpi().unitNumber(), m.cpi().busId());
    if (m.replyTo() != null) {
      m.replyTo().tell(new BusRegistered(pathId));
    }
    deliver(new AsyncEvent.PathRegistered(CamPath.bus(pathId), m.cpi()));
    if ((m.cpi().hbaMisc() & HbaFlags.PIM_NOSCAN) == 0) {
      startScan(bus, CamPath.WILDCARD, null); // cf. xpt_bus_register(): xpt_rescan(bus)
    }
    return this;
  }

  private Behavior<Command> onDeregisterBus(DeregisterBus m) {
    Bus bus = edt.removeBus(m.pathId());
    if (bus == null) {
      return this;
    }
    for (Device d : bus.devices()) {
      lose(d);
      if (d.probe != null) {
        getContext().stop(d.probe);
        d.probe = null;
        if (d.probeUnit >= 0) {
          edt.freeProbeUnit(d.probeUnit);
          Edt.removePeriph(d, new PeriphId("probe", d.probeUnit));
          d.probeUnit = -1;
        }
      }
      failProbeWaiters(d);
      if (d.refCount() == 0) {
        d.ref.tell(new XptDevice.Retire());
      } else {
        edt.orphan(d); // still referenced: kept until the last release
      }
    }
    for (Iterator<Map.Entry<Long, Scan>> it = scans.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Long, Scan> e = it.next();
      if ((int) (e.getKey() >> 32) == m.pathId()) {
        for (Ccb c : e.getValue().waiters) {
          fail(c, CamStatus.PATH_INVALID);
        }
        for (Ccb c : e.getValue().nextWaiters) {
          fail(c, CamStatus.PATH_INVALID);
        }
        it.remove(); // the scanner finishes on its own; its ScanFinished is then stale
      }
    }
    log.info("scbus{} deregistered", m.pathId());
    deliver(new AsyncEvent.PathDeregistered(CamPath.bus(m.pathId())));
    return this;
  }
}
