package org.camstack.stack.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.camstack.stack.cli.CtlCommand;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The targ(4) API's answers to bad input on a real in-process node: unknown id, bad JSON values,
 * bad hex, a CTIO for a tag the LUN never had, a CTIO twice, enabling twice, a too long wait; and
 * the {@code ctl targ} verbs. Every error is a one-line JSON 4xx and the node keeps serving.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TargApiTest {
  private static EmulatorNode node;
  private static String url;

  @BeforeAll
  static void startNode() throws Exception {
    Path data = Files.createTempDirectory("camstack-targ");
    NodeSettings s = NodeSettings.load(Optional.empty(),
        Map.of("camstack.data-dir", data.toString(), "camstack.node.port", 0, "camstack.node.cluster-port", 0));
    node = EmulatorNode.start(s, new PrintStream(new ByteArrayOutputStream()));
    url = node.apiUrl();
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (node != null) {
      node.shutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  private static NodeProcess.Reply call(String method, String path, String body) throws Exception {
    return NodeProcess.call(url, method, path, body);
  }

  private static void assertError(int status, String text, NodeProcess.Reply r) {
    assertEquals(status, r.status(), r.body());
    assertTrue(r.json() != null && r.json().hasNonNull("error"), r.body());
    assertTrue(r.json().get("error").asText().contains(text), r.body());
    assertTrue(!r.body().contains("\n"), "one line: " + r.body());
  }

  private static String ctl(int rc, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] all = new String[args.length + 2];
    all[0] = "--node";
    all[1] = url;
    System.arraycopy(args, 0, all, 2, args.length);
    assertEquals(rc, CtlCommand.run(all, new PrintStream(out), new PrintStream(err)), err.toString(StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
  }

  @ParameterizedTest(name = "[{index}] {0} {1} -> {3}")
  @CsvSource(delimiter = '|', value = {
    "GET    | /api/targ/targ999/atio?wait=10 |                                   | 404 | no targ LUN 'targ999'",
    "POST   | /api/targ/targ999/ctio         | {\"tag\":1}                        | 404 | no targ LUN 'targ999'",
    "DELETE | /api/targ/nope                 |                                    | 404 | no targ LUN 'nope'",
    "POST   | /api/targ                      | {\"target\":0}                     | 400 | missing target or lun",
    "POST   | /api/targ                      | {\"target\":7,\"lun\":0}           | 400 | bad target 7",
    "POST   | /api/targ                      | {\"target\":16,\"lun\":0}          | 400 | bad target 16",
    "POST   | /api/targ                      | {\"target\":0,\"lun\":-1}          | 400 | bad lun -1",
    "POST   | /api/targ                      | {\"target\":\"x\",\"lun\":0}       | 400 | malformed request body",
  })
  void badRequestsWithoutALun(String method, String path, String body, int status, String text) throws Exception {
    assertError(status, text, call(method, path, body == null ? null : body));
  }

  @Test
  void ctioErrorsOnAnEnabledLun() throws Exception {
    NodeProcess.Reply en = call("POST", "/api/targ", "{\"target\":3,\"lun\":0}");
    assertEquals(200, en.status(), en.body());
    String id = en.json().get("id").asText();
    String base = "/api/targ/" + id;
    try {
      assertError(409, "already enabled", call("POST", "/api/targ", "{\"target\":3,\"lun\":0}"));
      // the scan's first command (INQUIRY) waits as an ATIO
      NodeProcess.Reply a = call("GET", base + "/atio?wait=5000", null);
      assertEquals(200, a.status(), a.body());
      assertEquals(0x12, a.json().get("opcode").asInt(), a.body());
      long tag = a.json().get("tag").asLong();

      assertError(400, "bad hex data", call("POST", base + "/ctio", "{\"tag\":" + tag + ",\"dataHex\":\"zz\"}"));
      assertError(400, "odd number", call("POST", base + "/ctio", "{\"tag\":" + tag + ",\"dataHex\":\"123\"}"));
      assertError(400, "bad base64", call("POST", base + "/ctio", "{\"tag\":" + tag + ",\"dataBase64\":\"!!\"}"));
      assertError(400, "not both", call("POST", base + "/ctio", "{\"tag\":" + tag + ",\"dataHex\":\"00\",\"dataBase64\":\"AA==\"}"));
      assertError(400, "bad SCSI status", call("POST", base + "/ctio", "{\"tag\":" + tag + ",\"status\":300}"));
      assertError(400, "needs senseHex", call("POST", base + "/ctio", "{\"tag\":" + tag + ",\"status\":2}"));
      assertError(400, "sense goes with status 2", call("POST", base + "/ctio", "{\"tag\":" + tag + ",\"senseHex\":\"700005\"}"));
      assertError(400, "missing tag", call("POST", base + "/ctio", "{\"status\":0}"));
      assertError(404, "no ATIO with tag 987654", call("POST", base + "/ctio", "{\"tag\":987654}"));
      assertError(422, "longer than the node waits", call("GET", base + "/atio?wait=99999999", null));
      assertError(400, "bad wait", call("GET", base + "/atio?wait=soon", null));

      // the INQUIRY answered with CHECK CONDITION (the LUN plays nothing); a second CTIO: 409
      String ctio = "{\"tag\":" + tag + ",\"status\":2,\"senseHex\":\"700005000000000a000000002500000000000000\"}";
      NodeProcess.Reply done = call("POST", base + "/ctio", ctio);
      assertEquals(200, done.status(), done.body());
      assertError(409, "answered", call("POST", base + "/ctio", ctio));
    } finally {
      assertEquals(200, call("DELETE", base, null).status());
    }
    assertError(404, "no targ LUN", call("DELETE", base, null));
    assertEquals(200, call("GET", "/health", null).status());
  }

  @Test
  void ctlVerbs() throws Exception {
    String enabled = ctl(0, "targ", "enable", "4", "0");
    assertTrue(enabled.matches("targ\\d+ at \\d+:4:0\\n"), enabled);
    String id = enabled.substring(0, enabled.indexOf(' '));
    assertTrue(ctl(0, "targ", "list").contains(id + " "), "list shows " + id);
    String atio = ctl(0, "targ", "atio", id, "--wait", "5000");
    assertTrue(atio.matches("tag \\d+: cdb 12.* from initiator 7, \\d+ bytes\\n"), atio);
    String tag = atio.substring(4, atio.indexOf(':'));
    String answered = ctl(0, "targ", "ctio", id, tag, "--status", "2", "--sense", "700005000000000a000000002500000000000000");
    assertEquals(id + ": tag " + tag + " answered, status 2, 0 bytes\n", answered);
    assertTrue(ctl(1, "targ", "ctio", id, tag).contains("answered"), "a second CTIO is refused");
    assertTrue(ctl(0, "targ", "disable", id).contains(id + " disabled"));
    assertTrue(ctl(1, "targ", "atio", id, "--wait", "10").contains("no targ LUN"));
  }

  @Test
  void atioWithoutCommandsAnswers204() throws Exception {
    NodeProcess.Reply en = call("POST", "/api/targ", "{\"target\":5,\"lun\":1}");
    assertEquals(200, en.status(), en.body());
    String base = "/api/targ/" + en.json().get("id").asText();
    try {
      // drain what the scan sends: each is answered so the probe finishes
      for (int i = 0; i < 50; i++) {
        NodeProcess.Reply a = call("GET", base + "/atio?wait=300", null);
        if (a.status() == 204) {
          assertEquals("", a.body());
          return;
        }
        assertEquals(200, a.status(), a.body());
        call("POST", base + "/ctio", "{\"tag\":" + a.json().get("tag").asLong()
            + ",\"status\":2,\"senseHex\":\"700005000000000a000000002500000000000000\"}");
      }
      throw new AssertionError("the scan never stopped sending commands");
    } finally {
      assertEquals(200, call("DELETE", base, null).status());
    }
  }
}
