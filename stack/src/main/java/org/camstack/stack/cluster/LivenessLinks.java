package org.camstack.stack.cluster;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sockets of the {@link CrashDetector}: a listener every other member connects to and keeps
 * connected, and this node's connections to the other members' listeners. Nothing is ever sent on
 * them: their only news is their end. When a member's process dies (kill -9, a crash), its kernel
 * closes its sockets at once and the connection to it ends (EOF or reset); a partition, a stalled
 * process or a dead host do not end it (those are the failure detector's). One thread (a {@link
 * Selector}) serves every socket. Opened before the ActorSystem starts, so that its port can be
 * advertised in the member's roles ({@link #role}). Thread-safe.
 */
public final class LivenessLinks implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LivenessLinks.class);

  /** Prefix of the cluster role that advertises a member's liveness port: {@code liveness:PORT}. */
  public static final String ROLE_PREFIX = "liveness:";

  /** What a probe of a port found. */
  public enum Probe {
    /** The host answered that nothing listens there (TCP reset to the SYN): no process owns the port. */
    REFUSED,
    /** Something accepted the connection: a process owns the port. */
    ACCEPTED,
    /** No answer within the probe timeout (a partition, a dead or overloaded host, a full backlog). */
    TIMEOUT,
    /** Any other failure (no route, ...): not evidence of a dead process. */
    ERROR
  }

  private final ServerSocketChannel server;
  private final Selector selector;
  private final Thread thread;
  private final Queue<Runnable> pending = new ConcurrentLinkedQueue<>();
  /** Outgoing connections by key (selector thread only). */
  private final Map<Object, SocketChannel> outgoing = new HashMap<>();
  private volatile BiConsumer<Object, String> onEnded = (k, e) -> {};
  private volatile boolean closed;

  private LivenessLinks(ServerSocketChannel server, Selector selector) {
    this.server = server;
    this.selector = selector;
    this.thread = new Thread(this::run, "camstack-liveness-" + server.socket().getLocalPort());
    this.thread.setDaemon(true);
  }

  /** Opens the listener on {@code host}, on a free port, and starts its thread. */
  public static LivenessLinks open(String host) {
    try {
      ServerSocketChannel s = ServerSocketChannel.open();
      s.bind(new InetSocketAddress(host, 0));
      s.configureBlocking(false);
      Selector sel = Selector.open();
      s.register(sel, SelectionKey.OP_ACCEPT);
      LivenessLinks l = new LivenessLinks(s, sel);
      l.thread.start();
      return l;
    } catch (IOException e) {
      throw new IllegalStateException("cannot open the crash detector's liveness listener on " + host + ": " + e.getMessage());
    }
  }

  /** The listener's port. */
  public int port() {
    return server.socket().getLocalPort();
  }

  /** The role advertising this listener: {@code liveness:PORT}. */
  public String role() {
    return ROLE_PREFIX + port();
  }

  /** The liveness port a member advertises in {@code roles}, or -1. */
  public static int portIn(Iterable<String> roles) {
    for (String r : roles) {
      if (r.startsWith(ROLE_PREFIX)) {
        try {
          return Integer.parseInt(r.substring(ROLE_PREFIX.length()));
        } catch (NumberFormatException e) {
          return -1;
        }
      }
    }
    return -1;
  }

  /** Where the end of a watched connection is reported: {@code (key, evidence)}, on the links' thread. */
  public void onEnded(BiConsumer<Object, String> listener) {
    this.onEnded = listener;
  }

  /**
   * Connects to {@code host:port} and keeps the connection, reporting its end under {@code key}
   * (a connect that is refused is reported too; one that does not complete is not). Replaces a
   * connection kept under the same key.
   */
  public void watch(Object key, String host, int port) {
    submit(
        () -> {
          drop(key);
          try {
            SocketChannel ch = SocketChannel.open();
            ch.configureBlocking(false);
            ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
            outgoing.put(key, ch);
            if (ch.connect(new InetSocketAddress(host, port))) {
              ch.register(selector, SelectionKey.OP_READ, key);
            } else {
              ch.register(selector, SelectionKey.OP_CONNECT, key);
            }
          } catch (IOException e) {
            ended(key, "liveness connect to " + host + ":" + port + " failed: " + e.getMessage());
          }
        });
  }

  /** Closes the connection kept under {@code key}, without a report. */
  public void unwatch(Object key) {
    submit(() -> drop(key));
  }

  /**
   * Connects to {@code host:port} once, blocking up to {@code timeout}, and says what answered.
   * Blocking: call it off the actors' threads.
   */
  public static Probe probe(String host, int port, Duration timeout) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), (int) Math.max(1, timeout.toMillis()));
      return Probe.ACCEPTED;
    } catch (SocketTimeoutException e) {
      return Probe.TIMEOUT;
    } catch (ConnectException e) {
      String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
      return m.contains("refused") ? Probe.REFUSED : m.contains("timed out") ? Probe.TIMEOUT : Probe.ERROR;
    } catch (IOException e) {
      return Probe.ERROR;
    }
  }

  private void submit(Runnable r) {
    pending.add(r);
    selector.wakeup();
  }

  private void drop(Object key) {
    SocketChannel ch = outgoing.remove(key);
    if (ch != null) {
      closeQuietly(ch);
    }
  }

  private void ended(Object key, String evidence) {
    drop(key);
    try {
      onEnded.accept(key, evidence);
    } catch (RuntimeException e) {
      LOG.warn("crash detector: the listener failed on {}: {}", key, e.toString());
    }
  }

  private void run() {
    ByteBuffer buf = ByteBuffer.allocate(256);
    while (!closed) {
      try {
        selector.select();
        for (Runnable r; (r = pending.poll()) != null; ) {
          r.run();
        }
        for (SelectionKey k : selector.selectedKeys()) {
          if (!k.isValid()) {
            continue;
          }
          if (k.isAcceptable()) {
            SocketChannel in = server.accept();
            if (in != null) {
              in.configureBlocking(false);
              in.register(selector, SelectionKey.OP_READ, null);
            }
            continue;
          }
          SocketChannel ch = (SocketChannel) k.channel();
          Object key = k.attachment();
          if (k.isConnectable()) {
            try {
              ch.finishConnect();
              k.interestOps(SelectionKey.OP_READ);
            } catch (IOException e) {
              ended(key, "liveness connect failed: " + e.getMessage());
            }
            continue;
          }
          if (k.isReadable()) {
            String end;
            try {
              buf.clear();
              end = ch.read(buf) < 0 ? "EOF" : null;
            } catch (IOException e) {
              end = "reset (" + e.getMessage() + ")";
            }
            if (end != null) {
              if (key == null) {
                closeQuietly(ch); // a member that watched us went away: its own business
              } else if (outgoing.get(key) == ch) {
                ended(key, "liveness connection ended: " + end);
              }
            }
          }
        }
        selector.selectedKeys().clear();
      } catch (IOException | RuntimeException e) {
        if (!closed) {
          LOG.warn("crash detector: liveness links: {}", e.toString());
        }
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    selector.wakeup();
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (SelectionKey k : selector.keys()) {
      closeQuietly(k.channel());
    }
    closeQuietly(server);
    closeQuietly(selector);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // closing: nothing to do
    }
  }
}
