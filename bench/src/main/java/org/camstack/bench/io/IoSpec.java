package org.camstack.bench.io;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One closed-loop I/O workload: the same spec drives the actor stack and both baselines.
 *
 * @param luns emulated LUNs (each with its own backing store of {@code storeBytes})
 * @param qd requests kept in flight per LUN
 * @param blockSize bytes per I/O (a multiple of the LUN's logical block)
 * @param sequential sequential LBAs per LUN instead of uniform random ones
 * @param readPercent share of reads, 0..100 (the rest are writes)
 * @param store backing store: {@code null}, {@code ram} or {@code file}
 * @param storeBytes capacity of each LUN
 * @param durationNanos measured interval (when {@code ops} is 0)
 * @param ops measured I/Os in total (0 = use the duration)
 * @param warmupNanos un-measured run before, same load
 * @param sims SIMs the LUNs are spread over (the kernel-like baseline has one lock per SIM)
 * @param seed random seed of the LBA generators
 */
public record IoSpec(
    int luns,
    int qd,
    int blockSize,
    boolean sequential,
    int readPercent,
    String store,
    long storeBytes,
    long durationNanos,
    long ops,
    long warmupNanos,
    int sims,
    long seed) {

  public IoSpec {
    if (luns < 1 || qd < 1 || qd > 0xFFFF) {
      throw new IllegalArgumentException("--luns must be >= 1 and --qd in 1..65535");
    }
    if (blockSize < 512 || blockSize % 512 != 0) {
      throw new IllegalArgumentException("--bs must be a multiple of 512");
    }
    if (readPercent < 0 || readPercent > 100) {
      throw new IllegalArgumentException("--read-pct must be in 0..100");
    }
    if (!store.equals("null") && !store.equals("ram") && !store.equals("file")) {
      throw new IllegalArgumentException("--store must be null, ram or file");
    }
    if (storeBytes < blockSize) {
      throw new IllegalArgumentException("--store-size must hold at least one block");
    }
    if (durationNanos <= 0 && ops <= 0) {
      throw new IllegalArgumentException("give --duration or --ops");
    }
    if (sims < 1) {
      throw new IllegalArgumentException("--sims must be >= 1");
    }
  }

  /** A copy with another LUN count and queue depth (the sweep). */
  public IoSpec with(int newLuns, int newQd) {
    return new IoSpec(newLuns, newQd, blockSize, sequential, readPercent, store, storeBytes,
        durationNanos, ops, warmupNanos, Math.min(sims, newLuns), seed);
  }

  /** A copy with another duration and warm-up. */
  public IoSpec withTimes(long newDurationNanos, long newWarmupNanos) {
    return new IoSpec(luns, qd, blockSize, sequential, readPercent, store, storeBytes,
        newDurationNanos, 0, newWarmupNanos, sims, seed);
  }

  /** The SIM LUN {@code lun} sits on (round robin). */
  public int simOf(int lun) {
    return lun % sims;
  }

  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("luns", luns);
    m.put("qd", qd);
    m.put("blockSize", blockSize);
    m.put("pattern", sequential ? "seq" : "rand");
    m.put("readPercent", readPercent);
    m.put("store", store);
    m.put("storeBytes", storeBytes);
    m.put("durationSeconds", durationNanos / 1e9);
    m.put("ops", ops);
    m.put("warmupSeconds", warmupNanos / 1e9);
    m.put("sims", sims);
    m.put("seed", seed);
    return m;
  }

  /** {@code 1 LUN x QD32, 4096 B rand 100% read, ram 64 MiB}. */
  public String label() {
    return luns + (luns == 1 ? " LUN" : " LUNs") + " x QD" + qd + ", " + blockSize + " B "
        + (sequential ? "seq" : "rand") + " " + readPercent + "% read, " + store + " "
        + (storeBytes >> 20) + " MiB";
  }
}
