package org.camstack.stack.lifetime;

/** What kind of lifetime rule was broken. Recorded, never thrown past the component that saw it. */
public enum ViolationKind {
  /**
   * make_dev of a name that is still active: the 2012 panic "make_dev_credv: bad si_name
   * (error=17, si_name=pass3)" (bug A).
   */
  DUPLICATE_NAME,
  /** A synchronous destroy_dev of a node from inside a call on the same node (bug B). */
  DESTROY_DEADLOCK,
  /** A periph was freed while a devfs call on its node was still in flight (bug D). */
  CALL_IN_FLIGHT_AT_FREE,
  /** A physical-path alias was added for an invalid periph or on a dying node (bug C). */
  ALIAS_ON_INVALID,
  /** A unit number was handed out again before the previous owner's destructor and dev-gone. */
  UNIT_REUSED,
  /** A periph returned its unit before its destructor ran or while its node existed (I3, I4). */
  UNIT_FREED_EARLY,
  /** An external acquire succeeded on an invalidated periph (I1). */
  ACQUIRE_AFTER_INVALID,
  /** A reference was released that was not held (I5). */
  REF_UNDERFLOW,
  /** References still held after quiescence by an invalid periph, or never released. */
  REF_LEAK,
  /** A CCB completed twice, or a completion arrived for a CCB the periph never issued (I6). */
  CCB_COMPLETED_TWICE,
  /** A CCB never completed: its issuer was destroyed with it outstanding (I6). */
  CCB_LOST,
  /** A periph actor stopped without running its destructor protocol (crash). */
  PERIPH_CRASHED,
  /** An actor, unit or node still exists after the final teardown. */
  LEFT_BEHIND,
  /** A user request got no reply, or more than one. */
  CLIENT_REPLY,
  /** Any other broken protocol rule. */
  OTHER
}
