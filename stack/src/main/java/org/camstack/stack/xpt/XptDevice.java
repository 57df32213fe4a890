package org.camstack.stack.xpt;

import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.camstack.persistence.audit.LifetimeListener;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.lifetime.Lifetime;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.sim.AsyncSimDataPath;
import org.camstack.stack.sim.SimDataPath;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-device transport actor: one per LUN the XPT knows (configured or being probed). It owns
 * the device's CCB queue (priority order), its openings, its freeze count and the timeouts of CCBs
 * handed to the SIM, and it calls the SIM's data path directly, so the CCB hot path is periph
 * &rarr; XptDevice &rarr; (SIM, same thread) &rarr; periph: two hops, no central actor, no timer
 * and no log line per CCB. cf. {@code struct cam_ed} + {@code struct cam_ccbq} in
 * sys/cam/cam_xpt_internal.h and sys/cam/cam_queue.[ch]; the queue bookkeeping itself is {@link
 * DevQueue}.
 *
 * <p>Only a device answer with {@link ScsiResponse#delayNanos()} &gt; 0 or {@link
 * ScsiResponse#dropped()} goes asynchronous: its completion is scheduled to self and a timeout is
 * armed; whichever comes first completes the CCB, the other is counted and dropped.
 *
 * <p>Senders: periphs ({@link Action}, {@link Schedule}, {@link ReleaseDevq}, {@link FreezeDevq},
 * {@link ReleaseOpenings}), the {@link Xpt} (forwarded actions and the package-private control
 * messages). Lifetime: spawned and stopped by the XPT; when the device is lost every queued and
 * later CCB completes with {@code CAM_DEV_NOT_THERE} until the XPT revives or stops it.
 */
public final class XptDevice extends AbstractBehavior<XptDevice.Command> {

  /** Supertype of all messages to a device queue. */
  public sealed interface Command
      permits Action,
          Schedule,
          ScheduledAction,
          ReleaseDevq,
          FreezeDevq,
          ReleaseOpenings,
          GetCounters,
          DeviceLost,
          Retire,
          DeviceRevived,
          SetTags,
          Reset,
          SimCompleted,
          CcbTimedOut,
          SimAnswered,
          ReleaseTimeout {}

  /**
   * cf. {@code xpt_action(ccb)} for device-queued function codes (SCSI_IO, RESET_DEV) and the
   * device-level immediate ones (REL_SIMQ, ABORT, GDEV_STATS, NOOP). Other codes (GDEV_TYPE,
   * GDEVLIST, DEV_ADVINFO, GET/SET_TRAN_SETTINGS, ...) are forwarded to the {@link Xpt}, which owns
   * the EDT. Reply: exactly one {@link Ccb.Completed} to {@code ccb.header().replyTo()}, also when
   * the device is gone (DEV_NOT_THERE) or the CCB is malformed.
   */
  public record Action(Ccb ccb) implements Command {
    public Action {
      Objects.requireNonNull(ccb, "ccb");
    }
  }

  /**
   * cf. {@code xpt_schedule(periph, priority)}: ask for {@code count} openings at {@code priority};
   * the device answers with {@link Start} once it can (by priority among waiting periphs). Each
   * completion of a device-queued CCB returns one granted opening; unused ones go back with {@link
   * ReleaseOpenings}. A lost device answers {@code Start(priority, 0)}.
   */
  public record Schedule(int priority, int count, ActorRef<Start> replyTo) implements Command {}

  /**
   * cf. {@code xpt_schedule(periph, priority)} + {@code periph_start()} + {@code xpt_action(ccb)} in
   * one message, for a periph whose start routine only sends its next queued CCB: when no periph
   * waits ahead and an opening can be granted now (the rule of {@link Schedule} for one opening),
   * the device grants it and takes the CCB as an {@link Action} at once; the reply is then exactly
   * one {@link Ccb.Completed} to {@code ccb.header().replyTo()}. Otherwise nothing changes at the
   * device and the CCB comes back as {@link Declined} to {@code declinedTo}: the periph queues it
   * again and asks with {@link Schedule}. A lost device completes it with DEV_NOT_THERE. This saves
   * the Schedule/Start round trip per I/O on the da strategy path while openings are free.
   */
  public record ScheduledAction(Ccb ccb, ActorRef<Declined> declinedTo) implements Command {
    public ScheduledAction {
      Objects.requireNonNull(ccb, "ccb");
    }
  }

  /** The answer to a {@link ScheduledAction} that could not be granted an opening now. */
  public record Declined(Ccb ccb) {}

  /** cf. {@code periph_start(periph, ccb)}: {@code granted} openings reserved for the receiver. */
  public record Start(int priority, int granted) {}

  /**
   * cf. {@code xpt_release_devq(path, count, run_queue)}. No reply. A periph sends this after it
   * handled a completion with {@code devQueueFrozen()} (or uses REL_SIMQ). The queue is run at the
   * end of the message either way.
   */
  public record ReleaseDevq(int count, boolean runQueue) implements Command {}

  /** cf. {@code xpt_freeze_devq(path, count)}: adds {@code count} to the freeze count. No reply. */
  public record FreezeDevq(int count) implements Command {}

  /** cf. {@code xpt_release_ccb()}: return {@code count} granted openings unused. No reply. */
  public record ReleaseOpenings(int count) implements Command {}

  /**
   * Asks for the device queue's counters (no CAM counterpart; cf. the statistics {@code
   * XPT_GDEV_STATS} does not carry). Reply: {@link Counters}.
   */
  public record GetCounters(ActorRef<Counters> replyTo) implements Command {}

  /**
   * Counters of one device queue.
   *
   * @param completed CCBs completed by the SIM path (any status)
   * @param timedOut CCBs completed with CMD_TIMEOUT
   * @param lateCompletions device answers that arrived after their CCB had completed (dropped)
   * @param aborted CCBs completed with REQ_ABORTED
   * @param frozen the current freeze count
   */
  public record Counters(long completed, long timedOut, long lateCompletions, long aborted, int frozen) {}

  // --- from the XPT (package-private) ---------------------------------------------------------

  /**
   * The device was lost: flush with DEV_NOT_THERE, refuse new CCBs. cf. {@code
   * scsi_dev_async(AC_LOST_DEVICE)} setting {@code CAM_DEV_UNCONFIGURED} and {@code
   * xpt_async_process()} flushing the device queue. No reply.
   */
  record DeviceLost() implements Command {}

  /**
   * The XPT drops the device: flush like {@link DeviceLost}, then stop. Sent (rather than stopping
   * the actor from outside) so that everything already in the mailbox still completes. cf. {@code
   * xpt_release_device()} freeing the {@code cam_ed} when its last reference goes. No reply.
   */
  record Retire() implements Command {}

  /**
   * A probe starts on a lost device: accept CCBs again. cf. {@code scsi_scan_lun()} reusing the
   * unconfigured {@code cam_ed} of the path. No reply.
   */
  record DeviceRevived() implements Command {}

  /** New tag depth (cf. {@code xpt_start_tags()} / {@code xpt_stop_tags()}). No reply. */
  record SetTags(int openings) implements Command {}

  /**
   * A bus reset or BDR hit the device: outstanding delayed CCBs complete with {@code status}
   * (SCSI_BUS_RESET / BDR_SENT). cf. the SIM completing its active CCBs after a reset and {@code
   * xpt_async(AC_BUS_RESET / AC_SENT_BDR)} recording {@code last_reset}. No reply.
   */
  record Reset(CamStatus status, long millis) implements Command {}

  // --- private ----------------------------------------------------------------------------------

  /**
   * The SIM's delayed answer for the CCB tagged {@code tag} is due. cf. the SIM calling {@code
   * xpt_done()} from its interrupt handler. No reply; late ones are counted and dropped.
   */
  private record SimCompleted(long tag) implements Command {}

  /**
   * The timeout of the CCB tagged {@code tag} fired. cf. the SIM's per-CCB callout ({@code
   * ccb_h.timeout}) completing it with CAM_CMD_TIMEOUT. No reply.
   */
  private record CcbTimedOut(long tag) implements Command {}

  /**
   * An asynchronous SIM ({@link AsyncSimDataPath}) answered the CCB tagged {@code tag}: a SCSI
   * answer, or (response null) a CAM status. cf. {@code xpt_done()} from a network SIM's receive
   * thread. No reply; late ones are counted and dropped.
   */
  private record SimAnswered(long tag, ScsiResponse response, CamStatus status) implements Command {}

  /**
   * The delay of a {@code RELSIM_RELEASE_AFTER_TIMEOUT} elapsed. cf. {@code
   * xpt_release_devq_timeout()}. No reply.
   */
  private enum ReleaseTimeout implements Command {
    INSTANCE
  }

  /** A CCB whose answer the SIM holds back (delayed or dropped). */
  private static final class InFlight {
    final Ccb.ScsiIo io;
    final ScsiResponse response; // null for a command started on an asynchronous SIM
    final long startNanos;
    Cancellable timeout;
    long simTask = -1; // the asynchronous SIM's handle, for abort

    InFlight(Ccb.ScsiIo io, ScsiResponse response, long startNanos) {
      this.io = io;
      this.response = response;
      this.startNanos = startNanos;
    }
  }

  /**
   * @param path the device (concrete bus, target and LUN)
   * @param dataPath the SIM's data path, called directly on this actor's thread
   * @param simInitiatorId the SIM's own initiator id (used when a CCB says -1)
   * @param maxTags the SIM's queue depth; the device starts untagged (one opening)
   * @param defaultTimeout the SIM default for CCBs with {@code timeoutMs == 0}
   * @param xpt where non-queue function codes and raised async events go
   */
  public static Behavior<Command> create(
      CamPath path,
      SimDataPath dataPath,
      int simInitiatorId,
      int maxTags,
      Duration defaultTimeout,
      ActorRef<Xpt.Command> xpt) {
    return create(path, dataPath, simInitiatorId, maxTags, defaultTimeout, xpt, LifetimeListener.NOOP);
  }

  /** As above; every CCB completion is also emitted to {@code listener} (cf. I6). */
  public static Behavior<Command> create(
      CamPath path,
      SimDataPath dataPath,
      int simInitiatorId,
      int maxTags,
      Duration defaultTimeout,
      ActorRef<Xpt.Command> xpt,
      LifetimeListener listener) {
    if (path.isWildcard()) {
      throw new IllegalArgumentException("a device queue needs a concrete path: " + path);
    }
    // No withMdc here: it would cost a thread-local map per message on the hot path. Log lines
    // carry the path as an argument instead.
    return Behaviors.setup(
        ctx -> new XptDevice(ctx, path, dataPath, simInitiatorId, maxTags, defaultTimeout, xpt, listener));
  }

  private final CamPath path;
  private final SimDataPath dataPath;
  private final int simInitiatorId;
  private final long defaultTimeoutMs;
  private final ActorRef<Xpt.Command> xpt;
  private final LifetimeListener listener;
  private final String completer;
  /**
   * Not {@code ctx.getLog()}: that builds the actor's logging context (its path string, the MDC) on
   * every device's creation, a hot-plug cost; the lines carry the path instead.
   */
  private static final Logger LOG = LoggerFactory.getLogger(XptDevice.class);
  private final DevQueue q;
  private final IoStats ioStats; // null when camstack.xpt.io-stats = off
  private final Map<Long, InFlight> inFlight = new HashMap<>();
  private Cancellable releaseTimer;
  private long nextTag;
  private boolean lost; // cf. CAM_DEV_UNCONFIGURED after AC_LOST_DEVICE
  private boolean running; // re-entrancy guard for runQueue()
  private long lastResetMillis;
  private long completed;
  private long timedOut;
  private long lateCompletions;
  private long aborted;

  private XptDevice(
      ActorContext<Command> ctx,
      CamPath path,
      SimDataPath dataPath,
      int simInitiatorId,
      int maxTags,
      Duration defaultTimeout,
      ActorRef<Xpt.Command> xpt,
      LifetimeListener listener) {
    super(ctx);
    this.listener = listener;
    this.completer = path.toString();
    this.path = path;
    this.dataPath = dataPath;
    this.simInitiatorId = simInitiatorId;
    this.defaultTimeoutMs = defaultTimeout.toMillis();
    this.xpt = xpt;
    this.q = new DevQueue(1, Math.max(1, maxTags));
    this.ioStats = IoStats.Registry.get(ctx.getSystem()).register(path);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Action.class, this::onAction)
        .onMessage(Schedule.class, this::onSchedule)
        .onMessage(ScheduledAction.class, this::onScheduledAction)
        .onMessage(ReleaseDevq.class, this::onReleaseDevq)
        .onMessage(FreezeDevq.class, this::onFreezeDevq)
        .onMessage(ReleaseOpenings.class, this::onReleaseOpenings)
        .onMessage(GetCounters.class, this::onGetCounters)
        .onMessage(DeviceLost.class, this::onDeviceLost)
        .onMessage(Retire.class, this::onRetire)
        .onMessage(DeviceRevived.class, this::onDeviceRevived)
        .onMessage(SetTags.class, this::onSetTags)
        .onMessage(Reset.class, this::onReset)
        .onMessage(SimCompleted.class, this::onSimCompleted)
        .onMessage(SimAnswered.class, this::onSimAnswered)
        .onMessage(CcbTimedOut.class, this::onCcbTimedOut)
        .onMessageEquals(ReleaseTimeout.INSTANCE, this::onReleaseTimeout)
        .build();
  }

  // ---------------------------------------------------------------------------------------------
  // Actions

  /**
   * Whether the device queue answers {@code ccb} itself (queued I/O and reset, release, abort,
   * statistics, no-op). Every other code is the XPT's (the EDT's): a periph sends those to the XPT
   * directly, as xpt_action() dispatches by function code, so that exactly one party completes
   * them even when the device queue stops meanwhile.
   */
  public static boolean answersItself(Ccb ccb) {
    return ccb instanceof Ccb.ScsiIo
        || ccb instanceof Ccb.SmpIo
        || ccb instanceof Ccb.ResetDev
        || ccb instanceof Ccb.RelSimQ
        || ccb instanceof Ccb.Abort
        || ccb instanceof Ccb.GetDevStats
        || ccb instanceof Ccb.Noop;
  }

  private Behavior<Command> onAction(Action a) {
    Ccb ccb = a.ccb();
    if (!answersItself(ccb)) {
      // EDT-level codes: the XPT owns the answer (cf. xpt_action_default()).
      xpt.tell(new Xpt.Action(ccb));
    } else if (ccb instanceof Ccb.ScsiIo || ccb instanceof Ccb.SmpIo || ccb instanceof Ccb.ResetDev) {
      onQueued(ccb);
    } else if (ccb instanceof Ccb.RelSimQ r) {
      onRelSimQ(r);
    } else if (ccb instanceof Ccb.Abort ab) {
      onAbort(ab);
    } else if (ccb instanceof Ccb.GetDevStats) {
      reply(ccb, Ccb.Completed.ok(ccb, stats()));
    } else {
      onNoop(ccb); // the last of answersItself's codes
    }
    return this;
  }

  /** Device-queued codes: the hot path. cf. {@code xpt_action_default(XPT_SCSI_IO)}. */
  private void onQueued(Ccb ccb) {
    if (!path.equals(ccb.path())) {
      reply(ccb, SimIo.failed(ccb, CamStatus.PATH_INVALID));
      return;
    }
    if (lost) {
      reply(ccb, SimIo.failed(ccb, CamStatus.DEV_NOT_THERE));
      return;
    }
    if (q.tryStartNow()) {
      dispatch(ccb);
      if (q.queued() > 0 || q.waiting() > 0) {
        runQueue(); // the completion may have unfrozen the queue or freed an opening
      }
    } else {
      q.enqueue(ccb);
      runQueue();
    }
  }

  /**
   * cf. {@code xpt_run_devq()}: hand CCBs to the SIM while the queue is unfrozen and openings are
   * free.
   */
  private void runQueue() {
    if (running) {
      return;
    }
    running = true;
    try {
      Ccb next;
      while ((next = q.pollStartable()) != null) {
        dispatch(next);
      }
      DevQueue.Grant g;
      while ((g = q.pollGrant()) != null) {
        g.replyTo().tell(new Start(g.priority(), g.granted()));
      }
    } finally {
      running = false;
    }
  }

  /** cf. {@code sim_action()}: a direct call into the SIM on this thread. */
  private void dispatch(Ccb ccb) {
    if (ccb instanceof Ccb.ScsiIo io) {
      dispatchScsiIo(io);
    } else if (ccb instanceof Ccb.SmpIo smp) {
      dispatchSmpIo(smp);
    } else if (ccb instanceof Ccb.ResetDev) {
      dispatchResetDev(ccb);
    } else {
      throw new IllegalStateException("not a device-queued CCB: " + ccb.funcCode());
    }
  }

  /**
   * cf. {@code sim_action(XPT_SMP_IO)}: the SIM hands the request frame to the SMP target and
   * completes with its response frame; a device that is no SMP target completes REQ_INVALID, an
   * absent one SEL_TIMEOUT.
   */
  private void dispatchSmpIo(Ccb.SmpIo io) {
    org.apache.pekko.util.ByteString response;
    try {
      response = dataPath.smp(path.target(), path.lun(), io.request(), io.responseLen());
    } catch (RuntimeException e) {
      LOG.warn("{}: SIM data path threw on an SMP request", path, e);
      finish(io, SimIo.failed(io, CamStatus.UNREC_HBA_ERROR));
      return;
    }
    if (response == null) {
      finish(io, SimIo.failed(io, CamStatus.SEL_TIMEOUT));
    } else if (response.isEmpty()) {
      finish(io, SimIo.failed(io, CamStatus.REQ_INVALID));
    } else {
      org.apache.pekko.util.ByteString data = response.size() > io.responseLen() ? response.take(io.responseLen()) : response;
      finish(io, new Ccb.Completed(io, CamStatus.REQ_CMP, 0, 0, org.apache.pekko.util.ByteString.emptyByteString(), data,
          io.responseLen() - data.size(), null));
    }
  }

  private void dispatchScsiIo(Ccb.ScsiIo io) {
    if (SimIo.malformed(io)) {
      finish(io, SimIo.failed(io, CamStatus.REQ_INVALID));
      return;
    }
    long t0 = ioStats == null ? 0 : System.nanoTime();
    if (dataPath instanceof AsyncSimDataPath async) {
      startAsync(async, io, t0);
      return;
    }
    ScsiResponse r;
    try {
      int init = io.initiatorId() < 0 ? simInitiatorId : io.initiatorId();
      r = dataPath.execute(path.target(), path.lun(), io.cdb(), io.dataOut(), io.dxferLen(), init, laterAnswer, nextTag);
    } catch (RuntimeException e) {
      // an emulator bug must not lose the CCB: complete it as an HBA error
      LOG.warn("{}: SIM data path threw on opcode [0x{}]", path, Integer.toHexString(io.opcode()), e);
      finish(io, SimIo.failed(io, CamStatus.UNREC_HBA_ERROR));
      return;
    }
    if (r == null) {
      finish(io, SimIo.failed(io, CamStatus.SEL_TIMEOUT));
    } else if (r == ScsiResponse.PENDING) {
      awaitSim(io, t0); // tag nextTag: the answer comes as SimAnswered
    } else if (r.dropped() || r.delayNanos() > 0) {
      goAsync(io, r, t0);
    } else {
      Ccb.Completed c = SimIo.completion(io, r);
      finish(io, c);
      if (ioStats != null) {
        recordIo(io, c, t0);
      }
    }
  }

  /**
   * A pending answer of a synchronous SIM's LUN ({@code LaterAnswer}, e.g. a clustered LUN's
   * command forwarded to its owner) comes back as {@link SimAnswered}, like an asynchronous SIM's.
   * One instance per device queue: the hot path allocates nothing for it.
   */
  private final org.camstack.stack.scsi.LaterAnswer laterAnswer = new org.camstack.stack.scsi.LaterAnswer() {
    private final ActorRef<Command> self = getContext().getSelf();

    @Override
    public void answered(long tag, ScsiResponse response) {
      self.tell(new SimAnswered(tag, response, null));
    }
  };

  /** The CCB's answer comes later, as {@link SimAnswered} with tag {@code nextTag}: timeout armed. */
  private InFlight awaitSim(Ccb.ScsiIo io, long t0) {
    long tag = nextTag++;
    InFlight f = new InFlight(io, null, t0);
    inFlight.put(tag, f);
    armTimeout(io, f, tag);
    return f;
  }

  /** Starts the CCB on an asynchronous SIM; its answer comes back as {@link SimAnswered}. */
  private void startAsync(AsyncSimDataPath async, Ccb.ScsiIo io, long t0) {
    long tag = nextTag;
    InFlight f = awaitSim(io, t0);
    ActorRef<Command> self = getContext().getSelf();
    int init = io.initiatorId() < 0 ? simInitiatorId : io.initiatorId();
    try {
      f.simTask = async.start(path.target(), path.lun(), io.cdb(), io.dataOut(), io.dxferLen(), init,
          new AsyncSimDataPath.Done() {
            @Override
            public void answered(ScsiResponse response) {
              self.tell(new SimAnswered(tag, response, null));
            }

            @Override
            public void failed(CamStatus status) {
              self.tell(new SimAnswered(tag, null, status));
            }
          });
    } catch (RuntimeException e) {
      LOG.warn("{}: SIM data path threw on opcode [0x{}]", path, Integer.toHexString(io.opcode()), e);
      self.tell(new SimAnswered(tag, null, CamStatus.UNREC_HBA_ERROR));
    }
  }

  private Behavior<Command> onSimAnswered(SimAnswered m) {
    InFlight f = inFlight.remove(m.tag());
    if (f == null) {
      lateCompletions++;
      LOG.debug("{}: late completion dropped (ccb already completed)", path);
      return this;
    }
    ScsiResponse r = m.response();
    if (r != null && (r.dropped() || r.delayNanos() > 0)) {
      heldBack(m.tag(), f, r); // the owner's injected delay or drop, as for a local answer
      return this;
    }
    if (f.timeout != null) {
      f.timeout.cancel();
    }
    Ccb.Completed c = m.response() != null ? SimIo.completion(f.io, m.response()) : SimIo.failed(f.io, m.status());
    finish(f.io, c);
    if (ioStats != null) {
      recordIo(f.io, c, f.startNanos);
    }
    runQueue();
    return this;
  }

  /** A later answer that is itself delayed or dropped: wait on (timeout still armed), as {@link #goAsync}. */
  private void heldBack(long tag, InFlight f, ScsiResponse r) {
    InFlight g = new InFlight(f.io, r, f.startNanos);
    g.timeout = f.timeout;
    g.simTask = f.simTask;
    inFlight.put(tag, g);
    if (!r.dropped()) {
      getContext().scheduleOnce(Duration.ofNanos(r.delayNanos()), getContext().getSelf(), new SimCompleted(tag));
    }
  }

  /** Tells an asynchronous SIM to forget a command whose CCB completed without its answer. */
  private void abortAtSim(InFlight f) {
    if (f.simTask >= 0 && dataPath instanceof AsyncSimDataPath async) {
      async.abort(f.simTask);
    }
  }

  /** ctlstat-like accounting of one completed SCSI_IO (cf. devstat_end_transaction()). */
  private void recordIo(Ccb.ScsiIo io, Ccb.Completed c, long t0) {
    ioStats.record(io.opcode(), io.dxferLen() - c.resid(), io.dataOut().size(), System.nanoTime() - t0, c.status());
  }

  private void dispatchResetDev(Ccb ccb) {
    boolean there;
    try {
      there = dataPath instanceof AsyncSimDataPath async
          ? async.resetLun(path.target(), path.lun())
          : dataPath.resetTarget(path.target());
    } catch (RuntimeException e) {
      LOG.warn("{}: SIM reset of target {} threw", path, path.target(), e);
      finish(ccb, SimIo.failed(ccb, CamStatus.UNREC_HBA_ERROR));
      return;
    }
    if (!there) {
      finish(ccb, SimIo.failed(ccb, CamStatus.SEL_TIMEOUT));
      return;
    }
    finish(ccb, Ccb.Completed.of(ccb, CamStatus.REQ_CMP));
    // cf. xpt_async(AC_SENT_BDR) after a successful XPT_RESET_DEV
    xpt.tell(new Xpt.RaiseAsync(new AsyncEvent.SentBdr(CamPath.target(path.bus(), path.target()))));
  }

  /** The SIM holds the answer back: schedule it and arm the CCB's timeout. */
  private void goAsync(Ccb.ScsiIo io, ScsiResponse r, long t0) {
    long tag = nextTag++;
    InFlight f = new InFlight(io, r, t0);
    inFlight.put(tag, f);
    if (!r.dropped()) {
      getContext().scheduleOnce(Duration.ofNanos(r.delayNanos()), getContext().getSelf(), new SimCompleted(tag));
    }
    armTimeout(io, f, tag);
  }

  private void armTimeout(Ccb.ScsiIo io, InFlight f, long tag) {
    int t = io.header().timeoutMs();
    long ms = t == 0 ? defaultTimeoutMs : t;
    if (t != Ccb.Header.TIME_INFINITY && ms > 0) {
      f.timeout = getContext().scheduleOnce(Duration.ofMillis(ms), getContext().getSelf(), new CcbTimedOut(tag));
    }
  }

  /** Completes a CCB that was active at the SIM: freeze contract, openings, reply. */
  private void finish(Ccb ccb, Ccb.Completed c) {
    int flags = q.complete(ccb, c.status());
    completed++;
    reply(ccb, flags == 0 ? c : c.withStatusFlags(c.statusFlags() | flags));
  }

  private void reply(Ccb ccb, Ccb.Completed c) {
    if (listener.tracesCcbs()) {
      listener.onEvent(Lifetime.ccbCompleted(ccb, c, completer)); // cf. I6: the completer says so
    }
    ccb.header().replyTo().tell(c);
  }

  private Behavior<Command> onSimCompleted(SimCompleted m) {
    InFlight f = inFlight.remove(m.tag());
    if (f == null) {
      lateCompletions++;
      LOG.debug("{}: late completion dropped (ccb already completed)", path);
      return this;
    }
    if (f.timeout != null) {
      f.timeout.cancel();
    }
    Ccb.Completed c = SimIo.completion(f.io, f.response);
    finish(f.io, c);
    if (ioStats != null) {
      recordIo(f.io, c, f.startNanos);
    }
    runQueue();
    return this;
  }

  private Behavior<Command> onCcbTimedOut(CcbTimedOut m) {
    InFlight f = inFlight.remove(m.tag());
    if (f == null) {
      return this;
    }
    // the delayed answer stays scheduled: when it comes it is counted as late and dropped
    timedOut++;
    abortAtSim(f);
    LOG.debug("{}: ccb [{}] timed out", path, f.io.ccbId());
    Ccb.Completed c = SimIo.failed(f.io, CamStatus.CMD_TIMEOUT);
    finish(f.io, c);
    if (ioStats != null) {
      recordIo(f.io, c, f.startNanos);
    }
    runQueue();
    return this;
  }

  // ---------------------------------------------------------------------------------------------
  // Immediate device-level codes

  /** cf. {@code XPT_REL_SIMQ} in {@code xpt_action_default()}. */
  private void onRelSimQ(Ccb.RelSimQ r) {
    if (r.count() < 0 || r.openings() < 0 || r.releaseTimeoutMs() < 0) {
      reply(r, Ccb.Completed.of(r, CamStatus.REQ_INVALID));
      return;
    }
    boolean countOnly = (r.header().flags() & CcbFlags.DEV_QFREEZE) != 0;
    boolean armTimer = q.releaseSimq(r.releaseFlags(), r.openings(), r.count(), countOnly);
    if (armTimer) {
      if (releaseTimer != null) {
        releaseTimer.cancel();
      }
      releaseTimer =
          getContext().scheduleOnce(Duration.ofMillis(r.releaseTimeoutMs()), getContext().getSelf(), ReleaseTimeout.INSTANCE);
    }
    reply(r, Ccb.Completed.ok(r, new Ccb.RelSimResult(q.frozen())));
    runQueue();
  }

  private Behavior<Command> onReleaseTimeout() {
    releaseTimer = null;
    q.releaseTimeoutFired();
    runQueue();
    return this;
  }

  /**
   * cf. {@code XPT_ABORT}: a CCB still queued completes with REQ_ABORTED; a CCB whose answer the
   * SIM holds back is aborted too (its late answer is dropped). Otherwise UA_ABORT.
   */
  private void onAbort(Ccb.Abort ab) {
    ActorRef<Ccb.Completed> owner = ab.header().replyTo();
    Ccb victim = q.removeQueued(ab.abortCcbId(), owner);
    if (victim == null) {
      victim = abortInFlight(ab.abortCcbId(), owner);
    }
    if (victim == null) {
      reply(ab, Ccb.Completed.of(ab, CamStatus.UA_ABORT));
      return;
    }
    aborted++;
    reply(victim, SimIo.failed(victim, CamStatus.REQ_ABORTED));
    reply(ab, Ccb.Completed.of(ab, CamStatus.REQ_CMP));
    runQueue();
  }

  private Ccb abortInFlight(long ccbId, ActorRef<Ccb.Completed> owner) {
    Iterator<InFlight> it = inFlight.values().iterator();
    while (it.hasNext()) {
      InFlight f = it.next();
      if (f.io.ccbId() == ccbId && f.io.header().replyTo().equals(owner)) {
        it.remove();
        if (f.timeout != null) {
          f.timeout.cancel();
        }
        abortAtSim(f);
        q.abandonActive();
        return f.io;
      }
    }
    return null;
  }

  /** cf. {@code cam_freeze_devq()}: XPT_NOOP with CAM_DEV_QFREEZE freezes the queue. */
  private void onNoop(Ccb ccb) {
    if ((ccb.header().flags() & CcbFlags.DEV_QFREEZE) != 0) {
      q.freeze(1);
      reply(ccb, Ccb.Completed.of(ccb, CamStatus.REQ_CMP).withStatusFlags(CamStatus.DEV_QFRZN));
    } else {
      reply(ccb, Ccb.Completed.of(ccb, CamStatus.REQ_CMP));
    }
  }

  private Ccb.DevStatsResult stats() {
    return new Ccb.DevStatsResult(
        q.openings() - q.active(),
        q.active(),
        q.allocated(),
        q.queued(),
        0,
        q.maxTags(),
        1,
        q.frozen(),
        lastResetMillis);
  }

  // ---------------------------------------------------------------------------------------------
  // Periph-side queue control

  private Behavior<Command> onSchedule(Schedule s) {
    if (lost || s.count() < 1) {
      s.replyTo().tell(new Start(s.priority(), 0));
      return this;
    }
    q.schedule(s.priority(), s.count(), s.replyTo());
    runQueue();
    return this;
  }

  private Behavior<Command> onScheduledAction(ScheduledAction s) {
    Ccb ccb = s.ccb();
    if (!(ccb instanceof Ccb.ScsiIo)) {
      return onAction(new Action(ccb)); // only SCSI I/O is scheduled this way; anything else is a plain action
    }
    if (lost || !path.equals(ccb.path())) {
      onQueued(ccb); // completes it with DEV_NOT_THERE or PATH_INVALID
      return this;
    }
    if (!q.grantNow(ccb.header().priority())) {
      s.declinedTo().tell(new Declined(ccb));
      return this;
    }
    onQueued(ccb);
    return this;
  }

  private Behavior<Command> onReleaseDevq(ReleaseDevq r) {
    q.release(r.count());
    runQueue();
    return this;
  }

  private Behavior<Command> onFreezeDevq(FreezeDevq f) {
    q.freeze(f.count());
    return this;
  }

  private Behavior<Command> onReleaseOpenings(ReleaseOpenings r) {
    q.releaseOpenings(r.count());
    runQueue();
    return this;
  }

  private Behavior<Command> onGetCounters(GetCounters g) {
    g.replyTo().tell(new Counters(completed, timedOut, lateCompletions, aborted, q.frozen()));
    return this;
  }

  // ---------------------------------------------------------------------------------------------
  // From the XPT

  /** cf. the transport's AC_LOST_DEVICE hook: every waiting CCB completes with DEV_NOT_THERE. */
  private Behavior<Command> onDeviceLost(DeviceLost m) {
    lost = true;
    for (Ccb c : q.drainQueued()) {
      reply(c, SimIo.failed(c, CamStatus.DEV_NOT_THERE));
    }
    for (InFlight f : inFlight.values()) {
      if (f.timeout != null) {
        f.timeout.cancel();
      }
      finish(f.io, SimIo.failed(f.io, CamStatus.DEV_NOT_THERE));
    }
    inFlight.clear();
    for (DevQueue.Grant g : q.drainWaiters()) {
      g.replyTo().tell(new Start(g.priority(), 0));
    }
    LOG.debug("{}: device lost, queue flushed", path);
    return this;
  }

  private Behavior<Command> onRetire(Retire m) {
    onDeviceLost(new DeviceLost());
    return Behaviors.stopped();
  }

  /**
   * A new probe starts on a lost device. Freezes left by the periphs of the old device are theirs
   * and will never be released (they were invalidated): thaw, so the probe is not wedged.
   */
  private Behavior<Command> onDeviceRevived(DeviceRevived m) {
    lost = false;
    if (q.frozen() > 0) {
      LOG.debug("{}: revived with freeze count {}: thawed", path, q.frozen());
      q.thaw();
    }
    return this;
  }

  private Behavior<Command> onSetTags(SetTags t) {
    q.setOpenings(t.openings());
    runQueue();
    return this;
  }

  private Behavior<Command> onReset(Reset r) {
    lastResetMillis = r.millis();
    for (InFlight f : inFlight.values()) {
      if (f.timeout != null) {
        f.timeout.cancel();
      }
      finish(f.io, SimIo.failed(f.io, r.status()));
    }
    inFlight.clear();
    runQueue();
    return this;
  }
}
