package org.camstack.stack.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.HashSet;
import java.util.Set;
import org.camstack.stack.sim.Topology;
import org.camstack.stack.target.LunSpec;
import org.junit.jupiter.api.Test;

/** Default WWNs per node: unique within a node, different between nodes, stable, opt-in. */
class NodeWwnsTest {

  @Test
  void withoutSaltTheDefaultsAreTheTopologys() {
    assertEquals(LunSpec.defaultWwn(1, 2, 3), NodeWwns.TOPOLOGY.defaultWwn(1, 2, 3));
    Topology t = Topology.fromConfig(ConfigFactory.load());
    assertSame(t, NodeWwns.TOPOLOGY.apply(t));
    assertSame(NodeWwns.TOPOLOGY, NodeWwns.choose("auto", false, "host-a"));
    assertSame(NodeWwns.TOPOLOGY, NodeWwns.choose("topology", true, "host-a"));
    assertEquals(NodeWwns.forHost("host-a"), NodeWwns.choose("auto", true, "host-a"));
    assertEquals(NodeWwns.forHost("host-a"), NodeWwns.choose("node", false, "host-a"));
    assertThrows(IllegalArgumentException.class, () -> NodeWwns.choose("sometimes", true, "host-a"));
  }

  @Test
  void saltedWwnsAreStableUniqueWithinANodeAndDifferBetweenNodes() {
    NodeWwns a = NodeWwns.forHost("host-0a1b2c3d4e");
    NodeWwns b = NodeWwns.forHost("host-0a1b2c3d4f");
    assertEquals(a, NodeWwns.forHost("host-0a1b2c3d4e"));
    assertNotEquals(a.salt(), b.salt());
    Set<String> seenA = new HashSet<>();
    Set<String> seenB = new HashSet<>();
    for (int bus = 0; bus < 4; bus++) {
      for (int target = 0; target < 16; target++) {
        for (long lun = 0; lun < 8; lun++) {
          String wa = a.defaultWwn(bus, target, lun);
          assertTrue(seenA.add(wa), wa);
          seenB.add(b.defaultWwn(bus, target, lun));
          assertTrue(wa.startsWith("5ca57ac"), wa); // NAA 5, the pseudo OUI kept
          assertEquals(wa, LunSpec.disk(0, 8, 512).withIdentity("S", wa).wwn()); // a valid NAA 5 designator
        }
      }
    }
    seenA.retainAll(seenB);
    assertEquals(Set.of(), seenA);
  }

  @Test
  void applySaltsOnlyTheDefaultWwnsAndTheSaltTravelsInTheConfig() {
    Topology t =
        Topology.fromConfig(
            ConfigFactory.parseString(
                "camstack.topology.buses = [ { name = emusim, targets = [ { id = 3, luns = [ { lun = 0 }, { lun = 1, wwn = \"5000000000000042\" } ] } ] } ]"));
    NodeWwns a = NodeWwns.forHost("host-a");
    Topology s = a.apply(t);
    LunSpec l0 = s.buses().get(0).targets().get(3).get(0);
    LunSpec l1 = s.buses().get(0).targets().get(3).get(1);
    assertEquals(a.defaultWwn(0, 3, 0), l0.wwn());
    assertNotEquals(LunSpec.defaultWwn(0, 3, 0), l0.wwn());
    assertEquals("5000000000000042", l1.wwn());
    assertEquals(t.buses().get(0).targets().get(3).get(0).serial(), l0.serial());
    assertEquals(a, NodeWwns.fromConfig(ConfigFactory.parseMap(java.util.Map.of(NodeWwns.SALT_KEY, a.hex()))));
    assertEquals(NodeWwns.TOPOLOGY, NodeWwns.fromConfig(ConfigFactory.empty()));
  }
}
