package org.camstack.stack.sim.iscsi;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.HbaFlags;
import org.camstack.stack.iscsi.Chap;
import org.camstack.stack.sim.AsyncSimDataPath;
import org.camstack.stack.xpt.Xpt;

/**
 * An iSCSI initiator session as a CAM SIM: one session, one bus ({@code iscsiN}), target 0, the
 * target's LUNs as found by the XPT's scan (REPORT LUNS). cf. FreeBSD's {@code iscsi(4)} SIM with
 * {@code iscsid} doing the connecting.
 *
 * <p>Connection life (see docs/iscsi.md, "Initiator"): the first connection's login registers the
 * bus (the XPT scans it, da and pass attach). When a connection drops, its unanswered commands are
 * asked back with {@code CAM_REQUEUE_REQ} and new ones wait in the {@link IscsiBus} (the queue is
 * frozen), while the SIM reconnects with a doubling backoff; the next login releases them, so I/O
 * resumes without an error reaching the caller. If the session stays down for {@link
 * Settings#failOnDisconnection}, the SIM gives up: waiting commands fail with {@code
 * CAM_SEL_TIMEOUT} and a rescan loses the bus's devices through the lifetime protocol (AC_LOST_DEVICE,
 * invalidation, devfs destroy); after a later reconnect a rescan finds them again, under the same
 * unit names (the wiring).
 *
 * <p>The bus registers once and stays registered until the SIM stops ({@link Remove}: logout, then
 * {@code xpt_bus_deregister}).
 */
public final class IscsiSim extends AbstractBehavior<IscsiSim.Command> {

  /** Supertype of all messages to an iSCSI SIM. */
  public sealed interface Command
      permits GetStatus, Remove, Registered, LinkUp, LinkDown, Reconnect, GiveUp, LoggedOut {}

