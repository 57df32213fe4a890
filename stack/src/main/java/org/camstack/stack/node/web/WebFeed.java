package org.camstack.stack.node.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.BroadcastHub;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.persistence.audit.LifetimeListener;
import org.camstack.stack.ccb.AsyncCode;
import org.camstack.stack.ccb.CamPath;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.camstack.stack.node.ApiModel;
import org.camstack.stack.node.ClusterApi;
import org.camstack.stack.node.ManagementRoutes;
import org.camstack.stack.node.NodeService;
import org.camstack.stack.xpt.AsyncEvent;
import org.camstack.stack.xpt.IoStats;
import org.camstack.stack.xpt.Xpt;

/**
 * What the web page shows, live: the lifetime steps of every periph (a {@link LifetimeListener}
 * next to the journal's) and the XPT's async events ({@code xpt_register_async} on the wildcard
 * path, through {@link XptTap}), the state of each periph incarnation derived from them, the
 * device tree (devlist + topology + periph states, re-read at most every {@value #TREE_DEBOUNCE_MS}
 * ms after a change), the cluster view (Pekko Cluster's membership events and the clustered LUNs'
 * owner and ALUA changes, {@link ClusterTap}, {@link ClusterApi#watch}) and one I/O sample per LUN per second ({@link IoStats#sample()}, only while a
 * page is connected). Everything goes out as server-sent events through one {@link BroadcastHub}
 * (see {@link #events()}); a slow page loses its oldest events, never slows the stack.
 *
 * <p>Emitters are never blocked: {@link #listener()} updates a small map under this object's lock
 * and offers to a bounded queue (dropping when full).
 */
public final class WebFeed {
  /** How long after a change the tree is re-read (coalesces a teardown's steps into one read). */
  static final long TREE_DEBOUNCE_MS = 120;

  /** Steps kept for pages that connect later. */
  static final int RECENT_STEPS = 2000;

  /** Freed periph incarnations kept (their timelines stay selectable). */
  static final int FREED_KEPT = 64;

  /**
   * One lifetime step as the page draws it.
   *
   * @param seq this node's step number (a page drops repeats)
   * @param timeMicros wall clock, microseconds since the epoch
   * @param lane {@code xpt}, {@code periph}, {@code devfs}, {@code driver} or {@code cluster}
   *     (members up, unreachable, down, removed; a LUN's owner, moved or failed over)
   * @param step the protocol's name for it ({@code AC_LOST_DEVICE}, {@code destroy_dev_sched_cb}, ...)
   * @param incarnation {@code da0#3}, empty for XPT events
   * @param path {@code B:T:L} the step concerns, empty when unknown
   * @param violation a protocol violation (drawn in red)
   */
  public record Step(
      long seq, long timeMicros, String lane, String step, String incarnation, String deviceId, String path, String detail,
      boolean violation) {}

  /**
   * One periph incarnation and where it is in its life.
   *
   * @param state {@code attached}, {@code invalidated}, {@code waiting for dev-gone}, {@code
   *     dev gone}, {@code destructed} or {@code freed}
   * @param nodes its devfs nodes still present (aliases included)
   */
  public record PeriphView(
      String incarnation, String name, String driver, int unit, long generation, String deviceId, String path, String state,
      List<String> nodes) {}

  /** {@code tree} event: the EDT, the emulated topology and the periph incarnations not yet freed. */
  public record Tree(ApiModel.Devlist devlist, ApiModel.Topology topology, List<PeriphView> periphs) {}

  /** {@code hello} event, first on every stream: what happened before the page connected. */
  public record Hello(String node, List<Step> steps, List<PeriphView> periphs) {}

  /** One LUN's figures of one second ({@code io} event carries a list of them). */
  public record IoPoint(
      String path, long reads, long writes, long bytesRead, long bytesWritten, long errors, long count, double p50Micros,
      double p99Micros, double maxMicros) {}

  /** {@code io} event. */
  public record IoSample(long timeMillis, List<IoPoint> luns) {}

  /**
   * {@code cluster} event: the members and the clustered LUNs ({@code GET /api/cluster/status} and
   * {@code /luns} in one), sent after {@code tree} on every stream and again on each change.
   *
   * @param single whether the node is alone with no clustered LUN (the page says "single node")
   */
  public record ClusterView(String self, boolean single, List<ClusterApi.MemberView> members, List<ClusterApi.LunView> luns) {}

