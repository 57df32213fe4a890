package org.camstack.stack.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.camstack.stack.cli.CtlCommand;
import org.camstack.stack.iscsi.Opcode;
import org.camstack.stack.iscsi.Pdu;
import org.camstack.stack.target.TargetInventory;
import org.camstack.stack.target.iscsi.InitiatorPdus;
import org.camstack.stack.target.iscsi.RawInitiator;
import org.camstack.stack.target.iscsi.TargetNames;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The node's iSCSI portal: its stdout line, ports and sessions over HTTP and ctl, logout, the bind rule. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class IscsiNodeTest {
  private static EmulatorNode node;
  private static String stdout;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void startNode() throws Exception {
    Path data = Files.createTempDirectory("camstack-iscsi-node");
    NodeSettings s = NodeSettings.load(Optional.empty(), Map.of("camstack.data-dir", data.toString(), "camstack.node.port", 0,
        "camstack.node.cluster-port", 0, "camstack.iscsi.port", "0", "camstack.iscsi.host", "NodeTest_Host"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    node = EmulatorNode.start(s, new PrintStream(out, true, StandardCharsets.UTF_8));
    stdout = out.toString(StandardCharsets.UTF_8);
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (node != null) {
      node.shutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  private static JsonNode get(String path) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(node.apiUrl() + path)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return ManagementRoutes.MAPPER.readTree(r.body());
  }

  private static String ctl(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String[] all = new String[args.length + 2];
    all[0] = "--node";
    all[1] = node.apiUrl();
    System.arraycopy(args, 0, all, 2, args.length);
    int rc = CtlCommand.run(all, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()));
    assertEquals(0, rc, out.toString(StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void portalLineSessionsAndLogoutOverHttpAndCtl() throws Exception {
    Matcher m = Pattern.compile("camstack node: iSCSI portal listening on 127\\.0\\.0\\.1:(\\d+)\n").matcher(stdout);
    assertTrue(m.find(), stdout);
    int port = Integer.parseInt(m.group(1));
    assertEquals(port, node.portal().orElseThrow().port());
    JsonNode ports = get("/api/ports").get("ports");
    assertEquals("camsim", ports.get(0).get("kind").asText());
    assertEquals("iscsi", ports.get(1).get("kind").asText());
    assertEquals("127.0.0.1:" + port, ports.get(1).get("address").asText());
    assertTrue(ports.get(1).get("targets").get(0).asText().startsWith("iqn.2026-12.org.camstack:nodetest-host.b"),
        ports.toString());
    assertTrue(ctl("port", "list").contains("iscsi   127.0.0.1:" + port), ctl("port", "list"));
    String target = ports.get(1).get("targets").get(0).asText();
    try (RawInitiator ini = new RawInitiator(port)) {
      Pdu r = ini.login("iqn.test:node", target, 0xAB01);
      assertEquals(0, r.specificInt(36) >>> 16);
      JsonNode sessions = get("/api/iscsi/sessions").get("sessions");
      assertEquals(1, sessions.size());
      int tsih = sessions.get(0).get("tsih").asInt();
      assertEquals("iqn.test:node", sessions.get(0).get("initiator").asText());
      assertEquals("00000000ab01", sessions.get(0).get("isid").asText());
      assertTrue(ctl("iscsi", "sessions").contains("iqn.test:node"));
      assertTrue(ctl("iscsi", "logout", Integer.toString(tsih)).contains("asked to log out"));
      Pdu async = ini.next();
      assertEquals(Opcode.ASYNC_MESSAGE, async.opcode());
      ini.send(InitiatorPdus.logout(7, ini.cmdSn, 0));
      assertEquals(Opcode.LOGOUT_RESPONSE, ini.next().opcode());
      assertTrue(ini.closedByTarget());
    }
    assertEquals(404, HTTP.send(HttpRequest.newBuilder(URI.create(node.apiUrl() + "/api/iscsi/sessions/999/logout"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode());
  }

  @Test
  void portOffAndTheNonLoopbackRule() {
    TargetInventory inv = new TargetInventory();
    var system = org.apache.pekko.actor.typed.ActorSystem.create(org.apache.pekko.actor.typed.javadsl.Behaviors.empty(), "iscsi-wiring");
    try {
      assertNull(IscsiWiring.start(system, ConfigFactory.parseMap(Map.of("camstack.iscsi.port", "off"))
          .withFallback(ConfigFactory.load()), inv));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IscsiWiring.start(system,
          ConfigFactory.parseMap(Map.of("camstack.iscsi.bind", "0.0.0.0")).withFallback(ConfigFactory.load()), inv));
      assertTrue(e.getMessage().contains("needs CHAP credentials"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> IscsiWiring.start(system,
          ConfigFactory.parseMap(Map.of("camstack.iscsi.port", "70000")).withFallback(ConfigFactory.load()), inv));
    } finally {
      system.terminate();
    }
    assertEquals("iqn.2026-12.org.camstack:nodetest-host.b0.t1", TargetNames.name("NodeTest_Host", 0, 1));
  }
}
