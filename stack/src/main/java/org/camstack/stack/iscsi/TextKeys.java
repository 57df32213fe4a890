package org.camstack.stack.iscsi;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The text format of Login and Text PDU data (RFC 7143 §6.1): {@code key=value} pairs, each ended by
 * a NUL byte, UTF-8. Key names are at most {@value #MAX_KEY_LENGTH} bytes of letters, digits and
 * {@code . - + @ _}; values at most {@value #MAX_VALUE_LENGTH} bytes unless the caller allows more
 * (e.g. CHAP challenges). Order is kept, and so are repeated keys (a SendTargets answer repeats
 * TargetName and TargetAddress); whether a key may repeat is the negotiation's business. Malformed input is a {@link Parsed.Error}, never an
 * exception.
 */
public final class TextKeys {

  public static final int MAX_KEY_LENGTH = 63;
  public static final int MAX_VALUE_LENGTH = 255;

  private TextKeys() {}

  /** One pair, in the order it came. */
  public record Pair(String key, String value) {}

  public sealed interface Parsed {
    record Ok(List<Pair> pairs) implements Parsed {
      public Ok {
        pairs = List.copyOf(pairs);
      }
    }

    record Error(String message) implements Parsed {}
  }

  /** Parses text data with values of at most {@value #MAX_VALUE_LENGTH} bytes. */
  public static Parsed parse(byte[] data) {
    return parse(data, MAX_VALUE_LENGTH);
  }

  public static Parsed parse(byte[] data, int maxValueLength) {
    List<Pair> pairs = new ArrayList<>();
    int start = 0;
    while (start < data.length) {
      int nul = start;
      while (nul < data.length && data[nul] != 0) {
        nul++;
      }
      if (nul == data.length) {
        return new Parsed.Error("pair " + (pairs.size() + 1) + " is not NUL-terminated");
      }
      int eq = start;
      while (eq < nul && data[eq] != '=') {
        eq++;
      }
      if (eq == nul) {
        return new Parsed.Error("pair " + (pairs.size() + 1) + " has no '='");
      }
      String key = new String(data, start, eq - start, StandardCharsets.UTF_8);
      String problem = keyProblem(key);
      if (problem != null) {
        return new Parsed.Error("pair " + (pairs.size() + 1) + ": " + problem);
      }
      if (nul - eq - 1 > maxValueLength) {
        return new Parsed.Error("value of " + key + " is " + (nul - eq - 1) + " bytes, over " + maxValueLength);
      }
      pairs.add(new Pair(key, new String(data, eq + 1, nul - eq - 1, StandardCharsets.UTF_8)));
      start = nul + 1;
    }
    return new Parsed.Ok(pairs);
  }

  /** Null if the key name is well formed, else why not. */
  static String keyProblem(String key) {
    if (key.isEmpty()) {
      return "empty key";
    }
    if (key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_LENGTH) {
      return "key longer than " + MAX_KEY_LENGTH + " bytes";
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '.' || c == '-' || c == '+' || c == '@' || c == '_';
      if (!ok) {
        return "key " + key + " has character '" + c + "'";
      }
    }
    return null;
  }

  /**
   * The text data of pairs, in order.
   *
   * @throws IllegalArgumentException for a malformed key or a value with a NUL or over {@code
   *     maxValueLength} bytes (our own pairs: a bug, not peer input)
   */
  public static byte[] format(List<Pair> pairs, int maxValueLength) {
    StringBuilder sb = new StringBuilder();
    for (Pair p : pairs) {
      String problem = keyProblem(p.key());
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
      if (p.value().indexOf('\0') >= 0 || p.value().getBytes(StandardCharsets.UTF_8).length > maxValueLength) {
        throw new IllegalArgumentException("bad value for " + p.key());
      }
      sb.append(p.key()).append('=').append(p.value()).append('\0');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  public static byte[] format(List<Pair> pairs) {
    return format(pairs, MAX_VALUE_LENGTH);
  }
}
