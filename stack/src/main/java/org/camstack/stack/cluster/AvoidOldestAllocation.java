package org.camstack.stack.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocation;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocationStrategy;
import org.apache.pekko.cluster.sharding.external.ShardLocations;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * The clustered LUNs' shard allocation: Pekko's {@link ExternalShardAllocationStrategy} (a LUN
 * placed with {@code ctl lun move} or SET TARGET PORT GROUPS goes where it was placed), except
 * that a LUN nobody placed, or placed on a member that is gone, is not put on the <em>oldest</em>
 * member while another one is up: the oldest member hosts the shard coordinator (a cluster
 * singleton), and when the LUN's owner is also the coordinator's node a crash costs the
 * coordinator's hand-over on top of the LUN's (docs/cluster.md "Where the time goes"). Among the
 * other members the one with the fewest LUNs is chosen, then the youngest (the least likely to
 * become the coordinator's next home). A shard nobody placed that is on the oldest member anyway
 * (allocated while it was alone) is moved off at a rebalance, one at a time. {@code
 * camstack.cluster.avoid-oldest = off} turns this off.
 */
final class AvoidOldestAllocation implements ShardCoordinator.StartableAllocationStrategy {
  /** How long an allocation waits for the placements before it keeps the external strategy's choice. */
  private static final long PINS_TIMEOUT_MS = 1000;

  private final ActorSystem system;
  private final String typeName;
  private final ExternalShardAllocationStrategy external;

  AvoidOldestAllocation(ActorSystem system, String typeName, ExternalShardAllocationStrategy external) {
    this.system = system;
    this.typeName = typeName;
    this.external = external;
  }

  @Override
  public void start() {
    external.start();
  }

  @Override
  public Future<ActorRef> allocateShard(ActorRef requester, String shardId, scala.collection.immutable.Map<ActorRef, IndexedSeq<String>> current) {
    Map<ActorRef, IndexedSeq<String>> regions = CollectionConverters.asJava(current);
    CompletionStage<ActorRef> chosen = FutureConverters.asJava(external.allocateShard(requester, shardId, current));
    // the placements (ReadMajority: every member runs the replicator, ClusterLuns.start); without
    // an answer in time, the external strategy's choice stands
    CompletionStage<ShardLocations> pins = pins();
    return FutureConverters.asScala(chosen.thenCombine(pins, (ref, locations) -> choose(ref, shardId, regions, locations)).toCompletableFuture());
  }

  @Override
  public Future<scala.collection.immutable.Set<String>> rebalance(
      scala.collection.immutable.Map<ActorRef, IndexedSeq<String>> current, scala.collection.immutable.Set<String> inProgress) {
    Future<scala.collection.immutable.Set<String>> placed = external.rebalance(current, inProgress);
    if (!inProgress.isEmpty()) {
      return placed;
    }
    Map<ActorRef, IndexedSeq<String>> regions = CollectionConverters.asJava(current);
    return FutureConverters.asScala(
        FutureConverters.asJava(placed).thenCombine(pins(), (p, locations) -> p.isEmpty() && locations != null ? offOldest(regions, locations) : p).toCompletableFuture());
  }

  /**
   * One shard nobody placed that sits on the oldest member while another member's region could
   * take it (e.g. the first LUN allocated while the oldest was alone): handed over, and allocated
   * off the oldest ({@link #allocateShard}). Empty when there is none.
   */
  private scala.collection.immutable.Set<String> offOldest(Map<ActorRef, IndexedSeq<String>> regions, ShardLocations locations) {
    Cluster cluster = Cluster.get(system);
    for (Map.Entry<ActorRef, IndexedSeq<String>> e : regions.entrySet()) {
      if (preferred(e.getKey(), regions, cluster) == e.getKey()) {
        continue; // not the oldest, or no other region to go to
      }
      for (String shard : CollectionConverters.asJava(e.getValue())) {
        ExternalShardAllocationStrategy.ShardLocation pin = locations.getShardLocations().get(shard);
        if (pin == null || !pin.address().equals(address(e.getKey(), cluster))) {
          return scala.collection.immutable.Set$.MODULE$.<String>empty().$plus(shard);
        }
      }
    }
    return scala.collection.immutable.Set$.MODULE$.empty();
  }

  /** The placements (null: not known within {@link #PINS_TIMEOUT_MS}). */
  private java.util.concurrent.CompletableFuture<ShardLocations> pins() {
    return ExternalShardAllocation.get((org.apache.pekko.actor.ClassicActorSystemProvider) system)
        .getClient(typeName)
        .getShardLocations()
        .toCompletableFuture()
        .completeOnTimeout(null, PINS_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS)
        .exceptionally(e -> null);
  }

  /** {@code ref} (the external strategy's choice), or a region off the oldest member. */
  private ActorRef choose(ActorRef ref, String shardId, Map<ActorRef, IndexedSeq<String>> regions, ShardLocations locations) {
    Cluster cluster = Cluster.get(system);
    ExternalShardAllocationStrategy.ShardLocation pin = locations == null ? null : locations.getShardLocations().get(shardId);
    if (locations == null || (pin != null && address(ref, cluster).equals(pin.address()))) {
      return ref; // placed there on purpose, or the placements are not known
    }
    return preferred(ref, regions, cluster);
  }

  /** {@code ref} unless it is on the oldest Up member and another member's region can take the shard. */
  static ActorRef preferred(ActorRef ref, Map<ActorRef, IndexedSeq<String>> regions, Cluster cluster) {
    List<Member> up = new ArrayList<>();
    for (Member m : cluster.state().getMembers()) {
      if (m.status() == MemberStatus.up() && !cluster.state().getUnreachable().contains(m)) {
        up.add(m);
      }
    }
    if (up.size() < 2) {
      return ref;
    }
    up.sort((a, b) -> a.isOlderThan(b) ? -1 : b.isOlderThan(a) ? 1 : 0);
    Address oldest = up.get(0).address();
    if (!address(ref, cluster).equals(oldest)) {
      return ref;
    }
    ActorRef best = null;
    int bestShards = Integer.MAX_VALUE;
    int bestAge = -1;
    for (Map.Entry<ActorRef, IndexedSeq<String>> e : regions.entrySet()) {
      Address a = address(e.getKey(), cluster);
      int age = -1;
      for (int i = 1; i < up.size(); i++) {
        if (up.get(i).address().equals(a)) {
          age = i;
        }
      }
      if (age < 0) {
        continue; // the oldest, or not Up and reachable
      }
      int shards = e.getValue().size();
      if (shards < bestShards || (shards == bestShards && age > bestAge)) {
        best = e.getKey();
        bestShards = shards;
        bestAge = age;
      }
    }
    return best == null ? ref : best;
  }

  private static Address address(ActorRef region, Cluster cluster) {
    Address a = region.path().address();
    return a.hasLocalScope() ? cluster.selfAddress() : a;
  }

}
