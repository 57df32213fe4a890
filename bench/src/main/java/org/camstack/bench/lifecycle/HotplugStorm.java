package org.camstack.bench.lifecycle;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;
import org.camstack.stack.sim.EmuBus;
import org.camstack.persistence.audit.AuditWriter;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.HbaFlags;
import org.camstack.stack.devfs.Devfs;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.stack.periph.PeriphDriver;
import org.camstack.stack.periph.PeriphSettings;
import org.camstack.stack.periph.WiringSource;
import org.camstack.stack.scsi.da.DaPeriph;
import org.camstack.stack.scsi.pass.PassPeriph;
import org.camstack.stack.target.EmuDisk;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.target.NullStore;
import org.camstack.stack.xpt.Xpt;

/**
 * Guardian of the lifecycle benchmark: the real XPT, devfs and the {@code pass} and {@code da}
 * periph drivers over one emulated bus, with the lifetime events journaled through {@link AuditWriter}. Each of
 * {@code slots} targets cycles: plug a disk and rescan (XPT_SCAN_LUN: probe, AC_FOUND_DEVICE,
 * periph attach, devfs node), then pull it and rescan (probe fails, AC_LOST_DEVICE, invalidate,
 * devfs destroy with callback, destructor, unit freed). A cycle ends when both units are freed.
 */
public final class HotplugStorm extends AbstractBehavior<Object> {

  /**
   * Run cycles on {@code slots} targets until {@code deadlineNanos}; {@code done} completes with
   * the result once every slot finished its last cycle and the audit writer flushed. Counters
   * start from zero for each run.
   */
  public record Run(int slots, long deadlineNanos, CompletableFuture<Result> done) {}

  /**
   * @param cycles attach + detach cycles completed
   * @param lifetimeEvents lifetime events the stack emitted
   * @param persisted audit events written to the journal (0 without a journal)
   * @param startNanos when the first cycle started
   * @param endNanos when the last cycle ended and, with a journal, every event of the run was
   *     written (the flush is inside the measured time: a journal that falls behind slows the rate
   *     instead of hiding a backlog)
   * @param dropped audit events the writer dropped because its buffer was full (the journal fell
   *     behind the stack); a run that dropped any is not a valid journaled figure
   */
  public record Result(
      long cycles, long lifetimeEvents, long persisted, long startNanos, long endNanos, Map<String, Long> eventKinds,
      long journalWrites, long dropped) {}

  private record BusUp(int pathId) {}

  private static final int INITIATOR = 7;

  /** The periph drivers that attach to every disk: one node and one unit each per cycle. */
  static final List<PeriphDriver.Spec> DRIVERS = List.of(PassPeriph.SPEC, DaPeriph.SPEC);

  private final ActorRef<Xpt.Command> xpt;
  private final boolean journal;
  private final java.util.Map<String, Integer> targetOf = new java.util.HashMap<>(); // da3#7 → target
  private final AuditBridge listener;
  private ActorRef<AuditWriter.Command> writer;
  private final EmuBus bus = new EmuBus();
  private final Map<Integer, Boolean> attached = new HashMap<>();
  private final Map<Integer, Integer> nodes = new HashMap<>(); // devfs nodes made this cycle
  private final Map<Integer, Integer> freed = new HashMap<>(); // units freed this cycle
  private int pathId = -1;
  private Run run;
  private int[] targets;
  private long cycles;
  private long lastBatches;
  private long lastDropped;
  private long flushedSeqNr;
  private int active;
  private long ccbIds;
  private long startNanos;
  private long endNanos;
  private long lastSeqNr;

  /** @param journal whether to journal lifetime events (needs the JDBC journal configured) */
  public static Behavior<Object> create(boolean journal) {
    return Behaviors.setup(ctx -> new HotplugStorm(ctx, journal));
  }

  private HotplugStorm(ActorContext<Object> ctx, boolean journal) {
    super(ctx);
    xpt = ctx.spawn(Xpt.create(Xpt.Settings.DEFAULT), "xpt");
    this.journal = journal;
    listener = new AuditBridge(ctx.getSelf());
    ActorRef<Devfs.Command> devfs = ctx.spawn(Devfs.create(listener), "devfs");
    for (PeriphDriver.Spec d : DRIVERS) {
      ctx.spawn(PeriphDriver.create(d, xpt.narrow(), devfs, WiringSource.NONE, PeriphSettings.defaults().withListener(listener)), d.name());
    }
    Ccb.PathInqResult cpi = new Ccb.PathInqResult(1, HbaFlags.PI_TAG_ABLE | HbaFlags.PI_WIDE_16, HbaFlags.PIM_NOSCAN,
        255, 7, INITIATOR, "FreeBSD", "camstack", "emusim", 0, 0, 3300, 1 << 20);
    xpt.tell(new Xpt.RegisterBus(cpi, -1, 32, bus, ctx.messageAdapter(Xpt.BusRegistered.class, r -> new BusUp(r.pathId()))));
  }

