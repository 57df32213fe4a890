package org.camstack.stack.sim.iscsi;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;

/**
 * A loopback TCP proxy for connection-loss tests: forwards each accepted connection to the target
 * port; {@link #dropAll()} cuts every live connection (both sockets closed, as a cable pulled);
 * {@link #refuse(boolean)} makes new connections close at once (the target unreachable); {@link
 * #refusePeers} does both for the connections from some peers only (a partition). Threads
 * are daemons; {@link #close()} stops everything. Used by the initiator tests and by {@code chaos
 * --iscsi} (the network nemesis).
 */
public final class TcpProxy implements AutoCloseable {
  private final ServerSocket server;
  private final int targetPort;
  private final List<Socket> live = new CopyOnWriteArrayList<>();
  private final AtomicBoolean refusing = new AtomicBoolean();
  private final AtomicInteger accepted = new AtomicInteger();
  private volatile IntPredicate refusedPeers = peer -> false;
  private volatile boolean closed;

  public TcpProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::acceptLoop, "tcp-proxy-" + server.getLocalPort());
    t.setDaemon(true);
    t.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  public int accepted() {
    return accepted.get();
  }

  public void refuse(boolean r) {
    refusing.set(r);
  }

  /**
   * Cuts the live connections whose peer (client) port matches, and closes new ones from such
   * peers at once; {@code peer -> false} ends it.
   */
  public void refusePeers(IntPredicate peerPort) {
    refusedPeers = peerPort;
    for (Socket s : live) {
      if (s.getLocalPort() == port() && peerPort.test(s.getPort())) {
        closeQuietly(s); // its pipes close the partner
      }
    }
  }

  /** Cuts every live connection. */
  public void dropAll() {
    for (Socket s : live) {
      closeQuietly(s);
    }
    live.clear();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket in;
      try {
        in = server.accept();
      } catch (IOException e) {
        return;
      }
      accepted.incrementAndGet();
      if (refusing.get() || refusedPeers.test(in.getPort())) {
        closeQuietly(in);
        continue;
      }
      try {
        Socket out = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        live.add(in);
        live.add(out);
        pipe(in, out);
        pipe(out, in);
      } catch (IOException e) {
        closeQuietly(in);
      }
    }
  }

  private void pipe(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[64 * 1024];
      try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
        int n;
        while ((n = i.read(buf)) >= 0) {
          o.write(buf, 0, n);
          o.flush();
        }
      } catch (IOException e) {
        // cut
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "tcp-proxy-pipe");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    dropAll();
  }
}
