package org.camstack.stack.dispatch;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;

/**
 * Run in a JVM of its own by {@link CommonPoolTest}: with {@code configure}, calls {@link
 * CommonPool#atLeastTwo} first, as the mains do; then prints the common pool's parallelism and the
 * name of the thread that ran an async callback without an executor.
 */
public final class CommonPoolProbe {
  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("configure")) {
      CommonPool.atLeastTwo();
    }
    CompletableFuture<String> f = new CompletableFuture<>();
    CompletableFuture<String> ranOn = f.thenApplyAsync(x -> Thread.currentThread().getName());
    f.complete("go");
    System.out.println(ForkJoinPool.getCommonPoolParallelism() + " " + ranOn.get());
  }
}
