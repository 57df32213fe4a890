package org.camstack.persistence.audit;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * The one vocabulary of broken lifetime rules: what {@link LifetimeChecker} derives from the event
 * history, what a component reports itself in a {@link LifetimeEvent.ProtocolViolation}, and what
 * {@code journal verify} prints ({@link #code()}, e.g. {@code unit-reused}). Recorded, never thrown
 * past the component that saw it.
 */
public enum ViolationKind {
  // reported by the component that saw it (devfs, a periph, the driver, chaos)
  /**
   * make_dev of a name that is still active: the 2012 panic "make_dev_credv: bad si_name
   * (error=17, si_name=pass3)" (bug A). Devfs reports it; the checker also derives it from devfs's
   * node events (a name created while another incarnation still holds it).
   */
  DUPLICATE_NAME,
  /** A synchronous destroy_dev of a node from inside a call on the same node (bug B). */
  DESTROY_DEADLOCK,
  /** A periph was freed while a devfs call on its node was still in flight (bug D). */
  CALL_IN_FLIGHT_AT_FREE,
  /** A periph actor stopped without running its destructor protocol (crash); from the driver. */
  PERIPH_CRASHED,
  /** A user request got no reply, or more than one (chaos). */
  CLIENT_REPLY,

  // derived by the checker from events of different parties
  /**
   * A unit was registered (driver) again before the previous incarnation was finished: destructor
   * run (periph), unit released (driver) and every devfs node gone (devfs).
   */
  UNIT_REUSED,
  /** A unit was registered while its previous holder was still valid, or one incarnation twice. */
  UNIT_HELD_TWICE,
  /**
   * The driver released a unit before the periph's destructor ran, or while devfs still had one
   * of its nodes (I3, I4).
   */
  UNIT_FREED_EARLY,
  /** The driver released the unit of a periph that was never invalidated. */
  FREED_WHILE_VALID,
  /** The periph's destructor ran while devfs still had one of its nodes. */
  DESTRUCTOR_EARLY,
  /** An external acquire was granted after invalidation (I1). */
  ACQUIRE_AFTER_INVALID,
  /** Devfs added a physical-path alias for an incarnation whose destructor had run (bug C). */
  ALIAS_ON_INVALID,
  /** A reference was released that was not held (I5). */
  REF_UNDERFLOW,
  /** At quiescence an invalidated periph's destructor has not run: references leak. */
  REF_LEAK,
  /**
   * At the end of a trail an invalidated periph is not finished (a node not gone, the unit not
   * released); {@code journal verify --live} reports it as pending.
   */
  INVALIDATION_INCOMPLETE,
  /** Something still exists after the final teardown. */
  LEFT_BEHIND,
  /**
   * A CCB completion (device) for a CCB its issuer (periph) did not issue or that had already
   * completed (I6).
   */
  CCB_COMPLETED_TWICE,
  /** A CCB issued (periph) never completed (device) by quiescence (I6). */
  CCB_LOST,
  /**
   * Target side (cf. {@code ctl_free_lun()}): a LUN was added (target) with the number of a LUN
   * of the same target that is still there, or removed and not freed: tasks still hold it.
   */
  LUN_REUSED,
  /** A LUN was freed (LUN) while a task started on it was not completed (frontend), or before its removal. */
  LUN_FREED_EARLY,
  /** A frontend completed a LUN task that was never started or had already completed. */
  LUN_TASK_COMPLETED_TWICE,
  /** A LUN task started (LUN) was never completed (frontend) by quiescence. */
  LUN_TASK_LOST,
  /** An event names a periph incarnation that was never registered. */
  UNKNOWN_PERIPH,
  /** Devfs reported a node of a periph gone that the periph does not hold. */
  UNKNOWN_NODE,
  /** A journal row could not be decoded, so the history cannot be checked (verify). */
  UNDECODABLE,
  /** Any other broken protocol rule. */
  OTHER;

  /** The stable lower-case code used in the journal and by {@code journal verify}. */
  @JsonValue
  public String code() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The kind of a {@link #code()} (or an enum name); {@link #OTHER} for a code not known here. */
  @JsonCreator
  public static ViolationKind fromCode(String code) {
    if (code == null) {
      return OTHER;
    }
    String n = code.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (ViolationKind k : values()) {
      if (k.name().equals(n)) {
        return k;
      }
    }
    return OTHER;
  }
}
