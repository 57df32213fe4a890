package org.camstack.persistence.inspect;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.camstack.persistence.audit.LifetimeAudit;
import org.camstack.persistence.audit.LifetimeEvent;

/**
 * One row of the {@code event_journal} table, as stored; or one event of a lifetime trail's batch
 * row, as {@link #events()} expands it: then it reads exactly as the single-event row of a journal
 * written before batch rows (manifest {@code ...LifetimeEvent$<type>}, payload the event's JSON,
 * {@code seqNr} the event's number in the log) and shares {@code ordering} and {@code
 * writeTimestamp} with the other events of its row.
 *
 * @param ordering the global ordering column (total order of writes across entities)
 * @param persistenceId {@code <EntityType>|<entityId>}
 * @param seqNr the entity's sequence number
 * @param writeTimestamp when the journal wrote it, epoch milliseconds (0 if unknown)
 * @param serializerId Pekko serializer id (31 = jackson-json)
 * @param manifest the serializer manifest (class name, {@code #N} = schema version N)
 * @param payload the serialized event
 */
record JournalRow(
    long ordering,
    String persistenceId,
    long seqNr,
    long writeTimestamp,
    int serializerId,
    String manifest,
    byte[] payload) {

  /** The entity type: the part of the persistence id before {@code |}. */
  String entityType() {
    int bar = persistenceId.indexOf('|');
    return bar < 0 ? "" : persistenceId.substring(0, bar);
  }

  /** The manifest of a lifetime trail's batch row ({@link LifetimeAudit.Batch}). */
  static final String BATCH_MANIFEST = LifetimeAudit.Batch.class.getName();

  private static final String EVENT_MANIFEST = LifetimeEvent.class.getName() + "$";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Whether this is a lifetime trail's batch row (several events in one row). */
  boolean isBatch() {
    return BATCH_MANIFEST.equals(manifest) && serializerId == DecodedEvent.JACKSON_JSON;
  }

  /**
   * The events this row holds, in order: a batch row's events numbered from its {@code
   * firstSeqNr}; any other row is its own one event. A batch row that does not decode stays one
   * (undecodable) row, so that it is shown raw; the rows after it are still numbered right, each
   * batch row carrying its own first number.
   */
  List<JournalRow> events() {
    if (!isBatch()) {
      return List.of(this);
    }
    DecodedEvent d = DecodedEvent.decode(this);
    JsonNode first = d.ok() ? d.fields().get("firstSeqNr") : null;
    JsonNode events = d.ok() ? d.fields().get("events") : null;
    if (first == null || !first.canConvertToLong() || events == null || !events.isArray()) {
      return List.of(this);
    }
    List<JournalRow> out = new ArrayList<>(events.size());
    long seq = first.asLong();
    for (JsonNode e : events) {
      JsonNode type = e.get("type");
      String name = type == null ? "" : type.asText();
      try {
        out.add(new JournalRow(ordering, persistenceId, seq++, writeTimestamp, serializerId,
            name.isEmpty() ? LifetimeEvent.class.getName() : EVENT_MANIFEST + name, JSON.writeValueAsBytes(e)));
      } catch (JsonProcessingException ex) {
        throw new IllegalStateException("cannot re-encode a JSON tree", ex); // cannot happen
      }
    }
    return out;
  }

  /** The number of the last event in this row ({@link #events()}). */
  long lastEventSeqNr() {
    List<JournalRow> events = events();
    return events.get(events.size() - 1).seqNr();
  }

  /** The entity id: the part after {@code |} (the whole id if there is none). */
  String entityId() {
    int bar = persistenceId.indexOf('|');
    return bar < 0 ? persistenceId : persistenceId.substring(bar + 1);
  }
}
