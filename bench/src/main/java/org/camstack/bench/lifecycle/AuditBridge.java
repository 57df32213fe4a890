package org.camstack.bench.lifecycle;

import org.apache.pekko.actor.typed.ActorRef;
import org.camstack.persistence.audit.AuditWriter;
import org.camstack.stack.lifetime.LifetimeEvent;
import org.camstack.stack.lifetime.LifetimeListener;
import org.camstack.stack.lifetime.PeriphId;

/**
 * Journals the stack's lifetime events through the persistence module's group-commit {@link
 * AuditWriter} (one {@code LifetimeAudit} entity per host), and forwards each event to the storm
 * driver. The mapping is the obvious one, field by field; events with no audit counterpart (ref
 * counts) are not journaled.
 */
final class AuditBridge implements LifetimeListener {
  private volatile ActorRef<AuditWriter.Command> writer;
  private final ActorRef<Object> storm;

  AuditBridge(ActorRef<Object> storm) {
    this.storm = storm;
  }

  /** From now on journal through {@code w} (set once the journal's schema exists). */
  void journalTo(ActorRef<AuditWriter.Command> w) {
    writer = w;
  }

  @Override
  public void onEvent(LifetimeEvent e) {
    org.camstack.persistence.audit.LifetimeEvent a = map(e);
    ActorRef<AuditWriter.Command> w = writer;
    if (a != null && w != null) {
      w.tell(new AuditWriter.Record(a));
    }
    storm.tell(e);
  }

  private static org.camstack.persistence.audit.LifetimeEvent map(LifetimeEvent e) {
    long now = System.currentTimeMillis() * 1000;
    if (e instanceof LifetimeEvent.PeriphRegistered r) {
      PeriphId p = r.periph();
      return new org.camstack.persistence.audit.LifetimeEvent.PeriphRegistered(p.driver(), p.unit(), p.generation(), r.identity(), now, r.path().toString());
    }
    if (e instanceof LifetimeEvent.NodeCreated r) {
      PeriphId p = r.periph();
      return new org.camstack.persistence.audit.LifetimeEvent.DevfsNodeCreated(p.driver(), p.unit(), p.generation(), r.identity(), now, r.name());
    }
    if (e instanceof LifetimeEvent.Invalidated r) {
      PeriphId p = r.periph();
      return new org.camstack.persistence.audit.LifetimeEvent.PeriphInvalidated(p.driver(), p.unit(), p.generation(), r.identity(), now, r.cause());
    }
    if (e instanceof LifetimeEvent.NodeDestroyRequested r) {
      PeriphId p = r.periph();
      return new org.camstack.persistence.audit.LifetimeEvent.NodeDestroyRequested(p.driver(), p.unit(), p.generation(), r.identity(), now, r.name());
    }
    if (e instanceof LifetimeEvent.NodeGone r) {
      PeriphId p = r.periph();
      return new org.camstack.persistence.audit.LifetimeEvent.NodeGone(p.driver(), p.unit(), p.generation(), r.identity(), now, r.name());
    }
    if (e instanceof LifetimeEvent.DestructorRun r) {
      PeriphId p = r.periph();
      return new org.camstack.persistence.audit.LifetimeEvent.DestructorRun(p.driver(), p.unit(), p.generation(), r.identity(), now);
    }
    if (e instanceof LifetimeEvent.UnitFreed r) {
      PeriphId p = r.periph();
      return new org.camstack.persistence.audit.LifetimeEvent.UnitFreed(p.driver(), p.unit(), p.generation(), r.identity(), now);
    }
    return null;
  }
}
