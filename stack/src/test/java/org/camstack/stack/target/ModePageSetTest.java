package org.camstack.stack.target;

import static org.camstack.stack.target.T.cdb;
import static org.camstack.stack.target.T.u8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.junit.jupiter.api.Test;

/** The mode page set alone: masks, saved values, hot flags, MODE SELECT validation and residual. */
class ModePageSetTest {

  private final AtomicInteger recomputed = new AtomicInteger();
  private final ModePageSet pages = new ModePageSet(new ModePageSet.Host() {
    @Override
    public boolean hasBlockDescriptor() {
      return false;
    }

    @Override
    public int deviceSpecificParameter() {
      return 0;
    }

    @Override
    public long descriptorBlocks() {
      return 0;
    }

    @Override
    public int descriptorBlockSize() {
      return 512;
    }

    @Override
    public void pagesChanged() {
      recomputed.incrementAndGet();
    }
  });

  ModePageSetTest() {
    pages.add(
        new byte[] {0x0a, 0x0a, 0x02, 0x10, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 0, 0},
        new byte[] {0, 0, 0x04, (byte) 0xf0, 0x08, 0, 0, 0, 0, 0, 0, 0});
  }

  /** MODE SELECT(6) parameter list: 4-byte header, then the control page with bytes 2 and 4. */
  private static ByteString controlList(int b2, int b4) {
    return ByteString.fromArray(new byte[] {0, 0, 0, 0, 0x0a, 0x0a, (byte) b2, 0x10, (byte) b4, 0, 0, 0, (byte) 0xff, (byte) 0xff, 0, 0});
  }

  private ModePageSet.Selected select(boolean save, ByteString list, int dxferLen) {
    return pages.select(cdb(0x15, 0x10 | (save ? 1 : 0), 0, 0, list.size(), 0), list, false, dxferLen);
  }

  @Test
  void dSenseAndSwpAreCachedFlags() {
    assertFalse(pages.descriptorSense());
    ModePageSet.Selected s = select(false, controlList(0x06, 0x08), 16);
    assertEquals(ScsiStatus.GOOD, s.response().scsiStatus());
    assertTrue(s.changed());
    assertEquals(0, s.response().resid());
    assertTrue(pages.descriptorSense());
    assertTrue(pages.softwareWriteProtect());
    assertEquals(0x06, pages.currentByte(0x0a, 2));
  }

  @Test
  void aBitOutsideTheChangeableMaskRefusesTheWholeList() {
    ModePageSet.Selected s = select(false, controlList(0x02 | 0x01, 0), 16); // bit 0 of byte 2 not changeable
    assertFalse(s.changed());
    assertEquals(Sense.ILLEGAL_REQUEST, Sense.key(s.response().sense()));
    assertEquals(0x26, Sense.asc(s.response().sense()));
    int[] fp = T.fieldPointer(s.response().sense());
    assertArrayEquals(new int[] {0, 6, 0}, fp);
    assertEquals(0x02, pages.currentByte(0x0a, 2));
  }

  @Test
  void savedValuesSurviveARevertCurrentOnesDoNot() {
    select(true, controlList(0x06, 0), 16); // SP: saved too
    select(false, controlList(0x02, 0x08), 16); // current only
    assertEquals(0x08, pages.currentByte(0x0a, 4));
    pages.revertToSaved();
    assertEquals(0x06, pages.currentByte(0x0a, 2));
    assertEquals(0x00, pages.currentByte(0x0a, 4));
    assertEquals(0x06, pages.values(3).get(0x0a)[2]);
    assertEquals(0x02, pages.values(2).get(0x0a)[2]); // default untouched
  }

  @Test
  void modeSenseReportsPageControlValues() {
    ByteString changeable = pages.sense(cdb(0x1a, 0x08, 0x4a, 0, 255, 0), false, 255).data();
    assertEquals(0x8a, u8(changeable, 4)); // PS | code
    assertEquals(0x04, u8(changeable, 6));
    assertEquals(ScsiStatus.CHECK_COND, pages.sense(cdb(0x1a, 0, 0x08, 0, 255, 0), false, 255).scsiStatus());
  }

  @Test
  void restoreTakesOnlyChangeableBits() {
    assertTrue(pages.restore(new byte[] {0x0a, 0x0a, (byte) 0xff, 0, (byte) 0xff, 0, 0, 0, 0, 0, 0, 0}));
    assertEquals(0x02 | 0x04, pages.currentByte(0x0a, 2)); // default bits + D_SENSE
    assertEquals(0x08, pages.currentByte(0x0a, 4));
    assertFalse(pages.restore(new byte[] {0x08, 0x02, 0, 0}));
  }
}
