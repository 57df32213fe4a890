package org.camstack.stack.sim;

import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.scsi.ScsiResponse;

/**
 * The data path of a bus whose commands complete later, on another thread: a network HBA such as
 * the iSCSI initiator ({@code org.camstack.stack.sim.iscsi}). The device queue starts a command
 * with {@link #start} and gets its answer back through {@link Done} (which it turns into a message
 * to itself), so that a LUN's queue never blocks on the wire and keeps several tags outstanding.
 *
 * <p>cf. {@code sim_action(XPT_SCSI_IO)} queueing the CCB to the hardware and the interrupt
 * handler calling {@code xpt_done()} later. {@link #execute} (the synchronous form) is kept for
 * callers that want to wait.
 */
public interface AsyncSimDataPath extends SimDataPath {

  /** Where a started command reports, exactly once, from any thread. */
  interface Done {
    /** The target answered (any SCSI status). */
    void answered(ScsiResponse response);

    /**
     * No SCSI answer: e.g. {@link CamStatus#REQUEUE_REQ} (the connection dropped, re-issue it),
     * {@link CamStatus#SEL_TIMEOUT} (the session is gone), {@link CamStatus#BDR_SENT} (a LUN reset
     * terminated it).
     */
    void failed(CamStatus status);
  }

  /**
   * Starts one CDB on {@code target}/{@code lun}; returns at once.
   *
   * @return a handle for {@link #abort(long)}
   */
  long start(int target, long lun, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId, Done done);

  /**
   * cf. the SIM's {@code XPT_ABORT} of an active CCB (iSCSI: ABORT TASK). The device queue already
   * completed the CCB; the command's later answer, if any, is ignored. Never blocks.
   */
  void abort(long handle);

  /**
   * cf. {@code XPT_RESET_DEV} (iSCSI: LOGICAL UNIT RESET). May block for a bounded time.
   *
   * @return false when the LUN does not answer (no session)
   */
  boolean resetLun(int target, long lun);
}
