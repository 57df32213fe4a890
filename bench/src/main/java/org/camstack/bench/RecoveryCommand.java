package org.camstack.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** {@code bench recovery}. */
@Command(name = "recovery", mixinStandardHelpOptions = true, description = "recovery benchmark")
final class RecoveryCommand implements Callable<Integer> {
  @ParentCommand BenchMain parent;

  @Mixin BenchMain.Common common;

  @Override
  public Integer call() {
    throw new IllegalArgumentException("recovery: not built yet");
  }
}
