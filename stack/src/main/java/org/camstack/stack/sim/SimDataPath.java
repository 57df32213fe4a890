package org.camstack.stack.sim;

import org.camstack.stack.scsi.ScsiResponse;
import org.apache.pekko.util.ByteString;

/**
 * The data path of one bus: what a SIM hands the XPT in {@code Xpt.RegisterBus} so that each
 * device queue ({@code XptDevice}) can execute its CCBs by a direct call on its own thread, the
 * way {@code sim_action(XPT_SCSI_IO)} is a function call in CAM. No actor hop, no allocation
 * beyond the response.
 *
 * <p>cf. {@code struct cam_sim} ({@code sim_action}) in sys/cam/cam_sim.h. Implementations must be
 * safe for concurrent calls from several device queues (one per LUN) and against concurrent
 * control-plane changes (targets added or removed, faults, resets) made by the SIM actor.
 */
public interface SimDataPath {

  /**
   * Executes one CDB on {@code target}/{@code lun}. Runs on the calling device queue's thread.
   *
   * @param initiatorId the initiator port (already resolved: never -1)
   * @return the device's answer, or {@code null} when no target answers selection (the CCB then
   *     completes with {@code CAM_SEL_TIMEOUT}); never throws for any CDB
   */
  ScsiResponse execute(
      int target, long lun, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId);

  /**
   * As {@link #execute(int, long, ByteString, ByteString, int, int)}, never blocking the device
   * queue: a command whose answer comes later (a clustered LUN's command forwarded to its owner)
   * returns {@link ScsiResponse#PENDING}, and its answer goes to {@code later} with {@code tag},
   * exactly once, from any thread. The device queue then waits for it as for an {@link
   * AsyncSimDataPath} command (CCB timeout armed). This default: every answer at once.
   */
  default ScsiResponse execute(
      int target, long lun, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId,
      org.camstack.stack.scsi.LaterAnswer later, long tag) {
    return execute(target, lun, cdb, dataOut, dxferLen, initiatorId);
  }

  /**
   * cf. {@code XPT_RESET_BUS} in a SIM: resets every target on the bus; every LUN reports the unit
   * attention 29/02 (SCSI BUS RESET OCCURRED) to its next command.
   */
  void resetBus();

  /**
   * cf. {@code XPT_RESET_DEV}: a bus device reset of one target (unit attention 29/03 on its
   * LUNs).
   *
   * @return false when the target does not answer selection
   */
  boolean resetTarget(int target);

  /**
   * cf. {@code sim_action(XPT_SMP_IO)}: sends one SMP request frame to the SMP target at {@code
   * target}/{@code lun} (a SAS expander). Runs on the calling device queue's thread.
   *
   * @return the response frame; an empty frame when the device is not an SMP target (the CCB then
   *     completes {@code CAM_REQ_INVALID}); null when no target answers (CAM_SEL_TIMEOUT). This
   *     default: no SMP on this bus.
   */
  default ByteString smp(int target, long lun, ByteString request, int responseLen) {
    return ByteString.emptyByteString();
  }

  /**
   * The tag depth the SIM grants one LUN (e.g. its configured queue depth); the XPT uses the
   * smaller of this and the bus's queue depth for a tagged device.
   */
  default int maxTags(int target, long lun) {
    return Integer.MAX_VALUE;
  }
}
