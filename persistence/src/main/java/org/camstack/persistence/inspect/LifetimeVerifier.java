package org.camstack.persistence.inspect;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Replays lifetime audit logs ({@code CamLifetime|<host>}) from their JSON and checks the lifetime
 * invariants of docs/lifecycle.md, per host:
 *
 * <ul>
 *   <li>no unit is held by two live periphs ({@code unit-held-twice});
 *   <li>a unit is reused only after UnitFreed ({@code unit-reused-before-freed});
 *   <li>a unit is freed, and the destructor runs, only after its devfs nodes are gone ({@code
 *       unit-freed-before-node-gone}, {@code destructor-before-node-gone}); a valid periph is never
 *       freed ({@code freed-while-valid});
 *   <li>every invalidation is followed by NodeGone (for each node) and UnitFreed ({@code
 *       invalidation-incomplete}), unless the stack restarted in between (StackStarted);
 *   <li>no devfs name or alias is live twice ({@code duplicate-devfs-name});
 *   <li>no ProtocolViolation was recorded ({@code protocol-violation});
 *   <li>and every event names a registered periph ({@code unknown-periph}, {@code unknown-node})
 *       and decodes ({@code undecodable}).
 * </ul>
 */
final class LifetimeVerifier {

  /** One broken invariant, with the entity and the sequence numbers of the events involved. */
  record Breach(String kind, String persistenceId, List<Long> seqNrs, String message) {
    String format(String prefix) {
      String seqs = seqNrs.stream().map(String::valueOf).collect(Collectors.joining(","));
      return prefix + " " + kind + " [" + persistenceId + " seq " + seqs + "] " + message;
    }
  }

  /** What verify found. {@code pending}: teardowns still running at the end (with --live). */
  record Result(List<Breach> breaches, List<Breach> pending, long events, int hosts) {}

  private static final class Periph {
    final String driver;
    final int unit;
    final long generation;
    final long registeredSeq;
    long invalidatedSeq = -1;
    long freedSeq = -1;
    /** live devfs names (nodes and aliases) → seq of creation; aliases map to their node. */
    final Map<String, Long> names = new LinkedHashMap<>();

    final Map<String, String> aliasOf = new HashMap<>();

    Periph(String driver, int unit, long generation, long registeredSeq) {
      this.driver = driver;
      this.unit = unit;
      this.generation = generation;
      this.registeredSeq = registeredSeq;
    }

    String unitName() {
      return driver + unit;
    }

    @Override
    public String toString() {
      return driver + unit + "#" + generation;
    }
  }

  private final boolean live;
  private final List<Breach> breaches = new ArrayList<>();
  private final List<Breach> pending = new ArrayList<>();

  // per host, reset by StackStarted
  private String pid;
  private final Map<String, Periph> periphs = new LinkedHashMap<>(); // driver+unit+#gen
  private final Map<String, Periph> holders = new HashMap<>(); // unit name → holder
  private final Map<String, Periph> nameOwners = new HashMap<>(); // devfs name → owner

  private LifetimeVerifier(boolean live) {
    this.live = live;
  }

  /**
   * Verifies the lifetime events (any order of hosts; each host's rows in sequence order).
   *
   * @param live the node may still be running: teardowns unfinished at the end are pending, not
   *     breaches
   */
  static Result verify(List<DecodedEvent> rows, boolean live) {
    Map<String, List<DecodedEvent>> byHost = new LinkedHashMap<>();
    for (DecodedEvent e : rows) {
      byHost.computeIfAbsent(e.row().persistenceId(), k -> new ArrayList<>()).add(e);
    }
    LifetimeVerifier v = new LifetimeVerifier(live);
    for (Map.Entry<String, List<DecodedEvent>> host : byHost.entrySet()) {
      v.pid = host.getKey();
      v.reset();
      host.getValue().sort((a, b) -> Long.compare(a.row().seqNr(), b.row().seqNr()));
      for (DecodedEvent e : host.getValue()) {
        v.apply(e);
      }
      v.finish();
    }
    return new Result(List.copyOf(v.breaches), List.copyOf(v.pending), rows.size(), byHost.size());
  }

  private void reset() {
    periphs.clear();
    holders.clear();
    nameOwners.clear();
  }

  private void breach(String kind, String message, long... seqs) {
    List<Long> s = new ArrayList<>();
    for (long q : seqs) {
      s.add(q);
    }
    breaches.add(new Breach(kind, pid, s, message));
  }

