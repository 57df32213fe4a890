package org.camstack.stack.target;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Injected completion latency of a LUN (scsi_debug's {@code ndelay} / {@code random}, {@code
 * ctladm delay}): fixed when {@code minNanos == maxNanos}, else uniform in [min, max].
 */
public record Delay(long minNanos, long maxNanos) {

  public static final Delay NONE = new Delay(0, 0);

  public Delay {
    if (minNanos < 0 || maxNanos < minNanos) {
      throw new IllegalArgumentException("bad delay range " + minNanos + ".." + maxNanos + " ns");
    }
  }

  public static Delay fixed(long nanos) {
    return new Delay(nanos, nanos);
  }

  public static Delay uniform(long minNanos, long maxNanos) {
    return new Delay(minNanos, maxNanos);
  }

  public boolean isNone() {
    return maxNanos == 0;
  }

  /** One sample. */
  public long next() {
    return minNanos == maxNanos ? minNanos : ThreadLocalRandom.current().nextLong(minNanos, maxNanos + 1);
  }
}
