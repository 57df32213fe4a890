package org.camstack.stack.scsi;

/**
 * Where a LUN delivers an answer it could not give at once: the asynchronous entry points ({@code
 * target.EmuDevice#execute}, {@code target.EmuDevice#start} with a {@code LaterAnswer}) return {@link
 * ScsiResponse#PENDING} for a command another node runs (a clustered LUN's copy forwarding to its
 * owner, {@code target.CommandRouter}), and the answer comes here later. One instance serves every command
 * of a frontend (no allocation per command): the {@code tag} the frontend passed with the command
 * says which one.
 *
 * <p>cf. a CTL frontend's {@code fe_done} callback, called when the backend completes a {@code
 * ctl_io} the frontend queued. The SIM-level counterpart is {@code sim.AsyncSimDataPath.Done}.
 */
@FunctionalInterface
public interface LaterAnswer {

  /**
   * The answer of the command started with {@code tag}: exactly once per {@link
   * ScsiResponse#PENDING} returned, from any thread, possibly before the call that returned PENDING
   * has returned to its caller (so hand it to the frontend's own thread: a message, a queue). It
   * may carry a delay or be dropped (the owner's injected faults), as an immediate answer can. Must
   * not block.
   */
  void answered(long tag, ScsiResponse response);
}
