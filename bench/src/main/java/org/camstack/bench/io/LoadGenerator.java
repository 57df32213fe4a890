package org.camstack.bench.io;

import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.xpt.XptDevice;

/**
 * Closed-loop load for one LUN, in the periph's position: it keeps {@code qd} SCSI_IO CCBs in
 * flight at the LUN's {@link XptDevice} and re-issues on each completion (perf.md section 5,
 * chain design). It is an actor on the same dispatcher as the stack, so a completion and the next
 * issue run on the thread that delivered the completion: no thread is woken per I/O.
 *
 * <p>Protocol: {@link Run} starts a phase and completes its future with the phase's {@link Tally}
 * once every CCB issued in the phase has completed. The actor accepts {@code Object} so that
 * {@link Ccb.Completed} arrives without a message adapter (an adapter allocates a wrapper per
 * completion on the measured path).
 */
public final class LoadGenerator extends AbstractBehavior<Object> {

  /**
   * Run one phase: issue until {@code deadlineNanos} ({@link System#nanoTime()}) or until {@code
   * opsLimit} I/Os were issued (0 = no limit), then drain. Reply: {@code done} completes with the
   * phase's tally. Sent by the harness only, never during a phase.
   */
  public record Run(long deadlineNanos, long opsLimit, CompletableFuture<Tally> done) {}

  /** Stop the generator (between phases). No reply. */
  public enum Stop {
    INSTANCE
  }

  private static final int SLOT_BITS = 16;
  private static final long SLOT_MASK = (1L << SLOT_BITS) - 1;

  private final ActorRef<XptDevice.Command> device;
  private final ActorRef<Ccb.Completed> self;
  private final CamPath path;
  private final Workload workload;
  private final int qd;
  private final int timeoutMs;
  private final long[] issuedAt;
  private Tally tally = new Tally();
  private long seq;
  private long deadline;
  private long opsLimit;
  private long issued;
  private int outstanding;
  private CompletableFuture<Tally> done;

  /**
   * @param device the LUN's device queue
   * @param path the LUN's path
   * @param workload the LUN's request stream (owned by this actor from now on)
   * @param qd CCBs in flight
   * @param timeoutMs CCB timeout ({@code 0} = the SIM's default)
   */
  public static Behavior<Object> create(
      ActorRef<XptDevice.Command> device, CamPath path, Workload workload, int qd, int timeoutMs) {
    return Behaviors.setup(ctx -> new LoadGenerator(ctx, device, path, workload, qd, timeoutMs));
  }

  private LoadGenerator(
      ActorContext<Object> ctx,
      ActorRef<XptDevice.Command> device,
      CamPath path,
      Workload workload,
      int qd,
      int timeoutMs) {
    super(ctx);
    this.device = device;
    this.self = ctx.getSelf().narrow();
    this.path = path;
    this.workload = workload;
    this.qd = qd;
    this.timeoutMs = timeoutMs;
    this.issuedAt = new long[qd];
  }

  @Override
  public Receive<Object> createReceive() {
    return newReceiveBuilder()
        .onMessage(Ccb.Completed.class, this::onCompleted)
        .onMessage(Run.class, this::onRun)
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .build();
  }

  private Behavior<Object> onRun(Run run) {
    if (done != null) {
      run.done().completeExceptionally(new IllegalStateException("a phase is already running"));
      return this;
    }
    tally = new Tally();
    deadline = run.deadlineNanos();
    opsLimit = run.opsLimit();
    issued = 0;
    done = run.done();
    long now = System.nanoTime();
    tally.startNanos = now;
    int n = opsLimit > 0 ? (int) Math.min(qd, opsLimit) : qd;
    for (int slot = 0; slot < n; slot++) {
      issue(slot, now);
    }
    if (n == 0) {
      finish(now);
    }
    return this;
  }

  private Behavior<Object> onCompleted(Ccb.Completed c) {
    long now = System.nanoTime();
    ThreadTrace.record(workload.lun());
    int slot = (int) (c.ccb().ccbId() & SLOT_MASK);
    outstanding--;
    Tally t = tally;
    t.latency.recordValue(Math.max(0, now - issuedAt[slot]));
    t.completed++;
    if (c.status() == CamStatus.REQ_CMP) {
      t.bytes += workload.bytesPerIo() - c.resid();
    } else {
      t.errors++;
      if (t.firstError == null) {
        t.firstError = c.status() + " scsi=" + c.scsiStatus();
      }
    }
    if (c.devQueueFrozen()) {
      // cf. cam_periph_error(): the periph owes the release of a queue its completion froze
      device.tell(new XptDevice.ReleaseDevq(1, true));
    }
    if (done == null) {
      return this; // a straggler from an aborted phase
    }
    if (now < deadline && (opsLimit == 0 || issued < opsLimit)) {
      issue(slot, now);
    } else if (outstanding == 0) {
      finish(now);
    }
    return this;
  }

  private void issue(int slot, long now) {
    ByteString cdb = workload.next();
    boolean read = workload.lastWasRead();
    long ccbId = (++seq << SLOT_BITS) | slot;
    Ccb.Header h = new Ccb.Header(
        ccbId, path, CamPriority.NORMAL, read ? CcbFlags.DIR_IN : CcbFlags.DIR_OUT, timeoutMs, 0, self);
    Ccb.ScsiIo io = new Ccb.ScsiIo(
        h, cdb, read ? ByteString.emptyByteString() : workload.writeData(), workload.bytesPerIo());
    issuedAt[slot] = now;
    outstanding++;
    issued++;
    device.tell(new XptDevice.Action(io));
  }

  private void finish(long now) {
    tally.endNanos = now;
    CompletableFuture<Tally> f = done;
    done = null;
    f.complete(tally);
  }
}
