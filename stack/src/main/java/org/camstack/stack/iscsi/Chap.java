package org.camstack.stack.iscsi;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.camstack.stack.secret.SecretFile;

/**
 * CHAP (RFC 1994) as iSCSI uses it during security negotiation (RFC 7143 §12.1.3): algorithm
 * {@value #ALGORITHM_MD5} (MD5) only; the authenticator sends {@code CHAP_I} (one byte) and
 * {@code CHAP_C} (a fresh random challenge), the peer answers {@code CHAP_N} (its name) and
 * {@code CHAP_R} = MD5(id byte || secret || challenge). In mutual CHAP the initiator also sends its own
 * {@code CHAP_I}/{@code CHAP_C} and the target answers with the mutual secret.
 *
 * <p>Pure functions and values, no I/O except {@link #load(Path)}. Secrets never appear in a
 * {@code toString} or an exception message; responses are compared in constant time
 * ({@link MessageDigest#isEqual}). Binary values ({@code CHAP_C}, {@code CHAP_R}) use RFC 7143's
 * encodings (§6.1, RFC 3720 §5.1): {@code 0x} hexadecimal or {@code 0b} base64.
 *
 * <p>Login state (which key comes when, the login status class on failure) is the frontend's
 * business, not this class's.
 */
public final class Chap {

  /** {@code CHAP_A=5}: MD5, the one algorithm RFC 7143 requires. */
  public static final int ALGORITHM_MD5 = 5;

  /** Length of a fresh challenge; RFC 7143 §12.1.3 wants it unpredictable and not short. */
  public static final int CHALLENGE_BYTES = 16;

  /**
   * Shortest secret {@link Account} accepts (96 bits): CHAP's exchange is visible on the wire, so a
   * short secret falls to an offline guess against one captured response.
   */
  public static final int MIN_SECRET_BYTES = 12;

  /** Longest secret and challenge accepted (a CHAP value travels in one login key). */
  public static final int MAX_SECRET_BYTES = 255;

  /** Longest binary value {@link #decode} accepts, in bytes (well over any challenge or response). */
  public static final int MAX_BINARY_BYTES = 1024;

  private static final HexFormat HEX = HexFormat.of();

  private Chap() {}

  /** A challenge the authenticator sends: {@code CHAP_I} and {@code CHAP_C}. */
  public record Challenge(int id, byte[] value) {
    public Challenge {
      checkId(id);
      if (value.length == 0 || value.length > MAX_BINARY_BYTES) {
        throw new IllegalArgumentException("challenge of " + value.length + " bytes");
      }
      value = value.clone();
    }

    @Override
    public byte[] value() {
      return value.clone();
    }

    /** {@code CHAP_C} as sent: hexadecimal. */
    public String encoded() {
      return encodeHex(value);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Challenge c && c.id == id && Arrays.equals(c.value, value);
    }

    @Override
    public int hashCode() {
      return 31 * id + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
      return "Challenge[id=" + id + ", value=" + encoded() + "]";
    }
  }

  /** A fresh challenge: a random id and {@value #CHALLENGE_BYTES} random bytes from {@code random}. */
  public static Challenge newChallenge(SecureRandom random) {
    byte[] value = new byte[CHALLENGE_BYTES];
    random.nextBytes(value);
    return new Challenge(random.nextInt(256), value);
  }

  /** CHAP_R for {@code id}, {@code secret} and {@code challenge}: MD5(id || secret || challenge). */
  public static byte[] response(int id, byte[] secret, byte[] challenge) {
    checkId(id);
    MessageDigest md5;
    try {
      md5 = MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has MD5", e);
    }
    md5.update((byte) id);
    md5.update(secret);
    md5.update(challenge);
    return md5.digest();
  }

  /**
   * Whether {@code response} (decoded CHAP_R) answers {@code challenge} for {@code secret}; compared in
   * constant time. A response of the wrong length is simply wrong.
   */
  public static boolean verify(Challenge challenge, byte[] secret, byte[] response) {
    return MessageDigest.isEqual(response(challenge.id(), secret, challenge.value), response);
  }

  /**
   * Whether the peer sent back our own challenge (a reflection attack, RFC 7143 §12.1.3): in mutual
   * CHAP the target must refuse an initiator challenge equal to the one it sent.
   */
  public static boolean reflected(Challenge ours, byte[] theirs) {
    return MessageDigest.isEqual(ours.value, theirs);
  }

  // ------------------------------------------------------------------ binary values (§6.1)

