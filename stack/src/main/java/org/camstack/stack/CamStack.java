package org.camstack.stack;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.sim.BusSpec;
import org.camstack.stack.sim.EmuSim;
import org.camstack.stack.sim.Topology;
import org.camstack.stack.xpt.Xpt;

/**
 * Bootstrap of the storage stack: starts the {@link Xpt} and one {@link EmuSim} per bus of {@code
 * camstack.topology}, and offers a few helpers (scan every bus and wait, a DEV_MATCH snapshot, run
 * one CCB). cf. the CAM part of the kernel's boot: {@code xpt_init()}, then the HBA drivers attach
 * and register their buses, then {@code xpt_config()} scans them.
 *
 * <p>Periph drivers (da, pass, ses, ...) are started in {@link #startPeriphDrivers} — the place
 * the periph layer hooks in; until then the EDT has no periphs but the probes and xpt0.
 *
 * <p>Thread-safety: the handle is immutable; every helper is an ask to the actors.
 */
public final class CamStack {

  /** How the stack's top-level actors get spawned (a system or a parent actor). */
  private interface Spawner {
    <T> ActorRef<T> spawn(Behavior<T> behavior, String name);
  }

  private static final AtomicLong IDS = new AtomicLong(1);

  private final ActorSystem<?> system;
  private final Topology topology;
  private final ActorRef<Xpt.Command> xpt;
  private final List<ActorRef<EmuSim.Command>> sims;

  private CamStack(ActorSystem<?> system, Topology topology, ActorRef<Xpt.Command> xpt, List<ActorRef<EmuSim.Command>> sims) {
    this.system = system;
    this.topology = topology;
    this.xpt = xpt;
    this.sims = List.copyOf(sims);
  }

  /**
   * Starts the stack as system actors ({@code /system/xpt}, {@code /system/emusim0}, ...).
   *
   * @param config the full config: {@code camstack.xpt} and {@code camstack.topology}
   * @throws IllegalArgumentException with a one-line message for a bad topology
   */
  public static CamStack start(ActorSystem<?> system, Config config) {
    Spawner s =
        new Spawner() {
          @Override
          public <T> ActorRef<T> spawn(Behavior<T> behavior, String name) {
            return system.systemActorOf(behavior, name, Props.empty());
          }
        };
    return start(s, system, config);
  }

  /** Starts the stack as children of {@code parent} (e.g. a node guardian). */
  public static CamStack start(ActorContext<?> parent, Config config) {
    Spawner s =
        new Spawner() {
          @Override
          public <T> ActorRef<T> spawn(Behavior<T> behavior, String name) {
            return parent.spawn(behavior, name);
          }
        };
    return start(s, parent.getSystem(), config);
  }

  private static CamStack start(Spawner spawner, ActorSystem<?> system, Config config) {
    Topology topology = Topology.fromConfig(config);
    ActorRef<Xpt.Command> xpt = spawner.spawn(Xpt.create(Xpt.Settings.fromConfig(config)), "xpt");
    startPeriphDrivers(spawner, xpt, config);
    List<ActorRef<EmuSim.Command>> sims = new ArrayList<>();
    for (BusSpec bus : topology.buses()) {
      sims.add(spawner.spawn(EmuSim.create(bus, xpt), bus.name() + bus.unit()));
    }
    return new CamStack(system, topology, xpt, sims);
  }

  /**
   * Where periph drivers start: before the SIMs, so that their AC_FOUND_DEVICE registrations see
   * every device (late registrants get the replay anyway). Branch periph adds da, pass, ses here.
   */
  private static void startPeriphDrivers(Spawner spawner, ActorRef<Xpt.Command> xpt, Config config) {
    // no periph drivers yet
  }

  public ActorRef<Xpt.Command> xpt() {
    return xpt;
  }

  public List<ActorRef<EmuSim.Command>> sims() {
    return sims;
  }

  public Topology topology() {
    return topology;
  }

  public ActorSystem<?> system() {
    return system;
  }

  /** Every bus once registered with the XPT, in topology order. */
  public CompletionStage<List<EmuSim.BusInfo>> buses(Duration timeout) {
    List<CompletableFuture<EmuSim.BusInfo>> all = new ArrayList<>();
    for (ActorRef<EmuSim.Command> sim : sims) {
      all.add(AskPattern.<EmuSim.Command, EmuSim.BusInfo>ask(sim, EmuSim.GetBus::new, timeout, system.scheduler()).toCompletableFuture());
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .thenApply(v -> all.stream().map(CompletableFuture::join).toList());
  }

  /**
   * Scans every bus (XPT_SCAN_BUS each; a scan already running is joined) and completes when all
   * scans did, with their completions in topology order.
   */
  public CompletionStage<List<Ccb.Completed>> scanAll(Duration timeout) {
    return buses(timeout)
        .thenCompose(
            buses -> {
              List<CompletableFuture<Ccb.Completed>> scans = new ArrayList<>();
              for (EmuSim.BusInfo b : buses) {
                scans.add(
                    action(r -> new Ccb.ScanBus(header(CamPath.bus(b.pathId()), r)), timeout).toCompletableFuture());
              }
              return CompletableFuture.allOf(scans.toArray(CompletableFuture[]::new))
                  .thenApply(v -> scans.stream().map(CompletableFuture::join).toList());
            });
  }

  /** XPT_DEV_MATCH of the whole EDT (every bus, the xpt bus last). */
  public CompletionStage<Ccb.DevMatchResult> devMatch(Duration timeout) {
    return action(r -> new Ccb.DevMatch(header(CamPath.XPT, r), CamPath.XPT, ""), timeout)
        .thenApply(c -> c.resultAs(Ccb.DevMatchResult.class));
  }

  /** Sends one CCB (built around the reply address) through the XPT; completes with its completion. */
  public CompletionStage<Ccb.Completed> action(Function<ActorRef<Ccb.Completed>, Ccb> build, Duration timeout) {
    return AskPattern.<Xpt.Command, Ccb.Completed>ask(xpt, r -> new Xpt.Action(build.apply(r)), timeout, system.scheduler());
  }

  /** A header for an ad-hoc CCB (fresh id, priority NORMAL, SIM default timeout). */
  public static Ccb.Header header(CamPath path, ActorRef<Ccb.Completed> replyTo) {
    return new Ccb.Header(IDS.getAndIncrement(), path, CamPriority.NORMAL, 0, 0, 0, replyTo);
  }
}
