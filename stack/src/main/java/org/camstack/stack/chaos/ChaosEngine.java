package org.camstack.stack.chaos;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SpawnProtocol;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.CamStack;
import org.camstack.stack.CamStackConfig;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.devfs.Devfs;
import org.camstack.persistence.audit.LifetimeChecker;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.persistence.audit.ViolationKind;
import org.camstack.stack.periph.Periph;
import org.camstack.stack.periph.PeriphDriver;
import org.camstack.stack.periph.RefToken;
import org.camstack.stack.scsi.Cdbs;
import org.camstack.stack.scsi.da.DaPeriph;
import org.camstack.stack.scsi.pass.PassPeriph;
import org.camstack.stack.scsi.ses.SesPeriph;
import org.camstack.stack.sim.BusSpec;
import org.camstack.stack.sim.EmuSim;
import org.camstack.stack.sim.emu.LunSpec;

/**
 * Seeded random schedules of open, I/O, close, hot-unplug, re-plug, rescan, bus reset and
 * acquire attempts, run by concurrent clients against the real stack (XPT, EmuSims, emulated disks
 * and enclosures, periph drivers, devfs), with the lifetime rules checked after every step (a
 * Jepsen-style nemesis + checker; style.md B10).
 *
 * <p>A cycle launches one operation per client and, sometimes, one topology operation, all at
 * once, then waits for every answer: the stack keeps reacting (scans, probes, invalidations,
 * devfs destroy tasks) while the next cycle starts, which is where the 2012 races live. After
 * every cycle the {@link LifetimeChecker} (fed by every periph and devfs) and the answers
 * themselves are checked: devfs names unique, units never reused before dev-gone and destructor,
 * acquire refused once invalid, references never negative, every call and CCB answered exactly
 * once. In fixed mode the stack must settle every {@link Settings#settleEvery()} cycles (no
 * reference leaked). At the end everything is closed and unplugged and nothing may be left
 * behind.
 *
 * <p>Not an actor: it drives the stack from the calling thread through asks. Thread-safety: one
 * run per instance.
 */
public final class ChaosEngine {

  /**
   * How to run.
   *
   * @param seed the schedule's seed (also the devfs destroy-task latency's)
   * @param cycles how many cycles
   * @param clients concurrent clients (each holds up to 3 open files)
   * @param legacy run the 2012-pre orderings
   * @param progressEvery a progress line every that many cycles (0: none)
   * @param settleEvery in fixed mode, wait for the stack to settle every that many cycles (0: never)
   * @param stopOnSeedBugs stop once both seed bugs (duplicate pass name, ses close deadlock) were seen
   * @param opTimeout an answer later than this is a violation
   */
  public record Settings(
      long seed,
      int cycles,
      int clients,
      boolean legacy,
      int progressEvery,
      int settleEvery,
      boolean stopOnSeedBugs,
      Duration opTimeout) {
    public Settings {
      if (cycles < 0 || clients < 1 || clients > 64) {
        throw new IllegalArgumentException("cycles must be >= 0 and clients 1..64");
      }
    }

    public static Settings of(long seed, int cycles, int clients, boolean legacy) {
      return new Settings(seed, cycles, clients, legacy, 0, 250, false, Duration.ofSeconds(5));
    }

    public Settings withProgressEvery(int n) {
      return new Settings(seed, cycles, clients, legacy, n, settleEvery, stopOnSeedBugs, opTimeout);
    }

    public Settings withStopOnSeedBugs(boolean stop) {
      return new Settings(seed, cycles, clients, legacy, progressEvery, settleEvery, stop, opTimeout);
    }

    public Settings withSettleEvery(int n) {
      return new Settings(seed, cycles, clients, legacy, progressEvery, n, stopOnSeedBugs, opTimeout);
    }
  }

