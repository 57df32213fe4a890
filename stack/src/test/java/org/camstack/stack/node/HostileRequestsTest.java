package org.camstack.stack.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Hostile input against a running node over a real loopback socket (no token: the default, the
 * configuration a browser page could reach): 1,000 generated bad requests, each must answer a 4xx
 * of its kind with a one-line JSON error of bounded length, and the node must stay healthy and keep
 * serving good requests. Seeded, so a failure reproduces.
 */
class HostileRequestsTest {
  private static EmulatorNode node;
  private static int port;
  private static long handle;
  private static int devicesBefore;
  private static final AtomicInteger TRIES = new AtomicInteger();

  /** One request and the statuses it may answer. */
  record Hostile(String kind, String method, String target, Map<String, String> headers, byte[] body, Set<Integer> expected) {
    @Override
    public String toString() {
      String b = body == null ? "" : new String(body, 0, Math.min(body.length, 120), StandardCharsets.UTF_8);
      return kind + ": " + method + " " + (target.length() > 120 ? target.substring(0, 120) + "..." : target) + " " + headers + " " + b;
    }
  }

  @BeforeContainer
  static void startNode() throws Exception {
    Path data = Files.createTempDirectory("camstack-hostile");
    NodeSettings s =
        NodeSettings.load(
            Optional.empty(),
            Map.of("camstack.data-dir", data.toString(), "camstack.node.port", 0, "camstack.node.cluster-port", 0),
            Map.of());
    node = EmulatorNode.start(s, new PrintStream(new ByteArrayOutputStream()));
    port = node.apiPort();
    RawHttp.Reply open = RawHttp.json(port, "POST", "/api/devfs/open", "{\"node\":\"pass0\"}");
    assertEquals(200, open.status(), open.body());
    handle = open.json().get("handle").asLong();
    devicesBefore = devices();
  }

