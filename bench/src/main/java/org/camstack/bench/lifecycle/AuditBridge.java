package org.camstack.bench.lifecycle;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.typed.ActorRef;
import org.camstack.persistence.audit.AuditWriter;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.persistence.audit.LifetimeListener;

/**
 * Journals the stack's lifetime events through the persistence module's group-commit {@link
 * AuditWriter} (one {@code LifetimeAudit} entity per host; {@link LifetimeListener#journal} keeps
 * the journaled ones), counts every event by kind here (thread-safe, no message), and forwards to
 * the storm driver only the three kinds it steers by ({@link #STEERS}): counting by message would
 * add 20 messages per cycle to what the bench measures.
 */
final class AuditBridge implements LifetimeListener {
  /** The events the storm needs: where a unit is, when its node exists, when it is free. */
  static boolean steers(LifetimeEvent e) {
    return e instanceof LifetimeEvent.PeriphRegistered
        || e instanceof LifetimeEvent.DevfsNodeCreated
        || e instanceof LifetimeEvent.UnitFreed;
  }

  private volatile LifetimeListener journal = NOOP;
  private final ActorRef<Object> storm;
  private final Map<Class<?>, LongAdder> kinds = new ConcurrentHashMap<>();

  AuditBridge(ActorRef<Object> storm) {
    this.storm = storm;
  }

  /** From now on journal through {@code w} (set once the journal's schema exists). */
  void journalTo(ActorRef<AuditWriter.Command> w) {
    journal = LifetimeListener.journal(w);
  }

  /** Starts counting from zero (between runs: no cycle is under way). */
  void resetCounts() {
    kinds.values().forEach(LongAdder::reset);
  }

  /** Events counted since {@link #resetCounts()}, by kind (simple class name). */
  Map<String, Long> counts() {
    Map<String, Long> m = new TreeMap<>();
    kinds.forEach((k, v) -> {
      long n = v.sum();
      if (n > 0) {
        m.put(k.getSimpleName(), n);
      }
    });
    return m;
  }

  @Override
  public void onEvent(LifetimeEvent e) {
    journal.onEvent(e);
    kinds.computeIfAbsent(e.getClass(), k -> new LongAdder()).increment();
    if (steers(e)) {
      storm.tell(e);
    }
  }
}
