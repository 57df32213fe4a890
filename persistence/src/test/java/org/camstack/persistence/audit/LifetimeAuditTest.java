package org.camstack.persistence.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
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
    EventSourcedBehaviorTestKit<LifetimeAudit.Command, LifetimeAudit.Row, LifetimeAudit.State> audit =
        EventSourcedBehaviorTestKit.create(testKit.system(), LifetimeAudit.create("es-host"));
    audit.clear();
    List<LifetimeEvent> batch =
        List.of(registered(0), new DevfsNodeCreated("da", 0, 1, "naa.5000000000000010", 2L, "da0"));
    var first =
        audit.<StatusReply<Long>>runCommand(rt -> new LifetimeAudit.Append(batch, 0, rt));
    assertEquals(2L, first.reply().getValue());
    assertEquals(List.of(new LifetimeAudit.Batch(1, batch)), first.events(), "one row for the batch");

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

    List<LifetimeEvent> persisted = events(host);
    assertTrue(journal.persistedInStorage(LifetimeAudit.persistenceId(host).id()).size() <= s.batches() * 8,
        "one row per " + LifetimeAudit.MAX_EVENTS_PER_ROW + " events of a batch at most");
    List<LifetimeEvent> expected = new ArrayList<>();
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
        events(host));
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
    List<LifetimeEvent> events = events(host);
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
    List<LifetimeEvent> expected = new ArrayList<>();
    for (int i = 0; i <= 5; i++) {
      expected.add(registered(i));
    }
    assertEquals(expected, events(host));
  }

  /**
   * The events of a host's trail in the in-memory journal: every row must be a batch row that
   * continues the numbering exactly (what {@code journal show} and recovery rely on).
   */
  private static List<LifetimeEvent> events(String host) {
    List<LifetimeEvent> out = new ArrayList<>();
    for (Object row : journal.persistedInStorage(LifetimeAudit.persistenceId(host).id())) {
      LifetimeAudit.Batch b = assertInstanceOf(LifetimeAudit.Batch.class, row);
      assertEquals(out.size() + 1, b.firstSeqNr(), "batch rows number events contiguously");
      out.addAll(b.events());
    }
    return out;
  }

  @Test
  void aLargeAppendIsOneWriteOfRowsOfAtMostMaxEventsPerRow() {
    EventSourcedBehaviorTestKit<LifetimeAudit.Command, LifetimeAudit.Row, LifetimeAudit.State> audit =
        EventSourcedBehaviorTestKit.create(testKit.system(), LifetimeAudit.create("split-host"));
    audit.clear();
    int max = LifetimeAudit.MAX_EVENTS_PER_ROW;
    List<LifetimeEvent> one = List.of(registered(0));
    assertEquals(1L, audit.<StatusReply<Long>>runCommand(rt -> new LifetimeAudit.Append(one, 0, rt)).reply().getValue());
    List<LifetimeEvent> big = new ArrayList<>();
    for (int i = 1; i <= 2 * max + 3; i++) {
      big.add(registered(i));
    }
    var r = audit.<StatusReply<Long>>runCommand(rt -> new LifetimeAudit.Append(big, 1, rt));
    assertEquals(1L + big.size(), r.reply().getValue());
    assertEquals(
        List.of(
            new LifetimeAudit.Batch(2, big.subList(0, max)),
            new LifetimeAudit.Batch(2 + max, big.subList(max, 2 * max)),
            new LifetimeAudit.Batch(2 + 2 * max, big.subList(2 * max, big.size()))),
        r.events(),
        "three rows, persisted by one command (one atomic journal write)");
    assertEquals(new LifetimeAudit.State(1L + big.size()), audit.restart().state());
  }

  @Test
  void theEntityRecoversFromAnOldJournalContinuedInBatchRows() {
    String host = "mixed-host-" + hosts++;
    String pid = LifetimeAudit.persistenceId(host).id();
    // an old journal: one event per row; then batch rows written after the upgrade
    journal.persistForRecovery(
        pid,
        List.of(
            registered(0), registered(1), registered(2),
            new LifetimeAudit.Batch(4, List.of(registered(3), registered(4))),
            new LifetimeAudit.Batch(6, List.of(registered(5)))));
    var audit = testKit.spawn(LifetimeAudit.create(host));
    TestProbe<StatusReply<Long>> reply = testKit.createTestProbe();
    audit.tell(new LifetimeAudit.GetSeqNr(reply.getRef()));
    assertEquals(6L, reply.receiveMessage().getValue(), "3 single-event rows + 3 events in 2 batch rows");
    audit.tell(new LifetimeAudit.Append(List.of(registered(6)), 6, reply.getRef()));
    assertEquals(7L, reply.receiveMessage().getValue());
    assertEquals(
        new LifetimeAudit.Batch(7, List.of(registered(6))),
        journal.persistedInStorage(pid).get(5),
        "the next row continues the event numbering of the mixed log");
  }
}
