package org.camstack.stack.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
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
  private static EmulatorNode node;
  private static Path data;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void startNode() throws Exception {
    data = Files.createTempDirectory("camstack-routes");
    NodeSettings s =
        NodeSettings.load(
            Optional.empty(),
            Map.of(
                "camstack.data-dir", data.toString(),
                "camstack.node.port", 0,
                "camstack.node.cluster-port", 0,
                "camstack.node.token", TOKEN));
    node = EmulatorNode.start(s, new PrintStream(new ByteArrayOutputStream()));
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (node != null) {
      node.shutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  private record Reply(int status, JsonNode json) {}

  private static Reply call(String method, String path, String body, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.apiUrl() + path)).timeout(Duration.ofSeconds(30));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (body != null) {
      b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), ManagementRoutes.MAPPER.readTree(r.body()));
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
    assertError(404, call("GET", "/api/devices/da9/inquiry", null));
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
}
