package org.camstack.stack.durable;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.camstack.persistence.journal.JournalConfig;
import org.camstack.persistence.journal.JournalSchema;

/**
 * Real JDBC journals for the durable-device tests: a fresh H2 file database under {@code
 * target/h2}, or PostgreSQL from {@code CAMSTACK_PG_URL} / {@code CAMSTACK_PG_USER} / {@code
 * CAMSTACK_PG_PASSWORD}. Every id (host, WWN) is unique to the run, so a shared database may hold
 * earlier runs.
 */
public final class DurableJournal {
  private DurableJournal() {}

  /** 28 random bits, unique enough per run. */
  public static final long RUN = ThreadLocalRandom.current().nextLong() & 0xfffffffL ^ (System.currentTimeMillis() & 0xfffffffL);

  /** The env var CI sets for the PostgreSQL runs. */
  public static final String PG_URL = "CAMSTACK_PG_URL";

  /** A fresh embedded H2 journal under target/h2. */
  public static JournalConfig freshH2(String name) {
    return JournalConfig.h2(dataDir(name));
  }

  /** A fresh data directory under target/h2 (for a node: its H2 journal lives there). */
  public static Path dataDir(String name) {
    return Path.of("target", "h2", name + "-" + Long.toString(RUN, 36));
  }

  /** PostgreSQL from the environment. */
  public static JournalConfig postgres() {
    return JournalConfig.jdbc(System.getenv(PG_URL), env("CAMSTACK_PG_USER", "camstack"), env("CAMSTACK_PG_PASSWORD", "camstack"));
  }

  private static String env(String name, String dflt) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? dflt : v;
  }

  /** A host id unique to this run. */
  public static String host(String tag) {
    return tag + "-" + Long.toString(RUN, 36);
  }

  /** An NAA 5 WWN unique to this run: {@code 5} + the run + {@code tag} (0..0xffffffff). */
  public static String wwn(long tag) {
    return String.format(Locale.ROOT, "5%07x%08x", RUN, tag & 0xffffffffL);
  }

  /**
   * An ActorSystem on {@code journal} with {@code extra} config over the defaults, the schema
   * created, and coordinated shutdown off on terminate (so {@code terminate()} is a crash).
   */
  public static ActorSystem<Void> system(String name, JournalConfig journal, Config extra) {
    Config base =
        extra.withFallback(
            ConfigFactory.parseString(
                "pekko.coordinated-shutdown.run-by-actor-system-terminate = off\n"
                    + "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off\n"
                    + "pekko.log-dead-letters = off\n"
                    + "pekko.log-dead-letters-during-shutdown = off\n"));
    ActorSystem<Void> sys = ActorSystem.create(Behaviors.empty(), name, journal.applyTo(base.withFallback(ConfigFactory.load())));
    try {
      JournalSchema.createIfNotExists(sys).toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      sys.terminate();
      throw new IllegalStateException("schema creation failed on " + journal, e);
    }
    return sys;
  }

  /** Waits for a stage. */
  public static <T> T await(CompletionStage<T> s) {
    return await(s, Duration.ofSeconds(60));
  }

  public static <T> T await(CompletionStage<T> s, Duration d) {
    try {
      return s.toCompletableFuture().get(d.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("did not complete: " + e, e);
    }
  }

  /** Terminates without coordinated shutdown (a crash as far as the journal is concerned). */
  public static void crash(ActorSystem<?> system) {
    system.terminate();
    await(system.getWhenTerminated(), Duration.ofSeconds(60));
  }
}
