package org.camstack.stack.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.camstack.stack.iscsi.TextKeys.Pair;
import org.camstack.stack.iscsi.TextKeys.Parsed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TextKeysTest {

  private static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void parsesInOrderKeepingRepeatsAndEmptyValues() {
    Parsed p = TextKeys.parse(text("SendTargets=All\0TargetName=iqn.a\0TargetAddress=127.0.0.1:3260,1\0TargetName=iqn.b\0X-com.example.k=\0"));
    assertEquals(List.of(new Pair("SendTargets", "All"), new Pair("TargetName", "iqn.a"),
        new Pair("TargetAddress", "127.0.0.1:3260,1"), new Pair("TargetName", "iqn.b"),
        new Pair("X-com.example.k", "")), assertInstanceOf(Parsed.Ok.class, p).pairs());
    assertEquals(List.of(), assertInstanceOf(Parsed.Ok.class, TextKeys.parse(new byte[0])).pairs());
  }

  @Test
  void formatIsTheInverseOfParse() {
    List<Pair> pairs = List.of(new Pair("HeaderDigest", "CRC32C,None"), new Pair("MaxRecvDataSegmentLength", "262144"),
        new Pair("InitiatorName", "iqn.2026-12.org.camstack:ü"));
    byte[] b = TextKeys.format(pairs);
    assertEquals(pairs, assertInstanceOf(Parsed.Ok.class, TextKeys.parse(b)).pairs());
    assertArrayEquals(text("HeaderDigest=CRC32C,None\0MaxRecvDataSegmentLength=262144\0InitiatorName=iqn.2026-12.org.camstack:ü\0"), b);
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of("no NUL at the end", "A=1\0B=2", "pair 2 is not NUL-terminated"),
        Arguments.of("no '='", "A=1\0B\0", "pair 2 has no '='"),
        Arguments.of("empty pair", "A=1\0\0", "pair 2 has no '='"),
        Arguments.of("empty key", "=1\0", "pair 1: empty key"),
        Arguments.of("bad key character", "A B=1\0", "pair 1: key A B has character ' '"),
        Arguments.of("64-byte key", "K".repeat(64) + "=1\0", "pair 1: key longer than 63 bytes"),
        Arguments.of("256-byte value", "K=" + "v".repeat(256) + "\0", "value of K is 256 bytes, over 255"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void malformedTextIsAnError(String what, String input, String message) {
    assertEquals(new Parsed.Error(message), TextKeys.parse(text(input)));
  }

  @Test
  void limitsAreInclusive() {
    assertInstanceOf(Parsed.Ok.class, TextKeys.parse(text("K".repeat(63) + "=" + "v".repeat(255) + "\0")));
    assertInstanceOf(Parsed.Ok.class, TextKeys.parse(text("CHAP_C=0x" + "a".repeat(2000) + "\0"), 8192));
  }

  @Test
  void formatRefusesWhatParseWouldReject() {
    assertThrows(IllegalArgumentException.class, () -> TextKeys.format(List.of(new Pair("a=b", "1"))));
    assertThrows(IllegalArgumentException.class, () -> TextKeys.format(List.of(new Pair("K", "a\0b"))));
    assertThrows(IllegalArgumentException.class, () -> TextKeys.format(List.of(new Pair("K", "v".repeat(256)))));
  }
}