  /**
   * The outcome of a run.
   *
   * @param firstCycle per violation kind, the cycle it was first seen in (0: during teardown)
   * @param examples per violation kind, the first violation of that kind
   */
  public record Report(
      Settings settings,
      int cyclesRun,
      long ops,
      Map<String, Long> opsByKind,
      Map<ViolationKind, Integer> violationsByKind,
      Map<ViolationKind, Integer> firstCycle,
      Map<ViolationKind, LifetimeEvent.ProtocolViolation> examples,
      int bugAFoundAt,
      int bugBFoundAt,
      Map<String, Long> lifetimeEvents,
      Duration elapsed) {

    public int violations() {
      int n = 0;
      for (int v : violationsByKind.values()) {
        n += v;
      }
      return n;
    }

    /** Both seed bugs were found (the legacy-mode goal). */
    public boolean foundSeedBugs() {
      return bugAFoundAt >= 0 && bugBFoundAt >= 0;
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** Runs a whole chaos session in its own actor system. */
  public static Report run(Settings settings, Consumer<String> progress) {
    return new ChaosEngine(settings, progress).runAll();
  }

  /** bus 0: 8 disks in the slots of an enclosure at 14; bus 1: 6 disks, enclosure at 13. */
  static String topology() {
    StringBuilder sb = new StringBuilder("camstack.topology.buses = [\n");
    int[][] shape = {{8, 14}, {6, 13}};
    for (int b = 0; b < shape.length; b++) {
      sb.append("{ name = emusim, max-target = 15, max-lun = 3, queue-depth = 16, targets = [\n");
      for (int slot = 0; slot < shape[b][0]; slot++) {
        int t = slot < 7 ? slot : slot + 1; // 7 is the initiator
        sb.append("  { id = ").append(t).append(", luns = [ { lun = 0, blocks = 8192, block-size = 512, store = ram")
            .append(", enclosure-slot = ").append(slot).append(" } ] }\n");
      }
      sb.append("  { id = ").append(shape[b][1]).append(", luns = [ { lun = 0, type = enclosure, slots = 8 } ] }\n");
      sb.append("] }\n");
    }
    return sb.append("]\n").toString();
  }

  static Config config() {
    return ConfigFactory.parseString(
            topology()
                + "pekko.loglevel = ERROR\n"
                + "pekko.stdout-loglevel = OFF\n"
                + "pekko.log-dead-letters = off\n"
                + "pekko.log-dead-letters-during-shutdown = off\n"
                + "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off\n")
        .withFallback(CamStackConfig.load())
        .resolve();
  }

  private final Settings settings;
  private final Consumer<String> progress;
  private final Random rnd;
  private final LifetimeChecker checker = new LifetimeChecker(false);
  private final Map<String, Long> opsByKind = new TreeMap<>();
  private final EnumMap<ViolationKind, Integer> firstCycle = new EnumMap<>(ViolationKind.class);
  private final EnumMap<ViolationKind, LifetimeEvent.ProtocolViolation> examples = new EnumMap<>(ViolationKind.class);
  private final List<Client> clients = new ArrayList<>();
  private final Map<Integer, Map<Integer, List<LunSpec>>> absent = new HashMap<>(); // bus -> pulled targets
  private final Map<Integer, Map<Integer, List<LunSpec>>> present = new HashMap<>();
  private ActorSystem<SpawnProtocol.Command> system;
  private CamStack stack;
  private List<String> nodeNames = List.of();
  private int bugAAt = -1;
  private int bugBAt = -1;
  private int seenViolations;
  private long ops;
  private int cycle;

  private static final class Client {
    final int id;
    final List<Devfs.FileHandle> files = new ArrayList<>();

    Client(int id) {
      this.id = id;
    }
  }

  private ChaosEngine(Settings settings, Consumer<String> progress) {
    this.settings = settings;
    this.progress = progress == null ? s -> {} : progress;
    this.rnd = new Random(settings.seed());
    for (int i = 0; i < settings.clients(); i++) {
      clients.add(new Client(i));
    }
  }

  private Report runAll() {
    long t0 = System.nanoTime();
    Config config = config();
    system = ActorSystem.create(SpawnProtocol.create(), "chaos", config);
    int cyclesRun = 0;
    try {
      Random latency = new Random(settings.seed() ^ 0x5eedL);
      Devfs.Settings devfs =
          new Devfs.Settings(() -> Duration.ofMillis(latency.nextInt(6)), false); // swi taskqueue latency
      stack =
          CamStack.start(
              system,
              config,
              CamStack.Options.DEFAULT.withListener(checker).withDevfs(devfs).withLegacyMode(settings.legacy()));
      stack.scannedOnce(Duration.ofSeconds(30)).toCompletableFuture().get(30, TimeUnit.SECONDS);
      stack.awaitPeriphs(Duration.ofSeconds(30));
      for (int b = 0; b < stack.topology().buses().size(); b++) {
        BusSpec bus = stack.topology().buses().get(b);
        present.put(b, new TreeMap<>(bus.targets()));
        absent.put(b, new TreeMap<>());
      }
      for (cycle = 1; cycle <= settings.cycles(); cycle++) {
        runCycle();
        cyclesRun = cycle;
        collect();
        if (!settings.legacy() && settings.settleEvery() > 0 && cycle % settings.settleEvery() == 0) {
          settle(Duration.ofSeconds(5), false);
          collect();
        }
        if (settings.progressEvery() > 0 && cycle % settings.progressEvery() == 0) {
          progress.accept(
              String.format(
                  "cycle %6d/%d  ops %7d  violations %d  %.1fs",
                  cycle, settings.cycles(), ops, checker.violationCount(), (System.nanoTime() - t0) / 1e9));
        }
        if (settings.stopOnSeedBugs() && bugAAt >= 0 && bugBAt >= 0) {
          break;
        }
      }
      cycle = 0;
      teardown();
      collect();
    } catch (TimeoutException | ExecutionException e) {
      checker.report(violation(ViolationKind.OTHER, "stack did not answer: " + e, List.of()));
      collect();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      system.terminate();
      try {
        system.getWhenTerminated().toCompletableFuture().get(15, TimeUnit.SECONDS);
      } catch (Exception e) {
        // exiting anyway
      }
    }
    return new Report(
        settings,
        cyclesRun,
        ops,
        new LinkedHashMap<>(opsByKind),
        checker.countsByKind(),
        new EnumMap<>(firstCycle),
        new EnumMap<>(examples),
        bugAAt,
        bugBAt,
        checker.eventsByType(),
        Duration.ofNanos(System.nanoTime() - t0));
  }

  /** Records new violations: first cycle and example per kind, the seed bugs. */
  private void collect() {
    List<LifetimeEvent.ProtocolViolation> all = checker.violations();
    for (int i = seenViolations; i < all.size(); i++) {
      LifetimeEvent.ProtocolViolation v = all.get(i);
      firstCycle.putIfAbsent(v.kind(), cycle);
      examples.putIfAbsent(v.kind(), v);
      if (v.kind() == ViolationKind.DUPLICATE_NAME && bugAAt < 0 && v.names().stream().anyMatch(n -> n.startsWith("pass"))) {
        bugAAt = cycle;
      }
      if (v.kind() == ViolationKind.DESTROY_DEADLOCK && bugBAt < 0 && v.names().stream().anyMatch(n -> n.startsWith("ses"))) {
        bugBAt = cycle;
      }
    }
    seenViolations = all.size();
  }

  private static LifetimeEvent.ProtocolViolation violation(ViolationKind kind, String msg, List<String> names) {
    return LifetimeEvent.ProtocolViolation.of(kind, msg, names);
  }

  // ---------------------------------------------------------------------------------------------
  // One cycle

  /** An operation in flight: its answer, and what to do with it on the engine's thread. */
  private record Pending(String what, CompletableFuture<?> answer, Consumer<Object> after) {}

  private void runCycle() throws InterruptedException {
    nodeNames = nodes().stream().map(Devfs.NodeInfo::name).toList();
    List<Pending> pending = new ArrayList<>();
    for (Client c : clients) {
      pending.add(clientOp(c));
    }
    if (rnd.nextInt(100) < 55) {
      Pending g = globalOp();
      if (g != null) {
        pending.add(g);
      }
    }
    for (Pending p : pending) {
      ops++;
      opsByKind.merge(p.what().split(" ")[0], 1L, Long::sum);
      try {
        Object r = p.answer().get(settings.opTimeout().toMillis(), TimeUnit.MILLISECONDS);
        p.after().accept(r);
      } catch (TimeoutException e) {
        checker.report(violation(ViolationKind.CLIENT_REPLY, "no answer to " + p.what() + " within " + settings.opTimeout(), List.of()));
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof TimeoutException) {
          checker.report(violation(ViolationKind.CLIENT_REPLY, "no answer to " + p.what() + " within " + settings.opTimeout(), List.of()));
        } else {
          checker.report(violation(ViolationKind.OTHER, p.what() + " failed: " + cause, List.of()));
        }
      }
    }
  }

  private Pending clientOp(Client c) {
    int roll = rnd.nextInt(100);
    if (c.files.isEmpty() || (roll < 35 && c.files.size() < 3)) {
      return open(c);
    }
    Devfs.FileHandle fh = c.files.get(rnd.nextInt(c.files.size()));
    if (roll < 75) {
      return io(fh);
    }
    c.files.remove(fh);
    return pending("close " + fh.name(), this.<Devfs.DevReply>ask(r -> new Devfs.Close(fh, r)), x -> {});
  }

  private Pending open(Client c) {
    String name = pickNode();
    if (name == null) {
      return pending("open -", CompletableFuture.completedFuture(null), x -> {});
    }
    return pending(
        "open " + name,
        this.<Devfs.OpenResult>ask(r -> new Devfs.Open(name, Devfs.FREAD | Devfs.FWRITE, r)),
        r -> {
          Devfs.OpenResult or = (Devfs.OpenResult) r;
          if (or.ok()) {
            c.files.add(or.file());
          }
        });
  }

  /** A node to open: pass 40%, da 35%, ses 25% (then any of that kind, aliases included). */
  private String pickNode() {
    int roll = rnd.nextInt(100);
    String prefix = roll < 40 ? "pass" : roll < 75 ? "da" : "ses";
    List<String> candidates = new ArrayList<>();
    for (String n : nodeNames) {
      String base = n.contains("/") ? n.substring(n.lastIndexOf('/') + 1) : n;
      if (base.startsWith(prefix)) {
        candidates.add(n);
      }
    }
    if (candidates.isEmpty()) {
      return nodeNames.isEmpty() ? null : nodeNames.get(rnd.nextInt(nodeNames.size()));
    }
    return candidates.get(rnd.nextInt(candidates.size()));
  }

  private Pending io(Devfs.FileHandle fh) {
    String base = fh.name().contains("/") ? fh.name().substring(fh.name().lastIndexOf('/') + 1) : fh.name();
    Devfs.IoctlCmd cmd;
    if (base.startsWith("da")) {
      int roll = rnd.nextInt(100);
      long off = 512L * rnd.nextInt(2048);
      if (roll < 45) {
        return pending("io read " + fh.name(), this.<Devfs.DevReply>ask(r -> new Devfs.Read(fh, off, 4096, r)), x -> {});
      } else if (roll < 85) {
        byte[] data = new byte[4096];
        rnd.nextBytes(data);
        ByteString bs = ByteString.fromArray(data);
        return pending("io write " + fh.name(), this.<Devfs.DevReply>ask(r -> new Devfs.Write(fh, off, bs, r)), x -> {});
      } else if (roll < 93) {
        cmd = new DaPeriph.Flush();
      } else {
        cmd = new DaPeriph.Delete(off, 4096);
      }
    } else if (base.startsWith("ses")) {
      int roll = rnd.nextInt(100);
      if (roll < 50) {
        cmd = new SesPeriph.GetElementStatus(rnd.nextInt(8));
      } else if (roll < 80) {
        cmd = new SesPeriph.GetEnclosureStatus();
      } else {
        cmd = new SesPeriph.SetElementStatus(rnd.nextInt(8), rnd.nextBoolean(), false);
      }
    } else {
      Ccb.ScsiIo tur =
          new Ccb.ScsiIo(
              new Ccb.Header(1, CamPath.XPT, CamPriority.NORMAL, CcbFlags.DIR_NONE, 0, 0, system.ignoreRef()),
              Cdbs.testUnitReady(),
              ByteString.emptyByteString(),
              0);
      cmd = new PassPeriph.CamIoCommand(tur);
    }
    Devfs.IoctlCmd c = cmd;
    return pending("io ioctl " + fh.name(), this.<Devfs.DevReply>ask(r -> new Devfs.Ioctl(fh, c, r)), x -> {});
  }

  private Pending globalOp() {
    int roll = rnd.nextInt(100);
    int bus = rnd.nextInt(present.size());
    ActorRef<EmuSim.Command> sim = stack.sims().get(bus);
    if (roll < 38) {
      Map<Integer, List<LunSpec>> p = present.get(bus);
      if (p.isEmpty()) {
        return null;
      }
      int target = pick(p);
      List<LunSpec> luns = p.remove(target);
      absent.get(bus).put(target, luns);
      return pending("unplug " + bus + ":" + target, simAsk(sim, r -> new EmuSim.RemoveTarget(target, r)), x -> {});
    } else if (roll < 76) {
      Map<Integer, List<LunSpec>> a = absent.get(bus);
      if (a.isEmpty()) {
        return null;
      }
      int target = pick(a);
      List<LunSpec> luns = a.remove(target);
      present.get(bus).put(target, luns);
      return pending("replug " + bus + ":" + target, simAsk(sim, r -> new EmuSim.AddTarget(target, luns, r)), x -> {});
    } else if (roll < 84) {
      return pending(
          "rescan " + bus,
          stack.action(r -> new Ccb.ScanBus(CamStack.header(CamPath.bus(bus), r)), settings.opTimeout()).toCompletableFuture(),
          x -> {});
    } else if (roll < 88) {
      return pending("reset " + bus, simAsk(sim, EmuSim.ResetBus::new), x -> {});
    }
    return acquireAttempt();
  }

  private int pick(Map<Integer, List<LunSpec>> m) {
    List<Integer> keys = new ArrayList<>(m.keySet());
    return keys.get(rnd.nextInt(keys.size()));
  }

  /** Acquire a random periph (by its generation-tagged handle), release at once if granted. */
  private Pending acquireAttempt() {
    List<String> names = new ArrayList<>(stack.drivers().keySet());
    String driver = names.get(rnd.nextInt(names.size()));
    PeriphDriver.Units units = askBlocking(stack.drivers().get(driver), PeriphDriver.ListUnits::new);
    if (units == null || units.units().isEmpty()) {
      return null;
    }
    PeriphDriver.UnitInfo u = units.units().get(rnd.nextInt(units.units().size()));
    CompletableFuture<String> outcome = new CompletableFuture<>();
    system.tell(
        new SpawnProtocol.Spawn<>(acquirer(u.periph(), outcome), "", Props.empty(), system.ignoreRef()));
    return pending("acquire " + driver + u.unit(), outcome, x -> {});
  }

  /** One acquire attempt: granted (then released), refused, or the periph is gone. */
  private static Behavior<Object> acquirer(ActorRef<Periph.Command> periph, CompletableFuture<String> outcome) {
    return Behaviors.setup(
        ctx -> {
          ctx.watch(periph);
          ActorRef<StatusReply<Done>> self = ctx.getSelf().narrow();
          periph.tell(new Periph.Acquire(RefToken.TOOL, self));
          return Behaviors.receive(Object.class)
              .onMessage(
                  StatusReply.class,
                  r -> {
                    if (r.isSuccess()) {
                      periph.tell(new Periph.Release(RefToken.TOOL));
                    }
                    outcome.complete(r.isSuccess() ? "granted" : "refused");
                    return Behaviors.stopped();
                  })
              .onSignal(
                  Terminated.class,
                  t -> {
                    outcome.complete("gone");
                    return Behaviors.stopped();
                  })
              .build();
        });
  }

  private static Pending pending(String what, CompletableFuture<?> answer, Consumer<Object> after) {
    return new Pending(what, answer, after);
  }

  /** Asks devfs; the answer (of type R) is handed on as an Object for {@link Pending}. */
  private <R> CompletableFuture<Object> ask(Function<ActorRef<R>, Devfs.Command> build) {
    CompletionStage<R> s = AskPattern.ask(stack.devfs(), build::apply, settings.opTimeout(), system.scheduler());
    return s.toCompletableFuture().thenApply(r -> (Object) r);
  }

  private CompletableFuture<StatusReply<Done>> simAsk(
      ActorRef<EmuSim.Command> sim, Function<ActorRef<StatusReply<Done>>, EmuSim.Command> build) {
    CompletionStage<StatusReply<Done>> s =
        AskPattern.ask(sim, build::apply, settings.opTimeout(), system.scheduler());
    return s.toCompletableFuture();
  }

  private <T, R> R askBlocking(ActorRef<T> to, Function<ActorRef<R>, T> build) {
    try {
      CompletionStage<R> s = AskPattern.ask(to, build::apply, settings.opTimeout(), system.scheduler());
      return s.toCompletableFuture().get(settings.opTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (ExecutionException | TimeoutException e) {
      checker.report(violation(ViolationKind.CLIENT_REPLY, "no answer to a query: " + e, List.of()));
      return null;
    }
  }

  private List<Devfs.NodeInfo> nodes() {
    Devfs.NodeList l = askBlocking(stack.devfs(), Devfs.ListNodes::new);
    return l == null ? List.of() : l.nodes();
  }

  // ---------------------------------------------------------------------------------------------
  // Settling and teardown

  /**
   * Waits until no periph is invalid and no node waits for its destroy (fixed mode: everything
   * that was lost is freed). With {@code empty}, until no periph and no node is left at all.
   * Reports what is stuck when it does not happen in time.
   */
  private void settle(Duration timeout, boolean empty) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String stuck = "";
    while (System.nanoTime() < deadline) {
      stuck = stuck(empty);
      if (stuck.isEmpty()) {
        return;
      }
      Thread.sleep(10);
    }
    ViolationKind kind = empty ? ViolationKind.LEFT_BEHIND : ViolationKind.REF_LEAK;
    checker.report(violation(kind, "not settled after " + timeout + ": " + stuck, List.of()));
  }

  /** What keeps the stack from being settled, "" when nothing. */
  private String stuck(boolean empty) {
    List<String> why = new ArrayList<>();
    for (Map.Entry<String, ActorRef<PeriphDriver.Command>> d : stack.drivers().entrySet()) {
      PeriphDriver.Units u = askBlocking(d.getValue(), PeriphDriver.ListUnits::new);
      if (u == null) {
        return "driver " + d.getKey() + " does not answer";
      }
      for (PeriphDriver.UnitInfo ui : u.units()) {
        if (empty || ui.invalid()) {
          why.add(d.getKey() + ui.unit() + "#" + ui.generation() + (ui.invalid() ? " (invalid)" : "") + refs(ui.periph()));
        }
      }
      if (empty && u.liveActors() > 0 && u.units().isEmpty()) {
        why.add(u.liveActors() + " " + d.getKey() + " actor(s) alive");
      }
    }
    for (Devfs.NodeInfo n : nodes()) {
      if (empty || !n.state().equals("ACTIVE")) {
        why.add("node " + n.name() + " " + n.state());
      }
    }
    return String.join(", ", why);
  }

  private String refs(ActorRef<Periph.Command> p) {
    try {
      CompletionStage<Periph.Refs> s = AskPattern.ask(p, Periph.DumpRefs::new, Duration.ofMillis(200), system.scheduler());
      Periph.Refs r = s.toCompletableFuture().get(300, TimeUnit.MILLISECONDS);
      return " holding " + r.held();
    } catch (Exception e) {
      return "";
    }
  }

  /** Close every file, pull every target, and check that nothing is left behind. */
  private void teardown() throws InterruptedException {
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (Client c : clients) {
      for (Devfs.FileHandle fh : c.files) {
        all.add(this.<Devfs.DevReply>ask(r -> new Devfs.Close(fh, r)));
      }
      c.files.clear();
    }
    for (Map.Entry<Integer, Map<Integer, List<LunSpec>>> e : present.entrySet()) {
      ActorRef<EmuSim.Command> sim = stack.sims().get(e.getKey());
      for (int t : new ArrayList<>(e.getValue().keySet())) {
        all.add(simAsk(sim, r -> new EmuSim.RemoveTarget(t, r)));
      }
      absent.get(e.getKey()).putAll(e.getValue());
      e.getValue().clear();
    }
    for (CompletableFuture<?> f : all) {
      try {
        f.get(settings.opTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        checker.report(violation(ViolationKind.CLIENT_REPLY, "teardown: no answer: " + e, List.of()));
      }
    }
    settle(Duration.ofSeconds(10), true);
    checker.checkQuiescent();
    checker.checkTornDown();
  }
}
