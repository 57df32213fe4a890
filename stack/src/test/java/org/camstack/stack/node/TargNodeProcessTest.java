package org.camstack.stack.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * targ(4) end to end (issue 14's "done means"): a real node process; a thread of this test is the
 * user program playing a tiny disk over HTTP ({@link TargDiskProgram}: ATIOs in, CTIOs out). The
 * node's own da driver attaches to the played LUN (devlist shows it) and a read through {@code
 * /api/devfs} returns the program's blocks; disabling the LUN takes the da away through the
 * hot-plug path.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class TargNodeProcessTest {
  private static final ActorTestKit TESTKIT = ActorTestKit.create();
  private static final TestProbe<Void> PROBE = TESTKIT.createTestProbe();

  @AfterAll
  static void shutdownTestKit() {
    TESTKIT.shutdownTestKit();
  }

  /** The periph names of {@code driver} at {@code btl} on the targ bus, from devlist. */
  private static List<String> periphsAt(String url, String driver) throws Exception {
    JsonNode d = NodeProcess.call(url, "GET", "/api/devlist", null).json();
    java.util.ArrayList<String> out = new java.util.ArrayList<>();
    for (JsonNode bus : d.get("buses")) {
      if (!bus.get("simName").asText().equals(TargApi.BUS_NAME)) {
        continue;
      }
      for (JsonNode dev : bus.get("devices")) {
        if (dev.get("target").asInt() == 0 && dev.get("lun").asLong() == 0 && dev.get("vendor").asText().startsWith("USERPROG")) {
          for (JsonNode p : dev.get("periphs")) {
            if (p.asText().startsWith(driver)) {
              out.add(p.asText());
            }
          }
        }
      }
    }
    return out;
  }

  @Test
  void daAttachesToADiskAUserProgramPlaysOverHttpAndReadsItsBlocks(@TempDir Path tmp) throws Exception {
    try (NodeProcess node = NodeProcess.start(PROBE, tmp.resolve("node"), "targ")) {
      String url = node.awaitReady();
      NodeProcess.Reply en = NodeProcess.call(url, "POST", "/api/targ", "{\"target\":0,\"lun\":0}");
      assertEquals(200, en.status(), en.body());
      String id = en.json().get("id").asText();
      TargDiskProgram program = new TargDiskProgram((m, p, b) -> NodeProcess.call(url, m, p, b), id);
      Thread t = new Thread(program, "targ-user-program");
      t.start();
      try {
        String da = PROBE.awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
          assertEquals(List.of(), program.errors);
          List<String> das = periphsAt(url, "da");
          assertEquals(1, das.size(), "one da on the played disk: " + das);
          return das.get(0);
        });
        assertTrue(program.opcodes.contains(0x12), "the probe's INQUIRY was answered by the program: " + program.opcodes);

        // the node appears once the da's READ CAPACITY (answered by the program) finished attaching it
        NodeProcess.Reply open = PROBE.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
          NodeProcess.Reply o = NodeProcess.call(url, "POST", "/api/devfs/open", "{\"node\":\"" + da + "\"}");
          assertEquals(200, o.status(), o.body());
          return o;
        });
        long h = open.json().get("handle").asLong();
        NodeProcess.Reply read = NodeProcess.call(url, "POST", "/api/devfs/" + h + "/read", "{\"offset\":" + 5 * 512 + ",\"length\":" + 3 * 512 + "}");
        assertEquals(200, read.status(), read.body());
        assertEquals(HexFormat.of().formatHex(TargDiskProgram.blocks(5, 3)), read.json().get("dataHex").asText());
        // the program records an opcode after its CTIO returned, which may be after the READ's reply
        PROBE.awaitAssert(Duration.ofSeconds(10), () -> {
          assertTrue(program.opcodes.contains(0x08) || program.opcodes.contains(0x28), "the READ went to the program: " + program.opcodes);
          return null;
        });
        assertEquals(200, NodeProcess.call(url, "POST", "/api/devfs/" + h + "/close", null).status());

        // a second CTIO for a tag the program answered: 409, the node stays up
        long answered = program.tags.get(0);
        NodeProcess.Reply twice = NodeProcess.call(url, "POST", "/api/targ/" + id + "/ctio", "{\"tag\":" + answered + ",\"status\":0}");
        assertEquals(409, twice.status(), twice.body());
        assertTrue(twice.json().get("error").asText().contains("answered"), twice.body());
      } finally {
        program.stop();
        t.join(10_000);
      }
      assertEquals(List.of(), program.errors);

      NodeProcess.Reply off = NodeProcess.call(url, "DELETE", "/api/targ/" + id, null);
      assertEquals(200, off.status(), off.body());
      PROBE.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(200),
          () -> {
            assertEquals(List.of(), periphsAt(url, "da"), "the da left through the hot-plug path");
            return null;
          });
      assertEquals(404, NodeProcess.call(url, "GET", "/api/targ/" + id + "/atio?wait=10", null).status());
      assertNull(NodeProcess.call(url, "GET", "/api/targ", null).json().get("luns").get(0));
      assertNotNull(NodeProcess.call(url, "GET", "/health", null).json());
      assertEquals(0, node.stop());
    }
  }
}
