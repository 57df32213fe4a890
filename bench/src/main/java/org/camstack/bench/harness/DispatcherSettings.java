package org.camstack.bench.harness;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.camstack.stack.dispatch.Lanes;

/**
 * The benchmark ActorSystem's default dispatcher (perf.md 4.1): a fork-join pool sized to the
 * cores ({@code parallelism-min = max}) and a high {@code throughput}, so an actor drains its
 * mailbox and one LUN's pipeline stays on one thread. Pekko's stock default (8 threads on 2 cores,
 * throughput 5) lost 1.4-5x on this machine kind.
 *
 * <p>Four executors ({@code --dispatcher}): {@code lanes} (also {@code default}: what the node runs,
 * camstack-application.conf) a single-thread lane per core for each LUN's pipeline and the fork-join
 * pool for every other actor ({@link Lanes.Executor}); {@code fork-join} the fork-join pool above for
 * every actor (any thread runs any actor, work stealing moves them; the default before issue 15);
 * {@code affinity} Pekko's {@code affinity-pool-executor} whose queue selector puts a LUN's actors on
 * one thread ({@link Lanes.Selector}); {@code pinned-groups} every actor on a lane, unassigned ones
 * by hash ({@link Lanes.Executor} with {@code unassigned = lanes}).
 *
 * @param threads fork-join parallelism (min = max), or lanes
 * @param throughput messages an actor processes before yielding its thread
 * @param kind {@code lanes}, {@code fork-join}, {@code affinity} or {@code pinned-groups}
 */
public record DispatcherSettings(int threads, int throughput, String kind) {

  /** The executors {@code --dispatcher} accepts. */
  public static final java.util.List<String> KINDS = java.util.List.of("lanes", "fork-join", "affinity", "pinned-groups");

  public DispatcherSettings {
    if ("default".equals(kind)) {
      kind = "lanes"; // what the node runs
    }
    if (threads < 1 || throughput < 1) {
      throw new IllegalArgumentException("dispatcher threads and throughput must be >= 1");
    }
    if (!KINDS.contains(kind)) {
      throw new IllegalArgumentException("--dispatcher must be one of " + String.join(", ", KINDS) + ", not " + kind);
    }
  }

  /** The node's default: lanes for LUN pipelines, the fork-join pool for the rest. */
  public DispatcherSettings(int threads, int throughput) {
    this(threads, throughput, "lanes");
  }

  /** True when LUN pipelines are pinned to lanes ({@link Lanes#assign} matters). */
  public boolean lanes() {
    return !kind.equals("fork-join");
  }

  /** Sized to the cores, throughput 100. */
  public static DispatcherSettings forCores() {
    return new DispatcherSettings(Runtime.getRuntime().availableProcessors(), 100);
  }

  /** Config overlay for the benchmark system: dispatcher plus quiet logging. */
  public Config toConfig() {
    String executor =
        switch (kind) {
          case "affinity" -> String.format(
              Locale.ROOT,
              "  executor = \"affinity-pool-executor\"%n"
                  + "  affinity-pool-executor { parallelism-min = %d, parallelism-max = %d, parallelism-factor = 1.0,%n"
                  + "    task-queue-size = 65536, idle-cpu-level = 5,%n"
                  + "    queue-selector = \"org.camstack.stack.dispatch.Lanes$Selector\" }%n",
              threads, threads);
          case "pinned-groups" -> String.format(
              Locale.ROOT,
              "  executor = \"org.camstack.stack.dispatch.Lanes$Executor\"%n  lanes = %d%n  unassigned = lanes%n", threads);
          case "lanes" -> String.format(
              Locale.ROOT,
              "  executor = \"org.camstack.stack.dispatch.Lanes$Executor\"%n  lanes = %d%n  unassigned = fork-join%n"
                  + "  fork-join-executor { parallelism-min = %d, parallelism-max = %d, parallelism-factor = 1.0 }%n",
              threads, threads, threads);
          default -> String.format(
              Locale.ROOT,
              "  executor = \"fork-join-executor\"%n"
                  + "  fork-join-executor { parallelism-min = %d, parallelism-max = %d, parallelism-factor = 1.0 }%n",
              threads, threads);
        };
    String hocon = String.format(
        Locale.ROOT,
        "pekko.loglevel = WARNING%n"
            + "pekko.stdout-loglevel = WARNING%n"
            + "pekko.log-dead-letters = off%n"
            + "pekko.log-dead-letters-during-shutdown = off%n"
            + "pekko.actor.default-dispatcher {%n"
            + "%s"
            + "  throughput = %d%n"
            + "}%n",
        executor, throughput);
    return ConfigFactory.parseString(hocon);
  }

  /** For the report's configuration block. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("executor", switch (kind) {
      case "affinity" -> "affinity-pool-executor (queue per LUN lane)";
      case "pinned-groups" -> "pinned-groups (one thread per LUN lane, every actor on a lane)";
      case "lanes" -> "lanes (one thread per LUN lane, other actors on a fork-join pool)";
      default -> "fork-join-executor";
    });
    m.put("parallelismMin", threads);
    m.put("parallelismMax", threads);
    m.put("throughput", throughput);
    m.put("mailbox", "SingleConsumerOnlyUnboundedMailbox (typed default)");
    return m;
  }

  @Override
  public String toString() {
    return switch (kind) {
      case "affinity" -> "aff" + threads + "+tp" + throughput;
      case "pinned-groups" -> "pin" + threads + "+tp" + throughput;
      case "lanes" -> "lanes" + threads + "+tp" + throughput;
      default -> "fj" + threads + "+tp" + throughput;
    };
  }
}
