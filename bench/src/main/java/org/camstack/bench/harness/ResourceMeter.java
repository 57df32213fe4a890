package org.camstack.bench.harness;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU, GC and allocation over one measured interval: {@link #start()} before, {@link
 * Snapshot#delta()} after. Process CPU comes from {@code com.sun.management.OperatingSystemMXBean},
 * GC from the {@code GarbageCollectorMXBean}s, allocation from the per-thread counters of the live
 * threads (threads that die inside the interval are not counted; pool threads live on), JIT
 * compilation time from the {@code CompilationMXBean}.
 *
 * <p>Every measured interval's JIT share is remembered ({@link #maxJitCoreShare()}): a figure taken
 * while the compiler was still busy is not a steady-state figure, and the report says so (issue 15:
 * on 2 cores the single C2 thread competes with the work being measured).
 */
public final class ResourceMeter {
  private ResourceMeter() {}

  /**
   * What one interval cost.
   *
   * @param wallNanos elapsed time
   * @param cpuNanos process CPU time (all threads, user + system)
   * @param gcMillis collection time summed over collectors
   * @param gcCount collections
   * @param allocatedBytes bytes allocated by live threads (-1 when the JVM does not say)
   * @param threadCpuNanos CPU time of the live Java threads (the actors' and the load's work;
   *     without the JIT compiler and GC threads, which a busy machine makes dominate at low rates;
   *     -1 when the JVM does not say)
   * @param jitMillis time the JIT compilers spent compiling (summed over compiler threads; -1 when
   *     the JVM does not say)
   */
  public record Usage(
      long wallNanos, long cpuNanos, long gcMillis, long gcCount, long allocatedBytes, long threadCpuNanos, long jitMillis) {

    public Usage(long wallNanos, long cpuNanos, long gcMillis, long gcCount, long allocatedBytes) {
      this(wallNanos, cpuNanos, gcMillis, gcCount, allocatedBytes, -1, -1);
    }

    /** Share of one core the JIT compilers used over the interval (0 when unknown). */
    public double jitCoreShare() {
      return wallNanos <= 0 || jitMillis < 0 ? 0 : jitMillis * 1e6 / wallNanos;
    }

    /** Cores busy on average: CPU time / wall time. */
    public double coresBusy() {
      return wallNanos == 0 ? 0 : (double) cpuNanos / wallNanos;
    }

    /** Share of the machine: cores busy / available cores. */
    public double cpuShare() {
      return coresBusy() / Runtime.getRuntime().availableProcessors();
    }

    /** The same usage with the allocation counted by the load threads themselves. */
    public Usage withAllocated(long bytes) {
      return new Usage(wallNanos, cpuNanos, gcMillis, gcCount, bytes, threadCpuNanos, jitMillis);
    }

    public Map<String, Object> describe() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("cpuCoresBusy", coresBusy());
      m.put("cpuShare", cpuShare());
      m.put("gcMillis", gcMillis);
      m.put("gcCount", gcCount);
      m.put("allocatedBytes", allocatedBytes);
      m.put("jitMillis", jitMillis);
      m.put("jitCoreShare", jitCoreShare());
      return m;
    }
  }

  /** Counters at the start of an interval. */
  public static final class Snapshot {
    private final long wall = System.nanoTime();
    private final long cpu = processCpuNanos();
    private final long gcMillis;
    private final long gcCount;
    private final long alloc = allocatedBytes();
    private final long threadCpu = threadCpuNanos();
    private final long jit = jitMillis();

    private Snapshot() {
      long t = 0;
      long c = 0;
      for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        t += Math.max(0, gc.getCollectionTime());
        c += Math.max(0, gc.getCollectionCount());
      }
      gcMillis = t;
      gcCount = c;
    }

    public Usage delta() {
      Snapshot end = new Snapshot();
      long a = alloc < 0 || end.alloc < 0 ? -1 : Math.max(0, end.alloc - alloc);
      long tc = threadCpu < 0 || end.threadCpu < 0 ? -1 : Math.max(0, end.threadCpu - threadCpu);
      long j = jit < 0 || end.jit < 0 ? -1 : Math.max(0, end.jit - jit);
      Usage u = new Usage(end.wall - wall, end.cpu - cpu, end.gcMillis - gcMillis, end.gcCount - gcCount, a, tc, j);
      maxJitShare.accumulateAndGet(Double.doubleToLongBits(u.jitCoreShare()),
          (x, y) -> Double.longBitsToDouble(x) >= Double.longBitsToDouble(y) ? x : y);
      return u;
    }
  }

  /** Above this share of one core spent compiling in a measured interval, the figure is not steady. */
  public static final double JIT_BUSY = 0.10;

  private static final java.util.concurrent.atomic.AtomicLong maxJitShare = new java.util.concurrent.atomic.AtomicLong(0);

  /** The largest JIT core share of any measured interval ({@link Snapshot#delta()}) in this JVM. */
  public static double maxJitCoreShare() {
    return Double.longBitsToDouble(maxJitShare.get());
  }

  /**
   * The note for a run whose measured intervals overlapped JIT compilation ({@code null} when the
   * compiler stayed under {@link #JIT_BUSY} of a core in every one).
   */
  public static String jitNote() {
    double s = maxJitCoreShare();
    if (s <= JIT_BUSY) {
      return null;
    }
    return String.format(java.util.Locale.ROOT,
        "JIT: the compiler used up to %.0f%% of a core during a measured interval: the code was still being compiled "
            + "(not the steady state; a longer --warmup measures it)", s * 100);
  }

  /** Total JIT compilation time so far in ms, or -1. */
  static long jitMillis() {
    java.lang.management.CompilationMXBean c = ManagementFactory.getCompilationMXBean();
    return c != null && c.isCompilationTimeMonitoringSupported() ? c.getTotalCompilationTime() : -1;
  }

  public static Snapshot start() {
    return new Snapshot();
  }

  static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getProcessCpuTime();
    }
    return -1;
  }

  /** Bytes the calling thread allocated so far, or -1. */
  public static long currentThreadAllocatedBytes() {
    ThreadMXBean t = ManagementFactory.getThreadMXBean();
    if (t instanceof com.sun.management.ThreadMXBean sun && sun.isThreadAllocatedMemorySupported()) {
      return sun.getThreadAllocatedBytes(Thread.currentThread().getId());
    }
    return -1;
  }

  /** CPU time of the live Java threads (threads that die inside the interval are not counted), or -1. */
  static long threadCpuNanos() {
    ThreadMXBean t = ManagementFactory.getThreadMXBean();
    if (!t.isThreadCpuTimeSupported()) {
      return -1;
    }
    if (!t.isThreadCpuTimeEnabled()) {
      t.setThreadCpuTimeEnabled(true);
    }
    long sum = 0;
    for (long id : t.getAllThreadIds()) {
      long c = t.getThreadCpuTime(id);
      if (c > 0) {
        sum += c;
      }
    }
    return sum;
  }

  static long allocatedBytes() {
    ThreadMXBean t = ManagementFactory.getThreadMXBean();
    if (!(t instanceof com.sun.management.ThreadMXBean sun) || !sun.isThreadAllocatedMemorySupported()) {
      return -1;
    }
    if (!sun.isThreadAllocatedMemoryEnabled()) {
      sun.setThreadAllocatedMemoryEnabled(true);
    }
    long sum = 0;
    for (long b : sun.getThreadAllocatedBytes(sun.getAllThreadIds())) {
      if (b > 0) {
        sum += b;
      }
    }
    return sum;
  }
}
