package org.camstack.stack.detsim;

import com.typesafe.config.Config;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.dispatch.DispatcherPrerequisites;
import org.apache.pekko.dispatch.ExecutorServiceConfigurator;
import org.apache.pekko.dispatch.ExecutorServiceFactory;

/**
 * A dispatcher executor ({@code executor = "org.camstack.stack.detsim.DetExecutorConfigurator"})
 * whose {@code execute} only hands the task (usually an actor's mailbox) to the system's {@link
 * DetSim}; nothing runs until the driver steps the world. Pekko instantiates it by reflection with
 * the dispatcher's config and prerequisites; the world is found through {@link DetSim#ID_KEY}.
 */
public final class DetExecutorConfigurator extends ExecutorServiceConfigurator {

  private final DetSim sim;

  public DetExecutorConfigurator(Config config, DispatcherPrerequisites prerequisites) {
    super(config, prerequisites);
    this.sim = DetSim.of(prerequisites.settings().config());
  }

  @Override
  public ExecutorServiceFactory createExecutorServiceFactory(String id, ThreadFactory threadFactory) {
    return () -> new Enqueuing(sim);
  }

  /** Enqueues; shutting down only refuses nothing (there is no thread to stop). */
  private static final class Enqueuing extends AbstractExecutorService {
    private final DetSim sim;
    private volatile boolean shutdown;

    Enqueuing(DetSim sim) {
      this.sim = sim;
    }

    @Override
    public void execute(Runnable command) {
      sim.submit(command);
    }

    @Override
    public void shutdown() {
      shutdown = true;
    }

    @Override
    public List<Runnable> shutdownNow() {
      shutdown = true;
      return List.of();
    }

    @Override
    public boolean isShutdown() {
      return shutdown;
    }

    @Override
    public boolean isTerminated() {
      return shutdown;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return true;
    }
  }
}
