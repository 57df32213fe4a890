package org.camstack.stack.sim.iscsi;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.sim.AsyncSimDataPath;

/**
 * The data path of one iSCSI bus (one session): the XPT's device queues start commands here on
 * their own threads; they go to the session's current connection, or wait here while there is none
 * (the SIM queue is frozen, cf. {@code xpt_freeze_simq()} in {@code iscsi_session_terminate_tasks}),
 * and go out in order once a connection is reinstated. Once the SIM gave the session up ({@link
 * #giveUp()}), commands fail at once with {@code CAM_SEL_TIMEOUT} until a connection comes back.
 * Thread-safe.
 */
public final class IscsiBus implements AsyncSimDataPath {

  /** A command waiting for a connection. */
  private record Held(long lun, ByteString cdb, ByteString dataOut, int dxferLen, Done done) {}

  private final AtomicLong handles = new AtomicLong();
  private final Duration resetTimeout;
  private IscsiLink link; // guarded by this
  private boolean gaveUp; // guarded by this
  private final Map<Long, Held> held = new LinkedHashMap<>(); // guarded by this
  private long started;
  private long requeued;

  public IscsiBus(Duration resetTimeout) {
    this.resetTimeout = resetTimeout;
  }

  @Override
  public long start(int target, long lun, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId, Done done) {
    long h = handles.incrementAndGet();
    if (target != 0) {
      done.failed(CamStatus.SEL_TIMEOUT); // one session = one target
      return h;
    }
    IscsiLink l;
    synchronized (this) {
      started++;
      if (link == null) {
        if (gaveUp) {
          l = null;
        } else {
          held.put(h, new Held(lun, cdb, dataOut, dxferLen, done));
          return h;
        }
      } else {
        l = link;
      }
    }
    if (l == null) {
      done.failed(CamStatus.SEL_TIMEOUT);
    } else if (!l.submit(h, lun, cdb, dataOut, dxferLen, done)) {
      // the connection just ended: the SIM will hear of it; ask for a re-issue
      done.failed(CamStatus.REQUEUE_REQ);
    }
    return h;
  }

  @Override
  public void abort(long handle) {
    IscsiLink l;
    synchronized (this) {
      if (held.remove(handle) != null) {
        return;
      }
      l = link;
    }
    if (l != null) {
      l.abort(handle);
    }
  }

  @Override
  public boolean resetLun(int target, long lun) {
    IscsiLink l;
    synchronized (this) {
      l = link;
    }
    return target == 0 && l != null && l.lunReset(lun, resetTimeout);
  }

  @Override
  public ScsiResponse execute(int target, long lun, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    CompletableFuture<ScsiResponse> f = new CompletableFuture<>();
    start(target, lun, cdb, dataOut, dxferLen, initiatorId, new Done() {
      @Override
      public void answered(ScsiResponse response) {
        f.complete(response);
      }

      @Override
      public void failed(CamStatus status) {
        f.complete(null);
      }
    });
    try {
      return f.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      return null;
    }
  }

  @Override
  public void resetBus() {
    // no bus to reset on a session: the XPT's AC_BUS_RESET is all there is
  }

  @Override
  public boolean resetTarget(int target) {
    return target == 0 && resetLun(target, 0);
  }

  /** A connection reached full feature phase: held commands go out on it, in order. */
  public void attach(IscsiLink l) {
    List<Map.Entry<Long, Held>> go;
    synchronized (this) {
      link = l;
      gaveUp = false;
      go = new ArrayList<>(held.entrySet());
      held.clear();
    }
    for (Map.Entry<Long, Held> e : go) {
      Held h = e.getValue();
      if (!l.submit(e.getKey(), h.lun(), h.cdb(), h.dataOut(), h.dxferLen(), h.done())) {
        h.done().failed(CamStatus.REQUEUE_REQ);
      }
    }
  }

  /**
   * The connection {@code l} is gone: new commands wait; its unanswered ones are asked back
   * ({@code CAM_REQUEUE_REQ}: the periph re-issues them without spending a retry, and they then
   * wait here for the next connection).
   */
  public void detach(IscsiLink l, List<Done> unanswered) {
    synchronized (this) {
      if (link == l) {
        link = null;
      }
      requeued += unanswered.size();
    }
    for (Done d : unanswered) {
      d.failed(CamStatus.REQUEUE_REQ);
    }
  }

  /**
   * cf. {@code kern.iscsi.fail_on_disconnection}: the session stays down too long; waiting commands
   * fail and new ones fail at once ({@code CAM_SEL_TIMEOUT}) until a connection is back.
   */
  public void giveUp() {
    List<Held> fail;
    synchronized (this) {
      if (link != null) {
        return;
      }
      gaveUp = true;
      fail = new ArrayList<>(held.values());
      held.clear();
    }
    for (Held h : fail) {
      h.done().failed(CamStatus.SEL_TIMEOUT);
    }
  }

  /** Commands waiting for a connection now. */
  public synchronized int heldCount() {
    return held.size();
  }

  public synchronized long requeuedCount() {
    return requeued;
  }

  public synchronized boolean connected() {
    return link != null;
  }
}
