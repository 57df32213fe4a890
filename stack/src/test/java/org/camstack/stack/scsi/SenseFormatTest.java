package org.camstack.stack.scsi;

import static org.camstack.stack.scsi.ScsiFixtures.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamStatus;
import org.junit.jupiter.api.Test;

class SenseFormatTest {

  @Test
  void describesLikeCam() {
    assertEquals("UNIT ATTENTION asc:29,2 (SCSI bus reset occurred)",
        SenseFormat.describe(Sense.fixed(Sense.UNIT_ATTENTION, 0x29, 0x02)));
    assertEquals("ILLEGAL REQUEST asc:24,0 (Invalid field in CDB)",
        SenseFormat.describe(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x24, 0x00)));
    assertEquals("NOT READY asc:3a,0 (Medium not present)",
        SenseFormat.describe(Sense.toDescriptor(Sense.fixed(Sense.NOT_READY, 0x3A, 0x00))));
    assertEquals("MEDIUM ERROR asc:80,1 (Vendor Specific ASC)",
        SenseFormat.describe(Sense.fixed(Sense.MEDIUM_ERROR, 0x80, 0x01)));
    assertEquals("No sense data", SenseFormat.describe(ByteString.emptyByteString()));
    assertEquals("UNIT ATTENTION", SenseFormat.describe(bytes(0x70, 0, 6, 0, 0, 0, 0, 0)));
    assertEquals("Deferred error: MEDIUM ERROR asc:c,0 (Write error)",
        SenseFormat.describe(bytes(0x71, 0, 3, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x0c, 0, 0, 0, 0, 0)));
  }

  @Test
  void informationAndSenseKeySpecific() {
    ByteString medium = Sense.fixedWithInfo(Sense.MEDIUM_ERROR, 0x11, 0, 0x1234);
    assertEquals(Optional.of(0x1234L), SenseFormat.information(medium));
    assertEquals(Optional.of(0x1234L), SenseFormat.information(Sense.toDescriptor(medium)));
    assertEquals(Optional.empty(), SenseFormat.information(Sense.fixed(Sense.MEDIUM_ERROR, 0x11, 0)));

    ByteString field = Sense.illegalField(0x24, 0, true, 2, 3);
    assertEquals(Optional.of("Command byte 2 bit 3 is invalid"), SenseFormat.senseKeySpecific(field));
    assertEquals(Optional.of("Command byte 2 bit 3 is invalid"), SenseFormat.senseKeySpecific(Sense.toDescriptor(field)));
    assertEquals(Optional.of("Data byte 5 is invalid"), SenseFormat.senseKeySpecific(Sense.illegalField(0x26, 0, false, 5, -1)));
    assertEquals(Optional.empty(), SenseFormat.senseKeySpecific(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x20, 0)));
  }

  @Test
  void camErrorLines() {
    assertEquals(
        "CAM status: SCSI Status Error\n"
            + "SCSI status: Check Condition\n"
            + "SCSI sense: UNIT ATTENTION asc:29,2 (SCSI bus reset occurred)",
        SenseFormat.camError(ScsiFixtures.check(Sense.UNIT_ATTENTION, 0x29, 0x02)));
    assertEquals(
        "CAM status: SCSI Status Error\n"
            + "SCSI status: Check Condition\n"
            + "SCSI sense: ILLEGAL REQUEST asc:24,0 (Invalid field in CDB)\n"
            + "Command byte 1 is invalid",
        SenseFormat.camError(ScsiFixtures.check(Cdbs.testUnitReady(), Sense.illegalField(0x24, 0, true, 1, -1))));
    assertEquals("CAM status: Selection Timeout", SenseFormat.camError(ScsiFixtures.cam(CamStatus.SEL_TIMEOUT)));
    assertEquals("CAM status: SCSI Status Error\nSCSI status: Busy", SenseFormat.camError(ScsiFixtures.scsi(ScsiStatus.BUSY)));
    assertEquals(
        "READ(10). CDB: 28 00 00 00 00 00 00 00 01 00\n"
            + "CAM status: SCSI Status Error\n"
            + "SCSI status: Check Condition\n"
            + "SCSI sense: MEDIUM ERROR asc:11,0 (Unrecovered read error)\n"
            + "Info: 0x7",
        SenseFormat.camErrorWithCommand(
            ScsiFixtures.check(Cdbs.read10(0, 1, false, false), Sense.fixedWithInfo(Sense.MEDIUM_ERROR, 0x11, 0, 7)), 0));
  }

  @Test
  void scsiStatusStrings() {
    assertEquals("Queue Full", SenseFormat.scsiStatus(ScsiStatus.QUEUE_FULL));
    assertEquals("Reservation Conflict", SenseFormat.scsiStatus(ScsiStatus.RESERV_CONFLICT));
    assertEquals("SCSI Status 0x3", SenseFormat.scsiStatus(3));
  }
}
