package org.camstack.persistence.journal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.pattern.StatusReply;
import org.camstack.persistence.cli.CliRun;
import org.camstack.persistence.inspect.JournalInspector;

/** Starting nodes on a real JDBC journal, asking entities, and running the inspector in tests. */
public final class JournalTestSupport {
  private JournalTestSupport() {}

  /** Unique per test run, so that ids do not collide in a database that outlives the run. */
  public static final String RUN =
      Long.toString(System.currentTimeMillis(), 36)
          + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36);

  /** A WWN-like device key unique to this run. */
  public static String wwn(String tag) {
    return "naa.5000c5" + RUN + "." + tag;
  }

  /** A host id unique to this run. */
  public static String host(String tag) {
    return tag + "-" + RUN;
  }

  /**
   * A fresh H2 data directory {@code target/h2/<name>-<run>}. Directories of earlier runs of the
   * same name are deleted (the last run's journal stays for {@code journal --db ...}).
   */
  public static Path freshH2Dir(String name) {
    Path root = Path.of("target", "h2");
    try {
      if (Files.isDirectory(root)) {
        try (Stream<Path> old = Files.list(root)) {
          for (Path dir : old.filter(d -> d.getFileName().toString().startsWith(name + "-")).toList()) {
            deleteTree(dir);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return root.resolve(name + "-" + RUN);
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** PostgreSQL from CAMSTACK_PG_URL / CAMSTACK_PG_USER / CAMSTACK_PG_PASSWORD. */
  public static JournalConfig postgresFromEnv() {
    return JournalConfig.jdbc(
        System.getenv("CAMSTACK_PG_URL"),
        envOr("CAMSTACK_PG_USER", "camstack"),
        envOr("CAMSTACK_PG_PASSWORD", "camstack"));
  }

  private static String envOr(String name, String dflt) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? dflt : v;
  }

  /** A node (ActorSystem) on {@code journal}, with the schema created. */
  public static ActorTestKit startNode(String name, JournalConfig journal) {
    Config config = journal.applyTo(ConfigFactory.load());
    ActorTestKit kit = ActorTestKit.create(name, config);
    try {
      JournalSchema.createIfNotExists(kit.system()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      kit.shutdownTestKit();
      throw new IllegalStateException("schema creation failed on " + journal, e);
    }
    return kit;
  }

  /** Asks an entity and waits for a successful reply. */
  public static <M, T> T ask(
      ActorTestKit kit, RecipientRef<M> ref, Function<ActorRef<StatusReply<T>>, M> message) {
    try {
      return AskPattern.askWithStatus(ref, message, Duration.ofSeconds(20), kit.scheduler())
          .toCompletableFuture()
          .get(25, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("ask failed: " + e, e);
    }
  }

  /** Asks an entity a command that replies {@code StatusReply<Done>} and waits for the ack. */
  public static <M> void ack(
      ActorTestKit kit, RecipientRef<M> ref, Function<ActorRef<StatusReply<Done>>, M> message) {
    JournalTestSupport.<M, Done>ask(kit, ref, message);
  }

  /** Runs {@code journal <args>} in-process. */
  public static CliRun inspect(String... args) {
    return CliRun.capture(JournalInspector::run, args);
  }
}