  /**
   * The session's state (cf. {@code iscsictl -L}). Reply: {@link Status}.
   */
  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  /**
   * Logs out and removes the bus: its devices go through the lifetime protocol (cf. {@code
   * iscsictl -R}). The SIM stops afterwards. Reply: ack once the bus is deregistered.
   */
  public record Remove(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * One session's state.
   *
   * @param state Connecting, Connected, Reconnecting, Failed (given up; still reconnecting) or Removing
   * @param pathId the bus ({@code scbusN}), -1 before the first login
   * @param reason why the last connection ended, or ""
   */
  public record Status(
      String url,
      String state,
      int pathId,
      int connections,
      String reason,
      int heldCommands,
      long requeued,
      InitiatorSession.Negotiated negotiated) {}

  private record Registered(Xpt.BusRegistered registered) implements Command {}

  private record LinkUp(IscsiLink link) implements Command {}

  private record LinkDown(IscsiLink link, String reason) implements Command {}

  private record Reconnect(int generation) implements Command {}

  private record GiveUp(int generation) implements Command {}

  private record LoggedOut(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Initiator settings ({@code camstack.iscsi.initiator}).
   *
   * @param failOnDisconnection how long a session may stay down before its devices are lost
   * @param reconnectMin first reconnect delay (doubles up to {@code reconnectMax})
   */
  public record Settings(
      String initiatorName,
      Duration failOnDisconnection,
      Duration reconnectMin,
      Duration reconnectMax,
      Duration noopInterval,
      Duration noopTimeout,
      Duration resetTimeout,
      IscsiLink.Timing timing) {
    public static final Settings DEFAULT = new Settings("iqn.2026-12.org.camstack:initiator", Duration.ofSeconds(60),
        Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(10),
        Duration.ofSeconds(10), IscsiLink.Timing.DEFAULT);

    /** From {@code camstack.iscsi.initiator} of {@code root} (every key optional). */
    public static Settings fromConfig(Config root) {
      String p = "camstack.iscsi.initiator.";
      Settings d = DEFAULT;
      return new Settings(
          root.hasPath(p + "name") ? root.getString(p + "name") : d.initiatorName(),
          root.hasPath(p + "fail-on-disconnection") ? root.getDuration(p + "fail-on-disconnection") : d.failOnDisconnection(),
          root.hasPath(p + "reconnect-min") ? root.getDuration(p + "reconnect-min") : d.reconnectMin(),
          root.hasPath(p + "reconnect-max") ? root.getDuration(p + "reconnect-max") : d.reconnectMax(),
          root.hasPath(p + "noop-interval") ? root.getDuration(p + "noop-interval") : d.noopInterval(),
          root.hasPath(p + "noop-timeout") ? root.getDuration(p + "noop-timeout") : d.noopTimeout(),
          d.resetTimeout(),
          new IscsiLink.Timing(d.timing().connectTimeout(),
              root.hasPath(p + "login-timeout") ? root.getDuration(p + "login-timeout") : d.timing().loginTimeout(),
              d.timing().pollInterval()));
    }
  }

  /**
   * @param url where the session goes
   * @param chap CHAP credentials, or empty
   * @param wantedPathId the bus number wanted (wiring: the same {@code scbusN} after a restart), or -1
   * @param unit the SIM unit ({@code iscsiN})
   */
  public static Behavior<Command> create(IscsiUrl url, Optional<Chap.Account> chap, int wantedPathId, int unit,
      Settings settings, ActorRef<Xpt.Command> xpt) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new IscsiSim(ctx, timers, url, chap, wantedPathId, unit, settings, xpt)));
  }

  private final TimerScheduler<Command> timers;
  private final IscsiUrl url;
  private final Optional<Chap.Account> chap;
  private final int wantedPathId;
  private final int unit;
  private final Settings settings;
  private final ActorRef<Xpt.Command> xpt;
  private final IscsiBus bus;
  private final long isid;
  private IscsiLink link; // the current connection attempt or connection
  private boolean up;
  private boolean registering;
  private int pathId = -1;
  private int connections;
  private int generation; // of the current outage (timers of an older one are stale)
  private Duration backoff;
  private boolean gaveUp;
  private boolean removing;
  private String reason = "";
  private final List<ActorRef<StatusReply<Done>>> removers = new ArrayList<>();

  private IscsiSim(ActorContext<Command> ctx, TimerScheduler<Command> timers, IscsiUrl url, Optional<Chap.Account> chap,
      int wantedPathId, int unit, Settings settings, ActorRef<Xpt.Command> xpt) {
    super(ctx);
    this.timers = timers;
    this.url = url;
    this.chap = chap;
    this.wantedPathId = wantedPathId;
    this.unit = unit;
    this.settings = settings;
    this.xpt = xpt;
    this.bus = new IscsiBus(settings.resetTimeout());
    // a random ISID of the "random" format (type 10b), fixed for the SIM's life: reinstatement (§6.3.5)
    this.isid = (0x80L << 40) | (new java.security.SecureRandom().nextLong() & 0x3F_FFFF_FFFFL);
    this.backoff = settings.reconnectMin();
    connect();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(GetStatus.class, this::onGetStatus)
        .onMessage(Remove.class, this::onRemove)
        .onMessage(Registered.class, this::onRegistered)
        .onMessage(LinkUp.class, this::onLinkUp)
        .onMessage(LinkDown.class, this::onLinkDown)
        .onMessage(Reconnect.class, this::onReconnect)
        .onMessage(GiveUp.class, this::onGiveUp)
        .onMessage(LoggedOut.class, this::onLoggedOut)
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  private String name() {
    return "iscsi" + unit;
  }

  private void connect() {
    ActorRef<Command> self = getContext().getSelf();
    InitiatorSession.Params params = new InitiatorSession.Params(settings.initiatorName(), url.target(), isid, chap,
        262_144, 65_536, 262_144, true, false, settings.noopInterval().toNanos(), settings.noopTimeout().toNanos());
    link = IscsiLink.open(url.host(), url.port(), params, new IscsiLink.Listener() {
      @Override
      public void up(IscsiLink l) {
        self.tell(new LinkUp(l));
      }

      @Override
      public void down(IscsiLink l, String why, List<AsyncSimDataPath.Done> unanswered) {
        bus.detach(l, unanswered); // at once, on the link's thread: nothing is sent on a dead link
        self.tell(new LinkDown(l, why));
      }
    }, settings.timing(), name());
  }

  private Behavior<Command> onLinkUp(LinkUp m) {
    if (m.link() != link || removing) {
      m.link().close();
      return this;
    }
    up = true;
    connections++;
    backoff = settings.reconnectMin();
    generation++;
    bus.attach(m.link());
    getContext().getLog().info("{}: logged in to {} (connection {}, {})", name(), url, connections, m.link().negotiated());
    if (pathId < 0 && !registering) {
      registering = true;
      Ccb.PathInqResult cpi = new Ccb.PathInqResult(1, HbaFlags.PI_TAG_ABLE, 0, 0, 16383, 1, "iSCSI", "iSCSI",
          "iscsi", unit, 0, 150_000, 1L << 20);
      ActorRef<Xpt.BusRegistered> reg = getContext().messageAdapter(Xpt.BusRegistered.class, Registered::new);
      xpt.tell(new Xpt.RegisterBus(cpi, wantedPathId, 128, bus, reg));
    } else if (gaveUp) {
      gaveUp = false;
      rescan(); // the devices lost while given up come back (same names: the wiring)
    }
    return this;
  }

  private Behavior<Command> onRegistered(Registered m) {
    pathId = m.registered().pathId();
    registering = false;
    if (removing) {
      xpt.tell(new Xpt.DeregisterBus(pathId));
    }
    return this;
  }

  private Behavior<Command> onLinkDown(LinkDown m) {
    if (m.link() != link) {
      return this;
    }
    link = null;
    reason = m.reason();
    if (removing) {
      return this;
    }
    boolean wasUp = up;
    up = false;
    if (wasUp) {
      getContext().getLog().warn("{}: connection to {} lost: {}; reconnecting", name(), url, m.reason());
      generation++;
      timers.startSingleTimer("give-up", new GiveUp(generation), settings.failOnDisconnection());
    } else {
      getContext().getLog().info("{}: cannot log in to {}: {}; retrying in {} ms", name(), url, m.reason(), backoff.toMillis());
      if (connections == 0 && !timers.isTimerActive("give-up")) {
        generation++;
        timers.startSingleTimer("give-up", new GiveUp(generation), settings.failOnDisconnection());
      }
    }
    timers.startSingleTimer("reconnect", new Reconnect(generation), backoff);
    Duration next = backoff.multipliedBy(2);
    backoff = next.compareTo(settings.reconnectMax()) > 0 ? settings.reconnectMax() : next;
    return this;
  }

  private Behavior<Command> onReconnect(Reconnect m) {
    if (link == null && !removing) {
      connect();
    }
    return this;
  }

  private Behavior<Command> onGiveUp(GiveUp m) {
    if (up || removing || m.generation() != generation) {
      return this;
    }
    gaveUp = true;
    getContext().getLog().warn("{}: {} down for {} s (fail-on-disconnection): its devices are lost", name(), url,
        settings.failOnDisconnection().toSeconds());
    bus.giveUp();
    rescan(); // commands now fail with SEL_TIMEOUT: the scan loses the devices
    return this;
  }

  /** cf. the SIM calling {@code xpt_rescan()} for its target. */
  private void rescan() {
    if (pathId >= 0) {
      ActorRef<Ccb.Completed> ignore = getContext().getSystem().ignoreRef();
      Ccb.Header h = new Ccb.Header(0, CamPath.bus(pathId), CamPriority.XPT, 0, 0, 0, ignore);
      xpt.tell(new Xpt.Action(new Ccb.ScanBus(h)));
    }
  }

  private Behavior<Command> onGetStatus(GetStatus m) {
    String state = removing ? "Removing" : up ? "Connected" : gaveUp ? "Failed" : connections == 0 ? "Connecting" : "Reconnecting";
    IscsiLink l = link;
    m.replyTo().tell(new Status(url.toString(), state, pathId, connections, reason, bus.heldCount(), bus.requeuedCount(),
        up && l != null ? l.negotiated() : null));
    return this;
  }

  private Behavior<Command> onRemove(Remove m) {
    removers.add(m.replyTo());
    if (removing) {
      return this;
    }
    removing = true;
    timers.cancelAll();
    IscsiLink l = link;
    ActorRef<Command> self = getContext().getSelf();
    if (l == null) {
      self.tell(new LoggedOut(m.replyTo()));
      return this;
    }
    CompletableFuture.runAsync(() -> l.logoutAndClose(Duration.ofSeconds(5)))
        .whenComplete((v, e) -> self.tell(new LoggedOut(m.replyTo())));
    return this;
  }

  private Behavior<Command> onLoggedOut(LoggedOut m) {
    getContext().getLog().info("{}: logged out of {}; removing bus {}", name(), url, pathId);
    bus.giveUp();
    if (pathId >= 0) {
      xpt.tell(new Xpt.DeregisterBus(pathId));
      pathId = -1;
    }
    for (ActorRef<StatusReply<Done>> r : removers) {
      r.tell(StatusReply.ack());
    }
    removers.clear();
    return Behaviors.stopped();
  }

  private Behavior<Command> onPostStop() {
    IscsiLink l = link;
    if (l != null) {
      l.close();
    }
    if (pathId >= 0) {
      xpt.tell(new Xpt.DeregisterBus(pathId));
    }
    return this;
  }
}
