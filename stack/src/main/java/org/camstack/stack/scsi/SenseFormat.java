package org.camstack.stack.scsi;

import java.util.Optional;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;

/**
 * Human-readable sense data, SCSI status and CAM errors for logs and the CLI, in CAM's wording.
 *
 * <p>cf. {@code scsi_sense_desc()}, {@code scsi_sense_only_sbuf()}, {@code scsi_sks_sbuf()}, {@code
 * scsi_status_string()}, {@code scsi_command_string()} in sys/cam/scsi/scsi_all.c and {@code
 * cam_error_string()} in sys/cam/cam.c.
 */
public final class SenseFormat {
  private SenseFormat() {}

  /**
   * {@code UNIT ATTENTION asc:29,2 (SCSI bus reset occurred)}: CAM's {@code "%s asc:%x,%x (%s)"}
   * (the text after "SCSI sense: "). Deferred errors get a {@code "Deferred error: "} prefix; sense
   * too short for an ASC gives the key name alone; no sense at all gives "No sense data".
   */
  public static String describe(ByteString sense) {
    int key = Sense.key(sense);
    if (key < 0) {
      return "No sense data";
    }
    String prefix = Sense.isDeferred(sense) ? "Deferred error: " : "";
    int asc = Sense.asc(sense);
    int ascq = Sense.ascq(sense);
    if (asc < 0) {
      return prefix + SenseTables.keyName(key);
    }
    return prefix + describe(key, asc, Math.max(ascq, 0));
  }

  /** {@code KEY asc:%x,%x (text)} for a sense triple. */
  public static String describe(int key, int asc, int ascq) {
    return String.format(
        "%s asc:%x,%x (%s)", SenseTables.keyName(key), asc, ascq, SenseTables.ascText(asc, ascq));
  }

  /**
   * The INFORMATION field when valid (fixed format: VALID bit; descriptor format: information
   * descriptor 0x00 with VALID), e.g. the failing LBA of a MEDIUM ERROR.
   */
  public static Optional<Long> information(ByteString sense) {
    if (Sense.isDescriptor(sense)) {
      int p = descriptor(sense, 0x00);
      if (p >= 0 && (Bytes.u8(sense, p + 2) & 0x80) != 0) {
        return Optional.of(Bytes.be64(sense, p + 4));
      }
      return Optional.empty();
    }
    if (sense.size() >= 7 && (Bytes.u8(sense, 0) & 0x80) != 0) {
      return Optional.of(Bytes.be32(sense, 3));
    }
    return Optional.empty();
  }

  /**
   * The sense-key-specific field as CAM words it, when SKSV is set: for ILLEGAL REQUEST {@code
   * "Command byte 2 bit 3 is invalid"} / {@code "Data byte 5 is invalid"}; for NOT READY, NO
   * SENSE and the recovered/medium/hardware keys the progress or retry count.
   */
  public static Optional<String> senseKeySpecific(ByteString sense) {
    int p;
    if (Sense.isDescriptor(sense)) {
      int d = descriptor(sense, 0x02);
      if (d < 0) {
        return Optional.empty();
      }
      p = d + 4;
    } else {
      if (sense.size() < 18) {
        return Optional.empty();
      }
      p = 15;
    }
    int b0 = Bytes.u8(sense, p);
    if ((b0 & 0x80) == 0) {
      return Optional.empty();
    }
    int field = Bytes.be16(sense, p + 1);
    switch (Sense.key(sense)) {
      case Sense.ILLEGAL_REQUEST:
        {
          String bit = (b0 & 0x08) != 0 ? "bit " + (b0 & 0x07) + " " : "";
          return Optional.of(
              String.format("%s byte %d %sis invalid", (b0 & 0x40) != 0 ? "Command" : "Data", field, bit));
        }
      case Sense.RECOVERED_ERROR, Sense.MEDIUM_ERROR, Sense.HARDWARE_ERROR:
        return Optional.of("Actual retry count: " + field);
      case Sense.NO_SENSE, Sense.NOT_READY:
        return Optional.of(String.format("Progress: %d%% (%d/%d) complete", field * 100 / 65536, field, 65536));
      default:
        return Optional.empty();
    }
  }

  /** Offset of the first descriptor of {@code type} in descriptor-format sense, or -1. */
  private static int descriptor(ByteString sense, int type) {
    int end = Math.min(sense.size(), 8 + Bytes.u8(sense, 7));
    int p = 8;
    while (p + 1 < end) {
      if (Bytes.u8(sense, p) == type) {
        return p;
      }
      p += 2 + Bytes.u8(sense, p + 1);
    }
    return -1;
  }

  /** {@code scsi_status_string()}: "Check Condition", "Busy", "Queue Full", ... */
  public static String scsiStatus(int status) {
    return switch (status) {
      case ScsiStatus.GOOD -> "OK";
      case ScsiStatus.CHECK_COND -> "Check Condition";
      case ScsiStatus.COND_MET -> "Condition Met";
      case ScsiStatus.BUSY -> "Busy";
      case ScsiStatus.INTERMED -> "Intermediate";
      case ScsiStatus.INTERMED_COND_MET -> "Intermediate-Condition Met";
      case ScsiStatus.RESERV_CONFLICT -> "Reservation Conflict";
      case ScsiStatus.CMD_TERMINATED -> "Command Terminated";
      case ScsiStatus.QUEUE_FULL -> "Queue Full";
      case ScsiStatus.ACA_ACTIVE -> "ACA Active";
      case ScsiStatus.TASK_ABORTED -> "Task Aborted";
      default -> String.format("SCSI Status 0x%x", status);
    };
  }

  /** {@code READ(10). CDB: 28 00 00 00 00 00 00 00 01 00} (cf. {@code scsi_command_string()}). */
  public static String command(ByteString cdb, int deviceType) {
    return Opcodes.describe(cdb, deviceType) + ". CDB: " + Bytes.hex(cdb);
  }

  /**
   * The lines {@code cam_error_string()} prints for a failed CCB, joined with {@code \n}:
   *
   * <pre>
   * CAM status: SCSI Status Error
   * SCSI status: Check Condition
   * SCSI sense: UNIT ATTENTION asc:29,2 (SCSI bus reset occurred)
   * </pre>
   *
   * The SCSI status line appears for {@code CAM_SCSI_STATUS_ERROR}; the sense line (plus {@code
   * Info:} and sense-key-specific lines when present) when autosense is valid.
   */
  public static String camError(Ccb.Completed done) {
    StringBuilder sb = new StringBuilder();
    sb.append("CAM status: ").append(done.status().description());
    if (done.status() == CamStatus.SCSI_STATUS_ERROR) {
      sb.append("\nSCSI status: ").append(scsiStatus(done.scsiStatus()));
      if (done.autosenseValid() && !done.sense().isEmpty()) {
        ByteString sense = done.sense();
        sb.append("\nSCSI sense: ").append(describe(sense));
        information(sense).ifPresent(info -> sb.append("\nInfo: 0x").append(Long.toHexString(info)));
        senseKeySpecific(sense).ifPresent(s -> sb.append('\n').append(s));
      }
    }
    return sb.toString();
  }

  /** {@link #camError} preceded by the {@link #command} line of a SCSI_IO. */
  public static String camErrorWithCommand(Ccb.Completed done, int deviceType) {
    if (done.ccb() instanceof Ccb.ScsiIo io) {
      return command(io.cdb(), deviceType) + "\n" + camError(done);
    }
    return camError(done);
  }
}
