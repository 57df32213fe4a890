package org.camstack.bench.harness;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmark ActorSystem's default dispatcher (perf.md 4.1): a fork-join pool sized to the
 * cores ({@code parallelism-min = max}) and a high {@code throughput}, so an actor drains its
 * mailbox and one LUN's pipeline stays on one thread. Pekko's stock default (8 threads on 2 cores,
 * throughput 5) lost 1.4-5x on this machine kind.
 *
 * <p>Three executors ({@code --dispatcher}): {@code default} the fork-join pool above (any thread
 * runs any actor, work stealing moves them); {@code affinity} Pekko's {@code affinity-pool-executor}
 * whose queue selector puts a LUN's actors on one thread ({@link Lanes}); {@code pinned-groups} one
 * single-thread executor per lane (a dispatcher per LUN group, {@link Lanes.PinnedGroups}).
 *
 * @param threads fork-join parallelism (min = max), or lanes
 * @param throughput messages an actor processes before yielding its thread
 * @param kind {@code default}, {@code affinity} or {@code pinned-groups}
 */
public record DispatcherSettings(int threads, int throughput, String kind) {

  /** The executors {@code --dispatcher} accepts. */
  public static final java.util.List<String> KINDS = java.util.List.of("default", "affinity", "pinned-groups");

  public DispatcherSettings {
    if (threads < 1 || throughput < 1) {
      throw new IllegalArgumentException("dispatcher threads and throughput must be >= 1");
    }
    if (!KINDS.contains(kind)) {
      throw new IllegalArgumentException("--dispatcher must be one of " + String.join(", ", KINDS) + ", not " + kind);
    }
  }

  /** The fork-join pool. */
  public DispatcherSettings(int threads, int throughput) {
    this(threads, throughput, "default");
  }

  /** True when LUN pipelines are pinned to lanes ({@link Lanes#assign} matters). */
  public boolean lanes() {
    return !kind.equals("default");
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
                  + "    queue-selector = \"org.camstack.bench.harness.Lanes$Selector\" }%n",
              threads, threads);
          case "pinned-groups" -> String.format(
              Locale.ROOT,
              "  executor = \"org.camstack.bench.harness.Lanes$PinnedGroups\"%n  lanes = %d%n", threads);
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
      case "pinned-groups" -> "pinned-groups (one thread per LUN lane)";
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
      default -> "fj" + threads + "+tp" + throughput;
    };
  }
}
