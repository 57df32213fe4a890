package org.camstack.stack.target;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;

/**
 * What an SES enclosure sees of its slots: supplied by the SIM, which knows which disks of the bus
 * sit in which slot ({@link LunSpec#enclosureSlot()}). Called from the enclosure's command thread;
 * implementations must be thread-safe and cheap.
 */
@FunctionalInterface
public interface EnclosureView {

  /** The occupied slots, in any order. */
  List<SlotOccupant> occupants();

  /** No slot occupied. */
  EnclosureView EMPTY = List::of;

  /** A fixed set of occupants (tests). */
  static EnclosureView of(List<SlotOccupant> occupants) {
    List<SlotOccupant> copy = List.copyOf(occupants);
    return () -> copy;
  }

  /**
   * The disks of {@code targets} (evaluated at each call, e.g. the SIM's live targets of one bus)
   * whose spec names an enclosure slot.
   */
  static EnclosureView ofTargets(Supplier<? extends Collection<EmuTarget>> targets) {
    return () -> {
      List<SlotOccupant> out = new ArrayList<>();
      for (EmuTarget t : targets.get()) {
        for (EmuDevice d : t.luns().values()) {
          LunSpec s = d.spec();
          if (s.type() == LunSpec.Type.DISK && s.enclosureSlot() >= 0) {
            out.add(new SlotOccupant(s.enclosureSlot(), s.wwn(), s.lun(), t.targetId()));
          }
        }
      }
      return out;
    };
  }
}
