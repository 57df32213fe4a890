package org.camstack.bench.harness;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Map;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.ActorCell;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.dispatch.DispatcherPrerequisites;
import org.apache.pekko.dispatch.ExecutorServiceConfigurator;
import org.apache.pekko.dispatch.ExecutorServiceFactory;
import org.apache.pekko.dispatch.Mailbox;
import org.apache.pekko.dispatch.affinity.QueueSelector;
import org.apache.pekko.dispatch.affinity.QueueSelectorFactory;

/**
 * Lanes: which dispatcher thread runs which actor, so that one LUN's pipeline (load generator or
 * da periph, its {@code XptDevice}) stays on one thread and different LUNs spread over the cores.
 * The benchmark {@link #assign}s the actors of LUN {@code i} to lane {@code i}; an executor asks
 * {@link #laneOf} for every mailbox it is handed. Two executors use it (issue 15):
 *
 * <ul>
 *   <li>{@code affinity}: Pekko's {@code affinity-pool-executor} (one spinning/backing-off thread
 *       per queue) with {@link Selector} as its {@code queue-selector};
 *   <li>{@code pinned-groups}: {@link PinnedGroups}, one single-thread executor per lane (a
 *       dispatcher per LUN group; an idle lane parks its thread).
 * </ul>
 *
 * <p>Actors nobody assigned (the XPT, devfs, the driver, the host) go to a lane by their identity
 * hash and stay there. The registry is process-wide (executors are made by reflection); the bench
 * {@link #clear}s it when a stack shuts down.
 */
public final class Lanes {
  private static final Map<org.apache.pekko.actor.ActorRef, Integer> LANE = new ConcurrentHashMap<>();

  private Lanes() {}

  /** Runs {@code actor} on lane {@code lane} (modulo the executor's lanes) from its next turn on. */
  public static void assign(ActorRef<?> actor, int lane) {
    LANE.put(Adapter.toClassic(actor), lane);
  }

  /** Forgets every assignment. */
  public static void clear() {
    LANE.clear();
  }

  /** Assigned actors (tests, the report). */
  public static int assigned() {
    return LANE.size();
  }

  /** The lane for a task handed to an executor of {@code lanes} lanes. */
  static int laneOf(Runnable task, int lanes) {
    if (task instanceof Mailbox m) {
      ActorCell cell = m.actor();
      if (cell != null) {
        org.apache.pekko.actor.ActorRef self = cell.self();
        Integer l = LANE.get(self);
        if (l != null) {
          return Math.floorMod(l, lanes);
        }
        return Math.floorMod(self.hashCode(), lanes);
      }
    }
    return Math.floorMod(System.identityHashCode(task), lanes);
  }

  /** The affinity pool's queue selector (config {@code queue-selector}). */
  public static final class Selector implements QueueSelectorFactory {
    public Selector(Config config) {}

    @Override
    public QueueSelector create() {
      return Lanes::laneOf;
    }
  }

  /**
   * {@code executor = "org.camstack.bench.harness.Lanes$PinnedGroups"}: {@code lanes} threads, each
   * with its own queue; a mailbox runs on its actor's lane.
   */
  public static final class PinnedGroups extends ExecutorServiceConfigurator {
    private final int lanes;

    public PinnedGroups(Config config, DispatcherPrerequisites prerequisites) {
      super(config, prerequisites);
      this.lanes = config.hasPath("lanes") ? config.getInt("lanes") : Runtime.getRuntime().availableProcessors();
    }

    @Override
    public ExecutorServiceFactory createExecutorServiceFactory(String id, ThreadFactory threadFactory) {
      return () -> new LaneExecutor(lanes, threadFactory);
    }
  }

  /** One single-thread executor per lane. */
  static final class LaneExecutor extends AbstractExecutorService {
    private final ThreadPoolExecutor[] lanes;
    private final AtomicInteger shutdown = new AtomicInteger();

    LaneExecutor(int n, ThreadFactory threadFactory) {
      lanes = new ThreadPoolExecutor[n];
      for (int i = 0; i < n; i++) {
        lanes[i] = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), threadFactory);
        lanes[i].prestartAllCoreThreads();
      }
    }

    @Override
    public void execute(Runnable task) {
      lanes[laneOf(task, lanes.length)].execute(task);
    }

    @Override
    public void shutdown() {
      shutdown.set(1);
      for (ExecutorService e : lanes) {
        e.shutdown();
      }
    }

    @Override
    public List<Runnable> shutdownNow() {
      shutdown.set(1);
      List<Runnable> left = new java.util.ArrayList<>();
      for (ExecutorService e : lanes) {
        left.addAll(e.shutdownNow());
      }
      return left;
    }

    @Override
    public boolean isShutdown() {
      return shutdown.get() == 1;
    }

    @Override
    public boolean isTerminated() {
      for (ExecutorService e : lanes) {
        if (!e.isTerminated()) {
          return false;
        }
      }
      return true;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
      long until = System.nanoTime() + unit.toNanos(timeout);
      for (ExecutorService e : lanes) {
        if (!e.awaitTermination(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          return false;
        }
      }
      return true;
    }
  }
}
