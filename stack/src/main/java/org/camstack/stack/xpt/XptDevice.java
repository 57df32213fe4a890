package org.camstack.stack.xpt;

import org.apache.pekko.actor.typed.ActorRef;
import org.camstack.stack.ccb.Ccb;

/**
 * PROTOCOL of the per-device transport actor: one per LUN the XPT knows (configured or being
 * probed). It owns the device's CCB queue (priority order), its openings, its freeze count and the
 * timeouts of CCBs handed to the SIM, and it calls the SIM's data path directly, so the CCB hot
 * path is periph &rarr; XptDevice &rarr; (SIM, same thread) &rarr; periph: two hops, no central
 * actor. cf. {@code struct cam_ed} + {@code struct cam_ccbq} in sys/cam/cam_xpt_internal.h and
 * sys/cam/cam_queue.[ch].
 *
 * <p>The actor implementation lives in this class (see the XPT issue); this comment is the
 * contract periph drivers code against.
 */
public final class XptDevice {
  private XptDevice() {}

  /** Supertype of all messages to a device queue. */
  public interface Command {}

  /**
   * cf. {@code xpt_action(ccb)} for device-queued function codes (SCSI_IO, RESET_DEV) and the
   * device-level immediate ones (REL_SIMQ, ABORT, GDEV_STATS, GDEV_TYPE, GDEVLIST, DEV_ADVINFO,
   * GET/SET_TRAN_SETTINGS, NOOP). Reply: exactly one {@link Ccb.Completed} to {@code
   * ccb.header().replyTo()}, also when the device is gone (DEV_NOT_THERE) or the CCB is malformed.
   */
  public record Action(Ccb ccb) implements Command {}

  /**
   * cf. {@code xpt_schedule(periph, priority)}: ask for {@code count} openings at {@code priority};
   * the device answers with {@link Start} once it can (by priority among waiting periphs).
   */
  public record Schedule(int priority, int count, ActorRef<Start> replyTo) implements Command {}

  /** cf. {@code periph_start(periph, ccb)}: {@code granted} openings reserved for the receiver. */
  public record Start(int priority, int granted) {}

  /**
   * cf. {@code xpt_release_devq(path, count, run_queue)}. No reply. A periph sends this after it
   * handled a completion with {@code devQueueFrozen()} (or uses REL_SIMQ).
   */
  public record ReleaseDevq(int count, boolean runQueue) implements Command {}

  /** cf. {@code xpt_freeze_devq(path, count)}. No reply. */
  public record FreezeDevq(int count) implements Command {}
}
