package org.camstack.stack.cluster;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;
import org.camstack.persistence.journal.JournalConfig;

/**
 * Which journal a cluster member writes to, carried as one of its Pekko Cluster roles so every
 * member can check, before it serves anything, that all members share one journal: an embedded
 * H2 journal belongs to one process and cannot be shared, and two PostgreSQL journals would give
 * the same device (the same WWN) two histories.
 *
 * <p>The role is {@code journal=h2} or {@code journal=postgres:<id>}, where the id is a hash of the
 * normalized URL (host, port, database) so that no address or password shows in the gossip.
 */
public final class JournalRole {
  /** Prefix of the role. */
  public static final String PREFIX = "journal=";

  private JournalRole() {}

  /** The role of a node on {@code journal}. */
  public static String of(JournalConfig journal) {
    if (journal.kind() == JournalConfig.Kind.H2) {
      return PREFIX + "h2";
    }
    String u = journal.url().trim().toLowerCase(Locale.ROOT);
    int q = u.indexOf('?');
    if (q >= 0) {
      u = u.substring(0, q);
    }
    return PREFIX + "postgres:" + Integer.toHexString(u.hashCode());
  }

  /** The journal role among a member's roles, or empty (a member that is not a camstack node). */
  public static Optional<String> in(Collection<String> roles) {
    return roles.stream().filter(r -> r.startsWith(PREFIX)).findFirst();
  }

  /**
   * Why a node with role {@code self} must not be in one cluster with a member with role {@code
   * other}, or empty when they may share it.
   */
  public static Optional<String> conflict(String self, String other, String otherAddress) {
    if (self.equals(PREFIX + "h2")) {
      return Optional.of(
          "this node's journal is the embedded H2 database, which no other member can share: a node"
              + " with it cannot join a cluster with other members (" + otherAddress + "); give every member"
              + " the same --journal jdbc:postgresql://...");
    }
    if (other.equals(PREFIX + "h2")) {
      return Optional.of(
          "member " + otherAddress + " runs on its embedded H2 journal, which this node cannot share;"
              + " give every member the same --journal jdbc:postgresql://...");
    }
    if (!self.equals(other)) {
      return Optional.of(
          "member " + otherAddress + " writes to another journal than this node: every member must use the same"
              + " --journal jdbc:postgresql://... (the same device would otherwise have two histories)");
    }
    return Optional.empty();
  }
}
