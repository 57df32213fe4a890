package org.camstack.stack.node.web;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.camstack.stack.xpt.AsyncEvent;

/**
 * The web page's subscriber to the XPT's async events (cf. a periph driver's async callback
 * registered with {@code xpt_register_async()} on the wildcard path): hands each event to the
 * {@link WebFeed}. Messages: {@link AsyncEvent} (no reply).
 */
final class XptTap {
  private XptTap() {}

  static Behavior<AsyncEvent> create(WebFeed feed) {
    return Behaviors.receive(AsyncEvent.class)
        .onAnyMessage(
            e -> {
              feed.onXpt(e);
              return Behaviors.same();
            })
        .build();
  }
}
