package org.camstack.stack.cluster;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The phases of a failover, each logged once per occurrence as one line {@code failover phase
 * NAME at EPOCH_MILLIS DETAIL} (logger {@code org.camstack.stack.cluster.FailoverPhases}, INFO), so
 * that the time from a kill to each phase can be read off the survivors' logs ({@code bench
 * failover} prints the breakdown; docs/cluster.md "Where the time goes"). Wall-clock milliseconds:
 * the processes of one machine share the clock.
 */
public final class FailoverPhases {
  private static final Logger LOG = LoggerFactory.getLogger(FailoverPhases.class);

  /**
   * This node's {@link CrashDetector} confirmed a member's process dead (its liveness connection
   * ended, its liveness and artery ports refused) and downs it.
   */
  public static final String CONFIRMED_DEAD = "confirmed-dead";
  /** A member became unreachable (this node's failure detector or gossip). */
  public static final String UNREACHABLE = "unreachable";
  /** The split-brain resolver's decision reached this node: the member is Down. */
  public static final String DOWNED = "downed";
  /** The member was removed from the membership. */
  public static final String REMOVED = "removed";
  /** This node became the oldest member: the shard coordinator (a singleton) moves here. */
  public static final String OLDEST = "oldest";
  /** A LUN's entity was created on this node (its shard was allocated here). */
  public static final String ENTITY_STARTED = "entity-started";
  /** The entity's own journal recovery completed. */
  public static final String RECOVERED = "recovered";
  /** The LUN's device state was read from the journal and restored: commands run from now on. */
  public static final String RESTORED = "restored";
  /** The first command the new entity ran. */
  public static final String FIRST_COMMAND = "first-command";

  /** Every phase, in the order they happen. */
  public static final java.util.List<String> ORDER =
      java.util.List.of(CONFIRMED_DEAD, UNREACHABLE, DOWNED, REMOVED, OLDEST, ENTITY_STARTED, RECOVERED, RESTORED, FIRST_COMMAND);

  private FailoverPhases() {}

  /** Logs that {@code phase} happened now on this node. */
  static void note(String phase, String detail) {
    LOG.info("failover phase {} at {} {}", phase, System.currentTimeMillis(), detail);
  }
}
