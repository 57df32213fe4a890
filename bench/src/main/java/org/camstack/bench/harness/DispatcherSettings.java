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
 * @param threads fork-join parallelism (min = max)
 * @param throughput messages an actor processes before yielding its thread
 */
public record DispatcherSettings(int threads, int throughput) {

  public DispatcherSettings {
    if (threads < 1 || throughput < 1) {
      throw new IllegalArgumentException("dispatcher threads and throughput must be >= 1");
    }
  }

  /** Sized to the cores, throughput 100. */
  public static DispatcherSettings forCores() {
    return new DispatcherSettings(Runtime.getRuntime().availableProcessors(), 100);
  }

  /** Config overlay for the benchmark system: dispatcher plus quiet logging. */
  public Config toConfig() {
    String hocon = String.format(
        Locale.ROOT,
        "pekko.loglevel = WARNING%n"
            + "pekko.stdout-loglevel = WARNING%n"
            + "pekko.log-dead-letters = off%n"
            + "pekko.log-dead-letters-during-shutdown = off%n"
            + "pekko.actor.default-dispatcher {%n"
            + "  executor = \"fork-join-executor\"%n"
            + "  fork-join-executor { parallelism-min = %d, parallelism-max = %d, parallelism-factor = 1.0 }%n"
            + "  throughput = %d%n"
            + "}%n",
        threads, threads, throughput);
    return ConfigFactory.parseString(hocon);
  }

  /** For the report's configuration block. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("executor", "fork-join-executor");
    m.put("parallelismMin", threads);
    m.put("parallelismMax", threads);
    m.put("throughput", throughput);
    m.put("mailbox", "SingleConsumerOnlyUnboundedMailbox (typed default)");
    return m;
  }

  @Override
  public String toString() {
    return "fj" + threads + "+tp" + throughput;
  }
}
