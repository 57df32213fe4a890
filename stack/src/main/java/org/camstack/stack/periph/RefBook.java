package org.camstack.stack.periph;

import java.util.EnumMap;
import java.util.Map;

/**
 * A periph's references by reason ({@link RefToken}), and which of them clients took through
 * {@link Periph.Acquire} (only those may a client {@link Periph.Release}). cf. {@code
 * periph->refcount}, split by reason as {@code da_ref_token} does. Pure bookkeeping on the periph's
 * actor; {@link PeriphBase} decides what a change means (events, free) and emits the events.
 */
final class RefBook {

  private final EnumMap<RefToken, Integer> held = new EnumMap<>(RefToken.class);
  private final EnumMap<RefToken, Integer> byClients = new EnumMap<>(RefToken.class);

  /** Counts one more {@code token}; returns how many are held now. */
  int take(RefToken token) {
    return held.merge(token, 1, Integer::sum);
  }

  /** Counts one less {@code token}; returns how many are left, or -1 if none was held. */
  int drop(RefToken token) {
    return dec(held, token);
  }

  int held(RefToken token) {
    return held.getOrDefault(token, 0);
  }

  boolean none() {
    return held.isEmpty();
  }

  /** An immutable copy, tokens with none absent. */
  Map<RefToken, Integer> snapshot() {
    return Map.copyOf(held);
  }

  /** A client's {@link Periph.Acquire} of {@code token} was granted. */
  void clientTook(RefToken token) {
    byClients.merge(token, 1, Integer::sum);
  }

  /** A client gives one {@code token} back: false if no client Acquire of it is outstanding. */
  boolean clientGives(RefToken token) {
    return token != null && dec(byClients, token) >= 0;
  }

  private static int dec(EnumMap<RefToken, Integer> m, RefToken token) {
    Integer n = m.get(token);
    if (n == null) {
      return -1;
    }
    if (n == 1) {
      m.remove(token);
    } else {
      m.put(token, n - 1);
    }
    return n - 1;
  }
}
