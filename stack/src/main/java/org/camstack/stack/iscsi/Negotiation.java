package org.camstack.stack.iscsi;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The result rules of login key negotiation (RFC 7143 §6.2, §13): given a key offered by the peer
 * and what this side supports, the value both sides then use, or the special answers NotUnderstood,
 * Reject and Irrelevant. Pure functions; the login state machine that sends the answers is not here
 * yet.
 */
public final class Negotiation {

  private Negotiation() {}

  public enum SessionType {
    NORMAL,
    DISCOVERY
  }

  enum Rule {
    MIN,
    MAX,
    AND,
    OR,
    LIST,
    DECLARATIVE
  }

  /** One key's rule, range (numeric keys) and default (§13). */
  record Key(String name, Rule rule, long lo, long hi, String defaultValue, boolean irrelevantInDiscovery) {}

  private static final long MAX_24 = 0xFF_FFFF;

  static final Map<String, Key> KEYS = new LinkedHashMap<>();

  private static void key(String name, Rule rule, long lo, long hi, String def, boolean irrelevantInDiscovery) {
    KEYS.put(name, new Key(name, rule, lo, hi, def, irrelevantInDiscovery));
  }

  static {
    key("HeaderDigest", Rule.LIST, 0, 0, "None", false);
    key("DataDigest", Rule.LIST, 0, 0, "None", false);
    key("AuthMethod", Rule.LIST, 0, 0, "None", false);
    key("MaxConnections", Rule.MIN, 1, 65535, "1", true);
    key("InitialR2T", Rule.OR, 0, 0, "Yes", true);
    key("ImmediateData", Rule.AND, 0, 0, "Yes", true);
    key("MaxRecvDataSegmentLength", Rule.DECLARATIVE, 512, MAX_24, "8192", false);
    key("MaxBurstLength", Rule.MIN, 512, MAX_24, "262144", true);
    key("FirstBurstLength", Rule.MIN, 512, MAX_24, "65536", true);
    key("DefaultTime2Wait", Rule.MAX, 0, 3600, "2", false);
    key("DefaultTime2Retain", Rule.MIN, 0, 3600, "20", false);
    key("MaxOutstandingR2T", Rule.MIN, 1, 65535, "1", true);
    key("DataPDUInOrder", Rule.AND, 0, 0, "Yes", true);
    key("DataSequenceInOrder", Rule.AND, 0, 0, "Yes", true);
    key("ErrorRecoveryLevel", Rule.MIN, 0, 2, "0", false);
  }

  /** The default of a negotiated key (§13), empty for a key not handled here. */
  public static Optional<String> defaultValue(String key) {
    return Optional.ofNullable(KEYS.get(key)).map(Key::defaultValue);
  }

  /** The answer to one offered key. */
  public sealed interface Result {
    /** The value both sides now use; the answerer sends it back. */
    record Agreed(String value) implements Result {}

    /** A declarative key: the offerer's statement, recorded; nothing to negotiate. */
    record Declared(String value) implements Result {}

    /** Answer {@code key=NotUnderstood}: the key is unknown. */
    record NotUnderstood() implements Result {}

    /** Answer {@code key=Reject}: the value is malformed or outside the key's range. */
    record Reject(String why) implements Result {}

    /** Answer {@code key=Irrelevant}: the key has no meaning in this session. */
    record Irrelevant() implements Result {}

    /** The text the answerer sends for this key. */
    default String answer() {
      if (this instanceof Agreed a) {
        return a.value();
      }
      if (this instanceof Declared d) {
        return d.value();
      }
      if (this instanceof NotUnderstood) {
        return "NotUnderstood";
      }
      if (this instanceof Reject) {
        return "Reject";
      }
      return "Irrelevant";
    }
  }

  /**
   * The answer to {@code key=offered} from the peer, this side supporting {@code ours}: for
   * numeric keys this side's own value, for Yes/No keys its own Yes/No, for list keys its supported
   * values comma-separated; null for the key's default.
   */
  public static Result answer(SessionType type, String key, String offered, String ours) {
    Key k = KEYS.get(key);
    if (k == null) {
      return new Result.NotUnderstood();
    }
    if (type == SessionType.DISCOVERY && k.irrelevantInDiscovery()) {
      return new Result.Irrelevant();
    }
    String mine = ours == null ? k.defaultValue() : ours;
    switch (k.rule()) {
      case MIN, MAX, DECLARATIVE -> {
        Optional<Long> theirs = number(offered, k);
        if (theirs.isEmpty()) {
          return new Result.Reject(key + "=" + offered + " is not a number in " + k.lo() + ".." + k.hi());
        }
        if (k.rule() == Rule.DECLARATIVE) {
          return new Result.Declared(Long.toString(theirs.get()));
        }
        long own = number(mine, k).orElseThrow(() -> new IllegalArgumentException("our " + key + "=" + ours));
        long r = k.rule() == Rule.MIN ? Math.min(own, theirs.get()) : Math.max(own, theirs.get());
        return new Result.Agreed(Long.toString(r));
      }
      case AND, OR -> {
        Optional<Boolean> theirs = bool(offered);
        if (theirs.isEmpty()) {
          return new Result.Reject(key + "=" + offered + " is neither Yes nor No");
        }
        boolean own = bool(mine).orElseThrow(() -> new IllegalArgumentException("our " + key + "=" + ours));
        boolean r = k.rule() == Rule.AND ? own && theirs.get() : own || theirs.get();
        return new Result.Agreed(r ? "Yes" : "No");
      }
      case LIST -> {
        if (offered.isEmpty() || offered.length() > TextKeys.MAX_VALUE_LENGTH) {
          return new Result.Reject(key + " offers no value");
        }
        List<String> supported = Arrays.asList(mine.split(","));
        for (String v : offered.split(",", -1)) {
          if (v.isEmpty()) {
            return new Result.Reject(key + "=" + offered + " has an empty list element");
          }
        }
        for (String v : offered.split(",")) {
          if (supported.contains(v)) {
            return new Result.Agreed(v);
          }
        }
        return new Result.Reject(key + "=" + offered + ": none of it is supported (" + mine + ")");
      }
      default -> throw new IllegalStateException("rule " + k.rule());
    }
  }

  private static Optional<Long> number(String s, Key k) {
    // RFC 7143 §6.1: decimal constants, at most 64 bits; hex (0x) allowed for numerical values
    if (s == null || s.isEmpty() || s.length() > 20) {
      return Optional.empty();
    }
    long v;
    try {
      if (s.startsWith("0x") || s.startsWith("0X")) {
        v = Long.parseLong(s.substring(2), 16);
      } else {
        for (int i = 0; i < s.length(); i++) {
          if (s.charAt(i) < '0' || s.charAt(i) > '9') {
            return Optional.empty();
          }
        }
        v = Long.parseLong(s);
      }
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    return v >= k.lo() && v <= k.hi() ? Optional.of(v) : Optional.empty();
  }

  private static Optional<Boolean> bool(String s) {
    if ("Yes".equals(s)) {
      return Optional.of(true);
    }
    if ("No".equals(s)) {
      return Optional.of(false);
    }
    return Optional.empty();
  }
}
