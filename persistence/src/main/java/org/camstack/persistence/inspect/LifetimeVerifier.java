package org.camstack.persistence.inspect;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.camstack.persistence.audit.LifetimeChecker;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.persistence.audit.ViolationKind;

/**
 * {@code journal verify}: replays each host's lifetime audit trail ({@code CamLifetime|<host>}),
 * event by event in log order (a batch row is already expanded into its numbered events by {@link
 * JournalReader}), through the one {@link LifetimeChecker} (the same checker live
 * runs and chaos use; the rules are documented there and in docs/lifetime.md). This class only
 * decodes rows into {@link LifetimeEvent}s and formats the findings; it checks nothing itself.
 * A row that does not decode is reported as {@code undecodable}.
 */
final class LifetimeVerifier {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One broken invariant, with the entity and the sequence numbers of the events involved. */
  record Breach(String kind, String persistenceId, List<Long> seqNrs, String message) {
    String format(String prefix) {
      String seqs = seqNrs.stream().map(String::valueOf).collect(Collectors.joining(","));
      return prefix + " " + kind + " [" + persistenceId + " seq " + seqs + "] " + message;
    }
  }

  /** What verify found. {@code pending}: teardowns still running at the end (with --live). */
  record Result(List<Breach> breaches, List<Breach> pending, long events, int hosts) {}

  private LifetimeVerifier() {}

  /**
   * Verifies the lifetime events (any order of hosts; each host's rows are sorted by sequence
   * number).
   *
   * @param live the node may still be running: teardowns unfinished at the end are pending, not
   *     breaches
   */
  static Result verify(List<DecodedEvent> rows, boolean live) {
    Map<String, List<DecodedEvent>> byHost = new LinkedHashMap<>();
    for (DecodedEvent e : rows) {
      byHost.computeIfAbsent(e.row().persistenceId(), k -> new ArrayList<>()).add(e);
    }
    List<Breach> breaches = new ArrayList<>();
    List<Breach> pending = new ArrayList<>();
    for (Map.Entry<String, List<DecodedEvent>> host : byHost.entrySet()) {
      String pid = host.getKey();
      LifetimeChecker checker = new LifetimeChecker(false);
      host.getValue().sort((a, b) -> Long.compare(a.row().seqNr(), b.row().seqNr()));
      for (DecodedEvent e : host.getValue()) {
        long seq = e.row().seqNr();
        LifetimeEvent event = decode(e);
        if (event == null) {
          checker.report(new LifetimeEvent.ProtocolViolation("", -1, 0, "", LifetimeEvent.nowMicros(),
              ViolationKind.UNDECODABLE, "cannot check: " + e.raw() + " at seq " + seq, List.of()));
        } else {
          checker.check(seq, event);
        }
      }
      for (LifetimeChecker.Finding f : checker.findings()) {
        breaches.add(breach(pid, f));
      }
      for (LifetimeChecker.Finding f : checker.endOfTrail()) {
        (live ? pending : breaches).add(breach(pid, f));
      }
    }
    return new Result(List.copyOf(breaches), List.copyOf(pending), rows.size(), byHost.size());
  }

  private static Breach breach(String pid, LifetimeChecker.Finding f) {
    LifetimeEvent.ProtocolViolation v = f.violation();
    String message = v.message();
    if (!f.positions().isEmpty() && !v.names().isEmpty() && isReported(f)) {
      message += " " + v.names();
    }
    return new Breach(v.kind().code(), pid, f.positions(), message);
  }

  /** A violation the stack recorded itself (one position: its own row), rather than derived. */
  private static boolean isReported(LifetimeChecker.Finding f) {
    return f.positions().size() == 1 && f.violation().kind().ordinal() <= ViolationKind.CLIENT_REPLY.ordinal();
  }

  /** The event of a row, or null when the row is not a lifetime event this version knows. */
  private static LifetimeEvent decode(DecodedEvent e) {
    if (!e.ok()) {
      return null;
    }
    try {
      return JSON.treeToValue(e.fields(), LifetimeEvent.class);
    } catch (Exception ex) {
      return null;
    }
  }
}
