package org.camstack.persistence.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.camstack.persistence.audit.LifetimeEvent.DevfsNodeCreated;
import org.camstack.persistence.audit.LifetimeEvent.PeriphRegistered;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The audit entity (serialization verified) and its batching writer, on the in-memory journal. */
@ExtendWith(LogCapturingExtension.class)
class LifetimeAuditTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create(
          ConfigFactory.parseString("camstack.audit.write-timeout = 1s")
              .withFallback(EventSourcedBehaviorTestKit.config())
              .withFallback(PersistenceTestKitSnapshotPlugin.config())
              .withFallback(PersistenceTestKitPlugin.config())
              .withFallback(ConfigFactory.load()));

  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());

  private static int hosts;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void clearJournal() {
    journal.clearAll();
  }

  private static PeriphRegistered registered(int unit) {
    return new PeriphRegistered("da", unit, 1, "naa.50000000000000" + (10 + unit % 90), 1_000L + unit, "scbus0:" + unit + ":0");
  }

  @Test
  void appendIsOptimisticAndIdempotentForRetries() {
    EventSourcedBehaviorTestKit<LifetimeAudit.Command, LifetimeEvent, LifetimeAudit.State> audit =
        EventSourcedBehaviorTestKit.create(testKit.system(), LifetimeAudit.create("es-host"));
    audit.clear();
    List<LifetimeEvent> batch =
        List.of(registered(0), new DevfsNodeCreated("da", 0, 1, "naa.5000000000000010", 2L, "da0"));
    var first =
        audit.<StatusReply<Long>>runCommand(rt -> new LifetimeAudit.Append(batch, 0, rt));
    assertEquals(2L, first.reply().getValue());
    assertEquals(batch, first.events());

    var retry = audit.<StatusReply<Long>>runCommand(rt -> new LifetimeAudit.Append(batch, 0, rt));
    assertEquals(2L, retry.reply().getValue());
    assertTrue(retry.hasNoEvents());

    var stale =
        audit.<StatusReply<Long>>runCommand(
            rt -> new LifetimeAudit.Append(List.of(registered(1)), 5, rt));
    assertTrue(stale.reply().isError());
    assertTrue(stale.reply().getError().getMessage().contains("sequence mismatch"));

    assertEquals(new LifetimeAudit.State(2), audit.restart().state());
  }

  @Test
  void theWriterGroupsEventsIntoFewJournalWrites() {
    String host = "batch-host-" + hosts++;
    ActorRef<AuditWriter.Command> writer = testKit.spawn(AuditWriter.create(host));
    int n = 5_000;
    for (int i = 0; i < n; i++) {
      writer.tell(new AuditWriter.Record(registered(i)));
    }
    TestProbe<StatusReply<Long>> flushed = testKit.createTestProbe();
    writer.tell(new AuditWriter.Flush(flushed.getRef()));
    assertEquals((long) n, flushed.receiveMessage(Duration.ofSeconds(20)).getValue());

    TestProbe<AuditWriter.Stats> stats = testKit.createTestProbe();
    writer.tell(new AuditWriter.GetStats(stats.getRef()));
    AuditWriter.Stats s = stats.receiveMessage();
    assertEquals(n, s.written());
    assertTrue(s.batches() < n / 10, "expected group commit, got " + s);

    List<Object> persisted = journal.persistedInStorage(LifetimeAudit.persistenceId(host).id());
    List<Object> expected = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      expected.add(registered(i));
    }
    assertEquals(expected, persisted);
  }

  @Test
  void aFailedWriteIsRetriedWithoutLosingOrDuplicatingEvents() {
    String host = "retry-host-" + hosts++;
    String pid = LifetimeAudit.persistenceId(host).id();
    ActorRef<AuditWriter.Command> writer =
        testKit.spawn(AuditWriter.create(host));
    TestProbe<StatusReply<Long>> flushed = testKit.createTestProbe();
    writer.tell(new AuditWriter.Record(registered(0)));
    writer.tell(new AuditWriter.Flush(flushed.getRef()));
    flushed.receiveMessage(Duration.ofSeconds(10));

    journal.failNextPersisted(pid);
    for (int i = 1; i <= 3; i++) {
      writer.tell(new AuditWriter.Record(registered(i)));
    }
    writer.tell(new AuditWriter.Flush(flushed.getRef()));
    assertEquals(4L, flushed.receiveMessage(Duration.ofSeconds(20)).getValue());
    assertEquals(
        List.of(registered(0), registered(1), registered(2), registered(3)),
        journal.persistedInStorage(pid));
    TestProbe<AuditWriter.Stats> stats = testKit.createTestProbe();
    writer.tell(new AuditWriter.GetStats(stats.getRef()));
    assertTrue(stats.receiveMessage().retries() >= 1);
  }

  @Test
  void theJournalInterfaceStampsAndForwardsEvents() {
    String host = "iface-host-" + hosts++;
    ActorRef<AuditWriter.Command> writer = testKit.spawn(AuditWriter.create(host));
    LifetimeListener lj = LifetimeListener.journal(writer);
    long before = LifetimeEvent.nowMicros();
    lj.stackStarted("boot-1");
    lj.periphRegistered("pass", 3, 2, "naa.5000c50000000003", "scbus0:3:0");
    lj.protocolViolation("pass", 3, 2, "naa.5000c50000000003", ViolationKind.DUPLICATE_NAME, "pass3 exists", List.of("pass3"));
    TestProbe<StatusReply<Long>> flushed = testKit.createTestProbe();
    writer.tell(new AuditWriter.Flush(flushed.getRef()));
    assertEquals(3L, flushed.receiveMessage(Duration.ofSeconds(10)).getValue());
    List<Object> events = journal.persistedInStorage(LifetimeAudit.persistenceId(host).id());
    var reg = (PeriphRegistered) events.get(1);
    assertEquals("pass3", reg.periphName());
    assertTrue(reg.timestampMicros() >= before);
    var v = (LifetimeEvent.ProtocolViolation) events.get(2);
    assertEquals(List.of("pass3"), v.names());
  }

  @Test
  void theJournalFeedRingsOncePerBurstAndLosesNothing() {
    String host = "feed-host-" + hosts++;
    ActorRef<AuditWriter.Command> writer = testKit.spawn(AuditWriter.create(host));
    TestProbe<AuditWriter.Command> doorbell = testKit.createTestProbe();
    AuditWriter.Feed feed = new AuditWriter.Feed(doorbell.getRef());
    for (int i = 0; i < 5; i++) {
      feed.offer(registered(i));
    }
    // five events, one message: the writer has not drained yet, so the bell rang once
    AuditWriter.Drain first = doorbell.expectMessageClass(AuditWriter.Drain.class);
    doorbell.expectNoMessage(Duration.ofMillis(100));
    writer.tell(first);
    feed.offer(registered(5)); // offered after the drain was handed on: rings again or is taken by it
    TestProbe<StatusReply<Long>> flushed = testKit.createTestProbe();
    writer.tell(new AuditWriter.Flush(flushed.getRef()));
    long seq = flushed.receiveMessage(Duration.ofSeconds(10)).getValue();
    if (seq == 5) { // the drain ran before the sixth offer: that one rang the bell again
      writer.tell(doorbell.expectMessageClass(AuditWriter.Drain.class));
      writer.tell(new AuditWriter.Flush(flushed.getRef()));
      seq = flushed.receiveMessage(Duration.ofSeconds(10)).getValue();
    }
    assertEquals(6L, seq);
    List<Object> expected = new ArrayList<>();
    for (int i = 0; i <= 5; i++) {
      expected.add(registered(i));
    }
    assertEquals(expected, journal.persistedInStorage(LifetimeAudit.persistenceId(host).id()));
  }
}