  /** {@code 0x} + lower-case hexadecimal. */
  public static String encodeHex(byte[] value) {
    return "0x" + HEX.formatHex(value);
  }

  /** {@code 0b} + base64 (RFC 4648, with padding). */
  public static String encodeBase64(byte[] value) {
    return "0b" + Base64.getEncoder().encodeToString(value);
  }

  /**
   * A binary value: {@code 0x}/{@code 0X} then hex digits (an odd count means a leading zero digit),
   * or {@code 0b}/{@code 0B} then base64 with its padding.
   *
   * @throws IllegalArgumentException no known prefix, no digits, a bad digit or base64 character,
   *     wrong base64 padding, or more than {@value #MAX_BINARY_BYTES} bytes
   */
  public static byte[] decode(String text) {
    if (text.length() < 3 || text.charAt(0) != '0') {
      throw new IllegalArgumentException("binary value must start with 0x or 0b and have digits: " + shorten(text));
    }
    char kind = text.charAt(1);
    String digits = text.substring(2);
    byte[] out;
    if (kind == 'x' || kind == 'X') {
      if (digits.length() > 2 * MAX_BINARY_BYTES) {
        throw new IllegalArgumentException("binary value longer than " + MAX_BINARY_BYTES + " bytes");
      }
      for (int i = 0; i < digits.length(); i++) {
        char c = digits.charAt(i);
        if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')) {
          throw new IllegalArgumentException("bad hex digit '" + digits.charAt(i) + "' in binary value");
        }
      }
      out = HEX.parseHex(digits.length() % 2 == 1 ? "0" + digits : digits);
    } else if (kind == 'b' || kind == 'B') {
      if (digits.length() % 4 != 0) {
        throw new IllegalArgumentException("base64 value of " + digits.length() + " characters: not padded to a multiple of 4");
      }
      if (digits.length() / 4 * 3 > MAX_BINARY_BYTES + 2) {
        throw new IllegalArgumentException("binary value longer than " + MAX_BINARY_BYTES + " bytes");
      }
      try {
        out = Base64.getDecoder().decode(digits);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("bad base64 in binary value: " + e.getMessage());
      }
    } else {
      throw new IllegalArgumentException("binary value must start with 0x or 0b: " + shorten(text));
    }
    if (out.length > MAX_BINARY_BYTES) {
      throw new IllegalArgumentException("binary value longer than " + MAX_BINARY_BYTES + " bytes");
    }
    return out;
  }

  /**
   * {@code CHAP_I}: a number 0..255, decimal or {@code 0x} hex (§6.1 numerical values).
   *
   * @throws IllegalArgumentException anything else
   */
  public static int parseId(String text) {
    int id;
    try {
      if (text.startsWith("0x") || text.startsWith("0X")) {
        id = text.length() > 2 && text.length() <= 6 ? Integer.parseInt(text.substring(2), 16) : -1;
      } else {
        id = !text.isEmpty() && text.length() <= 3 && text.chars().allMatch(Character::isDigit) ? Integer.parseInt(text) : -1;
      }
    } catch (NumberFormatException e) {
      id = -1;
    }
    if (id < 0 || id > 255) {
      throw new IllegalArgumentException("CHAP_I must be 0..255: " + shorten(text));
    }
    return id;
  }

  // ------------------------------------------------------------------ credentials

  /**
   * One CHAP name and its secret. The secret is held as bytes and copied in and out; it never shows in
   * {@link #toString()}.
   */
  public record Account(String user, byte[] secret) {
    public Account {
      if (user.isEmpty() || user.getBytes(StandardCharsets.UTF_8).length > TextKeys.MAX_VALUE_LENGTH || user.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("CHAP user must be 1.." + TextKeys.MAX_VALUE_LENGTH + " bytes without NUL");
      }
      if (secret.length < MIN_SECRET_BYTES || secret.length > MAX_SECRET_BYTES) {
        throw new IllegalArgumentException("CHAP secret for " + user + " is " + secret.length + " bytes; it must be "
            + MIN_SECRET_BYTES + ".." + MAX_SECRET_BYTES);
      }
      secret = secret.clone();
    }

    /** An account whose secret is the UTF-8 bytes of {@code secret}. */
    public static Account of(String user, String secret) {
      return new Account(user, secret.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public byte[] secret() {
      return secret.clone();
    }

    /** CHAP_R for a challenge addressed to this account. */
    public byte[] respond(Challenge challenge) {
      return response(challenge.id(), secret, challenge.value);
    }

    /** Whether {@code response} answers {@code challenge} with this account's secret (constant time). */
    public boolean verifies(Challenge challenge, byte[] response) {
      return verify(challenge, secret, response);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Account a && a.user.equals(user) && MessageDigest.isEqual(a.secret, secret);
    }

    @Override
    public int hashCode() {
      return user.hashCode();
    }

    @Override
    public String toString() {
      return "Account[user=" + user + ", secret=(hidden)]";
    }
  }

  /**
   * What a target checks and answers with: {@code initiator} is the name and secret an initiator must
   * prove (its CHAP_N and the secret behind its CHAP_R); {@code mutual}, when present, is the name and
   * secret the target answers the initiator's own challenge with (mutual CHAP). The two secrets must
   * differ (RFC 7143 §12.1.3: a secret is used in one direction only).
   */
  public record Credentials(Account initiator, Optional<Account> mutual) {
    public Credentials {
      if (mutual.isPresent() && MessageDigest.isEqual(mutual.get().secret, initiator.secret)) {
        throw new IllegalArgumentException("the mutual CHAP secret must differ from the initiator's");
      }
    }

    public static Credentials oneWay(Account initiator) {
      return new Credentials(initiator, Optional.empty());
    }

    @Override
    public String toString() {
      return "Credentials[user=" + initiator.user()
          + mutual.map(m -> ", mutualUser=" + m.user()).orElse("") + ", secrets hidden]";
    }
  }

  /** Keys of a CHAP secrets file, in the order they are written. */
  public static final List<String> FILE_KEYS = List.of("user", "secret", "mutual-user", "mutual-secret");

  /**
   * Credentials from a file only its owner may read (mode 0600, the same check as the API's
   * {@code --token-file}, see {@link SecretFile}); lines {@code key=value}, blank lines and
   * {@code #} comments ignored:
   *
   * <pre>
   * user=iqn.2026-12.org.example:host1
   * secret=twelve-or-more-bytes
   * mutual-user=iqn.2026-12.org.camstack:node     (optional, with mutual-secret)
   * mutual-secret=another-secret-12+
   * </pre>
   *
   * A secret written {@code 0x...} or {@code 0b...} is binary (§6.1), anything else is its UTF-8 text.
   *
   * @throws IllegalArgumentException the file's mode, an unknown or repeated key, a missing user or
   *     secret, a mutual user without a mutual secret or the reverse, or a bad secret; the message
   *     names the line, never the secret
   */
  public static Credentials load(Path file) {
    List<String> lines = SecretFile.lines(file, "CHAP secrets");
    Map<String, String> keys = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int eq = line.indexOf('=');
      String where = file + " line " + (i + 1);
      if (eq < 0) {
        throw new IllegalArgumentException(where + ": expected key=value");
      }
      String key = line.substring(0, eq).strip();
      if (!FILE_KEYS.contains(key)) {
        throw new IllegalArgumentException(where + ": unknown key '" + shorten(key) + "' (known: " + String.join(", ", FILE_KEYS) + ")");
      }
      if (keys.putIfAbsent(key, line.substring(eq + 1).strip()) != null) {
        throw new IllegalArgumentException(where + ": " + key + " given twice");
      }
    }
    try {
      Account initiator = account(keys, "user", "secret");
      if (initiator == null) {
        throw new IllegalArgumentException("needs user= and secret=");
      }
      return new Credentials(initiator, Optional.ofNullable(account(keys, "mutual-user", "mutual-secret")));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage());
    }
  }

  private static Account account(Map<String, String> keys, String userKey, String secretKey) {
    String user = keys.get(userKey);
    String secret = keys.get(secretKey);
    if (user == null && secret == null) {
      return null;
    }
    if (user == null || secret == null) {
      throw new IllegalArgumentException(userKey + " and " + secretKey + " go together");
    }
    byte[] bytes;
    if (secret.startsWith("0x") || secret.startsWith("0X") || secret.startsWith("0b") || secret.startsWith("0B")) {
      try {
        bytes = decode(secret);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(secretKey + " is not a valid binary value (0x hex or 0b base64)");
      }
    } else {
      bytes = secret.getBytes(StandardCharsets.UTF_8);
    }
    return new Account(user, bytes);
  }

  private static void checkId(int id) {
    if (id < 0 || id > 255) {
      throw new IllegalArgumentException("CHAP identifier must be 0..255: " + id);
    }
  }

  /** Peer-supplied text in a message, cut short. */
  private static String shorten(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
