package org.camstack.stack.target;

/**
 * One mode page's four value sets (SPC: current, changeable mask, default, saved). Guarded by the
 * owning {@link ModePageSet}'s lock. Byte 0 holds the page code, byte 1 the page length.
 */
final class ModePage {
  final int code;
  final byte[] current;
  final byte[] changeable;
  final byte[] defaults;
  final byte[] saved;

  ModePage(byte[] defaults, byte[] changeable) {
    if (defaults.length != changeable.length || (defaults[1] & 0xff) != defaults.length - 2) {
      throw new IllegalStateException("malformed mode page 0x" + Integer.toHexString(defaults[0]));
    }
    this.code = defaults[0] & 0x3f;
    this.defaults = defaults.clone();
    this.changeable = changeable.clone();
    this.changeable[0] = defaults[0];
    this.changeable[1] = defaults[1];
    this.current = defaults.clone();
    this.saved = defaults.clone();
  }

  int length() {
    return defaults.length;
  }

  /** The values for page control {@code pc} (0 current, 1 changeable, 2 default, 3 saved). */
  byte[] values(int pc) {
    switch (pc) {
      case 0:
        return current;
      case 1:
        return changeable;
      case 2:
        return defaults;
      default:
        return saved;
    }
  }
}
