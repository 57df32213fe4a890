package org.camstack.stack.detsim;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.ActorCell;
import org.apache.pekko.dispatch.Mailbox;
import scala.concurrent.ExecutionContext;

/**
 * A deterministic world for one actor system (cf. FoundationDB's simulation, TigerBeetle's VOPR):
 * every dispatcher's executor only hands its tasks here ({@link DetExecutorConfigurator}), every
 * timer lives on a virtual clock ({@link VirtualScheduler}), and the thread that calls {@link
 * #step()} runs them one at a time. The next task is picked by a seeded generator among the
 * runnable ones in a canonical order (a mailbox by its actor's path, anything else by submission
 * order), so neither hash-ordered fan-out inside Pekko (death-watch notifications, ActorRef uids)
 * nor the host's speed changes the schedule.
 *
 * <p>Time: each turn costs a seeded random slice of virtual time (0 to {@code maxTurnCost}); due
 * timers fire before the next pick; when nothing is runnable the clock jumps to the next timer.
 * So a 5 ms devfs destroy latency overlaps a few hundred turns and a 5 s ask timeout never fires
 * while work is still flowing, as with real threads, but reproducibly.
 *
 * <p>Thread-safety: confined to its owner thread (the one that created it). A task submitted from
 * another thread is accepted (counted in {@link #foreignSubmissions()}) and run on the owner's
 * next step; a run that reports any is not reproducible.
 */
public final class DetSim {

  /** Config key that names the world a system's executors and scheduler belong to. */
  public static final String ID_KEY = "camstack.detsim.id";

  private static final Map<String, DetSim> REGISTRY = new ConcurrentHashMap<>();
  private static final AtomicLong IDS = new AtomicLong();
  private static final boolean TRACE = Boolean.getBoolean("camstack.detsim.trace");

  /** A timer on the virtual clock. */
  static final class Timer {
    long due;
    long seq;
    final Runnable task;
    final ExecutionContext ec;
    final long interval; // 0: once
    boolean cancelled;

    Timer(long due, long seq, Runnable task, ExecutionContext ec, long interval) {
      this.due = due;
      this.seq = seq;
      this.task = task;
      this.ec = ec;
      this.interval = interval;
    }
  }

