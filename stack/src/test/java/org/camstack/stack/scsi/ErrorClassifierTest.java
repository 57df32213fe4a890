package org.camstack.stack.scsi;

import static org.camstack.stack.ccb.CcbFlags.SF_NO_PRINT;
import static org.camstack.stack.ccb.CcbFlags.SF_NO_RECOVERY;
import static org.camstack.stack.ccb.CcbFlags.SF_NO_RETRY;
import static org.camstack.stack.ccb.CcbFlags.SF_PRINT_ALWAYS;
import static org.camstack.stack.ccb.CcbFlags.SF_QUIET_IR;
import static org.camstack.stack.ccb.CcbFlags.SF_RETRY_BUSY;
import static org.camstack.stack.ccb.CcbFlags.SF_RETRY_UA;
import static org.camstack.stack.scsi.ScsiFixtures.cam;
import static org.camstack.stack.scsi.ScsiFixtures.check;
import static org.camstack.stack.scsi.ScsiFixtures.ok;
import static org.camstack.stack.scsi.ScsiFixtures.scsi;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.scsi.ErrorClassifier.Context;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ErrorClassifierTest {

  private static final Context DEF = Context.DEFAULT;

  private static Arguments row(String what, Ccb.Completed done, int flags, int retries, Context ctx, String expected) {
    return Arguments.of(what, done, flags, retries, ctx, expected);
  }

  private static Arguments row(String what, Ccb.Completed done, int flags, int retries, String expected) {
    return row(what, done, flags, retries, DEF, expected);
  }

  /** status/sense &rarr; expected decision, summarised by {@link #summary(Recovery)}. */
  static Stream<Arguments> table() {
    return Stream.of(
        // --- CAM status, no SCSI status
        row("REQ_CMP", ok(), 0, 4, "success"),
        row("SEL_TIMEOUT", cam(CamStatus.SEL_TIMEOUT), 0, 4, "fail ENXIO release lost target"),
        row("SEL_TIMEOUT retry-selto", cam(CamStatus.SEL_TIMEOUT), 0, 4, DEF.withCamFlags(ErrorClassifier.CAM_RETRY_SELTO), "retry 1000ms r3 release"),
        row("SEL_TIMEOUT retry-selto exhausted", cam(CamStatus.SEL_TIMEOUT), 0, 0, DEF.withCamFlags(ErrorClassifier.CAM_RETRY_SELTO), "fail ENXIO release lost target"),
        row("DEV_NOT_THERE", cam(CamStatus.DEV_NOT_THERE), 0, 4, "fail ENXIO release lost"),
        row("CMD_TIMEOUT", cam(CamStatus.CMD_TIMEOUT), 0, 4, "retry 0ms r3 release"),
        row("CMD_TIMEOUT exhausted", cam(CamStatus.CMD_TIMEOUT), 0, 0, "fail EIO release print"),
        row("CMD_TIMEOUT no-retry", cam(CamStatus.CMD_TIMEOUT), SF_NO_RETRY, 4, "fail EIO release print"),
        row("CMD_TIMEOUT invalid periph", cam(CamStatus.CMD_TIMEOUT), 0, 4, DEF.withPeriphInvalid(true), "fail EIO release print"),
        row("REQUEUE_REQ", cam(CamStatus.REQUEUE_REQ), 0, 0, "requeue release"),
        row("REQUEUE_REQ no-retry", cam(CamStatus.REQUEUE_REQ), SF_NO_RETRY, 4, "fail EIO release"),
        row("REQUEUE_REQ invalid periph", cam(CamStatus.REQUEUE_REQ), 0, 4, DEF.withPeriphInvalid(true), "fail EIO release"),
        row("SCSI_BUS_RESET", cam(CamStatus.SCSI_BUS_RESET), 0, 0, "requeue release"),
        row("BDR_SENT", cam(CamStatus.BDR_SENT), 0, 2, "requeue release"),
        row("REQ_ABORTED", cam(CamStatus.REQ_ABORTED), 0, 2, "retry 0ms r1 release"),
        row("BUSY", cam(CamStatus.BUSY), 0, 2, "retry 500ms r1 release"),
        row("BUSY exhausted", cam(CamStatus.BUSY), 0, 0, "fail EIO release print"),
        row("RESRC_UNAVAIL", cam(CamStatus.RESRC_UNAVAIL), 0, 2, "retry 500ms r1 release"),
        row("UNEXP_BUSFREE", cam(CamStatus.UNEXP_BUSFREE), 0, 1, "retry 0ms r0 release"),
        row("UNCOR_PARITY", cam(CamStatus.UNCOR_PARITY), 0, 1, "retry 0ms r0 release"),
        row("DATA_RUN_ERR", cam(CamStatus.DATA_RUN_ERR), 0, 1, "retry 0ms r0 release"),
        row("REQ_CMP_ERR", cam(CamStatus.REQ_CMP_ERR), 0, 3, "retry 0ms r2 release"),
        row("SCSI_BUSY", cam(CamStatus.SCSI_BUSY), 0, 3, "retry 0ms r2 release"),
        row("SCSI_IT_NEXUS_LOST", cam(CamStatus.SCSI_IT_NEXUS_LOST), 0, 3, "retry 0ms r2 release"),
        row("REQ_INVALID", cam(CamStatus.REQ_INVALID), 0, 4, "fail EINVAL release print"),
        row("PATH_INVALID", cam(CamStatus.PATH_INVALID), 0, 4, "fail EINVAL release print"),
        row("FUNC_NOTAVAIL", cam(CamStatus.FUNC_NOTAVAIL), 0, 4, "fail EINVAL release print"),
        row("NO_HBA", cam(CamStatus.NO_HBA), 0, 4, "fail EINVAL release print"),
        row("PROVIDE_FAIL", cam(CamStatus.PROVIDE_FAIL), 0, 4, "fail EINVAL release print"),
        row("REQ_TOO_BIG", cam(CamStatus.REQ_TOO_BIG), 0, 4, "fail EINVAL release print"),
        row("LUN_INVALID", cam(CamStatus.LUN_INVALID), 0, 4, "fail EINVAL release print"),
        row("TID_INVALID", cam(CamStatus.TID_INVALID), 0, 4, "fail EINVAL release print"),
        row("AUTOSENSE_FAIL", cam(CamStatus.AUTOSENSE_FAIL), 0, 4, "fail EIO release print"),
        row("UA_ABORT", cam(CamStatus.UA_ABORT), 0, 4, "fail EIO release print"),
        row("MSG_REJECT_REC", cam(CamStatus.MSG_REJECT_REC), 0, 4, "fail EIO release print"),
        // --- SCSI status
        row("GOOD in an error completion", scsi(ScsiStatus.GOOD), 0, 4, "success release"),
        row("CONDITION MET", scsi(ScsiStatus.COND_MET), 0, 4, "success release"),
        row("BUSY status", scsi(ScsiStatus.BUSY), 0, 4, "retry 1000ms r3 release"),
        row("BUSY status exhausted", scsi(ScsiStatus.BUSY), 0, 0, "fail EIO release print"),
        row("BUSY status SF_RETRY_BUSY", scsi(ScsiStatus.BUSY), SF_RETRY_BUSY, 0, "retry 1000ms r0 release"),
        row("BUSY status invalid periph", scsi(ScsiStatus.BUSY), SF_RETRY_BUSY, 4, DEF.withPeriphInvalid(true), "fail EIO release print"),
        row("QUEUE FULL alone", scsi(ScsiStatus.QUEUE_FULL), 0, 4, "retry 1000ms r3 release"),
        row("QUEUE FULL alone exhausted", scsi(ScsiStatus.QUEUE_FULL), 0, 0, "fail EIO release print"),
        row("QUEUE FULL with others active", scsi(ScsiStatus.QUEUE_FULL), 0, 0, DEF.withDevActive(8), "requeue release openings"),
        row("RESERVATION CONFLICT", scsi(ScsiStatus.RESERV_CONFLICT), 0, 4, "fail EIO release print"),
        row("TASK ABORTED", scsi(ScsiStatus.TASK_ABORTED), 0, 4, "fail EIO release print"),
        row("ACA ACTIVE", scsi(ScsiStatus.ACA_ACTIVE), 0, 4, "fail EIO release print"),
        row("CHECK CONDITION without autosense", scsi(ScsiStatus.CHECK_COND), 0, 4, "retry 0ms r3 release print"),
        row("CHECK CONDITION without autosense exhausted", scsi(ScsiStatus.CHECK_COND), 0, 0, "fail EIO release print"),
        row("CHECK CONDITION without autosense no-retry", scsi(ScsiStatus.CHECK_COND), SF_NO_RETRY, 4, "fail EIO release print"),
        // --- sense keys through their default actions
        row("NO SENSE 00/00", check(Sense.NO_SENSE, 0, 0), 0, 4, "success release"),
        row("RECOVERED ERROR", check(Sense.RECOVERED_ERROR, 0x17, 0x01), 0, 4, "success release print"),
        row("RECOVERED ERROR (fatal ASC)", check(Sense.RECOVERED_ERROR, 0x11, 0x00), 0, 4, "success release print"),
        row("NOT READY 04/00", check(Sense.NOT_READY, 0x04, 0x00), 0, 4, "retry 0ms r3 release print"),
        row("MEDIUM ERROR default", check(Sense.MEDIUM_ERROR, 0x00, 0x00), 0, 4, "retry 0ms r3 release print"),
        row("MEDIUM ERROR 11/00", check(Sense.MEDIUM_ERROR, 0x11, 0x00), 0, 4, "fail EIO release print"),
        row("MEDIUM ERROR exhausted", check(Sense.MEDIUM_ERROR, 0x0C, 0x00), 0, 0, "fail EIO release print"),
        row("HARDWARE ERROR 44/00", check(Sense.HARDWARE_ERROR, 0x44, 0x00), 0, 4, "retry 0ms r3 release print"),
        row("ILLEGAL REQUEST 20/00", check(Sense.ILLEGAL_REQUEST, 0x20, 0x00), 0, 4, "fail EINVAL release print"),
        row("ILLEGAL REQUEST 24/00 quiet", check(Sense.ILLEGAL_REQUEST, 0x24, 0x00), SF_QUIET_IR, 4, "fail EINVAL release"),
        row("ILLEGAL REQUEST 21/00", check(Sense.ILLEGAL_REQUEST, 0x21, 0x00), 0, 4, "fail EINVAL release print"),
        row("ILLEGAL REQUEST 25/00", check(Sense.ILLEGAL_REQUEST, 0x25, 0x00), 0, 4, "fail ENXIO release lost print"),
        row("ILLEGAL REQUEST 26/00", check(Sense.ILLEGAL_REQUEST, 0x26, 0x00), 0, 4, "fail EINVAL release print"),
        row("ILLEGAL REQUEST 1A/00 (retry)", check(Sense.ILLEGAL_REQUEST, 0x1A, 0x00), 0, 4, "retry 0ms r3 release print"),
        row("DATA PROTECT 27/00", check(Sense.DATA_PROTECT, 0x27, 0x00), 0, 4, "fail EACCES release print"),
        row("DATA PROTECT default", check(Sense.DATA_PROTECT, 0x00, 0x00), 0, 4, "fail EACCES release print"),
        row("BLANK CHECK", check(Sense.BLANK_CHECK, 0x00, 0x00), 0, 4, "fail ENOSPC release print"),
        row("COPY ABORTED", check(Sense.COPY_ABORTED, 0x00, 0x00), 0, 4, "fail EIO release print"),
        row("ABORTED COMMAND 47/00", check(Sense.ABORTED_COMMAND, 0x47, 0x00), 0, 4, "retry 0ms r3 release print"),
        row("ABORTED COMMAND 4E/00", check(Sense.ABORTED_COMMAND, 0x4E, 0x00), 0, 1, "retry 0ms r0 release print"),
        row("ABORTED COMMAND no-retry", check(Sense.ABORTED_COMMAND, 0x00, 0x00), SF_NO_RETRY, 4, "fail EIO release print"),
        row("VOLUME OVERFLOW", check(Sense.VOLUME_OVERFLOW, 0x00, 0x00), 0, 4, "fail EIO release print"),
        row("unknown ASC uses key action", check(Sense.NOT_READY, 0x7E, 0x00), 0, 4, "retry 0ms r3 release print"),
        row("unknown ASC with ILLEGAL REQUEST", check(Sense.ILLEGAL_REQUEST, 0x90, 0x01), 0, 4, "fail EINVAL release print"),
        // --- unit attentions
        row("UA 29/00", check(Sense.UNIT_ATTENTION, 0x29, 0x00), 0, 4, "fail ENXIO release ua29/0 print"),
        row("UA 29/00 SF_RETRY_UA", check(Sense.UNIT_ATTENTION, 0x29, 0x00), SF_RETRY_UA, 4, "retry 0ms r3 release ua29/0 print"),
        row("UA 29/00 SF_RETRY_UA exhausted", check(Sense.UNIT_ATTENTION, 0x29, 0x00), SF_RETRY_UA, 0, "fail ENXIO release ua29/0 print"),
        row("UA 29/02 bus reset", check(Sense.UNIT_ATTENTION, 0x29, 0x02), 0, 4, "retry 0ms r3 release ua29/2 print"),
        row("UA 28/00 medium changed", check(Sense.UNIT_ATTENTION, 0x28, 0x00), 0, 4, "fail ENXIO release ua28/0 print"),
        row("UA 28/00 SF_RETRY_UA", check(Sense.UNIT_ATTENTION, 0x28, 0x00), SF_RETRY_UA, 4, "retry 0ms r3 release ua28/0 print"),
        row("UA 2A/09 capacity changed", check(Sense.UNIT_ATTENTION, 0x2A, 0x09), 0, 4, "retry 0ms r3 release ua2a/9 print"),
        row("UA 2A/01 mode params", check(Sense.UNIT_ATTENTION, 0x2A, 0x01), 0, 4, "retry 0ms r3 release ua2a/1 print"),
        row("UA 3F/0E LUNs changed", check(Sense.UNIT_ATTENTION, 0x3F, 0x0E), 0, 4, "retry 0ms r3 release rescan ua3f/e print"),
        row("UA 3F/0E exhausted keeps rescan", check(Sense.UNIT_ATTENTION, 0x3F, 0x0E), 0, 0, "fail EIO release rescan ua3f/e print"),
        row("UA 3F/03 inquiry changed", check(Sense.UNIT_ATTENTION, 0x3F, 0x03), 0, 4, "retry 0ms r3 release ua3f/3 print"),
        row("UA 2F/00 cleared", check(Sense.UNIT_ATTENTION, 0x2F, 0x00), 0, 4, "retry 0ms r3 release ua2f/0 print"),
        row("UA 00/00 key default", check(Sense.UNIT_ATTENTION, 0x00, 0x00), 0, 4, "fail ENXIO release ua0/0 print"),
        row("UA SF_NO_RETRY", check(Sense.UNIT_ATTENTION, 0x29, 0x02), SF_NO_RETRY, 4, "fail EIO release ua29/2 print"),
        // --- NOT READY recovery
        row("04/01 becoming ready", check(Sense.NOT_READY, 0x04, 0x01), 0, 4, "retry 500ms r3 release tur120 print"),
        row("04/01 exhausted", check(Sense.NOT_READY, 0x04, 0x01), 0, 0, "fail EBUSY release print"),
        row("04/01 no recovery", check(Sense.NOT_READY, 0x04, 0x01), SF_NO_RECOVERY, 4, "fail EBUSY release print"),
        row("04/02 init required", check(Sense.NOT_READY, 0x04, 0x02), 0, 4, "retry 0ms r3 release start print"),
        row("04/02 no recovery", check(Sense.NOT_READY, 0x04, 0x02), SF_NO_RECOVERY, 4, "fail ENXIO release print"),
        row("04/02 tape never autostarted", check(Sense.NOT_READY, 0x04, 0x02), 0, 4, DEF.withDeviceType(DeviceInfo.T_SEQUENTIAL), "fail ENXIO release print"),
        row("04/03 manual intervention", check(Sense.NOT_READY, 0x04, 0x03), 0, 4, "fail ENXIO release print"),
        row("04/04 format in progress", check(Sense.NOT_READY, 0x04, 0x04), 0, 4, "fail EBUSY release print"),
        row("3A/00 no medium", check(Sense.NOT_READY, 0x3A, 0x00), 0, 4, "fail ENXIO release print"),
        row("3E/00 not self-configured", check(Sense.NOT_READY, 0x3E, 0x00), 0, 4, "retry 0ms r3 release print"),
        row("53/02 removal prevented", check(Sense.ILLEGAL_REQUEST, 0x53, 0x02), 0, 4, "retry 0ms r3 release print"),
        row("recovery in progress requeues", check(Sense.MEDIUM_ERROR, 0x11, 0x00), 0, 0, DEF.withRecoveryInProgress(true), "requeue release"),
        row("TUR recovery ccb does not recurse",
            check(Cdbs.testUnitReady(), Sense.fixed(Sense.NOT_READY, 0x04, 0x01)), 0, 4,
            DEF.withRecoveryCcb(true).withRecoveryInProgress(true), "retry 500ms r3 release print"),
        row("START recovery ccb does not recurse",
            check(Cdbs.startStopUnit(true, false, false), Sense.fixed(Sense.NOT_READY, 0x04, 0x02)), 0, 4,
            DEF.withRecoveryCcb(true), "retry 500ms r3 release print"),
        row("descriptor sense", check(Cdbs.read10(0, 1, false, false), Sense.toDescriptor(Sense.fixed(Sense.UNIT_ATTENTION, 0x29, 0x02))), 0, 4, "retry 0ms r3 release ua29/2 print"),
        row("SF_NO_PRINT", check(Sense.MEDIUM_ERROR, 0x11, 0x00), SF_NO_PRINT, 4, "fail EIO release"),
        row("SF_PRINT_ALWAYS on a quiet retry", cam(CamStatus.CMD_TIMEOUT), SF_PRINT_ALWAYS, 4, "retry 0ms r3 release print"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void classifies(String what, Ccb.Completed done, int flags, int retries, Context ctx, String expected) {
    assertEquals(expected, summary(ErrorClassifier.classify(done, flags, retries, ctx)), what);
  }

  /** "retry 500ms r3 release tur120 ua29/0 print" etc. */
  static String summary(Recovery r) {
    StringBuilder sb = new StringBuilder();
    if (r instanceof Recovery.Success) {
      sb.append("success");
    } else if (r instanceof Recovery.Retry t) {
      sb.append("retry ").append(t.delayMs()).append("ms r").append(t.retriesLeft());
    } else if (r instanceof Recovery.Requeue) {
      sb.append("requeue");
    } else if (r instanceof Recovery.Fail f) {
      sb.append("fail ").append(f.errno());
    }
    Recovery.Effects e = r.effects();
    if (e.releaseQueue()) {
      sb.append(" release");
    }
    if (e.lostDevice()) {
      sb.append(" lost");
    }
    if (e.lostWholeTarget()) {
      sb.append(" target");
    }
    if (e.rescanTarget()) {
      sb.append(" rescan");
    }
    if (e.adjustOpenings()) {
      sb.append(" openings");
    }
    if (e.startUnit()) {
      sb.append(" start");
    }
    if (e.testUnitReady()) {
      sb.append(" tur").append(e.recoveryRetries());
    }
    if (e.unitAttention()) {
      sb.append(e.uaAsc() < 0 ? " ua?" : String.format(" ua%x/%x", e.uaAsc(), e.uaAscq()));
    }
    if (e.print()) {
      sb.append(" print");
    }
    return sb.toString();
  }

  @Test
  void successDoesNotOweAReleaseWhenTheQueueWasNotFrozen() {
    Recovery r = ErrorClassifier.classify(ok(), 0, 4);
    assertInstanceOf(Recovery.Success.class, r);
    assertFalse(r.releaseQueue());
    assertEquals(0, r.errnoValue());
  }

  @Test
  void retryAndRequeueReportErestart() {
    assertEquals(-1, ErrorClassifier.classify(cam(CamStatus.CMD_TIMEOUT), 0, 4).errnoValue());
    assertEquals(-1, ErrorClassifier.classify(cam(CamStatus.REQUEUE_REQ), 0, 4).errnoValue());
    assertEquals(6, ErrorClassifier.classify(cam(CamStatus.DEV_NOT_THERE), 0, 4).errnoValue());
  }

  @Test
  void reasonsFollowCam() {
    assertEquals("Retries exhausted", ErrorClassifier.classify(cam(CamStatus.CMD_TIMEOUT), 0, 0).effects().reason());
    assertEquals("Polling device for readiness",
        ErrorClassifier.classify(check(Sense.NOT_READY, 4, 1), 0, 3).effects().reason());
    assertEquals("Attempting to start unit",
        ErrorClassifier.classify(check(Sense.NOT_READY, 4, 2), 0, 3).effects().reason());
    assertEquals("Unretryable error",
        ErrorClassifier.classify(check(Sense.ILLEGAL_REQUEST, 0x20, 0), 0, 3).effects().reason());
  }

  @Test
  void everyCamStatusGetsADecision() {
    for (CamStatus s : CamStatus.values()) {
      Recovery r = ErrorClassifier.classify(cam(s), 0, 2);
      assertTrue(r != null, s.name());
    }
  }

  @Test
  void shortSenseFallsBackToTheKey() {
    // 8-byte fixed sense: key present, no ASC
    ByteString shortSense = ScsiFixtures.bytes(0x70, 0, Sense.UNIT_ATTENTION, 0, 0, 0, 0, 0);
    Recovery r = ErrorClassifier.classify(check(Cdbs.testUnitReady(), shortSense), 0, 4);
    assertEquals("fail ENXIO release ua? print", summary(r));
  }
}
