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

  /** Supertype of all messages to a peripheral; drivers add their own records. */
  interface Command {}

  /**
   * cf. {@code cam_periph_acquire()}. Replies {@code StatusReply.ack()}, or an error once the
   * periph is invalid (ENOENT in CAM; I1).
   */
  record Acquire(RefToken token, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * cf. {@code cam_periph_release()}. No reply. Releasing a token that is not held is a bug: the
   * periph throws (I5). The last release of an invalid periph frees it.
   */
  record Release(RefToken token) implements Command {}

  /**
   * cf. {@code cam_periph_invalidate()}. Idempotent (I2): the oninvalidate work (async
   * deregistration, I/O flush, devfs destroy request) and the release of ALLOC run once. No reply.
   */
  record Invalidate(String cause) implements Command {}

  /**
   * cf. {@code cam_periph_hold()}: enter the periph's exclusive section, holding a HOLD reference.
   * Replies ack once granted (waiters queue in order), or an error (ENXIO) if the periph is or
   * becomes invalid before the grant.
   */
  record Hold(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** cf. {@code cam_periph_unhold()}: leave the exclusive section, wake the next waiter. */
  record Unhold() implements Command {}

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
