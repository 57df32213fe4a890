package org.camstack.bench.persist;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;
import org.camstack.persistence.device.DeviceConfig;
import org.camstack.persistence.device.DeviceEntity;

/**
 * Drives many {@link DeviceEntity}s for the recovery benchmark, with a bounded number of
 * commands in flight: {@link Populate} creates and plugs devices (writes their events), {@link
 * Recover} starts them on a fresh system and asks each for its state (each answer means its
 * snapshot and events were replayed).
 */
public final class Fleet extends AbstractBehavior<Fleet.Command> {

  /** Messages to the fleet. */
  public sealed interface Command {}

  /**
   * Create, plug and cycle (stop/start unit) each device: {@code 2 + 2 * cycles} events each.
   * Reply: {@code done} completes with the number of acks.
   */
  public record Populate(List<String> keys, int cycles, int window, CompletableFuture<Long> done) implements Command {}

  /**
   * Start each device and ask for its state. Reply: {@code done} completes with the number of
   * devices found configured and plugged; fails on the first error reply.
   */
  public record Recover(List<String> keys, int window, CompletableFuture<Long> done) implements Command {}

  /** An ack from device {@code device}, or {@code failure} (ask timed out). */
  private record Acked(int device, StatusReply<Done> reply, Throwable failure) implements Command {}

  private record StateOf(int device, StatusReply<DeviceEntity.State> reply, Throwable failure) implements Command {}

  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(60);

  private List<String> keys;
  private List<ActorRef<DeviceEntity.Command>> refs;
  private int[] step;
  private int cycles;
  private int next;
  private long acks;
  private long finished;
  private CompletableFuture<Long> done;

  public static Behavior<Command> create() {
    return Behaviors.setup(Fleet::new);
  }

  private Fleet(ActorContext<Command> ctx) {
    super(ctx);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Populate.class, this::onPopulate)
        .onMessage(Recover.class, this::onRecover)
        .onMessage(Acked.class, this::onAcked)
        .onMessage(StateOf.class, this::onStateOf)
        .build();
  }

  private Behavior<Command> onPopulate(Populate p) {
    keys = p.keys();
    cycles = p.cycles();
    refs = new ArrayList<>(java.util.Collections.nCopies(keys.size(), (ActorRef<DeviceEntity.Command>) null));
    step = new int[keys.size()];
    next = 0;
    acks = 0;
    finished = 0;
    done = p.done();
    for (int i = 0; i < p.window() && next < keys.size(); i++) {
      startPopulate(next++);
    }
    return this;
  }

  private void startPopulate(int i) {
    refs.set(i, getContext().spawnAnonymous(DeviceEntity.create(keys.get(i))));
    sendStep(i);
  }

  private void sendStep(int i) {
    int s = step[i];
    String key = keys.get(i);
    getContext().ask(
        statusReplyClass(),
        refs.get(i),
        ASK_TIMEOUT,
        (ActorRef<StatusReply<Done>> reply) -> {
          if (s == 0) {
            return new DeviceEntity.Create(
                DeviceConfig.disk(0, i / 16384, i % 16384, "SN" + key.substring(key.length() - 8), 2_097_152L, 512), reply);
          } else if (s == 1) {
            return new DeviceEntity.Plug(reply);
          } else if (s % 2 == 0) {
            return new DeviceEntity.StopUnit(reply);
          }
          return new DeviceEntity.StartUnit(reply);
        },
        (r, failure) -> new Acked(i, r, failure));
  }

  private Behavior<Command> onAcked(Acked a) {
    if (a.failure() != null || !a.reply().isSuccess()) {
      String why = a.failure() != null ? a.failure().toString() : a.reply().getError().getMessage();
      done.completeExceptionally(new IllegalStateException("device " + keys.get(a.device()) + ": " + why));
      return this;
    }
    acks++;
    int i = a.device();
    step[i]++;
    if (step[i] < 2 + 2 * cycles) {
      sendStep(i);
      return this;
    }
    getContext().stop(refs.get(i));
    refs.set(i, null);
    finished++;
    if (next < keys.size()) {
      startPopulate(next++);
    } else if (finished == keys.size()) {
      done.complete(acks);
    }
    return this;
  }

  private Behavior<Command> onRecover(Recover r) {
    keys = r.keys();
    refs = new ArrayList<>(java.util.Collections.nCopies(keys.size(), (ActorRef<DeviceEntity.Command>) null));
    next = 0;
    acks = 0;
    finished = 0;
    done = r.done();
    for (int i = 0; i < r.window() && next < keys.size(); i++) {
      startRecover(next++);
    }
    return this;
  }

  private void startRecover(int i) {
    refs.set(i, getContext().spawnAnonymous(DeviceEntity.create(keys.get(i))));
    getContext().ask(
        stateReplyClass(),
        refs.get(i),
        ASK_TIMEOUT,
        (ActorRef<StatusReply<DeviceEntity.State>> reply) -> new DeviceEntity.Get(reply),
        (r, failure) -> new StateOf(i, r, failure));
  }

  private Behavior<Command> onStateOf(StateOf s) {
    if (s.failure() != null || !s.reply().isSuccess()) {
      String why = s.failure() != null ? s.failure().toString() : s.reply().getError().getMessage();
      done.completeExceptionally(new IllegalStateException("device " + keys.get(s.device()) + ": " + why));
      return this;
    }
    getContext().stop(refs.get(s.device()));
    refs.set(s.device(), null);
    if (s.reply().getValue() instanceof DeviceEntity.Configured c && c.plugged()) {
      acks++;
    }
    finished++;
    if (next < keys.size()) {
      startRecover(next++);
    } else if (finished == keys.size()) {
      done.complete(acks);
    }
    return this;
  }

  @SuppressWarnings("unchecked")
  private static Class<StatusReply<Done>> statusReplyClass() {
    return (Class<StatusReply<Done>>) (Class<?>) StatusReply.class;
  }

  @SuppressWarnings("unchecked")
  private static Class<StatusReply<DeviceEntity.State>> stateReplyClass() {
    return (Class<StatusReply<DeviceEntity.State>>) (Class<?>) StatusReply.class;
  }
}
