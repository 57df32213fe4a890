package org.camstack.stack.target;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** The inventory serves the owners' live maps: a LUN plugged later is found without republishing. */
class TargetInventoryTest {

  @Test
  void publishedBusIsReadLiveAndWithdrawn() {
    TargetInventory inv = new TargetInventory();
    ConcurrentHashMap<Integer, EmuTarget> bus1 = new ConcurrentHashMap<>();
    EmuDisk d0 = new EmuDisk(LunSpec.disk(0, 100, 512));
    bus1.put(2, new EmuTarget(2, List.of(d0)));
    inv.publish(1, bus1);

    assertSame(d0, inv.lun(1, 2, 0));
    assertNull(inv.lun(1, 2, 1));
    assertNull(inv.target(0, 2));

    EmuDisk d1 = new EmuDisk(LunSpec.disk(1, 100, 512));
    bus1.get(2).addLun(d1);
    bus1.put(5, new EmuTarget(5, List.of(new EmuDisk(LunSpec.disk(0, 100, 512)))));
    bus1.put(6, new EmuTarget(6)); // no LUNs: not listed
    assertSame(d1, inv.lun(1, 2, 1));
    assertEquals(List.of(2, 5), List.copyOf(inv.snapshot().get(1).keySet()));

    assertThrows(IllegalStateException.class, () -> inv.publish(1, new ConcurrentHashMap<>()));
    inv.withdraw(1);
    assertNull(inv.target(1, 2));
    assertEquals(0, inv.snapshot().size());
  }
}