  private void apply(DecodedEvent e) {
    long seq = e.row().seqNr();
    if (!e.ok()) {
      breach("undecodable", "cannot check: " + e.raw(), seq);
      return;
    }
    String type = e.name();
    if (type.equals("StackStarted")) {
      reset(); // cf. a reboot: every periph of the previous boot is gone with it
      return;
    }
    if (type.equals("ProtocolViolation")) {
      breach(
          "protocol-violation",
          e.text("kind") + ": " + e.text("details") + " " + e.fields().path("names"),
          seq);
      return;
    }
    String driver = e.text("driver");
    int unit = (int) e.number("unit", -1);
    long generation = e.number("generation", 0);
    String key = driver + unit + "#" + generation;
    if (type.equals("PeriphRegistered")) {
      onRegistered(new Periph(driver, unit, generation, seq), key);
      return;
    }
    Periph p = periphs.get(key);
    if (p == null) {
      breach("unknown-periph", type + " for " + key + ", which was never registered", seq);
      return;
    }
    switch (type) {
      case "DevfsNodeCreated" -> addName(p, e.text("name"), null, seq);
      case "AliasAdded" -> addName(p, e.text("alias"), e.text("name"), seq);
      case "PeriphInvalidated" -> {
        if (p.invalidatedSeq < 0) {
          p.invalidatedSeq = seq;
        }
      }
      case "NodeGone" -> onNodeGone(p, e.text("name"), seq);
      case "DestructorRun" -> {
        if (!p.names.isEmpty()) {
          breach(
              "destructor-before-node-gone",
              p + " destructor ran while devfs " + p.names.keySet() + " still live",
              firstSeq(p, seq));
        }
      }
      case "UnitFreed" -> onUnitFreed(p, seq);
      default -> {
        // NodeDestroyRequested and future informational events: nothing to check
      }
    }
  }

  private void onRegistered(Periph p, String key) {
    Periph holder = holders.get(p.unitName());
    if (holder != null) {
      if (holder.invalidatedSeq < 0) {
        breach(
            "unit-held-twice",
            p.unitName() + " registered as " + p + " while " + holder + " (seq "
                + holder.registeredSeq + ") is live",
            holder.registeredSeq,
            p.registeredSeq);
      } else {
        breach(
            "unit-reused-before-freed",
            p.unitName() + " reused by " + p + " before " + holder + " (invalidated at seq "
                + holder.invalidatedSeq + ") freed it",
            holder.invalidatedSeq,
            p.registeredSeq);
      }
    }
    if (periphs.containsKey(key)) {
      breach("unit-held-twice", key + " registered twice", periphs.get(key).registeredSeq, p.registeredSeq);
    }
    periphs.put(key, p);
    holders.put(p.unitName(), p);
  }

  private void addName(Periph p, String name, String aliasTarget, long seq) {
    Periph owner = nameOwners.get(name);
    if (owner != null) {
      breach(
          "duplicate-devfs-name",
          "devfs name " + name + " created by " + p + " while " + owner + " still holds it",
          owner.names.getOrDefault(name, seq),
          seq);
    }
    nameOwners.put(name, p);
    p.names.put(name, seq);
    if (aliasTarget != null) {
      p.aliasOf.put(name, aliasTarget);
    }
  }

  private void onNodeGone(Periph p, String name, long seq) {
    if (!p.names.containsKey(name)) {
      breach("unknown-node", p + " reported devfs node " + name + " gone, which it does not hold", seq);
      return;
    }
    List<String> gone = new ArrayList<>();
    gone.add(name);
    p.aliasOf.forEach((alias, target) -> {
      if (target.equals(name)) {
        gone.add(alias); // cf. destroy_dev(): aliases go with their node
      }
    });
    for (String n : gone) {
      p.names.remove(n);
      p.aliasOf.remove(n);
      if (nameOwners.get(n) == p) {
        nameOwners.remove(n);
      }
    }
  }

  private void onUnitFreed(Periph p, long seq) {
    if (p.invalidatedSeq < 0) {
      breach("freed-while-valid", p + " freed its unit without being invalidated", seq);
    }
    if (!p.names.isEmpty()) {
      breach(
          "unit-freed-before-node-gone",
          p + " freed " + p.unitName() + " while devfs " + p.names.keySet() + " still live",
          firstSeq(p, seq),
          seq);
    }
    p.freedSeq = seq;
    if (holders.get(p.unitName()) == p) {
      holders.remove(p.unitName());
    }
  }

  private static long firstSeq(Periph p, long dflt) {
    return p.names.values().stream().findFirst().orElse(dflt);
  }

  private void finish() {
    for (Periph p : periphs.values()) {
      if (p.invalidatedSeq < 0 || (p.freedSeq >= 0 && p.names.isEmpty())) {
        continue;
      }
      List<String> missing = new ArrayList<>();
      for (String n : p.names.keySet()) {
        if (!p.aliasOf.containsKey(n)) {
          missing.add("NodeGone(" + n + ")");
        }
      }
      if (p.freedSeq < 0) {
        missing.add("UnitFreed");
      }
      Breach b =
          new Breach(
              "invalidation-incomplete",
              pid,
              List.of(p.invalidatedSeq),
              p + " invalidated but never " + String.join(", ", missing));
      (live ? pending : breaches).add(b);
    }
  }
}