  private final ActorSystem<?> system;
  private final BoundedSourceQueue<ServerSentEvent> queue;
  private final Source<ServerSentEvent, NotUsed> hub;
  private final AtomicLong seq = new AtomicLong();
  private final AtomicBoolean treeDirty = new AtomicBoolean();
  private final AtomicInteger pages = new AtomicInteger();
  private final AtomicLong dropped = new AtomicLong();
  private final org.apache.pekko.stream.SharedKillSwitch pagesSwitch = org.apache.pekko.stream.KillSwitches.shared("web-pages");
  // guarded by this
  private final ArrayDeque<Step> recent = new ArrayDeque<>();
  private final Map<String, Periph> periphs = new LinkedHashMap<>();
  private final ArrayDeque<String> freed = new ArrayDeque<>();
  /** path &rarr; when its AC_LOST_DEVICE was drawn (wall clock, micros): the tap's late copy is not drawn twice. */
  private final Map<String, Long> lostDrawn = new java.util.HashMap<>();
  private volatile NodeService service;
  private final AtomicBoolean clusterDirty = new AtomicBoolean();
  /** The last {@code cluster} event published (guarded by this): the next read is compared to it. */
  private ClusterView lastCluster;

  /** A periph incarnation's mutable state, under the feed's lock. */
  private static final class Periph {
    final String incarnation;
    final String driver;
    final int unit;
    final long generation;
    String deviceId;
    String path = "";
    String state = "attached";
    final List<String> nodes = new ArrayList<>();
    final List<String> dying = new ArrayList<>();

    Periph(LifetimeEvent e) {
      this.incarnation = e.incarnation();
      this.driver = e.driver();
      this.unit = e.unit();
      this.generation = e.generation();
      this.deviceId = e.deviceId();
    }

    PeriphView view() {
      return new PeriphView(incarnation, driver + unit, driver, unit, generation, deviceId, path, state, List.copyOf(nodes));
    }
  }

  public WebFeed(ActorSystem<?> system) {
    this.system = system;
    Pair<BoundedSourceQueue<ServerSentEvent>, Source<ServerSentEvent, NotUsed>> p =
        Source.<ServerSentEvent>queue(4096).toMat(BroadcastHub.of(ServerSentEvent.class, 256), Keep.both()).run(system);
    this.queue = p.first();
    this.hub = p.second();
    hub.runWith(Sink.ignore(), system); // drains the hub when no page is connected
    // pages' streams end when the node stops, so the API's unbind does not wait for them
    org.apache.pekko.actor.CoordinatedShutdown.get(system)
        .addTask(
            org.apache.pekko.actor.CoordinatedShutdown.PhaseBeforeServiceUnbind(),
            "camstack-web-streams",
            () -> {
              pagesSwitch.shutdown();
              return java.util.concurrent.CompletableFuture.completedFuture(org.apache.pekko.Done.getInstance());
            });
  }

  /** The listener to put next to the journal's: takes the journaled (lifetime) steps. */
  public LifetimeListener listener() {
    return this::onLifetime;
  }

  /**
   * Starts watching: the XPT's async events and the one-second I/O sampler. The tree is read
   * through {@code service}.
   */
  public void start(NodeService service, ActorRef<Xpt.Command> xpt) {
    this.service = service;
    ActorRef<AsyncEvent> tap = system.systemActorOf(XptTap.create(this), "web-xpt-tap", Props.empty());
    EnumSet<AsyncCode> codes =
        EnumSet.of(
            AsyncCode.AC_FOUND_DEVICE, AsyncCode.AC_LOST_DEVICE, AsyncCode.AC_PATH_REGISTERED, AsyncCode.AC_PATH_DEREGISTERED,
            AsyncCode.AC_BUS_RESET, AsyncCode.AC_SENT_BDR, AsyncCode.AC_UNIT_ATTENTION, AsyncCode.AC_INQ_CHANGED);
    xpt.tell(new Xpt.RegisterAsync(codes, CamPath.XPT, tap, null));
    system.scheduler().scheduleAtFixedRate(Duration.ofSeconds(1), Duration.ofSeconds(1), this::sampleIo, system.executionContext());
    service.cluster().ifPresent(
        api -> {
          api.watch(this::markClusterDirty);
          ActorRef<ClusterEvent.ClusterDomainEvent> members = system.systemActorOf(ClusterTap.create(this), "web-cluster-tap", Props.empty());
          Cluster.get(system).subscriptions().tell(Subscribe.create(members.<ClusterEvent.MemberEvent>narrow(), ClusterEvent.MemberEvent.class));
          Cluster.get(system).subscriptions().tell(Subscribe.create(members.<ClusterEvent.ReachabilityEvent>narrow(), ClusterEvent.ReachabilityEvent.class));
          markClusterDirty();
        });
  }

