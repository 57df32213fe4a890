package org.camstack.stack.node;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A small seeded generator of hostile management-API requests for {@link HostileRequestsTest}: one
 * method per kind of bad input, each drawing its variable parts from a {@link Random}. Every request
 * is built from its own seed ({@link #request(long)}), so the seed printed in a failing test's name
 * rebuilds exactly that request.
 */
final class HostileRequests {

  /** One request and the statuses it may answer. */
  record Hostile(String kind, String method, String target, Map<String, String> headers, byte[] body, Set<Integer> expected) {
    @Override
    public String toString() {
      String b = body == null ? "" : new String(body, 0, Math.min(body.length, 120), StandardCharsets.UTF_8);
      return kind + ": " + method + " " + (target.length() > 120 ? target.substring(0, 120) + "..." : target) + " " + headers + " " + b;
    }
  }

  /** Every kind {@link #request(long)} can produce (a run of 1,000 must see each). */
  static final Set<String> KINDS =
      Set.of("cross-origin", "foreign-host", "not-json", "malformed-json", "mistyped-json", "huge-add", "huge-resize", "negative-size",
          "long-node", "long-vendor", "long-rule-id", "long-lun-path", "rule-only-lbaEnd", "rule-bad-id", "rule-bad-type", "big-read",
          "big-cdb", "bad-device", "bad-lun", "bad-path", "unknown-handle", "unknown-device", "unknown-path", "wrong-method",
          "oversized-body");

  private static final String[] STATE_CHANGING = {
    "/api/devices/da0/stop", "/api/reset?path=all", "/api/devfs/open", "/api/devices/pass0/faults", "/api/luns", "/api/rescan?path=0"
  };

  private static final String JSON_PUNCTUATION = "{}[]\":,\\ ";

  private final int port;
  private final long handle;
  private Random rnd;

  /** Requests against the node listening on {@code port}, with {@code handle} an open devfs handle. */
  HostileRequests(int port, long handle) {
    this.port = port;
    this.handle = handle;
  }

  /** The request built from {@code seed}: a kind chosen by weight, then its variable parts. */
  Hostile request(long seed) {
    rnd = new Random(seed);
    int w = rnd.nextInt(29);
    if ((w -= 3) < 0) return crossOrigin();
    if ((w -= 2) < 0) return foreignHost();
    if ((w -= 2) < 0) return notJson();
    if ((w -= 3) < 0) return garbageJson();
    if ((w -= 3) < 0) return hugeSize();
    if ((w -= 2) < 0) return negativeSize();
    if ((w -= 3) < 0) return longName();
    if ((w -= 2) < 0) return badFaultRule();
    if ((w -= 2) < 0) return bigTransfer();
    if ((w -= 2) < 0) return badPath();
    if ((w -= 1) < 0) return unknownThing();
    return oversizedBody();
  }

  // ------------------------------------------------------------------ kinds

  /** A state-changing POST with an Origin other than the node's own: 403. */
  Hostile crossOrigin() {
    String origin =
        switch (rnd.nextInt(3)) {
          case 0 -> "http://" + alpha(1, 20) + ".example";
          case 1 -> pick("null", "http://127.0.0.1:1", "https://evil.example", "http://localhost");
          default -> "http://127.0.0.1:" + otherPort();
        };
    return new Hostile("cross-origin", "POST", pick(STATE_CHANGING), Map.of("Origin", origin), null, Set.of(403));
  }

  /** Any request with a Host header naming another machine (DNS rebinding): 403. */
  Hostile foreignHost() {
    String host =
        rnd.nextBoolean()
            ? alpha(1, 30) + ".attacker.example"
            : pick("10.0.0.1", "192.168.1.1:8080", "example.com", "127.0.0.1.nip.io", "0.0.0.0");
    String target = pick("/health", "/api/devlist", "/api/devices/da0/stop", "/api/reset?path=all");
    return new Hostile("foreign-host", pick("GET", "POST"), target, Map.of("Host", host), null, Set.of(403));
  }

  /** A state-changing POST whose body is not declared JSON (a form a page may send): 415. */
  Hostile notJson() {
    String type =
        pick("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/html", "application/xml");
    return new Hostile("not-json", "POST", pick(STATE_CHANGING), Map.of("Content-Type", type), utf8(anyText(0, 50)), Set.of(415));
  }

  /** JSON that does not parse, or parses to the wrong shape or type: 400. */
  Hostile garbageJson() {
    if (rnd.nextInt(3) == 0) {
      String[] m = pick(
          new String[] {"/api/luns/0:1:0/resize", "{\"sizeBytes\":\"lots\"}"},
          new String[] {"/api/luns/0:1:0/resize", "{\"sizeBytes\":99999999999999999999999}"},
          new String[] {"/api/luns", "{\"path\":[1,2]}"},
          new String[] {"/api/devfs/" + handle + "/read", "{\"length\":\"x\"}"},
          new String[] {"/api/devfs/" + handle + "/read", "{\"offset\":{}}"},
          new String[] {"/api/devfs/" + handle + "/cdb", "{\"dataInLength\":\"x\"}"},
          new String[] {"/api/devices/pass0/delay", "{\"fixedMicros\":\"slow\"}"});
      return new Hostile("mistyped-json", "POST", m[0], jsonHeader(), utf8(m[1]), Set.of(400));
    }
    String target = pick("/api/luns", "/api/luns/0:1:0/resize", "/api/devfs/open", "/api/devices/pass0/faults", "/api/devices/pass0/delay",
        "/api/wiring", "/api/devfs/" + handle + "/read", "/api/devfs/" + handle + "/cdb");
    String body;
    if (rnd.nextBoolean()) {
      body = pick("[]", "\"x\"", "nul", "{\"a\":", "{,}", "{\"length\":1e999", "42");
    } else {
      do {
        body = "{" + anyText(1, 200);
      } while (validJson(body));
    }
    return new Hostile("malformed-json", "POST", target, jsonHeader(), utf8(body), Set.of(400));
  }

  /** A LUN created or resized beyond 2^50 bytes: 422. */
  Hostile hugeSize() {
    long n = between((1L << 50) + 1, Long.MAX_VALUE);
    return rnd.nextBoolean()
        ? new Hostile("huge-add", "POST", "/api/luns", jsonHeader(),
            utf8("{\"path\":\"1:" + (6 + rnd.nextInt(10)) + ":0\",\"sizeBytes\":" + n + "}"), Set.of(422))
        : new Hostile("huge-resize", "POST", "/api/luns/0:1:0/resize", jsonHeader(), utf8("{\"sizeBytes\":" + n + "}"), Set.of(422));
  }

  /** A LUN created or resized to zero or fewer bytes: 400. */
  Hostile negativeSize() {
    long n = between(Long.MIN_VALUE, 0);
    return rnd.nextBoolean()
        ? new Hostile("negative-size", "POST", "/api/luns", jsonHeader(), utf8("{\"path\":\"1:9:0\",\"sizeBytes\":" + n + "}"), Set.of(400))
        : new Hostile("negative-size", "POST", "/api/luns/0:1:0/resize", jsonHeader(), utf8("{\"sizeBytes\":" + n + "}"), Set.of(400));
  }

  /** A name (node, vendor, rule id, LUN path) of 70 to 120,000 characters: 422. */
  Hostile longName() {
    String unit = lower(1, 16);
    String n = unit.repeat((int) between(70, 120_000) / unit.length() + 1);
    return switch (rnd.nextInt(4)) {
      case 0 -> new Hostile("long-node", "POST", "/api/devfs/open", jsonHeader(), utf8("{\"node\":\"" + n + "\"}"), Set.of(422));
      case 1 -> new Hostile("long-vendor", "POST", "/api/luns", jsonHeader(),
          utf8("{\"path\":\"1:9:1\",\"sizeBytes\":1048576,\"vendor\":\"" + n + "\"}"), Set.of(422));
      case 2 -> new Hostile("long-rule-id", "POST", "/api/devices/pass0/faults", jsonHeader(),
          utf8("{\"type\":\"medium-error\",\"id\":\"" + n + "\"}"), Set.of(422));
      default -> new Hostile("long-lun-path", "POST", "/api/luns", jsonHeader(), utf8("{\"path\":\"" + n + "\",\"sizeBytes\":1048576}"), Set.of(422));
    };
  }

  /** A fault rule with lbaEnd but no lbaStart (422), an id that is not a plain name (422), or an unknown type (400). */
  Hostile badFaultRule() {
    return switch (rnd.nextInt(3)) {
      case 0 -> new Hostile("rule-only-lbaEnd", "POST", "/api/devices/pass0/faults", jsonHeader(),
          utf8("{\"type\":\"medium-error\",\"lbaEnd\":" + between(0, Long.MAX_VALUE) + "}"), Set.of(422));
      case 1 -> new Hostile("rule-bad-id", "POST", "/api/devices/pass0/faults", jsonHeader(),
          utf8("{\"type\":\"busy\",\"id\":\"" + pick("../../x", "a/b", ".hidden", "-x", "sp ace", "x;rm", "\u00e9t\u00e9", "_x") + "\"}"),
          Set.of(422));
      default -> new Hostile("rule-bad-type", "POST", "/api/devices/pass0/faults", jsonHeader(),
          utf8("{\"type\":\"x" + alpha(1, 20) + "\"}"), Set.of(400));
    };
  }

  /** A read or CDB data-in length over 1 MiB: 413. */
  Hostile bigTransfer() {
    long n = between((1 << 20) + 1, Integer.MAX_VALUE);
    return rnd.nextBoolean()
        ? new Hostile("big-read", "POST", "/api/devfs/" + handle + "/read", jsonHeader(), utf8("{\"offset\":0,\"length\":" + n + "}"), Set.of(413))
        : new Hostile("big-cdb", "POST", "/api/devfs/" + handle + "/cdb", jsonHeader(),
            utf8("{\"cdbHex\":\"28000000000000000100\",\"dataInLength\":" + n + "}"), Set.of(413));
  }

  /** A bus path, device name or LUN path made of digits, colons and x's that is not well formed. */
  Hostile badPath() {
    String p;
    do {
      p = fromChars("0123456789:x", 1, 12);
    } while (p.matches("\\d+:\\d+:\\d+") || p.matches("\\d+"));
    return switch (rnd.nextInt(4)) {
      case 0 -> new Hostile("bad-device", "GET", "/api/devices/" + p + "/readcap", Map.of(), null, Set.of(400, 404));
      case 1 -> new Hostile("bad-lun", "DELETE", "/api/luns/" + p, Map.of(), null, Set.of(400, 404));
      default -> new Hostile("bad-path", "POST", "/api/" + pick("rescan", "reset") + "?path=" + p, Map.of(), null, Set.of(400));
    };
  }

  /** An unknown handle, device or route (404), or a method a route does not take (405). */
  Hostile unknownThing() {
    return switch (rnd.nextInt(4)) {
      case 0 -> new Hostile("unknown-handle", "POST", "/api/devfs/" + between(1L << 40, Long.MAX_VALUE) + "/close", Map.of(), null, Set.of(404));
      case 1 -> new Hostile("unknown-device", "GET", "/api/devices/da" + between(100, 9999) + "/inquiry", Map.of(), null, Set.of(404));
      case 2 -> new Hostile("unknown-path", "GET", "/api/x" + alpha(1, 20), Map.of(), null, Set.of(404));
      default -> new Hostile("wrong-method", pick("PUT", "PATCH", "DELETE"), "/api/devlist", jsonHeader(), utf8("{}"), Set.of(405));
    };
  }

  /** A well-formed write whose body is over the 4 MiB limit: 413. */
  Hostile oversizedBody() {
    int n = (int) between(4 * 1024 * 1024 + 1, 5 * 1024 * 1024);
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) '0');
    byte[] head = utf8("{\"offset\":0,\"dataHex\":\"");
    System.arraycopy(head, 0, b, 0, head.length);
    b[n - 2] = '"';
    b[n - 1] = '}';
    return new Hostile("oversized-body", "POST", "/api/devfs/" + handle + "/write", jsonHeader(), b, Set.of(413));
  }

  // ------------------------------------------------------------------ small draws

  @SafeVarargs
  private <T> T pick(T... choices) {
    return choices[rnd.nextInt(choices.length)];
  }

  /** In [lo, hi]: lo or hi themselves one time in eight each (edges find bugs), else uniform. */
  private long between(long lo, long hi) {
    int edge = rnd.nextInt(8);
    if (edge == 0) return lo;
    if (edge == 1) return hi;
    long span = hi - lo + 1;
    if (span > 0) {
      return lo + Math.floorMod(rnd.nextLong(), span);
    }
    long v; // the range holds half the longs or more: draw until inside
    do {
      v = rnd.nextLong();
    } while (v < lo || v > hi);
    return v;
  }

  private int otherPort() {
    int p;
    do {
      p = 1 + rnd.nextInt(65535);
    } while (p == port);
    return p;
  }

  private String fromChars(String chars, int min, int max) {
    StringBuilder s = new StringBuilder();
    for (int i = min + rnd.nextInt(max - min + 1); i > 0; i--) {
      s.append(chars.charAt(rnd.nextInt(chars.length())));
    }
    return s.toString();
  }

  private String alpha(int min, int max) {
    return fromChars("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min, max);
  }

  private String lower(int min, int max) {
    return fromChars("abcdefghijklmnopqrstuvwxyz", min, max);
  }

  /** Any characters: JSON punctuation, ASCII, control characters, accents, CJK, lone surrogates. */
  private String anyText(int min, int max) {
    StringBuilder s = new StringBuilder();
    for (int i = min + rnd.nextInt(max - min + 1); i > 0; i--) {
      s.append(switch (rnd.nextInt(5)) {
        case 0 -> JSON_PUNCTUATION.charAt(rnd.nextInt(JSON_PUNCTUATION.length()));
        case 1 -> (char) (0x20 + rnd.nextInt(0x5f));
        case 2 -> (char) rnd.nextInt(0x20);
        case 3 -> (char) (0xa0 + rnd.nextInt(0x3000));
        default -> (char) rnd.nextInt(0x10000);
      });
    }
    return s.toString();
  }

  private static boolean validJson(String s) {
    try {
      ManagementRoutes.MAPPER.readTree(s);
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private static Map<String, String> jsonHeader() {
    return Map.of("Content-Type", "application/json");
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
