package org.camstack.stack.target;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The unit attention state of a device, as plain values: what {@link EmuDevice#unitAttentions()}
 * captures and {@link EmuDevice#restoreUnitAttentions} puts back (durable device state).
 *
 * <p>A device holds two things (SPC-4 5.14, cf. CTL's per-initiator {@code pending_ua}): the queue
 * of conditions pending for every initiator it has seen, and the conditions posted to every
 * initiator, which an initiator it has not seen yet gets on its first command.
 *
 * @param posted conditions for initiators not seen yet, oldest first
 * @param pending initiator id &rarr; its pending codes, oldest first (only non-empty queues)
 */
public record UnitAttentionSnapshot(List<Posted> posted, Map<Integer, List<Integer>> pending) {

  /** No unit attention at all. */
  public static final UnitAttentionSnapshot NONE = new UnitAttentionSnapshot(List.of(), Map.of());

  /**
   * One condition posted to every initiator not seen yet.
   *
   * @param code {@code asc << 8 | ascq}
   * @param excluded initiators it is not for (the one that caused it, and every initiator the
   *     device had seen when the snapshot was taken)
   */
  public record Posted(int code, SortedSet<Integer> excluded) {
    public Posted {
      excluded = Collections.unmodifiableSortedSet(new TreeSet<>(excluded));
    }
  }

  public UnitAttentionSnapshot {
    posted = List.copyOf(posted);
    TreeMap<Integer, List<Integer>> p = new TreeMap<>();
    pending.forEach((k, v) -> {
      if (!v.isEmpty()) {
        p.put(k, List.copyOf(v));
      }
    });
    pending = Collections.unmodifiableMap(p);
  }

  /** {@code asc << 8 | ascq}. */
  public static int code(int asc, int ascq) {
    return ((asc & 0xff) << 8) | (ascq & 0xff);
  }
}
