package org.camstack.bench.io;

import java.util.LinkedHashMap;
import java.util.Map;
import org.camstack.bench.harness.ResourceMeter;

/**
 * The measured phase of one stack under one workload.
 *
 * @param stack {@code actor}, {@code direct-1t} or {@code kernel-lock}
 * @param how one line on how the load was driven (for the report)
 * @param tally completions, bytes, errors and latencies merged over all load sources
 * @param usage CPU, GC and allocation over the measured phase
 * @param threads threads that carried the load (dispatcher threads or caller threads)
 * @param allIops with {@code --repeat}: the IOPS of every run this median was chosen from, else null
 */
public record Measurement(
    String stack, String how, Tally tally, ResourceMeter.Usage usage, int threads, double[] allIops, double threadsPerLun, long threadHops) {

  public Measurement(String stack, String how, Tally tally, ResourceMeter.Usage usage, int threads) {
    this(stack, how, tally, usage, threads, null, -1, -1);
  }

  /** An actor run with its {@link ThreadTrace}: threads per LUN and thread changes in the phase. */
  public Measurement withTrace(double threadsPerLun, long threadHops) {
    return new Measurement(stack, how, tally, usage, threads, allIops, threadsPerLun, threadHops);
  }

  /** This run, marked as the median of runs whose IOPS were {@code all}. */
  public Measurement withSpread(double[] all) {
    return new Measurement(stack, how, tally, usage, threads, all.clone(), threadsPerLun, threadHops);
  }

  public double seconds() {
    long span = tally.endNanos - tally.startNanos;
    return span > 0 ? span / 1e9 : usage.wallNanos() / 1e9;
  }

  public double iops() {
    return tally.completed / seconds();
  }

  public double megabytesPerSecond() {
    return tally.bytes / seconds() / 1e6;
  }

  public double micros(double percentile) {
    return tally.latency.getTotalCount() == 0 ? Double.NaN : tally.latency.getValueAtPercentile(percentile) / 1e3;
  }

  public double maxMicros() {
    return tally.latency.getTotalCount() == 0 ? Double.NaN : tally.latency.getMaxValue() / 1e3;
  }

  /** Every figure, raw, for the report row. */
  public Map<String, Object> figures() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("iops", iops());
    m.put("mbPerSec", megabytesPerSecond());
    m.put("p50us", micros(50));
    m.put("p99us", micros(99));
    m.put("p999us", micros(99.9));
    m.put("maxus", maxMicros());
    m.put("meanus", tally.latency.getTotalCount() == 0 ? Double.NaN : tally.latency.getMean() / 1e3);
    m.put("ios", tally.completed);
    m.put("seconds", seconds());
    m.put("errors", tally.errors);
    if (tally.firstError != null) {
      m.put("firstError", tally.firstError);
    }
    m.put("threads", threads);
    m.putAll(usage.describe());
    m.put("cpuUsPerIo", usage.cpuNanos() < 0 || tally.completed == 0 ? null : usage.cpuNanos() / 1e3 / tally.completed);
    m.put("threadCpuUsPerIo", usage.threadCpuNanos() < 0 || tally.completed == 0 ? null : usage.threadCpuNanos() / 1e3 / tally.completed);
    m.put("allocBytesPerIo", usage.allocatedBytes() < 0 || tally.completed == 0 ? null : (double) usage.allocatedBytes() / tally.completed);
    if (threadsPerLun >= 0) {
      m.put("threadsPerLun", threadsPerLun);
      m.put("threadHopsPerIo", tally.completed == 0 ? null : (double) threadHops / tally.completed);
    }
    if (allIops != null) {
      double[] sorted = allIops.clone();
      java.util.Arrays.sort(sorted);
      m.put("runs", sorted.length);
      m.put("iopsMin", sorted[0]);
      m.put("iopsMax", sorted[sorted.length - 1]);
      m.put("iopsAllRuns", sorted);
    }
    m.put("how", how);
    return m;
  }
}
