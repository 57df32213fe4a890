package org.camstack.stack.dispatch;

import java.util.concurrent.ForkJoinPool;

/**
 * Keeps the JDK's common {@link ForkJoinPool} at two threads or more. Its default parallelism is
 * the core count minus one, so 1 on a 2-core machine, and at 1 {@code CompletableFuture}'s async
 * methods without an executor start a new thread for every task. Pekko's javadsl ask answers with
 * Scala's future converter, which runs every callback, async or not, that way: a 2-core node
 * started 392 threads for 300 {@code GET /api/devlist} (none with this; docs/operations.md,
 * "Threads"). Each main calls {@link #atLeastTwo} first, before anything touches the pool.
 */
public final class CommonPool {

  static final String PROPERTY = "java.util.concurrent.ForkJoinPool.common.parallelism";

  private CommonPool() {}

  /**
   * Sets the common pool's parallelism to {@link #parallelismFor} this machine's cores, unless the
   * property was given (the user's value wins). Returns the pool's parallelism; it stays what it
   * was if the pool had been started before this call.
   */
  public static int atLeastTwo() {
    if (System.getProperty(PROPERTY) == null) {
      System.setProperty(PROPERTY, Integer.toString(parallelismFor(Runtime.getRuntime().availableProcessors())));
    }
    return ForkJoinPool.getCommonPoolParallelism();
  }

  /** The JDK's default (cores - 1), but never below 2. */
  static int parallelismFor(int cores) {
    return Math.max(2, cores - 1);
  }
}
