package org.camstack.stack.target.iscsi;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Tcp;
import org.camstack.stack.target.TargetInventory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An iSCSI portal (RFC 7143 §3.4.1): a TCP listener whose connections each run one {@link
 * IscsiConnection} in a {@link ConnectionStage}. No thread per connection: every connection is a
 * stream stage on the actor system's dispatcher. Portal group tag 1.
 */
public final class IscsiPortal {
  private static final Logger LOG = LoggerFactory.getLogger(IscsiPortal.class);

  private final Tcp.ServerBinding binding;
  private final IscsiSessions sessions;
  private final PortalConfig config;
  private final String address;
  private final TargetInventory inventory;

  private IscsiPortal(Tcp.ServerBinding binding, IscsiSessions sessions, PortalConfig config, String address,
      TargetInventory inventory) {
    this.binding = binding;
    this.inventory = inventory;
    this.sessions = sessions;
    this.config = config;
    this.address = address;
  }

  /**
   * Binds {@code host:port} (0 = a free port) and serves the inventory's targets.
   *
   * @throws IllegalArgumentException for a non-loopback address without CHAP credentials
   */
  public static CompletionStage<IscsiPortal> start(ActorSystem<?> system, String host, int port, PortalConfig config,
      TargetInventory inventory) {
    if (config.chap().isEmpty() && !isLoopback(host)) {
      throw new IllegalArgumentException("an iSCSI portal on " + host + " needs CHAP credentials (--iscsi-chap-file)");
    }
    IscsiSessions sessions = new IscsiSessions();
    inventory.addTaskAborter(sessions); // PREEMPT AND ABORT reaches this portal's tasks
    Materializer mat = Materializer.matFromSystem(system);
    Materializer connections = connectionMaterializer(system);
    return Tcp.get(system).bind(host, port)
        .to(Sink.foreach(conn -> {
          InetSocketAddress local = conn.localAddress();
          String portalAddress = hostPart(local) + ":" + local.getPort();
          String remote = hostPart(conn.remoteAddress()) + ":" + conn.remoteAddress().getPort();
          conn.handleWith(Flow.fromGraph(new ConnectionStage(config, inventory, sessions, portalAddress, remote)), connections);
        }))
        .run(mat)
        .thenApply(b -> {
          InetSocketAddress a = b.localAddress();
          return new IscsiPortal(b, sessions, config, hostPart(a) + ":" + a.getPort(), inventory);
        });
  }

  /**
   * The materializer of the portal's connections: the system's settings, but without TCP write
   * coalescing ({@code io.tcp.coalesce-writes = 0}). With it, Pekko's TCP stage holds a write back
   * to join it with later ones, through empty writes to the connection actor (up to 10 per burst);
   * the connection stage already pushes one element per burst (all the PDUs one event produced),
   * so for iSCSI the coalescing only adds hand-offs (docs/iscsi.md, "Frontend
   * cost per I/O"). Only here: the management API and the cluster transport keep the default. The
   * TCP stage reads this value from the materializer's settings alone (no attribute), hence the
   * deprecated settings class. One per portal; it is not shut down with the portal (a dropped
   * session's last PDUs may still be on their way out), and idle it is one actor until the system
   * terminates.
   */
  @SuppressWarnings("deprecation")
  static Materializer connectionMaterializer(ActorSystem<?> system) {
    Config stream = system.settings().config().getConfig("pekko.stream.materializer");
    org.apache.pekko.stream.ActorMaterializerSettings settings =
        org.apache.pekko.stream.ActorMaterializerSettings.create(
            ConfigFactory.parseString("io.tcp.coalesce-writes = 0").withFallback(stream));
    return org.apache.pekko.stream.ActorMaterializer.create(settings, system.classicSystem(), "iscsi-portal");
  }

  static boolean isLoopback(String host) {
    return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
  }

  private static String hostPart(InetSocketAddress a) {
    String h = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
    return h.contains(":") ? "[" + h + "]" : h;
  }

  /** The bound address, e.g. {@code 127.0.0.1:3260}. */
  public String address() {
    return address;
  }

  public int port() {
    return binding.localAddress().getPort();
  }

  public IscsiSessions sessions() {
    return sessions;
  }

  public PortalConfig config() {
    return config;
  }

  /**
   * Stops: no new connections, every session is asked to log out (Async Message), and whatever is
   * still connected after {@code grace} is dropped.
   */
  public CompletionStage<Done> stop(Duration grace) {
    return binding.unbind().thenCompose(d -> {
      inventory.removeTaskAborter(sessions);
      sessions.requestLogoutAll();
      CompletableFuture<Done> f = new CompletableFuture<>();
      long deadline = System.nanoTime() + grace.toNanos();
      CompletableFuture.runAsync(() -> {
        while (!sessions.list().isEmpty() && System.nanoTime() < deadline) {
          try {
            TimeUnit.MILLISECONDS.sleep(20); // a shutdown path, not a test: poll the registry
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          }
        }
        if (!sessions.list().isEmpty()) {
          LOG.info("iSCSI portal {}: dropping {} session(s) that did not log out", address, sessions.list().size());
          sessions.dropAll();
        }
        f.complete(Done.getInstance());
      });
      return f;
    });
  }
}
