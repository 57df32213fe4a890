package org.camstack.stack.periph;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.ReceiveBuilder;
import org.apache.pekko.pattern.StatusReply;
import org.camstack.stack.ccb.AsyncCode;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.ccb.Errno;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.stack.lifetime.Lifetime;
import org.camstack.stack.lifetime.PeriphId;
import org.camstack.persistence.audit.ViolationKind;
import org.camstack.stack.xpt.AsyncEvent;
import org.camstack.stack.xpt.Xpt;
import org.camstack.stack.xpt.XptDevice;
import org.slf4j.Logger;
import org.slf4j.MDC;
import org.slf4j.LoggerFactory;

/**
 * What every peripheral instance shares: references by {@link RefToken}, invalidation, the free
 * order, the hold lock, the devfs node and its destroy protocol, CCB bookkeeping, and the entry of
 * devfs calls. cf. sys/cam/cam_periph.c. Drivers ({@code PassPeriph}, {@code DaPeriph}, {@code
 * SesPeriph}) extend it and supply the ctor ({@link #onRegister()}), oninvalidate ({@link
 * #onInvalidate()}), dtor ({@link #cleanup()}) and the device methods.
 *
 * <p>Fixed (2012-post) lifetime: allocation holds ALLOC; the node holds DEVFS from {@code make_dev}
 * until devfs reports it gone; every open holds OPEN, every outstanding CCB holds CCB. {@link
 * Periph.Invalidate} (once) deregisters async events, runs oninvalidate, asks devfs to destroy the
 * node with a callback, and drops ALLOC. When invalid and unreferenced: destructor, then {@link
 * PeriphDriver.UnitFreed}, then {@link Xpt.FreePeriph}, then stop.
 *
 * <p>Every fixed/legacy difference lives in one {@link LifetimeRules} object per instance, not in
 * branches here. Legacy (2012-pre) lifetime, with {@link PeriphSettings#legacyMode()}: no ALLOC, DEVFS or CCB
 * references; oninvalidate does not touch devfs; the free order is UnitFreed, then destructor (which
 * destroys the node itself, without callback, or synchronously for enc).
 *
 * <p>Every handler ends with {@link #next()}: helpers never return behaviors, the state decides.
 */
public abstract class PeriphBase extends AbstractBehavior<Periph.Command> {

  /**
   * Level checks only, so that a line off at the active level costs no {@code getLog()} (which builds
   * the actor's logging context and sets the MDC). Pekko names the actor's logger after this class.
   */
  private static final Logger LEVELS = LoggerFactory.getLogger(PeriphBase.class);

  /** The base's own messages (adapters, timers, watches). */
  sealed interface Internal extends Periph.Command {}

  private record CcbDone(Ccb.Completed completed) implements Internal, DataPath {}

  private record DevCall(Devfs.CdevCall call) implements Internal {}

  private record DevGone(Devfs.NodeGone gone) implements Internal {}

  private record NodeMade(Devfs.MakeDevResult result) implements Internal {}

  private record AsyncArrived(AsyncEvent event) implements Internal {}

  private record SyncDestroyed(Devfs.Destroyed destroyed) implements Internal {}

  private record RunLater(Runnable task) implements Internal {}

  private record Started(XptDevice.Start start) implements Internal, DataPath {}

  private record Declined(XptDevice.Declined declined) implements Internal, DataPath {}

  private record DeviceQueueGone() implements Internal {}

  private record HoldWaiterGone(ActorRef<StatusReply<Done>> waiter) implements Internal {}


  /**
   * A message of the data path (a CCB's completion, a start, a bio): handled without setting the
   * periph's MDC first, which would cost a thread-local map per I/O; {@link #log()} sets it when
   * such a handler logs.
   */
  public interface DataPath {}

  /**
   * Sets the periph's {@code camPeriph} / {@code camPath} MDC (B9) while its constructor runs;
   * afterwards {@link MdcReceive} sets it for every message but the {@link DataPath} ones.
   */
  protected static Behavior<Periph.Command> withMdc(PeriphArgs args, Behavior<Periph.Command> b) {
    String periph = args.name();
    String camPath = args.path().toString();
    return Behaviors.setup(
        ctx -> {
          putMdc(periph, camPath);
          try {
            return Behavior.start(b, ctx);
          } finally {
            MDC.clear();
          }
        });
  }

  /**
   * The periph's receive: a CCB's completion goes straight to its handler, the other {@link
   * DataPath} messages to {@code handlers} without the MDC, every other message and signal with
   * it (B9). A receive of its own rather than a {@code BehaviorInterceptor}: an interceptor is a
   * layer every message pays for, and the completion, first, skips the handler table's scan
   * (issue 15: both were a fifth of the da strategy path's samples). While asleep ({@code
   * completions} false) a completion goes to the handlers like any message.
   */
  private final class MdcReceive extends Receive<Periph.Command> {
    private final Receive<Periph.Command> handlers;
    private final boolean completions; // CcbDone straight to completeCcb (not while asleep)

    MdcReceive(Receive<Periph.Command> handlers, boolean completions) {
      this.handlers = handlers;
      this.completions = completions;
    }

