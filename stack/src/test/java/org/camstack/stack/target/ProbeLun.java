package org.camstack.stack.target;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.ScsiResponse;

/**
 * A disk with one vendor command, C0h, that records how many commands run on the LUN at once and
 * does a deliberately racy read-modify-write of a plain counter; C1h blocks until {@link #gate} is
 * opened (a command executing on another thread while the test acts).
 */
class ProbeLun extends EmuDisk {
  static final int PROBE = 0xc0;
  static final int BLOCK = 0xc1;

  final AtomicInteger active = new AtomicInteger();
  final AtomicInteger maxActive = new AtomicInteger();
  final AtomicInteger entered = new AtomicInteger();
  final CountDownLatch gate = new CountDownLatch(1);
  /** Updated without synchronization on purpose: correct only when commands do not overlap. */
  long counter;

  /** Waits (bounded) until at least {@code n} probe or blocking commands entered. */
  void awaitEntered(int n) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (entered.get() < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("only " + entered.get() + " of " + n + " commands entered in 10 s");
      }
      Thread.onSpinWait();
    }
  }

  ProbeLun(long lun) {
    super(LunSpec.disk(lun, 1000, 512));
    supports(PROBE, 0);
    supports(BLOCK, 0);
  }

  @Override
  protected ScsiResponse executeCommand(int op, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    if (op != PROBE && op != BLOCK) {
      return super.executeCommand(op, cdb, dataOut, dxferLen, initiatorId);
    }
    int now = active.incrementAndGet();
    maxActive.accumulateAndGet(now, Math::max);
    entered.incrementAndGet();
    try {
      if (op == BLOCK) {
        if (!gate.await(10, TimeUnit.SECONDS)) {
          throw new IllegalStateException("gate never opened");
        }
      } else {
        long c = counter;
        for (int i = 0; i < 50; i++) {
          Thread.onSpinWait();
        }
        Thread.yield();
        counter = c + 1;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      active.decrementAndGet();
    }
    return good(dxferLen);
  }
}
