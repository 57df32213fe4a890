package org.camstack.bench.lifecycle;

import org.apache.pekko.actor.typed.ActorRef;
import org.camstack.persistence.audit.AuditWriter;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.persistence.audit.LifetimeListener;

/**
 * Journals the stack's lifetime events through the persistence module's group-commit {@link
 * AuditWriter} (one {@code LifetimeAudit} entity per host; {@link LifetimeListener#journal} keeps
 * the journaled ones), and forwards each event to the storm driver.
 */
final class AuditBridge implements LifetimeListener {
  private volatile LifetimeListener journal = NOOP;
  private final ActorRef<Object> storm;

  AuditBridge(ActorRef<Object> storm) {
    this.storm = storm;
  }

  /** From now on journal through {@code w} (set once the journal's schema exists). */
  void journalTo(ActorRef<AuditWriter.Command> w) {
    journal = LifetimeListener.journal(w);
  }

  @Override
  public void onEvent(LifetimeEvent e) {
    journal.onEvent(e);
    storm.tell(e);
  }
}