    @Override
    public Behavior<Periph.Command> receiveMessage(Periph.Command msg) throws Exception {
      if (completions && msg instanceof CcbDone d) {
        completeCcb(d.completed());
        return next();
      }
      if (msg instanceof DataPath) {
        return handlers.receiveMessage(msg);
      }
      putMdc(name, pathText);
      try {
        return handlers.receiveMessage(msg);
      } finally {
        MDC.clear();
      }
    }

    @Override
    public Behavior<Periph.Command> receiveSignal(Signal sig) throws Exception {
      putMdc(name, pathText);
      try {
        return handlers.receiveSignal(sig);
      } finally {
        MDC.clear();
      }
    }
  }

  private static void putMdc(String periph, String camPath) {
    MDC.put("camPeriph", periph);
    MDC.put("camPath", camPath);
  }

  protected final PeriphArgs args;
  protected final PeriphId id;
  protected final CamPath path;
  protected final DeviceInfo info;
  protected final String name;
  private final String pathText; // the camPath MDC value
  protected final String identity;
  protected final boolean legacy;
  private final LifetimeRules rules; // every fixed/legacy difference of the base
  protected final ActorRef<XptDevice.Command> device;
  protected final ActorRef<Xpt.PeriphCommand> xpt;
  protected final ActorRef<Devfs.Command> devfs;
  protected final ActorRef<Ccb.Completed> ccbAdapter;
  protected final ActorRef<Devfs.CdevCall> callAdapter;
  private final ActorRef<AsyncEvent> asyncAdapter;
  private final ActorRef<XptDevice.Start> startAdapter;
  private final ActorRef<XptDevice.Declined> declineAdapter;
  private boolean scheduledActions = true; // send a CCB with its grant (ScheduledAction) while openings are free
  private final CcbBook ccbs = new CcbBook(); // in flight, allocation queue, recoveries

  private final RefBook refs = new RefBook(); // by reason; which of them clients took
  private final ArrayDeque<Periph.Hold> holdWaiters = new ArrayDeque<>();
  private ActorRef<StatusReply<Done>> holder; // the client in the exclusive section, null: the periph
  private final List<Runnable> afterUnblock = new ArrayList<>();
  private boolean invalid; // cf. CAM_PERIPH_INVALID
  private boolean locked; // cf. CAM_PERIPH_LOCKED
  private boolean freeing; // cf. CAM_PERIPH_FREE
  private boolean blocked; // asleep in a synchronous destroy_dev()
  private boolean finishPending;
  private boolean stopped;
  private final DevNode node; // the devfs node and the requests about it
  private boolean deviceGone; // the device queue actor stopped

  protected PeriphBase(ActorContext<Periph.Command> context, PeriphArgs args) {
    super(context);
    this.args = args;
    this.id = args.id();
    this.path = args.path();
    this.info = args.info();
    this.name = args.name();
    this.pathText = args.path().toString();
    this.identity = args.identity();
    this.legacy = args.settings().legacyMode();
    this.rules = LifetimeRules.of(legacy);
    this.device = args.device();
    this.xpt = args.xpt();
    this.devfs = args.devfs();
    this.callAdapter = context.messageAdapter(Devfs.CdevCall.class, DevCall::new);
    this.asyncAdapter = context.messageAdapter(AsyncEvent.class, AsyncArrived::new);
    this.startAdapter = context.messageAdapter(XptDevice.Start.class, Started::new);
    this.declineAdapter = context.messageAdapter(XptDevice.Declined.class, Declined::new);
    this.node =
        new DevNode(
            devfs,
            new Devfs.Owner(id, path, identity, callAdapter, context.getSelf()),
            context.messageAdapter(Devfs.MakeDevResult.class, NodeMade::new),
            context.messageAdapter(Devfs.NodeGone.class, DevGone::new),
            context.messageAdapter(Devfs.Destroyed.class, SyncDestroyed::new));
    // last: Pekko matches an adapted message against the most recently registered adapter first,
    // and a CCB's completion is the message a periph gets most
    this.ccbAdapter = context.messageAdapter(Ccb.Completed.class, CcbDone::new);
    context.watchWith(device, new DeviceQueueGone());
    rules.holdOwn(this, RefToken.ALLOC); // cf. cam_periph_alloc(): "Dropped by invalidation"
  }

  /**
   * Registers with the XPT and runs the driver's ctor. Call once, at the end of the subclass
   * constructor. cf. cam_periph_alloc(): xpt_add_periph(), then ctor.
   */
  protected final void start() {
    Set<AsyncCode> events = EnumSet.of(AsyncCode.AC_LOST_DEVICE);
    events.addAll(asyncEvents());
    // one message: the device ref (xpt_create_path()), the periph list (xpt_add_periph()) and the
    // async registration, as cam_periph_alloc() does them in one call
    boolean listed = addToXptAtStart() && !freeing;
    inXpt = listed;
    xpt.tell(new Xpt.AllocPeriph(path, id.driver(), id.unit(), listed, events, asyncAdapter, getContext().getSelf()));
    onRegister();
  }

  private boolean inXpt;

  /** cf. xpt_add_periph(): the device's periph list (devlist) shows this instance. Idempotent. */
  protected final void addToXpt() {
    if (!inXpt && !freeing) {
      inXpt = true;
      xpt.tell(new Xpt.AddPeriph(path, id.driver(), id.unit()));
    }
  }

