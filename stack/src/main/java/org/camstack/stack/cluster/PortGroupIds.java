package org.camstack.stack.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.Member;
import org.camstack.persistence.journal.JournalConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ALUA target port group id of each cluster member (docs/cluster.md, "ALUA"): a small integer
 * (1, 2, 3, ...) that every member's view agrees on, that stays the same across the node's
 * restarts (initiators' multipath tools cache group ids) and that no two members hold at once.
 *
 * <p>A node's id is {@code camstack.cluster.port-group} when set (1..32767), else assigned once per
 * host id ({@code camstack.node.host-id} / {@code DATA/host-id}) in the shared PostgreSQL
 * database: the table {@code camstack_port_groups (host_id primary key, port_group unique)} gives
 * the host its row, or the smallest id no host holds (the unique constraint settles two nodes
 * starting at once: the loser picks again). The node learns it before it joins and carries it as
 * one of its cluster roles ({@code tpg=N}), so every member reads the same id off the membership,
 * with no protocol of its own. A configured id is recorded too (taking it from a host that held
 * it). On the embedded H2 journal a node is alone: its id is the configured one, else 1.
 */
public final class PortGroupIds {
  private static final Logger LOG = LoggerFactory.getLogger(PortGroupIds.class);

  /** Prefix of the role carrying a member's group id. */
  public static final String ROLE_PREFIX = "tpg=";
  /** The largest id handed out (relative target ports 2g-1 and 2g stay within 16 bits). */
  public static final int MAX = 32767;
  static final String TABLE = "camstack_port_groups";

  private PortGroupIds() {}

  /**
   * This node's group id: {@code configured} (1..{@value #MAX}), or for 0 the one recorded for
   * {@code hostId} in {@code journal}'s database (assigned on first use).
   *
   * @return the id, or 0 when the database cannot be reached or written (logged): the node then
   *     carries no role and its members see the hashed id ({@link #of}); a node whose journal is
   *     unreachable fails later anyway, and one refused by its peers (another journal) says so first
   * @throws IllegalArgumentException one line: {@code configured} out of range
   */
  public static int assign(JournalConfig journal, String hostId, int configured) {
    if (configured < 0 || configured > MAX) {
      throw new IllegalArgumentException("camstack.cluster.port-group = " + configured + ": not in 0 (automatic) .. " + MAX);
    }
    if (journal.kind() == JournalConfig.Kind.H2) {
      return configured > 0 ? configured : 1;
    }
    Properties props = new Properties();
    props.setProperty("user", journal.user() == null ? "" : journal.user());
    props.setProperty("password", journal.password() == null ? "" : journal.password());
    props.setProperty("connectTimeout", "10");
    props.setProperty("ApplicationName", "camstack port group");
    SQLException last = null;
    for (int attempt = 0; attempt < 20; attempt++) {
      try (Connection c = DriverManager.getConnection(journal.url(), props)) {
        c.setAutoCommit(true);
        int g = assign(c, hostId, configured);
        if (g > 0) {
          LOG.info("target port group {} for host [{}]{}", g, hostId, configured > 0 ? " (configured)" : "");
          return g;
        }
      } catch (SQLException e) {
        last = e; // a concurrent CREATE TABLE or an id another node took meanwhile: pick again
        if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
          break; // cannot connect: no point in retrying
        }
      }
    }
    LOG.warn("cannot record the target port group of host [{}] in {}: {}; the members will see a group id hashed from this node's address",
        hostId, journal, last == null ? "no free id in 1.." + MAX : last.getMessage());
    return 0;
  }

  /** One attempt: the id, or 0 when another node took the chosen id meanwhile. */
  static int assign(Connection c, String hostId, int configured) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS " + TABLE
          + " (host_id VARCHAR(255) PRIMARY KEY, port_group INTEGER NOT NULL UNIQUE, assigned_at BIGINT NOT NULL)");
    }
    int recorded = 0;
    try (PreparedStatement q = c.prepareStatement("SELECT port_group FROM " + TABLE + " WHERE host_id = ?")) {
      q.setString(1, hostId);
      try (ResultSet r = q.executeQuery()) {
        if (r.next()) {
          recorded = r.getInt(1);
        }
      }
    }
    if (configured > 0) {
      if (recorded != configured) {
        try (PreparedStatement d = c.prepareStatement("DELETE FROM " + TABLE + " WHERE port_group = ? AND host_id <> ?")) {
          d.setInt(1, configured);
          d.setString(2, hostId);
          d.executeUpdate();
        }
        try (PreparedStatement u = c.prepareStatement("INSERT INTO " + TABLE + " (host_id, port_group, assigned_at) VALUES (?, ?, ?)"
            + " ON CONFLICT (host_id) DO UPDATE SET port_group = EXCLUDED.port_group, assigned_at = EXCLUDED.assigned_at")) {
          u.setString(1, hostId);
          u.setInt(2, configured);
          u.setLong(3, System.currentTimeMillis());
          u.executeUpdate();
        }
      }
      return configured;
    }
    if (recorded > 0) {
      return recorded;
    }
    try (PreparedStatement i = c.prepareStatement("INSERT INTO " + TABLE + " (host_id, port_group, assigned_at)"
        + " SELECT ?, MIN(g), ? FROM generate_series(1, " + MAX + ") g WHERE g NOT IN (SELECT port_group FROM " + TABLE + ")"
        + " ON CONFLICT DO NOTHING")) {
      i.setString(1, hostId);
      i.setLong(2, System.currentTimeMillis());
      i.executeUpdate();
    }
    return 0; // read back by the next attempt
  }

  /** {@code system} (a node's actor system configuration) with the role {@code tpg=group} added (none for 0). */
  public static Config withRole(Config system, int group) {
    List<String> roles = new ArrayList<>(system.getStringList("pekko.cluster.roles"));
    roles.removeIf(r -> r.startsWith(ROLE_PREFIX));
    if (group > 0) {
      roles.add(ROLE_PREFIX + group);
    }
    return system.withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(roles));
  }

  /**
   * A member's group id, from its role; a member without the role (an older node) gets one from
   * a hash of its address (1..{@value #MAX}), the same on every node.
   */
  public static int of(Member m) {
    for (String r : m.getRoles()) {
      if (r.startsWith(ROLE_PREFIX)) {
        try {
          int g = Integer.parseInt(r.substring(ROLE_PREFIX.length()));
          if (g >= 1 && g <= MAX) {
            return g;
          }
        } catch (NumberFormatException e) {
          // fall through to the hash
        }
      }
    }
    return hashed(m.address());
  }

  /** FNV-1a of {@code host:port}, 1..{@value #MAX} (members without a {@code tpg=} role). */
  static int hashed(Address a) {
    String s = a.host().getOrElse(() -> "") + ":" + a.port().getOrElse(() -> 0);
    int h = 0x811c9dc5;
    for (int i = 0; i < s.length(); i++) {
      h ^= s.charAt(i);
      h *= 0x01000193;
    }
    return 1 + Math.floorMod(h, MAX);
  }
}
