package org.camstack.stack.target;

import static org.camstack.stack.target.T.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.scsi.ScsiResponse;
import org.junit.jupiter.api.Test;

/** The SPC commands and state every emulated LUN shares. */
class EmuDeviceSpcTest {

  private final EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, 512));

  @Test
  void unknownOpcode() {
    ScsiResponse r = run(disk, cdb(0xc5, 0, 0, 0, 0, 0), 0);
    assertSense(r, Sense.ILLEGAL_REQUEST, 0x20, 0x00);
    assertField(r, true, 0, -1);
    assertSense(run(disk, cdb(0x4c, 0, 0, 0, 0, 0, 0, 0, 0, 0), 0), Sense.ILLEGAL_REQUEST, 0x20, 0x00); // LOG SELECT
  }

  @Test
  void emptyOrNullCdbNeverThrows() {
    assertSense(run(disk, ByteString.emptyByteString(), 0), Sense.ILLEGAL_REQUEST, 0x20, 0x00);
    assertSense(disk.execute(null, null, 0, 1), Sense.ILLEGAL_REQUEST, 0x20, 0x00);
    assertSense(run(disk, cdb(0x12, 0, 0), 36), Sense.ILLEGAL_REQUEST, 0x24, 0x00);
  }

  @Test
  void inquiryBadFields() {
    ScsiResponse pageWithoutEvpd = run(disk, cdb(0x12, 0, 0x80, 0, 255, 0), 255);
    assertSense(pageWithoutEvpd, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertField(pageWithoutEvpd, true, 2, -1);
    ScsiResponse cmddt = run(disk, cdb(0x12, 2, 0, 0, 255, 0), 255);
    assertField(cmddt, true, 1, 1);
    assertField(run(disk, vpd(0x99, 255), 255), true, 2, -1);
  }

  @Test
  void inquiryOfARemovableDisk() {
    EmuDisk r = new EmuDisk(LunSpec.disk(0, 10, 512).withRemovable(true));
    assertEquals(0x80, u8(run(r, inquiry(36), 36).data(), 1));
  }

  @Test
  void requestSenseWithNothingPendingIsNoSense() {
    ScsiResponse r = run(disk, requestSense(false, 252), 252);
    assertGood(r);
    assertEquals(18, r.data().size());
    assertEquals(0x70, u8(r.data(), 0));
    assertEquals(Sense.NO_SENSE, Sense.key(r.data()));
    ScsiResponse d = run(disk, requestSense(true, 252), 252);
    assertGood(d);
    assertEquals(0x72, u8(d.data(), 0));
    assertEquals(8, d.data().size());
    assertEquals(10, run(disk, requestSense(false, 10), 252).data().size()); // alloc length
  }

  @Test
  void unitAttentionsReportedOncePerInitiatorInOrder() {
    disk.postUnitAttention(0x29, 0x02);
    disk.postUnitAttention(0x2a, 0x09);
    // INQUIRY and REPORT LUNS neither fail nor consume it
    assertGood(run(disk, inquiry(36), 36));
    assertGood(run(disk, reportLuns(0, 64), 64));
    assertSense(run(disk, tur(), 0), Sense.UNIT_ATTENTION, 0x29, 0x02);
    assertSense(run(disk, tur(), 0), Sense.UNIT_ATTENTION, 0x2a, 0x09);
    assertGood(run(disk, tur(), 0));
    // another initiator has its own copy, even one never seen before the UA was posted
    assertSense(run(disk, tur(), 0, 3), Sense.UNIT_ATTENTION, 0x29, 0x02);
    assertEquals(List.of(0x2a09), disk.pendingUnitAttentions(3));
  }

  @Test
  void sameUnitAttentionTwiceIsReportedOnce() {
    disk.postUnitAttention(0x29, 0x02);
    disk.postUnitAttention(0x29, 0x02);
    assertSense(run(disk, tur(), 0), Sense.UNIT_ATTENTION, 0x29, 0x02);
    assertGood(run(disk, tur(), 0));
  }

  @Test
  void requestSenseReturnsAndClearsTheUnitAttention() {
    disk.postUnitAttention(0x3f, 0x0e);
    ScsiResponse r = run(disk, requestSense(false, 18), 18);
    assertGood(r);
    assertEquals(Sense.UNIT_ATTENTION, Sense.key(r.data()));
    assertEquals(0x3f, Sense.asc(r.data()));
    assertEquals(0x0e, Sense.ascq(r.data()));
    assertGood(run(disk, tur(), 0));
    disk.postUnitAttention(0x29, 0x00);
    ScsiResponse d = run(disk, requestSense(true, 252), 252);
    assertTrue(Sense.isDescriptor(d.data()));
    assertEquals(0x29, Sense.asc(d.data()));
  }

  @Test
  void deferredError() {
    disk.postDeferredError(Sense.MEDIUM_ERROR, 0x0c, 0x00);
    ScsiResponse r = run(disk, tur(), 0);
    assertSense(r, Sense.MEDIUM_ERROR, 0x0c, 0x00);
    assertTrue(Sense.isDeferred(r.sense()));
    assertGood(run(disk, tur(), 0));
  }

  @Test
  void descriptorSenseWhenControlPageDSenseIsSet() {
    ByteString ms = EmuDiskIoTest.modeSelect6(new byte[] {0x0a, 0x0a, 0x06, 0x10, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 0, 0});
    assertGood(out(disk, cdb(0x15, 0x10, 0, 0, ms.size(), 0), ms));
    ScsiResponse r = run(disk, read10(5000, 1), 512);
    assertSense(r, Sense.ILLEGAL_REQUEST, 0x21, 0x00);
    assertTrue(Sense.isDescriptor(r.sense()));
    ScsiResponse f = run(disk, cdb(0x12, 0, 1, 0, 36, 0), 36);
    assertTrue(Sense.isDescriptor(f.sense()));
    assertEquals(0x02, u8(f.sense(), 8)); // sense-key specific descriptor
  }

  @Test
  void reservations() {
    assertGood(run(disk, cdb(0x16, 0, 0, 0, 0, 0), 0, 1));
    assertEquals(1, disk.reservationHolder());
    // the holder works; others get RESERVATION CONFLICT for media access and TUR
    assertGood(run(disk, read10(0, 1), 512, 1));
    assertEquals(ScsiStatus.RESERV_CONFLICT, run(disk, read10(0, 1), 512, 2).scsiStatus());
    assertEquals(ScsiStatus.RESERV_CONFLICT, run(disk, tur(), 0, 2).scsiStatus());
    assertEquals(ScsiStatus.RESERV_CONFLICT, run(disk, cdb(0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0), 0, 2).scsiStatus());
    // INQUIRY, REPORT LUNS, REQUEST SENSE, READ CAPACITY still work for them
    assertGood(run(disk, inquiry(36), 36, 2));
    assertGood(run(disk, reportLuns(0, 64), 64, 2));
    assertGood(run(disk, requestSense(false, 18), 18, 2));
    assertGood(run(disk, readCapacity10(), 8, 2));
    // another initiator's RELEASE is a no-op
    assertGood(run(disk, cdb(0x17, 0, 0, 0, 0, 0), 0, 2));
    assertEquals(1, disk.reservationHolder());
    // re-reserve by the holder is fine; RELEASE(10) by the holder frees it
    assertGood(run(disk, cdb(0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0), 0, 1));
    assertGood(run(disk, cdb(0x57, 0, 0, 0, 0, 0, 0, 0, 0, 0), 0, 1));
    assertEquals(-1, disk.reservationHolder());
    assertGood(run(disk, read10(0, 1), 512, 2));
    // third-party / extent reservations are not supported
    assertField(run(disk, cdb(0x56, 0x10, 0, 0, 0, 0, 0, 0, 0, 0), 0, 1), true, 1, -1);
  }

  @Test
  void unitAttentionBeforeReservationConflict() {
    assertGood(run(disk, cdb(0x16, 0, 0, 0, 0, 0), 0, 1));
    disk.postUnitAttention(0x29, 0x02);
    assertSense(run(disk, read10(0, 1), 512, 2), Sense.UNIT_ATTENTION, 0x29, 0x02);
    assertEquals(ScsiStatus.RESERV_CONFLICT, run(disk, read10(0, 1), 512, 2).scsiStatus());
  }

  @Test
  void resetReleasesReservationAndPostsUnitAttention() {
    assertGood(run(disk, cdb(0x16, 0, 0, 0, 0, 0), 0, 1));
    disk.reset(0x29, 0x03);
    assertEquals(-1, disk.reservationHolder());
    assertSense(run(disk, tur(), 0, 2), Sense.UNIT_ATTENTION, 0x29, 0x03);
    assertGood(run(disk, tur(), 0, 2));
  }

  @Test
  void sendDiagnosticSelfTest() {
    assertGood(run(disk, cdb(0x1d, 0x04, 0, 0, 0, 0), 0));
    assertGood(run(disk, cdb(0x1d, 0, 0, 0, 0, 0), 0));
    assertSense(out(disk, cdb(0x1d, 0x10, 0, 0, 4, 0), bytes(4, 0)), Sense.ILLEGAL_REQUEST, 0x26, 0x00);
  }

  @Test
  void internalErrorsBecomeHardwareErrorSense() {
    EmuDisk broken = new EmuDisk(LunSpec.disk(0, 100, 512), new EmuDiskIoTest.FileLikeThickStore(100 * 512) {
      @Override
      public ByteString read(long lba, int blocks, int blockSize) {
        throw new IllegalStateException("boom");
      }
    });
    assertSense(run(broken, read10(0, 1), 512), Sense.HARDWARE_ERROR, 0x44, 0x00);
    assertFalse(broken.execute(read10(0, 1), null, 512, 0).dropped());
  }
}
