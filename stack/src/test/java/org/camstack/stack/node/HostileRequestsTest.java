package org.camstack.stack.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.camstack.stack.node.HostileRequests.Hostile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Hostile input against a running node over a real loopback socket (no token: the default, the
 * configuration a browser page could reach): 1,000 bad requests from {@link HostileRequests}, each
 * must answer a 4xx of its kind with a one-line JSON error of bounded length, and the node must stay
 * healthy and keep serving good requests. Request {@code i} is built from seed {@code SEED + i},
 * printed in its test's name: {@code new HostileRequests(port, handle).request(seed)} rebuilds it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileRequestsTest {
  private static final long SEED = 20261206L;
  private static final int REQUESTS = 1000;

  private static EmulatorNode node;
  private static int port;
  private static long handle;
  private static int devicesBefore;
  private static final Set<String> KINDS_SENT = ConcurrentHashMap.newKeySet();

  @BeforeAll
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

  @AfterAll
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

  @TestFactory
  @Order(1)
  Stream<DynamicTest> everyHostileRequestAnswersA4xxJsonErrorAndTheNodeLives() {
    return LongStream.range(0, REQUESTS).mapToObj(i -> {
      long seed = SEED + i;
      Hostile h = request(seed);
      String target = h.target().length() > 60 ? h.target().substring(0, 60) + "..." : h.target();
      // the test rebuilds its request rather than keep it: some bodies are 5 MB
      return DynamicTest.dynamicTest("seed " + seed + " " + h.kind() + " " + h.method() + " " + target, () -> check(seed, i));
    });
  }

  /** The request of {@code seed}, exactly as the run sent it. */
  private static Hostile request(long seed) {
    return new HostileRequests(port, handle).request(seed);
  }

  private static void check(long seed, long i) throws Exception {
    Hostile h = request(seed);
    String what = "seed " + seed + " " + h;
    KINDS_SENT.add(h.kind());
    RawHttp.Reply r = RawHttp.send(port, h.method(), h.target(), h.headers(), h.body());
    assertTrue(h.expected().contains(r.status()), () -> "expected " + h.expected() + ", got " + r.status() + " " + r.body() + " for " + what);
    assertTrue(r.isJson(), () -> "not JSON: " + r.headers() + " for " + what);
    String msg = r.error();
    assertNotNull(msg, () -> "no error field: " + r.body() + " for " + what);
    assertFalse(msg.isBlank(), what);
    assertFalse(msg.contains("\n"), () -> msg + " for " + what);
    assertTrue(msg.length() <= ManagementRoutes.MAX_ERROR_LENGTH + 40, () -> "error of " + msg.length() + " characters for " + what);
    if ((i + 1) % 100 == 0) {
      assertEquals(200, RawHttp.json(port, "GET", "/health", null).status(), () -> "unhealthy after " + what);
    }
  }

  @Test
  @Order(2)
  void everyKindWasSent() {
    assertEquals(new TreeSet<>(HostileRequests.KINDS), new TreeSet<>(KINDS_SENT));
  }

  @Test
  @Order(3)
  void goodRequestsStillWorkAndNothingChanged() throws Exception {
    assertEquals(200, RawHttp.json(port, "GET", "/health", null).status());
    RawHttp.Reply rc = RawHttp.json(port, "GET", "/api/devices/0:0:0/readcap", null);
    assertEquals(200, rc.status(), rc.body());
    RawHttp.Reply rd = RawHttp.json(port, "POST", "/api/devfs/" + handle + "/cdb", "{\"cdbHex\":\"120000002400\",\"dataInLength\":36}");
    assertEquals(200, rd.status(), rd.body());
    assertEquals(devicesBefore, devices());
    assertEquals(200, RawHttp.json(port, "GET", "/api/stats", null).status());
  }
}
