package org.camstack.stack.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.StatusReply;
import org.camstack.persistence.initiator.HostInitiatorEntity;
import org.camstack.stack.sim.iscsi.IscsiInitiators;
import org.camstack.stack.sim.iscsi.IscsiSim;
import org.camstack.stack.sim.iscsi.IscsiUrl;
import org.camstack.stack.xpt.Xpt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The initiator area of the management API (cf. {@code iscsictl -A}, {@code -L}, {@code -R}):
 * {@code GET /api/iscsi/initiator} lists the sessions, {@code POST /api/iscsi/initiator} with
 * {@link Add} adds one, {@code DELETE /api/iscsi/initiator/{id|url}} removes one. Sessions are kept
 * in the journal ({@link HostInitiatorEntity}) before they start and after they are removed, so a
 * node restart connects them again.
 */
public final class IscsiInitiatorApi {
  private static final Logger LOG = LoggerFactory.getLogger(IscsiInitiatorApi.class);

  /** Request: a session to add. */
  public record Add(String url, String chapUser, String chapSecretFile) {}

  /**
   * One session.
   *
   * @param id the session's id, also its SIM unit ({@code iscsiN})
   * @param bus its bus ({@code scbusN}), -1 before the first login
   * @param held commands waiting for a connection; requeued: commands asked back after a lost connection
   */
  public record Session(int id, String name, String url, String state, int bus, int connections, String reason,
      int held, long requeued, String chapUser, String negotiated) {}

  public record Sessions(List<Session> sessions) {}

  private final ActorSystem<?> system;
  private final IscsiInitiators initiators;
  private final ActorRef<HostInitiatorEntity.Command> journal;
  private final Duration timeout;

  private IscsiInitiatorApi(ActorSystem<?> system, IscsiInitiators initiators,
      ActorRef<HostInitiatorEntity.Command> journal, Duration timeout) {
    this.system = system;
    this.initiators = initiators;
    this.journal = journal;
    this.timeout = timeout;
  }

  /**
   * Loads the host's sessions from the journal and connects each, then adds (and journals) the
   * {@code connect} URLs not among them ({@code --iscsi-connect}).
   */
  static CompletionStage<IscsiInitiatorApi> start(ActorSystem<?> system, String hostId, ActorRef<Xpt.Command> xpt,
      List<String> connect, Duration timeout) {
    IscsiSim.Settings settings = IscsiSim.Settings.fromConfig(system.settings().config());
    ActorRef<HostInitiatorEntity.Command> journal =
        system.systemActorOf(HostInitiatorEntity.create(hostId), "iscsi-initiator-" + hostId, Props.empty());
    IscsiInitiatorApi api = new IscsiInitiatorApi(system, new IscsiInitiators(system, xpt, settings, timeout), journal, timeout);
    return AskPattern.<HostInitiatorEntity.Command, StatusReply<HostInitiatorEntity.State>>ask(
            journal, HostInitiatorEntity.Get::new, timeout, system.scheduler())
        .thenCompose(reply -> {
          for (HostInitiatorEntity.Session s : reply.getValue().sessions().values()) {
            try {
              api.initiators.start(new IscsiInitiators.Spec(s.unit(), IscsiUrl.parse(s.url()), s.chapUser(), s.chapSecretFile()));
              LOG.info("iscsi{}: reconnecting the journalled session to {}", s.unit(), s.url());
            } catch (IllegalArgumentException e) {
              LOG.warn("iscsi{}: journalled session to {} not started: {}", s.unit(), s.url(), e.getMessage());
            }
          }
          CompletionStage<?> all = CompletableFuture.completedFuture(null);
          for (String url : connect) {
            all = all.thenCompose(v -> {
              IscsiUrl u = IscsiUrl.parse(url);
              return api.initiators.unitOf(u).isPresent()
                  ? CompletableFuture.completedFuture(null)
                  : api.add(new Add(url, "", ""));
            });
          }
          return all.thenApply(v -> api);
        });
  }

  /** Logs every session out (node shutdown); the journal keeps them. */
  CompletionStage<Done> stop() {
    return initiators.removeAll();
  }

  CompletionStage<Sessions> list() {
    return initiators.list().thenApply(all -> {
      List<Session> out = new ArrayList<>();
      for (Map.Entry<IscsiInitiators.Spec, IscsiSim.Status> e : all) {
        out.add(session(e.getKey(), e.getValue()));
      }
      return new Sessions(out);
    });
  }

