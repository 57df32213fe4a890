package org.camstack.stack.durable;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;
import org.camstack.persistence.device.DeviceConfig;
import org.camstack.persistence.device.DeviceEntity;
import org.camstack.persistence.device.FaultRule;
import org.camstack.stack.target.DeviceStateSink;
import org.camstack.stack.target.EmuDevice;

/**
 * Keeps the journal of one device ({@link DeviceEntity}, keyed by its WWN) up to date with the
 * live emulated device: the device's {@link DeviceStateSink} only sets a flag and sends {@link
 * Dirty}; this actor then reads the device's durable state ({@link DeviceStateCodec#view}) and
 * sends the entity the commands that make the journal agree ({@link DeviceStateCodec#diff}), one
 * batch at a time, and again until they agree (a burst of changes costs one batch).
 *
 * <p>Plug and pull come as {@link Plug} / {@link Unplug}: the reply (which the SIM waits for before
 * it acknowledges) comes once the entity persisted them and the journal agrees with the device. A
 * pull first records the device's last state, then detaches from it.
 *
 * <p>A journal failure (timeout, database down) is retried every second; a refused command is
 * logged (the entity says why) and the next change tries again.
 */
public final class DeviceBridge extends AbstractBehavior<DeviceBridge.Command> {

  /** Messages to a bridge. */
  public sealed interface Command {}

  /** A device of the power-on topology (already plugged in the journal), restored and live. */
  public record Attach(EmuDevice device, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** A device is hot-plugged with this configuration (Create or Reconfigure as needed, then Plug). */
  public record Plug(EmuDevice device, DeviceConfig config, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** The device is being pulled: record its last state, then Unplug, then detach. */
  record Unplug(EmuDevice device, String cause, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** The device's durable state changed (from its sink). */
  record Dirty(EmuDevice device) implements Command {}

  /** Replies once the journal agrees with the device (nothing in flight). */
  public record Flush(ActorRef<Done> replyTo) implements Command {}

  /** Replies with the entity state the bridge last read. */
  record GetState(ActorRef<DeviceEntity.State> replyTo) implements Command {}

  private record BatchDone(DeviceEntity.State state, List<String> refused, Throwable failure) implements Command {}

  private enum Retry implements Command {
    INSTANCE
  }

  /** How many batches in a row may leave the journal disagreeing before the bridge waits. */
  private static final int MAX_ROUNDS = 4;

  /** The sink a device of this bridge reports to: a flag and at most one {@code tell} per burst. */
  static final class Sink implements DeviceStateSink {
    private final ActorRef<Command> bridge;
    private final AtomicBoolean queued = new AtomicBoolean();
    final Set<String> fired = ConcurrentHashMap.newKeySet();

    Sink(ActorRef<Command> bridge) {
      this.bridge = bridge;
    }

    @Override
    public void changed(EmuDevice device, int aspects) {
      if (!queued.getAndSet(true)) {
        bridge.tell(new Dirty(device));
      }
    }

    @Override
    public void faultFired(EmuDevice device, FaultRule rule) {
      fired.add(rule.id());
    }
  }

  /**
   * @param entity the device's entity, asked for only when the bridge first needs it
   * @param known the entity's state if already read (the bulk read at start), else null: the bridge
   *     then reads it from the entity first
   */
  static Behavior<Command> create(String key, Supplier<ActorRef<DeviceEntity.Command>> entity, DeviceEntity.State known, Duration timeout) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new DeviceBridge(ctx, timers, key, entity, known, timeout, false)));
  }

