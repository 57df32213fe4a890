package org.camstack.stack.xpt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.HbaFlags;
import org.camstack.stack.xpt.Edt.Bus;
import org.camstack.stack.xpt.Edt.Device;
import org.camstack.stack.xpt.Edt.PeriphId;
import org.junit.jupiter.api.Test;

/**
 * The EDT as a plain object, no actor: path ids, the device-reference rule (cf. {@code
 * xpt_acquire_device()} / {@code xpt_release_device()}), orphans and re-plugs, periph lists,
 * GDEVLIST and DEV_MATCH. Device queue refs are null here: the table never sends.
 */
class EdtTest {

  private static Ccb.PathInqResult cpi(String name, int unit) {
    return new Ccb.PathInqResult(1, 0, HbaFlags.PIM_NOSCAN, 15, 7, 7, "camstack", "t", name, unit, 0, 0, 0);
  }

  private final Edt edt = new Edt();

  private Bus bus(int wanted) {
    return edt.addBus(wanted, cpi("sim", wanted), 8, null);
  }

  /** A configured device, as after a successful probe. */
  private Device configured(Bus bus, int target, long lun) {
    Device d = edt.addDevice(bus, CamPath.of(bus.pathId, target, lun), null);
    d.configured = true;
    return d;
  }

  @Test
  void pathIdsAreTheWantedOneWhenFreeElseTheLowestFree() {
    assertEquals(2, bus(2).pathId);
    assertEquals(0, bus(-1).pathId);
    assertEquals(1, bus(2).pathId); // 2 is taken
    assertEquals(3, bus(-1).pathId);
    assertEquals(List.of(0, 1, 2, 3), edt.buses().stream().map(b -> b.pathId).toList());
    edt.addDevice(edt.bus(0), CamPath.of(0, 1, 0), null);
    assertThrows(IllegalStateException.class, () -> edt.addDevice(edt.bus(0), CamPath.of(0, 1, 0), null));
  }

  @Test
  void aLostDeviceStaysWhileAHolderHasAReferenceAndGoesExactlyWithTheLast() {
    Bus b = bus(0);
    Device d = configured(b, 1, 0);
    assertSame(d, edt.acquire(d.path, "da0"));
    assertSame(d, edt.acquire(d.path, "pass0"));
    assertEquals(3, d.refCount()); // the EDT's own + two holders
    assertTrue(edt.unconfigure(d));
    assertFalse(edt.unconfigure(d), "losing twice drops the EDT's reference once");
    assertEquals(2, d.refCount());
    assertFalse(edt.retireIfUnused(d));
    assertSame(d, edt.release(d.path, "da0"));
    assertFalse(edt.retireIfUnused(d), "pass0 still holds it");
    assertSame(d, edt.device(d.path));
    assertSame(d, edt.release(d.path, "pass0"));
    assertEquals(0, d.refCount());
    assertTrue(edt.retireIfUnused(d));
    assertNull(edt.device(d.path));
    assertFalse(edt.retireIfUnused(d), "retired once");
  }

  @Test
  void thePeriphListKeepsNothingAlive() {
    Device d = configured(bus(0), 0, 0);
    Edt.addPeriph(d, new PeriphId("pass", 0));
    edt.unconfigure(d);
    assertTrue(edt.retireIfUnused(d), "listed but unreferenced: retired");
  }

  @Test
  void aConfiguredDeviceOrARunningOrQueuedProbeIsAReference() {
    Bus b = bus(0);
    Device d = configured(b, 0, 0);
    assertFalse(edt.retireIfUnused(d));
    edt.unconfigure(d);
    d.queuedProbe = true;
    assertFalse(edt.retireIfUnused(d));
    d.queuedProbe = false;
    assertTrue(edt.retireIfUnused(d));
  }