  private final String id;
  private final Random rnd;
  private final long maxTurnCostNanos;
  private final Thread owner;
  private final TreeMap<String, Runnable> runnable = new TreeMap<>();
  private final TreeSet<Timer> timers =
      new TreeSet<>((a, b) -> a.due != b.due ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq));
  private final Map<Runnable, String> mailboxKeys = new WeakHashMap<>();
  private final Queue<Runnable> foreign = new ConcurrentLinkedQueue<>();
  private final ArrayDeque<Runnable> inline = new ArrayDeque<>();
  private long now;
  private long seq;
  private long steps;
  private long foreignCount;
  private long failures;
  private long traceHash = 0xcbf29ce484222325L;

  /**
   * @param seed the scheduler's seed (picks and turn costs)
   * @param maxTurnCost the most virtual time one turn costs
   */
  public DetSim(long seed, Duration maxTurnCost) {
    this.id = "detsim-" + IDS.incrementAndGet();
    this.rnd = new Random(seed);
    this.maxTurnCostNanos = maxTurnCost.toNanos();
    this.owner = Thread.currentThread();
    REGISTRY.put(id, this);
  }

  /**
   * The configuration that puts an actor system on this world: every dispatcher Pekko and the
   * stack use runs on {@link DetExecutorConfigurator} with throughput 1, the scheduler is {@link
   * VirtualScheduler}, and no logger actor or stream materializer is started (their start-up blocks
   * the creating thread).
   * Put it in front of the system's config.
   */
  public Config config() {
    String exec = "{ executor = \"" + DetExecutorConfigurator.class.getName() + "\", throughput = 1 }\n";
    return ConfigFactory.parseString(
        ID_KEY + " = \"" + id + "\"\n"
            + "pekko.scheduler.implementation = \"" + VirtualScheduler.class.getName() + "\"\n"
            + "pekko.actor.default-dispatcher = " + exec
            + "pekko.actor.internal-dispatcher = " + exec
            + "pekko.actor.default-blocking-io-dispatcher = " + exec
            + "pekko.loggers = [\"org.apache.pekko.event.Logging$StandardOutLogger\"]\n"
            + "pekko.use-slf4j = off\n"
            // no SystemMaterializer: its start-up blocks the creating thread too (no stream runs here)
            + "pekko.library-extensions = [\"org.apache.pekko.serialization.SerializationExtension$\", "
            + "\"org.apache.pekko.actor.typed.internal.adapter.ActorSystemAdapter$LoadTypedExtensions\"]\n"
            + "pekko.loglevel = OFF\n"
            + "pekko.stdout-loglevel = OFF\n"
            + "pekko.log-dead-letters = off\n"
            + "pekko.log-dead-letters-during-shutdown = off\n"
            + "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off\n");
  }

  static DetSim of(Config config) {
    String id = config.getString(ID_KEY);
    DetSim sim = REGISTRY.get(id);
    if (sim == null) {
      throw new IllegalStateException("no deterministic world " + id);
    }
    return sim;
  }

  /** Forgets this world (after its actor system terminated). */
  public void close() {
    REGISTRY.remove(id);
  }

  // ---------------------------------------------------------------------------------------------
  // Submissions (executor and scheduler)

  void submit(Runnable task) {
    if (Thread.currentThread() != owner) {
      if (TRACE) {
        new Throwable("detsim: task from foreign thread " + Thread.currentThread().getName()).printStackTrace();
      }
      foreign.add(task);
      return;
    }
    String key;
    if (task instanceof Mailbox m) {
      key = mailboxKeys.get(m);
      if (key == null) {
        ActorCell cell = m.actor();
        key = cell == null ? "~mailbox" : canonical(cell.self().path().toStringWithoutAddress());
        mailboxKeys.put(m, key);
      }
      if (runnable.containsKey(key)) {
        key = key + "#" + (seq++);
      }
    } else {
      key = String.format("~%016d", seq++);
    }
    runnable.put(key, task);
  }

  /**
   * A path as it sorts and hashes: Pekko numbers its event-stream unsubscriber per JVM
   * ({@code /system/eventStreamUnsubscriber-2} in the second system), so the number is dropped.
   */
  private static String canonical(String path) {
    return path.startsWith("/system/eventStreamUnsubscriber-") ? "/system/eventStreamUnsubscriber" : path;
  }

  Timer schedule(long delayNanos, long intervalNanos, Runnable task, ExecutionContext ec) {
    if (Thread.currentThread() != owner) {
      if (TRACE) {
        new Throwable("detsim: timer from foreign thread " + Thread.currentThread().getName()).printStackTrace();
      }
      throw new IllegalStateException("timer scheduled from a foreign thread " + Thread.currentThread().getName());
    }
    Timer t = new Timer(now + Math.max(0, delayNanos), seq++, task, ec, intervalNanos);
    timers.add(t);
    return t;
  }

  boolean cancel(Timer t) {
    if (t.cancelled) {
      return false;
    }
    t.cancelled = true;
    boolean pending = timers.remove(t);
    return pending || t.interval > 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Driving

  /** Virtual nanoseconds since the world was created. */
  public long nanos() {
    return now;
  }

  /** Turns run so far. */
  public long steps() {
    return steps;
  }

  /** Tasks submitted from other threads (should be 0: then the run is reproducible). */
  public long foreignSubmissions() {
    return foreignCount;
  }

  /** Tasks that threw (Pekko catches actor failures itself; this counts anything else). */
  public long failures() {
    return failures;
  }

  /** A hash of every pick so far (the schedule's fingerprint). */
  public long traceHash() {
    return traceHash;
  }

  /**
   * Nothing runnable and no timer due within {@code horizon}: the world is idle apart from
   * far-off timeouts and periodic tasks.
   */
  public boolean quiet(Duration horizon) {
    return runnable.isEmpty() && foreign.isEmpty() && (timers.isEmpty() || timers.first().due > now + horizon.toNanos());
  }

  /** Anything runnable now or later (a runnable task or a pending timer). */
  public boolean busy() {
    return !runnable.isEmpty() || !timers.isEmpty() || !foreign.isEmpty();
  }

  /**
   * One turn: fires the timers that are due, then runs one runnable task picked by the seeded
   * generator; when nothing is runnable, jumps the clock to the next timer.
   *
   * @return false when there is nothing to do at all (no task, no timer)
   */
  public boolean step() {
    drainForeign();
    fireDue();
    if (runnable.isEmpty()) {
      Timer next = timers.isEmpty() ? null : timers.first();
      if (next == null) {
        return false;
      }
      now = next.due;
      fireDue();
      if (runnable.isEmpty()) {
        return true; // the timer ran inline
      }
    }
    int n = runnable.size();
    int pick = n == 1 ? 0 : rnd.nextInt(n);
    String key = runnable.firstKey();
    if (pick > 0) {
      var it = runnable.keySet().iterator();
      for (int i = 0; i <= pick; i++) {
        key = it.next();
      }
    }
    Runnable task = runnable.remove(key); // (a TreeMap entry is reused on removal: keep the key, not the entry)
    if (TRACE) {
      System.err.println("detsim " + now + " run " + key + " of " + runnable.keySet() + " timers " + timers.size());
    }
    mix(key);
    run(task);
    steps++;
    if (maxTurnCostNanos > 0) {
      now += (long) (rnd.nextDouble() * maxTurnCostNanos);
    }
    return true;
  }

  /**
   * Steps until {@code done} holds, or until {@code timeout} of virtual time passed, or until
   * nothing is left to do.
   *
   * @return whether {@code done} holds
   */
  public boolean runUntil(BooleanSupplier done, Duration timeout) {
    long deadline = now + timeout.toNanos();
    while (!done.getAsBoolean()) {
      if (now >= deadline) {
        return false;
      }
      if (runnable.isEmpty() && foreign.isEmpty()) {
        Timer next = timers.isEmpty() ? null : timers.first();
        if (next == null) {
          return done.getAsBoolean();
        }
        if (next.due > deadline) {
          now = deadline;
          return done.getAsBoolean();
        }
      }
      step();
    }
    if (TRACE) {
      System.err.println("detsim " + now + " condition met");
    }
    return true;
  }

  /** Lets {@code d} of virtual time pass, running whatever is due in it. */
  public void runFor(Duration d) {
    long until = now + d.toNanos();
    runUntil(() -> now >= until, d.plusNanos(1));
    if (now < until) {
      now = until;
    }
  }

  private void fireDue() {
    while (!timers.isEmpty() && timers.first().due <= now) {
      Timer t = timers.pollFirst();
      if (t.interval > 0) {
        t.due += t.interval;
        t.seq = seq++;
        timers.add(t);
      }
      mix("timer");
      t.ec.execute(t.task);
    }
  }

  private void drainForeign() {
    Runnable r;
    while ((r = foreign.poll()) != null) {
      foreignCount++;
      submit(r);
    }
  }

  private void run(Runnable task) {
    try {
      task.run();
    } catch (Throwable t) {
      failures++;
    }
  }

  private void mix(String key) {
    long h = traceHash;
    for (int i = 0; i < key.length(); i++) {
      h ^= key.charAt(i);
      h *= 0x100000001b3L;
    }
    traceHash = h;
  }

  @Override
  public String toString() {
    return id + " at " + now + " ns, " + steps + " steps";
  }
}
