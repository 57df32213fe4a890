package org.camstack.stack.scsi.sg;

import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;

/**
 * The Linux SCSI generic ABI ({@code struct sg_io_hdr} of {@code <scsi/sg.h>}, interface id 'S')
 * as values: the request a program fills in and the answer {@code SG_IO} gives back, and the
 * mapping between them and a CAM SCSI I/O CCB. cf. sys/cam/scsi/scsi_sg.c ({@code sgsendccb},
 * {@code sg_scsiio_status}).
 */
public final class SgIo {
  private SgIo() {}

  /** {@code dxfer_direction} values. */
  public static final int SG_DXFER_NONE = -1;
  public static final int SG_DXFER_TO_DEV = -2;
  public static final int SG_DXFER_FROM_DEV = -3;
  public static final int SG_DXFER_TO_FROM_DEV = -4;

  /** {@code host_status} values (Linux DID_*). */
  public static final int DID_OK = 0x00;
  public static final int DID_NO_CONNECT = 0x01;
  public static final int DID_BUS_BUSY = 0x02;
  public static final int DID_TIME_OUT = 0x03;
  public static final int DID_BAD_TARGET = 0x04;
  public static final int DID_ABORT = 0x05;
  public static final int DID_ERROR = 0x07;
  public static final int DID_RESET = 0x08;

  /** {@code driver_status} values (Linux DRIVER_*). */
  public static final int DRIVER_OK = 0x00;
  public static final int DRIVER_TIMEOUT = 0x06;
  public static final int DRIVER_SENSE = 0x08;

  /** {@code info} bits. */
  public static final int SG_INFO_OK = 0x0;
  public static final int SG_INFO_CHECK = 0x1;

  /** Default timeout when the request gives 0 (cf. SG_DEFAULT_TIMEOUT, 60 s). */
  public static final int DEFAULT_TIMEOUT_MS = 60_000;
  /** Largest sense buffer (SSD_FULL_SIZE). */
  public static final int MAX_SENSE = 252;

  /**
   * An {@code sg_io_hdr} as the program fills it in.
   *
   * @param dxferDirection one of {@code SG_DXFER_*}
   * @param cmd the CDB ({@code cmdp}, {@code cmd_len} 6..16)
   * @param dxferLen bytes to transfer ({@code dxfer_len})
   * @param dataOut the bytes for {@code SG_DXFER_TO_DEV} (its size must be {@code dxferLen})
   * @param mxSbLen the sense buffer's size ({@code mx_sb_len}, up to 252)
   * @param timeoutMs {@code timeout} in milliseconds, 0 for the default
   */
  public record Request(int dxferDirection, ByteString cmd, int dxferLen, ByteString dataOut, int mxSbLen, int timeoutMs) {
    public Request {
      cmd = cmd == null ? ByteString.emptyByteString() : cmd;
      dataOut = dataOut == null ? ByteString.emptyByteString() : dataOut;
    }

    /** The problem with this request (EINVAL), or null when it is fine. */
    public String invalid() {
      if (cmd.size() < 6 || cmd.size() > 16) {
        return "cmd_len " + cmd.size() + " not in 6..16";
      }
      if (dxferDirection < SG_DXFER_TO_FROM_DEV || dxferDirection > SG_DXFER_NONE) {
        return "dxfer_direction " + dxferDirection + " unknown";
      }
      if (dxferLen < 0 || (dxferDirection == SG_DXFER_NONE && dxferLen != 0)) {
        return "dxfer_len " + dxferLen + " does not fit dxfer_direction " + dxferDirection;
      }
      if (dxferDirection == SG_DXFER_TO_DEV && dataOut.size() != dxferLen) {
        return "dxfer_len " + dxferLen + " but " + dataOut.size() + " bytes to send";
      }
      if (mxSbLen < 0 || mxSbLen > 255 || timeoutMs < 0) {
        return "mx_sb_len or timeout out of range";
      }
      return null;
    }

    /** The CAM direction flag (cf. sgsendccb: TO_FROM_DEV is read as FROM_DEV, CAM has no both). */
    public int camFlags() {
      switch (dxferDirection) {
        case SG_DXFER_TO_DEV:
          return CcbFlags.DIR_OUT;
        case SG_DXFER_FROM_DEV:
        case SG_DXFER_TO_FROM_DEV:
          return CcbFlags.DIR_IN;
        default:
          return CcbFlags.DIR_NONE;
      }
    }

    public int timeoutOrDefault() {
      return timeoutMs == 0 ? DEFAULT_TIMEOUT_MS : timeoutMs;
    }
  }

  /**
   * What {@code SG_IO} writes back into the header.
   *
   * @param status the SCSI status byte
   * @param maskedStatus {@code status >> 1} (the old Linux shifted codes)
   * @param hostStatus {@code DID_*}
   * @param driverStatus {@code DRIVER_*}, {@code DRIVER_SENSE} when sense was returned
   * @param sbLenWr sense bytes written (at most {@code mx_sb_len})
   * @param sense the sense bytes written
   * @param resid {@code dxfer_len} minus the bytes actually transferred
   * @param info {@code SG_INFO_CHECK} when anything is not OK
   * @param data the bytes read (FROM_DEV)
   * @param camStatus the CAM status the CCB completed with (not in Linux's header; for logs)
   */
  public record Response(
      int status, int maskedStatus, int hostStatus, int driverStatus, int sbLenWr, ByteString sense, int resid, int info,
      ByteString data, String camStatus) {}

  /** cf. sg_scsiio_status(): the host status of a CAM status. */
  public static int hostStatus(CamStatus s) {
    switch (s) {
      case REQ_CMP:
      case SCSI_STATUS_ERROR:
        return DID_OK;
      case SEL_TIMEOUT:
        return DID_NO_CONNECT;
      case CMD_TIMEOUT:
        return DID_TIME_OUT;
      case DEV_NOT_THERE:
        return DID_BAD_TARGET;
      case REQ_ABORTED:
        return DID_ABORT;
      case SCSI_BUS_RESET:
        return DID_RESET;
      case BUSY:
      case SCSI_BUSY:
        return DID_BUS_BUSY;
      default:
        return DID_ERROR;
    }
  }

  /** The header fields of a completed CCB for request {@code req}. */
  public static Response response(Request req, Ccb.Completed c) {
    int host = hostStatus(c.status());
    ByteString sense = c.sense();
    if (sense.size() > req.mxSbLen()) {
      sense = sense.take(req.mxSbLen());
    }
    boolean withSense = !sense.isEmpty() && (c.status() == CamStatus.SCSI_STATUS_ERROR || c.autosenseValid());
    if (!withSense) {
      sense = ByteString.emptyByteString();
    }
    int driver = withSense ? DRIVER_SENSE : c.status() == CamStatus.CMD_TIMEOUT ? DRIVER_TIMEOUT : DRIVER_OK;
    int status = c.scsiStatus() & 0xff;
    int moved = req.dxferDirection() == SG_DXFER_TO_DEV ? req.dxferLen() - c.resid() : c.data().size();
    int resid = c.status() == CamStatus.REQ_CMP || c.status() == CamStatus.SCSI_STATUS_ERROR ? Math.max(0, req.dxferLen() - moved) : req.dxferLen();
    boolean ok = status == 0 && host == DID_OK && driver == DRIVER_OK;
    return new Response(
        status, (status >> 1) & 0x7f, host, driver, sense.size(), sense, resid, ok ? SG_INFO_OK : SG_INFO_CHECK,
        c.data(), c.status().name());
  }
}
