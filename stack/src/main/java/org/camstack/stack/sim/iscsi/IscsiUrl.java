package org.camstack.stack.sim.iscsi;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * Where an initiator session goes: {@code iscsi://HOST[:PORT]/TARGET-IQN} (port 3260 by default).
 * A trailing {@code /LUN} as libiscsi URLs have it is accepted and ignored (the session scans every
 * LUN). cf. {@code iscsictl -A -p HOST:PORT -t IQN}.
 */
public record IscsiUrl(String host, int port, String target) {

  public static final int DEFAULT_PORT = 3260;

  public IscsiUrl {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("no host");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " outside 1..65535");
    }
    if (target == null || target.isBlank() || target.length() > 223) {
      throw new IllegalArgumentException("no target name (iscsi://HOST:PORT/IQN)");
    }
  }

  /**
   * Parses a URL.
   *
   * @throws IllegalArgumentException with a message fit for the user
   */
  public static IscsiUrl parse(String url) {
    if (url == null || !url.startsWith("iscsi://")) {
      throw new IllegalArgumentException("not an iSCSI URL (iscsi://HOST:PORT/IQN): " + url);
    }
    URI u;
    try {
      u = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("bad iSCSI URL " + url + ": " + e.getMessage());
    }
    String path = u.getPath() == null ? "" : u.getPath();
    if (path.startsWith("/")) {
      path = path.substring(1);
    }
    int slash = path.indexOf('/');
    if (slash >= 0) {
      String lun = path.substring(slash + 1);
      if (!lun.chars().allMatch(Character::isDigit)) {
        throw new IllegalArgumentException("bad iSCSI URL " + url + ": expected iscsi://HOST:PORT/IQN[/LUN]");
      }
      path = path.substring(0, slash);
    }
    if (u.getHost() == null) {
      throw new IllegalArgumentException("bad iSCSI URL " + url + ": no host");
    }
    return new IscsiUrl(u.getHost(), u.getPort() < 0 ? DEFAULT_PORT : u.getPort(), path);
  }

  @Override
  public String toString() {
    return "iscsi://" + host + ":" + port + "/" + target;
  }
}
