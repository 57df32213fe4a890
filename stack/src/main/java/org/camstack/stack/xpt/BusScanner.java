package org.camstack.stack.xpt;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamStatus;

/**
 * One XPT_SCAN_BUS or XPT_SCAN_TGT in progress: probes LUN 0 of every target (all targets in
 * parallel, or one at a time with {@code PIM_SEQSCAN}), then the other LUNs of each target one at a
 * time — the ones REPORT LUNS listed, or else sequentially up to the bus's max LUN (continuing past
 * a missing LUN only for SCSI-3+ devices, the sparse search). Tells the {@link Xpt} {@link
 * Xpt.ScanFinished} and stops. cf. {@code scsi_scan_bus()} in sys/cam/scsi/scsi_xpt.c.
 */
final class BusScanner extends AbstractBehavior<BusScanner.Command> {

  /** Supertype of the scanner's messages: only the XPT's answers to its LUN probes. */
  sealed interface Command permits LunScanned {}

  /**
   * The XPT's answer to {@link Xpt.ProbeLun}; cf. the completion of the {@code XPT_SCAN_LUN}
   * that {@code scsi_scan_bus()} issued, which calls back into {@code scsi_scan_bus()}. No reply:
   * the scanner probes the next LUN or target, or tells the XPT {@link Xpt.ScanFinished} and stops.
   *
   * @param ansiVersion the LUN's ANSI version (0 when nothing answered)
   * @param reportedLuns the target's REPORT LUNS list when this was LUN 0 and it had one
   */
  record LunScanned(CamPath path, boolean found, CamStatus status, int ansiVersion, List<Long> reportedLuns)
      implements Command {}

  private static final class TargetScan {
    Deque<Long> listed; // REPORT LUNS mode: LUNs still to probe
    boolean sparse; // LUN 0 is SCSI-3+: keep going past missing LUNs
  }

  /**
   * @param bus path id
   * @param target the target of a SCAN_TGT, or -1 for the whole bus
   * @param targets the targets to scan
   * @param maxLun the highest LUN the SIM supports
   * @param sequential {@code PIM_SEQSCAN}: one target at a time
   */
  static Behavior<Command> create(
      int bus, int target, List<Integer> targets, long maxLun, boolean sequential, ActorRef<Xpt.Command> xpt) {
    return Behaviors.setup(
        ctx -> new BusScanner(ctx, bus, target, targets, maxLun, sequential, xpt).startTargets());
  }

  private final int bus;
  private final int target;
  private final long maxLun;
  private final boolean sequential;
  private final ActorRef<Xpt.Command> xpt;
  private final Deque<Integer> notStarted;
  private final Map<Integer, TargetScan> scans = new HashMap<>();
  private int running;

  private BusScanner(
      ActorContext<Command> ctx,
      int bus,
      int target,
      List<Integer> targets,
      long maxLun,
      boolean sequential,
      ActorRef<Xpt.Command> xpt) {
    super(ctx);
    this.bus = bus;
    this.target = target;
    this.maxLun = maxLun;
    this.sequential = sequential;
    this.xpt = xpt;
    this.notStarted = new ArrayDeque<>(targets);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder().onMessage(LunScanned.class, this::onLunScanned).build();
  }

  /** Returns the stopped behavior when nothing was left to scan. */
  private Behavior<Command> startTargets() {
    while (!notStarted.isEmpty() && (!sequential || running == 0)) {
      int t = notStarted.poll();
      scans.put(t, new TargetScan());
      running++;
      probe(t, 0);
    }
    if (running == 0) {
      xpt.tell(new Xpt.ScanFinished(bus, target, getContext().getSelf()));
      return Behaviors.stopped();
    }
    return this;
  }

  private void probe(int t, long lun) {
    xpt.tell(new Xpt.ProbeLun(CamPath.of(bus, t, lun), getContext().getSelf()));
  }

  private Behavior<Command> onLunScanned(LunScanned m) {
    int t = m.path().target();
    long lun = m.path().lun();
    TargetScan ts = scans.get(t);
    if (ts == null) {
      return this;
    }
    if (lun == 0) {
      if (m.reportedLuns() != null) {
        ts.listed = new ArrayDeque<>();
        for (long l : m.reportedLuns()) {
          if (l != 0 && l <= maxLun) {
            ts.listed.add(l);
          }
        }
      } else if (!m.found()) {
        return targetDone(t);
      } else {
        ts.sparse = m.ansiVersion() > 2;
      }
    }
    Long next = null;
    if (ts.listed != null) {
      next = ts.listed.poll();
    } else if ((m.found() || ts.sparse) && lun + 1 <= maxLun) {
      next = lun + 1;
    }
    if (next == null) {
      return targetDone(t);
    }
    probe(t, next);
    return this;
  }

  private Behavior<Command> targetDone(int t) {
    scans.remove(t);
    running--;
    return startTargets();
  }
}
