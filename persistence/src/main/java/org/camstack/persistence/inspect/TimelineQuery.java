package org.camstack.persistence.inspect;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.camstack.persistence.audit.LifetimeAudit;
import org.camstack.persistence.device.DeviceEntity;

/**
 * The rows of {@code journal timeline DEVICE}: the device entity's own events and every lifetime
 * event of each periph incarnation that ever named the device, in journal order. One home for
 * both the inspector's text table and the node's web page (JSON, {@code GET
 * /api/web/timeline?device=}).
 */
public final class TimelineQuery {
  private TimelineQuery() {}

  /**
   * One step of a timeline.
   *
   * @param ordering the journal's global ordering
   * @param timeMillis when the journal wrote it (epoch milliseconds)
   * @param entity the persistence id
   * @param periph {@code da0#3} for lifetime events, else empty
   * @param event the event's simple name
   * @param fields the event's payload (a JSON object), null when undecodable
   */
  public record Step(
      long ordering, long timeMillis, String entity, long seqNr, String periph, String event, JsonNode fields) {}

  /** A device's timeline: empty {@code steps} when the journal knows nothing of it. */
  public record Timeline(String device, List<Step> steps) {
    public Timeline {
      steps = List.copyOf(steps);
    }
  }

  /**
   * Reads the timeline of {@code device} (its WWN) from the journal at {@code url} (H2 or
   * PostgreSQL), read-only. Blocking: plain JDBC.
   *
   * @throws IllegalStateException one line: journal unreachable or query failed
   */
  public static Timeline load(String url, String user, String password, String device) {
    try (JournalReader reader = JournalReader.openUrl(url, user, password)) {
      List<Step> steps = new ArrayList<>();
      for (JournalRow row : rows(reader, device)) {
        DecodedEvent e = DecodedEvent.decode(row);
        steps.add(new Step(row.ordering(), row.writeTimestamp(), row.persistenceId(), row.seqNr(), periph(e), e.label(), e.fields()));
      }
      return new Timeline(device, steps);
    } catch (JournalReader.JournalUnavailable e) {
      throw new IllegalStateException(e.getMessage());
    } catch (SQLException e) {
      throw new IllegalStateException("journal query failed: " + JournalReader.message(e));
    }
  }

  /** The rows of the timeline, in global journal order. */
  static List<JournalRow> rows(JournalReader reader, String device) throws SQLException {
    List<JournalRow> rows = new ArrayList<>(reader.events(DeviceEntity.ENTITY_TYPE + "|" + device));
    // periphs of this device: (host, driver, unit, generation) of lifetime events naming it
    List<DecodedEvent> lifetime = new ArrayList<>();
    Set<String> periphs = new HashSet<>();
    for (JournalRow row : reader.eventsOfType(LifetimeAudit.ENTITY_TYPE)) {
      DecodedEvent e = DecodedEvent.decode(row);
      lifetime.add(e);
      if (e.ok() && device.equals(e.text("deviceId"))) {
        periphs.add(periphKey(e));
      }
    }
    for (DecodedEvent e : lifetime) {
      if (e.ok() && periphs.contains(periphKey(e))) {
        rows.add(e.row());
      }
    }
    rows.sort((a, b) -> Long.compare(a.ordering(), b.ordering()));
    return rows;
  }

  /** {@code da0#3} for a lifetime event naming a periph, else empty. */
  static String periph(DecodedEvent e) {
    boolean isLifetime = e.row().entityType().equals(LifetimeAudit.ENTITY_TYPE);
    return isLifetime && e.ok() && !e.text("driver").isEmpty()
        ? e.text("driver") + e.text("unit") + "#" + e.text("generation")
        : "";
  }

  private static String periphKey(DecodedEvent e) {
    return e.row().persistenceId() + "/" + e.text("driver") + e.text("unit") + "#" + e.text("generation");
  }
}
