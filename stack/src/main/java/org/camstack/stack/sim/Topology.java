package org.camstack.stack.sim;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.io.File;
import java.util.ArrayList;
import java.util.List;

/**
 * The emulated hardware: the buses ({@link BusSpec}) under {@code camstack.topology.buses}. The
 * default ships in the stack jar ({@code default-topology.conf}, included by reference.conf).
 */
public record Topology(List<BusSpec> buses) {

  public Topology {
    buses = List.copyOf(buses);
  }

  /**
   * Reads {@code camstack.topology} from a full config.
   *
   * @throws IllegalArgumentException with a one-line message for bad input
   */
  public static Topology fromConfig(Config root) {
    if (!root.hasPath("camstack.topology.buses")) {
      return new Topology(List.of());
    }
    List<? extends Config> list;
    try {
      list = root.getConfigList("camstack.topology.buses");
    } catch (ConfigException e) {
      throw new IllegalArgumentException("camstack.topology.buses: " + e.getMessage(), e);
    }
    List<BusSpec> buses = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      buses.add(BusSpec.fromConfig(list.get(i), i));
    }
    return new Topology(buses);
  }

  /**
   * Reads a topology file: either a full config with {@code camstack.topology}, or just the
   * topology object ({@code buses = [...]}) at the top level.
   *
   * @throws IllegalArgumentException with a one-line message when the file is missing or malformed
   */
  public static Config loadFile(File file) {
    if (!file.isFile()) {
      throw new IllegalArgumentException("topology file not found: " + file);
    }
    Config c;
    try {
      c = ConfigFactory.parseFile(file, ConfigParseOptions.defaults().setAllowMissing(false)).resolve();
    } catch (ConfigException e) {
      throw new IllegalArgumentException("topology file " + file + ": " + e.getMessage(), e);
    }
    if (!c.hasPath("camstack.topology") && c.hasPath("buses")) {
      c = c.atPath("camstack.topology");
    }
    return c;
  }
}
