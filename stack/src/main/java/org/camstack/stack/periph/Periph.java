package org.camstack.stack.periph;

import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.lifetime.PeriphId;

/**
 * The lifecycle protocol every peripheral driver instance ({@code pass3}, {@code da0}, {@code
 * ses0}) understands. cf. sys/cam/cam_periph.h.
 *
 * <p>Lifetime: {@link Acquire} / {@link Release} bracket every use, each with a {@link RefToken}
 * reason; {@link Invalidate} is idempotent and drops the allocation reference; the instance runs
 * its destructor, returns its unit number to its {@link PeriphDriver} and stops only when it is
 * invalid and holds no reference (in that order). Messages: {@link Acquire}, {@link Release},
 * {@link Invalidate}, {@link Hold}, {@link Unhold}, {@link DumpRefs}; drivers add their own.
 */
public interface Periph {

  /**
   * Supertype of all messages to a peripheral: this protocol's records, the base's own internal
   * messages ({@code PeriphBase}) and each driver's sealed set ({@link DriverCommand}).
   */
  sealed interface Command
      permits Acquire, Release, Invalidate, Hold, CancelHold, Unhold, DumpRefs, PeriphBase.Internal, DriverCommand {}

  /**
   * The drivers' extension point: each driver declares one sealed interface extending this one
   * for its own messages (e.g. {@code DaPeriph.Command}). Non-sealed only because Java seals
   * across packages only inside a named module.
   */
  non-sealed interface DriverCommand extends Command {}

  /**
   * cf. {@code cam_periph_acquire()}. Replies {@code StatusReply.ack()}, or an error once the
   * periph is invalid (ENOENT in CAM; I1).
   */
  record Acquire(RefToken token, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * cf. {@code cam_periph_release()}: gives back a reference taken with {@link Acquire}. Replies
   * ack, or an error (and nothing changes) when no {@link Acquire} of {@code token} is
   * outstanding: bad input from a client never takes the periph down. Inside the periph, a
   * release of an unheld reference is a bug and throws (I5). The last release of an invalid
   * periph frees it.
   *
   * @param replyTo null: no reply (the error is logged)
   */
  record Release(RefToken token, ActorRef<StatusReply<Done>> replyTo) implements Command {
    public Release(RefToken token) {
      this(token, null);
    }
  }

  /**
   * cf. {@code cam_periph_invalidate()}. Idempotent (I2): the oninvalidate work (async
   * deregistration, I/O flush, devfs destroy request) and the release of ALLOC run once. No reply.
   */
  record Invalidate(String cause) implements Command {}

  /**
   * cf. {@code cam_periph_hold()}: enter the periph's exclusive section, holding a HOLD reference.
   * Replies ack once granted (waiters queue in order), or an error (ENXIO) if the periph is or
   * becomes invalid before the grant. {@code replyTo} names the holder. A waiter can give up (cf.
   * the PCATCH sleep of cam_periph_hold()): when {@code replyTo} stops while queued, or with
   * {@link CancelHold}; it is then never granted and its HOLD is dropped. {@link #hold} does this
   * for an ask with a timeout.
   */
  record Hold(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * A {@link Hold} waiter gives up (its ask timed out, its caller was interrupted). Queued: it is
   * removed and its HOLD dropped. Already granted (the grant crossed the cancel): the section is
   * left as by {@link Unhold}. Otherwise nothing. No reply.
   */
  record CancelHold(ActorRef<StatusReply<Done>> waiter) implements Command {}

  /**
   * cf. {@code cam_periph_unhold()}: leave the exclusive section, wake the next waiter. Replies
   * ack, or an error (nothing changes) when no client holds the section.
   *
   * @param replyTo null: no reply (the error is logged)
   */
  record Unhold(ActorRef<StatusReply<Done>> replyTo) implements Command {
    public Unhold() {
      this(null);
    }
  }

  /**
   * {@link Hold} as an ask that gives up after {@code timeout}: the future fails with a
   * TimeoutException and {@link CancelHold} is sent, so a grant that crossed the timeout is
   * returned and HOLD never leaks.
   */
  static java.util.concurrent.CompletionStage<Done> hold(
      ActorRef<Command> periph, java.time.Duration timeout, org.apache.pekko.actor.typed.Scheduler scheduler) {
    java.util.concurrent.atomic.AtomicReference<ActorRef<StatusReply<Done>>> waiter =
        new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.CompletionStage<StatusReply<Done>> asked =
        org.apache.pekko.actor.typed.javadsl.AskPattern.ask(
            periph,
            replyTo -> {
              waiter.set(replyTo);
              return new Hold(replyTo);
            },
            timeout,
            scheduler);
    return asked
        .whenComplete(
            (r, failure) -> {
              if (failure != null && waiter.get() != null) {
                periph.tell(new CancelHold(waiter.get()));
              }
            })
        .thenApply(StatusReply::getValue);
  }

  /** Reply: {@link Refs}, the references held by reason. For tests and the inspector. */
  record DumpRefs(ActorRef<Refs> replyTo) implements Command {}

  /**
   * Answer to {@link DumpRefs}.
   *
   * @param held references by token (tokens with none are absent)
   * @param ccbsOutstanding CCBs issued and not yet completed
   * @param node the devfs node name, "" when none
   */
  record Refs(
      PeriphId id,
      CamPath path,
      boolean invalid,
      Map<RefToken, Integer> held,
      int ccbsOutstanding,
      String node) {
    public Refs {
      held = Map.copyOf(held);
    }

    public int total() {
      int t = 0;
      for (int v : held.values()) {
        t += v;
      }
      return t;
    }
  }
}
