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

  private static final RefToken[] TOKENS = RefToken.values();

  // counts by ordinal: a CCB takes and drops one per I/O, so no boxing and no map on that path
  private final int[] held = new int[TOKENS.length];
  private final int[] byClients = new int[TOKENS.length];

  /** Counts one more {@code token}; returns how many are held now. */
  int take(RefToken token) {
    return ++held[token.ordinal()];
  }

  /** Counts one less {@code token}; returns how many are left, or -1 if none was held. */
  int drop(RefToken token) {
    int i = token.ordinal();
    return held[i] == 0 ? -1 : --held[i];
  }

  int held(RefToken token) {
    return held[token.ordinal()];
  }

  boolean none() {
    for (int n : held) {
      if (n > 0) {
        return false;
      }
    }
    return true;
  }

  /** An immutable copy, tokens with none absent. */
  Map<RefToken, Integer> snapshot() {
    Map<RefToken, Integer> m = new EnumMap<>(RefToken.class);
    for (RefToken t : TOKENS) {
      if (held[t.ordinal()] > 0) {
        m.put(t, held[t.ordinal()]);
      }
    }
    return Map.copyOf(m);
  }

  /** A client's {@link Periph.Acquire} of {@code token} was granted. */
  void clientTook(RefToken token) {
    byClients[token.ordinal()]++;
  }

  /** A client gives one {@code token} back: false if no client Acquire of it is outstanding. */
  boolean clientGives(RefToken token) {
    if (token == null || byClients[token.ordinal()] == 0) {
      return false;
    }
    byClients[token.ordinal()]--;
    return true;
  }
}
