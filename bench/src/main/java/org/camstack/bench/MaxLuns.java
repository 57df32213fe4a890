package org.camstack.bench;

/** {@code bench recovery --max-luns}. */
final class MaxLuns {
  private MaxLuns() {}

  static int run(BenchMain parent, BenchMain.Common common, int limit) {
    throw new IllegalArgumentException("--max-luns: not built yet");
  }
}
