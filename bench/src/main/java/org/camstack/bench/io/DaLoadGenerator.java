package org.camstack.bench.io;

import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.camstack.stack.dispatch.Lanes;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.scsi.da.DaPeriph;

/**
 * Closed-loop load through the {@code da} periph the way a user reaches a disk: open the devfs
 * node {@code daN}, then block I/O on the disk's strategy path (cf. GEOM &rarr; dastrategy(): da
 * periph &rarr; XptDevice &rarr; SIM &rarr; LUN and back; devfs is not on the data path, so LUNs do
 * not funnel through one actor). Keeps {@code qd} bios in flight and re-issues on each reply, on the
 * stack's dispatcher (no thread wake-up per I/O of its own). The path is FIFO end to end for one
 * disk, so issue times are kept in a ring and matched in order.
 *
 * <p>Protocol: {@link Open} once, then {@link LoadGenerator.Run} per phase, as {@link
 * LoadGenerator}.
 */
public final class DaLoadGenerator extends AbstractBehavior<Object> {

  /** Open the node; {@code done} completes with the errno's name ({@code OK} when open). */
  public record Open(String node, CompletableFuture<String> done) {}

  private final ActorRef<Devfs.Command> devfs;
  private final Workload workload;
  private final int qd;
  private final int blockSize;
  private final long[] ring;
  private final ActorRef<DaPeriph.BioDone> replies;
  private final ActorRef<Devfs.DevReply> ioctlReplies;
  private Devfs.FileHandle file;
  private DaPeriph.DiskHandle disk;
  private CompletableFuture<String> opening;
  private int head;
  private int tail;
  private Tally tally = new Tally();
  private long deadline;
  private long opsLimit;
  private long issued;
  private int outstanding;
  private CompletableFuture<Tally> done;

  /**
   * @param blockSize the LUN's logical block size (offsets are LBAs times it)
   * @param lane the {@link Lanes} lane of the LUN: the da periph goes there once the disk is open
   */
  public static Behavior<Object> create(ActorRef<Devfs.Command> devfs, Workload workload, int qd, int blockSize, int lane) {
    return Behaviors.setup(ctx -> new DaLoadGenerator(ctx, devfs, workload, qd, blockSize, lane));
  }

  private final int lane;

  private DaLoadGenerator(ActorContext<Object> ctx, ActorRef<Devfs.Command> devfs, Workload workload, int qd, int blockSize, int lane) {
    super(ctx);
    this.lane = lane;
    this.devfs = devfs;
    this.workload = workload;
    this.qd = qd;
    this.blockSize = blockSize;
    this.ring = new long[Integer.highestOneBit(Math.max(1, qd - 1)) << 1];
    this.replies = ctx.getSelf().narrow();
    this.ioctlReplies = ctx.getSelf().narrow();
  }

  @Override
  public Receive<Object> createReceive() {
    return newReceiveBuilder()
        .onMessage(DaPeriph.BioDone.class, this::onReply)
        .onMessage(Devfs.DevReply.class, this::onDiskHandle)
        .onMessage(LoadGenerator.Run.class, this::onRun)
        .onMessage(Open.class, this::onOpen)
        .onMessage(Devfs.OpenResult.class, this::onOpened)
        .onMessageEquals(LoadGenerator.Stop.INSTANCE, Behaviors::stopped)
        .build();
  }

  private Behavior<Object> onOpen(Open o) {
    opening = o.done();
    devfs.tell(new Devfs.Open(o.node(), Devfs.FREAD | Devfs.FWRITE, getContext().getSelf().narrow()));
    return this;
  }

  private Behavior<Object> onOpened(Devfs.OpenResult r) {
    if (r.file() == null) {
      opening.complete(r.errno().name());
      return this;
    }
    file = r.file();
    devfs.tell(new Devfs.Ioctl(file, new DaPeriph.GetDiskHandle(), ioctlReplies));
    return this;
  }

  private Behavior<Object> onDiskHandle(Devfs.DevReply r) {
    if (r.result() instanceof DaPeriph.DiskHandle h) {
      disk = h;
      Lanes.assign(h.periph(), lane);
      opening.complete("OK");
    } else {
      opening.complete(r.errno().name());
    }
    return this;
  }

  private Behavior<Object> onRun(LoadGenerator.Run run) {
    if (done != null || disk == null) {
      run.done().completeExceptionally(new IllegalStateException(disk == null ? "node not open" : "a phase is already running"));
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
    for (int i = 0; i < n; i++) {
      issue(now);
    }
    return this;
  }

  private Behavior<Object> onReply(DaPeriph.BioDone r) {
    long now = System.nanoTime();
    ThreadTrace.record(workload.lun());
    long at = ring[tail];
    tail = (tail + 1) & (ring.length - 1);
    outstanding--;
    Tally t = tally;
    t.latency.recordValue(Math.max(0, now - at));
    t.completed++;
    if (r.errno() == org.camstack.stack.ccb.Errno.OK) {
      t.bytes += workload.bytesPerIo();
    } else {
      t.errors++;
      if (t.firstError == null) {
        t.firstError = "errno " + r.errno();
      }
    }
    if (done == null) {
      return this;
    }
    if (now < deadline && (opsLimit == 0 || issued < opsLimit)) {
      issue(now);
    } else if (outstanding == 0) {
      t.endNanos = now;
      CompletableFuture<Tally> f = done;
      done = null;
      f.complete(t);
    }
    return this;
  }

  private void issue(long now) {
    workload.advance();
    long offset = workload.lastLba() * blockSize;
    ring[head] = now;
    head = (head + 1) & (ring.length - 1);
    outstanding++;
    issued++;
    if (workload.lastWasRead()) {
      disk.strategy(DaPeriph.Bio.read(offset, workload.bytesPerIo(), replies));
    } else {
      disk.strategy(DaPeriph.Bio.write(offset, workload.writeData(), replies));
    }
  }
}
