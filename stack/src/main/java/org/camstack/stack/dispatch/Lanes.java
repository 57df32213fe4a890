package org.camstack.stack.dispatch;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.ActorCell;
import org.apache.pekko.actor.InternalActorRef;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.dispatch.DispatcherPrerequisites;
import org.apache.pekko.dispatch.ExecutorServiceConfigurator;
import org.apache.pekko.dispatch.ExecutorServiceFactory;
import org.apache.pekko.dispatch.ForkJoinExecutorConfigurator;
import org.apache.pekko.dispatch.Mailbox;
import org.apache.pekko.dispatch.affinity.QueueSelector;
import org.apache.pekko.dispatch.affinity.QueueSelectorFactory;

/**
 * Lanes: which dispatcher thread runs which actor, so that one LUN's pipeline (its {@code XptDevice},
 * its da periph, a load generator in the periph's place) runs on one thread and different LUNs
 * spread over the cores (issue 15). A lane is one thread with its own queue: a message between two
 * actors of one lane is enqueued on the running thread's own queue and wakes nobody.
 *
 * <p>Who is on a lane: an actor {@link #assign}ed to one, or one that {@link #follow}s another (the
 * da periph follows its device queue; the device queue is given the next lane round-robin when the
 * first follower arrives). Everything else (the XPT, probes, devfs, drivers, the node's management,
 * cluster and journal actors, devices without a da periph) is <em>unassigned</em>.
 *
 * <p>{@link Executor} is the executor of camstack's default dispatcher ({@code
 * camstack-application.conf}): {@code lanes} single-thread lanes (0 = one per core) for the assigned
 * actors, and Pekko's work-stealing fork-join pool ({@code fork-join-executor}) for the unassigned
 * ones ({@code unassigned = fork-join}), so the control plane keeps the pool it always had and a
 * blocking call there cannot stall a LUN's lane. With {@code unassigned = lanes} every actor is on a
 * lane (unassigned ones by their hash): {@code bench --dispatcher pinned-groups}. {@link Selector}
 * is the same choice for Pekko's {@code affinity-pool-executor} ({@code --dispatcher affinity}).
 *
 * <p>The registry is process-wide (executors are made by reflection, one per actor system) and
 * keyed by actor; entries of stopped actors are purged when the registry has doubled since the
 * last purge, so plugging and pulling devices does not grow it.
 */
public final class Lanes {
  private static final Map<org.apache.pekko.actor.ActorRef, Integer> LANE = new ConcurrentHashMap<>();
  private static final AtomicInteger NEXT = new AtomicInteger();
  private static final int MIN_PURGE = 1024;
  private static volatile int purgeAt = MIN_PURGE;

  private Lanes() {}

  /** Runs {@code actor} on lane {@code lane} (modulo the executor's lanes) from its next turn on. */
  public static void assign(ActorRef<?> actor, int lane) {
    LANE.put(Adapter.toClassic(actor), lane);
    purgeIfGrown();
  }

  /**
   * Runs {@code actor} on {@code leader}'s lane; a leader without one is given the next lane
   * round-robin first. Returns the lane. A {@code null} leader (a test stub) assigns nothing.
   */
  public static int follow(ActorRef<?> actor, ActorRef<?> leader) {
    if (leader == null) {
      return -1;
    }
    int lane = LANE.computeIfAbsent(Adapter.toClassic(leader), l -> NEXT.getAndIncrement() & Integer.MAX_VALUE);
    LANE.put(Adapter.toClassic(actor), lane);
    purgeIfGrown();
    return lane;
  }

  /** The lane {@code actor} is assigned to, or -1. */
  public static int laneOf(ActorRef<?> actor) {
    Integer l = LANE.get(Adapter.toClassic(actor));
    return l == null ? -1 : l;
  }

  /** Forgets every assignment (the bench, between runs). */
  public static void clear() {
    LANE.clear();
  }

