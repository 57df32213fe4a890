package org.camstack.stack.sim.iscsi;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.iscsi.Pdu;
import org.camstack.stack.iscsi.PduCodec;
import org.camstack.stack.sim.AsyncSimDataPath;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP connection of an iSCSI initiator session: a blocking socket read by its own thread, the
 * socket-free {@link InitiatorSession} driven under one lock (so PDUs go out in the order the
 * session made them, CmdSN order), commands' answers reported outside the lock. cf. the
 * {@code icl} connection layer under FreeBSD's {@code iscsi.c}.
 *
 * <p>Lifetime: {@link #open} connects and logs in on the new thread; the {@link Listener} hears
 * {@code up} once in full feature phase, and {@code down} exactly once when the connection ends
 * for any reason (login failure, peer closed, garbage, a stall, {@link #close}), with the commands
 * that were not answered. Nothing here throws at the caller for the peer's behaviour.
 */
public final class IscsiLink {
  private static final Logger LOG = LoggerFactory.getLogger(IscsiLink.class);

  /** Hears the connection's life; called on the link's thread. */
  public interface Listener {
    void up(IscsiLink link);

    /** The connection is over; {@code unanswered} never got an answer (requeue them). */
    void down(IscsiLink link, String reason, List<AsyncSimDataPath.Done> unanswered);

    /** A unit attention seen in a SCSI response: (lun, asc, ascq). */
    default void unitAttention(long lun, int asc, int ascq) {}
  }

  /**
   * @param loginTimeout how long connect + login may take
   * @param pollInterval how often the reader wakes to run the session's timers (NOP-Out)
   */
  public record Timing(Duration connectTimeout, Duration loginTimeout, Duration pollInterval) {
    public static final Timing DEFAULT = new Timing(Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofMillis(500));
  }

  private final String host;
  private final int port;
  private final InitiatorSession session;
  private final Listener listener;
  private final Timing timing;
  private final String name;
  private final Object lock = new Object();
  private volatile Socket socket;
  private OutputStream out;
  /** Encoded PDUs, in the order the session made them; the writer thread sends them. */
  private final java.util.concurrent.LinkedBlockingQueue<byte[]> outbox = new java.util.concurrent.LinkedBlockingQueue<>();
  private static final byte[] END = new byte[0];
  private boolean downReported;
  private volatile boolean closing;
  private Thread thread;

  private IscsiLink(String host, int port, InitiatorSession.Params params, Listener listener, Timing timing, String name) {
    this.host = host;
    this.port = port;
    this.session = new InitiatorSession(params, System.nanoTime());
    this.listener = listener;
    this.timing = timing;
    this.name = name;
  }

  /** Starts connecting on a new daemon thread. */
  public static IscsiLink open(String host, int port, InitiatorSession.Params params, Listener listener, Timing timing,
      String name) {
    IscsiLink l = new IscsiLink(host, port, params, listener, timing, name);
    l.thread = new Thread(l::run, "iscsi-initiator-" + name);
    l.thread.setDaemon(true);
    l.thread.start();
    return l;
  }

  public String name() {
    return name;
  }

  /** What was negotiated, or null before full feature phase. */
  public InitiatorSession.Negotiated negotiated() {
    synchronized (lock) {
      return session.negotiated();
    }
  }

  private void run() {
    String reason;
    try {
      reason = connectAndServe();
    } catch (IOException e) {
      reason = closing ? "closed" : "connection to " + host + ":" + port + " lost: " + e.getMessage();
    } catch (RuntimeException e) {
      reason = "initiator connection failed: " + e;
      LOG.warn("iSCSI initiator {}: {}", name, reason, e);
    }
    reportDown(reason);
  }

  private String connectAndServe() throws IOException {
    Socket s = new Socket();
    socket = s;
    if (closing) {
      s.close();
      return "closed";
    }
    s.setTcpNoDelay(true);
    s.connect(new InetSocketAddress(host, port), (int) timing.connectTimeout().toMillis());
    s.setSoTimeout((int) Math.max(1, timing.pollInterval().toMillis()));
    InputStream in = s.getInputStream();
    synchronized (lock) {
      out = s.getOutputStream();
      write(session.start());
    }
    Thread writer = new Thread(this::writeLoop, "iscsi-initiator-" + name + "-tx");
    writer.setDaemon(true);
    writer.start();
    PduCodec.Decoder decoder = new PduCodec.Decoder(PduCodec.Settings.LOGIN);
    long loginDeadline = System.nanoTime() + timing.loginTimeout().toNanos();
    boolean up = false;
    byte[] buf = new byte[256 * 1024];
    while (true) {
      int n;
      try {
        n = in.read(buf);
      } catch (SocketTimeoutException e) {
        n = 0;
      }
      if (n < 0) {
        return closing ? "closed" : "the target closed the connection";
      }
      long now = System.nanoTime();
      InitiatorSession.Step tick;
      if (n > 0) {
        for (PduCodec.Decoded d : decoder.feed(buf, 0, n)) {
          if (d instanceof PduCodec.Decoded.Error e) {
            return "garbage from the target: " + e.message();
          }
          Pdu p = ((PduCodec.Decoded.Frame) d).pdu();
          InitiatorSession.Step step;
          synchronized (lock) {
            step = session.received(p, now);
            write(step);
          }
          report(step);
          String failed = failedOrClosed();
          if (failed != null) {
            return failed;
          }
        }
      }
      synchronized (lock) {
        tick = session.tick(now);
        write(tick);
      }
      String failed = failedOrClosed();
      if (failed != null) {
        return failed;
      }
      if (!up) {
        boolean ffp;
        synchronized (lock) {
          ffp = session.state() == InitiatorSession.State.FULL_FEATURE;
        }
        if (ffp) {
          up = true;
          decoder.settings(session.receiveSettings());
          listener.up(this);
        } else if (now > loginDeadline) {
          return "login did not complete within " + timing.loginTimeout().toMillis() + " ms";
        }
      }
    }
  }

  private String failedOrClosed() {
    synchronized (lock) {
      if (session.state() == InitiatorSession.State.FAILED) {
        return session.failure();
      }
      if (session.state() == InitiatorSession.State.CLOSED) {
        return "logged out";
      }
    }
    return null;
  }

  /**
   * Queues a step's PDUs for the writer thread, under {@link #lock} (so they leave in the session's
   * order). No socket write happens under the lock: a reader waiting for the lock while the target
   * waits for us to read would otherwise deadlock with a writer stuck on a full send buffer.
   */
  private void write(InitiatorSession.Step step) {
    for (Pdu p : step.send) {
      outbox.add(PduCodec.encode(p, PduCodec.Settings.LOGIN));
    }
  }

  /** The writer thread: sends queued PDUs, batching what is ready; a failure closes the socket. */
  private void writeLoop() {
    try {
      OutputStream o;
      synchronized (lock) {
        o = out;
      }
      while (true) {
        byte[] b = outbox.take();
        if (b == END) {
          return;
        }
        o.write(b);
        byte[] more;
        while ((more = outbox.poll()) != null) {
          if (more == END) {
            o.flush();
            return;
          }
          o.write(more);
        }
        o.flush();
      }
    } catch (IOException e) {
      if (!closing) {
        LOG.debug("iSCSI initiator {}: write failed: {}", name, e.toString());
      }
      closeSocket(); // the reader sees the end and reports it
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void report(InitiatorSession.Step step) {
    for (InitiatorSession.Finished f : step.finished) {
      f.report();
    }
    for (long[] ua : step.unitAttentions) {
      listener.unitAttention(ua[0], (int) ua[1], (int) ua[2]);
    }
  }

  private void reportDown(String reason) {
    List<AsyncSimDataPath.Done> unanswered;
    synchronized (lock) {
      if (downReported) {
        return;
      }
      downReported = true;
      session.fail(new InitiatorSession.Step(), reason);
      unanswered = session.drain();
      outbox.clear();
      outbox.add(END);
    }
    closeSocket();
    listener.down(this, reason, unanswered);
  }

  // ---------------------------------------------------------------------------- from the SIM

  /** Sends (or holds for the window) a command; false when the link is already over. */
  public boolean submit(long handle, long lun, ByteString cdb, ByteString dataOut, int dxferLen,
      AsyncSimDataPath.Done done) {
    InitiatorSession.Step step = new InitiatorSession.Step();
    synchronized (lock) {
      if (downReported || session.state() != InitiatorSession.State.FULL_FEATURE) {
        return false;
      }
      session.submit(handle, lun, cdb, dataOut, dxferLen, done, step);
      write(step);
    }
    report(step);
    return true;
  }

  /** ABORT TASK for a command whose CCB is already complete. */
  public void abort(long handle) {
    InitiatorSession.Step step = new InitiatorSession.Step();
    synchronized (lock) {
      session.abortTask(handle, step);
      write(step);
    }
    report(step);
  }

  /** LOGICAL UNIT RESET, waiting at most {@code timeout} for the answer. */
  public boolean lunReset(long lun, Duration timeout) {
    CompletableFuture<Boolean> answer = new CompletableFuture<>();
    InitiatorSession.Step step = new InitiatorSession.Step();
    synchronized (lock) {
      if (downReported) {
        return false;
      }
      session.lunReset(lun, answer::complete, step);
      write(step);
    }
    report(step);
    try {
      return answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (Exception e) {
      return false;
    }
  }

  /** Logs out (bounded by {@code timeout}), then closes. The listener hears {@code down}. */
  public void logoutAndClose(Duration timeout) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    InitiatorSession.Step step = new InitiatorSession.Step();
    synchronized (lock) {
      if (!downReported) {
        session.logout(() -> done.complete(null), step);
        write(step);
      } else {
        done.complete(null);
      }
    }
    try {
      done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.debug("iSCSI initiator {}: no logout answer within {} ms", name, timeout.toMillis());
    }
    close();
  }

  /** Closes the connection now (no logout). */
  public void close() {
    closing = true;
    closeSocket();
  }

  /** Waits for the reader thread to end (tests, shutdown). */
  public void join(Duration timeout) throws InterruptedException {
    thread.join(timeout.toMillis());
  }

  private void closeSocket() {
    Socket s = socket;
    if (s != null) {
      try {
        s.close();
      } catch (IOException e) {
        LOG.debug("iSCSI initiator {}: close: {}", name, e.toString());
      }
    }
  }
}