  /**
   * Whether {@link #start()} registers with the XPT at once (CAM's order) or the driver does it
   * later with {@link #addToXpt()}.
   */
  protected boolean addToXptAtStart() {
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Driver hooks

  /** The ctor (cf. passregister(), daregister(), enc_ctor()). */
  protected abstract void onRegister();

  /** Driver part of oninvalidate (cf. passoninvalidate()); the base does async and devfs. */
  protected void onInvalidate() {}

  /** The destructor (cf. passcleanup(), dacleanup(), enc_dtor()). Runs once. */
  protected abstract void cleanup();

  private final List<CamPath> extraAsyncPaths = new ArrayList<>();

  /**
   * An async registration on another (wildcard) path, e.g. AC_FOUND_DEVICE on the bus; dropped at
   * invalidation. Events arrive at {@link #onAsyncEvent}; AC_LOST_DEVICE of another device does
   * not invalidate this periph.
   */
  protected final void registerAsync(Set<AsyncCode> events, CamPath other) {
    extraAsyncPaths.add(other);
    xpt.tell(new Xpt.RegisterAsync(events, other, asyncAdapter, null));
  }

  /** Async events besides AC_LOST_DEVICE this driver wants on its path. */
  protected Set<AsyncCode> asyncEvents() {
    return Set.of();
  }

  /** An async event other than AC_LOST_DEVICE (which invalidates). */
  protected void onAsyncEvent(AsyncEvent event) {}

  /** The node was created ({@link #makeDev}); cf. the rest of passregister() after make_dev. */
  protected void onNodeCreated(long nodeId, String nodeName) {}

  /** Devfs answered {@link #makeDev}, successfully or not. */
  protected void onMakeDevAnswered() {}

  /** Devfs called back: the node is gone (fixed mode). Before DEVFS is released. */
  protected void onNodeGone() {}

  /** d_open. Answer exactly once (maybe later) with {@link #replyCall}. */
  protected void onDevOpen(Devfs.CdevCall call, Devfs.OpenRequest req) {
    replyCall(call, Devfs.DevReply.error(Errno.ENODEV));
  }

  /** d_close. Default (pass, enc): drop the open's reference ({@link #closeReference()}), OK. */
  protected void onDevClose(Devfs.CdevCall call, Devfs.CloseRequest req) {
    closeReference();
    replyCall(call, Devfs.DevReply.ok());
  }

  /** d_ioctl. */
  protected void onDevIoctl(Devfs.CdevCall call, Devfs.IoctlRequest req) {
    replyCall(call, Devfs.DevReply.error(Errno.ENOTTY));
  }

  /** d_read. */
  protected void onDevRead(Devfs.CdevCall call, Devfs.ReadRequest req) {
    replyCall(call, Devfs.DevReply.error(Errno.ENODEV));
  }

  /** d_write. */
  protected void onDevWrite(Devfs.CdevCall call, Devfs.WriteRequest req) {
    replyCall(call, Devfs.DevReply.error(Errno.ENODEV));
  }

  /**
   * The driver's error routine: sees every failed completion of a {@link RunCcb} before the
   * generic recovery decides (cf. daerror() calling cam_periph_error()). Default: nothing.
   */
  protected void onCcbError(Ccb.Completed completed) {}

  /** Adds the driver's own message handlers. */
  protected void addHandlers(ReceiveBuilder<Periph.Command> builder) {}

  // ---------------------------------------------------------------------------------------------

  @Override
  public final Receive<Periph.Command> createReceive() {
    // the data path first: the builder's table is scanned in order for every message
    ReceiveBuilder<Periph.Command> b =
        newReceiveBuilder().onMessage(Started.class, this::onStarted).onMessage(Declined.class, this::onDeclined);
    addDataPathHandlers(b);
    b.onMessage(Periph.Acquire.class, this::onAcquire)
        .onMessage(Periph.Release.class, this::onRelease)
        .onMessage(Periph.Invalidate.class, this::onInvalidateMsg)
        .onMessage(Periph.Hold.class, this::onHold)
        .onMessage(Periph.Unhold.class, this::onUnhold)
        .onMessage(Periph.CancelHold.class, this::onCancelHold)
        .onMessage(HoldWaiterGone.class, this::onHoldWaiterGone)
        .onMessage(Periph.DumpRefs.class, this::onDumpRefs)
        .onMessage(DevCall.class, this::onDevCall)
        .onMessage(DevGone.class, this::onDevGone)
        .onMessage(NodeMade.class, this::onNodeMade)
        .onMessage(AsyncArrived.class, this::onAsyncArrived)
        .onMessage(RunLater.class, this::onRunLater)
        .onMessage(DeviceQueueGone.class, this::onDeviceQueueGone);
    addHandlers(b);
    return new MdcReceive(b.build(), true);
  }

  /**
   * The driver's {@link DataPath} messages (e.g. da's strategy requests), matched before every
   * other handler. Default: none.
   */
  protected void addDataPathHandlers(ReceiveBuilder<Periph.Command> b) {}

  /** The behavior after a handler: stopped once freed, asleep while blocked, else this. */
  protected final Behavior<Periph.Command> next() {
    if (stopped) {
      return Behaviors.stopped();
    }
    if (blocked) {
      return asleep();
    }
    if (sleeping) {
      sleeping = false;
      return this; // wake up: back from asleep() to the receive of this class
    }
    return Behaviors.same(); // the receive of this class stays
  }

  private Behavior<Periph.Command> onAcquire(Periph.Acquire cmd) {
    if (cmd.token() == null) {
      cmd.replyTo().tell(StatusReply.error(name + ": acquire without a reason"));
    } else if (invalid) {
      emit(Lifetime.acquireRefused(id, identity, cmd.token().name()));
      cmd.replyTo().tell(StatusReply.error(name + " is invalid"));
    } else {
      acquire(cmd.token(), true);
      refs.clientTook(cmd.token());
      cmd.replyTo().tell(StatusReply.ack());
    }
    return next();
  }

  private Behavior<Periph.Command> onRelease(Periph.Release cmd) {
    RefToken t = cmd.token();
    // bad input from a client (no Acquire of it outstanding): an answer, not a crash
    if (answerClient(refs.clientGives(t), cmd.replyTo(), "release of " + t + " that no client acquired")) {
      release(t);
    }
    return next();
  }

  /**
   * Answers a client's Release/Unhold: ack when {@code ok}, else a logged error (bad client input
   * changes nothing and never crashes the periph). {@code replyTo} may be null. Returns {@code ok}.
   */
  private boolean answerClient(boolean ok, ActorRef<StatusReply<Done>> replyTo, String whyNot) {
    if (!ok) {
      log().warn("{}: {}", name, whyNot);
    }
    if (replyTo != null) {
      replyTo.tell(ok ? StatusReply.ack() : StatusReply.error(name + ": " + whyNot));
    }
    return ok;
  }

  private Behavior<Periph.Command> onInvalidateMsg(Periph.Invalidate cmd) {
    invalidate(cmd.cause());
    return next();
  }

  private Behavior<Periph.Command> onDumpRefs(Periph.DumpRefs q) {
    q.replyTo().tell(new Periph.Refs(id, path, invalid, refs.snapshot(), ccbs.inFlight(), node.name()));
    return next();
  }

  // ---------------------------------------------------------------------------------------------
  // References

  /** True once invalidated. */
  protected final boolean isInvalid() {
    return invalid;
  }

  /**
   * cf. cam_periph_acquire(): refused (false) once invalid. For references the periph takes on a
   * caller's behalf (OPEN, HOLD).
   */
  protected final boolean tryAcquire(RefToken token) {
    if (invalid) {
      emit(Lifetime.acquireRefused(id, identity, token.name()));
      return false;
    }
    acquire(token, true);
    return true;
  }

  /** cf. cam_periph_doacquire(): unconditional, for the periph's own holders (TASK, CCB). */
  protected final void doAcquire(RefToken token) {
    acquire(token, false);
  }

  /**
   * A reference for one of the periph's own holders (TASK, PROBE, ...) in the rules it follows:
   * counted in fixed mode, not at all in legacy mode. Pair with {@link #dropOwn}.
   */
  protected final void holdOwn(RefToken token) {
    rules.holdOwn(this, token);
  }

  /** Drops a {@link #holdOwn} reference. May free the periph. */
  protected final void dropOwn(RefToken token) {
    rules.dropOwn(this, token);
  }

  /** A reference taken on a client's behalf (OPEN), granted even though it reads external. */
  final void acquireForClient(RefToken token) {
    acquire(token, true);
  }

  private void acquire(RefToken token, boolean external) {
    int held = refs.take(token);
    if (token != RefToken.CCB) {
      emit(Lifetime.refAcquired(id, identity, token.name(), external, held));
    }
  }

  /**
   * cf. cam_periph_release(). Throws on a token not held (I5). The last release of an invalid
   * periph frees it.
   */
  protected final void release(RefToken token) {
    int left = refs.drop(token);
    if (left < 0) {
      emit(
          Lifetime.violation(
              ViolationKind.REF_UNDERFLOW,
              id + ": release of unheld reference " + token,
              id,
              path,
              identity,
              List.of(name)));
      throw new IllegalStateException(name + ": release of unheld reference " + token);
    }
    if (token != RefToken.CCB) {
      emit(Lifetime.refReleased(id, identity, token.name(), left));
    }
    maybeFree();
  }

  /** References currently held for {@code token}. */
  protected final int held(RefToken token) {
    return refs.held(token);
  }

  // ---------------------------------------------------------------------------------------------
  // Invalidation and free

  /** cf. cam_periph_invalidate(). Idempotent (I2). */
  protected final void invalidate(String cause) {
    if (invalid) {
      return; // only the first invalidation runs oninvalidate
    }
    invalid = true;
    if (logsInfo()) {
      log().info("invalidated: {}", cause);
    }
    emit(Lifetime.invalidated(id, identity, cause));
    args.driver().tell(new PeriphDriver.PeriphInvalidated(id.unit(), id.generation()));
    xpt.tell(new Xpt.UnregisterAsync(path, asyncAdapter));
    for (CamPath extra : extraAsyncPaths) {
      xpt.tell(new Xpt.UnregisterAsync(extra, asyncAdapter));
    }
    onInvalidate();
    flushQueue(); // cf. cam_iosched_flush(softc->cam_iosched, NULL, ENXIO)
    rules.afterOnInvalidate(this);
  }

  void maybeFree() {
    if (invalid && !freeing && refs.none() && !node.makePending()) {
      free();
    }
  }

  /** cf. camperiphfree(). */
  private void free() {
    freeing = true;
    rules.beforeDestructor(this);
    cleanup();
    if (blocked) {
      finishPending = true; // the destructor sleeps in destroy_dev()
      return;
    }
    finishFree();
  }

  private void finishFree() {
    emit(Lifetime.destructorRun(id, identity));
    if (logsDebug()) {
      log().debug("destructor ran");
    }
    // cf. xpt_remove_periph() when listed, under the same topology lock as the unit's release: sent
    // before UnitFreed, so it reaches the XPT before any AddPeriph of a new owner of this unit; then
    // xpt_free_path(periph->path). One message, as camperiphfree() does both.
    xpt.tell(new Xpt.FreePeriph(path, id.driver(), id.unit(), inXpt, getContext().getSelf()));
    rules.afterDestructor(this);
    if (ccbs.inFlight() > 0) {
      emit(
          Lifetime.violation(
              ViolationKind.CCB_LOST,
              id + " freed with " + ccbs.inFlight() + " CCB(s) outstanding",
              id,
              path,
              identity,
              List.of(name)));
    }
    stopped = true;
  }

  void unitFreed() {
    args.driver().tell(new PeriphDriver.UnitFreed(id.unit(), id.generation()));
  }

  // ---------------------------------------------------------------------------------------------
  // Hold / unhold

  private Behavior<Periph.Command> onHold(Periph.Hold cmd) {
    if (!tryAcquire(RefToken.HOLD)) {
      cmd.replyTo().tell(StatusReply.error(name + ": " + Errno.ENXIO));
      return next();
    }
    if (!locked) {
      grant(cmd.replyTo());
    } else {
      holdWaiters.add(cmd); // cf. CAM_PERIPH_LOCK_WANTED, sleep "caplck" (PCATCH)
      getContext().watchWith(cmd.replyTo(), new HoldWaiterGone(cmd.replyTo()));
    }
    return next();
  }

  private void grant(ActorRef<StatusReply<Done>> to) {
    locked = true;
    holder = to;
    to.tell(StatusReply.ack());
  }

  /** A queued waiter gives up: it is never granted, its HOLD goes. True if it was queued. */
  private boolean dropWaiter(ActorRef<StatusReply<Done>> waiter) {
    for (java.util.Iterator<Periph.Hold> it = holdWaiters.iterator(); it.hasNext(); ) {
      if (it.next().replyTo().equals(waiter)) {
        it.remove();
        getContext().unwatch(waiter);
        release(RefToken.HOLD);
        return true;
      }
    }
    return false;
  }

  private Behavior<Periph.Command> onHoldWaiterGone(HoldWaiterGone msg) {
    if (dropWaiter(msg.waiter())) {
      log().debug("hold waiter {} stopped: dropped", msg.waiter());
    }
    return next();
  }

  private Behavior<Periph.Command> onCancelHold(Periph.CancelHold cmd) {
    if (!dropWaiter(cmd.waiter()) && locked && cmd.waiter().equals(holder)) {
      unhold(); // the grant crossed the give-up: the section goes back
    }
    return next();
  }

  private Behavior<Periph.Command> onUnhold(Periph.Unhold cmd) {
    if (answerClient(locked && holder != null, cmd.replyTo(), "unhold without a client hold")) {
      unhold();
    }
    return next();
  }

  /** cf. cam_periph_unhold(). */
  protected final void unhold() {
    if (!locked) {
      throw new IllegalStateException(name + ": unhold without hold");
    }
    locked = false;
    holder = null;
    while (!holdWaiters.isEmpty()) {
      Periph.Hold w = holdWaiters.poll();
      getContext().unwatch(w.replyTo());
      if (invalid) {
        // cf. 2012-post cam_periph_hold(): woke up, periph invalid -> release, ENXIO
        w.replyTo().tell(StatusReply.error(name + ": " + Errno.ENXIO));
        release(RefToken.HOLD);
        continue;
      }
      grant(w.replyTo());
      break;
    }
    release(RefToken.HOLD);
    if (!locked && !stopped) {
      onUnheld();
    }
  }

  /** The exclusive section is free again (for drivers with their own waiters). */
  protected void onUnheld() {}

  /** Takes the hold lock for the periph's own use; false if it is taken or the periph invalid. */
  protected final boolean tryHoldInternal() {
    if (locked || invalid) {
      return false;
    }
    acquire(RefToken.HOLD, false);
    locked = true;
    holder = null; // the periph's own
    return true;
  }

  protected final boolean isHeld() {
    return locked;
  }

  // ---------------------------------------------------------------------------------------------
  // Devfs node

  /**
   * cf. make_dev(): creates the node {@code nodeName}. Fixed mode takes DEVFS first (cf. the
   * cam_periph_acquire() before make_dev in passregister()); it is dropped when devfs reports the
   * node gone.
   */
  protected final void makeDev(String nodeName, boolean trackClose) {
    rules.holdOwn(this, RefToken.DEVFS);
    node.make(nodeName, trackClose);
  }

  private Behavior<Periph.Command> onNodeMade(NodeMade msg) {
    onMakeDevAnswered();
    Devfs.MakeDevResult r = msg.result();
    String asked = node.name();
    if (node.made(r)) {
      if (invalid) {
        rules.nodeMadeWhileInvalid(this); // invalidated while make_dev was in progress
      } else {
        onNodeCreated(node.id(), node.name());
      }
    } else {
      getContext().getLog().warn("make_dev({}) failed: {}", asked, r.errno());
      rules.dropOwn(this, RefToken.DEVFS);
    }
    maybeFree();
    return next();
  }

  /** The devfs node id, 0 when none. */
  protected final long nodeId() {
    return node.id();
  }

  protected final String nodeName() {
    return node.name();
  }

  /** cf. destroy_dev_sched_cb(dev, xxdevgonecb, periph) in oninvalidate (fixed mode). */
  void requestNodeDestroy() {
    node.destroyWithCallback();
  }

  /** Legacy destructors: cf. destroy_dev_sched(dev) in 2012-pre passcleanup(): no callback. */
  protected final void destroyNodeNoCallback() {
    node.destroyWithoutCallback();
  }

  /**
   * Legacy enc destructor: cf. destroy_dev(dev) in 2012-pre enc_dtor(): synchronous, the periph
   * sleeps until devfs answers. Called from a d_close this deadlocks (bug B); devfs detects it.
   */
  protected final void destroyNodeSync() {
    if (node.id() != 0) {
      sleepUntil(m -> m instanceof SyncDestroyed, () -> {});
      node.destroySync(getContext().getSelf());
    }
  }

  /**
   * cf. taskqueue_drain() in a destructor: sleeps until the completion of {@code ccbId} (the
   * task's CCB) arrived and was handled, then runs {@code then}. Runs {@code then} at once when
   * that CCB is not outstanding.
   */
  protected final void drainCcb(long ccbId, Runnable then) {
    if (!ccbs.inFlight(ccbId)) {
      then.run();
      return;
    }
    sleepUntil(m -> m instanceof CcbDone d && d.completed().ccb().ccbId() == ccbId, then);
  }

  /**
   * Models a thread that sleeps inside the periph (destroy_dev, taskqueue_drain): until a message
   * matching {@code wake} arrives, nothing else is handled (completions and events that arrive
   * meanwhile are dropped, as with the freed periph), except that a devfs call gets ENXIO, which
   * is what another kernel thread entering the invalid periph would get. The waking message is
   * handled normally, then {@code then} runs.
   */
  private void sleepUntil(java.util.function.Predicate<Periph.Command> wake, Runnable then) {
    blocked = true;
    wakeOn = wake;
    onWake = then;
  }

  private java.util.function.Predicate<Periph.Command> wakeOn;
  private Runnable onWake;

  private boolean sleeping; // the current behavior is asleep(), not this

  private Behavior<Periph.Command> asleep() {
    sleeping = true;
    return new MdcReceive(newReceiveBuilder().onAnyMessage(this::whileAsleep).build(), false);
  }

  private Behavior<Periph.Command> whileAsleep(Periph.Command m) {
    if (!wakeOn.test(m)) {
      if (m instanceof DevCall dc) {
        // another kernel thread entering the driver meanwhile finds the periph invalid
        dc.call().reply(Devfs.DevReply.error(Errno.ENXIO));
      } else {
        getContext().getLog().debug("asleep in the destructor: {} not handled", m);
      }
      return Behaviors.same();
    }
    if (m instanceof CcbDone d) {
      completeCcb(d.completed());
    }
    blocked = false;
    Runnable then = onWake;
    wakeOn = null;
    onWake = null;
    then.run();
    if (!blocked) {
      List<Runnable> pending = List.copyOf(afterUnblock);
      afterUnblock.clear();
      pending.forEach(Runnable::run);
      if (finishPending) {
        finishPending = false;
        finishFree();
      }
    }
    return next();
  }

  private Behavior<Periph.Command> onDevGone(DevGone msg) {
    if (logsDebug()) {
      log().debug("devfs node [{}] gone", msg.gone().nodeName());
    }
    node.gone();
    onNodeGone();
    rules.dropOpensAtNodeGone(this); // cf. passdevgonecb(): no more close calls will come
    release(RefToken.DEVFS);
    return next();
  }

  // ---------------------------------------------------------------------------------------------
  // Device calls

  private Behavior<Periph.Command> onDevCall(DevCall msg) {
    Devfs.CdevCall call = msg.call();
    Devfs.DevRequest r = call.request();
    if (r instanceof Devfs.OpenRequest o) {
      onDevOpen(call, o);
    } else if (r instanceof Devfs.CloseRequest c) {
      onDevClose(call, c);
    } else if (r instanceof Devfs.IoctlRequest i) {
      onDevIoctl(call, i);
    } else if (r instanceof Devfs.ReadRequest rd) {
      onDevRead(call, rd);
    } else if (r instanceof Devfs.WriteRequest w) {
      onDevWrite(call, w);
    }
    return next();
  }

  /** Answers a devfs call; while asleep in destroy_dev the answer waits for the wake-up. */
  protected final void replyCall(Devfs.CdevCall call, Devfs.DevReply reply) {
    if (blocked) {
      afterUnblock.add(() -> call.reply(reply));
    } else {
      call.reply(reply);
    }
  }

  /**
   * The open-reference discipline of pass(4) and enc(4). Fixed (D_TRACKCLOSE): every open takes
   * OPEN (refused once invalid), every close drops one, dev-gone drops the rest. Legacy: the first
   * opener keeps the reference, the (last) close drops it.
   *
   * @return OK, or ENXIO when invalid
   */
  protected final Errno openReference() {
    if (invalid) {
      emit(Lifetime.acquireRefused(id, identity, RefToken.OPEN.name()));
      return Errno.ENXIO;
    }
    rules.open(this);
    return Errno.OK;
  }

  /** The close half of {@link #openReference()}. May free the periph. */
  protected final void closeReference() {
    rules.close(this);
  }

  protected final int openCount() {
    return rules.openCount();
  }

  // ---------------------------------------------------------------------------------------------
  // CCBs

  /** A header for a CCB this periph issues to its device; completion comes back here. */
  protected final Ccb.Header header(int priority, int flags, int timeoutMs, int retries) {
    return new Ccb.Header(ccbs.nextId(), path, priority, flags, timeoutMs, retries, ccbAdapter);
  }

  /**
   * cf. xpt_action(ccb) from a periph: sends the CCB to the device queue; {@code onDone} runs once
   * with its completion. Fixed mode holds a CCB reference until then.
   */
  protected final void action(Ccb ccb, Consumer<Ccb.Completed> onDone) {
    if (!XptDevice.answersItself(ccb)) {
      xptAction(ccb, onDone); // an EDT-level code (e.g. XPT_DEV_ADVINFO): the XPT's to complete
      return;
    }
    send(ccb, onDone, true);
  }

  private void send(Ccb ccb, Consumer<Ccb.Completed> onDone, boolean trace) {
    ccbs.sent(name, ccb, onDone, false);
    rules.holdOwn(this, RefToken.CCB);
    if (deviceGone) {
      ccbAdapter.tell(Ccb.Completed.of(ccb, org.camstack.stack.ccb.CamStatus.DEV_NOT_THERE));
    } else {
      if (trace && args.settings().listener().tracesCcbs()) emit(Lifetime.ccbIssued(id, identity, ccb)); // the device emits its completion
      device.tell(new XptDevice.Action(ccb));
    }
  }

  /**
   * The device queue actor stopped (the XPT retired the device): it will never complete what we
   * sent it. Those CCBs complete here with DEV_NOT_THERE, once each (I6), and the periph goes
   * invalid as for AC_LOST_DEVICE.
   */
  private Behavior<Periph.Command> onDeviceQueueGone(DeviceQueueGone msg) {
    deviceGone = true;
    for (CcbBook.Outstanding o : ccbs.atDevice()) {
      if (ccbs.inFlight(o.ccb().ccbId())) { // not completed meanwhile by another's completion
        emit(Lifetime.ccbCompleted(o.ccb(), Ccb.Completed.of(o.ccb(), org.camstack.stack.ccb.CamStatus.DEV_NOT_THERE), name));
        completeCcb(Ccb.Completed.of(o.ccb(), org.camstack.stack.ccb.CamStatus.DEV_NOT_THERE));
      }
    }
    flushQueue();
    invalidate("device queue gone");
    return next();
  }

  /**
   * cf. xpt_schedule() + periph_start(): queues {@code ccb} (by priority) until the device grants
   * an opening, then sends it like {@link #action}. Queued CCBs complete with DEV_NOT_THERE when
   * the periph is invalidated or the device is lost (cf. cam_iosched_flush(..., ENXIO)), so each
   * still completes exactly once (I6).
   */
  protected final void schedule(Ccb ccb, Consumer<Ccb.Completed> onDone) {
    if (invalid) {
      onDone.accept(Ccb.Completed.of(ccb, org.camstack.stack.ccb.CamStatus.DEV_NOT_THERE));
      return;
    }
    rules.holdOwn(this, RefToken.CCB);
    if (scheduledActions && !deviceGone && ccb instanceof Ccb.ScsiIo && ccbs.idle()) {
      // nothing waits here: ask for the opening and send the CCB in one message (the device
      // declines it when it cannot grant one now, and it is queued here as below)
      ccbs.sentScheduled(name, ccb, onDone);
      if (args.settings().listener().tracesCcbs()) emit(Lifetime.ccbIssued(id, identity, ccb));
      device.tell(new XptDevice.ScheduledAction(ccb, declineAdapter));
      return;
    }
    ccbs.enqueue(ccb, onDone);
    requestStart();
  }

  /**
   * The device could not grant an opening for a {@link XptDevice.ScheduledAction}: the CCB waits
   * here again, at its place, and goes through Schedule/Start; CCBs are scheduled that way until
   * a Start leaves openings unused. The CCB reference it holds stays (now the queue's).
   */
  private Behavior<Periph.Command> onDeclined(Declined msg) {
    if (ccbs.declined(msg.declined().ccb().ccbId()) == null) {
      return next(); // completed meanwhile (the device queue went away): nothing to queue
    }
    scheduledActions = false;
    if (invalid || deviceGone) {
      flushQueue();
    } else {
      requestStart();
    }
    return next();
  }

  private void requestStart() {
    CcbBook.Queued head = ccbs.scheduleNow();
    if (head != null) {
      device.tell(new XptDevice.Schedule(head.ccb().header().priority(), ccbs.queued(), startAdapter));
    }
  }

  private Behavior<Periph.Command> onStarted(Started msg) {
    ccbs.started();
    int granted = msg.start().granted();
    if (granted == 0) {
      flushQueue(); // the device is gone
      return next();
    }
    while (granted > 0 && ccbs.queued() > 0) {
      CcbBook.Queued q = ccbs.poll();
      granted--;
      if (q.traced()) {
        send(q.ccb(), q.done(), false); // a declined ScheduledAction: its issue was traced when first sent
      } else {
        action(q.ccb(), q.done());
      }
      rules.dropOwn(this, RefToken.CCB); // the queue's reference; the send holds its own
    }
    if (granted > 0) {
      device.tell(new XptDevice.ReleaseOpenings(granted));
      scheduledActions = true; // openings were left over: the next CCB may ask for one with itself
    }
    requestStart();
    return next();
  }

  /** Completes every queued CCB with DEV_NOT_THERE. */
  private void flushQueue() {
    while (ccbs.queued() > 0) {
      CcbBook.Queued q = ccbs.poll();
      q.done().accept(Ccb.Completed.of(q.ccb(), org.camstack.stack.ccb.CamStatus.DEV_NOT_THERE));
      rules.dropOwn(this, RefToken.CCB);
    }
  }

  /** CCBs waiting for an opening. */
  protected final int queuedCcbs() {
    return ccbs.queued();
  }

  /**
   * Sends a CCB to the XPT itself (scans, EDT queries) rather than the device queue; its
   * completion is accounted like any other (I6) and otherwise ignored.
   */
  protected final void xptAction(Ccb ccb) {
    xptAction(ccb, c -> {});
  }

  /** As {@link #xptAction(Ccb)}, with its completion handed to {@code onDone}. */
  protected final void xptAction(Ccb ccb, Consumer<Ccb.Completed> onDone) {
    ccbs.sent(name, ccb, onDone, true);
    rules.holdOwn(this, RefToken.CCB);
    if (args.settings().listener().tracesCcbs()) emit(Lifetime.ccbIssued(id, identity, ccb)); // the XPT emits its completion
    xpt.tell(new Xpt.Action(ccb));
  }

  /** A START UNIT / TUR recovery is running: other failing CCBs are requeued. */
  final boolean recoveryInProgress() {
    return ccbs.recoveryInProgress();
  }

  final void recoveryStarted() {
    ccbs.recoveryStarted();
  }

  final void recoveryEnded() {
    ccbs.recoveryEnded();
  }

  /** CCBs issued and not completed. */
  protected final int outstandingCcbs() {
    return ccbs.inFlight();
  }

  private void completeCcb(Ccb.Completed done) {
    CcbBook.Outstanding o = ccbs.completed(done.ccb().ccbId());
    if (o == null) {
      emit(
          Lifetime.violation(
              ViolationKind.CCB_COMPLETED_TWICE,
              id + ": completion of ccb " + done.ccb().ccbId() + " that is not outstanding ("
                  + done.status() + ")",
              id,
              path,
              identity,
              List.of(name)));
      return;
    }
    o.onDone().accept(done);
    rules.dropOwn(this, RefToken.CCB);
  }

  /** cf. xpt_release_devq(path, 1, TRUE): the release owed after a frozen completion. */
  protected final void releaseDevq() {
    device.tell(new XptDevice.ReleaseDevq(1, true));
  }

  // ---------------------------------------------------------------------------------------------
  // Async

  private Behavior<Periph.Command> onAsyncArrived(AsyncArrived msg) {
    if (msg.event() instanceof AsyncEvent.LostDevice lost) {
      if (lost.path().matches(path)) {
        invalidate("AC_LOST_DEVICE"); // cf. cam_periph_async()
      }
    } else if (!invalid) {
      onAsyncEvent(msg.event());
    }
    return next();
  }

  /** Runs {@code task} on this actor after {@code delay} (a callout). */
  protected final void later(java.time.Duration delay, Runnable task) {
    if (delay.isZero() || delay.isNegative()) {
      getContext().getSelf().tell(new RunLater(task));
    } else {
      getContext().scheduleOnce(delay, getContext().getSelf(), new RunLater(task));
    }
  }

  private Behavior<Periph.Command> onRunLater(RunLater msg) {
    msg.task().run();
    return next();
  }

  /** cf. xpt_async(code, path, arg) raised by the periph (AC_LOST_DEVICE, AC_UNIT_ATTENTION). */
  protected final void raiseAsync(AsyncEvent event) {
    xpt.tell(new Xpt.RaiseAsync(event));
  }

  protected final void emit(LifetimeEvent event) {
    args.settings().listener().onEvent(event);
  }

  /**
   * Whether {@link #log()} logs at INFO: test it before a line on the attach/detach path, so that a
   * line off at the active level costs no logging context (Pekko builds it on the first {@code
   * getLog()}: the actor path string, the MDC).
   */
  protected static boolean logsInfo() {
    return LEVELS.isInfoEnabled();
  }

  /** Whether {@link #log()} logs at DEBUG; see {@link #logsInfo()}. */
  protected static boolean logsDebug() {
    return LEVELS.isDebugEnabled();
  }

  protected final Logger log() {
    Logger log = getContext().getLog(); // Pekko clears the MDC after the message once its log was used
    if (MDC.get("camPeriph") == null) {
      putMdc(name, pathText); // a DataPath message runs without the MDC: set it now
    }
    return log;
  }
}
