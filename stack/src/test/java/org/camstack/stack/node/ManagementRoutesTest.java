package org.camstack.stack.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.camstack.stack.node.ApiTestNode.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The management API of a real in-process node (real stack, H2 journal in a temp dir), bound to
 * loopback with a token: 4xx with a one-line JSON message for bad input, nothing changed, and the
 * bearer token enforced on every request.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ManagementRoutesTest {

  private static final String TOKEN = "s3cret-token";
  private static ApiTestNode rig;
  private static EmulatorNode node;
  private static Path data;

  @BeforeAll
  static void startNode() throws Exception {
    rig = ApiTestNode.start("camstack-routes", TOKEN);
    node = rig.node;
    data = rig.data;
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (rig != null) {
      rig.close();
    }
  }


  private static Reply call(String method, String path, String body, String token) throws Exception {
    return rig.call(method, path, body, token, Map.of());
  }

  private static Reply call(String method, String path, String body) throws Exception {
    return call(method, path, body, TOKEN);
  }

  /** 4xx with exactly one line of error text. */
  private static void assertError(int status, Reply r) {
    assertEquals(status, r.status(), () -> "body: " + r.json());
    assertTrue(r.json().hasNonNull("error"), () -> "no error field: " + r.json());
    String msg = r.json().get("error").asText();
    assertFalse(msg.isBlank());
    assertFalse(msg.contains("\n"), () -> "multi-line error: " + msg);
  }

  @Test
  void everyRequestNeedsTheBearerToken() throws Exception {
    assertError(401, call("GET", "/health", null, null));
    assertError(401, call("GET", "/api/devlist", null, "wrong"));
    assertEquals("missing bearer token", call("GET", "/ready", null, null).json().get("error").asText());
    assertEquals(200, call("GET", "/health", null).status());
    assertEquals(200, call("GET", "/ready", null).status());
  }

  @Test
  void bindingBeyondLoopbackWithoutATokenIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> NodeSettings.load(Optional.empty(), Map.of("camstack.node.bind", "0.0.0.0", "camstack.node.token", "")));
    assertTrue(e.getMessage().contains("needs a token"), e.getMessage());
  }

  @Test
  void unknownDevicesAnswer404() throws Exception {
    assertError(404, call("GET", "/api/devices/da99/inquiry", null));
    assertError(404, call("GET", "/api/devices/7:7:7/readcap", null));
    assertError(404, call("DELETE", "/api/luns/0:9:0", null));
    assertError(404, call("GET", "/api/nothing-here", null));
  }

  @Test
  void malformedPathsAnswer400() throws Exception {
    assertError(400, call("GET", "/api/devices/0:x:1/readcap", null));
    assertError(400, call("GET", "/api/devices/0:1/inquiry", null));
    assertError(400, call("POST", "/api/rescan?path=0:1", null));
    assertError(400, call("POST", "/api/luns", "{\"path\":\"0:1\",\"sizeBytes\":1048576}"));
  }

  @Test
  void negativeSizesAnswer400AndChangeNothing() throws Exception {
    JsonNode before = call("GET", "/api/devices/0:1:0/readcap", null).json();
    assertError(400, call("POST", "/api/luns/0:1:0/resize", "{\"sizeBytes\":-5}"));
    assertError(400, call("POST", "/api/luns/0:1:0/resize", "{\"sizeBytes\":\"lots\"}"));
    assertError(400, call("POST", "/api/luns", "{\"path\":\"0:9:0\",\"sizeBytes\":-1}"));
    assertError(400, call("POST", "/api/devices/0:1:0/delay", "{\"fixedMicros\":-1}"));
    assertEquals(before, call("GET", "/api/devices/0:1:0/readcap", null).json());
    assertError(404, call("GET", "/api/devices/0:9:0/inquiry", null)); // the refused LUN was not added
  }

  @Test
  void badHexCdbsAnswer400() throws Exception {
    Reply open = call("POST", "/api/devfs/open", "{\"node\":\"pass0\"}");
    assertEquals(200, open.status(), () -> open.json().toString());
    long h = open.json().get("handle").asLong();
    try {
      assertError(400, call("POST", "/api/devfs/" + h + "/cdb", "{\"cdbHex\":\"zz00\"}"));
      assertError(400, call("POST", "/api/devfs/" + h + "/cdb", "{\"cdbHex\":\"120\"}"));
      assertError(400, call("POST", "/api/devfs/" + h + "/cdb", "{\"cdbHex\":\"1200\"}"));
      assertError(400, call("POST", "/api/devfs/" + h + "/write", "{\"offset\":0,\"dataHex\":\"xyz\"}"));
      Reply ok = call("POST", "/api/devfs/" + h + "/cdb", "{\"cdbHex\":\"120000002400\",\"dataInLength\":36}");
      assertEquals(200, ok.status(), () -> ok.json().toString());
      assertEquals("REQ_CMP", ok.json().get("camStatus").asText());
      assertEquals(72, ok.json().get("dataHex").asText().length());
    } finally {
      assertEquals(200, call("POST", "/api/devfs/" + h + "/close", null).status());
    }
    assertError(404, call("POST", "/api/devfs/" + h + "/close", null));
    assertError(400, call("POST", "/api/devfs/abc/close", null));
    assertError(404, call("POST", "/api/devfs/open", "{\"node\":\"pass99\"}"));
  }

  @Test
  void statsServeTheDeviceQueuesFiguresPerLunAndCtlPrintsThem() throws Exception {
    Reply open = call("POST", "/api/devfs/open", "{\"node\":\"pass0\"}");
    long h = open.json().get("handle").asLong();
    try {
      assertEquals(200, call("POST", "/api/devfs/" + h + "/cdb", "{\"cdbHex\":\"120000002400\",\"dataInLength\":36}").status());
    } finally {
      call("POST", "/api/devfs/" + h + "/close", null);
    }
    JsonNode stats = call("GET", "/api/stats", null).json();
    JsonNode lun0 = null;
    for (JsonNode l : stats.get("luns")) {
      if (l.get("path").asText().equals("0:0:0")) {
        lun0 = l;
      }
    }
    assertTrue(lun0 != null, stats::toString);
    assertTrue(lun0.get("periphs").toString().contains("pass0"), lun0::toString);
    assertTrue(lun0.get("io").get("other").asLong() >= 1, "the INQUIRY counts as other: " + lun0);
    assertTrue(lun0.get("io").has("p99Micros"), lun0::toString);
    String table =
        org.camstack.stack.cli.CamcontrolFormat.stats(
            new com.fasterxml.jackson.databind.ObjectMapper().treeToValue(stats, ApiModel.Stats.class));
    assertTrue(table.lines().anyMatch(l -> l.startsWith("0:0:0")), table);
  }

  @Test
  void malformedJsonAndBadRulesAnswer400() throws Exception {
    assertError(400, call("POST", "/api/luns", "{not json"));
    assertError(400, call("POST", "/api/devices/pass0/faults", "{\"type\":\"bogus\"}"));
    assertError(400, call("POST", "/api/devices/pass0/faults", "{\"type\":\"medium-error\",\"commands\":\"sideways\"}"));
    assertError(400, call("POST", "/api/devices/pass0/faults", "{\"type\":\"medium-error\",\"lbaStart\":10,\"lbaEnd\":5}"));
    assertEquals(0, call("GET", "/api/devices/pass0/faults", null).json().get("rules").size());
    assertError(404, call("DELETE", "/api/devices/pass0/faults/42", null));
  }

  @Test
  void faultRulesRoundTripThroughTheApi() throws Exception {
    Reply sense =
        call("POST", "/api/devices/pass0/faults",
            "{\"id\":\"rt-s\",\"type\":\"sense\",\"commands\":\"write\",\"senseKey\":4,\"asc\":68,\"ascq\":1}");
    assertEquals(200, sense.status(), () -> sense.json().toString());
    assertEquals("sense", sense.json().get("type").asText());
    assertEquals("write", sense.json().get("commands").asText());
    assertEquals(4, sense.json().get("senseKey").asInt());
    assertEquals(68, sense.json().get("asc").asInt());
    assertEquals(1, sense.json().get("ascq").asInt());
    assertFalse(sense.json().get("continuous").asBoolean(), "one-shot unless asked");
    assertTrue(sense.json().get("lbaStart").isNull());
    Reply medium =
        call("POST", "/api/devices/pass0/faults",
            "{\"id\":\"rt-m\",\"type\":\"medium-error\",\"commands\":\"read\",\"lbaStart\":10,\"lbaEnd\":19,\"continuous\":true}");
    assertEquals(200, medium.status(), () -> medium.json().toString());
    assertEquals(10, medium.json().get("lbaStart").asLong());
    assertEquals(19, medium.json().get("lbaEnd").asLong());
    assertTrue(medium.json().get("continuous").asBoolean());
    assertTrue(medium.json().get("asc").isNull(), "the kind's default sense");
    try {
      JsonNode rules = call("GET", "/api/devices/pass0/faults", null).json().get("rules");
      assertEquals(2, rules.size());
      assertEquals(sense.json(), rules.get(0));
      assertEquals(medium.json(), rules.get(1));
    } finally {
      assertEquals(200, call("DELETE", "/api/devices/pass0/faults/rt-s", null).status());
      assertEquals(200, call("DELETE", "/api/devices/pass0/faults/rt-m", null).status());
    }
  }

  @Test
  void wrongMethodsAnswer405InJson() throws Exception {
    assertError(405, call("DELETE", "/api/devlist", null));
  }

  // ------------------------------------------------------------------ hardening (issue 10)

  private static Reply callWith(String method, String path, String body, Map<String, String> headers) throws Exception {
    return rig.call(method, path, body, TOKEN, headers);
  }

  @Test
  void crossOriginAndNonJsonStateChangesAreRefused() throws Exception {
    // the token does not make a cross-origin POST acceptable, nor does the lack of one
    assertError(403, callWith("POST", "/api/devices/da0/stop", null, Map.of("Origin", "http://evil.example")));
    assertError(403, callWith("POST", "/api/reset?path=all", null, Map.of("Origin", "null")));
    assertError(403, callWith("POST", "/api/reset?path=all", null, Map.of("Sec-Fetch-Site", "cross-site")));
    assertError(415, callWith("POST", "/api/devices/da0/stop", "", Map.of("Content-Type", "text/plain")));
    assertError(415, callWith("POST", "/api/luns", "path=0:9:0", Map.of("Content-Type", "application/x-www-form-urlencoded")));
    // same origin and a bodyless POST as the ctl client sends it
    String self = node.apiUrl();
    Reply tur = callWith("POST", "/api/devices/0:0:0/tur", null, Map.of("Origin", self));
    assertEquals(200, tur.status(), () -> tur.json().toString());
    assertEquals(200, callWith("POST", "/api/devices/0:0:0/tur", null, Map.of()).status());
  }

  @Test
  void aForeignHostHeaderIsRefused() throws Exception {
    Map<String, String> auth = Map.of("Authorization", "Bearer " + TOKEN);
    for (String host : new String[] {"evil.example", "evil.example:" + node.apiPort(), "127.0.0.1.nip.io", "10.1.2.3"}) {
      java.util.Map<String, String> h = new java.util.HashMap<>(auth);
      h.put("Host", host);
      RawHttp.Reply r = RawHttp.send(node.apiPort(), "GET", "/api/devlist", h, (byte[]) null);
      assertEquals(403, r.status(), () -> host + ": " + r.body());
      assertTrue(r.error().contains("Host"), r.error());
    }
    for (String host : new String[] {"localhost:" + node.apiPort(), "127.0.0.1", "[::1]:" + node.apiPort()}) {
      java.util.Map<String, String> h = new java.util.HashMap<>(auth);
      h.put("Host", host);
      assertEquals(200, RawHttp.send(node.apiPort(), "GET", "/health", h, (byte[]) null).status(), host);
    }
  }

  @Test
  void hugeLunsAnswer422AndTheNodeStaysUp() throws Exception {
    long t500000 = 500_000L << 40; // ctl lun add 0:5:0 --size 500000T
    Reply add = call("POST", "/api/luns", "{\"path\":\"0:5:0\",\"sizeBytes\":" + t500000 + "}");
    assertError(422, add);
    assertTrue(add.json().get("error").asText().contains("max-lun-size"), add.json().toString());
    assertError(422, call("POST", "/api/luns/0:1:0/resize", "{\"sizeBytes\":576460748008456192}"));
    assertError(422, call("POST", "/api/luns/0:1:0/resize", "{\"sizeBytes\":" + Long.MAX_VALUE + "}"));
    assertEquals(200, call("GET", "/health", null).status());
    assertError(404, call("GET", "/api/devices/0:5:0/inquiry", null));
    // a large thin LUN within the limit costs nothing up front
    Reply ok = call("POST", "/api/luns", "{\"path\":\"0:5:0\",\"sizeBytes\":" + (1L << 49) + "}");
    assertEquals(200, ok.status(), () -> ok.json().toString());
    assertEquals(200, call("DELETE", "/api/luns/0:5:0", null).status());
  }

  @Test
  void racingAddsAnswer409AndRacingRemovesAnswer404() throws Exception {
    String body = "{\"path\":\"1:8:0\",\"sizeBytes\":1048576}";
    java.util.List<Integer> adds = race("POST", "/api/luns", body);
    assertEquals(java.util.List.of(200, 409), adds, "one add wins, the other conflicts");
    java.util.List<Integer> removes = race("DELETE", "/api/luns/1:8:0", null);
    assertEquals(java.util.List.of(200, 404), removes, "one remove wins, the other finds nothing");
  }

  private static java.util.List<Integer> race(String method, String path, String body) throws Exception {
    java.util.List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> fs = new java.util.ArrayList<>();
    for (int i = 0; i < 2; i++) {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.apiUrl() + path)).timeout(Duration.ofSeconds(30));
      b.header("Authorization", "Bearer " + TOKEN);
      if (body != null) {
        b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
      } else {
        b.method(method, HttpRequest.BodyPublishers.noBody());
      }
      fs.add(ApiTestNode.HTTP.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString()));
    }
    java.util.List<Integer> out = new java.util.ArrayList<>();
    for (var f : fs) {
      HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
      assertTrue(r.body().startsWith("{"), r.body());
      out.add(r.statusCode());
    }
    java.util.Collections.sort(out);
    return out;
  }

  @Test
  void faultRulesAreValidated() throws Exception {
    assertError(422, call("POST", "/api/devices/pass1/faults", "{\"type\":\"medium-error\",\"lbaEnd\":100}"));
    assertError(422, call("POST", "/api/devices/pass1/faults", "{\"type\":\"busy\",\"id\":\"../../x\"}"));
    assertError(422, call("POST", "/api/devices/pass1/faults", "{\"type\":\"busy\",\"id\":\"" + "y".repeat(65) + "\"}"));
    Reply first = call("POST", "/api/devices/pass1/faults", "{\"type\":\"busy\",\"id\":\"r-1\"}");
    assertEquals(200, first.status(), () -> first.json().toString());
    try {
      assertError(409, call("POST", "/api/devices/pass1/faults", "{\"type\":\"aborted\",\"id\":\"r-1\"}"));
      assertEquals("busy", call("GET", "/api/devices/pass1/faults", null).json().get("rules").get(0).get("type").asText());
    } finally {
      assertEquals(200, call("DELETE", "/api/devices/pass1/faults/r-1", null).status());
    }
  }

  @Test
  void longEchoesAreCutAndErrorsKeepTheirDetail() throws Exception {
    String name = "n".repeat(100_000);
    for (Reply r :
        new Reply[] {
          call("POST", "/api/devfs/open", "{\"node\":\"" + name + "\"}"),
          call("POST", "/api/luns", "{\"path\":\"0:9:0\",\"sizeBytes\":1048576,\"vendor\":\"" + name + "\"}")
        }) {
      assertError(422, r);
      assertTrue(r.json().get("error").asText().length() < 500, r.json().get("error").asText());
    }
    // malformed JSON: the parser's detail, not just "The request content was malformed:"
    Reply bad = call("POST", "/api/luns", "{\"path\": 0:1");
    assertError(400, bad);
    assertTrue(bad.json().get("error").asText().length() > "The request content was malformed:".length() + 5, bad.json().toString());
  }

  @Test
  void handlesAndTransfersAreLimited() throws Exception {
    java.util.List<Long> handles = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < ApiLimits.defaults().maxHandlesPerClient(); i++) {
        Reply o = call("POST", "/api/devfs/open", "{\"node\":\"pass0\"}");
        assertEquals(200, o.status(), () -> o.json().toString());
        handles.add(o.json().get("handle").asLong());
      }
      assertError(429, call("POST", "/api/devfs/open", "{\"node\":\"pass0\"}"));
      long h = handles.get(0);
      assertError(413, call("POST", "/api/devfs/" + h + "/read", "{\"offset\":0,\"length\":" + ((1 << 20) + 1) + "}"));
      assertError(413, call("POST", "/api/devfs/" + h + "/cdb", "{\"cdbHex\":\"28000000000000000100\",\"dataInLength\":16777216}"));
      assertError(422, call("POST", "/api/devfs/" + h + "/cdb", "{\"cdbHex\":\"00000000000000\",\"timeoutMs\":3600000}"));
      assertEquals(200, call("POST", "/api/devfs/" + h + "/cdb", "{\"cdbHex\":\"120000002400\",\"dataInLength\":36}").status());
      String big = "{\"offset\":0,\"dataHex\":\"" + "0".repeat(5 << 20) + "\"}";
      // a raw socket: the node answers 413 from the Content-Length and closes without reading the
      // body, which java.net.http may see as a connection closed before the answer
      RawHttp.Reply raw = RawHttp.send(URI.create(node.apiUrl()).getPort(), "POST", "/api/devfs/" + h + "/write",
          Map.of("Content-Type", "application/json", "Authorization", "Bearer " + TOKEN), big);
      assertError(413, new Reply(raw.status(), raw.json()));
    } finally {
      for (long h : handles) {
        assertEquals(200, call("POST", "/api/devfs/" + h + "/close", null).status());
      }
    }
    Reply again = call("POST", "/api/devfs/open", "{\"node\":\"pass0\"}");
    assertEquals(200, again.status(), "closing gives the slots back");
    assertEquals(200, call("POST", "/api/devfs/" + again.json().get("handle").asLong() + "/close", null).status());
  }

  @Test
  void theTokenComesFromTheEnvironmentOrAnOwnerOnlyFile() throws Exception {
    assertEquals(Optional.of("from-env"), NodeSettings.load(Optional.empty(), Map.of(), Map.of(NodeSettings.TOKEN_ENV, "from-env")).token());
    Path f = Files.createTempFile(data.getParent(), "token", "");
    Files.writeString(f, "from-file\n");
    Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> NodeSettings.load(Optional.empty(), Map.of("camstack.node.token-file", f.toString()), Map.of()));
    assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    assertEquals(
        Optional.of("from-file"),
        NodeSettings.load(Optional.empty(), Map.of("camstack.node.token-file", f.toString()), Map.of(NodeSettings.TOKEN_ENV, "x")).token());
    Files.delete(f);
  }

  @Test
  void theServerWaitsLongerThanAnyOperation() {
    NodeSettings s = NodeSettings.load(Optional.empty(), Map.of(), Map.of());
    assertTrue(s.requestTimeout().compareTo(s.scanTimeout()) > 0, "request timeout " + s.requestTimeout() + " vs scan " + s.scanTimeout());
    assertTrue(s.requestTimeout().compareTo(NodeSettings.START_STOP_TIMEOUT) > 0);
    assertEquals(s.requestTimeout(), s.systemConfig().getDuration("pekko.http.server.request-timeout"));
  }

  @Test
  void theJournalServerListensOnLoopbackWithAPasswordOnlyTheOwnerReads() throws Exception {
    Path secret = data.resolve(org.camstack.persistence.journal.JournalConfig.H2_SECRET_FILE);
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)));
    assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
    java.util.Properties lock = new java.util.Properties();
    try (var in = Files.newInputStream(data.resolve("camstack.lock.db"))) {
      lock.load(in);
    }
    String server = lock.getProperty("server", "");
    int h2Port = Integer.parseInt(server.substring(server.lastIndexOf(':') + 1));
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress("127.0.0.1", h2Port), 2000); // served on loopback
    }
    // and on no other address of this host
    for (java.net.NetworkInterface nif : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
      for (java.net.InetAddress a : java.util.Collections.list(nif.getInetAddresses())) {
        if (!a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
          assertThrows(java.io.IOException.class, () -> {
            try (java.net.Socket s = new java.net.Socket()) {
              s.connect(new java.net.InetSocketAddress(a, h2Port), 2000);
            }
          }, "H2 answers on " + a);
        }
      }
    }
    // the old credentials no longer open it
    assertThrows(
        java.sql.SQLException.class,
        () -> java.sql.DriverManager.getConnection(org.camstack.persistence.journal.JournalConfig.h2Url(data), "sa", "").close());
    assertTrue(h2Port > 0);
  }
}
