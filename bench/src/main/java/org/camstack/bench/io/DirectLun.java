package org.camstack.bench.io;

import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.sim.SimDataPath;
import org.camstack.stack.xpt.DevQueue;
import org.camstack.stack.xpt.SimIo;

/**
 * The baselines' device layer: the stack's own {@link DevQueue} bookkeeping and {@link SimIo}
 * completion code around the very SIM data path and emulated LUN the actor stack drives, called
 * directly. It
 * makes the calls {@code XptDevice} makes for a SCSI_IO on its synchronous path (start, SIM
 * execute, completion, queue accounting) with the message hops taken out, so the ratio actor /
 * direct isolates the messaging cost.
 *
 * <p>Not thread-safe: the single-thread baseline owns it, the kernel-like one guards it with its
 * SIM's lock.
 */
final class DirectLun {
  final CamPath path;
  final SimDataPath sim;
  final int initiatorId;
  final DevQueue queue;
  long frozenCompletions;

  DirectLun(CamPath path, SimDataPath sim, int initiatorId, int openings, int maxTags) {
    this.path = path;
    this.sim = sim;
    this.initiatorId = initiatorId;
    this.queue = new DevQueue(openings, maxTags);
  }

  /**
   * cf. {@code xpt_action()} + {@code sim_action()}: start the CCB and execute it on the LUN.
   *
   * @return the SIM's completion (before queue accounting), or null if the queue could not start it
   */
  Ccb.Completed start(Ccb.ScsiIo io) {
    if (SimIo.malformed(io)) {
      return SimIo.failed(io, CamStatus.REQ_INVALID);
    }
    if (!queue.tryStartNow()) {
      return null;
    }
    int init = io.initiatorId() < 0 ? initiatorId : io.initiatorId();
    ScsiResponse r = sim.execute(path.target(), path.lun(), io.cdb(), io.dataOut(), io.dxferLen(), init);
    if (r == null) {
      return SimIo.failed(io, CamStatus.SEL_TIMEOUT);
    }
    return SimIo.completion(io, r);
  }

  /**
   * cf. {@code xpt_done()}: queue accounting for a completion; a completion that froze the queue
   * is released at once (the periph's job after its error recovery).
   */
  Ccb.Completed complete(Ccb.Completed c) {
    int flags = queue.complete(c.ccb(), c.status());
    if (flags != 0) {
      frozenCompletions++;
      queue.release(1);
      return c.withStatusFlags(c.statusFlags() | flags);
    }
    return c;
  }
}
