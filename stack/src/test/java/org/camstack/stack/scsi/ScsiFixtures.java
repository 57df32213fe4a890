package org.camstack.stack.scsi;

import org.apache.pekko.actor.testkit.typed.javadsl.TestInbox;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;

/** Builds completions for the pure codec tests (no actor system: a TestInbox ref is enough). */
final class ScsiFixtures {
  private ScsiFixtures() {}

  private static final TestInbox<Ccb.Completed> INBOX = TestInbox.create();

  static Ccb.ScsiIo scsiIo(ByteString cdb) {
    return new Ccb.ScsiIo(
        Ccb.Header.of(1, CamPath.of(0, 1, 0), INBOX.getRef()), cdb, ByteString.emptyByteString(), 512);
  }

  /** A completion of a READ(10) with the given CAM status and no SCSI status. */
  static Ccb.Completed cam(CamStatus status) {
    return new Ccb.Completed(
        scsiIo(Cdbs.read10(0, 1, false, false)), status, CamStatus.DEV_QFRZN, 0,
        ByteString.emptyByteString(), ByteString.emptyByteString(), 512, null);
  }

  /** SCSI_STATUS_ERROR with a SCSI status and no sense. */
  static Ccb.Completed scsi(int scsiStatus) {
    return new Ccb.Completed(
        scsiIo(Cdbs.read10(0, 1, false, false)), CamStatus.SCSI_STATUS_ERROR, CamStatus.DEV_QFRZN,
        scsiStatus, ByteString.emptyByteString(), ByteString.emptyByteString(), 512, null);
  }

  /** CHECK CONDITION with autosense. */
  static Ccb.Completed check(ByteString cdb, ByteString sense) {
    return new Ccb.Completed(
        scsiIo(cdb), CamStatus.SCSI_STATUS_ERROR, CamStatus.DEV_QFRZN | CamStatus.AUTOSNS_VALID,
        ScsiStatus.CHECK_COND, sense, ByteString.emptyByteString(), 512, null);
  }

  static Ccb.Completed check(int key, int asc, int ascq) {
    return check(Cdbs.read10(0, 1, false, false), Sense.fixed(key, asc, ascq));
  }

  static Ccb.Completed ok() {
    return Ccb.Completed.of(scsiIo(Cdbs.testUnitReady()), CamStatus.REQ_CMP);
  }

  static ByteString bytes(int... v) {
    byte[] b = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = (byte) v[i];
    }
    return ByteString.fromArrayUnsafe(b);
  }
}