  /**
   * The stream a page reads: {@code hello} (recent steps, periph states), then {@code tree} and
   * {@code cluster}, then live {@code step}, {@code tree}, {@code cluster} and {@code io} events, with a heartbeat every 15 s.
   */
  public Source<ServerSentEvent, NotUsed> events() {
    Hello hello;
    synchronized (this) {
      hello = new Hello(service == null ? "" : service.nodeName(), List.copyOf(recent), views());
    }
    return Source.single(sse("hello", hello))
        .concat(Source.completionStage(tree()).map(t -> sse("tree", t)))
        .concat(Source.completionStage(cluster()).map(c -> sse("cluster", c)))
        .concat(hub.buffer(1024, OverflowStrategy.dropHead()))
        .keepAlive(Duration.ofSeconds(15), ServerSentEvent::heartbeat)
        .via(pagesSwitch.flow())
        .watchTermination(
            (m, done) -> {
              pages.incrementAndGet();
              done.whenComplete((d, e) -> pages.decrementAndGet());
              return m;
            });
  }

  /** Events the bounded queue dropped (pages too slow, or a burst larger than the queue). */
  public long dropped() {
    return dropped.get();
  }

  /** The cluster view now (a node without the cluster API: alone). */
  CompletionStage<ClusterView> cluster() {
    NodeService s = service;
    java.util.Optional<ClusterApi> api = s == null ? java.util.Optional.empty() : s.cluster();
    if (api.isEmpty()) {
      return java.util.concurrent.CompletableFuture.completedFuture(new ClusterView(s == null ? "" : s.nodeName(), true, List.of(), List.of()));
    }
    return api.get()
        .status()
        .thenCombine(
            api.get().luns(),
            (st, l) -> new ClusterView(st.self(), st.members().size() <= 1 && l.luns().isEmpty(), st.members(), l.luns()));
  }

  /** The tree now. */
  CompletionStage<Tree> tree() {
    NodeService s = service;
    return s.devlist()
        .thenCombine(
            s.topology(),
            (d, t) -> {
              synchronized (this) {
                return new Tree(d, t, views());
              }
            });
  }

  // ------------------------------------------------------------------ sources

