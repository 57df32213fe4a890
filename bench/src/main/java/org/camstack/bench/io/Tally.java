package org.camstack.bench.io;

import org.HdrHistogram.Histogram;

/**
 * What one load source counted in one phase: completions, bytes, errors and a latency histogram
 * in nanoseconds. Merged over LUNs / threads by the harness.
 */
public final class Tally {
  /** Latencies up to 60 s, 3 significant digits. */
  public static Histogram newHistogram() {
    return new Histogram(60_000_000_000L, 3);
  }

  public final Histogram latency = newHistogram();
  public long completed;
  public long bytes;
  public long errors;
  public String firstError;
  public long startNanos;
  public long endNanos;
  /** Bytes the load thread(s) allocated in the phase (baselines only; -1 = unknown). */
  public long threadAllocatedBytes = -1;

  public void merge(Tally other) {
    latency.add(other.latency);
    completed += other.completed;
    bytes += other.bytes;
    errors += other.errors;
    if (firstError == null) {
      firstError = other.firstError;
    }
    startNanos = startNanos == 0 ? other.startNanos : Math.min(startNanos, other.startNanos);
    endNanos = Math.max(endNanos, other.endNanos);
    if (other.threadAllocatedBytes >= 0) {
      threadAllocatedBytes = Math.max(0, threadAllocatedBytes) + other.threadAllocatedBytes;
    }
  }

  public void reset() {
    latency.reset();
    completed = 0;
    bytes = 0;
    errors = 0;
    firstError = null;
    startNanos = 0;
    endNanos = 0;
  }
}
