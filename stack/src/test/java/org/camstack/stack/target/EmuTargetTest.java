package org.camstack.stack.target;

import static org.camstack.stack.target.T.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.scsi.ScsiResponse;
import org.junit.jupiter.api.Test;

/** LUN routing, absent LUNs, REPORT LUNS and the target-wide unit attentions. */
class EmuTargetTest {

  private static EmuDisk disk(long lun) {
    return new EmuDisk(LunSpec.disk(lun, 100, 512));
  }

  private final EmuTarget target = new EmuTarget(3, List.of(disk(0), disk(2)));

  private ScsiResponse exec(long lun, ByteString cdb, int len) {
    return target.execute(lun, cdb, ByteString.emptyByteString(), len, INI);
  }

  private static List<Long> luns(ByteString data) {
    long len = be32(data, 0);
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < len / 8 && 8 + 8 * i + 8 <= data.size(); i++) {
      int b0 = u8(data, 8 + 8 * i);
      int b1 = u8(data, 9 + 8 * i);
      out.add((long) (((b0 & 0x3f) << 8) | b1));
      if ((b0 & 0xc0) == 0) {
        assertEquals(0, b0);
      } else {
        assertEquals(0x40, b0 & 0xc0, "flat addressing");
      }
    }
    return out;
  }

  @Test
  void routesToTheLun() {
    assertSame(target.device(2), target.luns().get(2L));
    assertEquals(3, target.targetId());
    assertGood(exec(2, tur(), 0));
    assertEquals(99, be32(exec(0, readCapacity10(), 8).data(), 0));
  }

  @Test
  void absentLunAnswers() {
    ScsiResponse inq = exec(1, inquiry(36), 36);
    assertGood(inq);
    assertEquals(0x7f, u8(inq.data(), 0));
    assertSense(exec(1, vpd(0x80, 255), 255), Sense.ILLEGAL_REQUEST, 0x25, 0x00);
    assertSense(exec(1, tur(), 0), Sense.ILLEGAL_REQUEST, 0x25, 0x00);
    assertSense(exec(1, read10(0, 1), 512), Sense.ILLEGAL_REQUEST, 0x25, 0x00);
    ScsiResponse rs = exec(1, requestSense(false, 18), 18);
    assertGood(rs);
    assertEquals(0x25, Sense.asc(rs.data()));
    assertTrue(Sense.isDescriptor(exec(1, requestSense(true, 252), 252).data()));
    ScsiResponse rl = exec(77, reportLuns(0, 256), 256);
    assertGood(rl);
    assertEquals(List.of(0L, 2L), luns(rl.data()));
    assertSense(exec(1, cdb(0x12, 0, 0), 36), Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertSense(target.execute(1, ByteString.emptyByteString(), null, 0, INI), Sense.ILLEGAL_REQUEST, 0x20, 0x00);
  }

  @Test
  void reportLunsSelectAndAllocation() {
    target.addLun(disk(300));
    ByteString all = exec(0, reportLuns(0, 4096), 4096).data();
    assertEquals(List.of(0L, 2L, 300L), luns(all));
    assertEquals(0x41, u8(all, 24)); // 300 = 0x12c flat: 0x40 | 0x01, 0x2c
    assertEquals(0x2c, u8(all, 25));
    ScsiResponse cut = exec(0, reportLuns(0, 16), 16);
    assertEquals(16, cut.data().size());
    assertEquals(24, be32(cut.data(), 0), "the list length still counts every LUN");
    ByteString wellKnown = exec(0, reportLuns(1, 256), 256).data();
    assertEquals(0, be32(wellKnown, 0));
    ScsiResponse bad = exec(0, reportLuns(7, 256), 256);
    assertSense(bad, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertField(bad, true, 2, -1);
  }

  @Test
  void removeLunDisappearsFromReportLunsAndNotifiesTheOthers() {
    EmuDevice removed = target.removeLun(2);
    assertEquals(2, removed.lun());
    assertNull(target.device(2));
    assertNull(removed.target());
    assertNull(target.removeLun(2));
    assertSense(exec(2, tur(), 0), Sense.ILLEGAL_REQUEST, 0x25, 0x00);
    assertSense(exec(0, tur(), 0), Sense.UNIT_ATTENTION, 0x3f, 0x0e);
    assertEquals(List.of(0L), luns(exec(0, reportLuns(0, 256), 256).data()));
  }

  @Test
  void addLunNotifiesTheOthersButNotItself() {
    EmuDisk d = disk(5);
    target.addLun(d);
    assertGood(exec(5, tur(), 0));
    assertSense(exec(0, tur(), 0), Sense.UNIT_ATTENTION, 0x3f, 0x0e);
    assertSense(exec(2, tur(), 0), Sense.UNIT_ATTENTION, 0x3f, 0x0e);
    assertEquals(List.of(0L, 2L, 5L), luns(exec(5, reportLuns(0, 256), 256).data()));
    assertThrows(IllegalArgumentException.class, () -> target.addLun(disk(5)));
    assertThrows(IllegalArgumentException.class, () -> new EmuTarget(4).addLun(d));
  }

  @Test
  void initialLunsRaiseNoUnitAttention() {
    assertGood(exec(0, tur(), 0));
    assertGood(exec(2, tur(), 0));
  }

  @Test
  void busResetReachesEveryLun() {
    target.busReset();
    assertSense(exec(0, tur(), 0), Sense.UNIT_ATTENTION, 0x29, 0x02);
    assertSense(exec(2, read10(0, 1), 512), Sense.UNIT_ATTENTION, 0x29, 0x02);
    assertGood(exec(2, read10(0, 1), 512));
    target.targetReset();
    assertSense(exec(0, tur(), 0), Sense.UNIT_ATTENTION, 0x29, 0x03);
  }
}
