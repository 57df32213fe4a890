package org.camstack.stack.target;

import org.camstack.persistence.device.FaultRule;


/**
 * Where an emulated device reports that a durable part of its state changed (media, mode pages,
 * reservation, fault rules, delay, capacity, unit attentions, expander phys), so that someone can record it. The
 * device only says <em>which</em> aspects changed; the receiver reads the new values from the
 * device when it gets to it (level-triggered), so a burst of changes costs one record.
 *
 * <p>Called on whatever thread made the change: a device queue's (START STOP UNIT, RESERVE, MODE
 * SELECT, a unit attention reported, a one-shot fault fired) or the SIM actor's (faults, delays,
 * resets, resize). An implementation must be cheap and must not block: at most a flag and a
 * {@code tell}. Normal READ/WRITE never call it.
 */
public interface DeviceStateSink {

  /** START STOP UNIT, medium loaded or ejected, PREVENT ALLOW MEDIUM REMOVAL. */
  int MEDIA = 1;
  /** MODE SELECT or a reset changed the current value of a mode page. */
  int MODE_PAGES = 1 << 1;
  /** SPC-2 RESERVE / RELEASE, or a reset released the reservation. */
  int RESERVATION = 1 << 2;
  /** A fault rule was added, removed or (one-shot) consumed. */
  int FAULTS = 1 << 3;
  /** The injected delay changed. */
  int DELAY = 1 << 4;
  /** The capacity changed (resize). */
  int CAPACITY = 1 << 5;
  /** A unit attention was posted, reported (consumed) or cleared. */
  int UNIT_ATTENTIONS = 1 << 6;
  /** A SAS expander's phy was disabled or enabled (SMP PHY CONTROL). */
  int PHYS = 1 << 7;

  /** Ignores everything (a device nobody records). */
  DeviceStateSink NONE = (device, aspects) -> {};

  /**
   * Some durable state of {@code device} changed.
   *
   * @param aspects the {@code MEDIA | MODE_PAGES | ...} bits that changed
   */
  void changed(EmuDevice device, int aspects);

  /**
   * A one-shot fault rule fires: called just before it leaves {@link EmuDevice#faults()} (under the
   * device's fault lock: keep it trivial) and followed by {@code changed(device, FAULTS)}, so the
   * receiver can tell a consumed rule from a deleted one.
   */
  default void faultFired(EmuDevice device, FaultRule rule) {}
}
