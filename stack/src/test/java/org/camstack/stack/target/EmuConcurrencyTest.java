package org.camstack.stack.target;

import static org.camstack.stack.target.T.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.util.ByteString;
import org.camstack.persistence.device.FaultRule;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.scsi.ScsiResponse;
import org.junit.jupiter.api.Test;

/** The I/O thread of a LUN against a control-plane thread changing faults, capacity and UAs. */
class EmuConcurrencyTest {
  private static final int IO = 20_000;
  private static final int DATA_BLOCKS = 400; // never cut by the resizes below

  @Test
  void ioStaysConsistentWhileTheControlPlaneChangesTheLun() throws Exception {
    EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, 512));
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicInteger capacityUas = new AtomicInteger();
    AtomicInteger busy = new AtomicInteger();
    Thread io = new Thread(() -> {
      try {
        for (int i = 0; i < IO; i++) {
          int lba = (i * 7) % DATA_BLOCKS;
          ScsiResponse r = (i & 1) == 0
              ? out(disk, write10(lba, 1), tagged(lba))
              : run(disk, read10(lba, 1), 512);
          if (r.scsiStatus() == ScsiStatus.BUSY) {
            busy.incrementAndGet();
            continue;
          }
          if (r.scsiStatus() == ScsiStatus.CHECK_COND) {
            assertEquals(Sense.UNIT_ATTENTION, Sense.key(r.sense()), T.describe(r));
            if (Sense.asc(r.sense()) == 0x2a) {
              capacityUas.incrementAndGet();
            }
            continue;
          }
          assertEquals(ScsiStatus.GOOD, r.scsiStatus(), T.describe(r));
          if ((i & 1) == 1) {
            int tag = r.data().apply(0) & 0xff;
            assertTrue(tag == 0 || tag == (lba & 0xff), "block " + lba + " holds tag " + tag);
          }
        }
      } catch (Throwable t) {
        failure.compareAndSet(null, t);
      }
    }, "lun-io");
    Thread control = new Thread(() -> {
      try {
        for (int i = 0; i < 500; i++) {
          disk.addFault(FaultRule.busy("b" + (i % 5), FaultRule.ANY));
          disk.removeFault("b" + ((i + 2) % 5));
          disk.resize(500 + (i % 7) * 100L);
          disk.setDelay(i % 2 == 0 ? Delay.NONE : Delay.fixed(10));
          disk.postUnitAttention(0x3f, 0x0e);
        }
      } catch (Throwable t) {
        failure.compareAndSet(null, t);
      }
    }, "lun-control");
    io.start();
    control.start();
    io.join();
    control.join();
    assertNull(failure.get(), () -> "first failure: " + failure.get());
    // whatever is still pending drains, then the LUN is plainly usable
    for (int i = 0; i < 50 && run(disk, tur(), 0).scsiStatus() != ScsiStatus.GOOD; i++) {
      disk.clearFaults();
    }
    assertGood(run(disk, tur(), 0));
    for (int lba = 0; lba < DATA_BLOCKS; lba += 37) {
      ByteString d = run(disk, read10(lba, 1), 512).data();
      int tag = d.apply(0) & 0xff;
      assertTrue(tag == 0 || tag == (lba & 0xff));
    }
  }

  private static ByteString tagged(int lba) {
    return bytes(512, lba & 0xff);
  }
}
