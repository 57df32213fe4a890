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

  /** CHAP secrets from a 0600 file of key=value lines; empty path = none. */
  static Optional<PortalConfig.ChapSecrets> chap(String file) {
    if (file == null || file.isBlank()) {
      return Optional.empty();
    }
    Path f = Path.of(file);
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(f);
      for (PosixFilePermission x : perms) {
        if (x != PosixFilePermission.OWNER_READ && x != PosixFilePermission.OWNER_WRITE) {
          throw new IllegalArgumentException("CHAP file " + f + " must be readable by its owner only (chmod 600)");
        }
      }
      Map<String, String> m = new HashMap<>();
      for (String line : Files.readAllLines(f)) {
        String l = line.trim();
        int eq = l.indexOf('=');
        if (l.isEmpty() || l.startsWith("#") || eq <= 0) {
          continue;
        }
        m.put(l.substring(0, eq).trim(), l.substring(eq + 1).trim());
      }
      String user = m.get("user");
      String secret = m.get("secret");
      if (user == null || secret == null || secret.length() < 12) {
        throw new IllegalArgumentException("CHAP file " + f + " needs user= and secret= (at least 12 characters)");
      }
      Optional<String> mu = Optional.ofNullable(m.get("mutual-user"));
      Optional<String> ms = Optional.ofNullable(m.get("mutual-secret"));
      if (mu.isPresent() != ms.isPresent()) {
        throw new IllegalArgumentException("CHAP file " + f + ": give both mutual-user= and mutual-secret=, or neither");
      }
      return Optional.of(new PortalConfig.ChapSecrets(user, secret, mu, ms));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read CHAP file " + f + ": " + e.getMessage());
    }
  }
}
