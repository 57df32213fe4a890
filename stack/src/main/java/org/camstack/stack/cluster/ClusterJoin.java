package org.camstack.stack.cluster;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.camstack.persistence.journal.JournalConfig;

/**
 * The check a node makes when it joins a cluster through seeds, before it touches the journal:
 * every other member must write to the same shared journal (see {@link JournalRole}). A node on
 * the embedded H2 journal is refused earlier, by its settings, when it is given a seed; this
 * catches the other cases (a PostgreSQL node seeded by an H2 node, two PostgreSQL databases).
 */
public final class ClusterJoin {
  private ClusterJoin() {}

  /**
   * Waits until this member is Up, then checks the journal role of every other member.
   *
   * @throws IllegalStateException one line: the member that cannot share the journal, or that
   *     the node did not get Up within {@code timeout}
   */
  public static void awaitCompatibleMembers(ActorSystem<?> system, JournalConfig journal, Duration timeout) {
    Cluster cluster = Cluster.get(Adapter.toClassic(system));
    CompletableFuture<Optional<String>> verdict = new CompletableFuture<>();
    String self = JournalRole.of(journal);
    cluster.registerOnMemberUp(() -> verdict.complete(check(cluster, self)));
    Optional<String> conflict;
    try {
      conflict = verdict.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "not Up in the cluster within " + timeout.toSeconds() + "s (are the --seed nodes running? camstack.cluster.join-timeout)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while joining the cluster");
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot join the cluster: " + e.getCause());
    }
    conflict.ifPresent(
        c -> {
          throw new IllegalStateException(c);
        });
  }

  private static Optional<String> check(Cluster cluster, String self) {
    for (Member m : cluster.state().getMembers()) {
      if (m.address().equals(cluster.selfAddress()) || m.status() == MemberStatus.down() || m.status() == MemberStatus.removed()) {
        continue;
      }
      String other = JournalRole.in(m.getRoles()).orElse("");
      Optional<String> c = JournalRole.conflict(self, other, m.address().hostPort());
      if (c.isPresent()) {
        return c;
      }
    }
    return Optional.empty();
  }
}