  /** Assigned actors (tests, the report). */
  public static int assigned() {
    return LANE.size();
  }

  private static void purgeIfGrown() {
    if (LANE.size() >= purgeAt) {
      purgeStopped();
      purgeAt = Math.max(MIN_PURGE, 2 * LANE.size());
    }
  }

  /** Forgets the actors that have stopped. */
  static void purgeStopped() {
    LANE.keySet().removeIf(r -> r instanceof InternalActorRef i && i.isTerminated());
  }

  /** The assigned lane of a task's actor modulo {@code lanes}, or -1 (not an actor's, unassigned). */
  static int assignedLane(Runnable task, int lanes) {
    if (task instanceof Mailbox m) {
      ActorCell cell = m.actor();
      if (cell != null) {
        Integer l = LANE.get(cell.self());
        if (l != null) {
          return Math.floorMod(l, lanes);
        }
      }
    }
    return -1;
  }

  /** The lane of any task: its actor's assigned lane, else by the actor's (or task's) hash. */
  static int anyLane(Runnable task, int lanes) {
    int l = assignedLane(task, lanes);
    if (l >= 0) {
      return l;
    }
    if (task instanceof Mailbox m && m.actor() != null) {
      return Math.floorMod(m.actor().self().hashCode(), lanes);
    }
    return Math.floorMod(System.identityHashCode(task), lanes);
  }

  /** The affinity pool's queue selector (config {@code queue-selector}). */
  public static final class Selector implements QueueSelectorFactory {
    public Selector(Config config) {}

    @Override
    public QueueSelector create() {
      return Lanes::anyLane;
    }
  }

  /**
   * {@code executor = "org.camstack.stack.dispatch.Lanes$Executor"}: {@code lanes} threads (0 or
   * absent: one per core), each with its own queue; {@code unassigned = fork-join} (default) runs
   * unassigned actors on the dispatcher's {@code fork-join-executor}, {@code lanes} on a lane by
   * their hash.
   */
  public static final class Executor extends ExecutorServiceConfigurator {
    private final int lanes;
    private final ExecutorServiceConfigurator pool; // null: unassigned actors on lanes too

    public Executor(Config config, DispatcherPrerequisites prerequisites) {
      super(config, prerequisites);
      int n = config.hasPath("lanes") ? config.getInt("lanes") : 0;
      this.lanes = n > 0 ? n : Runtime.getRuntime().availableProcessors();
      String unassigned = config.hasPath("unassigned") ? config.getString("unassigned") : "fork-join";
      this.pool =
          switch (unassigned) {
            case "fork-join" -> new ForkJoinExecutorConfigurator(config.getConfig("fork-join-executor"), prerequisites);
            case "lanes" -> null;
            default -> throw new IllegalArgumentException(
                "lanes executor: unassigned must be fork-join or lanes, not " + unassigned);
          };
    }

    @Override
    public ExecutorServiceFactory createExecutorServiceFactory(String id, ThreadFactory threadFactory) {
      ExecutorServiceFactory shared = pool == null ? null : pool.createExecutorServiceFactory(id, threadFactory);
      return () -> new LaneExecutor(lanes, threadFactory, shared == null ? null : shared.createExecutorService());
    }
  }

  /** One {@link Lane} per lane, and the shared pool for unassigned actors. */
  static final class LaneExecutor extends AbstractExecutorService {
    private final Lane[] lanes;
    private final ExecutorService shared; // null: everything on lanes
    private final AtomicBoolean shutdown = new AtomicBoolean();

    LaneExecutor(int n, ThreadFactory threadFactory, ExecutorService shared) {
      this.shared = shared;
      lanes = new Lane[n];
      for (int i = 0; i < n; i++) {
        lanes[i] = new Lane(threadFactory);
      }
    }

    @Override
    public void execute(Runnable task) {
      if (shared == null) {
        lanes[anyLane(task, lanes.length)].execute(task);
        return;
      }
      int l = assignedLane(task, lanes.length);
      if (l >= 0) {
        lanes[l].execute(task);
      } else {
        shared.execute(task);
      }
    }

