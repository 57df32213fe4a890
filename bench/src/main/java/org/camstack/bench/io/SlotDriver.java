package org.camstack.bench.io;

import org.apache.pekko.actor.typed.ActorRef;
import org.camstack.bench.harness.ResourceMeter;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;

/**
 * The baselines' load source: one caller thread cycling over its slots (LUN, in-flight request)
 * round robin. Each turn completes the slot's previous request (records its latency) and issues
 * the next one through the direct-call layers, so each slot is a closed loop like one of a
 * {@link LoadGenerator}'s {@code qd} CCBs, and Little's law holds the same way (latency = slots x
 * cost per I/O). With {@code locked}, each issue runs under its SIM's lock, as {@code xpt_action}
 * ran under the per-SIM mutex in 2012 CAM.
 */
final class SlotDriver {

  /** One in-flight request of one LUN. */
  static final class Slot {
    final DirectLun lun;
    final Object simLock;
    final Workload workload;
    Ccb.Completed pending;
    long issuedAt;

    Slot(DirectLun lun, Object simLock, Workload workload) {
      this.lun = lun;
      this.simLock = simLock;
      this.workload = workload;
    }
  }

  private final Slot[] slots;
  private final boolean locked;
  private final ActorRef<Ccb.Completed> replyTo;
  private final int timeoutMs;
  private long seq;
  private long issued;
  private int outstanding;

  /**
   * @param replyTo goes into every CCB header (a CCB needs one; nobody is told: completions are
   *     returned by the call)
   */
  SlotDriver(Slot[] slots, boolean locked, ActorRef<Ccb.Completed> replyTo, int timeoutMs) {
    this.slots = slots;
    this.locked = locked;
    this.replyTo = replyTo;
    this.timeoutMs = timeoutMs;
  }

  /** Runs one phase on the calling thread until the deadline (or {@code opsLimit} I/Os), then drains. */
  Tally run(long deadline, long opsLimit) {
    Tally t = new Tally();
    long alloc0 = ResourceMeter.currentThreadAllocatedBytes();
    issued = 0;
    outstanding = 0;
    long now = System.nanoTime();
    t.startNanos = now;
    for (Slot s : slots) {
      if (opsLimit == 0 || issued < opsLimit) {
        issue(s, now, t);
      }
    }
    int n = slots.length;
    int i = 0;
    while (outstanding > 0) {
      Slot s = slots[i];
      i = i + 1 == n ? 0 : i + 1;
      Ccb.Completed c = s.pending;
      if (c == null) {
        continue;
      }
      now = System.nanoTime();
      s.pending = null;
      outstanding--;
      t.latency.recordValue(Math.max(0, now - s.issuedAt));
      t.completed++;
      if (c.status() == CamStatus.REQ_CMP) {
        t.bytes += s.workload.bytesPerIo() - c.resid();
      } else {
        t.errors++;
        if (t.firstError == null) {
          t.firstError = c.status() + " scsi=" + c.scsiStatus();
        }
      }
      if (now < deadline && (opsLimit == 0 || issued < opsLimit)) {
        issue(s, now, t);
      }
    }
    t.endNanos = System.nanoTime();
    long alloc1 = ResourceMeter.currentThreadAllocatedBytes();
    t.threadAllocatedBytes = alloc0 < 0 || alloc1 < 0 ? -1 : alloc1 - alloc0;
    return t;
  }

  private void issue(Slot s, long now, Tally t) {
    Workload w = s.workload;
    ByteString cdb = w.next();
    boolean read = w.lastWasRead();
    Ccb.Header h = new Ccb.Header(
        ++seq, s.lun.path, CamPriority.NORMAL, read ? CcbFlags.DIR_IN : CcbFlags.DIR_OUT, timeoutMs, 0, replyTo);
    Ccb.ScsiIo io = new Ccb.ScsiIo(h, cdb, read ? ByteString.emptyByteString() : w.writeData(), w.bytesPerIo());
    Ccb.Completed c;
    if (locked) {
      synchronized (s.simLock) {
        c = startAndComplete(s.lun, io);
      }
    } else {
      c = startAndComplete(s.lun, io);
    }
    s.pending = c;
    s.issuedAt = now;
    outstanding++;
    issued++;
  }

  /** What XptDevice does for a CCB on its synchronous path: start, execute, account, complete. */
  private static Ccb.Completed startAndComplete(DirectLun lun, Ccb.ScsiIo io) {
    Ccb.Completed c = lun.start(io);
    if (c == null) {
      throw new IllegalStateException(lun.path + ": device queue refused a CCB (openings " + lun.queue.openings() + ")");
    }
    return lun.complete(c);
  }
}
