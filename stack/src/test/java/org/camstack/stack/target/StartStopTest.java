package org.camstack.stack.target;

import static org.camstack.stack.target.T.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.camstack.stack.scsi.Sense;
import org.camstack.stack.scsi.ScsiResponse;
import org.junit.jupiter.api.Test;

/** START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL, and the NOT READY states they create. */
class StartStopTest {

  private static org.apache.pekko.util.ByteString ssu(int b4) {
    return cdb(0x1b, 0, 0, 0, b4, 0);
  }

  private static org.apache.pekko.util.ByteString prevent(int p) {
    return cdb(0x1e, 0, 0, 0, p, 0);
  }

  @Test
  void stopMakesTheUnitNotReadyUntilStarted() {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 100, 512));
    assertGood(run(disk, ssu(0x00), 0));
    assertFalse(disk.isStarted());
    assertSense(run(disk, tur(), 0), Sense.NOT_READY, 0x04, 0x02);
    assertSense(run(disk, read10(0, 1), 512), Sense.NOT_READY, 0x04, 0x02);
    assertSense(run(disk, readCapacity10(), 8), Sense.NOT_READY, 0x04, 0x02);
    // INQUIRY and mode pages still answer; REQUEST SENSE describes the state
    assertGood(run(disk, inquiry(36), 36));
    assertGood(run(disk, modeSense6(0x0a, 255), 255));
    ScsiResponse rs = run(disk, requestSense(false, 18), 18);
    assertGood(rs);
    assertEquals(Sense.NOT_READY, Sense.key(rs.data()));
    assertEquals(0x04, Sense.asc(rs.data()));
    assertGood(run(disk, ssu(0x01), 0));
    assertGood(run(disk, tur(), 0));
  }

  @Test
  void powerConditionsAreAccepted() {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 100, 512));
    assertGood(run(disk, ssu(0x30), 0)); // STANDBY
    assertTrue(disk.isStarted());
  }

  @Test
  void ejectAndLoadOfRemovableMedium() {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 100, 512).withRemovable(true));
    assertGood(run(disk, ssu(0x02), 0, 1)); // LOEJ, stop: eject
    assertFalse(disk.isMediumPresent());
    assertSense(run(disk, tur(), 0, 1), Sense.NOT_READY, 0x3a, 0x00);
    assertSense(run(disk, ssu(0x01), 0, 1), Sense.NOT_READY, 0x3a, 0x00); // start w/o medium
    assertGood(run(disk, ssu(0x03), 0, 1)); // LOEJ, start: load
    assertGood(run(disk, tur(), 0, 1));
    assertSense(run(disk, tur(), 0, 2), Sense.UNIT_ATTENTION, 0x28, 0x00); // the other initiator learns
  }

  @Test
  void preventedRemoval() {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 100, 512).withRemovable(true));
    assertGood(run(disk, prevent(1), 0, 1));
    assertTrue(disk.isRemovalPrevented());
    assertSense(run(disk, ssu(0x02), 0, 2), Sense.ILLEGAL_REQUEST, 0x53, 0x02);
    assertFalse(disk.ejectMedium());
    assertTrue(disk.isMediumPresent());
    assertGood(run(disk, prevent(0), 0, 2)); // someone else's ALLOW does not lift it
    assertTrue(disk.isRemovalPrevented());
    assertGood(run(disk, prevent(0), 0, 1));
    assertFalse(disk.isRemovalPrevented());
    assertGood(run(disk, ssu(0x02), 0, 2));
    ScsiResponse bad = run(disk, prevent(2), 0, 1);
    assertSense(bad, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertField(bad, true, 4, 1);
  }

  @Test
  void operatorEjectAndInsert() {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 100, 512).withRemovable(true));
    assertTrue(disk.ejectMedium());
    assertSense(run(disk, tur(), 0), Sense.NOT_READY, 0x3a, 0x00);
    assertTrue(disk.insertMedium());
    assertSense(run(disk, tur(), 0), Sense.UNIT_ATTENTION, 0x28, 0x00);
    assertGood(run(disk, tur(), 0));
  }

  @Test
  void loejOnAFixedDiskIsAnInvalidField() {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 100, 512));
    ScsiResponse r = run(disk, ssu(0x02), 0);
    assertSense(r, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertField(r, true, 4, 1);
    assertFalse(disk.ejectMedium());
  }
}
