package org.camstack.persistence.device;

/** Lowercase hex strings for byte payloads kept in events (mode pages, sense data). */
final class Hex {
  private Hex() {}

  /** True if {@code s} has an even number of hex digits (the empty string included). */
  static boolean isHex(String s) {
    if (s.length() % 2 != 0) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (Character.digit(s.charAt(i), 16) < 0) {
        return false;
      }
    }
    return true;
  }
}
