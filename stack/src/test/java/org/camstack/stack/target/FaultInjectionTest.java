package org.camstack.stack.target;

import static org.camstack.stack.target.T.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.camstack.persistence.device.FaultRule;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.scsi.ScsiResponse;
import org.junit.jupiter.api.Test;

/** ctladm-inject style fault rules and injected delays. */
class FaultInjectionTest {

  private final EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, 512));

  @Test
  void mediumErrorOnAnLbaRangeReportsTheFirstBadLba() {
    disk.addFault(FaultRule.mediumError("m", FaultRule.READ, 100, 10).continuous());
    assertGood(run(disk, read10(90, 10), 5120)); // just before the range
    assertGood(run(disk, read10(110, 5), 2560)); // just after
    ScsiResponse r = run(disk, read10(95, 10), 5120);
    assertSense(r, Sense.MEDIUM_ERROR, 0x11, 0x00);
    assertTrue((u8(r.sense(), 0) & 0x80) != 0, "VALID");
    assertEquals(100, be32(r.sense(), 3));
    assertEquals(0, r.data().size());
    assertEquals(5120, r.resid());
    ScsiResponse inside = run(disk, read10(105, 1), 512);
    assertEquals(105, be32(inside.sense(), 3));
    // continuous: still there; writes are another class
    assertSense(run(disk, read10(100, 1), 512), Sense.MEDIUM_ERROR, 0x11, 0x00);
    assertGood(out(disk, write10(100, 1), bytes(512, 1)));
    assertSense(run(disk, rw16(0x8f, 100, 1), 0), Sense.MEDIUM_ERROR, 0x11, 0x00); // VERIFY is a read
  }

  @Test
  void writeMediumErrorIsWriteError() {
    disk.addFault(FaultRule.mediumError("w", FaultRule.WRITE, 0, 1));
    ScsiResponse r = out(disk, write10(0, 1), bytes(512, 1));
    assertSense(r, Sense.MEDIUM_ERROR, 0x0c, 0x00);
    assertGood(out(disk, write10(0, 1), bytes(512, 1))); // one-shot: gone
    assertTrue(disk.faults().isEmpty());
  }

  @Test
  void oneShotVersusContinuous() {
    disk.addFault(FaultRule.abortedCommand("once", FaultRule.ANY));
    assertSense(run(disk, tur(), 0), Sense.ABORTED_COMMAND, 0x47, 0x00);
    assertGood(run(disk, tur(), 0));
    disk.addFault(FaultRule.busy("always", FaultRule.ANY).continuous());
    for (int i = 0; i < 3; i++) {
      assertEquals(ScsiStatus.BUSY, run(disk, tur(), 0).scsiStatus());
    }
    assertTrue(disk.removeFault("always"));
    assertFalse(disk.removeFault("always"));
    assertGood(run(disk, tur(), 0));
  }

  @Test
  void everyKind() {
    disk.addFault(FaultRule.unitAttention("ua", FaultRule.ANY, 0x3f, 0x03));
    assertSense(run(disk, tur(), 0), Sense.UNIT_ATTENTION, 0x3f, 0x03);
    disk.addFault(FaultRule.abortedCommand("ab", FaultRule.ANY).withSense(Sense.ABORTED_COMMAND, 0x4b, 0x04));
    assertSense(run(disk, tur(), 0), Sense.ABORTED_COMMAND, 0x4b, 0x04);
    disk.addFault(FaultRule.taskSetFull("tsf", FaultRule.ANY));
    ScsiResponse tsf = run(disk, read10(0, 1), 512);
    assertEquals(ScsiStatus.QUEUE_FULL, tsf.scsiStatus());
    assertEquals(512, tsf.resid());
    disk.addFault(FaultRule.timeout("to", FaultRule.ANY));
    assertTrue(run(disk, tur(), 0).dropped());
    assertFalse(run(disk, tur(), 0).dropped());
    disk.addFault(FaultRule.customSense("hw", FaultRule.ANY, Sense.HARDWARE_ERROR, 0x44, 0x00));
    assertSense(run(disk, tur(), 0), Sense.HARDWARE_ERROR, 0x44, 0x00);
    assertGood(run(disk, tur(), 0));
  }

  @Test
  void commandClassesSelectCommands() {
    disk.addFault(FaultRule.busy("r", FaultRule.READ).continuous());
    assertEquals(ScsiStatus.BUSY, run(disk, read10(0, 1), 512).scsiStatus());
    assertEquals(ScsiStatus.BUSY, run(disk, rw6(0x08, 0, 1), 512).scsiStatus());
    assertGood(out(disk, write10(0, 1), bytes(512, 1)));
    assertGood(run(disk, tur(), 0));
    assertGood(run(disk, inquiry(36), 36));
    disk.clearFaults();
    disk.addFault(FaultRule.busy("w", FaultRule.WRITE).continuous());
    assertEquals(ScsiStatus.BUSY, out(disk, write10(0, 1), bytes(512, 1)).scsiStatus());
    assertEquals(ScsiStatus.BUSY, out(disk, cdb(0x41, 0, 0, 0, 0, 0, 0, 0, 1, 0), bytes(512, 1)).scsiStatus());
    assertGood(run(disk, read10(0, 1), 512));
    disk.clearFaults();
    disk.addFault(FaultRule.busy("any", FaultRule.ANY).continuous());
    assertEquals(ScsiStatus.BUSY, run(disk, inquiry(36), 36).scsiStatus());
  }

  @Test
  void rangeRulesIgnoreCommandsWithoutLbas() {
    disk.addFault(FaultRule.customSense("c", FaultRule.ANY, Sense.HARDWARE_ERROR, 0x44, 0).continuous().onLbas(10, 1));
    assertGood(run(disk, tur(), 0));
    assertGood(run(disk, read10(0, 10), 5120));
    assertSense(run(disk, read10(0, 11), 5632), Sense.HARDWARE_ERROR, 0x44, 0x00);
  }

  @Test
  void pendingUnitAttentionComesBeforeInjectedFaults() {
    disk.addFault(FaultRule.busy("b", FaultRule.ANY));
    disk.postUnitAttention(0x29, 0x00);
    assertSense(run(disk, tur(), 0), Sense.UNIT_ATTENTION, 0x29, 0x00);
    assertEquals(ScsiStatus.BUSY, run(disk, tur(), 0).scsiStatus());
  }

  @Test
  void rulesAreListedAndReplacedById() {
    FaultRule a = FaultRule.busy("a", FaultRule.ANY).continuous();
    FaultRule b = FaultRule.timeout("b", FaultRule.READ).continuous();
    disk.addFault(a);
    disk.addFault(b);
    assertEquals(List.of(a, b), disk.faults());
    FaultRule a2 = FaultRule.taskSetFull("a", FaultRule.ANY).continuous();
    disk.addFault(a2);
    assertEquals(List.of(b, a2), disk.faults());
  }

  @Test
  void badRulesAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> FaultRule.mediumError("x", FaultRule.READ, 5, 0).continuous());
    assertThrows(IllegalArgumentException.class, () -> FaultRule.customSense("x", FaultRule.ANY, 16, 0, 0).continuous());
    // the journal keeps any rule; the device refuses what it cannot answer
    FaultRule uaWithoutSense = new FaultRule("x", FaultRule.UNIT_ATTENTION, FaultRule.ANY, 0, FaultRule.NO_LBA_LIMIT, false, "");
    assertThrows(IllegalArgumentException.class, () -> disk.addFault(uaWithoutSense));
    FaultRule unknownKind = new FaultRule("x", "error", FaultRule.ANY, 0, FaultRule.NO_LBA_LIMIT, false, "");
    assertThrows(IllegalArgumentException.class, () -> disk.addFault(unknownKind));
    FaultRule opcodeClass = new FaultRule("x", FaultRule.BUSY, "0x28", 0, FaultRule.NO_LBA_LIMIT, false, "");
    assertThrows(IllegalArgumentException.class, () -> disk.addFault(opcodeClass));
    assertTrue(disk.faults().isEmpty());
    assertThrows(IllegalArgumentException.class, () -> FaultRule.busy(" ", FaultRule.ANY).continuous());
  }

  @Test
  void delays() {
    disk.setDelay(Delay.fixed(5_000));
    assertEquals(5_000, run(disk, tur(), 0).delayNanos());
    assertEquals(5_000, run(disk, read10(5000, 1), 512).delayNanos()); // errors are delayed too
    disk.setDelay(Delay.uniform(1_000, 2_000));
    for (int i = 0; i < 50; i++) {
      long d = run(disk, read10(0, 1), 512).delayNanos();
      assertTrue(d >= 1_000 && d <= 2_000, "delay " + d);
    }
    disk.addFault(FaultRule.timeout("t", FaultRule.ANY));
    assertEquals(0, run(disk, tur(), 0).delayNanos()); // a dropped command has no completion to delay
    disk.setDelay(Delay.NONE);
    assertEquals(0, run(disk, tur(), 0).delayNanos());
    assertThrows(IllegalArgumentException.class, () -> Delay.uniform(10, 5));
  }
}
