package org.camstack.stack.node;

import com.typesafe.config.Config;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.camstack.persistence.journal.JournalSchema;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;
import org.camstack.persistence.audit.AuditWriter;
import org.camstack.persistence.audit.LifetimeListener;
import org.camstack.stack.durable.DurableDevices;
import org.camstack.stack.sim.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One camstack node: a Pekko Cluster member named {@value NodeSettings#SYSTEM_NAME} that runs the
 * stack (XPT, emulated SIMs from the topology, periph drivers, devfs) on a durable journal and
 * serves the management API.
 *
 * <p>Start-up order: lock the data directory, start the ActorSystem (self-join when no seed),
 * start the stack, bind the API, wait for the first scan of every bus, print the devlist and the
 * API address, write {@code node.json}. Shutdown is Pekko's coordinated shutdown: the API unbinds,
 * the stack detaches (periphs invalidated through the normal protocol), the member leaves, the
 * journal closes with the system; then {@code node.json} is removed and the lock released.
 *
 * <p>Runnable main: {@code org.camstack.stack.node.EmulatorNode} (same options as {@code
 * ./camstack node}).
 */
public final class EmulatorNode {
  private static final Logger LOG = LoggerFactory.getLogger(EmulatorNode.class);

  private final NodeSettings settings;
  private final NodeFiles files;
  private final ActorSystem<Void> system;
  private final NodeStack stack;
  private final StackNodeService service;
  private final ServerBinding binding;
  private final ActorRef<AuditWriter.Command> audit;
  private final String apiUrl;
  private org.camstack.stack.target.iscsi.IscsiPortal portal; // null when --iscsi-port off
  private org.camstack.stack.cluster.ClusterLuns clustered; // null without clustered LUNs

  private EmulatorNode(
      NodeSettings settings,
      NodeFiles files,
      ActorSystem<Void> system,
      NodeStack stack,
      StackNodeService service,
      ServerBinding binding,
      ActorRef<AuditWriter.Command> audit) {
    this.settings = settings;
    this.files = files;
    this.system = system;
    this.stack = stack;
    this.service = service;
    this.binding = binding;
    this.audit = audit;
    this.apiUrl = "http://" + hostForUrl(settings.apiHost()) + ":" + binding.localAddress().getPort();
  }

  /**
   * Starts a node and returns once it is ready (first scan finished, devlist printed to {@code
   * out}, {@code node.json} written).
   *
   * @throws IllegalStateException one line: data directory in use, port taken, scan timeout, ...
   */
  public static EmulatorNode start(NodeSettings settings, PrintStream out) {
    NodeFiles files = NodeFiles.lock(settings.dataDir());
    ActorSystem<Void> system = null;
    try {
      org.camstack.stack.target.MemoryBudget.process().setLimit(settings.memoryBudget());
      // camstack cluster (issue 13): this node's ALUA target port group id, carried as a role every member reads
      int portGroup =
          org.camstack.stack.cluster.PortGroupIds.assign(
              settings.journal(), files.hostId(settings.config().getString("camstack.node.host-id")), settings.config().getInt("camstack.cluster.port-group"));
      Config systemConfig = org.camstack.stack.cluster.PortGroupIds.withRole(settings.systemConfig(), portGroup);
      // camstack cluster (issue 13): the crash detector's liveness listener, advertised as the role liveness:PORT
      org.camstack.stack.cluster.LivenessLinks liveness = null;
      if (systemConfig.getBoolean("camstack.cluster.crash-detector")) {
        liveness = org.camstack.stack.cluster.LivenessLinks.open(systemConfig.getString("pekko.remote.artery.canonical.hostname"));
        java.util.List<String> roles = new java.util.ArrayList<>(systemConfig.getStringList("pekko.cluster.roles"));
        roles.add(liveness.role());
        systemConfig = systemConfig.withValue("pekko.cluster.roles", com.typesafe.config.ConfigValueFactory.fromIterable(roles));
      }
      try {
        system = ActorSystem.create(Behaviors.empty(), NodeSettings.SYSTEM_NAME, systemConfig);
      } finally {
        if (liveness != null && system == null) {
          liveness.close();
        }
      }
      if (liveness != null) {
        org.camstack.stack.cluster.LivenessLinks links = liveness;
        system.getWhenTerminated().thenRun(links::close);
        system.systemActorOf(org.camstack.stack.cluster.CrashDetector.create(links), "crash-detector", Props.empty());
      }
      Cluster cluster = Cluster.get(system);
      if (settings.seeds().isEmpty()) {
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }
      Config config = system.settings().config();
      // camstack cluster (issue 13): a node joining through seeds checks that every member shares its journal
      if (!settings.seeds().isEmpty()) {
        org.camstack.stack.cluster.ClusterJoin.awaitCompatibleMembers(system, settings.journal(), config.getDuration("camstack.cluster.join-timeout"));
      }
      if (config.getBoolean("camstack.journal.create-schema")) {
        await(JournalSchema.createIfNotExists(system), Duration.ofSeconds(60), "cannot create the journal schema at " + settings.journal());
      }
      String hostId = files.hostId(config.getString("camstack.node.host-id"));
      org.camstack.stack.cluster.NodeWwns wwns =
          org.camstack.stack.cluster.NodeWwns.choose(
              config.getString("camstack.cluster.default-wwns"), settings.journal().kind() != org.camstack.persistence.journal.JournalConfig.Kind.H2, hostId);
      config = config.withValue(org.camstack.stack.cluster.NodeWwns.SALT_KEY, com.typesafe.config.ConfigValueFactory.fromAnyRef(wwns.hex()));
      JournalWiring wiring =
          await(JournalWiring.load(system, hostId, Duration.ofSeconds(60)), Duration.ofSeconds(70), "cannot load the unit wiring from " + settings.journal());
      ActorRef<AuditWriter.Command> audit = system.systemActorOf(AuditWriter.create(hostId), "lifetime-audit", Props.empty());
      audit.tell(new AuditWriter.Record(org.camstack.persistence.audit.LifetimeEvent.StackStarted.now(java.util.UUID.randomUUID().toString())));
      DurableDevices durable =
          await(
              DurableDevices.recover(system, hostId, wwns.apply(Topology.fromConfig(config)), Duration.ofSeconds(60)),
              Duration.ofSeconds(70),
              "cannot recover the emulated devices from " + settings.journal());
      flushOnShutdown(system, durable);
      org.camstack.stack.node.web.WebFeed webFeed = new org.camstack.stack.node.web.WebFeed(system); // the web page's live view
      org.camstack.stack.cluster.ClusterLuns clustered = org.camstack.stack.cluster.ClusterLuns.fromConfig(system, config);
      NodeStack stack =
          NodeStack.start(
              system, config, LifetimeListener.journal(audit).andThen(webFeed.listener()), wiring, settings.askTimeout(), durable, clustered);
      if (clustered != null) {
        clustered.start();
      }
      StackNodeService service =
          new StackNodeService(
              system, stack.xpt(), stack.devfs, stack, wiring, stack.firstScan(), settings.askTimeout(), settings.scanTimeout(),
              settings.limits());
      org.camstack.stack.target.iscsi.IscsiPortal portal = IscsiWiring.start(system, config, stack.targets());
      IscsiApi iscsiApi = new IscsiApi(stack.targets());
      iscsiApi.attach(portal);
      service.attachIscsi(iscsiApi);
      IscsiInitiatorApi initiator =
          await(
              IscsiInitiatorApi.start(system, hostId, stack.xpt(), config.getStringList("camstack.iscsi.initiator.connect"), Duration.ofSeconds(60)),
              Duration.ofSeconds(70),
              "cannot load the iSCSI initiator sessions from " + settings.journal());
      service.attachInitiator(initiator);
      service.attachCluster(new ClusterApi(system, clustered));
      webFeed.start(service, stack.xpt());
      ManagementRoutes routes =
          new ManagementRoutes(service, settings.token(), settings.bind(), settings.allowedHosts())
              .withWeb(new org.camstack.stack.node.web.WebRoutes(system, webFeed, settings.journal()));
      ServerBinding binding =
          await(
              Http.get(system).newServerAt(settings.bind(), settings.port()).bind(routes.routes()),
              Duration.ofSeconds(30),
              "cannot bind the API to " + settings.bind() + ":" + settings.port());
      binding.addToCoordinatedShutdown(Duration.ofSeconds(5), system);

      EmulatorNode node = new EmulatorNode(settings, files, system, stack, service, binding, audit);
      node.portal = portal;
      node.clustered = clustered;
      node.registerShutdown();
      await(service.firstScan(), settings.scanTimeout(), "the first scan did not finish");
      node.announce(out);
      return node;
    } catch (RuntimeException e) {
      if (system != null) {
        system.terminate();
        try {
          system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException ignored) {
          // best effort: we are failing anyway
        }
      }
      files.close();
      throw e;
    }
  }

  private void registerShutdown() {
    CoordinatedShutdown cs = CoordinatedShutdown.get(system);
    cs.addTask(
        CoordinatedShutdown.PhaseBeforeServiceUnbind(),
        "camstack-not-ready",
        () -> {
          service.markStopping();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    if (portal != null) {
      cs.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "camstack-iscsi-portal", () -> portal.stop(Duration.ofSeconds(3)));
    }
    IscsiInitiatorApi initiator = service.iscsiInitiator();
    if (initiator != null) {
      cs.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "camstack-iscsi-initiator", initiator::stop);
    }
    cs.addTask(CoordinatedShutdown.PhaseBeforeClusterShutdown(), "camstack-detach-stack", stack::detach);
    cs.addTask(
        CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
        "camstack-flush-audit",
        () ->
            AskPattern.<AuditWriter.Command, StatusReply<Long>>ask(audit, AuditWriter.Flush::new, Duration.ofSeconds(10), system.scheduler())
                .handle((r, e) -> {
                  if (e != null) {
                    LOG.warn("lifetime audit not flushed at shutdown: {}", e.toString());
                  }
                  return Done.getInstance();
                }));
    cs.addTask(
        CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
        "camstack-node-files",
        () -> {
          files.deleteInfo();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    system.getWhenTerminated().thenRun(files::close);
  }

  /** The devices' journals catch up with the devices before the journal closes. */
  private static void flushOnShutdown(ActorSystem<Void> system, DurableDevices durable) {
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
            "camstack-flush-devices",
            () ->
                durable.flush()
                    .handle(
                        (d, e) -> {
                          if (e != null) {
                            LOG.warn("device state not flushed at shutdown: {}", e.toString());
                          }
                          return Done.getInstance();
                        }));
  }

  private void announce(PrintStream out) {
    String devlist = await(service.devlistText(), settings.askTimeout(), "cannot read the devlist");
    out.print(devlist);
    out.println("camstack node: API listening on " + apiUrl);
    out.println("camstack node: web page at " + apiUrl + "/");
    if (portal != null) {
      out.println("camstack node: iSCSI portal listening on " + portal.address());
    }
    out.flush();
    files.writeInfo(
        new NodeFiles.NodeInfo(
            ProcessHandle.current().pid(),
            apiUrl,
            binding.localAddress().getPort(),
            clusterPort(),
            NodeSettings.SYSTEM_NAME + "@127.0.0.1:" + clusterPort(),
            settings.dataDir().toAbsolutePath().toString(),
            System.currentTimeMillis()));
    LOG.info("node ready: API [{}], cluster port [{}], data [{}]", apiUrl, clusterPort(), settings.dataDir());
  }

  private static String hostForUrl(String host) {
    return host.contains(":") ? "[" + host + "]" : host;
  }

  /** The iSCSI portal, empty with {@code --iscsi-port off}. */
  public java.util.Optional<org.camstack.stack.target.iscsi.IscsiPortal> portal() {
    return java.util.Optional.ofNullable(portal);
  }

  /** The clustered LUNs (camstack.cluster.bus), empty when the node has none. */
  public java.util.Optional<org.camstack.stack.cluster.ClusterLuns> clusterLuns() {
    return java.util.Optional.ofNullable(clustered);
  }

  /** The management API's base URL, e.g. {@code http://127.0.0.1:8080}. */
  public String apiUrl() {
    return apiUrl;
  }

  public int apiPort() {
    return binding.localAddress().getPort();
  }

  /** The artery port this member listens on. */
  public int clusterPort() {
    return Cluster.get(system).selfMember().address().getPort().orElse(-1);
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public NodeService service() {
    return service;
  }

  /** Runs the coordinated shutdown (idempotent); completes when the ActorSystem terminated. */
  public CompletionStage<Done> shutdown() {
    return CoordinatedShutdown.get(system)
        .runAll(CoordinatedShutdown.unknownReason())
        .thenCompose(d -> system.getWhenTerminated())
        .thenApply(
            d -> {
              files.close(); // also on termination, but that callback may run after this one
              return Done.getInstance();
            });
  }

  /** Blocks until the ActorSystem terminated (after {@link #shutdown()} or a cluster downing). */
  public void awaitTermination() throws InterruptedException {
    try {
      system.getWhenTerminated().toCompletableFuture().get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("node terminated abnormally: " + e.getCause());
    }
  }

  private static <T> T await(CompletionStage<T> stage, Duration timeout, String what) {
    try {
      return stage.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(what + ": interrupted");
    } catch (TimeoutException e) {
      throw new IllegalStateException(what + " within " + timeout.toSeconds() + "s");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      throw new IllegalStateException(what + ": " + ManagementRoutes.oneLine(String.valueOf(c.getMessage())));
    }
  }
}
