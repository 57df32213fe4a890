package org.camstack.bench.io;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Which threads carried each LUN's pipeline in the measured phase of an actor run: the load
 * generator records its thread on every completion, the device queue (through the traced SIM data
 * path) on every CCB it executes. A thread change between two records of the same LUN is a hop to
 * another thread (a wake-up or a steal); one thread per LUN means no hop at all (issue 15). Cost:
 * one volatile read per record; the set and counter are touched on a change only.
 */
public final class ThreadTrace {
  private static final class Lun {
    volatile Thread last;
    final AtomicLong changes = new AtomicLong();
    final Set<Thread> seen = ConcurrentHashMap.newKeySet();
  }

  private static volatile Lun[] luns = new Lun[0];
  private static volatile boolean on;

  private ThreadTrace() {}

  /** Starts a trace of {@code n} LUNs (the measured phase). */
  public static void start(int n) {
    Lun[] a = new Lun[n];
    for (int i = 0; i < n; i++) {
      a[i] = new Lun();
    }
    luns = a;
    on = true;
  }

  /** Stops recording; the figures stay readable. */
  public static void stop() {
    on = false;
  }

  /** The calling thread carries LUN {@code lun} now. */
  public static void record(int lun) {
    if (!on) {
      return;
    }
    Lun[] a = luns;
    if (lun < 0 || lun >= a.length) {
      return;
    }
    Lun l = a[lun];
    Thread t = Thread.currentThread();
    if (l.last != t) {
      l.last = t;
      l.changes.incrementAndGet();
      l.seen.add(t);
    }
  }

  /** Distinct threads per LUN, averaged over the LUNs. */
  public static double threadsPerLun() {
    Lun[] a = luns;
    if (a.length == 0) {
      return 0;
    }
    long sum = 0;
    for (Lun l : a) {
      sum += l.seen.size();
    }
    return (double) sum / a.length;
  }

  /** Thread changes within the LUNs' pipelines (the first record of each LUN not counted). */
  public static long hops() {
    long sum = 0;
    for (Lun l : luns) {
      sum += Math.max(0, l.changes.get() - 1);
    }
    return sum;
  }
}
