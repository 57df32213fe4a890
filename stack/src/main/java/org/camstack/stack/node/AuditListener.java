package org.camstack.stack.node;

import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.camstack.persistence.audit.AuditWriter;
import org.camstack.stack.lifetime.LifetimeEvent;
import org.camstack.stack.lifetime.LifetimeListener;
import org.camstack.stack.lifetime.PeriphId;

/**
 * Journals the lifetime steps of every periph and devfs node into the host's audit trail ({@link
 * AuditWriter}, group commit): registered, node created, alias added, invalidated, destroy
 * requested, node gone, destructor run, unit freed, and protocol violations; what {@code camstack
 * journal timeline} and {@code verify} read. Reference-count steps are not journalled (a reboot
 * loses them, as in a kernel). Non-blocking: one {@code tell} per event.
 */
final class AuditListener implements LifetimeListener {

  private final ActorRef<AuditWriter.Command> writer;

  AuditListener(ActorRef<AuditWriter.Command> writer) {
    this.writer = writer;
  }

  @Override
  public void onEvent(LifetimeEvent event) {
    org.camstack.persistence.audit.LifetimeEvent e = toAudit(event);
    if (e != null) {
      writer.tell(new AuditWriter.Record(e));
    }
  }

  /** The journal form of a stack event, or null for the ones not journalled. */
  static org.camstack.persistence.audit.LifetimeEvent toAudit(LifetimeEvent event) {
    long now = org.camstack.persistence.audit.LifetimeEvent.nowMicros();
    PeriphId p = event.periph();
    String driver = p == null ? "" : p.driver();
    int unit = p == null ? -1 : p.unit();
    long gen = p == null ? 0 : p.generation();
    String id = event.identity() == null ? "" : event.identity();
    if (event instanceof LifetimeEvent.PeriphRegistered e) {
      return new org.camstack.persistence.audit.LifetimeEvent.PeriphRegistered(driver, unit, gen, id, now, String.valueOf(e.path()));
    }
    if (event instanceof LifetimeEvent.NodeCreated e) {
      return new org.camstack.persistence.audit.LifetimeEvent.DevfsNodeCreated(driver, unit, gen, id, now, e.name());
    }
    if (event instanceof LifetimeEvent.AliasAdded e) {
      return new org.camstack.persistence.audit.LifetimeEvent.AliasAdded(driver, unit, gen, id, now, e.alias(), e.parent());
    }
    if (event instanceof LifetimeEvent.Invalidated e) {
      return new org.camstack.persistence.audit.LifetimeEvent.PeriphInvalidated(driver, unit, gen, id, now, e.cause());
    }
    if (event instanceof LifetimeEvent.NodeDestroyRequested e) {
      return new org.camstack.persistence.audit.LifetimeEvent.NodeDestroyRequested(driver, unit, gen, id, now, e.name());
    }
    if (event instanceof LifetimeEvent.NodeGone e) {
      return new org.camstack.persistence.audit.LifetimeEvent.NodeGone(driver, unit, gen, id, now, e.name());
    }
    if (event instanceof LifetimeEvent.DestructorRun) {
      return new org.camstack.persistence.audit.LifetimeEvent.DestructorRun(driver, unit, gen, id, now);
    }
    if (event instanceof LifetimeEvent.UnitFreed) {
      return new org.camstack.persistence.audit.LifetimeEvent.UnitFreed(driver, unit, gen, id, now);
    }
    if (event instanceof LifetimeEvent.ProtocolViolation v) {
      return new org.camstack.persistence.audit.LifetimeEvent.ProtocolViolation(
          driver, unit, gen, id, now, v.kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'), v.message(),
          v.names() == null ? List.of() : v.names());
    }
    return null;
  }
}