  private void onLifetime(LifetimeEvent e) {
    if (!e.journaled() || e instanceof LifetimeEvent.StackStarted) {
      return;
    }
    Step step;
    synchronized (this) {
      Periph p = e.driver().isEmpty() ? null : periphs.get(e.incarnation());
      if (p == null && !e.driver().isEmpty()) {
        p = new Periph(e);
        periphs.put(e.incarnation(), p);
      }
      String lane;
      String name;
      String detail = "";
      boolean violation = false;
      if (e instanceof LifetimeEvent.PeriphRegistered r) {
        lane = "driver";
        name = "cam_periph_alloc";
        p.path = btl(r.path());
        detail = r.path();
      } else if (e instanceof LifetimeEvent.DevfsNodeCreated c) {
        lane = "devfs";
        name = "make_dev";
        p.nodes.add(c.name());
        detail = c.name();
      } else if (e instanceof LifetimeEvent.AliasAdded a) {
        lane = "devfs";
        name = "make_dev_alias";
        p.nodes.add(a.alias());
        detail = a.alias() + " -> " + a.name();
      } else if (e instanceof LifetimeEvent.PeriphInvalidated i) {
        lane = "periph";
        name = "invalidate";
        p.state = "invalidated";
        detail = i.cause();
        if (i.cause().contains("AC_LOST_DEVICE") && !p.path.isEmpty() && !recentlyLost(p.path, e.timestampMicros())) {
          // the XPT raised it before this periph heard it; the tap, another actor, may hear it later
          lostDrawn.put(p.path, e.timestampMicros());
          Step xpt = new Step(seq.incrementAndGet(), e.timestampMicros(), "xpt", "AC_LOST_DEVICE", "", "", p.path, "as " + e.incarnation() + " heard it", false);
          remember(xpt);
          publish("step", xpt);
        }
      } else if (e instanceof LifetimeEvent.NodeDestroyRequested d) {
        lane = "devfs";
        name = "destroy_dev_sched_cb";
        p.dying.add(d.name());
        p.state = "waiting for dev-gone";
        detail = d.name();
      } else if (e instanceof LifetimeEvent.NodeGone g) {
        lane = "devfs";
        name = "dev-gone callback";
        p.dying.remove(g.name());
        p.nodes.clear(); // the node and its aliases
        if (p.dying.isEmpty()) {
          p.state = "dev gone";
        }
        detail = g.name();
      } else if (e instanceof LifetimeEvent.DestructorRun) {
        lane = "periph";
        name = "destructor";
        p.state = "destructed";
      } else if (e instanceof LifetimeEvent.UnitFreed) {
        lane = "driver";
        name = "unit freed";
        p.state = "freed";
        freed.addLast(p.incarnation);
        while (freed.size() > FREED_KEPT) {
          periphs.remove(freed.removeFirst());
        }
      } else if (e instanceof LifetimeEvent.ProtocolViolation v) {
        lane = p == null ? "xpt" : "periph";
        name = "violation " + v.kind();
        detail = v.details();
        violation = true;
      } else {
        return;
      }
      step =
          new Step(seq.incrementAndGet(), e.timestampMicros(), lane, name, e.incarnation(), e.deviceId(),
              p == null ? "" : p.path, detail, violation);
      remember(step);
      publish("step", step); // under the lock: pages get the steps in seq order
    }
    markTreeDirty();
  }

  /** An XPT async event (from {@link XptTap}). */
  void onXpt(AsyncEvent e) {
    String path = e.path().equals(CamPath.XPT) ? "" : e.path().btl();
    long now = LifetimeEvent.nowMicros();
    synchronized (this) {
      if (e instanceof AsyncEvent.LostDevice) {
        if (recentlyLost(path, now)) {
          return; // already drawn where the periph's invalidate said it was raised
        }
        lostDrawn.put(path, now);
      }
      Step step = new Step(seq.incrementAndGet(), now, "xpt", e.code().name(), "", "", path, detail(e), false);
      remember(step);
      publish("step", step);
    }
    markTreeDirty();
  }

  /** A membership or reachability event (from {@link ClusterTap}): drawn in the cluster lane. */
  void onCluster(ClusterEvent.ClusterDomainEvent e) {
    String name;
    Member m;
    if (e instanceof ClusterEvent.MemberUp u) {
      name = "member up";
      m = u.member();
    } else if (e instanceof ClusterEvent.MemberLeft l) {
      name = "member leaving";
      m = l.member();
    } else if (e instanceof ClusterEvent.MemberDowned d) {
      name = "member down";
      m = d.member();
    } else if (e instanceof ClusterEvent.MemberRemoved r) {
      name = "member removed";
      m = r.member();
    } else if (e instanceof ClusterEvent.UnreachableMember u) {
      name = "member unreachable";
      m = u.member();
    } else if (e instanceof ClusterEvent.ReachableMember r) {
      name = "member reachable";
      m = r.member();
    } else {
      markClusterDirty(); // joining, weakly up, exited: the panel shows them, the timeline does not
      return;
    }
    if (!(e instanceof ClusterEvent.MemberUp && m.address().equals(Cluster.get(system).selfMember().address()))) {
      clusterStep(name, "", m.address().toString()); // (this node coming up is not news on its own page)
    }
    markClusterDirty();
  }

  /** A step of the cluster lane. */
  private void clusterStep(String name, String path, String detail) {
    synchronized (this) {
      Step step = new Step(seq.incrementAndGet(), LifetimeEvent.nowMicros(), "cluster", name, "", "", path, detail, false);
      remember(step);
      publish("step", step);
    }
  }