  @Override
  public Receive<Object> createReceive() {
    return newReceiveBuilder()
        .onMessage(BusUp.class, this::onBusUp)
        .onMessage(Run.class, this::onRun)
        .onMessage(LifetimeEvent.PeriphRegistered.class, this::onRegistered)
        .onMessage(LifetimeEvent.DevfsNodeCreated.class, this::onNodeCreated)
        .onMessage(LifetimeEvent.UnitFreed.class, this::onUnitFreed)
        .onMessage(AuditWriter.Stats.class, this::onWriterStats)
        .onMessage(Ccb.Completed.class, c -> this)
        .onMessage(StatusReply.class, this::onFlushed)
        .build();
  }

  private Behavior<Object> onBusUp(BusUp b) {
    pathId = b.pathId();
    if (run != null) {
      start();
    }
    return this;
  }

  private Behavior<Object> onRun(Run r) {
    run = r;
    if (journal && writer == null) {
      // spawned on the first run: the harness has created the journal schema by then
      writer = getContext().spawn(AuditWriter.create("bench-lifecycle-" + Long.toHexString(System.nanoTime())), "audit");
      listener.journalTo(writer);
    }
    if (pathId >= 0) {
      start();
    }
    return this;
  }

  private void start() {
    targets = new int[run.slots()];
    cycles = 0;
    listener.resetCounts();
    startNanos = System.nanoTime();
    for (int i = 0; i < targets.length; i++) {
      targets[i] = i < INITIATOR ? i : i + 1;
      active++;
      attach(targets[i]);
    }
  }

  /** Events name the periph incarnation; its registration says where it is. */
  private Behavior<Object> onRegistered(LifetimeEvent.PeriphRegistered e) {
    targetOf.put(e.incarnation(), org.camstack.stack.ccb.CamPath.parse(e.path()).target());
    return this;
  }

  private Behavior<Object> onNodeCreated(LifetimeEvent.DevfsNodeCreated e) {
    int t = targetOf.get(e.incarnation());
    if (nodes.merge(t, 1, Integer::sum) == DRIVERS.size() && Boolean.TRUE.equals(attached.get(t))) {
      detach(t); // every driver has its node: pull the disk
    }
    return this;
  }

  private Behavior<Object> onUnitFreed(LifetimeEvent.UnitFreed e) {
    int t = targetOf.remove(e.incarnation());
    if (freed.merge(t, 1, Integer::sum) < DRIVERS.size()) {
      return this; // the other driver's unit is still held
    }
    cycles++;
    if (run != null && System.nanoTime() < run.deadlineNanos()) {
      attach(t);
    } else if (--active == 0) {
      endNanos = System.nanoTime();
      if (writer != null) {
        writer.tell(new AuditWriter.Flush(getContext().getSelf().narrow()));
      } else {
        finish(0, 0, 0);
      }
    }
    return this;
  }

  @SuppressWarnings("rawtypes")
  private Behavior<Object> onFlushed(StatusReply reply) {
    if (!reply.isSuccess()) {
      run.done().completeExceptionally(new IllegalStateException("audit flush failed: " + reply.getError().getMessage()));
      return this;
    }
    flushedSeqNr = ((Number) reply.getValue()).longValue();
    writer.tell(new AuditWriter.GetStats(getContext().getSelf().narrow()));
    return this;
  }

  private Behavior<Object> onWriterStats(AuditWriter.Stats stats) {
    long writes = stats.batches() - lastBatches; // journal writes (group-commit batches) this run
    lastBatches = stats.batches();
    long dropped = stats.dropped() - lastDropped;
    lastDropped = stats.dropped();
    endNanos = System.nanoTime(); // every event of the run is written (or counted as dropped)
    finish(flushedSeqNr, writes, dropped);
    return this;
  }

  private void finish(long seqNr, long journalWrites, long dropped) {
    CompletableFuture<Result> f = run.done();
    run = null;
    long persisted = seqNr - lastSeqNr; // the audit log's sequence number counts every run
    lastSeqNr = seqNr;
    Map<String, Long> kinds = listener.counts(); // what a cycle costs, by kind (issue 15)
    long events = kinds.values().stream().mapToLong(Long::longValue).sum();
    f.complete(new Result(cycles, events, persisted, startNanos, endNanos, kinds, journalWrites, dropped));
  }

  /** Plug a fresh disk at {@code target} and rescan the LUN. */
  private void attach(int target) {
    nodes.put(target, 0);
    freed.put(target, 0);
    bus.attach(target, new EmuDisk(LunSpec.disk(0, 2048, 512).withStore(LunSpec.StoreKind.NULL, null), new NullStore(2048 * 512)));
    attached.put(target, true);
    scan(target);
  }

  /** Pull the disk and rescan: the probe fails and the XPT reports the device lost. */
  private void detach(int target) {
    bus.detach(target, 0);
    attached.put(target, false);
    scan(target);
  }

  private void scan(int target) {
    CamPath p = CamPath.of(pathId, target, 0);
    xpt.tell(new Xpt.Action(new Ccb.ScanLun(Ccb.Header.of(++ccbIds, p, getContext().getSelf().narrow()), false)));
  }
}
