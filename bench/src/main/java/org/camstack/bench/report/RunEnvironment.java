package org.camstack.bench.report;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the figures depend on besides the options: JDK, JVM flags, cores, heap, collectors. */
public final class RunEnvironment {
  /** Above this 1-minute load average at the start the machine is not quiet (issue 15). */
  public static final double QUIET_LOAD = 1.5;

  private static volatile double startLoad = Double.NaN;

  private RunEnvironment() {}

  /** Records the 1-minute load average as the command starts; returns it. */
  public static double markStart() {
    startLoad = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    return startLoad;
  }

  /**
   * The warning for a run started on a busy machine ({@code null} when the load at the start was
   * at most {@link #QUIET_LOAD} or unknown): its figures must not be taken as final.
   */
  public static String loadWarning() {
    double l = startLoad;
    if (Double.isNaN(l) || l < 0 || l <= QUIET_LOAD) {
      return null;
    }
    return String.format(java.util.Locale.ROOT,
        "WARNING: 1-minute load average %.2f > %.1f at the start: other work was running, these figures are not trustworthy",
        l, QUIET_LOAD);
  }

  public static Map<String, Object> capture() {
    Map<String, Object> env = new LinkedHashMap<>();
    env.put("timestamp", Instant.now().toString());
    env.put("jdk", System.getProperty("java.version"));
    env.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"));
    env.put("jvmVendor", System.getProperty("java.vm.vendor"));
    env.put("jvmArgs", ManagementFactory.getRuntimeMXBean().getInputArguments());
    env.put("cores", Runtime.getRuntime().availableProcessors());
    env.put("maxHeapBytes", Runtime.getRuntime().maxMemory());
    List<String> gcs = new ArrayList<>();
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      gcs.add(gc.getName());
    }
    env.put("collectors", gcs);
    env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    env.put("loadAverage", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    env.put("loadAverageAtStart", Double.isNaN(startLoad) ? null : startLoad);
    env.put("quietAtStart", loadWarning() == null);
    return env;
  }

  /** One line for the table footer: {@code JDK 17.0.15, 2 cores, heap 6 GiB, G1}. */
  public static String oneLine(Map<String, Object> env) {
    return "JDK " + env.get("jdk") + ", " + env.get("cores") + " cores, max heap "
        + (((Number) env.get("maxHeapBytes")).longValue() >> 20) + " MiB, " + env.get("collectors")
        + ", load " + String.format(java.util.Locale.ROOT, "%.2f", ((Number) env.get("loadAverage")).doubleValue());
  }

  /** Same as {@link #capture()} but with the benchmark ActorSystem's dispatcher settings. */
  public static Map<String, Object> capture(Map<String, Object> dispatcher) {
    Map<String, Object> env = capture();
    env.put("dispatcher", dispatcher);
    return env;
  }
}