  private void markClusterDirty() {
    if (service == null || !clusterDirty.compareAndSet(false, true)) {
      return;
    }
    system.scheduler().scheduleOnce(
        Duration.ofMillis(TREE_DEBOUNCE_MS),
        () -> {
          clusterDirty.set(false);
          cluster().thenAccept(this::publishCluster);
        },
        system.executionContext());
  }

  /** Publishes {@code v} when it differs from the last, with a step for each LUN whose owner changed. */
  private synchronized void publishCluster(ClusterView v) {
    if (v.equals(lastCluster)) {
      return;
    }
    Map<String, String> was = new java.util.HashMap<>();
    if (lastCluster != null) {
      lastCluster.luns().forEach(l -> was.put(l.wwn(), l.owner()));
    }
    for (ClusterApi.LunView l : v.luns()) {
      String from = was.getOrDefault(l.wwn(), "");
      if (l.owner().isEmpty() || l.owner().equals(from)) {
        continue;
      }
      boolean fromLive = v.members().stream().anyMatch(m -> m.address().equals(from) && m.reachable() && m.status().equals("Up"));
      String name = from.isEmpty() ? "owner" : fromLive ? "owner moved" : "failover";
      clusterStep(name, l.path(), l.wwn() + (from.isEmpty() ? "" : " from " + from) + " to " + l.owner());
    }
    lastCluster = v;
    publish("cluster", v);
  }

  private static String detail(AsyncEvent e) {
    if (e instanceof AsyncEvent.UnitAttention u) {
      return String.format("asc %02x ascq %02x", u.asc(), u.ascq());
    }
    return "";
  }

  private void sampleIo() {
    if (pages.get() == 0 || !IoStats.Registry.get(system).enabled()) {
      return;
    }
    List<IoPoint> out = new ArrayList<>();
    for (Map.Entry<CamPath, IoStats> en : IoStats.Registry.get(system).all().entrySet()) {
      IoStats.Sample s = en.getValue().sample();
      IoStats.Snapshot t = s.total();
      out.add(new IoPoint(en.getKey().btl(), t.reads(), t.writes(), t.bytesRead(), t.bytesWritten(), t.errors(), s.count(),
          s.p50Micros(), s.p99Micros(), s.maxMicros()));
    }
    out.sort((a, b) -> a.path().compareTo(b.path()));
    publish("io", new IoSample(System.currentTimeMillis(), out));
  }

  // ------------------------------------------------------------------ plumbing

  /** Whether AC_LOST_DEVICE of {@code path} was drawn in the 2 s around {@code nowMicros}. */
  private boolean recentlyLost(String path, long nowMicros) {
    Long at = lostDrawn.get(path);
    return at != null && Math.abs(nowMicros - at) < 2_000_000L;
  }

  private void remember(Step s) {
    recent.addLast(s);
    while (recent.size() > RECENT_STEPS) {
      recent.removeFirst();
    }
  }

  private List<PeriphView> views() {
    List<PeriphView> out = new ArrayList<>();
    for (Periph p : periphs.values()) {
      if (!p.state.equals("freed")) {
        out.add(p.view());
      }
    }
    return out;
  }

  private void markTreeDirty() {
    if (service == null || !treeDirty.compareAndSet(false, true)) {
      return;
    }
    system.scheduler().scheduleOnce(
        Duration.ofMillis(TREE_DEBOUNCE_MS),
        () -> {
          treeDirty.set(false);
          tree().thenAccept(t -> publish("tree", t));
        },
        system.executionContext());
  }

  private void publish(String type, Object value) {
    if (queue.offer(sse(type, value)) != org.apache.pekko.stream.QueueOfferResult.enqueued()) {
      dropped.incrementAndGet();
    }
  }

  private static ServerSentEvent sse(String type, Object value) {
    try {
      return ServerSentEvent.create(ManagementRoutes.MAPPER.writeValueAsString(value), type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a " + type + " event", e);
    }
  }

  /** {@code scbus0:1:0} &rarr; {@code 0:1:0}. */
  static String btl(String camPath) {
    return camPath.startsWith("scbus") ? camPath.substring(5) : camPath;
  }
}
