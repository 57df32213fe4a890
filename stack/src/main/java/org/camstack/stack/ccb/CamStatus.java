package org.camstack.stack.ccb;

/**
 * The CAM status of a completed CCB (low 6 bits of {@code cam_status}). The flag bits that C ORs
 * into the same word ({@code CAM_DEV_QFRZN}, {@code CAM_AUTOSNS_VALID}, ...) are separate fields of
 * {@link Ccb.Completed}; their values are kept here for display and for wire formats.
 *
 * <p>cf. {@code cam_status} in sys/cam/cam.h.
 */
public enum CamStatus {
  REQ_INPROG(0x00, "CCB request is in progress"),
  REQ_CMP(0x01, "CCB request completed without error"),
  REQ_ABORTED(0x02, "CCB request aborted by the host"),
  UA_ABORT(0x03, "Unable to abort CCB request"),
  REQ_CMP_ERR(0x04, "CCB request completed with an error"),
  BUSY(0x05, "CAM subsystem is busy"),
  REQ_INVALID(0x06, "CCB request was invalid"),
  PATH_INVALID(0x07, "Supplied Path ID is invalid"),
  DEV_NOT_THERE(0x08, "Device Not Present"),
  UA_TERMIO(0x09, "Unable to terminate I/O CCB request"),
  SEL_TIMEOUT(0x0a, "Selection Timeout"),
  CMD_TIMEOUT(0x0b, "Command timeout"),
  SCSI_STATUS_ERROR(0x0c, "SCSI Status Error"),
  MSG_REJECT_REC(0x0d, "Message Reject Reveived"),
  SCSI_BUS_RESET(0x0e, "SCSI Bus Reset Sent/Received"),
  UNCOR_PARITY(0x0f, "Uncorrectable Parity/CRC Error"),
  AUTOSENSE_FAIL(0x10, "Auto-Sense Retrieval Failed"),
  NO_HBA(0x11, "No HBA Detected"),
  DATA_RUN_ERR(0x12, "Data Overrun error"),
  UNEXP_BUSFREE(0x13, "Unexpected Bus Free"),
  SEQUENCE_FAIL(0x14, "Target Bus Phase Sequence Failure"),
  CCB_LEN_ERR(0x15, "CCB length supplied is inadequate"),
  PROVIDE_FAIL(0x16, "Unable to provide requested capability"),
  BDR_SENT(0x17, "SCSI BDR Message Sent"),
  REQ_TERMIO(0x18, "CCB request terminated by the host"),
  UNREC_HBA_ERROR(0x19, "Unrecoverable Host Bus Adapter Error"),
  REQ_TOO_BIG(0x1a, "The request was too large for this host"),
  REQUEUE_REQ(0x1b, "Unconditionally Re-queue Request"),
  ATA_STATUS_ERROR(0x1c, "ATA Status Error"),
  SCSI_IT_NEXUS_LOST(0x1d, "Initiator/Target Nexus lost"),
  SMP_STATUS_ERROR(0x1e, "SMP Status Error"),
  REQ_SOFTTIMEOUT(0x1f, "Command completed without error but exceeded soft timeout threshold"),
  IDE(0x33, "Initiator Detected Error Message Received"),
  RESRC_UNAVAIL(0x34, "Resource Unavailable"),
  UNACKED_EVENT(0x35, "Unacknowledged Event by Host"),
  MESSAGE_RECV(0x36, "Message Received in Host Target Mode"),
  INVALID_CDB(0x37, "Invalid CDB received in Host Target Mode"),
  LUN_INVALID(0x38, "Invalid Lun"),
  TID_INVALID(0x39, "Invalid Target ID"),
  FUNC_NOTAVAIL(0x3a, "Function Not Available"),
  NO_NEXUS(0x3b, "Nexus Not Established"),
  IID_INVALID(0x3c, "Invalid Initiator ID"),
  CDB_RECVD(0x3d, "CDB Received"),
  LUN_ALRDY_ENA(0x3e, "LUN Already Enabled for Target Mode"),
  SCSI_BUSY(0x3f, "SCSI Bus Busy");

  /** {@code CAM_STATUS_MASK}. */
  public static final int STATUS_MASK = 0x3f;
  /** {@code CAM_DEV_QFRZN}: the device queue was frozen by this completion. */
  public static final int DEV_QFRZN = 0x40;
  /** {@code CAM_AUTOSNS_VALID}: sense data was fetched automatically and is valid. */
  public static final int AUTOSNS_VALID = 0x80;
  /** {@code CAM_RELEASE_SIMQ}. */
  public static final int RELEASE_SIMQ = 0x100;
  /** {@code CAM_SIM_QUEUED}. */
  public static final int SIM_QUEUED = 0x200;
  /** {@code CAM_QOS_VALID}. */
  public static final int QOS_VALID = 0x400;
  /** {@code CAM_SENT_SENSE} (target mode). */
  public static final int SENT_SENSE = 0x40000000;

  private static final CamStatus[] BY_CODE = new CamStatus[64];

  static {
    for (CamStatus s : values()) {
      BY_CODE[s.code] = s;
    }
  }

  private final int code;
  private final String description;

  CamStatus(int code, String description) {
    this.code = code;
    this.description = description;
  }

  public int code() {
    return code;
  }

  /** The text camcontrol prints for this status (cf. {@code cam_status_table} in cam.c). */
  public String description() {
    return description;
  }

  /** The status encoded in the low 6 bits of {@code word}; flag bits are ignored. */
  public static CamStatus fromCode(int word) {
    CamStatus s = BY_CODE[word & STATUS_MASK];
    if (s == null) {
      throw new IllegalArgumentException("unknown CAM status 0x" + Integer.toHexString(word));
    }
    return s;
  }

  /** The C name, e.g. {@code CAM_REQ_CMP}. */
  public String camName() {
    return "CAM_" + name();
  }
}
