package org.camstack.stack.detsim;

import com.typesafe.config.Config;
import java.io.Closeable;
import java.util.concurrent.ThreadFactory;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.Scheduler;
import org.apache.pekko.event.LoggingAdapter;
import scala.concurrent.ExecutionContext;
import scala.concurrent.duration.FiniteDuration;

/**
 * {@code pekko.scheduler.implementation} on a {@link DetSim}'s virtual clock: {@code
 * scheduleOnce}, periodic tasks, typed timers ({@code Behaviors.withTimers}) and ask timeouts all
 * become timers that fire when the driver's clock reaches them, never on a thread of their own.
 * Pekko instantiates it with (Config, LoggingAdapter, ThreadFactory).
 */
public final class VirtualScheduler implements Scheduler, Closeable {

  private final DetSim sim;

  public VirtualScheduler(Config config, LoggingAdapter log, ThreadFactory threadFactory) {
    this.sim = DetSim.of(config);
  }

  @Override
  public Cancellable scheduleOnce(FiniteDuration delay, Runnable runnable, ExecutionContext executor) {
    return handle(sim.schedule(delay.toNanos(), 0, runnable, executor));
  }

  @Override
  public Cancellable schedule(
      FiniteDuration initialDelay, FiniteDuration interval, Runnable runnable, ExecutionContext executor) {
    return handle(sim.schedule(initialDelay.toNanos(), Math.max(1, interval.toNanos()), runnable, executor));
  }

  @Override
  public double maxFrequency() {
    return 1.0e9;
  }

  @Override
  public void close() {
    // no thread; pending timers are dropped with the world
  }

  private Cancellable handle(DetSim.Timer t) {
    return new Cancellable() {
      @Override
      public boolean cancel() {
        return sim.cancel(t);
      }

      @Override
      public boolean isCancelled() {
        return t.cancelled;
      }
    };
  }
}
