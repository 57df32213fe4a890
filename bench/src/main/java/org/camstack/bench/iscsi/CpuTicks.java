package org.camstack.bench.iscsi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of one process, all its threads, from {@code /proc/PID/stat} (utime + stime, fields 14
 * and 15, counted after the parenthesised command name, which may hold spaces).
 */
public final class CpuTicks {

  /** USER_HZ: what the kernel counts utime and stime in (100 on Linux for decades). */
  public static final double TICKS_PER_SECOND = 100.0;

  private CpuTicks() {}

  /** utime + stime of {@code pid} in seconds; -1 when /proc does not have it (process gone, not Linux). */
  public static double seconds(long pid) {
    try {
      return parse(Files.readString(Path.of("/proc", Long.toString(pid), "stat"))) / TICKS_PER_SECOND;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** utime + stime ticks in one {@code /proc/PID/stat} line. */
  static long parse(String stat) {
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
    // f[0] is field 3 (state): utime is field 14 -> f[11], stime field 15 -> f[12]
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }
}
