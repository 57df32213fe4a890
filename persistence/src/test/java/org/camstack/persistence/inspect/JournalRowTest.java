package org.camstack.persistence.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.camstack.persistence.audit.LifetimeAudit;
import org.camstack.persistence.audit.LifetimeEvent;
import org.junit.jupiter.api.Test;

/**
 * The inspector's view of the lifetime trail's two stored formats, from their golden fixtures
 * (the very bytes {@code GoldenEventsTest} pins): a single-event row (journals written before
 * batch rows) reads as itself; a batch row reads as its events, numbered from {@code firstSeqNr},
 * each exactly like the single-event row of the same event.
 */
class JournalRowTest {

  private static final String PID = LifetimeAudit.ENTITY_TYPE + "|host0";
  private static final ObjectMapper JSON = new ObjectMapper();

  private static byte[] golden(String name) throws IOException {
    try (InputStream in = JournalRowTest.class.getClassLoader().getResourceAsStream("golden/CamLifetime/" + name)) {
      return in.readAllBytes();
    }
  }

  private static JournalRow row(long seqNr, String manifest, byte[] payload) {
    return new JournalRow(77, PID, seqNr, 1_764_000_000_000L, DecodedEvent.JACKSON_JSON, manifest, payload);
  }

  @Test
  void aSingleEventRowOfAnOldJournalReadsAsItself() throws IOException {
    JournalRow old = row(14, LifetimeEvent.PeriphRegistered.class.getName(), golden("PeriphRegistered.v1.json"));
    assertFalse(old.isBatch());
    assertEquals(List.of(old), old.events());
    DecodedEvent e = DecodedEvent.decode(old);
    assertEquals("PeriphRegistered", e.label());
    assertEquals("scbus0:1:0", e.text("path"));
  }

  @Test
  void aBatchRowReadsAsItsEventsNumberedFromFirstSeqNrLikeSingleEventRows() throws IOException {
    JournalRow batch = row(3, LifetimeAudit.Batch.class.getName(), golden("Batch.v1.json"));
    assertTrue(batch.isBatch());
    List<JournalRow> events = batch.events();
    assertEquals(List.of(15L, 16L, 17L), events.stream().map(JournalRow::seqNr).toList());
    assertEquals(
        List.of("PeriphRegistered", "DevfsNodeCreated", "ProtocolViolation"),
        events.stream().map(r -> DecodedEvent.decode(r).label()).toList());
    for (JournalRow e : events) {
      assertEquals(batch.ordering(), e.ordering(), "the events of a row share its ordering");
      assertEquals(batch.writeTimestamp(), e.writeTimestamp());
      assertEquals(PID, e.persistenceId());
    }
    // the first event of the batch is the golden single-event PeriphRegistered, byte for byte in JSON
    JournalRow single = row(15, LifetimeEvent.PeriphRegistered.class.getName(), golden("PeriphRegistered.v1.json"));
    assertEquals(single.manifest(), events.get(0).manifest());
    assertEquals(JSON.readTree(single.payload()), JSON.readTree(events.get(0).payload()));
    assertEquals(17L, batch.lastEventSeqNr());
  }

  @Test
  void aBatchRowThatDoesNotDecodeStaysOneRawRow() {
    JournalRow broken = row(3, LifetimeAudit.Batch.class.getName(), "{\"firstSeqNr\": 4, \"events\": [".getBytes());
    assertEquals(List.of(broken), broken.events());
    assertTrue(DecodedEvent.decode(broken).label().startsWith("<undecodable Batch>"));
    JournalRow noNumber = row(3, LifetimeAudit.Batch.class.getName(), "{\"events\": []}".getBytes());
    assertEquals(List.of(noNumber), noNumber.events());
  }
}
