package org.camstack.stack.node;

import com.typesafe.config.Config;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.camstack.stack.iscsi.Chap;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.camstack.stack.target.TargetInventory;
import org.camstack.stack.target.iscsi.IscsiPortal;
import org.camstack.stack.target.iscsi.PortalConfig;

/** Starts the node's iSCSI portal from {@code camstack.iscsi.*} (docs/iscsi.md). */
final class IscsiWiring {
  private IscsiWiring() {}

  /**
   * The portal, or null with {@code port = off}.
   *
   * @throws IllegalArgumentException one line: bad port, non-loopback bind without CHAP, bad CHAP file
   */
  static IscsiPortal start(ActorSystem<?> system, Config config, TargetInventory targets) {
    Config c = config.getConfig("camstack.iscsi");
    String p = c.getString("port").trim();
    if (p.equalsIgnoreCase("off")) {
      return null;
    }
    int port;
    try {
      port = Integer.parseInt(p);
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("bad --iscsi-port " + p + ": expected 0..65535 or off");
    }
    String host = c.getString("host").isBlank() ? localHostName() : c.getString("host");
    PortalConfig pc = PortalConfig.defaults(host)
        .withQueueDepth(c.getInt("queue-depth"))
        .withNopInterval(c.getDuration("nop-interval"))
        .withChap(chap(c.getString("chap-file")));
    String bind = c.getString("bind");
    try {
      return IscsiPortal.start(system, bind, port, pc, targets).toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while binding the iSCSI portal");
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("cannot bind the iSCSI portal to " + bind + ":" + port + ": "
          + ManagementRoutes.oneLine(String.valueOf(e.getCause() == null ? e : e.getCause().getMessage())));
    }
  }

  static String localHostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }

  /** CHAP credentials from a 0600 file ({@link Chap#load}); empty path = none. */
  static Optional<Chap.Credentials> chap(String file) {
    return file == null || file.isBlank() ? Optional.empty() : Optional.of(Chap.load(Path.of(file)));
  }
}
