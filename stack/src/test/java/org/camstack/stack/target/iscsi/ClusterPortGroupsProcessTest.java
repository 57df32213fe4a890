package org.camstack.stack.target.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.camstack.persistence.journal.JournalConfig;
import org.camstack.stack.durable.DurableJournal;
import org.camstack.stack.node.ClusterProcesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * docs/cluster.md, "ALUA": three node processes on a PostgreSQL journal whose port group table
 * starts empty get the target port groups 1, 2 and 3; every node's membership view, REPORT TARGET
 * PORT GROUPS through every portal and each portal's VPD 83h (its relative target port 2g and its
 * group g) agree; after node 1 is stopped and started again, nothing changed.
 */
@Timeout(value = 480, unit = TimeUnit.SECONDS)
@EnabledIfEnvironmentVariable(named = DurableJournal.PG_URL, matches = "jdbc:postgresql:.*")
class ClusterPortGroupsProcessTest {

  /** Forgets every host's group (the suites share one database): this cluster's are then 1..3. */
  private static void forgetGroups() throws SQLException {
    JournalConfig j = DurableJournal.postgres();
    try (Connection c = DriverManager.getConnection(j.url(), j.user(), j.password()); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS camstack_port_groups (host_id VARCHAR(255) PRIMARY KEY, port_group INTEGER NOT NULL UNIQUE, assigned_at BIGINT NOT NULL)");
      st.execute("DELETE FROM camstack_port_groups");
    }
  }

  /** Member address -> port group as node {@code i} sees the membership. */
  private static Map<String, Integer> groups(ClusterProcesses c, int i) throws IOException, InterruptedException {
    Map<String, Integer> out = new TreeMap<>();
    for (JsonNode m : c.get(i, "/api/cluster/status").get("members")) {
      out.put(m.get("address").asText(), m.get("portGroup").asInt());
    }
    return out;
  }

  /** {relative target port, target port group} from VPD 83h through node {@code i}'s portal. */
  private static List<Integer> vpd83(ClusterProcesses c, int i) throws IOException, InterruptedException {
    try (RawInitiator ini = ClusterFailoverProcessTest.login(c.iscsiPort(i), c.iqn(i), 0x4000 + i)) {
      byte[] d = null;
      for (int t = 0; t < 4 && d == null; t++) {
        d = ini.dataIn(0, HexFormat.of().parseHex("120183010000"), 256);
      }
      assertNotNull(d, "INQUIRY VPD 83h failed through node " + i);
      int rel = -1;
      int tpg = -1;
      int end = 4 + (((d[2] & 0xff) << 8) | (d[3] & 0xff));
      for (int p = 4; p + 4 <= end; p += 4 + (d[p + 3] & 0xff)) {
        int type = d[p + 1] & 0x0f;
        int v = ((d[p + 6] & 0xff) << 8) | (d[p + 7] & 0xff);
        if (type == 4) {
          rel = v;
        } else if (type == 5) {
          tpg = v;
        }
      }
      return List.of(rel, tpg);
    }
  }

  /** Everything the test checks, as one value to compare before and after the restart. */
  private static Map<String, Object> view(ClusterProcesses c) throws IOException, InterruptedException {
    Map<String, Integer> g = groups(c, 0);
    for (int i : c.all()) {
      assertEquals(g, groups(c, i), "node " + i + "'s view of the port groups");
    }
    assertEquals(Set.of(1, 2, 3), new TreeSet<>(g.values()), g::toString);
    Map<Integer, Integer> alua = ClusterFailoverProcessTest.rtpg(c, 0);
    assertEquals(new TreeSet<>(g.values()), alua.keySet(), alua::toString);
    Map<String, Object> out = new TreeMap<>();
    for (int i : c.all()) {
      assertEquals(alua, ClusterFailoverProcessTest.rtpg(c, i), "REPORT TARGET PORT GROUPS through node " + i);
      int mine = g.get(c.address(i));
      assertEquals(List.of(2 * mine, mine), vpd83(c, i), "VPD 83h through node " + i);
      out.put(c.address(i), mine);
    }
    return out;
  }

  @Test
  void groupsAreOneToThreeTheSameEverywhereAndStayAcrossARestart() throws Exception {
    forgetGroups();
    String wwn = DurableJournal.wwn(0xf30);
    try (ClusterProcesses c = ClusterProcesses.start("camstack-tpg", 3, List.of(wwn), false)) {
      Map<String, Object> before = view(c);
      System.out.println("cluster port groups: " + before);
      assertEquals(0, c.stop(1));
      c.awaitMembers(2, 0, 2);
      c.restart(1);
      c.awaitMembers(3, c.all());
      c.probe().awaitAssert(ClusterProcesses.WAIT, java.time.Duration.ofMillis(500), () -> {
        assertEquals(before, view(c), "after node 1's restart");
        return null;
      });
    }
  }
}
