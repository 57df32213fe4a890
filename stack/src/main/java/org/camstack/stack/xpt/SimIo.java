package org.camstack.stack.xpt;

import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.ScsiResponse;

/**
 * What the HBA half of a SIM does with a device's answer: turns a {@link ScsiResponse} into the
 * CCB's completion. Pure functions, shared by {@link XptDevice} and benchmarks.
 *
 * <p>cf. the {@code XPT_SCSI_IO} completion path of a SIM driver (autosense into {@code
 * csio.sense_data}, {@code CAM_AUTOSNS_VALID}, {@code CAM_SCSI_STATUS_ERROR}).
 */
public final class SimIo {
  private SimIo() {}

  /** Longest CDB a CCB may carry ({@code IOCDBLEN} plus extended CDBs up to 32 bytes). */
  public static final int MAX_CDB_LENGTH = 32;

  /** True when the SIM would refuse the CCB outright with {@code CAM_REQ_INVALID}. */
  public static boolean malformed(Ccb.ScsiIo io) {
    int n = io.cdb().size();
    return n == 0 || n > MAX_CDB_LENGTH;
  }

  /**
   * The completion for a device answer, before the device queue adds its freeze flags.
   *
   * <ul>
   *   <li>GOOD / CONDITION MET / INTERMEDIATE: {@code REQ_CMP} with data and resid.
   *   <li>CHECK CONDITION, COMMAND TERMINATED: {@code SCSI_STATUS_ERROR}, the status byte, and the
   *       sense with {@code AUTOSNS_VALID} unless {@link CcbFlags#DIS_AUTOSENSE}.
   *   <li>any other status (BUSY, TASK SET FULL, RESERVATION CONFLICT, ...): {@code
   *       SCSI_STATUS_ERROR} with that status.
   * </ul>
   */
  public static Ccb.Completed completion(Ccb.ScsiIo io, ScsiResponse r) {
    int st = r.scsiStatus();
    ByteString data = r.data();
    int resid = r.resid();
    if (data.size() > io.dxferLen()) {
      // a device may not overrun the buffer; the SIM transfers dxferLen bytes at most
      data = data.take(io.dxferLen());
      resid = 0;
    }
    if (st == ScsiStatus.GOOD
        || st == ScsiStatus.COND_MET
        || st == ScsiStatus.INTERMED
        || st == ScsiStatus.INTERMED_COND_MET) {
      return new Ccb.Completed(io, CamStatus.REQ_CMP, 0, st, ByteString.emptyByteString(), data, resid, null);
    }
    ByteString sense = ByteString.emptyByteString();
    int flags = 0;
    if ((st == ScsiStatus.CHECK_COND || st == ScsiStatus.CMD_TERMINATED)
        && (io.header().flags() & CcbFlags.DIS_AUTOSENSE) == 0
        && !r.sense().isEmpty()) {
      sense = r.sense();
      flags = CamStatus.AUTOSNS_VALID;
    }
    return new Ccb.Completed(io, CamStatus.SCSI_STATUS_ERROR, flags, st, sense, data, resid, null);
  }

  /** A completion with no SCSI phase (selection timeout, command timeout, abort, ...). */
  public static Ccb.Completed failed(Ccb ccb, CamStatus status) {
    int resid = ccb instanceof Ccb.ScsiIo io ? io.dxferLen() : 0;
    return new Ccb.Completed(ccb, status, 0, 0, ByteString.emptyByteString(), ByteString.emptyByteString(), resid, null);
  }
}
