package org.camstack.persistence.journal;

import static org.camstack.persistence.journal.JournalTestSupport.ask;
import static org.camstack.persistence.journal.JournalTestSupport.inspect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.camstack.persistence.audit.AuditWriter;
import org.camstack.persistence.audit.LifetimeListener;
import org.camstack.persistence.cli.CliRun;
import org.camstack.persistence.device.DeviceEntity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * kill -9 in the middle of a hot-plug/unplug storm: the journal recovers to a consistent state.
 * Every write is atomic (a capacity change and its unit attention are there together or not at
 * all), sequence numbers have no gaps, every payload decodes, and after the restarted stack
 * records StackStarted, the lifetime trail verifies (the teardown the kill interrupted ended with
 * the old boot).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CrashRecoveryTest {

  @Test
  void aKilledNodeLeavesAConsistentJournal() throws Exception {
    Path dir = JournalTestSupport.freshH2Dir("crash");
    String dev = JournalTestSupport.wwn("crash");
    String host = JournalTestSupport.host("crash");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process victim =
        new ProcessBuilder(
                java, "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                CrashWriterMain.class.getName(), dir.toString(), dev, host)
            .redirectErrorStream(true)
            .start();
    try {
      BufferedReader lines =
          new BufferedReader(new InputStreamReader(victim.getInputStream(), StandardCharsets.UTF_8));
      CompletableFuture<Boolean> ready =
          CompletableFuture.supplyAsync(
              () -> lines.lines().anyMatch(l -> l.equals("READY")));
      assertTrue(ready.get(90, TimeUnit.SECONDS), "the victim never got ready");
    } finally {
      victim.destroyForcibly(); // SIGKILL: no shutdown hooks, no orderly close of H2
      victim.waitFor(30, TimeUnit.SECONDS);
    }

    String pid = DeviceEntity.persistenceId(dev).id();
    List<JsonNode> deviceEvents = export(dir, pid);
    assertContiguous(deviceEvents);
    long capacityChanges = count(deviceEvents, "CapacityChanged");
    assertTrue(capacityChanges >= 5, "acknowledged writes survive the kill: " + capacityChanges);
    assertEquals(capacityChanges, count(deviceEvents, "UnitAttentionPosted"), "atomic writes");
    assertContiguous(export(dir, "CamLifetime|" + host));

    ActorTestKit node = JournalTestSupport.startNode("CrashRecoveryTest", JournalConfig.h2(dir));
    try {
      var d = node.spawn(DeviceEntity.create(dev, 10));
      DeviceEntity.State state = ask(node, d, DeviceEntity.Get::new);
      var s = assertInstanceOf(DeviceEntity.Configured.class, state);
      JsonNode lastPlug =
          deviceEvents.stream()
              .filter(e -> e.get("event").asText().matches("DevicePlugged|DeviceUnplugged"))
              .reduce((a, b) -> b)
              .orElseThrow();
      assertEquals(lastPlug.get("event").asText().equals("DevicePlugged"), s.plugged());
      assertEquals(1000 + capacityChanges, s.blocks());
      assertEquals(capacityChanges, s.unitAttentions().size(), "pending UAs survive the crash");

      // the restarted stack marks the new boot; the interrupted teardown ended with the old one
      ActorRef<AuditWriter.Command> writer = node.spawn(AuditWriter.create(host));
      LifetimeListener.journal(writer).stackStarted("boot-2");
      TestProbe<StatusReply<Long>> flushed = node.createTestProbe();
      writer.tell(new AuditWriter.Flush(flushed.getRef()));
      flushed.receiveMessage(Duration.ofSeconds(30));
      CliRun verify = inspect("verify", "--db", dir.toString(), "--host", host);
      assertEquals(0, verify.exit(), verify.out());
    } finally {
      node.shutdownTestKit();
    }
  }

  private static List<JsonNode> export(Path dir, String pid) throws Exception {
    CliRun r = inspect("export", "--json", "--db", dir.toString(), "--id", pid);
    assertEquals(0, r.exit(), r.err());
    ObjectMapper m = new ObjectMapper();
    List<JsonNode> out = new ArrayList<>();
    for (String line : r.out().lines().toList()) {
      JsonNode n = m.readTree(line);
      assertFalse(n.has("error"), "undecodable after the crash: " + line);
      out.add(n);
    }
    return out;
  }

  private static void assertContiguous(List<JsonNode> events) {
    for (int i = 0; i < events.size(); i++) {
      assertEquals(i + 1, events.get(i).get("seqNr").asLong(), "gap in " + events.get(i));
    }
  }

  private static long count(List<JsonNode> events, String name) {
    return events.stream().filter(e -> e.get("event").asText().equals(name)).count();
  }
}
