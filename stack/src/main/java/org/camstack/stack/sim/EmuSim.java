package org.camstack.stack.sim;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.util.ByteString;
import org.camstack.persistence.device.FaultRule;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.HbaFlags;
import org.camstack.stack.target.Delay;
import org.camstack.stack.target.EmuDevice;
import org.camstack.stack.target.EmuDevices;
import org.camstack.stack.target.EmuDisk;
import org.camstack.stack.target.EmuEnclosure;
import org.camstack.stack.target.EmuExpander;
import org.camstack.stack.target.EmuTarget;
import org.camstack.stack.target.EnclosureView;
import org.camstack.stack.target.TapeLibrary;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.target.TargetInventory;
import org.camstack.stack.xpt.AsyncEvent;
import org.camstack.stack.xpt.Xpt;

/**
 * An emulated HBA with one bus: holds the bus's {@link EmuTarget}s in a concurrent map that is the
 * {@link SimDataPath} the device queues call directly, registers the bus with the XPT, and takes
 * runtime control messages (plug and pull LUNs and targets, reset the bus, resize, faults,
 * delays), each answered with a {@link StatusReply}. cf. {@code struct cam_sim} + an HBA driver
 * (mps, isp); the control messages play the part of {@code ctladm} and of cables being pulled.
 *
 * <p>Data path vs control: CCBs never pass through this actor. Control changes happen here and
 * are published to the concurrent target map (and the devices' own thread-safe state), which the
 * device queues read on their threads.
 *
 * <p>Durable state: with {@link DeviceHooks} (see {@link #create(BusSpec, ActorRef, DeviceHooks)})
 * each power-on device is shown to the hooks before the bus registers, and a plug or pull takes
 * effect, and is acknowledged, only once the hooks recorded it; meanwhile the other control
 * messages wait (stashed, in order).
 *
 * <p>Lifetime: registers on start; deregisters its bus when stopped.
 */
public final class EmuSim extends AbstractBehavior<EmuSim.Command> {

  /** Supertype of all messages to an emulated SIM. */
  public sealed interface Command
      permits AddLun,
          RemoveLun,
          AddTarget,
          RemoveTarget,
          ResetBus,
          ResizeLun,
          AddFault,
          ListFaults,
          DeleteFault,
          SetDelay,
          OnDevice,
          GetBus,
          Registered,
          Recorded,
          PhyChange {}

