package org.camstack.stack.chaos;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
import org.camstack.stack.detsim.DetSim;
import org.camstack.stack.devfs.Devfs;
import org.camstack.persistence.audit.LifetimeChecker;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.persistence.audit.LifetimeListener;
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
import org.camstack.stack.target.EmuDevice;
import org.camstack.stack.target.EmuDevices;
import org.camstack.stack.target.EmuTarget;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.target.TargetInventory;
import org.camstack.stack.target.iscsi.IscsiPortal;
import org.camstack.stack.target.iscsi.PortalConfig;
import org.camstack.stack.target.iscsi.TargetNames;
import org.camstack.stack.sim.iscsi.IscsiSim;
import org.camstack.stack.sim.iscsi.IscsiUrl;
import org.camstack.stack.sim.iscsi.TcpProxy;
import java.util.Optional;

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
 * themselves are checked. In fixed mode the stack must settle every {@link Settings#settleEvery()}
 * cycles (no reference leaked). At the end everything is closed and unplugged and nothing may be
 * left behind.
 *
 * <p>Two ways to run ({@link Mode}): {@link Mode#DETERMINISTIC} (the default) puts the whole actor
 * system on a {@link DetSim}: one thread, the next actor turn picked by the seeded generator,
 * virtual time for every timer and timeout; the same settings and schedule give the same run, byte
 * for byte ({@link Report#summaryLine()}), so a failure can be recorded ({@link Report#schedule()}),
 * replayed ({@link Settings#replay()}) and shrunk ({@link ChaosShrinker}). {@link Mode#THREADS} runs
 * on Pekko's real dispatcher threads: more true parallelism, not reproducible.
 *
 * <p>Not an actor: it drives the stack from the calling thread through asks (deterministic mode:
 * by stepping the world until the answers arrive). Thread-safety: one run per instance.
 */
public final class ChaosEngine {

  /** Where the actors run. */
  public enum Mode {
    /** One thread, seeded picks, virtual time: reproducible. */
    DETERMINISTIC,
    /** Pekko's dispatcher threads and the wall clock: stress, not reproducible. */
    THREADS
  }

  /**
   * How to run.
   *
   * @param seed the schedule's seed (operations, scheduler picks, devfs destroy-task latency)
   * @param cycles how many cycles (a replay runs the schedule's cycles)
   * @param clients concurrent clients (each holds up to 3 open files)
   * @param legacy run the 2012-pre orderings
   * @param progressEvery a progress line every that many cycles (0: none)
   * @param settleEvery in fixed mode, wait for the stack to settle every that many cycles (0: never)
   * @param stopOnSeedBugs stop once both seed bugs (duplicate pass name, ses close deadlock) were seen
   * @param opTimeout an answer later than this is a violation
   * @param mode deterministic or real threads
   * @param replay null: generate operations from the seed; else run exactly these
   * @param stopOnKind null, or stop (skipping the teardown) once a violation of this kind is seen
   * @param timeline record a timeline of operations, answers and lifetime events (small runs)
   */
  public record Settings(
      long seed,
      int cycles,
      int clients,
      boolean legacy,
      int progressEvery,
      int settleEvery,
      boolean stopOnSeedBugs,
      Duration opTimeout,
      Mode mode,
      ChaosSchedule replay,
      ViolationKind stopOnKind,
      boolean timeline,
      boolean iscsi) {
    public Settings {
      if (cycles < 0 || clients < 1 || clients > 64) {
        throw new IllegalArgumentException("cycles must be >= 0 and clients 1..64");
      }
      if (mode == null) {
        mode = Mode.DETERMINISTIC;
      }
      if (iscsi && replay != null) {
        throw new IllegalArgumentException("an --iscsi run crosses a real network: it cannot be replayed");
      }
      if (iscsi) {
        mode = Mode.THREADS; // socket threads deliver the target's answers: not on the deterministic world
      }
      if (replay != null && mode != Mode.DETERMINISTIC) {
        throw new IllegalArgumentException("a schedule can only be replayed deterministically");
      }
    }

    /** Without the network (every caller before {@code chaos --iscsi}). */
    public Settings(
        long seed, int cycles, int clients, boolean legacy, int progressEvery, int settleEvery, boolean stopOnSeedBugs,
        Duration opTimeout, Mode mode, ChaosSchedule replay, ViolationKind stopOnKind, boolean timeline) {
      this(seed, cycles, clients, legacy, progressEvery, settleEvery, stopOnSeedBugs, opTimeout, mode, replay, stopOnKind,
          timeline, false);
    }

    public static Settings of(long seed, int cycles, int clients, boolean legacy) {
      return new Settings(
          seed, cycles, clients, legacy, 0, 250, false, Duration.ofSeconds(5), Mode.DETERMINISTIC, null, null, false);
    }

    /** Runs {@code s} exactly (its seed, clients, legacy mode, settle interval and operations). */
    public static Settings replaying(ChaosSchedule s) {
      return new Settings(
          s.seed(), s.cycles().size(), s.clients(), s.legacy(), 0, s.settleEvery(), false, Duration.ofSeconds(5),
          Mode.DETERMINISTIC, s, null, false);
    }

    public Settings withProgressEvery(int n) {
      return new Settings(seed, cycles, clients, legacy, n, settleEvery, stopOnSeedBugs, opTimeout, mode, replay, stopOnKind, timeline, iscsi);
    }

    public Settings withStopOnSeedBugs(boolean stop) {
      return new Settings(seed, cycles, clients, legacy, progressEvery, settleEvery, stop, opTimeout, mode, replay, stopOnKind, timeline, iscsi);
    }

    public Settings withSettleEvery(int n) {
      return new Settings(seed, cycles, clients, legacy, progressEvery, n, stopOnSeedBugs, opTimeout, mode, replay, stopOnKind, timeline, iscsi);
    }

    public Settings withMode(Mode m) {
      return new Settings(seed, cycles, clients, legacy, progressEvery, settleEvery, stopOnSeedBugs, opTimeout, m, replay, stopOnKind, timeline, iscsi);
    }

    public Settings withStopOnKind(ViolationKind k) {
      return new Settings(seed, cycles, clients, legacy, progressEvery, settleEvery, stopOnSeedBugs, opTimeout, mode, replay, k, timeline, iscsi);
    }

    /**
     * {@code chaos --iscsi}: every device sits behind an in-JVM iSCSI portal reached through the
     * initiator SIM and a TCP proxy the nemesis cuts; implies {@link Mode#THREADS}.
     */
    public Settings withIscsi(boolean on) {
      return new Settings(seed, cycles, clients, legacy, progressEvery, settleEvery, stopOnSeedBugs, opTimeout, on ? Mode.THREADS : mode, replay, stopOnKind, timeline, on);
    }

    public Settings withTimeline(boolean t) {
      return new Settings(seed, cycles, clients, legacy, progressEvery, settleEvery, stopOnSeedBugs, opTimeout, mode, replay, stopOnKind, t, iscsi);
    }
  }

  /**
   * The outcome of a run.
   *
   * @param firstCycle per violation kind, the cycle it was first seen in (0: during teardown)
   * @param examples per violation kind, the first violation of that kind
   * @param events lifetime events observed
   * @param hash a hash of everything observable: every lifetime event, every operation and its
   *     answer, the scheduler's picks, the final devfs nodes and units (deterministic mode only)
   * @param schedule the operations that ran (what {@code --record} writes)
   * @param virtualNanos virtual time the run took (deterministic mode), else 0
   * @param turns actor turns the scheduler ran (deterministic mode), else 0
   * @param timeline the timeline, when asked for (else empty)
   * @param cpu CPU time of the driving thread (in deterministic mode: of the whole stack)
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
      long events,
      long hash,
      ChaosSchedule schedule,
      long virtualNanos,
      long turns,
      ChaosTimeline timeline,
      Duration cpu,
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

    /** The kind seen in the earliest cycle (teardown last), or null when there was none. */
    public ViolationKind firstKind() {
      ViolationKind best = null;
      int bestAt = Integer.MAX_VALUE;
      for (Map.Entry<ViolationKind, Integer> e : firstCycle.entrySet()) {
        int at = e.getValue() == 0 ? Integer.MAX_VALUE - 1 : e.getValue();
        if (at < bestAt) {
          best = e.getKey();
          bestAt = at;
        }
      }
      return best;
    }

    /**
     * The one line two runs of the same seed and cycles must agree on, byte for byte
     * (deterministic mode): cycles, operations by kind, lifetime events, violations, the hash.
     */
    public String summaryLine() {
      StringBuilder opsText = new StringBuilder();
      for (Map.Entry<String, Long> e : opsByKind.entrySet()) {
        opsText.append(opsText.length() == 0 ? "" : ", ").append(e.getKey()).append(' ').append(e.getValue());
      }
      String head =
          String.format("%d cycles, %d ops (%s), %d events, %d violations", cyclesRun, ops, opsText, events, violations());
      // on real threads nothing is reproducible, so no hash is printed that could be compared
      return settings.mode() == Mode.THREADS ? head + ", no hash (threads)" : head + String.format(", hash %016x", hash);
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** Runs a whole chaos session in its own actor system. */
  public static Report run(Settings settings, Consumer<String> progress) {
    return new ChaosEngine(settings, progress).runAll();
  }

  /**
   * bus 0: 8 disks in the slots of an enclosure at 14; bus 1: 6 disks, enclosure at 13; bus 2: a tape
   * library; bus 3 (the other device families of issue 14): a CD/DVD drive at 0, a processor at 1, a
   * SAF-TE enclosure processor at 2 with disks at 3 and 4 in its slots.
   */
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
    // bus 2: a tape library (changer at 0, drives at 1 and 2): sa and ch in the mix
    sb.append("{ name = emusim, max-target = 15, max-lun = 3, queue-depth = 16, targets = [\n")
        .append("  { id = 0, luns = [ { lun = 0, type = changer, slots = 4 } ] }\n")
        .append("  { id = 1, luns = [ { lun = 0, type = tape } ] }\n")
        .append("  { id = 2, luns = [ { lun = 0, type = tape } ] }\n")
        .append("] }\n");
    // bus 3: cd, pt, sg and SAF-TE in the mix
    sb.append("{ name = emusim, max-target = 15, max-lun = 3, queue-depth = 16, targets = [\n")
        .append("  { id = 0, luns = [ { lun = 0, type = cd } ] }\n")
        .append("  { id = 1, luns = [ { lun = 0, type = processor } ] }\n")
        .append("  { id = 2, luns = [ { lun = 0, type = safte, slots = 4 } ] }\n")
        .append("  { id = 3, luns = [ { lun = 0, blocks = 8192, block-size = 512, store = ram, enclosure-slot = 0 } ] }\n")
        .append("  { id = 4, luns = [ { lun = 0, blocks = 8192, block-size = 512, store = ram, enclosure-slot = 1 } ] }\n")
        .append("] }\n");
    return sb.append("]\n").toString();
  }

  static Config config() {
    return config(false);
  }

  /** With {@code iscsi}, no emulated bus at all: every device comes through the initiator SIM. */
  static Config config(boolean iscsi) {
    return ConfigFactory.parseString(
            (iscsi ? "camstack.topology.buses = []\n" : topology())
                + "pekko.loglevel = ERROR\n"
                + "pekko.stdout-loglevel = OFF\n"
                + "pekko.log-dead-letters = off\n"
                + "pekko.log-dead-letters-during-shutdown = off\n"
                + "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off\n")
        .withFallback(CamStackConfig.load())
        .resolve();
  }

  /** The most virtual time one actor turn costs (deterministic mode). */
  static final Duration MAX_TURN_COST = Duration.ofNanos(20_000);

  /** An event's wall-clock stamp ("timestampMicros=..., "): never hashed. */
  private static final java.util.regex.Pattern TIMESTAMP = java.util.regex.Pattern.compile("timestampMicros=\\d+,? ?");

  /** An ActorRef's random uid in a message ("...#-123456]"): never hashed or compared. */
  private static final boolean TRACE = Boolean.getBoolean("camstack.chaos.trace");

  private static final Pattern UID = Pattern.compile("(Actor\\[[^#\\]]*)#-?\\d+\\]");

  private final Settings settings;
  private final Consumer<String> progress;
  private final Random rnd;
  private final LifetimeChecker checker = new LifetimeChecker(false);
  private final Map<String, Long> opsByKind = new TreeMap<>();
  private final EnumMap<ViolationKind, Integer> firstCycle = new EnumMap<>(ViolationKind.class);
  private final EnumMap<ViolationKind, LifetimeEvent.ProtocolViolation> examples = new EnumMap<>(ViolationKind.class);
  private final List<Client> clients = new ArrayList<>();
  private final Map<Integer, Map<Integer, List<LunSpec>>> absent = new TreeMap<>(); // bus -> pulled targets
  private final Map<Integer, Map<Integer, List<LunSpec>>> present = new TreeMap<>();
  private final List<ChaosSchedule.Cycle> recorded = new ArrayList<>();
  private final ChaosTimeline timeline = new ChaosTimeline();
  private final DetSim sim;
  private ActorSystem<SpawnProtocol.Command> system;
  private CamStack stack;
  private final Net net;
  private List<String> nodeNames = List.of();
  private int bugAAt = -1;
  private int bugBAt = -1;
  private int seenViolations;
  private long ops;
  private long events;
  private long hash = 0xcbf29ce484222325L;
  private long nextCcbId = 1;
  private int cycle;
  private boolean stopNow;
  private boolean started;

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
    this.sim =
        settings.mode() == Mode.DETERMINISTIC ? new DetSim(settings.seed() * 0x9E3779B97F4A7C15L + 1, MAX_TURN_COST) : null;
    this.net = settings.iscsi() ? new Net() : null;
  }

  // ---------------------------------------------------------------------------------------------
  // chaos --iscsi: a camstack iSCSI portal in the same JVM, reached through a TCP proxy

  /** LUNs the portal's target starts with (disks of 8192 blocks). */
  static final int NET_LUNS = 4;

  /**
   * Session loss long enough for this is a device loss (cf. kern.iscsi.fail_on_disconnection):
   * short, so that a reconnect storm loses the devices and brings them back many times.
   */
  static final Duration NET_FAIL_ON_DISCONNECTION = Duration.ofMillis(250);

  /** The network side of an --iscsi run: the target, its portal, the proxy, the initiator SIM. */
  private static final class Net {
    EmuTarget target;
    IscsiPortal portal;
    TcpProxy proxy;
    ActorRef<IscsiSim.Command> sim;
    int pathId = -1;
    boolean down;
    final java.util.TreeSet<Integer> lunsPresent = new java.util.TreeSet<>();
    final java.util.TreeSet<Integer> lunsAbsent = new java.util.TreeSet<>();
  }

  private static EmuDevice netDisk(int lun) {
    return EmuDevices.create(LunSpec.disk(lun, 8192, 512), null);
  }

  /** Starts the portal, the proxy and the initiator SIM; waits for every LUN's da. */
  private void startNet() throws TimeoutException, ExecutionException, InterruptedException {
    List<EmuDevice> disks = new ArrayList<>();
    for (int l = 0; l < NET_LUNS; l++) {
      disks.add(netDisk(l));
      net.lunsPresent.add(l);
    }
    net.target = new EmuTarget(0, disks);
    TargetInventory inventory = new TargetInventory();
    Map<Integer, EmuTarget> bus = new java.util.concurrent.ConcurrentHashMap<>();
    bus.put(0, net.target);
    inventory.publish(0, bus);
    net.portal =
        await(IscsiPortal.start(system, "127.0.0.1", 0, PortalConfig.defaults("chaos"), inventory).toCompletableFuture(),
            Duration.ofSeconds(10));
    try {
      net.proxy = new TcpProxy(net.portal.port());
    } catch (java.io.IOException e) {
      throw new ExecutionException("cannot start the TCP proxy", e);
    }
    IscsiSim.Settings d = IscsiSim.Settings.DEFAULT;
    IscsiSim.Settings fast =
        new IscsiSim.Settings(d.initiatorName(), NET_FAIL_ON_DISCONNECTION, Duration.ofMillis(20), Duration.ofMillis(100),
            d.noopInterval(), d.noopTimeout(), d.resetTimeout(), d.timing());
    IscsiUrl url = new IscsiUrl("127.0.0.1", net.proxy.port(), TargetNames.name("chaos", 0, 0));
    net.sim = system.systemActorOf(IscsiSim.create(url, Optional.empty(), -1, 0, fast, stack.xpt()), "chaos-iscsi0", Props.empty());
    long deadline = clockNanos() + Duration.ofSeconds(30).toNanos();
    while (clockNanos() < deadline) {
      IscsiSim.Status st = askBlocking(net.sim, IscsiSim.GetStatus::new);
      net.pathId = st == null ? -1 : st.pathId();
      PeriphDriver.Units da = askBlocking(stack.drivers().get("da"), PeriphDriver.ListUnits::new);
      if (net.pathId >= 0 && da != null && da.units().size() == NET_LUNS) {
        stack.awaitPeriphs(Duration.ofSeconds(30));
        return;
      }
      pause(Duration.ofMillis(20));
    }
    throw new TimeoutException("the iSCSI LUNs did not attach within 30 s");
  }

  private Pending launchNet(ChaosSchedule.Op op) {
    String what = op.format();
    if (net == null) {
      return skipped("nemesis", what);
    }
    String outcome = "ok";
    if (op instanceof ChaosSchedule.NetDrop) {
      net.proxy.dropAll();
    } else if (op instanceof ChaosSchedule.NetDown) {
      net.down = true;
      net.proxy.refuse(true);
      net.proxy.dropAll();
    } else if (op instanceof ChaosSchedule.NetUp) {
      net.down = false;
      net.proxy.refuse(false);
    } else if (op instanceof ChaosSchedule.LunPull lp) {
      if (!net.lunsPresent.remove(lp.lun())) {
        return skipped("nemesis", what);
      }
      net.target.removeLun(lp.lun());
      net.lunsAbsent.add(lp.lun());
    } else if (op instanceof ChaosSchedule.LunPlug lp) {
      if (!net.lunsAbsent.contains(lp.lun())) {
        return skipped("nemesis", what);
      }
      try {
        net.target.addLun(netDisk(lp.lun()));
        net.lunsAbsent.remove(lp.lun());
        net.lunsPresent.add(lp.lun());
      } catch (IllegalArgumentException e) {
        outcome = "refused (the pulled LUN still drains)";
      }
    }
    String o = outcome;
    return new Pending("nemesis", what, CompletableFuture.completedFuture(null), r -> o);
  }

  /** The nemesis of an --iscsi run: the network and the target's LUNs, rescans and acquires. */
  private ChaosSchedule.Op netOp() {
    int roll = rnd.nextInt(100);
    if (net.down) {
      return roll < 60 ? new ChaosSchedule.NetUp() : roll < 80 ? new ChaosSchedule.Rescan(net.pathId) : null;
    }
    if (roll < 16) {
      return new ChaosSchedule.NetDrop();
    } else if (roll < 36) {
      return new ChaosSchedule.NetDown();
    } else if (roll < 48) {
      return net.lunsPresent.size() < 2 ? null : new ChaosSchedule.LunPull(pickOf(net.lunsPresent));
    } else if (roll < 68) {
      return net.lunsAbsent.isEmpty() ? null : new ChaosSchedule.LunPlug(pickOf(net.lunsAbsent));
    } else if (roll < 85) {
      return new ChaosSchedule.Rescan(net.pathId);
    }
    List<String> names = new ArrayList<>(stack.drivers().keySet());
    return new ChaosSchedule.Acquire(names.get(rnd.nextInt(names.size())), rnd.nextInt(1 << 30));
  }

  private int pickOf(java.util.TreeSet<Integer> set) {
    List<Integer> l = new ArrayList<>(set);
    return l.get(rnd.nextInt(l.size()));
  }

  /** Teardown of an --iscsi run: the network back, the session removed (logout, bus deregistered). */
  private void stopNet() throws InterruptedException {
    net.proxy.refuse(false);
    net.down = false;
    try {
      CompletionStage<StatusReply<Done>> s =
          AskPattern.ask(net.sim, IscsiSim.Remove::new, Duration.ofSeconds(10), system.scheduler());
      StatusReply<Done> r = await(s.toCompletableFuture(), Duration.ofSeconds(10));
      if (!r.isSuccess()) {
        checker.report(violation(ViolationKind.CLIENT_REPLY, "iscsi remove: " + r.getError().getMessage(), List.of()));
      }
    } catch (ExecutionException | TimeoutException e) {
      checker.report(violation(ViolationKind.CLIENT_REPLY, "iscsi remove: no answer: " + sanitize(String.valueOf(e)), List.of()));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Waiting: on real threads, or by stepping the deterministic world

  private <T> T await(CompletableFuture<T> f, Duration timeout)
      throws TimeoutException, ExecutionException, InterruptedException {
    if (sim == null) {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
    if (!sim.runUntil(f::isDone, timeout)) {
      throw new TimeoutException("no answer within " + timeout + " (virtual)");
    }
    return f.get();
  }

  private void pause(Duration d) throws InterruptedException {
    if (sim == null) {
      Thread.sleep(d.toMillis());
    } else {
      sim.runFor(d);
    }
  }

  private long clockNanos() {
    return sim == null ? System.nanoTime() : sim.nanos();
  }

  // ---------------------------------------------------------------------------------------------

  private Report runAll() {
    long t0 = System.nanoTime();
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    long cpu0 = mx.getCurrentThreadCpuTime();
    Config config = config(settings.iscsi());
    if (sim != null) {
      config = sim.config().withFallback(config);
    }
    system = ActorSystem.create(SpawnProtocol.create(), "chaos", config);
    int cyclesRun = 0;
    try {
      Random latency = new Random(settings.seed() ^ 0x5eedL);
      Devfs.Settings devfs =
          new Devfs.Settings(() -> Duration.ofMillis(latency.nextInt(6)), false); // swi taskqueue latency
      // real threads: the checker itself (its emit never blocks); deterministic: one thread, so the
      // engine may also hash every event and draw the timeline
      LifetimeListener listener =
          sim == null
              ? checker
              : new LifetimeListener() {
                  @Override
                  public void onEvent(LifetimeEvent e) {
                    onLifetimeEvent(e);
                  }

                  @Override
                  public boolean tracesCcbs() {
                    return true; // every CCB's issue and completion, for the checker's exactly-once rule
                  }
                };
      stack =
          CamStack.start(
              system,
              config,
              CamStack.Options.DEFAULT.withListener(listener).withDevfs(devfs).withLegacyMode(settings.legacy()));
      boot();
      if (net != null) {
        startNet();
      }
      for (int b = 0; b < stack.topology().buses().size(); b++) {
        BusSpec bus = stack.topology().buses().get(b);
        present.put(b, new TreeMap<>(bus.targets()));
        absent.put(b, new TreeMap<>());
      }
      int total = settings.replay() != null ? settings.replay().cycles().size() : settings.cycles();
      for (int i = 0; i < total && !stopNow; i++) {
        ChaosSchedule.Cycle planned = settings.replay() != null ? settings.replay().cycles().get(i) : null;
        cycle = planned != null ? planned.number() : i + 1;
        started = true;
        runCycle(planned);
        cyclesRun = i + 1;
        collect();
        if (!settings.legacy() && settings.settleEvery() > 0 && cycle % settings.settleEvery() == 0) {
          settle(Duration.ofSeconds(5), false);
          collect();
        }
        if (settings.progressEvery() > 0 && cyclesRun % settings.progressEvery() == 0) {
          progress.accept(
              String.format(
                  "cycle %6d/%d  ops %7d  violations %d  %.1fs",
                  cyclesRun, total, ops, checker.violationCount(), (System.nanoTime() - t0) / 1e9));
        }
        if (settings.stopOnSeedBugs() && bugAAt >= 0 && (bugBAt >= 0 || net != null)) { // no ses behind --iscsi
          break;
        }
      }
      mix("final " + finalState());
      if (!stopNow) {
        cycle = 0;
        if (settings.timeline()) {
          timeline.teardown(clockNanos());
        }
        teardown();
        collect();
      }
    } catch (TimeoutException | ExecutionException e) {
      checker.report(violation(ViolationKind.OTHER, "stack did not answer: " + e.getMessage(), List.of()));
      collect();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (sim != null) {
        mix("schedule " + sim.traceHash()); // before the shutdown, whose internals are not part of the run
      }
      shutdown();
    }
    if (sim != null) {
      if (sim.foreignSubmissions() > 0) {
        checker.report(
            violation(ViolationKind.OTHER, sim.foreignSubmissions() + " task(s) submitted from another thread: not reproducible", List.of()));
      }
    }
    ChaosSchedule schedule =
        new ChaosSchedule(settings.seed(), settings.clients(), settings.legacy(), settings.settleEvery(), recorded, "");
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
        sim == null ? checker.eventCount() : events,
        hash,
        schedule,
        sim == null ? 0 : sim.nanos(),
        sim == null ? 0 : sim.steps(),
        timeline,
        Duration.ofNanos(mx.getCurrentThreadCpuTime() - cpu0),
        Duration.ofNanos(System.nanoTime() - t0));
  }

  /** Waits for the first scan of every bus and for the periph layer to settle. */
  private void boot() throws TimeoutException, ExecutionException, InterruptedException {
    await(stack.scannedOnce(Duration.ofSeconds(30)).toCompletableFuture(), Duration.ofSeconds(30));
    if (sim == null) {
      stack.awaitPeriphs(Duration.ofSeconds(30));
      return;
    }
    // settled: nothing runnable and no timer due within a second (every probe, attach and node done)
    sim.runUntil(() -> sim.quiet(Duration.ofSeconds(1)), Duration.ofSeconds(30));
  }

  private void shutdown() {
    if (net != null && net.proxy != null) {
      try {
        net.proxy.close();
      } catch (java.io.IOException e) {
        // exiting anyway
      }
    }
    system.terminate();
    try {
      if (sim != null) {
        sim.runUntil(() -> system.whenTerminated().isCompleted(), Duration.ofSeconds(60));
        sim.close();
      } else {
        system.getWhenTerminated().toCompletableFuture().get(15, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      // exiting anyway
    }
  }

  /** Every lifetime event: checked, counted, hashed, and put on the timeline when asked for. */
  private synchronized void onLifetimeEvent(LifetimeEvent e) {
    checker.onEvent(e);
    events++;
    mix(TIMESTAMP.matcher(sanitize(e.toString())).replaceAll("")); // wall-clock stamps are not part of a run
    if (settings.timeline() && started) {
      timeline.event(clockNanos(), e);
    }
  }

  private synchronized void mix(String s) {
    if (TRACE) {
      System.err.println("chaos-trace " + s);
    }
    long h = hash;
    for (int i = 0; i < s.length(); i++) {
      h ^= s.charAt(i);
      h *= 0x100000001b3L;
    }
    hash = h;
  }

  /** {@code s} without ActorRef uids (random per run): what may be printed and compared. */
  public static String sanitize(String s) {
    return s.indexOf("Actor[") < 0 ? s : UID.matcher(s).replaceAll("$1]");
  }

  /** Records new violations: first cycle and example per kind, the seed bugs. */
  private void collect() {
    List<LifetimeEvent.ProtocolViolation> all = checker.violations();
    for (int i = seenViolations; i < all.size(); i++) {
      LifetimeEvent.ProtocolViolation v = all.get(i);
      firstCycle.putIfAbsent(v.kind(), cycle);
      examples.putIfAbsent(v.kind(), v);
      if (v.kind() == ViolationKind.DUPLICATE_NAME && bugAAt < 0
          && (net != null || v.names().stream().anyMatch(n -> n.startsWith("pass")))) { // --iscsi: da, pass or sg
        bugAAt = cycle;
      }
      if (v.kind() == ViolationKind.DESTROY_DEADLOCK && bugBAt < 0 && v.names().stream().anyMatch(n -> n.startsWith("ses"))) {
        bugBAt = cycle;
      }
      if (v.kind() == settings.stopOnKind()) {
        stopNow = true;
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
  private record Pending(String who, String what, CompletableFuture<?> answer, Function<Object, String> after) {}

  private void runCycle(ChaosSchedule.Cycle planned) throws InterruptedException, TimeoutException, ExecutionException {
    nodeNames = nodes().stream().map(Devfs.NodeInfo::name).toList();
    if (net != null && nodeNames.isEmpty() && !net.down) {
      // wall-clock pacing: a reconnect (backoff) and its rescan take milliseconds, an empty cycle
      // microseconds; let the devices come back (at most 1 s) instead of spinning through empty cycles
      long until = clockNanos() + Duration.ofSeconds(1).toNanos();
      while (nodeNames.isEmpty() && clockNanos() < until) {
        pause(Duration.ofMillis(10));
        nodeNames = nodes().stream().map(Devfs.NodeInfo::name).toList();
      }
    }
    List<ChaosSchedule.Op> plan = planned != null ? planned.ops() : generate();
    recorded.add(new ChaosSchedule.Cycle(cycle, plan));
    if (settings.timeline()) {
      timeline.cycle(clockNanos(), cycle);
    }
    List<Pending> pending = new ArrayList<>();
    for (ChaosSchedule.Op op : plan) {
      ops++;
      opsByKind.merge(op.verb(), 1L, Long::sum);
      Pending p = launch(op);
      mix(p.who() + " " + p.what());
      if (settings.timeline()) {
        timeline.request(clockNanos(), p.who(), p.what());
      }
      pending.add(p);
    }
    for (Pending p : pending) {
      String outcome;
      try {
        Object r = await(p.answer(), settings.opTimeout());
        outcome = p.after().apply(r);
      } catch (TimeoutException e) {
        outcome = "no answer";
        checker.report(violation(ViolationKind.CLIENT_REPLY, "no answer to " + p.what() + " within " + settings.opTimeout(), List.of()));
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof TimeoutException) {
          outcome = "no answer";
          checker.report(violation(ViolationKind.CLIENT_REPLY, "no answer to " + p.what() + " within " + settings.opTimeout(), List.of()));
        } else {
          outcome = "failed: " + sanitize(String.valueOf(cause));
          checker.report(violation(ViolationKind.OTHER, p.what() + " failed: " + sanitize(String.valueOf(cause)), List.of()));
        }
      }
      mix(p.what() + " = " + outcome);
      if (settings.timeline()) {
        timeline.answer(clockNanos(), p.who(), p.what(), outcome);
      }
    }
  }

  /** The operations of one cycle, drawn from the seeded generator. */
  private List<ChaosSchedule.Op> generate() {
    List<ChaosSchedule.Op> out = new ArrayList<>();
    for (Client c : clients) {
      out.add(clientOp(c));
    }
    if (rnd.nextInt(100) < 55) {
      ChaosSchedule.Op g = net != null ? netOp() : globalOp();
      if (g != null) {
        out.add(g);
      }
    }
    return out;
  }

  private ChaosSchedule.Op clientOp(Client c) {
    int roll = rnd.nextInt(100);
    if (c.files.isEmpty() || (roll < 35 && c.files.size() < 3)) {
      return new ChaosSchedule.Open(c.id, pickNode());
    }
    int slot = rnd.nextInt(c.files.size());
    if (roll < 75) {
      return new ChaosSchedule.Io(c.id, slot, rnd.nextInt(100), rnd.nextInt(2048), rnd.nextInt(8), rnd.nextBoolean(), rnd.nextLong());
    }
    return new ChaosSchedule.Close(c.id, slot);
  }

  /**
   * A node to open: pass 34%, da 30%, ses 18%, sa 6%, ch 4%, sg 4%, cd 2%, pt 2% (then any unit of
   * that driver by its exact unit name, {@link #driverOf}, pass's physical-path aliases included;
   * sg's Linux names such as {@code sga} are not picked, so a schedule does not depend on them).
   * cd, pt and sg answer the chaos ioctl with ENOTTY; their open and close are what matters (the
   * 2012-05-27 close race).
   */
  private String pickNode() {
    int roll = rnd.nextInt(100);
    String prefix =
        roll < 34 ? "pass" : roll < 64 ? "da" : roll < 82 ? "ses" : roll < 88 ? "sa" : roll < 92 ? "ch"
            : roll < 96 ? "sg" : roll < 98 ? "cd" : "pt";
    List<String> candidates = new ArrayList<>();
    List<String> units = new ArrayList<>();
    for (String n : nodeNames) {
      String driver = driverOf(n);
      if (prefix.equals(driver)) {
        candidates.add(n);
      }
      if (!driver.isEmpty()) {
        units.add(n);
      }
    }
    if (candidates.isEmpty()) { // none of that kind (e.g. --iscsi: da, pass, sg only): any unit
      return units.isEmpty() ? "-" : units.get(rnd.nextInt(units.size()));
    }
    return candidates.get(rnd.nextInt(candidates.size()));
  }

  private static String base(String name) {
    return name.contains("/") ? name.substring(name.lastIndexOf('/') + 1) : name;
  }

  private static final Pattern UNIT_NAME = Pattern.compile("([a-z]+)([0-9]+)");

  /**
   * The driver whose unit {@code name} is ({@code pass} for {@code pass3} and for a physical-path
   * alias {@code .../pass3}), "" for any other name: an exact unit-name match, so sg's Linux alias
   * {@code sga} is no {@code sg} unit and {@code sa0} no {@code ses} one.
   */
  static String driverOf(String name) {
    Matcher m = UNIT_NAME.matcher(base(name));
    return m.matches() ? m.group(1) : "";
  }

  private ChaosSchedule.Op globalOp() {
    int roll = rnd.nextInt(100);
    int bus = rnd.nextInt(present.size());
    if (roll < 38) {
      Map<Integer, List<LunSpec>> p = present.get(bus);
      return p.isEmpty() ? null : new ChaosSchedule.Unplug(bus, pick(p));
    } else if (roll < 76) {
      Map<Integer, List<LunSpec>> a = absent.get(bus);
      return a.isEmpty() ? null : new ChaosSchedule.Replug(bus, pick(a));
    } else if (roll < 84) {
      return new ChaosSchedule.Rescan(bus);
    } else if (roll < 88) {
      return new ChaosSchedule.Reset(bus);
    }
    List<String> names = new ArrayList<>(stack.drivers().keySet());
    return new ChaosSchedule.Acquire(names.get(rnd.nextInt(names.size())), rnd.nextInt(1 << 30));
  }

  private int pick(Map<Integer, List<LunSpec>> m) {
    List<Integer> keys = new ArrayList<>(m.keySet());
    return keys.get(rnd.nextInt(keys.size()));
  }

  // ---------------------------------------------------------------------------------------------
  // Launching one operation (the same code for generated and replayed operations)

  private static final Function<Object, String> DONE = r -> "ok";

  private Pending skipped(String who, String what) {
    return new Pending(who, what + " (skipped)", CompletableFuture.completedFuture(null), r -> "skipped");
  }

  private Pending launch(ChaosSchedule.Op op) throws InterruptedException, TimeoutException, ExecutionException {
    if (op instanceof ChaosSchedule.Open o) {
      return open(o);
    } else if (op instanceof ChaosSchedule.Io io) {
      Client c = clients.get(io.client() % clients.size());
      if (io.slot() >= c.files.size()) {
        return skipped("client" + c.id, "io slot " + io.slot());
      }
      return io(c, c.files.get(io.slot()), io);
    } else if (op instanceof ChaosSchedule.Close cl) {
      Client c = clients.get(cl.client() % clients.size());
      if (cl.slot() >= c.files.size()) {
        return skipped("client" + c.id, "close slot " + cl.slot());
      }
      Devfs.FileHandle fh = c.files.remove(cl.slot());
      return new Pending(
          "client" + c.id, "close " + fh.name(), this.<Devfs.DevReply>ask(r -> new Devfs.Close(fh, r)), ChaosEngine::errno);
    } else if (op instanceof ChaosSchedule.Unplug u) {
      Map<Integer, List<LunSpec>> p = present.get(u.bus());
      if (p == null || !p.containsKey(u.target())) {
        return skipped("nemesis", "unplug " + u.bus() + ":" + u.target());
      }
      absent.get(u.bus()).put(u.target(), p.remove(u.target()));
      ActorRef<EmuSim.Command> s = stack.sims().get(u.bus());
      return new Pending(
          "nemesis", "unplug " + u.bus() + ":" + u.target(), simAsk(s, r -> new EmuSim.RemoveTarget(u.target(), r)), ChaosEngine::status);
    } else if (op instanceof ChaosSchedule.Replug rp) {
      Map<Integer, List<LunSpec>> a = absent.get(rp.bus());
      if (a == null || !a.containsKey(rp.target())) {
        return skipped("nemesis", "replug " + rp.bus() + ":" + rp.target());
      }
      List<LunSpec> luns = a.remove(rp.target());
      present.get(rp.bus()).put(rp.target(), luns);
      ActorRef<EmuSim.Command> s = stack.sims().get(rp.bus());
      return new Pending(
          "nemesis", "replug " + rp.bus() + ":" + rp.target(), simAsk(s, r -> new EmuSim.AddTarget(rp.target(), luns, r)), ChaosEngine::status);
    } else if (op instanceof ChaosSchedule.Rescan rs) {
      if (rs.bus() >= stack.sims().size() && (net == null || rs.bus() != net.pathId)) {
        return skipped("nemesis", "rescan " + rs.bus());
      }
      CompletableFuture<Ccb.Completed> f =
          stack
              .action(
                  r -> new Ccb.ScanBus(new Ccb.Header(nextCcbId++, CamPath.bus(rs.bus()), CamPriority.NORMAL, 0, 0, 0, r)),
                  settings.opTimeout())
              .toCompletableFuture();
      return new Pending("nemesis", "rescan " + rs.bus(), f, r -> String.valueOf(((Ccb.Completed) r).status()));
    } else if (op instanceof ChaosSchedule.Reset rs) {
      if (rs.bus() >= stack.sims().size()) {
        return skipped("nemesis", "reset " + rs.bus());
      }
      return new Pending("nemesis", "reset " + rs.bus(), simAsk(stack.sims().get(rs.bus()), EmuSim.ResetBus::new), ChaosEngine::status);
    } else if (op instanceof ChaosSchedule.Acquire aq) {
      return acquireAttempt(aq);
    } else if (op instanceof ChaosSchedule.NetDrop || op instanceof ChaosSchedule.NetDown
        || op instanceof ChaosSchedule.NetUp || op instanceof ChaosSchedule.LunPull
        || op instanceof ChaosSchedule.LunPlug) {
      return launchNet(op);
    }
    throw new IllegalArgumentException("unknown operation " + op);
  }

  private Pending open(ChaosSchedule.Open o) {
    Client c = clients.get(o.client() % clients.size());
    String name = o.name();
    if (name.equals("-")) {
      return skipped("client" + c.id, "open -");
    }
    return new Pending(
        "client" + c.id,
        "open " + name,
        this.<Devfs.OpenResult>ask(r -> new Devfs.Open(name, Devfs.FREAD | Devfs.FWRITE, r)),
        r -> {
          Devfs.OpenResult or = (Devfs.OpenResult) r;
          if (or.ok()) {
            c.files.add(or.file());
          }
          return String.valueOf(or.errno());
        });
  }

  private Pending io(Client c, Devfs.FileHandle fh, ChaosSchedule.Io io) {
    String who = "client" + c.id;
    String driver = driverOf(fh.name());
    int roll = io.roll();
    long off = 512L * io.block();
    Devfs.IoctlCmd cmd;
    String what;
    if (driver.equals("da")) {
      if (roll < 45) {
        return new Pending(who, "read " + fh.name() + " @" + off, this.<Devfs.DevReply>ask(r -> new Devfs.Read(fh, off, 4096, r)), ChaosEngine::errno);
      } else if (roll < 85) {
        byte[] data = new byte[4096];
        new Random(io.data()).nextBytes(data);
        ByteString bs = ByteString.fromArray(data);
        return new Pending(who, "write " + fh.name() + " @" + off, this.<Devfs.DevReply>ask(r -> new Devfs.Write(fh, off, bs, r)), ChaosEngine::errno);
      } else if (roll < 93) {
        cmd = new DaPeriph.Flush();
        what = "flush";
      } else {
        cmd = new DaPeriph.Delete(off, 4096);
        what = "delete @" + off;
      }
    } else if (driver.equals("ses")) {
      if (roll < 50) {
        cmd = new SesPeriph.GetElementStatus(io.element());
        what = "get element " + io.element();
      } else if (roll < 80) {
        cmd = new SesPeriph.GetEnclosureStatus();
        what = "get enclosure status";
      } else {
        cmd = new SesPeriph.SetElementStatus(io.element(), io.flag(), false);
        what = "set element " + io.element() + " ident " + io.flag();
      }
    } else if (driver.equals("sa")) {
      if (roll < 40) {
        cmd = new org.camstack.stack.scsi.sa.SaPeriph.MtGet();
        what = "mt status";
      } else if (roll < 70) {
        cmd = new org.camstack.stack.scsi.sa.SaPeriph.MtOp(org.camstack.stack.scsi.sa.SaPeriph.Op.REWIND, 1);
        what = "mt rewind";
      } else {
        cmd = new org.camstack.stack.scsi.sa.SaPeriph.ReadBlock(512);
        what = "read block";
      }
    } else if (driver.equals("ch")) {
      if (roll < 60) {
        cmd = new org.camstack.stack.scsi.ch.ChPeriph.GetStatus(null);
        what = "chio status";
      } else {
        cmd = new org.camstack.stack.scsi.ch.ChPeriph.GetParams();
        what = "chio params";
      }
    } else {
      Ccb.ScsiIo tur =
          new Ccb.ScsiIo(
              new Ccb.Header(1, CamPath.XPT, CamPriority.NORMAL, CcbFlags.DIR_NONE, 0, 0, system.ignoreRef()),
              Cdbs.testUnitReady(),
              ByteString.emptyByteString(),
              0);
      cmd = new PassPeriph.CamIoCommand(tur);
      what = "TEST UNIT READY";
    }
    Devfs.IoctlCmd command = cmd;
    return new Pending(
        who, "ioctl " + fh.name() + " " + what, this.<Devfs.DevReply>ask(r -> new Devfs.Ioctl(fh, command, r)), ChaosEngine::errno);
  }

  private static String errno(Object r) {
    return r instanceof Devfs.DevReply d ? String.valueOf(d.errno()) : String.valueOf(r);
  }

  private static String status(Object r) {
    return r instanceof StatusReply<?> s ? (s.isSuccess() ? "ok" : "error: " + s.getError().getMessage()) : "ok";
  }

  /** Acquire one of a driver's periphs (by its generation-tagged handle), release at once if granted. */
  private Pending acquireAttempt(ChaosSchedule.Acquire aq)
      throws InterruptedException, TimeoutException, ExecutionException {
    ActorRef<PeriphDriver.Command> driver = stack.drivers().get(aq.driver());
    if (driver == null) {
      return skipped("nemesis", "acquire " + aq.driver());
    }
    PeriphDriver.Units units = askBlocking(driver, PeriphDriver.ListUnits::new);
    if (units == null || units.units().isEmpty()) {
      return skipped("nemesis", "acquire " + aq.driver() + "?");
    }
    PeriphDriver.UnitInfo u = units.units().get(aq.roll() % units.units().size());
    CompletableFuture<String> outcome = new CompletableFuture<>();
    system.tell(new SpawnProtocol.Spawn<>(acquirer(u.periph(), outcome), "", Props.empty(), system.ignoreRef()));
    return new Pending("nemesis", "acquire " + aq.driver() + u.unit() + "#" + u.generation(), outcome, String::valueOf);
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

  /**
   * Asks devfs; the answer (of type R) is handed on as an Object for {@link Pending}. No {@code
   * thenApply} on the ask's stage: Scala's converter runs even the non-async variants on the
   * common pool, off the deterministic thread.
   */
  @SuppressWarnings("unchecked")
  private <R> CompletableFuture<Object> ask(Function<ActorRef<R>, Devfs.Command> build) {
    CompletionStage<R> s = AskPattern.ask(stack.devfs(), build::apply, settings.opTimeout(), system.scheduler());
    return (CompletableFuture<Object>) (CompletableFuture<?>) s.toCompletableFuture();
  }

  private CompletableFuture<StatusReply<Done>> simAsk(
      ActorRef<EmuSim.Command> s, Function<ActorRef<StatusReply<Done>>, EmuSim.Command> build) {
    CompletionStage<StatusReply<Done>> st = AskPattern.ask(s, build::apply, settings.opTimeout(), system.scheduler());
    return st.toCompletableFuture();
  }

  private <T, R> R askBlocking(ActorRef<T> to, Function<ActorRef<R>, T> build) throws InterruptedException {
    try {
      CompletionStage<R> s = AskPattern.ask(to, build::apply, settings.opTimeout(), system.scheduler());
      return await(s.toCompletableFuture(), settings.opTimeout());
    } catch (ExecutionException | TimeoutException e) {
      checker.report(violation(ViolationKind.CLIENT_REPLY, "no answer to a query: " + sanitize(String.valueOf(e)), List.of()));
      return null;
    }
  }

  private List<Devfs.NodeInfo> nodes() throws InterruptedException {
    Devfs.NodeList l = askBlocking(stack.devfs(), Devfs.ListNodes::new);
    return l == null ? List.of() : l.nodes();
  }

  /** Devfs nodes and every driver's units, as text (hashed at the end of the cycles). */
  private String finalState() throws InterruptedException {
    StringBuilder sb = new StringBuilder();
    for (Devfs.NodeInfo n : nodes()) {
      sb.append(n.name()).append(' ').append(n.state()).append(' ').append(n.owner()).append(';');
    }
    for (Map.Entry<String, ActorRef<PeriphDriver.Command>> d : stack.drivers().entrySet()) {
      PeriphDriver.Units u = askBlocking(d.getValue(), PeriphDriver.ListUnits::new);
      if (u != null) {
        for (PeriphDriver.UnitInfo ui : u.units()) {
          sb.append(d.getKey()).append(ui.unit()).append('#').append(ui.generation()).append(' ').append(ui.path())
              .append(ui.invalid() ? " invalid" : "").append(';');
        }
      }
    }
    return sb.toString();
  }

  // ---------------------------------------------------------------------------------------------
  // Settling and teardown

  /**
   * Waits until no periph is invalid and no node waits for its destroy (fixed mode: everything
   * that was lost is freed). With {@code empty}, until no periph and no node is left at all.
   * Reports what is stuck when it does not happen in time (virtual time in deterministic mode).
   */
  private void settle(Duration timeout, boolean empty) throws InterruptedException {
    long deadline = clockNanos() + timeout.toNanos();
    String stuck = "";
    while (clockNanos() < deadline) {
      stuck = stuck(empty);
      if (stuck.isEmpty()) {
        return;
      }
      if (sim != null && sim.quiet(timeout)) {
        break; // nothing will change in time
      }
      pause(Duration.ofMillis(10));
    }
    ViolationKind kind = empty ? ViolationKind.LEFT_BEHIND : ViolationKind.REF_LEAK;
    checker.report(violation(kind, "not settled after " + timeout + ": " + stuck, List.of()));
  }

  /** What keeps the stack from being settled, "" when nothing. */
  private String stuck(boolean empty) throws InterruptedException {
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

  private String refs(ActorRef<Periph.Command> p) throws InterruptedException {
    try {
      CompletionStage<Periph.Refs> s = AskPattern.ask(p, Periph.DumpRefs::new, Duration.ofMillis(200), system.scheduler());
      Periph.Refs r = await(s.toCompletableFuture(), Duration.ofMillis(300));
      return " holding " + r.held();
    } catch (ExecutionException | TimeoutException e) {
      return "";
    }
  }

  /** Close every file, pull every target, and check that nothing is left behind. */
  private void teardown() throws InterruptedException {
    if (net != null) {
      for (Client c : clients) {
        for (Devfs.FileHandle fh : c.files) {
          try {
            await(this.<Devfs.DevReply>ask(r -> new Devfs.Close(fh, r)), settings.opTimeout());
          } catch (ExecutionException | TimeoutException e) {
            checker.report(violation(ViolationKind.CLIENT_REPLY, "teardown: no answer: " + sanitize(String.valueOf(e)), List.of()));
          }
        }
        c.files.clear();
      }
      stopNet();
    }
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (Client c : clients) {
      for (Devfs.FileHandle fh : c.files) {
        all.add(this.<Devfs.DevReply>ask(r -> new Devfs.Close(fh, r)));
      }
      c.files.clear();
    }
    for (Map.Entry<Integer, Map<Integer, List<LunSpec>>> e : present.entrySet()) {
      ActorRef<EmuSim.Command> s = stack.sims().get(e.getKey());
      for (int t : new ArrayList<>(e.getValue().keySet())) {
        all.add(simAsk(s, r -> new EmuSim.RemoveTarget(t, r)));
      }
      absent.get(e.getKey()).putAll(e.getValue());
      e.getValue().clear();
    }
    for (CompletableFuture<?> f : all) {
      try {
        await(f, settings.opTimeout());
      } catch (ExecutionException | TimeoutException e) {
        checker.report(violation(ViolationKind.CLIENT_REPLY, "teardown: no answer: " + sanitize(String.valueOf(e)), List.of()));
      }
    }
    settle(Duration.ofSeconds(10), true);
    checker.checkQuiescent();
    checker.checkTornDown();
  }
}
