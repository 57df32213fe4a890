package org.camstack.stack.lifetime;

/**
 * Observer of {@link LifetimeEvent}s emitted by the periph framework and devfs. Called from
 * actor threads, possibly concurrently: implementations must be thread-safe and must not block.
 * The default is {@link #NOOP}; issue 4 journals the events, the chaos engine checks them.
 */
@FunctionalInterface
public interface LifetimeListener {

  void onEvent(LifetimeEvent event);

  /** Ignores everything. */
  LifetimeListener NOOP = event -> {};

  /** Calls this listener, then {@code other}. */
  default LifetimeListener andThen(LifetimeListener other) {
    if (other == NOOP) {
      return this;
    }
    if (this == NOOP) {
      return other;
    }
    LifetimeListener self = this;
    return event -> {
      self.onEvent(event);
      other.onEvent(event);
    };
  }
}
