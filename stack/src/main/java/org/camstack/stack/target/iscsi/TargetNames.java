package org.camstack.stack.target.iscsi;

import java.util.Locale;
import java.util.Optional;

/**
 * iSCSI names of the emulated targets: one iSCSI target per emulated target, {@code
 * iqn.2026-12.org.camstack:<host>.b<bus>.t<target>} (RFC 7143 §4.2.7.2 iqn format), its LUNs as
 * LUNs.
 */
public final class TargetNames {
  /** The naming authority part every camstack target name starts with. */
  public static final String PREFIX = "iqn.2026-12.org.camstack:";

  private TargetNames() {}

  /** The host part: lower case, only a-z 0-9 '-' (anything else becomes '-'), never empty. */
  public static String host(String raw) {
    String s = raw == null ? "" : raw.toLowerCase(Locale.ROOT);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && b.length() < 63; i++) {
      char c = s.charAt(i);
      b.append((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ? c : '-');
    }
    return b.length() == 0 ? "localhost" : b.toString();
  }

  /** The name of target {@code target} on bus {@code bus}. */
  public static String name(String host, int bus, int target) {
    return PREFIX + host(host) + ".b" + bus + ".t" + target;
  }

  /** The (bus, target) a name designates on this host, empty if it is not one of ours. */
  public static Optional<int[]> parse(String host, String iqn) {
    String p = PREFIX + host(host) + ".b";
    if (iqn == null || !iqn.toLowerCase(Locale.ROOT).startsWith(p)) {
      return Optional.empty();
    }
    String rest = iqn.substring(p.length());
    int dot = rest.indexOf(".t");
    if (dot <= 0) {
      return Optional.empty();
    }
    try {
      int bus = Integer.parseInt(rest.substring(0, dot));
      int target = Integer.parseInt(rest.substring(dot + 2));
      if (bus < 0 || target < 0 || !name(host, bus, target).equals(iqn.toLowerCase(Locale.ROOT))) {
        return Optional.empty();
      }
      return Optional.of(new int[] {bus, target});
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
