package org.camstack.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** {@code bench sweep}. */
@Command(name = "sweep", mixinStandardHelpOptions = true, description = "sweep benchmark")
final class SweepCommand implements Callable<Integer> {
  @ParentCommand BenchMain parent;

  @Mixin BenchMain.Common common;

  @Override
  public Integer call() {
    throw new IllegalArgumentException("sweep: not built yet");
  }
}
