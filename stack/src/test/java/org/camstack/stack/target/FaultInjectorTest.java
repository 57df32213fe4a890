package org.camstack.stack.target;

import static org.camstack.stack.target.CommandTable.F_LBA;
import static org.camstack.stack.target.CommandTable.F_READ;
import static org.camstack.stack.target.CommandTable.F_WRITE;
import static org.camstack.stack.target.T.read10;
import static org.camstack.stack.target.T.write10;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.camstack.persistence.device.FaultRule;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.junit.jupiter.api.Test;

/** Fault rule matching, one-shot consumption and delays, without a device around them. */
class FaultInjectorTest {

  private final List<String> heard = new ArrayList<>();
  private final FaultInjector faults = new FaultInjector(new FaultInjector.Listener() {
    @Override
    public void changed(int aspect) {
      heard.add("changed " + aspect);
    }

    @Override
    public void fired(FaultRule rule) {
      heard.add("fired " + rule.id() + " listed " + faults().rules().contains(rule));
    }
  });

  private FaultInjector faults() {
    return faults;
  }

  private static final int RD = F_READ | F_LBA;
  private static final int WR = F_WRITE | F_LBA;

  @Test
  void nothingToInjectIsNull() {
    assertNull(faults.inject(0x28, RD, read10(0, 1), 512, false));
  }

  @Test
  void commandClassAndLbaRangeSelect() {
    faults.add(FaultRule.mediumError("m", FaultRule.READ, 100, 100).continuous());
    assertNull(faults.inject(0x2a, WR, write10(150, 1), 0, false)); // a write
    assertNull(faults.inject(0x28, RD, read10(0, 100), 512, false)); // ends before 100
    ScsiResponse r = faults.inject(0x28, RD, read10(90, 20), 512, false);
    assertEquals(ScsiStatus.CHECK_COND, r.scsiStatus());
    assertEquals(Sense.MEDIUM_ERROR, Sense.key(r.sense()));
    assertEquals(0x11, Sense.asc(r.sense()));
    assertEquals(100, r.sense().apply(6) & 0xff); // information: the first bad LBA
    assertNull(faults.inject(0x12, 0, T.inquiry(36), 36, false)); // no LBA: a ranged rule skips it
  }

  @Test
  void firstMatchInInsertionOrderAndDescriptorSense() {
    faults.add(FaultRule.busy("b", FaultRule.WRITE).continuous());
    faults.add(FaultRule.busy("any", FaultRule.ANY).continuous());
    assertEquals(ScsiStatus.BUSY, faults.inject(0x28, RD, read10(0, 1), 512, false).scsiStatus());
    faults.clear();
    faults.add(FaultRule.abortedCommand("m", FaultRule.ANY).continuous());
    assertTrue(Sense.isDescriptor(faults.inject(0x28, RD, read10(0, 1), 512, true).sense()));
  }

  @Test
  void aOneShotRuleFiresOnceAndIsHeardBeforeItLeaves() {
    FaultRule once = FaultRule.customSense("once", FaultRule.ANY, Sense.MEDIUM_ERROR, 0x11, 0);
    faults.add(once);
    heard.clear();
    ScsiResponse r = faults.inject(0x28, RD, read10(0, 1), 512, false);
    assertEquals(Sense.MEDIUM_ERROR, Sense.key(r.sense()));
    assertNull(faults.inject(0x28, RD, read10(0, 1), 512, false));
    assertEquals(List.of("fired once listed true", "changed " + DeviceStateSink.FAULTS), heard);
    assertEquals(List.of(), faults.rules());
  }

  @Test
  void replaceByIdRemoveAndRefuseUnknownKinds() {
    faults.add(FaultRule.busy("x", FaultRule.ANY).continuous());
    faults.add(FaultRule.taskSetFull("x", FaultRule.ANY).continuous());
    assertEquals(1, faults.rules().size());
    assertEquals(ScsiStatus.QUEUE_FULL, faults.inject(0, 0, T.tur(), 0, false).scsiStatus());
    assertTrue(faults.remove("x"));
    assertEquals(false, faults.remove("x"));
    assertThrows(IllegalArgumentException.class,
        () -> faults.add(new FaultRule("u", FaultRule.UNIT_ATTENTION, FaultRule.ANY, 0, FaultRule.NO_LBA_LIMIT, false, "")));
  }

  @Test
  void delays() {
    ScsiResponse good = ScsiResponse.GOOD;
    assertSame(good, faults.delayed(good));
    faults.setDelay(Delay.fixed(5_000));
    assertEquals(5_000, faults.delayed(good).delayNanos());
    assertSame(ScsiResponse.DROPPED, faults.delayed(ScsiResponse.DROPPED)); // never answered stays so
    heard.clear();
    faults.setDelay(Delay.fixed(5_000)); // same: nothing to record
    faults.setDelay(null);
    assertEquals(List.of("changed " + DeviceStateSink.DELAY), heard);
    assertEquals(Delay.NONE, faults.delay());
  }
}
