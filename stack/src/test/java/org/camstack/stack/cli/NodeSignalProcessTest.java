package org.camstack.stack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./camstack node} as an operator sees its start-up: progress on stderr, and SIGTERM while
 * the node is still starting ends the process with exit 0, without ever announcing "API
 * listening".
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class NodeSignalProcessTest {

  private static final ActorTestKit TESTKIT = ActorTestKit.create();
  private static final TestProbe<Void> PROBE = TESTKIT.createTestProbe();

  @AfterAll
  static void shutdown() {
    TESTKIT.shutdownTestKit();
  }

  @Test
  void sigtermDuringStartUpExitsZeroAndNeverAnnouncesTheApi(@TempDir Path dir) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path data = dir.resolve("data");
    Path out = dir.resolve("node.out");
    Path err = dir.resolve("node.err");
    ProcessBuilder pb =
        new ProcessBuilder(
            java, "-XX:TieredStopAtLevel=1", "-Xss1m", "-cp", System.getProperty("java.class.path"),
            "org.camstack.stack.cli.Main", "node", "--port", "0", "--cluster-port", "0", "--data", data.toString());
    pb.redirectOutput(out.toFile());
    pb.redirectError(err.toFile());
    Process p = pb.start();
    try {
      PROBE.awaitAssert(
          Duration.ofSeconds(90),
          Duration.ofMillis(50),
          () -> {
            assertTrue(p.isAlive(), "node exited early");
            assertTrue(Files.readString(err, StandardCharsets.UTF_8).contains("camstack node: starting: data "), "no progress yet");
            return null;
          });
      p.destroy(); // SIGTERM, while the node is starting
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), "node did not stop");
      String stderr = Files.readString(err, StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), stderr);
      assertFalse(Files.readString(out, StandardCharsets.UTF_8).contains("API listening"), "announced after the signal");
      assertTrue(stderr.contains("camstack node: stop"), stderr);
    } finally {
      if (p.isAlive()) {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }
}
