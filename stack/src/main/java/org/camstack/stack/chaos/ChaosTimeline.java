package org.camstack.stack.chaos;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.camstack.persistence.audit.LifetimeEvent;

/**
 * What happened in a (small, usually shrunk) chaos run, in order: cycles, the operations the
 * clients and the nemesis launched, their answers, and the lifetime events of periphs and devfs
 * (reference counting left out), rendered as a mermaid sequence diagram in the style of the 2012
 * timelines of docs/lifetime.md. Times are virtual (deterministic mode).
 *
 * <p>Thread-safety: appended to under the engine's lock; rendered after the run.
 */
public final class ChaosTimeline {

  /** Events too frequent to be worth a line (every CCB takes and drops a reference). */
  private static final Set<String> QUIET = Set.of("RefAcquired", "RefReleased");

  /** Record components every event carries, already shown by the participant. */
  private static final Set<String> IMPLIED = Set.of("driver", "unit", "generation", "deviceId", "timestampMicros", "path");

  private record Entry(long nanos, String from, String to, String text, boolean note, boolean reply) {}

  private final List<Entry> entries = new ArrayList<>();

  synchronized void cycle(long nanos, int cycle) {
    entries.add(new Entry(nanos, "", "", "cycle " + cycle, true, false));
  }

  synchronized void teardown(long nanos) {
    entries.add(new Entry(nanos, "", "", "end of the cycles: close every file, unplug every target", true, false));
  }

  synchronized void request(long nanos, String who, String what) {
    entries.add(new Entry(nanos, who, target(what), what, false, false));
  }

  synchronized void answer(long nanos, String who, String what, String outcome) {
    entries.add(new Entry(nanos, target(what), who, what + ": " + outcome, false, true));
  }

  synchronized void event(long nanos, LifetimeEvent e) {
    String type = e.getClass().getSimpleName();
    if (QUIET.contains(type)) {
      return;
    }
    String over = e.incarnation().isEmpty() ? "devfs" : e.incarnation();
    String text;
    if (e instanceof LifetimeEvent.ProtocolViolation v) {
      text = "VIOLATION " + v.kind() + ": " + ChaosEngine.sanitize(v.message());
      over = "devfs";
    } else {
      text = type + details(e);
    }
    entries.add(new Entry(nanos, over, over, text, true, false));
  }

  /** The simple components of an event's record (a node name, an alias, a cause), generically. */
  private static String details(LifetimeEvent e) {
    if (!e.getClass().isRecord()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (RecordComponent c : e.getClass().getRecordComponents()) {
      if (IMPLIED.contains(c.getName())) {
        continue;
      }
      try {
        Object v = c.getAccessor().invoke(e);
        if (v instanceof String || v instanceof Number || v instanceof Boolean || v instanceof Enum) {
          sb.append(' ').append(c.getName()).append('=').append(v);
        }
      } catch (ReflectiveOperationException ex) {
        // not shown
      }
    }
    return sb.toString();
  }

  /** Who an operation goes to: devfs for file operations, the SIM, the XPT, or the periph. */
  private static String target(String what) {
    if (what.startsWith("unplug") || what.startsWith("replug") || what.startsWith("reset")) {
      return "sim";
    } else if (what.startsWith("rescan")) {
      return "xpt";
    } else if (what.startsWith("net")) {
      return "network";
    } else if (what.startsWith("lunp")) {
      return "iscsi target";
    } else if (what.startsWith("acquire ")) {
      String[] w = what.split(" ");
      return w.length > 1 ? w[1] : "periph";
    }
    return "devfs";
  }

  public synchronized boolean isEmpty() {
    return entries.isEmpty();
  }

  /** The timeline as a mermaid sequence diagram (one participant per client, periph incarnation, devfs, SIM, XPT). */
  public synchronized String toMermaid() {
    Map<String, String> ids = new LinkedHashMap<>();
    for (Entry e : entries) {
      if (!e.from().isEmpty()) {
        ids.computeIfAbsent(e.from(), k -> "P" + ids.size());
      }
      if (!e.to().isEmpty()) {
        ids.computeIfAbsent(e.to(), k -> "P" + ids.size());
      }
    }
    StringBuilder sb = new StringBuilder("sequenceDiagram\n");
    for (Map.Entry<String, String> p : ids.entrySet()) {
      sb.append("    participant ").append(p.getValue()).append(" as ").append(clean(p.getKey())).append('\n');
    }
    String all = ids.isEmpty() ? "" : ids.values().iterator().next() + "," + new ArrayList<>(ids.values()).get(ids.size() - 1);
    for (Entry e : entries) {
      String t = String.format("t=%.3fms ", e.nanos() / 1e6);
      if (e.note() && e.from().isEmpty()) {
        if (!all.isEmpty()) {
          sb.append("    Note over ").append(all).append(": ").append(t).append(e.text()).append('\n');
        }
      } else if (e.note()) {
        sb.append("    Note over ").append(ids.get(e.from())).append(": ").append(clean(e.text())).append('\n');
      } else {
        sb.append("    ").append(ids.get(e.from())).append(e.reply() ? "-->>" : "->>").append(ids.get(e.to()))
            .append(": ").append(clean(e.text())).append('\n');
      }
    }
    return sb.toString();
  }

  private static String clean(String s) {
    return s.replace(";", ",").replace("#", " gen ").replace("\n", " "); // '#' and ';' are mermaid syntax
  }
}
