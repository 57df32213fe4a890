package org.camstack.stack.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.camstack.stack.CamStack;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./camstack periphlist DEV [--topology FILE]}: builds the stack, scans, and lists the
 * periphs attached to one device as {@code camcontrol periphlist} does (cf. {@code getdevlist()}
 * in sbin/camcontrol/camcontrol.c: XPT_GDEVLIST until the last one, restarting when the list
 * changed). DEV is a periph ({@code da0}, {@code pass3}) or {@code B:T:L}.
 */
@Command(
    name = "periphlist",
    mixinStandardHelpOptions = true,
    description = "Build the stack in-process and list the periphs of one device as camcontrol periphlist does.",
    footer = {"", "Exit: 0 ok, 1 the device is unknown or the stack failed, 2 bad usage."})
public final class PeriphlistCommand implements Callable<Integer> {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @Parameters(paramLabel = "DEV", description = "a periph (da0, pass3, ses0) or B:T:L")
  String dev;

  @Option(names = "--topology", paramLabel = "FILE", description = "HOCON topology (default: the built-in one)")
  String topology;

  private final PrintStream out;
  private final PrintStream err;

  PeriphlistCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() {
    return DevlistCommand.withStack(
        "periphlist",
        topology,
        err,
        (stack, edt) -> {
          CamPath path = resolve(dev, edt);
          if (path == null) {
            err.println("camstack periphlist: no device " + dev);
            return 1;
          }
          return list(stack, path, out, err);
        });
  }

  /** The device of a periph name, or a {@code B:T:L} path; null when unknown. */
  static CamPath resolve(String dev, Ccb.DevMatchResult edt) {
    if (dev.matches("\\d+:\\d+:\\d+")) {
      return CamPath.parse(dev);
    }
    for (Ccb.BusMatch b : edt.buses()) {
      for (Ccb.DeviceMatch d : b.devices()) {
        if (d.periphs().contains(dev)) {
          return d.path();
        }
      }
    }
    return null;
  }

  /** cf. getdevlist(). */
  static int list(CamStack stack, CamPath path, PrintStream out, PrintStream err)
      throws ExecutionException, TimeoutException, InterruptedException {
    int index = 0;
    long generation = 0;
    for (int guard = 0; guard < 1000; guard++) {
      int idx = index;
      long gen = generation;
      Ccb.Completed c =
          stack
              .action(r -> new Ccb.GetDevList(CamStack.header(path, r), idx, gen), TIMEOUT)
              .toCompletableFuture()
              .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      if (!c.isOk() || !(c.result() instanceof Ccb.GdevListResult g)) {
        err.println("camstack periphlist: XPT_GDEVLIST failed: " + c.status().description());
        return 1;
      }
      out.printf("%s%d:  generation: %d index: %d status: %s%n", g.periphName(), g.unitNumber(), g.generation(), g.index(), status(g.status()));
      switch (g.status()) {
        case MORE_DEVS -> {
          index = g.index();
          generation = g.generation();
        }
        case LIST_CHANGED -> {
          index = 0;
          generation = 0;
        }
        case ERROR -> {
          return 1;
        }
        default -> {
          return 0;
        }
      }
    }
    return 1;
  }

  private static String status(Ccb.ListStatus s) {
    return switch (s) {
      case MORE_DEVS -> "MORE";
      case LAST_DEVICE -> "LAST";
      case LIST_CHANGED -> "CHANGED";
      case ERROR -> "ERROR";
    };
  }
}
