package org.camstack.stack.ccb;

/**
 * A path through the EDT: bus (path id), target and LUN, any of which may be a wildcard.
 *
 * <p>cf. {@code struct cam_path} and {@code xpt_path_comp()} in sys/cam/cam_xpt.c. Unlike CAM's
 * path this is a plain value: it names a place in the topology, it holds no reference to it.
 * Wildcards are {@link #WILDCARD} (CAM's {@code ~0}).
 */
public record CamPath(int bus, int target, long lun) {

  /** CAM_BUS_WILDCARD, CAM_TARGET_WILDCARD, CAM_LUN_WILDCARD (and CAM_XPT_PATH_ID). */
  public static final int WILDCARD = -1;

  /** The XPT's own wildcard path (the {@code xpt0} periph sits here). */
  public static final CamPath XPT = new CamPath(WILDCARD, WILDCARD, WILDCARD);

  public CamPath {
    if (bus < WILDCARD || target < WILDCARD || lun < WILDCARD) {
      throw new IllegalArgumentException("negative path component: " + bus + ":" + target + ":" + lun);
    }
  }

  public static CamPath of(int bus, int target, long lun) {
    return new CamPath(bus, target, lun);
  }

  /** Every device on {@code bus}. */
  public static CamPath bus(int bus) {
    return new CamPath(bus, WILDCARD, WILDCARD);
  }

  /** Every LUN of one target. */
  public static CamPath target(int bus, int target) {
    return new CamPath(bus, target, WILDCARD);
  }

  /**
   * Parses {@code B}, {@code B:T} or {@code B:T:L} (camcontrol's form), an optional {@code scbus}
   * prefix, and {@code all}/{@code *} for wildcards.
   *
   * @throws IllegalArgumentException with a one-line message when the text is malformed
   */
  public static CamPath parse(String text) {
    String s = text.trim();
    if (s.equalsIgnoreCase("all")) {
      return XPT;
    }
    if (s.startsWith("scbus")) {
      s = s.substring(5);
    }
    String[] parts = s.split(":", -1);
    if (parts.length < 1 || parts.length > 3) {
      throw new IllegalArgumentException("malformed path '" + text + "': expected B, B:T or B:T:L");
    }
    try {
      int bus = component(parts[0]);
      int target = parts.length > 1 ? component(parts[1]) : WILDCARD;
      long lun = parts.length > 2 ? component(parts[2]) : WILDCARD;
      return new CamPath(bus, target, lun);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("malformed path '" + text + "': expected B, B:T or B:T:L");
    }
  }

  private static int component(String p) {
    if (p.equals("*") || p.equals("-1")) {
      return WILDCARD;
    }
    int v = Integer.parseInt(p);
    if (v < 0) {
      throw new IllegalArgumentException();
    }
    return v;
  }

  public boolean isWildcard() {
    return bus == WILDCARD || target == WILDCARD || lun == WILDCARD;
  }

  /** True when this (possibly wildcard) path covers {@code other}. */
  public boolean matches(CamPath other) {
    return (bus == WILDCARD || bus == other.bus)
        && (target == WILDCARD || target == other.target)
        && (lun == WILDCARD || lun == other.lun);
  }

  /**
   * cf. {@code xpt_path_comp()}: -1 mismatch, 0 exact, 1 this has wildcards covering {@code other},
   * 2 {@code other} has wildcards covering this.
   */
  public int compareTopology(CamPath other) {
    if (equals(other)) {
      return 0;
    }
    if (matches(other)) {
      return 1;
    }
    if (other.matches(this)) {
      return 2;
    }
    return -1;
  }

  public CamPath withLun(long newLun) {
    return new CamPath(bus, target, newLun);
  }

  /** {@code scbus0:1:0}, the form used in logs and the {@code camPath} MDC key. */
  @Override
  public String toString() {
    return "scbus" + bus + ":" + target + ":" + lun;
  }

  /** camcontrol's {@code B:T:L}. */
  public String btl() {
    return bus + ":" + target + ":" + lun;
  }
}