  @Test
  void releasesByAHolderWithoutAReferenceChangeNothing() {
    Device d = configured(bus(0), 0, 0);
    edt.acquire(d.path, "da0");
    assertNull(edt.release(d.path, "pass9"));
    assertNull(edt.release(CamPath.of(0, 5, 0), "da0"));
    assertNull(edt.acquire(CamPath.of(0, 5, 0), "da0"), "no device there: nothing to hold");
    assertEquals(1, d.heldBy("da0"));
    assertSame(d, edt.release(d.path, "da0"));
    assertNull(edt.release(d.path, "da0"), "released twice");
    assertEquals(1, d.refCount());
  }

  @Test
  void anEmptyTargetGoesWithItsLastDeviceUnlessItHasReportLunsData() {
    Bus b = bus(0);
    Device d1 = configured(b, 1, 0);
    Device d2 = configured(b, 2, 0);
    b.targets.get(2).reportedLuns = List.of(0L);
    edt.unconfigure(d1);
    edt.unconfigure(d2);
    assertTrue(edt.retireIfUnused(d1));
    assertTrue(edt.retireIfUnused(d2));
    assertFalse(b.targets.containsKey(1));
    assertTrue(b.targets.containsKey(2));
  }

  @Test
  void aHeldDeviceOfADeregisteredBusIsKeptAsAnOrphanAndARePlugGetsANewDevice() {
    Bus b = bus(0);
    Device old = configured(b, 3, 0);
    edt.acquire(old.path, "da0");
    edt.removeBus(0);
    edt.unconfigure(old);
    edt.orphan(old);
    assertSame(old, edt.find(old.path));
    assertNull(edt.device(old.path), "not on a registered bus");
    // the bus comes back with the same path id and the LUN is probed again
    Bus again = bus(0);
    Device fresh = configured(again, 3, 0);
    assertNotSame(old, fresh);
    assertSame(fresh, edt.find(old.path), "the path now names the new device");
    edt.acquire(fresh.path, "da1");
    // the old holder releases the device it holds, not the one the path now names
    assertSame(old, edt.release(old.path, "da0"));
    assertEquals(1, fresh.heldBy("da1"));
    assertTrue(edt.retireIfUnused(old));
    assertFalse(edt.isOrphan(old));
    assertSame(fresh, edt.device(fresh.path));
    assertFalse(edt.retireIfUnused(fresh));
  }

  @Test
  void aStoppedHolderLosesEveryReferenceOnBusesAndOrphans() {
    Bus b0 = bus(0);
    Bus b1 = bus(1);
    Device a = configured(b0, 0, 0);
    Device c = configured(b1, 0, 0);
    edt.acquire(a.path, "ses0");
    edt.acquire(a.path, "ses0");
    edt.acquire(c.path, "ses0");
    edt.acquire(c.path, "pass1");
    edt.removeBus(1);
    edt.orphan(c);
    assertEquals(List.of(a, c), edt.releaseAll("ses0"));
    assertEquals(0, a.heldBy("ses0"));
    assertEquals(1, c.heldBy("pass1"));
    assertEquals(List.of(), edt.releaseAll("ses0"));
  }

  /** What lets the XPT stop watching a holder: a reference anywhere, orphans included, counts. */
  @Test
  void aHolderHoldsAnythingUntilItsLastReferenceOnABusOrAnOrphanIsReleased() {
    Device a = configured(bus(0), 0, 0);
    Device c = configured(bus(1), 0, 0);
    edt.acquire(a.path, "da0");
    edt.acquire(c.path, "da0");
    edt.removeBus(1);
    edt.orphan(c);
    assertFalse(edt.holdsAny("pass0"));
    edt.release(a.path, "da0");
    assertTrue(edt.holdsAny("da0"), "the orphan is still held");
    edt.release(c.path, "da0");
    assertFalse(edt.holdsAny("da0"));
  }