  @AfterContainer
  static void stopNode() throws Exception {
    if (node != null) {
      node.shutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  private static int devices() throws Exception {
    RawHttp.Reply r = RawHttp.json(port, "GET", "/api/devlist", null);
    assertEquals(200, r.status(), r.body());
    int n = 0;
    for (var b : r.json().get("buses")) {
      n += b.get("devices").size();
    }
    return n;
  }

  @Property(tries = 1000, seed = "20261206", shrinking = net.jqwik.api.ShrinkingMode.OFF)
  void everyHostileRequestAnswersA4xxJsonErrorAndTheNodeLives(@ForAll("hostile") Hostile h) throws Exception {
    RawHttp.Reply r = RawHttp.send(port, h.method(), h.target(), h.headers(), h.body());
    assertTrue(h.expected().contains(r.status()), () -> "expected " + h.expected() + ", got " + r.status() + " " + r.body() + " for " + h);
    assertTrue(r.isJson(), () -> "not JSON: " + r.headers() + " for " + h);
    String msg = r.error();
    assertNotNull(msg, () -> "no error field: " + r.body());
    assertFalse(msg.isBlank());
    assertFalse(msg.contains("\n"), msg);
    assertTrue(msg.length() <= ManagementRoutes.MAX_ERROR_LENGTH + 40, () -> "error of " + msg.length() + " characters");
    if (TRIES.incrementAndGet() % 100 == 0) {
      assertEquals(200, RawHttp.json(port, "GET", "/health", null).status());
    }
  }

  @Example
  void goodRequestsStillWorkAndNothingChanged() throws Exception {
    assertEquals(200, RawHttp.json(port, "GET", "/health", null).status());
    RawHttp.Reply rc = RawHttp.json(port, "GET", "/api/devices/0:0:0/readcap", null);
    assertEquals(200, rc.status(), rc.body());
    RawHttp.Reply rd = RawHttp.json(port, "POST", "/api/devfs/" + handle + "/cdb", "{\"cdbHex\":\"120000002400\",\"dataInLength\":36}");
    assertEquals(200, rd.status(), rd.body());
    assertEquals(devicesBefore, devices());
    assertEquals(200, RawHttp.json(port, "GET", "/api/stats", null).status());
  }

  // ------------------------------------------------------------------ generators

  private static final String[] STATE_CHANGING = {
    "/api/devices/da0/stop", "/api/reset?path=all", "/api/devices/pass0/faults", "/api/luns", "/api/devfs/open", "/api/rescan?path=0"
  };

  @Provide
  Arbitrary<Hostile> hostile() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, crossOrigin()),
        net.jqwik.api.Tuple.of(2, foreignHost()),
        net.jqwik.api.Tuple.of(2, notJson()),
        net.jqwik.api.Tuple.of(3, garbageJson()),
        net.jqwik.api.Tuple.of(3, hugeSizes()),
        net.jqwik.api.Tuple.of(2, negativeSizes()),
        net.jqwik.api.Tuple.of(3, longNames()),
        net.jqwik.api.Tuple.of(2, badFaultRules()),
        net.jqwik.api.Tuple.of(2, bigTransfers()),
        net.jqwik.api.Tuple.of(2, badPaths()),
        net.jqwik.api.Tuple.of(1, unknownThings()),
        net.jqwik.api.Tuple.of(1, oversizedBodies()));
  }

  private static Map<String, String> jsonHeader() {
    return Map.of("Content-Type", "application/json");
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private Arbitrary<Hostile> crossOrigin() {
    Arbitrary<String> origin =
        Arbitraries.oneOf(
            Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(20).map(s -> "http://" + s + ".example"),
            Arbitraries.of("null", "http://127.0.0.1:1", "https://evil.example", "http://localhost"),
            Arbitraries.integers().between(1, 65535).filter(p -> p != port).map(p -> "http://127.0.0.1:" + p));
    return Combinators.combine(origin, Arbitraries.of(STATE_CHANGING))
        .as((o, t) -> new Hostile("cross-origin", "POST", t, Map.of("Origin", o), null, Set.of(403)));
  }

  private Arbitrary<Hostile> foreignHost() {
    Arbitrary<String> host =
        Arbitraries.oneOf(
            Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(30).map(s -> s + ".attacker.example"),
            Arbitraries.of("10.0.0.1", "192.168.1.1:8080", "example.com", "127.0.0.1.nip.io", "0.0.0.0"));
    Arbitrary<String> target = Arbitraries.of("/health", "/api/devlist", "/api/devices/da0/stop", "/api/reset?path=all");
    return Combinators.combine(host, target, Arbitraries.of("GET", "POST"))
        .as((h, t, m) -> new Hostile("foreign-host", m, t, Map.of("Host", h), null, Set.of(403)));
  }

  private Arbitrary<Hostile> notJson() {
    Arbitrary<String> type =
        Arbitraries.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/html", "application/xml");
    Arbitrary<String> body = Arbitraries.strings().ofMaxLength(50);
    return Combinators.combine(type, Arbitraries.of(STATE_CHANGING), body)
        .as((ct, t, b) -> new Hostile("not-json", "POST", t, Map.of("Content-Type", ct), utf8(b), Set.of(415)));
  }

  private static boolean validJson(String s) {
    try {
      ManagementRoutes.MAPPER.readTree(s);
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private Arbitrary<Hostile> garbageJson() {
    Arbitrary<String> malformed =
        Arbitraries.oneOf(
            Arbitraries.strings().ofMinLength(1).ofMaxLength(200).map(s -> "{" + s).filter(s -> !validJson(s)),
            Arbitraries.of("[]", "\"x\"", "nul", "{\"a\":", "{,}", "{\"length\":1e999", "42"));
    Arbitrary<String> target =
        Arbitraries.of("/api/luns", "/api/luns/0:1:0/resize", "/api/devfs/open", "/api/devices/pass0/faults", "/api/devices/pass0/delay",
            "/api/wiring", "/api/devfs/" + handle + "/read", "/api/devfs/" + handle + "/cdb");
    Arbitrary<Hostile> bad =
        Combinators.combine(target, malformed).as((t, g) -> new Hostile("malformed-json", "POST", t, jsonHeader(), utf8(g), Set.of(400)));
    Arbitrary<Hostile> mistyped =
        Arbitraries.of(
                new String[] {"/api/luns/0:1:0/resize", "{\"sizeBytes\":\"lots\"}"},
                new String[] {"/api/luns/0:1:0/resize", "{\"sizeBytes\":99999999999999999999999}"},
                new String[] {"/api/luns", "{\"path\":[1,2]}"},
                new String[] {"/api/devfs/" + handle + "/read", "{\"length\":\"x\"}"},
                new String[] {"/api/devfs/" + handle + "/read", "{\"offset\":{}}"},
                new String[] {"/api/devfs/" + handle + "/cdb", "{\"dataInLength\":\"x\"}"},
                new String[] {"/api/devices/pass0/delay", "{\"fixedMicros\":\"slow\"}"})
            .map(a -> new Hostile("mistyped-json", "POST", a[0], jsonHeader(), utf8(a[1]), Set.of(400)));
    return Arbitraries.oneOf(bad, mistyped);
  }

  private Arbitrary<Hostile> hugeSizes() {
    Arbitrary<Long> huge = Arbitraries.longs().between((1L << 50) + 1, Long.MAX_VALUE);
    Arbitrary<Hostile> add =
        Combinators.combine(huge, Arbitraries.integers().between(6, 15))
            .as((n, t) -> new Hostile("huge-add", "POST", "/api/luns", jsonHeader(),
                utf8("{\"path\":\"1:" + t + ":0\",\"sizeBytes\":" + n + "}"), Set.of(422)));
    Arbitrary<Hostile> resize =
        huge.map(n -> new Hostile("huge-resize", "POST", "/api/luns/0:1:0/resize", jsonHeader(), utf8("{\"sizeBytes\":" + n + "}"), Set.of(422)));
    return Arbitraries.oneOf(add, resize);
  }

  private Arbitrary<Hostile> negativeSizes() {
    Arbitrary<Long> neg = Arbitraries.longs().between(Long.MIN_VALUE, 0);
    return Combinators.combine(neg, Arbitraries.of("/api/luns/0:1:0/resize", "/api/luns"))
        .as((n, t) -> new Hostile("negative-size", "POST", t, jsonHeader(),
            utf8(t.equals("/api/luns") ? "{\"path\":\"1:9:0\",\"sizeBytes\":" + n + "}" : "{\"sizeBytes\":" + n + "}"), Set.of(400)));
  }

  private Arbitrary<Hostile> longNames() {
    Arbitrary<String> name = Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(16)
        .flatMap(s -> Arbitraries.integers().between(70, 120_000).map(n -> s.repeat(n / s.length() + 1)));
    return Combinators.combine(name, Arbitraries.integers().between(0, 3))
        .as((n, k) -> switch (k) {
          case 0 -> new Hostile("long-node", "POST", "/api/devfs/open", jsonHeader(), utf8("{\"node\":\"" + n + "\"}"), Set.of(422));
          case 1 -> new Hostile("long-vendor", "POST", "/api/luns", jsonHeader(),
              utf8("{\"path\":\"1:9:1\",\"sizeBytes\":1048576,\"vendor\":\"" + n + "\"}"), Set.of(422));
          case 2 -> new Hostile("long-rule-id", "POST", "/api/devices/pass0/faults", jsonHeader(),
              utf8("{\"type\":\"medium-error\",\"id\":\"" + n + "\"}"), Set.of(422));
          default -> new Hostile("long-lun-path", "POST", "/api/luns", jsonHeader(),
              utf8("{\"path\":\"" + n + "\",\"sizeBytes\":1048576}"), Set.of(422));
        });
  }

  private Arbitrary<Hostile> badFaultRules() {
    Arbitrary<Hostile> onlyEnd = Arbitraries.longs().between(0, Long.MAX_VALUE)
        .map(e -> new Hostile("rule-only-lbaEnd", "POST", "/api/devices/pass0/faults", jsonHeader(),
            utf8("{\"type\":\"medium-error\",\"lbaEnd\":" + e + "}"), Set.of(422)));
    Arbitrary<Hostile> badId = Arbitraries.of("../../x", "a/b", ".hidden", "-x", "sp ace", "x;rm", "\u00e9t\u00e9", "_x")
        .map(id -> new Hostile("rule-bad-id", "POST", "/api/devices/pass0/faults", jsonHeader(),
            utf8("{\"type\":\"busy\",\"id\":\"" + id + "\"}"), Set.of(422)));
    Arbitrary<Hostile> badType = Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(20)
        .map(t -> new Hostile("rule-bad-type", "POST", "/api/devices/pass0/faults", jsonHeader(),
            utf8("{\"type\":\"x" + t + "\"}"), Set.of(400)));
    return Arbitraries.oneOf(onlyEnd, badId, badType);
  }

  private Arbitrary<Hostile> bigTransfers() {
    Arbitrary<Integer> big = Arbitraries.integers().between((1 << 20) + 1, Integer.MAX_VALUE);
    return Combinators.combine(big, Arbitraries.of("read", "cdb"))
        .as((n, op) -> op.equals("read")
            ? new Hostile("big-read", "POST", "/api/devfs/" + handle + "/read", jsonHeader(), utf8("{\"offset\":0,\"length\":" + n + "}"), Set.of(413))
            : new Hostile("big-cdb", "POST", "/api/devfs/" + handle + "/cdb", jsonHeader(),
                utf8("{\"cdbHex\":\"28000000000000000100\",\"dataInLength\":" + n + "}"), Set.of(413)));
  }

  private Arbitrary<Hostile> badPaths() {
    Arbitrary<String> bad = Arbitraries.strings().withChars("0123456789:x").ofMinLength(1).ofMaxLength(12)
        .filter(s -> !s.matches("\\d+:\\d+:\\d+") && !s.matches("\\d+") && !s.equals("all"));
    return Combinators.combine(bad, Arbitraries.of("rescan", "reset", "readcap", "lunrm"))
        .as((p, op) -> switch (op) {
          case "readcap" -> new Hostile("bad-device", "GET", "/api/devices/" + p + "/readcap", Map.of(), null, Set.of(400, 404));
          case "lunrm" -> new Hostile("bad-lun", "DELETE", "/api/luns/" + p, Map.of(), null, Set.of(400, 404));
          default -> new Hostile("bad-path", "POST", "/api/" + op + "?path=" + p, Map.of(), null, Set.of(400));
        });
  }

  private Arbitrary<Hostile> unknownThings() {
    return Arbitraries.oneOf(
        Arbitraries.longs().between(1L << 40, Long.MAX_VALUE)
            .map(h -> new Hostile("unknown-handle", "POST", "/api/devfs/" + h + "/close", Map.of(), null, Set.of(404))),
        Arbitraries.integers().between(100, 9999).map(n -> new Hostile("unknown-device", "GET", "/api/devices/da" + n + "/inquiry", Map.of(), null, Set.of(404))),
        Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(20).map(s -> new Hostile("unknown-path", "GET", "/api/x" + s, Map.of(), null, Set.of(404))),
        Arbitraries.of("PUT", "PATCH", "DELETE").map(m -> new Hostile("wrong-method", m, "/api/devlist", jsonHeader(), utf8("{}"), Set.of(405))));
  }

  private Arbitrary<Hostile> oversizedBodies() {
    return Arbitraries.integers().between(4 * 1024 * 1024 + 1, 5 * 1024 * 1024)
        .map(n -> {
          byte[] b = new byte[n];
          Arrays.fill(b, (byte) '0');
          byte[] head = utf8("{\"offset\":0,\"dataHex\":\"");
          System.arraycopy(head, 0, b, 0, head.length);
          b[n - 2] = '"';
          b[n - 1] = '}';
          return new Hostile("oversized-body", "POST", "/api/devfs/" + handle + "/write", jsonHeader(), b, Set.of(413));
        });
  }
}
