package org.camstack.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** {@code bench io}. */
@Command(name = "io", mixinStandardHelpOptions = true, description = "io benchmark")
final class IoCommand implements Callable<Integer> {
  @ParentCommand BenchMain parent;

  @Mixin BenchMain.Common common;

  @Override
  public Integer call() {
    throw new IllegalArgumentException("io: not built yet");
  }
}
