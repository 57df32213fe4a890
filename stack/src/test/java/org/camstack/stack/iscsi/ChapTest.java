package org.camstack.stack.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.camstack.stack.iscsi.Chap.Account;
import org.camstack.stack.iscsi.Chap.Challenge;
import org.camstack.stack.iscsi.Chap.Credentials;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ChapTest {

  private static byte[] hex(String h) {
    return HexFormat.of().parseHex(h);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * RFC 1994 §4.1 responses, computed independently of this code (one-off
   * {@code python3 -c "hashlib.md5(bytes([id]) + secret + challenge)"}, the first also with
   * {@code openssl md5} over the same bytes) and recorded here as constants.
   */
  static Stream<Arguments> vectors() {
    return Stream.of(
        Arguments.of(0x01, utf8("abcdefghijkl"), hex("000102030405060708090a0b0c0d0e0f"), "0ba5fab36926a6aab1f2e4aa6cf1158d"),
        Arguments.of(0xff, utf8("camstack-secret-1"), hex("aa".repeat(16)), "ab032096ca95f41af6c433288e68b966"),
        Arguments.of(0x00, utf8("s3cr3t-pass!"), hex("0123456789abcdef".repeat(3)), "13de53760fcfa2e41cd0c9e09b52e2d7"),
        Arguments.of(0x80, utf8("пароль-длинный"), hex("deadbeef"), "b7240c8ff7903189f9dde06ebe0d894d"));
  }

  @ParameterizedTest(name = "id {0}")
  @MethodSource("vectors")
  void responseIsMd5OfIdSecretChallenge(int id, byte[] secret, byte[] challenge, String expected) {
    assertEquals(expected, HexFormat.of().formatHex(Chap.response(id, secret, challenge)));
    Challenge c = new Challenge(id, challenge);
    assertTrue(Chap.verify(c, secret, hex(expected)));
    // one bit off anywhere, a truncated or an over-long response: refused
    byte[] wrong = hex(expected);
    wrong[15] ^= 1;
    assertFalse(Chap.verify(c, secret, wrong));
    assertFalse(Chap.verify(c, secret, java.util.Arrays.copyOf(hex(expected), 15)));
    assertFalse(Chap.verify(c, secret, java.util.Arrays.copyOf(hex(expected), 17)));
    assertFalse(Chap.verify(new Challenge((id + 1) & 0xff, challenge), secret, hex(expected)));
  }

  @Test
  void freshChallengesAreSixteenRandomBytesAndDiffer() {
    SecureRandom random = new SecureRandom();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      Challenge c = Chap.newChallenge(random);
      assertEquals(Chap.CHALLENGE_BYTES, c.value().length);
      assertTrue(c.id() >= 0 && c.id() <= 255);
      assertTrue(seen.add(c.encoded()), "challenge repeated: " + c);
    }
    assertTrue(Chap.CHALLENGE_BYTES >= 16);
  }

  @Test
  void aChallengeIsImmutable() {
    byte[] v = hex("00112233");
    Challenge c = new Challenge(7, v);
    v[0] = 9;
    c.value()[1] = 9;
    assertEquals("0x00112233", c.encoded());
    assertEquals(new Challenge(7, hex("00112233")), c);
    assertNotEquals(new Challenge(8, hex("00112233")), c);
    assertThrows(IllegalArgumentException.class, () -> new Challenge(256, v));
    assertThrows(IllegalArgumentException.class, () -> new Challenge(-1, v));
    assertThrows(IllegalArgumentException.class, () -> new Challenge(1, new byte[0]));
  }

  @Test
  void aReflectedChallengeIsDetected() {
    Challenge ours = new Challenge(3, hex("0102030405060708090a0b0c0d0e0f10"));
    assertTrue(Chap.reflected(ours, hex("0102030405060708090a0b0c0d0e0f10")));
    assertFalse(Chap.reflected(ours, hex("0102030405060708090a0b0c0d0e0f11")));
  }

  static Stream<Arguments> binaryValues() {
    return Stream.of(
        Arguments.of("0x0ba5fab36926a6aab1f2e4aa6cf1158d", "0ba5fab36926a6aab1f2e4aa6cf1158d"),
        Arguments.of("0X0BA5FAB3", "0ba5fab3"),
        Arguments.of("0xABC", "0abc"), // odd digit count: a leading zero digit
        Arguments.of("0x1", "01"),
        Arguments.of("0bC6X6s2kmpqqx8uSqbPEVjQ==", "0ba5fab36926a6aab1f2e4aa6cf1158d"),
        Arguments.of("0BAQID", "010203"),
        Arguments.of("0bAQI=", "0102"),
        Arguments.of("0bAAECAwQFBgcICQoLDA0ODw==", "000102030405060708090a0b0c0d0e0f"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("binaryValues")
  void binaryValuesDecode(String text, String bytes) {
    assertArrayEquals(hex(bytes), Chap.decode(text));
  }

  @Test
  void encodingsRoundTrip() {
    byte[] v = hex("000102030405060708090a0b0c0d0e0f");
    assertEquals("0x000102030405060708090a0b0c0d0e0f", Chap.encodeHex(v));
    assertEquals("0bAAECAwQFBgcICQoLDA0ODw==", Chap.encodeBase64(v));
    assertArrayEquals(v, Chap.decode(Chap.encodeHex(v)));
    assertArrayEquals(v, Chap.decode(Chap.encodeBase64(v)));
  }

  static Stream<Arguments> malformedBinary() {
    return Stream.of(
        Arguments.of("no prefix", "0ba5fab3"),
        Arguments.of("decimal", "12345"),
        Arguments.of("empty", ""),
        Arguments.of("prefix only (hex)", "0x"),
        Arguments.of("prefix only (base64)", "0b"),
        Arguments.of("unknown prefix", "0z1234"),
        Arguments.of("bad hex digit", "0x12g4"),
        Arguments.of("hex with space", "0x12 34"),
        Arguments.of("hex with sign", "0x-1"),
        Arguments.of("non-ASCII digit", "0x١٢"),
        Arguments.of("base64 unpadded", "0bAQI"),
        Arguments.of("base64 bad character", "0bAQ*D"),
        Arguments.of("base64 too much padding", "0bA==="),
        Arguments.of("too long", "0x" + "00".repeat(Chap.MAX_BINARY_BYTES + 1)),
        Arguments.of("too long base64", Chap.encodeBase64(new byte[Chap.MAX_BINARY_BYTES + 3])));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedBinary")
  void malformedBinaryValuesAreRefused(String what, String text) {
    assertThrows(IllegalArgumentException.class, () -> Chap.decode(text));
  }

  @Test
  void theLongestBinaryValueIsAccepted() {
    assertEquals(Chap.MAX_BINARY_BYTES, Chap.decode("0x" + "ab".repeat(Chap.MAX_BINARY_BYTES)).length);
    assertEquals(Chap.MAX_BINARY_BYTES, Chap.decode(Chap.encodeBase64(new byte[Chap.MAX_BINARY_BYTES])).length);
  }

  @Test
  void chapIdentifiers() {
    assertEquals(0, Chap.parseId("0"));
    assertEquals(255, Chap.parseId("255"));
    assertEquals(17, Chap.parseId("017"));
    assertEquals(255, Chap.parseId("0xff"));
    for (String bad : new String[] {"256", "-1", "", "1a", "0x", "0x100", "1000", " 1", "0b1"}) {
      assertThrows(IllegalArgumentException.class, () -> Chap.parseId(bad), bad);
    }
  }

  @Test
  void secretsNeverPrint() {
    Account a = Account.of("iqn.2026-12.org.example:host1", "correct-horse-battery");
    Account m = Account.of("iqn.2026-12.org.camstack:node", "staple-and-more-bytes");
    Credentials c = new Credentials(a, Optional.of(m));
    for (String s : new String[] {a.toString(), m.toString(), c.toString()}) {
      assertFalse(s.contains("horse") || s.contains("staple"), s);
    }
    assertTrue(c.toString().contains("iqn.2026-12.org.example:host1") && c.toString().contains("mutualUser=iqn.2026-12.org.camstack:node"), c.toString());
    byte[] out = a.secret();
    out[0] = 'X';
    assertEquals("correct-horse-battery", new String(a.secret(), StandardCharsets.UTF_8));
  }

  @Test
  void accountsAnswerAndCheckChallenges() {
    Account a = Account.of("u", "abcdefghijkl");
    Challenge c = new Challenge(1, hex("000102030405060708090a0b0c0d0e0f"));
    assertArrayEquals(hex("0ba5fab36926a6aab1f2e4aa6cf1158d"), a.respond(c));
    assertTrue(a.verifies(c, hex("0ba5fab36926a6aab1f2e4aa6cf1158d")));
    assertFalse(Account.of("u", "abcdefghijkm").verifies(c, hex("0ba5fab36926a6aab1f2e4aa6cf1158d")));
  }

  @Test
  void accountLimits() {
    assertThrows(IllegalArgumentException.class, () -> Account.of("u", "elevenbytes"));
    Account.of("u", "twelve-bytes");
    new Account("u", new byte[Chap.MAX_SECRET_BYTES]);
    assertThrows(IllegalArgumentException.class, () -> new Account("u", new byte[Chap.MAX_SECRET_BYTES + 1]));
    assertThrows(IllegalArgumentException.class, () -> Account.of("", "twelve-bytes"));
    assertThrows(IllegalArgumentException.class, () -> Account.of("a\0b", "twelve-bytes"));
    assertThrows(IllegalArgumentException.class, () -> Account.of("u".repeat(256), "twelve-bytes"));
    assertThrows(IllegalArgumentException.class,
        () -> new Credentials(Account.of("a", "same-secret-12"), Optional.of(Account.of("b", "same-secret-12"))));
  }

  @TempDir Path dir;

  private Path secrets(String perms, String text) throws Exception {
    Path f = Files.createTempFile(dir, "chap", "");
    Files.writeString(f, text);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
    return f;
  }

  @Test
  void loadsOneWayAndMutualCredentials() throws Exception {
    Credentials one = Chap.load(secrets("rw-------", "# one-way\nuser=iqn.2026-12.org.example:h\nsecret = twelve-bytes!\n\n"));
    assertEquals(Credentials.oneWay(Account.of("iqn.2026-12.org.example:h", "twelve-bytes!")), one);
    Credentials both = Chap.load(secrets("r--------",
        "user=alice\nsecret=0x000102030405060708090a0b\nmutual-user=node\nmutual-secret=0bAAECAwQFBgcICQoLDA0ODw==\n"));
    assertArrayEquals(hex("000102030405060708090a0b"), both.initiator().secret());
    assertEquals("node", both.mutual().orElseThrow().user());
    assertArrayEquals(hex("000102030405060708090a0b0c0d0e0f"), both.mutual().orElseThrow().secret());
  }

  static Stream<Arguments> badFiles() {
    return Stream.of(
        Arguments.of("group-readable", "rw-r-----", "user=u\nsecret=twelve-bytes-x\n", "accessible by others (mode rw-r-----); chmod 600 it"),
        Arguments.of("world-writable", "rw-----w-", "user=u\nsecret=twelve-bytes-x\n", "chmod 600"),
        Arguments.of("no secret", "rw-------", "user=u\n", "user and secret go together"),
        Arguments.of("empty", "rw-------", "# nothing\n", "needs user= and secret="),
        Arguments.of("no =", "rw-------", "user u\n", "line 1: expected key=value"),
        Arguments.of("unknown key", "rw-------", "user=u\npassword=twelve-bytes-x\n", "line 2: unknown key 'password'"),
        Arguments.of("repeated key", "rw-------", "user=u\nuser=v\nsecret=twelve-bytes-x\n", "line 2: user given twice"),
        Arguments.of("short secret", "rw-------", "user=u\nsecret=short\n", "is 5 bytes; it must be 12..255"),
        Arguments.of("mutual half", "rw-------", "user=u\nsecret=twelve-bytes-x\nmutual-user=n\n", "mutual-user and mutual-secret go together"),
        Arguments.of("same secret both ways", "rw-------",
            "user=u\nsecret=twelve-bytes-x\nmutual-user=n\nmutual-secret=twelve-bytes-x\n", "must differ"),
        Arguments.of("bad binary secret", "rw-------", "user=u\nsecret=0xnot-hex-secret\n", "secret is not a valid binary value"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badFiles")
  void badSecretFilesAreRefusedWithoutPrintingTheSecret(String what, String perms, String text, String message) throws Exception {
    Path f = secrets(perms, text);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Chap.load(f));
    assertTrue(e.getMessage().contains(message), e.getMessage());
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    assertFalse(e.getMessage().contains("twelve-bytes-x") || e.getMessage().contains("not-hex-secret"), e.getMessage());
  }

  @Test
  void aMissingFileIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Chap.load(dir.resolve("missing")));
    assertTrue(e.getMessage().contains("CHAP secrets file " + dir.resolve("missing") + " not found"), e.getMessage());
  }
}
