package org.camstack.stack.target;

import java.util.concurrent.CompletionStage;

/**
 * Where a LUN's unit attentions go that hold for more nexuses than this process's: a clustered
 * LUN's copy ({@link EmuDevice#setUnitAttentionFanout}) hands the conditions its owner establishes
 * while running a command (mode parameters changed 2A/01, reservations preempted or released
 * 2A/03..05, capacity changed 2A/09, ...) and every LUN reset to the cluster, which posts them on
 * the copy of every member (docs/cluster.md, "Unit attentions across the cluster"). cf. CTL HA's
 * {@code CTL_MSG_UA} and {@code CTL_MSG_MANAGE_TASKS} messages to the peer controller.
 *
 * <p>Called on the thread that posts; must not block.
 */
public interface UnitAttentionFanout {

  /**
   * A unit attention {@code code} ({@code asc << 8 | ascq}) for every nexus but {@code
   * exceptInitiator} ({@link UnitAttentions#NOBODY}: all), or, when {@code only}, for the nexus
   * {@code exceptInitiator} alone.
   *
   * @return true when the fan-out took it (posted on every member, this copy included); false:
   *     the caller posts it on this copy only (a condition of this node alone)
   */
  boolean posted(EmuDevice device, int code, int exceptInitiator, boolean only);

  /**
   * A reset of the LUN ({@link EmuDevice#reset}): runs on the owner's copy (reservations, medium
   * removal, mode pages) and replaces every member's pending unit attentions by {@code asc/ascq}.
   *
   * @return completed once every member reachable in time has posted it; null when the fan-out
   *     does not take it (the caller resets this copy alone)
   */
  CompletionStage<Void> reset(EmuDevice device, int asc, int ascq);
}
