package org.camstack.stack.xpt;

import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.camstack.stack.ccb.AsyncCode;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;

/**
 * PROTOCOL of the transport layer's control-plane actor: buses, the EDT (bus &rarr; target &rarr;
 * device), async subscriptions, scanning and probing, and every XPT function code. SCSI I/O does
 * not pass through it on the hot path (see {@link XptDevice}). cf. sys/cam/cam_xpt.c.
 *
 * <p>One view per kind of caller, as {@code cam_xpt_periph.h} / {@code cam_xpt_sim.h}: hand
 * periphs {@code xpt.narrow()} to {@link PeriphCommand}, SIMs to {@link SimCommand}.
 */
public final class Xpt {
  private Xpt() {}

  /** Supertype of all messages to the XPT. */
  public interface Command {}

  /** Messages a peripheral driver (or a user through xpt0) may send. */
  public interface PeriphCommand extends Command {}

  /** Messages a SIM may send. */
  public interface SimCommand extends Command {}

  /**
   * cf. {@code xpt_action(ccb)}. Any function code; device-queued ones are forwarded to the
   * device's {@link XptDevice}. Reply: exactly one {@link Ccb.Completed} to the CCB's replyTo.
   */
  public record Action(Ccb ccb) implements PeriphCommand {}

  /**
   * cf. {@code xpt_register_async(events, cb, arg, path)}. AC_FOUND_DEVICE and AC_PATH_REGISTERED
   * are replayed to the new subscriber for every configured device / registered bus it covers. The
   * XPT watches the subscriber and drops it when it stops. Re-registering the same subscriber and
   * path replaces its event set. Reply: {@link AsyncRegistered} when {@code ack} is non-null,
   * sent after the replay.
   */
  public record RegisterAsync(
      Set<AsyncCode> events, CamPath path, ActorRef<AsyncEvent> subscriber, ActorRef<AsyncRegistered> ack)
      implements PeriphCommand {
    public RegisterAsync {
      events = Set.copyOf(events);
    }
  }

  /** Acknowledges a {@link RegisterAsync} after the replay. */
  public record AsyncRegistered(CamPath path) {}

  /** cf. {@code xpt_register_async(0, ...)}: drop the subscription. No reply. */
  public record UnregisterAsync(CamPath path, ActorRef<AsyncEvent> subscriber) implements PeriphCommand {}

  /**
   * cf. {@code xpt_add_periph()}: a periph instance attached to the device ({@code
   * device->periphs}, newest first; bumps the device generation). No reply.
   */
  public record AddPeriph(CamPath path, String periphName, int unit) implements PeriphCommand {}

  /** cf. {@code xpt_remove_periph()}. No reply. */
  public record RemovePeriph(CamPath path, String periphName, int unit) implements PeriphCommand {}

  /**
   * cf. {@code xpt_async(code, path, arg)} raised by a periph (e.g. AC_LOST_DEVICE from error
   * recovery, AC_UNIT_ATTENTION, AC_INQ_CHANGED, AC_ADVINFO_CHANGED). No reply.
   */
  public record RaiseAsync(AsyncEvent event) implements PeriphCommand {}
}