    private List<ExecutorService> all() {
      List<ExecutorService> all = new ArrayList<>(List.of(lanes));
      if (shared != null) {
        all.add(shared);
      }
      return all;
    }

    @Override
    public void shutdown() {
      shutdown.set(true);
      all().forEach(ExecutorService::shutdown);
    }

    @Override
    public List<Runnable> shutdownNow() {
      shutdown.set(true);
      List<Runnable> left = new ArrayList<>();
      for (ExecutorService e : all()) {
        left.addAll(e.shutdownNow());
      }
      return left;
    }

    @Override
    public boolean isShutdown() {
      return shutdown.get();
    }

    @Override
    public boolean isTerminated() {
      return all().stream().allMatch(ExecutorService::isTerminated);
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
      long until = System.nanoTime() + unit.toNanos(timeout);
      for (ExecutorService e : all()) {
        if (!e.awaitTermination(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * One lane: one thread and a lock-free queue. The thread runs tasks in order; when the queue is
   * empty it spins briefly (a message from another lane often follows at once) and then parks; a
   * task offered from another thread unparks it only when it is parked. A task offered by the lane's
   * own thread (a message between two actors of one LUN) is a queue insert and nothing else.
   */
  static final class Lane extends AbstractExecutorService {
    private static final int SPINS = 64;
    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final ThreadFactory threadFactory;
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile Thread thread;
    private volatile boolean parked;
    private volatile boolean shutdown;
    private volatile boolean terminated;

    Lane(ThreadFactory threadFactory) {
      this.threadFactory = threadFactory;
    }

    @Override
    public void execute(Runnable task) {
      if (shutdown) {
        throw new java.util.concurrent.RejectedExecutionException("lane shut down");
      }
      queue.offer(task);
      if (!started.get() && started.compareAndSet(false, true)) {
        Thread t = threadFactory.newThread(this::loop); // started on first use: an unused lane costs nothing
        thread = t;
        t.start();
        return;
      }
      if (parked) {
        LockSupport.unpark(thread);
      }
    }

    private void loop() {
      try {
        while (true) {
          Runnable task = queue.poll();
          if (task == null) {
            task = idle();
            if (task == null) {
              return; // shut down
            }
          }
          try {
            task.run();
          } catch (Throwable t) {
            Thread self = Thread.currentThread();
            self.getUncaughtExceptionHandler().uncaughtException(self, t);
          }
        }
      } finally {
        terminated = true;
      }
    }

    /** Waits for the next task; null once shut down and drained. */
    private Runnable idle() {
      for (int i = 0; i < SPINS; i++) {
        Thread.onSpinWait();
        Runnable task = queue.poll();
        if (task != null) {
          return task;
        }
      }
      while (true) {
        parked = true; // then look again: an offer either sees parked or is seen by this poll
        Runnable task = queue.poll();
        if (task != null) {
          parked = false;
          return task;
        }
        if (shutdown) {
          parked = false;
          return null;
        }
        LockSupport.park(this);
        parked = false;
      }
    }

    @Override
    public void shutdown() {
      shutdown = true;
      Thread t = thread;
      if (t != null) {
        LockSupport.unpark(t);
      } else {
        terminated = true;
      }
    }

    @Override
    public List<Runnable> shutdownNow() {
      shutdown();
      List<Runnable> left = new ArrayList<>();
      Runnable r;
      while ((r = queue.poll()) != null) {
        left.add(r);
      }
      return left;
    }

    @Override
    public boolean isShutdown() {
      return shutdown;
    }

    @Override
    public boolean isTerminated() {
      return terminated || (shutdown && thread == null);
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
      Thread t = thread;
      if (t != null) {
        t.join(Math.max(1, unit.toMillis(timeout)));
      }
      return isTerminated();
    }
  }
}
