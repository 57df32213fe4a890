package org.camstack.persistence;

import java.util.regex.Pattern;

/**
 * Entity keys. A device is keyed by its stable identity (the emulated NAA WWN, e.g. {@code
 * naa.5000c50012345678}, or a serial-based designator), never by a unit name: unit numbers are
 * reused, so {@code da3} names different devices over time (cf. the 2012 pass(4) fix, commit
 * ea37f51942).
 */
public final class StableIds {
  private StableIds() {}

  /** What a CAM unit name looks like ({@code da0}, {@code pass12}, {@code ses1}). */
  private static final Pattern UNIT_NAME = Pattern.compile("[a-z]+[0-9]+");

  /**
   * Returns {@code key} if it can key a device entity.
   *
   * @throws IllegalArgumentException if it is blank, contains {@code |} or whitespace, or looks like
   *     a unit name
   */
  public static String requireDeviceKey(String key) {
    if (key == null || key.isBlank()) {
      throw new IllegalArgumentException("device key must not be blank");
    }
    if (key.indexOf('|') >= 0 || key.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException("device key must not contain '|' or whitespace: " + key);
    }
    if (UNIT_NAME.matcher(key).matches()) {
      throw new IllegalArgumentException(
          "device key " + key + " looks like a unit name; key devices by their WWN");
    }
    return key;
  }

  /** Returns {@code hostId} if it can key a per-host entity (non-blank, no {@code |}). */
  public static String requireHostId(String hostId) {
    if (hostId == null || hostId.isBlank() || hostId.indexOf('|') >= 0) {
      throw new IllegalArgumentException("host id must be non-blank without '|': " + hostId);
    }
    return hostId;
  }
}
