package org.camstack.stack.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds a {@code camstack.topology} config for tests, e.g.
 *
 * <pre>{@code
 * Config topo = TopologyBuilder.create()
 *     .bus().maxLun(7)
 *       .disk(0, 0)
 *       .disk(1, 3, "size = 8GiB, block-size = 4096")
 *       .enclosure(6, 0, 8)
 *     .bus()
 *       .disk(0, 0)
 *     .build();
 * }</pre>
 *
 * Bus keys are those of {@code org.camstack.stack.sim.BusSpec}, LUN keys those of {@code
 * org.camstack.stack.target.LunSpec}. Disks default to a 64 MiB sparse RAM store.
 */
public final class TopologyBuilder {

  private final List<BusBuilder> buses = new ArrayList<>();

  private TopologyBuilder() {}

  public static TopologyBuilder create() {
    return new TopologyBuilder();
  }

  /** Starts a new bus (CAM-like defaults: max-target 15, max-lun 7, initiator 7, queue depth 32). */
  public BusBuilder bus() {
    BusBuilder b = new BusBuilder();
    buses.add(b);
    return b;
  }

  /** The topology under {@code camstack.topology}; use it in front of the system config. */
  public Config build() {
    List<Object> list = new ArrayList<>();
    for (BusBuilder b : buses) {
      list.add(b.toMap());
    }
    return ConfigFactory.empty().withValue("camstack.topology.buses", ConfigValueFactory.fromIterable(list));
  }

  /** One bus of the topology. */
  public final class BusBuilder {
    private final Map<String, Object> keys = new LinkedHashMap<>();
    private final TreeMap<Integer, List<Object>> targets = new TreeMap<>();

    private BusBuilder() {
      keys.put("name", "emusim");
      keys.put("max-target", 15);
      keys.put("max-lun", 7);
      keys.put("initiator-id", 7);
      keys.put("queue-depth", 32);
    }

    public BusBuilder name(String name) {
      keys.put("name", name);
      return this;
    }

    public BusBuilder maxTarget(int n) {
      keys.put("max-target", n);
      return this;
    }

    public BusBuilder maxLun(int n) {
      keys.put("max-lun", n);
      return this;
    }

    public BusBuilder initiatorId(int id) {
      keys.put("initiator-id", id);
      return this;
    }

    public BusBuilder queueDepth(int depth) {
      keys.put("queue-depth", depth);
      return this;
    }

    public BusBuilder seqScan(boolean on) {
      keys.put("seq-scan", on);
      return this;
    }

    public BusBuilder scanOnRegister(boolean on) {
      keys.put("scan-on-register", on);
      return this;
    }

    public BusBuilder rescanOnChange(boolean on) {
      keys.put("rescan-on-change", on);
      return this;
    }

    /** An empty target (answers selection, no LUNs). */
    public BusBuilder target(int target) {
      targets.computeIfAbsent(target, t -> new ArrayList<>());
      return this;
    }

    /** A 64 MiB RAM disk. */
    public BusBuilder disk(int target, long lun) {
      return disk(target, lun, "");
    }

    /** A disk with extra LunSpec keys, e.g. {@code "size = 8GiB, block-size = 4096"}. */
    public BusBuilder disk(int target, long lun, String hocon) {
      return lun(target, "lun = " + lun + "\ntype = disk\n" + (hocon.contains("size") || hocon.contains("blocks") ? "" : "size = 64MiB\n") + hocon);
    }

    /** An SES enclosure with {@code slots} array device slots. */
    public BusBuilder enclosure(int target, long lun, int slots) {
      return lun(target, "lun = " + lun + "\ntype = enclosure\nslots = " + slots);
    }

    /** Any LUN as a full LunSpec HOCON snippet (must say {@code lun = N}). */
    public BusBuilder lun(int target, String hocon) {
      targets.computeIfAbsent(target, t -> new ArrayList<>()).add(ConfigFactory.parseString(hocon).root().unwrapped());
      return this;
    }

    /** Starts the next bus. */
    public BusBuilder bus() {
      return TopologyBuilder.this.bus();
    }

    public Config build() {
      return TopologyBuilder.this.build();
    }

    Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>(keys);
      List<Object> ts = new ArrayList<>();
      for (Map.Entry<Integer, List<Object>> e : targets.entrySet()) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("id", e.getKey());
        t.put("luns", e.getValue());
        ts.add(t);
      }
      m.put("targets", ts);
      return m;
    }
  }
}
