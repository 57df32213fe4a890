package org.camstack.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.camstack.bench.report.Column;
import org.camstack.bench.report.Report;
import org.camstack.bench.report.RunEnvironment;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code bench jmh [REGEX]}: the JMH microbenchmarks ({@code *Benchmark} classes in this module)
 * with short settings: one fork, a few one-second iterations. JMH's own progress goes to stderr,
 * the result table to stdout.
 */
@Command(name = "jmh", mixinStandardHelpOptions = true,
    description = "JMH microbenchmarks: CDB decode, sense build, one message hop, queue accounting.")
final class JmhCommand implements Callable<Integer> {

  @ParentCommand BenchMain parent;

  @Mixin BenchMain.Common common;

  @Parameters(arity = "0..1", paramLabel = "REGEX", defaultValue = "org.camstack.bench.jmh.*Benchmark.*",
      description = "benchmarks to run (JMH include regex; default: all)")
  String regex;

  @Option(names = "--forks", description = "JVM forks (default 1; quick 0: in this JVM, no fork start-up)")
  Integer forks;

  @Option(names = "--iterations", paramLabel = "N", description = "measured iterations (default 3, quick 1)")
  Integer iterations;

  @Option(names = "--time", paramLabel = "MS", description = "milliseconds per iteration (default 1000, quick 400)")
  Integer timeMs;

  @Override
  public Integer call() throws Exception {
    int it = iterations != null ? iterations : common.quick ? 1 : 3;
    int nForks = forks != null ? forks : common.quick ? 0 : 1;
    int ms = timeMs != null ? timeMs : common.quick ? 400 : 1000;
    ChainedOptionsBuilder b = new OptionsBuilder()
        .include(regex)
        .forks(nForks)
        .warmupIterations(common.quick ? 1 : 2)
        .warmupTime(TimeValue.milliseconds(ms))
        .measurementIterations(it)
        .measurementTime(TimeValue.milliseconds(ms))
        .shouldFailOnError(true)
        .jvmArgsAppend("-Dlogback.configurationFile=" + BenchMain.LOGBACK);
    if (common.threads != null) {
      b = b.param("threads", Integer.toString(common.threads));
    }
    VerboseMode mode = common.quiet ? VerboseMode.SILENT : VerboseMode.NORMAL;
    Collection<RunResult> results = new Runner(b.build(), OutputFormatFactory.createFormatInstance(parent.err, mode)).run();
    if (results.isEmpty()) {
      throw new IllegalArgumentException("no benchmark matches '" + regex + "'");
    }

    Report report = new Report("jmh");
    report.config("include", regex).config("forks", nForks).config("iterations", it).config("iterationMillis", ms);
    report.environment(RunEnvironment.capture(common.dispatcher().describe()));
    List<RunResult> sorted = new ArrayList<>(results);
    sorted.sort((x, y) -> label(x).compareTo(label(y)));
    for (RunResult r : sorted) {
      Map<String, Object> v = new LinkedHashMap<>();
      var primary = r.getPrimaryResult();
      v.put("score", primary.getScore());
      v.put("error", Double.isNaN(primary.getScoreError()) ? null : primary.getScoreError());
      v.put("unit", primary.getScoreUnit());
      v.put("nsPerOp", nsPerOp(primary.getScore(), primary.getScoreUnit()));
      v.put("mode", r.getParams().getMode().shortLabel());
      report.add(label(r), v);
    }
    report.columns(List.of(
        Column.count("score", "score"),
        Column.count("error", "± error"),
        Column.of("unit", "unit"),
        Column.dec1("nsPerOp", "ns/op")));
    parent.emit(report, common);
    return 0;
  }

  private static String label(RunResult r) {
    String name = r.getParams().getBenchmark();
    name = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
    StringBuilder sb = new StringBuilder(name);
    for (String k : r.getParams().getParamsKeys()) {
      sb.append(' ').append(k).append('=').append(r.getParams().getParam(k));
    }
    return sb.toString();
  }

  /** ns per operation from a throughput score ({@code ops/s}, {@code ops/ms}, ...). */
  private static Double nsPerOp(double score, String unit) {
    if (score <= 0) {
      return null;
    }
    switch (unit) {
      case "ops/s":
        return 1e9 / score;
      case "ops/ms":
        return 1e6 / score;
      case "ops/us":
        return 1e3 / score;
      case "ops/ns":
        return 1 / score;
      case "ns/op":
        return score;
      case "us/op":
        return score * 1e3;
      default:
        return null;
    }
  }
}
