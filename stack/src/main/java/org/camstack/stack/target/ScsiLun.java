package org.camstack.stack.target;

import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.ScsiResponse;

/**
 * An emulated logical unit as a frontend sees it: it executes one CDB and answers with status,
 * sense and data. Implementations are plain objects, not actors: the SIM calls them on the thread
 * of the device queue that dispatched the CCB, so one LUN's pipeline stays on one thread (see
 * docs/architecture.md); other frontends (iSCSI) call them from their own threads, and the LUN
 * serialises its commands itself (docs/target.md, "Concurrency"). Control-plane changes (faults,
 * resize, unit attentions) may arrive from other threads and must be safe against a concurrent
 * {@link #execute}.
 *
 * <p>cf. the target side of {@code sim_action(XPT_SCSI_IO)}: what a real HBA would get back from
 * the wire.
 */
public interface ScsiLun {

  /**
   * Executes one command.
   *
   * @param cdb the CDB as sent
   * @param dataOut data sent to the device (empty unless DIR_OUT)
   * @param dxferLen bytes the initiator accepts (DIR_IN) or sends (DIR_OUT)
   * @param initiatorId the I_T nexus ({@link Nexuses} id: reservations, per-nexus unit attentions)
   * @return the outcome; never null, never throws for any CDB
   */
  ScsiResponse execute(ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId);
}
