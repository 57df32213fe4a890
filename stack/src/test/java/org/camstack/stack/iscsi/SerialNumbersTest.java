package org.camstack.stack.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SerialNumbersTest {

  private static final int MAX = 0xFFFF_FFFF; // 2^32 - 1 as an int

  static Stream<Arguments> lessThanTable() {
    // s1, s2, s1 < s2, s2 < s1
    return Stream.of(
        Arguments.of("equal", 5, 5, false, false),
        Arguments.of("plain", 1, 2, true, false),
        Arguments.of("wrap: 2^32-1 < 0", MAX, 0, true, false),
        Arguments.of("wrap: 2^32-1 < 5", MAX, 5, true, false),
        Arguments.of("2^31-1 apart", 0, 0x7FFF_FFFF, true, false),
        Arguments.of("2^31 apart: undefined, neither", 0, 0x8000_0000, false, false),
        Arguments.of("2^31+1 apart", 0, 0x8000_0001, false, true),
        Arguments.of("high half", 0x8000_0000, 0xFFFF_FFF0, true, false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("lessThanTable")
  void lessThan(String what, int s1, int s2, boolean lt, boolean gt) {
    assertEquals(lt, SerialNumbers.lessThan(s1, s2), "lessThan");
    assertEquals(gt, SerialNumbers.lessThan(s2, s1), "reverse");
    assertEquals(gt, SerialNumbers.greaterThan(s1, s2), "greaterThan");
  }

  static Stream<Arguments> windowTable() {
    // sn, [low, high], inside
    return Stream.of(
        Arguments.of(10, 10, 41, true),
        Arguments.of(41, 10, 41, true),
        Arguments.of(9, 10, 41, false),
        Arguments.of(42, 10, 41, false),
        Arguments.of(0, MAX - 1, 30, true),
        Arguments.of(MAX, MAX - 1, 30, true),
        Arguments.of(MAX - 2, MAX - 1, 30, false),
        Arguments.of(31, MAX - 1, 30, false),
        Arguments.of(10, 10, 10, true),
        Arguments.of(10, 10, 9, false), // MaxCmdSN = ExpCmdSN - 1: window closed
        Arguments.of(9, 10, 9, false));
  }

  @ParameterizedTest(name = "{0} in [{1}, {2}] = {3}")
  @MethodSource("windowTable")
  void inWindow(int sn, int low, int high, boolean inside) {
    assertEquals(inside, SerialNumbers.inWindow(sn, low, high));
  }

  @Test
  void addWraps() {
    assertEquals(4, SerialNumbers.add(MAX, 5));
    assertThrows(IllegalArgumentException.class, () -> SerialNumbers.add(0, -1));
  }
}
