package org.camstack.stack.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.camstack.stack.CamStack;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;

/**
 * {@code ./camstack periphlist DEV [--topology FILE]}: builds the stack, scans, and lists the
 * periphs attached to one device as {@code camcontrol periphlist} does (cf. {@code getdevlist()}
 * in sbin/camcontrol/camcontrol.c: XPT_GDEVLIST until the last one, restarting when the list
 * changed). DEV is a periph ({@code da0}, {@code pass3}) or {@code B:T:L}.
 */
public final class PeriphlistCommand {
  private PeriphlistCommand() {}

  static final String USAGE = "usage: ./camstack periphlist DEV [--topology FILE]   (DEV: da0, pass3, ses0 or B:T:L)";
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  /** @return 0 ok, 1 the device is unknown or the stack failed, 2 bad usage */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    String dev = null;
    String topologyFile = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--topology")) {
        if (i + 1 >= args.length) {
          err.println("camstack periphlist: --topology needs a file (" + USAGE + ")");
          return 2;
        }
        topologyFile = args[++i];
      } else if (a.startsWith("-")) {
        err.println("camstack periphlist: unknown option '" + a + "' (" + USAGE + ")");
        return 2;
      } else if (dev == null) {
        dev = a;
      } else {
        err.println("camstack periphlist: one device only (" + USAGE + ")");
        return 2;
      }
    }
    if (dev == null) {
      err.println("camstack periphlist: which device? (" + USAGE + ")");
      return 2;
    }
    String device = dev;
    return DevlistCommand.withStack(
        "periphlist",
        topologyFile,
        err,
        (stack, edt) -> {
          CamPath path = resolve(device, edt);
          if (path == null) {
            err.println("camstack periphlist: no device " + device);
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