  @Test
  void removePeriphFindsTheOrphanThatListsItAfterARePlug() {
    Device old = configured(bus(0), 0, 0);
    Edt.addPeriph(old, new PeriphId("da", 0));
    edt.removeBus(0);
    edt.orphan(old);
    Device fresh = configured(bus(0), 0, 0);
    Edt.addPeriph(fresh, new PeriphId("da", 1));
    assertSame(old, edt.removePeriph(old.path, new PeriphId("da", 0)));
    assertEquals(List.of(new PeriphId("da", 1)), fresh.periphs);
    assertNull(edt.removePeriph(old.path, new PeriphId("da", 0)));
  }

  @Test
  void gdevlistWalksNewestFirstAndReportsAStaleGeneration() {
    Device d = configured(bus(0), 0, 0);
    Edt.addPeriph(d, new PeriphId("pass", 0));
    Edt.addPeriph(d, new PeriphId("da", 0));
    Ccb.GdevListResult first = edt.gdevList(d, 0, 0);
    assertEquals(new Ccb.GdevListResult("da", 0, 2, 1, Ccb.ListStatus.MORE_DEVS), first);
    assertEquals(new Ccb.GdevListResult("pass", 0, 2, 2, Ccb.ListStatus.LAST_DEVICE), edt.gdevList(d, 1, 2));
    assertEquals(Ccb.ListStatus.ERROR, edt.gdevList(d, 2, 2).status());
    Edt.removePeriph(d, new PeriphId("da", 0));
    assertEquals(Ccb.ListStatus.LIST_CHANGED, edt.gdevList(d, 1, 2).status());
    assertEquals(new Ccb.GdevListResult("xpt", 0, 1, 1, Ccb.ListStatus.LAST_DEVICE), edt.gdevList(null, 0, 0));
  }

  @Test
  void devMatchListsBusesInOrderTheXptBusLastAndFiltersByPathAndPeriph() {
    Bus b1 = bus(1);
    Bus b0 = bus(0);
    Device d = configured(b1, 2, 0);
    Edt.addPeriph(d, new PeriphId("da", 4));
    Device unconf = edt.addDevice(b0, CamPath.of(0, 0, 0), null);
    Ccb.DevMatchResult all = edt.devMatch(CamPath.XPT, "");
    assertEquals(List.of(0, 1, -1), all.buses().stream().map(Ccb.BusMatch::pathId).toList());
    assertTrue(all.buses().get(0).devices().get(0).unconfigured());
    assertEquals(unconf.path, all.buses().get(0).devices().get(0).path());
    assertEquals(List.of("da4"), all.buses().get(1).devices().get(0).periphs());
    assertEquals(List.of("xpt0"), all.buses().get(2).devices().get(0).periphs());
    Ccb.DevMatchResult byName = edt.devMatch(CamPath.XPT, "da");
    assertEquals(1, byName.buses().size());
    assertEquals(d.path, byName.buses().get(0).devices().get(0).path());
    assertEquals(1, edt.devMatch(CamPath.XPT, "da4").buses().size());
    assertEquals(List.of(0), edt.devMatch(CamPath.bus(0), null).buses().stream().map(Ccb.BusMatch::pathId).toList());
  }

  @Test
  void coveredFollowsWildcardsAcrossBuses() {
    Bus b0 = bus(0);
    Bus b1 = bus(1);
    Device a = configured(b0, 0, 0);
    Device b = configured(b0, 0, 1);
    Device c = configured(b0, 1, 0);
    Device e = configured(b1, 0, 0);
    assertEquals(List.of(a, b, c, e), edt.covered(CamPath.XPT));
    assertEquals(List.of(a, b), edt.covered(CamPath.target(0, 0)));
    assertEquals(List.of(e), edt.covered(CamPath.bus(1)));
    assertEquals(List.of(c), edt.covered(CamPath.of(0, 1, 0)));
  }

  @Test
  void probeUnitsAreTheLowestFree() {
    assertEquals(0, edt.allocProbeUnit());
    assertEquals(1, edt.allocProbeUnit());
    assertEquals(2, edt.allocProbeUnit());
    edt.freeProbeUnit(1);
    assertEquals(1, edt.allocProbeUnit());
  }
}