  /**
   * @param clustered the device is a clustered LUN's copy on its owner: the journal keeps its
   *     shared state ({@link DeviceStateCodec#view(EmuDevice, boolean)})
   */
  public static Behavior<Command> create(
      String key, ActorRef<DeviceEntity.Command> entity, DeviceEntity.State known, Duration timeout, boolean clustered) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new DeviceBridge(ctx, timers, key, () -> entity, known, timeout, clustered)));
  }

  private final TimerScheduler<Command> timers;
  private final String key;
  private final Supplier<ActorRef<DeviceEntity.Command>> entity;
  private final Duration timeout;
  private final boolean clustered;
  private final ArrayDeque<Command> ops = new ArrayDeque<>();
  private final List<ActorRef<StatusReply<Done>>> opWaiters = new ArrayList<>();
  private final List<ActorRef<Done>> flushWaiters = new ArrayList<>();
  private DeviceEntity.State state;
  private EmuDevice device;
  private Sink sink;
  private boolean busy;
  private int rounds;
  /** The plug or pull whose batch is in flight (its failure is reported to its sender). */
  private Command current;

  private DeviceBridge(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      String key,
      Supplier<ActorRef<DeviceEntity.Command>> entity,
      DeviceEntity.State known,
      Duration timeout,
      boolean clustered) {
    super(ctx);
    this.clustered = clustered;
    this.timers = timers;
    this.key = key;
    this.entity = entity;
    this.state = known;
    this.timeout = timeout;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Attach.class, this::onOp)
        .onMessage(Plug.class, this::onOp)
        .onMessage(Unplug.class, this::onOp)
        .onMessage(Dirty.class, this::onDirty)
        .onMessage(Flush.class, this::onFlush)
        .onMessage(GetState.class, this::onGetState)
        .onMessage(BatchDone.class, this::onBatchDone)
        .onMessageEquals(Retry.INSTANCE, this::onRetry)
        .build();
  }

  private Behavior<Command> onOp(Command op) {
    ops.add(op);
    rounds = 0;
    run();
    return this;
  }

  private Behavior<Command> onDirty(Dirty m) {
    if (m.device() != device || sink == null) {
      return this; // a pulled device still finishing commands
    }
    sink.queued.set(false); // before reading: a later change sends a new Dirty
    rounds = 0;
    run();
    return this;
  }

  private Behavior<Command> onFlush(Flush m) {
    flushWaiters.add(m.replyTo());
    run();
    return this;
  }

  private Behavior<Command> onGetState(GetState m) {
    m.replyTo().tell(state == null ? new DeviceEntity.Unconfigured() : state);
    return this;
  }

  private Behavior<Command> onRetry() {
    run();
    return this;
  }

  private Behavior<Command> onBatchDone(BatchDone m) {
    busy = false;
    Command op = current;
    current = null;
    if (m.failure() != null || (op != null && !m.refused().isEmpty())) {
      String why = m.failure() != null ? m.failure().toString() : String.join("; ", m.refused());
      if (op != null) {
        opFailed(op, why);
      } else {
        getContext().getLog().warn("device [{}]: journal not updated, retrying in 1s: {}", key, why);
        timers.startSingleTimer(Retry.INSTANCE, Duration.ofSeconds(1));
      }
    } else if (!m.refused().isEmpty()) {
      getContext().getLog().warn("device [{}]: the journal refused {}", key, m.refused());
    }
    if (m.state() != null) {
      state = m.state();
      if (sink != null && state instanceof DeviceEntity.Configured c) {
        sink.fired.removeIf(id -> c.faultRule(id) == null);
      }
    }
    if (m.failure() == null || op != null) {
      run(); // a failed plug or pull was refused: go on with the next one
    }
    return this;
  }

  /** A plug or pull could not be recorded: undo its effect here and refuse it. */
  private void opFailed(Command op, String why) {
    getContext().getLog().warn("device [{}]: {} not recorded: {}", key, op.getClass().getSimpleName().toLowerCase(), why);
    if (op instanceof Plug p) {
      detach();
      p.replyTo().tell(StatusReply.error("device " + key + ": plug not recorded: " + why));
      opWaiters.remove(p.replyTo());
    } else if (op instanceof Unplug u) {
      attach(u.device());
      u.replyTo().tell(StatusReply.error("device " + key + ": pull not recorded: " + why));
      opWaiters.remove(u.replyTo());
    }
  }

  // ------------------------------------------------------------------ the loop

  private void run() {
    if (busy) {
      return;
    }
    if (state == null) {
      execute(List.of(), null); // read the entity first
      return;
    }
    Command op = ops.poll();
    if (op != null) {
      startOp(op);
      return;
    }
    if (device != null && state instanceof DeviceEntity.Configured c) {
      List<DeviceStateCodec.Step> steps = DeviceStateCodec.diff(DeviceStateCodec.view(device, clustered), c, sink.fired);
      if (!steps.isEmpty()) {
        if (rounds < MAX_ROUNDS) {
          rounds++;
          execute(steps, null);
          return;
        }
        getContext().getLog().warn("device [{}]: journal still differs after {} batches: {}", key, rounds, steps);
      }
    }
    rounds = 0;
    for (ActorRef<StatusReply<Done>> w : opWaiters) {
      w.tell(StatusReply.ack());
    }
    opWaiters.clear();
    for (ActorRef<Done> w : flushWaiters) {
      w.tell(Done.getInstance());
    }
    flushWaiters.clear();
  }

  private void startOp(Command op) {
    List<DeviceStateCodec.Step> steps = new ArrayList<>();
    if (op instanceof Attach a) {
      attach(a.device());
      opWaiters.add(a.replyTo());
      run(); // nothing to persist but what differs
      return;
    }
    if (op instanceof Plug p) {
      DeviceConfig cfg = p.config();
      if (!(state instanceof DeviceEntity.Configured c)) {
        steps.add(DeviceStateCodec.Step.of("Create", r -> new DeviceEntity.Create(cfg, r)));
      } else if (!c.config().equals(cfg)) {
        steps.add(DeviceStateCodec.Step.of("Reconfigure", r -> new DeviceEntity.Reconfigure(cfg, r)));
      }
      steps.add(DeviceStateCodec.Step.of("Plug", DeviceEntity.Plug::new));
      attach(p.device());
      opWaiters.add(p.replyTo());
      execute(steps, op);
      return;
    }
    Unplug u = (Unplug) op;
    if (u.device() == device && state instanceof DeviceEntity.Configured c) {
      steps.addAll(DeviceStateCodec.diff(DeviceStateCodec.view(device, clustered), c, sink.fired));
    }
    if (state instanceof DeviceEntity.Configured) {
      steps.add(DeviceStateCodec.Step.of("Unplug", r -> new DeviceEntity.Unplug(u.cause(), r)));
    }
    if (u.device() == device) {
      detach();
    }
    opWaiters.add(u.replyTo());
    execute(steps, op);
  }

  private void attach(EmuDevice d) {
    detach();
    device = d;
    sink = new Sink(getContext().getSelf());
    d.setStateSink(sink);
  }

  private void detach() {
    if (device != null) {
      device.setStateSink(DeviceStateSink.NONE);
    }
    device = null;
    sink = null;
  }

  /** Sends the steps in order, then reads the entity; the outcome comes back as {@link BatchDone}. */
  private void execute(List<DeviceStateCodec.Step> steps, Command op) {
    busy = true;
    current = op;
    ActorRef<DeviceEntity.Command> entity = this.entity.get();
    List<CompletableFuture<StatusReply<?>>> replies = new ArrayList<>();
    for (DeviceStateCodec.Step s : steps) {
      replies.add(s.send(entity, timeout, getContext().getSystem().scheduler()).toCompletableFuture());
    }
    CompletionStage<StatusReply<DeviceEntity.State>> read =
        AskPattern.ask(entity, DeviceEntity.Get::new, timeout, getContext().getSystem().scheduler());
    CompletableFuture<BatchDone> done =
        CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new))
            .thenCombine(
                read,
                (v, st) -> {
                  List<String> refused = new ArrayList<>();
                  for (int i = 0; i < replies.size(); i++) {
                    StatusReply<?> r = replies.get(i).join();
                    if (r.isError()) {
                      refused.add(steps.get(i) + ": " + r.getError().getMessage());
                    }
                  }
                  return new BatchDone(st.isSuccess() ? st.getValue() : null, refused, null);
                });
    getContext().pipeToSelf(done, (ok, e) -> ok != null ? ok : new BatchDone(null, List.of(), e));
  }
}