  private static Session session(IscsiInitiators.Spec s, IscsiSim.Status st) {
    String neg = st.negotiated() == null ? "" : String.format("MaxSend=%d FirstBurst=%d MaxBurst=%d ImmediateData=%s InitialR2T=%s",
        st.negotiated().maxSendDataSegmentLength(), st.negotiated().firstBurstLength(), st.negotiated().maxBurstLength(),
        st.negotiated().immediateData() ? "Yes" : "No", st.negotiated().initialR2t() ? "Yes" : "No");
    return new Session(s.unit(), "iscsi" + s.unit(), s.url().toString(), st.state(), st.pathId(), st.connections(),
        st.reason(), st.heldCommands(), st.requeued(), s.chapUser() == null ? "" : s.chapUser(), neg);
  }

  CompletionStage<Session> add(Add a) {
    if (a == null || a.url() == null) {
      throw ApiException.badRequest("missing url (iscsi://HOST:PORT/IQN)");
    }
    IscsiUrl url;
    try {
      url = IscsiUrl.parse(a.url());
      IscsiInitiators.chap(a.chapUser(), a.chapSecretFile()); // checked now: a clear 400, not a silent retry loop
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    }
    if (initiators.unitOf(url).isPresent()) {
      throw ApiException.conflict("a session to " + url + " exists (iscsi" + initiators.unitOf(url).get() + ")");
    }
    IscsiInitiators.Spec spec = new IscsiInitiators.Spec(initiators.nextUnit(), url, nz(a.chapUser()), nz(a.chapSecretFile()));
    HostInitiatorEntity.Session journalled = new HostInitiatorEntity.Session(spec.unit(), url.toString(), spec.chapUser(),
        spec.chapSecretFile());
    return AskPattern.<HostInitiatorEntity.Command, StatusReply<Done>>ask(
            journal, r -> new HostInitiatorEntity.Add(journalled, r), timeout, system.scheduler())
        .thenApply(r -> {
          r.getValue();
          try {
            initiators.start(spec);
          } catch (IllegalArgumentException e) {
            throw ApiException.conflict(e.getMessage());
          }
          return new Session(spec.unit(), "iscsi" + spec.unit(), url.toString(), "Connecting", -1, 0, "", 0, 0,
              spec.chapUser(), "");
        });
  }

  CompletionStage<ApiModel.Ack> remove(String idOrUrl) {
    IscsiInitiators.Spec spec = initiators.find(idOrUrl)
        .orElseThrow(() -> ApiException.notFound("no initiator session '" + idOrUrl + "' (see ctl iscsi list)"));
    return AskPattern.<HostInitiatorEntity.Command, StatusReply<Done>>ask(
            journal, r -> new HostInitiatorEntity.Remove(spec.unit(), r), timeout, system.scheduler())
        .thenCompose(r -> {
          r.getValue();
          return initiators.remove(spec.unit());
        })
        .thenApply(d -> new ApiModel.Ack(true, "iscsi" + spec.unit() + " (" + spec.url() + ") logged out and removed"));
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }

  /** The routes under {@code /api/iscsi/initiator}; {@code r} supplies the JSON plumbing. */
  static Route routes(ManagementRoutes r, NodeService service) {
    return r.concat(
        r.pathEnd(() -> r.concat(
            r.get(() -> r.reply(() -> api(service).list())),
            r.post(() -> r.body(Add.class, a -> r.reply(() -> api(service).add(a)))))),
        r.path(id -> r.delete(() -> r.reply(() -> api(service).remove(id)))));
  }

  private static IscsiInitiatorApi api(NodeService service) {
    IscsiInitiatorApi a = service.iscsiInitiator();
    if (a == null) {
      throw ApiException.notFound("this node has no iSCSI initiator");
    }
    return a;
  }

  /** {@code ctl iscsi list} text (cf. {@code iscsictl -L}): one line per session, its reason when not connected. */
  public static String format(Sessions s) {
    StringBuilder sb = new StringBuilder(String.format("%-8s %-7s %-13s %-5s %s%n", "Session", "Bus", "State", "Conns", "Target"));
    for (Session x : s.sessions()) {
      sb.append(String.format("%-8s %-7s %-13s %-5d %s%n", x.name(), x.bus() < 0 ? "-" : "scbus" + x.bus(), x.state(),
          x.connections(), x.url()));
      if (!"Connected".equals(x.state()) && !x.reason().isEmpty()) {
        sb.append("         ").append(x.reason()).append('\n');
      }
    }
    return sb.toString();
  }
}
