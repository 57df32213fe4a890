package org.camstack.stack.node;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.camstack.stack.cluster.ClusterLuns;
import org.camstack.stack.cluster.JournalRole;
import org.camstack.stack.target.EmuDevice;
import org.camstack.stack.target.TargetPortGroups;

/**
 * The cluster area of the management API (docs/cluster.md): {@code GET /api/cluster/status}
 * (members, status, reachability, LUNs owned), {@code GET /api/cluster/luns} (every clustered LUN
 * once: owner, ALUA state per node), {@code POST /api/cluster/luns/{wwn}/move?to=NODE} (a planned
 * move: the initiators see a unit attention, nothing else).
 */
public final class ClusterApi extends AllDirectives {

  /** One member as this node sees it. */
  public record MemberView(String address, String status, boolean reachable, boolean self, int portGroup, String journal, List<String> lunsOwned) {}

  /** {@code GET /api/cluster/status}. */
  public record Status(String self, List<MemberView> members) {}

  /** One clustered LUN: its owner and each node's ALUA state ({@code active/optimized}, ...). */
  public record LunView(String wwn, String path, String owner, Map<String, String> states, Map<String, Integer> portGroups) {}

  /** {@code GET /api/cluster/luns}. */
  public record Luns(List<LunView> luns) {}

  private final ActorSystem<?> system;
  private final ClusterLuns luns; // null: no clustered LUNs

  ClusterApi(ActorSystem<?> system, ClusterLuns luns) {
    this.system = system;
    this.luns = luns;
  }

  /** The routes under {@code /api/cluster}; {@code reply} is the API's way to answer a stage. */
  Route routes(Function<Supplier<CompletionStage<?>>, Route> reply) {
    return concat(
        path("status", () -> get(() -> reply.apply(this::status))),
        pathPrefix("luns", () -> concat(
            pathEnd(() -> get(() -> reply.apply(this::luns))),
            pathPrefix(wwn -> path("move", () -> post(() -> parameter("to", to -> reply.apply(() -> move(wwn, to)))))))));
  }

  /**
   * Calls {@code onChange} after a clustered LUN's owner or ALUA state changed on this node (never
   * on a node without clustered LUNs); membership changes come from Pekko Cluster's own events.
   */
  public void watch(Runnable onChange) {
    if (luns != null) {
      luns.watch(onChange);
    }
  }

  /** {@code GET /api/cluster/status}. */
  public CompletionStage<Status> status() {
    Cluster c = Cluster.get(system);
    Address self = c.selfMember().address();
    List<MemberView> out = new ArrayList<>();
    for (Member m : c.state().getMembers()) {
      List<String> owned = new ArrayList<>();
      if (luns != null) {
        for (String w : new java.util.TreeSet<>(luns.wwns())) {
          if (luns.owner(w).equals(m.address().toString())) {
            owned.add(w);
          }
        }
      }
      out.add(
          new MemberView(
              m.address().toString(),
              m.status().toString(),
              !c.state().getUnreachable().contains(m),
              m.address().equals(self),
              ClusterLuns.portGroup(m),
              JournalRole.in(m.getRoles()).orElse("").replace(JournalRole.PREFIX, ""),
              owned));
    }
    return CompletableFuture.completedFuture(new Status(self.toString(), out));
  }

  /** {@code GET /api/cluster/luns}. */
  public CompletionStage<Luns> luns() {
    List<LunView> out = new ArrayList<>();
    if (luns != null) {
      Cluster c = Cluster.get(system);
      Map<Integer, String> byGroup = new TreeMap<>();
      for (Member m : c.state().getMembers()) {
        byGroup.put(ClusterLuns.portGroup(m), m.address().toString());
      }
      for (String w : new java.util.TreeSet<>(luns.wwns())) {
        EmuDevice d = luns.device(w);
        Map<String, String> states = new TreeMap<>();
        Map<String, Integer> groups = new TreeMap<>();
        for (TargetPortGroups.Group g : d.portGroups().groups()) {
          states.put(byGroup.getOrDefault(g.id(), "group " + g.id()), stateName(g.state()));
          groups.put(byGroup.getOrDefault(g.id(), "group " + g.id()), g.id());
        }
        String path = d.target() == null || d.target().inventory() == null ? "" : luns.path(w);
        out.add(new LunView(w, path, luns.owner(w), states, groups));
      }
    }
    return CompletableFuture.completedFuture(new Luns(out));
  }

  CompletionStage<ApiModel.Ack> move(String wwn, String to) {
    if (luns == null || luns.device(wwn.toLowerCase(java.util.Locale.ROOT)) == null) {
      throw ApiException.notFound("no clustered LUN " + wwn);
    }
    String w = wwn.toLowerCase(java.util.Locale.ROOT);
    Address target = member(to);
    return luns.move(w, target).thenApply(d -> new ApiModel.Ack(true, "LUN " + w + " moving to " + target));
  }

  /** A member by address ({@code pekko://camstack@h:p} or {@code h:p}) or port group id. */
  private Address member(String to) {
    Cluster c = Cluster.get(system);
    for (Member m : c.state().getMembers()) {
      Address a = m.address();
      String hp = a.host().getOrElse(() -> "") + ":" + a.port().getOrElse(() -> 0);
      if (a.toString().equals(to) || hp.equals(to) || String.valueOf(ClusterLuns.portGroup(m)).equals(to)) {
        return a;
      }
    }
    try {
      AddressFromURIString.parse(to);
    } catch (RuntimeException e) {
      throw ApiException.badRequest("bad node '" + to + "': expected HOST:PORT, pekko://camstack@HOST:PORT or a port group id");
    }
    throw ApiException.notFound("no member " + to + " in the cluster");
  }

  static String stateName(int s) {
    return switch (s) {
      case TargetPortGroups.ACTIVE_OPTIMIZED -> "active/optimized";
      case TargetPortGroups.ACTIVE_NON_OPTIMIZED -> "active/non-optimized";
      case TargetPortGroups.STANDBY -> "standby";
      case TargetPortGroups.UNAVAILABLE -> "unavailable";
      case TargetPortGroups.OFFLINE -> "offline";
      default -> "transitioning";
    };
  }
}
