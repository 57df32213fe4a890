package org.camstack.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** {@code bench lifecycle}. */
@Command(name = "lifecycle", mixinStandardHelpOptions = true, description = "lifecycle benchmark")
final class LifecycleCommand implements Callable<Integer> {
  @ParentCommand BenchMain parent;

  @Mixin BenchMain.Common common;

  @Override
  public Integer call() {
    throw new IllegalArgumentException("lifecycle: not built yet");
  }
}
