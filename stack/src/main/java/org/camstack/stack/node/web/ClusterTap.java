package org.camstack.stack.node.web;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;

/**
 * The web page's subscriber to Pekko Cluster's membership and reachability events (members up,
 * unreachable, downed, removed, ...): hands each to the {@link WebFeed}. Messages: {@link
 * ClusterEvent.ClusterDomainEvent} (no reply). No CAM counterpart (cf. CTL HA's peer link state).
 */
final class ClusterTap {
  private ClusterTap() {}

  static Behavior<ClusterEvent.ClusterDomainEvent> create(WebFeed feed) {
    return Behaviors.receive(ClusterEvent.ClusterDomainEvent.class)
        .onAnyMessage(
            e -> {
              feed.onCluster(e);
              return Behaviors.same();
            })
        .build();
  }
}
