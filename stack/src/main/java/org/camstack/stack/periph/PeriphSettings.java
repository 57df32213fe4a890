package org.camstack.stack.periph;

import com.typesafe.config.Config;
import java.time.Duration;
import org.camstack.persistence.audit.LifetimeListener;

/**
 * Settings shared by every periph driver and instance.
 *
 * @param legacyMode the 2012-pre orderings (cf. commit ea37f51942, before): the unit is released
 *     before the destructor, devfs nodes are destroyed from the destructor with no callback and no
 *     devfs reference, pass has no D_TRACKCLOSE and adds its physical-path alias unconditionally,
 *     enc destroys its node synchronously in its destructor. Only to show the bugs.
 * @param listener receives lifetime events
 * @param ccbTimeoutMs default timeout of the CCBs drivers issue
 * @param sesRefreshInterval period of the enclosure daemon's status refresh
 */
public record PeriphSettings(
    boolean legacyMode, LifetimeListener listener, int ccbTimeoutMs, Duration sesRefreshInterval) {

  public PeriphSettings {
    listener = listener == null ? LifetimeListener.NOOP : listener;
  }

  /** Fixed mode, no listener. */
  public static PeriphSettings defaults() {
    return new PeriphSettings(false, LifetimeListener.NOOP, 10_000, Duration.ofSeconds(5));
  }

  /** From {@code camstack.legacy-mode} (reference.conf). */
  public static PeriphSettings fromConfig(Config config) {
    boolean legacy = config.hasPath("camstack.legacy-mode") && config.getBoolean("camstack.legacy-mode");
    return defaults().withLegacyMode(legacy);
  }

  public PeriphSettings withLegacyMode(boolean legacy) {
    return new PeriphSettings(legacy, listener, ccbTimeoutMs, sesRefreshInterval);
  }

  public PeriphSettings withListener(LifetimeListener l) {
    return new PeriphSettings(legacyMode, l, ccbTimeoutMs, sesRefreshInterval);
  }

  public PeriphSettings withSesRefreshInterval(Duration d) {
    return new PeriphSettings(legacyMode, listener, ccbTimeoutMs, d);
  }

  public PeriphSettings withCcbTimeoutMs(int ms) {
    return new PeriphSettings(legacyMode, listener, ms, sesRefreshInterval);
  }
}
