package org.camstack.stack.cluster;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.camstack.stack.sim.BusSpec;
import org.camstack.stack.sim.Topology;
import org.camstack.stack.target.LunSpec;

/**
 * The default WWNs of one node. A device's journal entity is keyed by its WWN, so nodes that share
 * a journal must not derive the same default WWN from the same bus/target/LUN: their devices
 * would share one history. With a salt, the 36-bit vendor-specific identifier of {@link
 * LunSpec#defaultWwn} is XORed with a value derived from the node's host id: still unique within
 * the node (XOR with a constant is a bijection), stable across restarts of the node (the host id
 * is kept in its data directory), and different between nodes. Salt 0 ({@link #TOPOLOGY}) leaves
 * the defaults as they are: a single node on its own journal keeps the WWNs it always had.
 *
 * <p>A WWN written in the topology file is never changed (a configured WWN equal to the default
 * one of its place counts as a default).
 *
 * @param salt the 36-bit value XORed into default WWNs; 0 = none
 */
public record NodeWwns(long salt) {
  private static final long MASK = (1L << 36) - 1;

  /** No salt: the topology's defaults. */
  public static final NodeWwns TOPOLOGY = new NodeWwns(0);

  /** Config key holding the salt as hex for the parts of the stack that make LUNs at runtime. */
  public static final String SALT_KEY = "camstack.cluster.wwn-salt";

  public NodeWwns {
    if ((salt & ~MASK) != 0) {
      throw new IllegalArgumentException("wwn salt " + Long.toHexString(salt) + " wider than 36 bits");
    }
  }

  /** A non-zero salt from a node's host id (FNV-1a 64, folded to 36 bits). */
  public static NodeWwns forHost(String hostId) {
    long h = 0xcbf29ce484222325L;
    for (byte b : hostId.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    long s = (h ^ (h >>> 36)) & MASK;
    return new NodeWwns(s == 0 ? 1 : s);
  }

  /**
   * The node's WWNs: {@code mode} {@code auto} salts when the journal is shared (PostgreSQL), {@code
   * node} always, {@code topology} never.
   */
  public static NodeWwns choose(String mode, boolean sharedJournal, String hostId) {
    switch (mode.toLowerCase(Locale.ROOT)) {
      case "auto":
        return sharedJournal ? forHost(hostId) : TOPOLOGY;
      case "node":
        return forHost(hostId);
      case "topology":
        return TOPOLOGY;
      default:
        throw new IllegalArgumentException("bad camstack.cluster.default-wwns '" + mode + "': expected auto | node | topology");
    }
  }

  /** Reads the salt {@link #SALT_KEY} from a config (absent or empty = none). */
  public static NodeWwns fromConfig(com.typesafe.config.Config config) {
    if (!config.hasPath(SALT_KEY) || config.getString(SALT_KEY).isBlank()) {
      return TOPOLOGY;
    }
    return new NodeWwns(Long.parseLong(config.getString(SALT_KEY), 16));
  }

  /** The salt as hex, for {@link #SALT_KEY}. */
  public String hex() {
    return Long.toHexString(salt);
  }

  /** This node's default WWN of {@code bus}/{@code target}/{@code lun}. */
  public String defaultWwn(int bus, int target, long lun) {
    String w = LunSpec.defaultWwn(bus, target, lun);
    if (salt == 0) {
      return w;
    }
    long v = Long.parseUnsignedLong(w, 16);
    return String.format(Locale.ROOT, "%016x", v ^ salt);
  }

  /** {@code topology} with every default WWN replaced by this node's. */
  public Topology apply(Topology topology) {
    if (salt == 0) {
      return topology;
    }
    List<BusSpec> buses = new ArrayList<>();
    for (int i = 0; i < topology.buses().size(); i++) {
      BusSpec b = topology.buses().get(i);
      Map<Integer, List<LunSpec>> targets = new TreeMap<>();
      for (Map.Entry<Integer, List<LunSpec>> t : b.targets().entrySet()) {
        List<LunSpec> luns = new ArrayList<>();
        for (LunSpec l : t.getValue()) {
          boolean dflt = l.wwn().equals(LunSpec.defaultWwn(i, t.getKey(), l.lun()));
          luns.add(dflt ? l.withIdentity(l.serial(), defaultWwn(i, t.getKey(), l.lun())) : l);
        }
        targets.put(t.getKey(), luns);
      }
      buses.add(b.withTargets(targets));
    }
    return new Topology(buses);
  }
}