  /**
   * Plugs a LUN into an existing target (the others report UA 3F/0E). cf. {@code ctladm create} /
   * a LUN mapped on a target port. Reply: ack or error.
   */
  public record AddLun(int target, LunSpec spec, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Pulls a LUN (it disappears from REPORT LUNS; the others report UA 3F/0E). cf. {@code ctladm
   * remove}. Reply: ack or error.
   */
  public record RemoveLun(int target, long lun, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Plugs a target with its LUNs (cf. a SAS device arriving and the HBA driver calling {@code
   * xpt_rescan()} for its target); with rescan-on-change the SIM asks the XPT to scan it. Reply:
   * ack or error.
   */
  public record AddTarget(int target, List<LunSpec> luns, ActorRef<StatusReply<Done>> replyTo) implements Command {
    public AddTarget {
      luns = List.copyOf(luns);
    }
  }

  /**
   * Pulls a whole target: from now on it answers selection timeout (cf. a cable pulled: {@code
   * CAM_SEL_TIMEOUT}); with rescan-on-change the SIM asks the XPT to scan it. Reply: ack or error.
   */
  public record RemoveTarget(int target, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * A SCSI bus reset (UA 29/02 on every LUN, AC_BUS_RESET); cf. the SIM's {@code XPT_RESET_BUS}.
   * Reply: ack.
   */
  public record ResetBus(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Changes a disk's capacity (UA 2A/09); cf. {@code ctladm modify -s}. Reply: ack or error. */
  public record ResizeLun(int target, long lun, long blocks, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Adds (or replaces by id) a fault rule on a LUN (no CAM counterpart: error injection, cf. CTL's
   * {@code ctladm inject}). Reply: ack or error.
   */
  public record AddFault(int target, long lun, FaultRule rule, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** The active fault rules of a LUN (cf. {@code ctladm inject} listing). Reply: the list, or an error. */
  public record ListFaults(int target, long lun, ActorRef<StatusReply<List<FaultRule>>> replyTo) implements Command {}

  /** Removes a fault rule by id (cf. {@code ctladm inject -r}). Reply: ack, or an error when there is none. */
  public record DeleteFault(int target, long lun, String id, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Sets a LUN's injected completion delay ({@link Delay#NONE} to clear); no CAM counterpart (a
   * slow device). Reply: ack or error.
   */
  public record SetDelay(int target, long lun, Delay delay, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Runs a control-plane operation on one LUN's device on the SIM's thread (the front panel of a
   * drive: load a disc, press eject, put a packet in a processor's mailbox) and replies with its
   * one-line outcome. An {@link IllegalArgumentException} from {@code op} becomes the error reply.
   * Reply: the outcome, or an error (no such LUN, refused).
   */
  public record OnDevice(int target, long lun, java.util.function.Function<EmuDevice, Object> op, ActorRef<StatusReply<Object>> replyTo)
      implements Command {}

  /**
   * Asks for the bus identity; answered once the XPT registered the bus (cf. {@code XPT_PATH_INQ}
   * plus the target list). Reply: {@link BusInfo}.
   */
  public record GetBus(ActorRef<BusInfo> replyTo) implements Command {}

  /**
   * The registered bus.
   *
   * @param pathId the XPT's path id ({@code scbusN})
   * @param targets target id &rarr; LUNs present now
   */
  public record BusInfo(int pathId, String simName, int simUnit, Map<Integer, List<Long>> targets) {}

  /** The XPT's answer to our {@link Xpt.RegisterBus} (cf. {@code xpt_bus_register()} returning). No reply. */
  private record Registered(Xpt.BusRegistered registered) implements Command {}

  /**
   * The hooks recorded (or failed to record) a plug or pull; {@code apply} makes it happen (no CAM
   * counterpart: durable emulator state). Reply: the stashed request's ack or error.
   */
  private record Recorded(Runnable apply, String what, ActorRef<StatusReply<Done>> replyTo, Throwable failure)
      implements Command {}

  /**
   * A phy of an expander on this bus changed (PHY CONTROL): the disk on it leaves ({@code up}
   * false: the target is parked, it answers selection timeout and the XPT is asked to rescan it),
   * comes back (the same parked target object, its data intact, then a rescan), or is reset. cf. a
   * SAS HBA driver seeing a phy go down or up in an expander's change event. No reply.
   */
  private record PhyChange(int target, int change) implements Command {
    static final int DOWN = 0;
    static final int UP = 1;
    static final int HARD_RESET = 2;
  }

  /**
   * @param spec the bus and its power-on targets
   * @param xpt where the bus registers (the SIM view of the XPT)
   * @throws IllegalArgumentException when a LUN of the spec cannot be built (e.g. a missing file)
   */
  public static Behavior<Command> create(BusSpec spec, ActorRef<Xpt.Command> xpt) {
    return create(spec, xpt, DeviceHooks.NONE);
  }

  /**
   * A SIM whose devices are shown to {@code hooks}: at power-on, and before every plug and pull.
   *
   * @throws IllegalArgumentException when a LUN of the spec cannot be built (e.g. a missing file)
   */
  public static Behavior<Command> create(BusSpec spec, ActorRef<Xpt.Command> xpt, DeviceHooks hooks) {
    return create(spec, xpt, hooks, null);
  }

  /**
   * A SIM that also publishes its bus's live targets in the target layer's inventory once the XPT
   * numbered the bus, and withdraws them when it stops, so that other frontends (iSCSI) serve the
   * same LUN objects (cf. {@code ctl_frontend_cam_sim.c} next to the other CTL ports).
   *
   * @param targets the inventory, or null for none
   * @throws IllegalArgumentException when a LUN of the spec cannot be built (e.g. a missing file)
   */
  public static Behavior<Command> create(
      BusSpec spec, ActorRef<Xpt.Command> xpt, DeviceHooks hooks, TargetInventory targets) {
    return create(spec, xpt, hooks, targets, null);
  }

  /**
   * As above, and the bus's tape library (drives and changer) keeps its cartridges' contents under
   * {@code tapeDir/<bus name><unit>} (null: in memory) and its metadata through {@link
   * DeviceHooks#library()}.
   */
  public static Behavior<Command> create(
      BusSpec spec, ActorRef<Xpt.Command> xpt, DeviceHooks hooks, TargetInventory targets, java.nio.file.Path tapeDir) {
    return Behaviors.setup(
        ctx -> Behaviors.withStash(
            STASH,
            stash -> new EmuSim(ctx, spec, xpt, hooks, targets, stash,
                new TapeLibrary(tapeDir == null ? null : tapeDir.resolve(spec.name() + spec.unit())))));
  }

  private static final int STASH = 10_000;

  private final BusSpec spec;
  private final ActorRef<Xpt.Command> xpt;
  private final DeviceHooks hooks;
  private final TargetInventory inventory; // may be null
  private final StashBuffer<Command> stash;
  private final EmuBus path = new EmuBus(); // the data path handed to the XPT
  private final EnclosureView enclosureView;
  /** The bus's tape library: its drives, changer and cartridges. */
  private final TapeLibrary tapes;
  /** Disk WWN -> the enclosure slot it was configured in: a disk plugged back goes back there. */
  private final Map<String, Integer> slotOfDisk = new java.util.HashMap<>();
  private final List<ActorRef<BusInfo>> waiting = new ArrayList<>();
  private int pathId = -1;
  /** Targets taken off the bus by a disabled expander phy, by target id (back on link reset). */
  private final Map<Integer, EmuTarget> parked = new java.util.HashMap<>();
  /** A plug or pull waits for the hooks: other control messages wait for it. */
  private boolean recording;

  private EmuSim(
      ActorContext<Command> ctx,
      BusSpec spec,
      ActorRef<Xpt.Command> xpt,
      DeviceHooks hooks,
      TargetInventory inventory,
      StashBuffer<Command> stash,
      TapeLibrary tapes) {
    super(ctx);
    this.tapes = tapes;
    this.inventory = inventory;
    this.spec = spec;
    this.xpt = xpt;
    this.hooks = hooks == null ? DeviceHooks.NONE : hooks;
    this.stash = stash;
    Collection<EmuTarget> live = path.targets().values();
    this.enclosureView = EnclosureView.ofTargets(() -> live);
    for (Map.Entry<Integer, List<LunSpec>> e : spec.targets().entrySet()) {
      List<EmuDevice> devs = new ArrayList<>();
      for (LunSpec l : e.getValue()) {
        EmuDevice d = EmuDevices.create(inItsSlot(l), enclosureView, tapes);
        this.hooks.poweredOn(e.getKey(), d);
        devs.add(d);
      }
      path.targets().put(e.getKey(), new EmuTarget(e.getKey(), devs));
    }
    tapes.setStateSink(this.hooks.library());
    tapes.powerOn();
    wireExpanders(ctx.getSelf());
    int misc = (spec.scanOnRegister() ? 0 : HbaFlags.PIM_NOSCAN) | (spec.seqScan() ? HbaFlags.PIM_SEQSCAN : 0);
    Ccb.PathInqResult cpi =
        new Ccb.PathInqResult(
            1,
            HbaFlags.PI_TAG_ABLE | HbaFlags.PI_SDTR_ABLE | HbaFlags.PI_WIDE_16,
            misc,
            spec.maxTarget(),
            spec.maxLun(),
            spec.initiatorId(),
            "camstack",
            "CAMSTACK",
            spec.name(),
            spec.unit(),
            0,
            300_000,
            EmuDisk.MAX_TRANSFER_BYTES);
    ActorRef<Xpt.BusRegistered> reg = ctx.messageAdapter(Xpt.BusRegistered.class, Registered::new);
    xpt.tell(new Xpt.RegisterBus(cpi, spec.pathId(), spec.queueDepth(), path, reg));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Command.class, m -> recording && waitsForRecording(m), this::stashIt)
        .onMessage(Recorded.class, this::onRecorded)
        .onMessage(AddLun.class, this::onAddLun)
        .onMessage(RemoveLun.class, this::onRemoveLun)
        .onMessage(AddTarget.class, this::onAddTarget)
        .onMessage(RemoveTarget.class, this::onRemoveTarget)
        .onMessage(ResetBus.class, this::onResetBus)
        .onMessage(ResizeLun.class, this::onResizeLun)
        .onMessage(AddFault.class, this::onAddFault)
        .onMessage(ListFaults.class, this::onListFaults)
        .onMessage(DeleteFault.class, this::onDeleteFault)
        .onMessage(SetDelay.class, this::onSetDelay)
        .onMessage(OnDevice.class, this::onOnDevice)
        .onMessage(GetBus.class, this::onGetBus)
        .onMessage(Registered.class, this::onRegistered)
        .onMessage(PhyChange.class, this::onPhyChange)
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  private String simName() {
    return spec.name() + spec.unit();
  }

  // ---------------------------------------------------------------------------------------------

  private Behavior<Command> onAddLun(AddLun m) {
    EmuTarget t = path.targets().get(m.target());
    if (t == null) {
      return error(m.replyTo(), "no target " + m.target() + " (add the target first)");
    }
    if (m.spec() == null || m.spec().lun() > spec.maxLun()) {
      return error(m.replyTo(), "lun beyond max-lun " + spec.maxLun());
    }
    if (t.device(m.spec().lun()) != null) {
      return error(m.replyTo(), "target " + m.target() + " already has lun " + m.spec().lun());
    }
    EmuDevice d;
    try {
      d = EmuDevices.create(inItsSlot(m.spec()), enclosureView, tapes);
    } catch (IllegalArgumentException e) {
      return error(m.replyTo(), e.getMessage());
    }
    Runnable apply =
        () -> {
          try {
            t.addLun(d);
          } catch (IllegalArgumentException e) {
            error(m.replyTo(), e.getMessage());
            return;
          }
          occupancyChanged();
          getContext().getLog().info("{}: target {} lun {} plugged", simName(), m.target(), m.spec().lun());
          m.replyTo().tell(StatusReply.ack());
        };
    return whenRecorded(hooks.plugging(m.target(), List.of(d)), apply, "plug", m.replyTo());
  }

  private Behavior<Command> onRemoveLun(RemoveLun m) {
    EmuTarget t = path.targets().get(m.target());
    EmuDevice d = t == null ? null : t.device(m.lun());
    if (d == null) {
      return error(m.replyTo(), "no lun " + m.target() + ":" + m.lun());
    }
    Runnable apply =
        () -> {
          if (t.removeLun(m.lun()) == null) {
            error(m.replyTo(), "no lun " + m.target() + ":" + m.lun());
            return;
          }
          occupancyChanged();
          getContext().getLog().info("{}: target {} lun {} pulled", simName(), m.target(), m.lun());
          m.replyTo().tell(StatusReply.ack());
        };
    return whenRecorded(hooks.unplugging(m.target(), List.of(d), "lun removed"), apply, "pull", m.replyTo());
  }

  private Behavior<Command> onAddTarget(AddTarget m) {
    int id = m.target();
    if (id < 0 || id > spec.maxTarget() || id == spec.initiatorId()) {
      return error(m.replyTo(), "target " + id + " not in 0.." + spec.maxTarget() + " or is the initiator");
    }
    if (path.targets().containsKey(id)) {
      return error(m.replyTo(), "target " + id + " already present");
    }
    List<EmuDevice> devs = new ArrayList<>();
    EmuTarget target;
    try {
      for (LunSpec l : m.luns()) {
        if (l.lun() > spec.maxLun()) {
          return error(m.replyTo(), "lun " + l.lun() + " beyond max-lun " + spec.maxLun());
        }
        devs.add(EmuDevices.create(inItsSlot(l), enclosureView, tapes));
      }
      target = new EmuTarget(id, devs);
    } catch (IllegalArgumentException e) {
      return error(m.replyTo(), e.getMessage());
    }
    Runnable apply =
        () -> {
          if (path.targets().putIfAbsent(id, target) != null) {
            error(m.replyTo(), "target " + id + " already present");
            return;
          }
          if (inventory != null && pathId >= 0) {
            inventory.link(target); // its LUNs can find the node's other LUNs (EXTENDED COPY)
          }
          occupancyChanged();
          getContext().getLog().info("{}: target {} plugged", simName(), id);
          m.replyTo().tell(StatusReply.ack());
          rescan(id);
        };
    return whenRecorded(hooks.plugging(id, devs), apply, "plug", m.replyTo());
  }

  private Behavior<Command> onRemoveTarget(RemoveTarget m) {
    EmuTarget t = path.targets().get(m.target());
    if (t == null) {
      return error(m.replyTo(), "no target " + m.target());
    }
    Runnable apply =
        () -> {
          if (!path.targets().remove(m.target(), t)) {
            error(m.replyTo(), "no target " + m.target());
            return;
          }
          occupancyChanged();
          getContext().getLog().info("{}: target {} pulled", simName(), m.target());
          m.replyTo().tell(StatusReply.ack());
          rescan(m.target());
        };
    return whenRecorded(
        hooks.unplugging(m.target(), List.copyOf(t.luns().values()), "target removed"), apply, "pull", m.replyTo());
  }

  // ---------------------------------------------------------------------------------------------
  // plug and pull wait for the hooks

  /** Which messages wait while a plug or pull is being recorded: every control message. */
  private static boolean waitsForRecording(Command m) {
    return !(m instanceof Recorded) && !(m instanceof Registered) && !(m instanceof GetBus);
  }

  private Behavior<Command> stashIt(Command m) {
    if (stash.isFull()) {
      getContext().getLog().warn("{}: {} control messages waiting for the journal; dropping {}", simName(), STASH, m);
      return this;
    }
    stash.stash(m);
    return this;
  }

  /**
   * Applies a plug or pull once {@code recorded} completed: at once when it already did (no
   * hooks), else when the hooks report back, holding back the other control messages meanwhile.
   */
  private Behavior<Command> whenRecorded(
      CompletionStage<Done> recorded, Runnable apply, String what, ActorRef<StatusReply<Done>> replyTo) {
    CompletableFuture<Done> f = recorded.toCompletableFuture();
    if (f.isDone() && !f.isCompletedExceptionally()) {
      apply.run();
      return this;
    }
    recording = true;
    getContext().pipeToSelf(recorded, (d, e) -> new Recorded(apply, what, replyTo, e));
    return this;
  }

  private Behavior<Command> onRecorded(Recorded r) {
    recording = false;
    if (r.failure() != null) {
      Throwable c = r.failure() instanceof java.util.concurrent.CompletionException && r.failure().getCause() != null
          ? r.failure().getCause()
          : r.failure();
      getContext().getLog().warn("{}: {} refused: cannot record it: {}", simName(), r.what(), c.toString());
      error(r.replyTo(), r.what() + " refused: cannot record it: " + c.getMessage());
    } else {
      r.apply().run();
    }
    return stash.unstashAll(this);
  }

  /** cf. an HBA driver's xpt_rescan() on a topology change (mpssas, isp). */
  private void rescan(int target) {
    if (spec.rescanOnChange() && pathId >= 0) {
      ActorRef<Ccb.Completed> ignore = getContext().getSystem().ignoreRef();
      Ccb.Header h = new Ccb.Header(0, CamPath.target(pathId, target), CamPriority.XPT, 0, 0, 0, ignore);
      xpt.tell(new Xpt.Action(new Ccb.ScanTarget(h)));
    }
  }

  private Behavior<Command> onResetBus(ResetBus m) {
    path.resetBus();
    if (pathId >= 0) {
      xpt.tell(new Xpt.RaiseAsync(new AsyncEvent.BusReset(CamPath.bus(pathId))));
    }
    m.replyTo().tell(StatusReply.ack());
    return this;
  }

  private Behavior<Command> onResizeLun(ResizeLun m) {
    EmuDevice d = device(m.target(), m.lun());
    if (!(d instanceof EmuDisk disk)) {
      return error(m.replyTo(), "no disk at " + m.target() + ":" + m.lun());
    }
    try {
      disk.resize(m.blocks());
    } catch (IllegalArgumentException e) {
      return error(m.replyTo(), e.getMessage());
    }
    m.replyTo().tell(StatusReply.ack());
    return this;
  }

  private Behavior<Command> onAddFault(AddFault m) {
    EmuDevice d = device(m.target(), m.lun());
    if (d == null || m.rule() == null) {
      return error(m.replyTo(), "no lun " + m.target() + ":" + m.lun());
    }
    d.addFault(m.rule());
    m.replyTo().tell(StatusReply.ack());
    return this;
  }

  private Behavior<Command> onListFaults(ListFaults m) {
    EmuDevice d = device(m.target(), m.lun());
    if (d == null) {
      m.replyTo().tell(StatusReply.error("no lun " + m.target() + ":" + m.lun()));
      return this;
    }
    m.replyTo().tell(StatusReply.success(d.faults()));
    return this;
  }

  private Behavior<Command> onDeleteFault(DeleteFault m) {
    EmuDevice d = device(m.target(), m.lun());
    if (d == null) {
      return error(m.replyTo(), "no lun " + m.target() + ":" + m.lun());
    }
    if (!d.removeFault(m.id())) {
      return error(m.replyTo(), "no fault '" + m.id() + "' on " + m.target() + ":" + m.lun());
    }
    m.replyTo().tell(StatusReply.ack());
    return this;
  }

  private Behavior<Command> onSetDelay(SetDelay m) {
    EmuDevice d = device(m.target(), m.lun());
    if (d == null) {
      return error(m.replyTo(), "no lun " + m.target() + ":" + m.lun());
    }
    d.setDelay(m.delay());
    m.replyTo().tell(StatusReply.ack());
    return this;
  }

  private Behavior<Command> onOnDevice(OnDevice m) {
    EmuDevice d = device(m.target(), m.lun());
    if (d == null) {
      m.replyTo().tell(StatusReply.error("no lun " + m.target() + ":" + m.lun()));
      return this;
    }
    try {
      m.replyTo().tell(StatusReply.success(m.op().apply(d)));
    } catch (IllegalArgumentException e) {
      m.replyTo().tell(StatusReply.error(e.getMessage()));
    }
    return this;
  }

  /**
   * Wires each expander's phys to the bus's disks at power-on: phy i to the i-th target (by
   * target id) whose LUN 0 is a disk.
   */
  private void wireExpanders(ActorRef<Command> self) {
    List<EmuExpander.PhyLink> links = new ArrayList<>();
    for (EmuTarget t : new TreeMap<>(path.targets()).values()) {
      EmuDevice d = t.device(0);
      if (d != null && d.spec().type() == LunSpec.Type.DISK) {
        links.add(new EmuExpander.PhyLink(links.size(), t.targetId(), d.spec().wwn()));
      }
    }
    EmuExpander.PhyWiring wiring =
        new EmuExpander.PhyWiring() {
          public void phyDown(int target) {
            self.tell(new PhyChange(target, PhyChange.DOWN));
          }

          public void phyUp(int target) {
            self.tell(new PhyChange(target, PhyChange.UP));
          }

          public void hardReset(int target) {
            self.tell(new PhyChange(target, PhyChange.HARD_RESET));
          }
        };
    List<Integer> offTheBus = new ArrayList<>();
    for (EmuTarget t : path.targets().values()) {
      for (EmuDevice d : t.luns().values()) {
        if (d instanceof EmuExpander x) {
          List<EmuExpander.PhyLink> wired = links.subList(0, Math.min(links.size(), x.phys()));
          x.wire(wired, wiring);
          for (EmuExpander.PhyLink l : wired) {
            if (x.isDisabled(l.phy())) {
              offTheBus.add(l.target()); // disabled before the restart (durable phy state)
            }
          }
        }
      }
    }
    for (int target : offTheBus) {
      EmuTarget t = path.targets().remove(target);
      if (t != null) {
        parked.put(target, t); // before the bus registers: the first scan never finds it
        getContext().getLog().info("{}: target {} off the bus from power-on (expander phy disabled)", simName(), target);
      }
    }
  }

  private Behavior<Command> onPhyChange(PhyChange m) {
    if (m.change() == PhyChange.HARD_RESET) {
      if (!path.resetTarget(m.target())) {
        getContext().getLog().debug("{}: hard reset of phy to target {}: no target", simName(), m.target());
      }
      return this;
    }
    if (m.change() == PhyChange.DOWN) {
      EmuTarget t = path.targets().remove(m.target());
      if (t == null) {
        return this;
      }
      parked.put(m.target(), t);
      getContext().getLog().info("{}: target {} off the bus (expander phy disabled)", simName(), m.target());
    } else {
      EmuTarget t = parked.remove(m.target());
      if (t == null || path.targets().putIfAbsent(m.target(), t) != null) {
        getContext().getLog().warn("{}: target {} cannot come back on its phy (gone or replaced)", simName(), m.target());
        return this;
      }
      getContext().getLog().info("{}: target {} back on the bus (expander phy enabled)", simName(), m.target());
    }
    occupancyChanged();
    rescan(m.target());
    return this;
  }

  private Behavior<Command> onGetBus(GetBus m) {
    if (pathId < 0) {
      waiting.add(m.replyTo());
    } else {
      m.replyTo().tell(busInfo());
    }
    return this;
  }

  private Behavior<Command> onRegistered(Registered m) {
    pathId = m.registered().pathId();
    if (inventory != null) {
      inventory.publish(pathId, path.targets());
    }
    for (ActorRef<BusInfo> w : waiting) {
      w.tell(busInfo());
    }
    waiting.clear();
    return this;
  }

  private Behavior<Command> onPostStop() {
    if (pathId >= 0) {
      if (inventory != null) {
        inventory.withdraw(pathId);
      }
      xpt.tell(new Xpt.DeregisterBus(pathId));
    }
    return this;
  }

  // ---------------------------------------------------------------------------------------------

  private BusInfo busInfo() {
    Map<Integer, List<Long>> t = new TreeMap<>();
    for (Map.Entry<Integer, EmuTarget> e : path.targets().entrySet()) {
      t.put(e.getKey(), List.copyOf(e.getValue().luns().keySet()));
    }
    return new BusInfo(pathId, spec.name(), spec.unit(), t);
  }

  private EmuDevice device(int target, long lun) {
    EmuTarget t = path.targets().get(target);
    return t == null ? null : t.device(lun);
  }

  /**
   * The spec of a disk as plugged on this bus: a disk that names no enclosure slot but sat in one
   * before (same WWN; a re-plug through the API names none) goes back into that slot, so the
   * enclosure reports the slot occupied again. A disk naming a slot is remembered there.
   */
  private LunSpec inItsSlot(LunSpec l) {
    if (l == null || l.type() != LunSpec.Type.DISK) {
      return l;
    }
    if (l.enclosureSlot() >= 0) {
      slotOfDisk.put(l.wwn(), l.enclosureSlot());
      return l;
    }
    Integer slot = slotOfDisk.get(l.wwn());
    return slot == null ? l : l.withEnclosureSlot(slot);
  }

  /** Enclosures on this bus re-read which slots hold disks. */
  private void occupancyChanged() {
    for (EmuTarget t : path.targets().values()) {
      for (EmuDevice d : t.luns().values()) {
        if (d instanceof EmuEnclosure enc) {
          enc.occupancyChanged();
        }
      }
    }
  }

  private Behavior<Command> error(ActorRef<StatusReply<Done>> replyTo, String message) {
    replyTo.tell(StatusReply.error(simName() + ": " + message));
    return this;
  }
}
