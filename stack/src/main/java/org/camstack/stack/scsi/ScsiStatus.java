package org.camstack.stack.scsi;

/** SCSI status bytes. cf. {@code SCSI_STATUS_*} in sys/cam/scsi/scsi_all.h. */
public final class ScsiStatus {
  private ScsiStatus() {}

  public static final int GOOD = 0x00;
  public static final int CHECK_COND = 0x02;
  public static final int COND_MET = 0x04;
  public static final int BUSY = 0x08;
  public static final int INTERMED = 0x10;
  public static final int INTERMED_COND_MET = 0x14;
  public static final int RESERV_CONFLICT = 0x18;
  public static final int CMD_TERMINATED = 0x22;
  public static final int QUEUE_FULL = 0x28;
  public static final int ACA_ACTIVE = 0x30;
  public static final int TASK_ABORTED = 0x40;

  public static String name(int status) {
    return switch (status) {
      case GOOD -> "GOOD";
      case CHECK_COND -> "CHECK CONDITION";
      case COND_MET -> "CONDITION MET";
      case BUSY -> "BUSY";
      case INTERMED -> "INTERMEDIATE";
      case INTERMED_COND_MET -> "INTERMEDIATE-CONDITION MET";
      case RESERV_CONFLICT -> "RESERVATION CONFLICT";
      case CMD_TERMINATED -> "COMMAND TERMINATED";
      case QUEUE_FULL -> "TASK SET FULL";
      case ACA_ACTIVE -> "ACA ACTIVE";
      case TASK_ABORTED -> "TASK ABORTED";
      default -> String.format("0x%02x", status);
    };
  }
}
