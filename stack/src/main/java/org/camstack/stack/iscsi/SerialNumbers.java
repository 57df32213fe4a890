package org.camstack.stack.iscsi;

/**
 * RFC 1982 serial number arithmetic with SERIAL_BITS = 32, as iSCSI uses for CmdSN, StatSN, DataSN
 * and R2TSN (RFC 7143 §4.2.2.1). Values are 32-bit unsigned numbers held in an int. Two numbers
 * exactly 2^31 apart are not ordered: neither is less than the other.
 */
public final class SerialNumbers {

  private SerialNumbers() {}

  /** s1 &lt; s2 in serial arithmetic. */
  public static boolean lessThan(int s1, int s2) {
    int d = s2 - s1; // mod 2^32
    return d != 0 && d != Integer.MIN_VALUE && d > 0;
  }

  /** s1 &gt; s2 in serial arithmetic. */
  public static boolean greaterThan(int s1, int s2) {
    return lessThan(s2, s1);
  }

  /** s1 &le; s2: equal or less. */
  public static boolean lessOrEqual(int s1, int s2) {
    return s1 == s2 || lessThan(s1, s2);
  }

  /**
   * Whether sn lies in the window [low, high], both ends included, e.g. a non-immediate CmdSN
   * against [ExpCmdSN, MaxCmdSN] (§4.2.2.1). An empty window (high = low - 1) holds nothing.
   */
  public static boolean inWindow(int sn, int low, int high) {
    return lessOrEqual(low, sn) && lessOrEqual(sn, high);
  }

  /** sn + n, for 0 &le; n &le; 2^31 - 1 (RFC 1982 §3.1). */
  public static int add(int sn, int n) {
    if (n < 0) {
      throw new IllegalArgumentException("serial addition takes 0..2^31-1: " + n);
    }
    return sn + n;
  }
}
