package org.camstack.stack.cli;

import sun.misc.Signal;

/**
 * SIGINT and SIGTERM as a clean stop: the handler replaces the JVM's default (which would start
 * the shutdown hooks and exit 130/143), so a node stopped by {@code kill} or {@code Ctrl-C} runs
 * its coordinated shutdown and exits 0.
 */
final class Signals {
  private Signals() {}

  /**
   * Runs {@code action} on a signal thread for every SIGINT/SIGTERM. Where the JVM refuses to hand
   * a signal over (e.g. {@code -Xrs}), the default behaviour stays and Pekko's JVM shutdown hook
   * still runs the coordinated shutdown.
   */
  @SuppressWarnings("restriction") // sun.misc.Signal is the only JDK 17 way to catch SIGTERM
  static void onTerminate(Runnable action) {
    for (String name : new String[] {"INT", "TERM"}) {
      try {
        Signal.handle(new Signal(name), s -> action.run());
      } catch (IllegalArgumentException e) {
        // signal reserved by the VM: keep the default
      }
    }
  }
}
