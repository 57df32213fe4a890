package org.camstack.stack.xpt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.AsyncCode;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.ccb.HbaFlags;
import org.junit.jupiter.api.Test;

/**
 * The async registry as a plain object, subscribers named by strings: who gets an event
 * (cf. {@code xpt_async()}: overlapping paths, wanted codes, newest first), re-registration,
 * removal, and the replay to late registrants (cf. {@code xptsetasyncfunc()}).
 */
class AsyncRegistryTest {

  private static final Set<AsyncCode> UA = EnumSet.of(AsyncCode.AC_UNIT_ATTENTION);

  private final AsyncRegistry<String> reg = new AsyncRegistry<>();

  private static AsyncEvent ua(CamPath p) {
    return new AsyncEvent.UnitAttention(p, 0x29, 0);
  }

  @Test
  void anEventGoesToEveryOverlappingSubscriberThatWantsItsCodeNewestFirst() {
    assertTrue(reg.register(UA, CamPath.XPT, "all"));
    assertTrue(reg.register(UA, CamPath.bus(0), "bus0"));
    assertTrue(reg.register(UA, CamPath.of(0, 1, 0), "lun"));
    assertTrue(reg.register(EnumSet.of(AsyncCode.AC_SCSI_AEN), CamPath.XPT, "aen"));
    assertTrue(reg.register(UA, CamPath.bus(1), "bus1"));
    assertEquals(List.of("lun", "bus0", "all"), reg.recipients(ua(CamPath.of(0, 1, 0))));
    // a target-wide event reaches the LUN subscriber below it (either path may cover the other)
    assertEquals(List.of("lun", "bus0", "all"), reg.recipients(ua(CamPath.target(0, 1))));
    assertEquals(List.of("bus0", "all"), reg.recipients(ua(CamPath.of(0, 2, 0))));
    assertEquals(List.of("aen"), reg.recipients(new AsyncEvent.ScsiAen(CamPath.of(1, 0, 0))));
  }

  /** What lets the XPT stop watching a subscriber: any subscription left, on any path. */
  @Test
  void aSubscriberHasSubscriptionsUntilItsLastPathIsUnregistered() {
    reg.register(UA, CamPath.of(0, 1, 0), "da0");
    reg.register(UA, CamPath.bus(0), "da0");
    reg.unregister(CamPath.of(0, 1, 0), "da0");
    assertTrue(reg.has("da0"));
    assertFalse(reg.has("pass0"));
    reg.unregister(CamPath.bus(0), "da0");
    assertFalse(reg.has("da0"));
  }

  @Test
  void reRegisteringReplacesTheSetAnEmptySetUnregistersAndPathsAreSeparate() {
    assertTrue(reg.register(EnumSet.of(AsyncCode.AC_SCSI_AEN), CamPath.XPT, "p"));
    assertFalse(reg.register(UA, CamPath.XPT, "p"), "same subscriber and path: replaced");
    assertEquals(1, reg.size());
    assertEquals(List.of("p"), reg.recipients(ua(CamPath.of(0, 0, 0))));
    assertEquals(List.of(), reg.recipients(new AsyncEvent.ScsiAen(CamPath.of(0, 0, 0))));
    assertTrue(reg.register(UA, CamPath.bus(0), "p"), "another path: another subscription");
    assertEquals(List.of("p", "p"), reg.recipients(ua(CamPath.of(0, 0, 0))));
    assertFalse(reg.register(Set.of(), CamPath.bus(0), "p"));
    assertEquals(List.of("p"), reg.recipients(ua(CamPath.of(0, 0, 0))));
    reg.unregister(CamPath.XPT, "p");
    assertEquals(0, reg.size());
  }

  @Test
  void aStoppedSubscriberLosesEverySubscription() {
    reg.register(UA, CamPath.XPT, "gone");
    reg.register(UA, CamPath.bus(0), "gone");
    reg.register(UA, CamPath.bus(0), "stays");
    reg.removeSubscriber("gone");
    assertEquals(List.of("stays"), reg.recipients(ua(CamPath.of(0, 0, 0))));
  }

  @Test
  void lateRegistrantsGetBusesAndConfiguredDevicesTheirPathCoversReplayed() {
    Edt edt = new Edt();
    Ccb.PathInqResult cpi = new Ccb.PathInqResult(1, 0, HbaFlags.PIM_NOSCAN, 15, 7, 7, "v", "h", "sim", 0, 0, 0, 0);
    Edt.Bus b0 = edt.addBus(0, cpi, 8, null);
    edt.addBus(1, cpi, 8, null);
    Edt.Device d1 = edt.addDevice(b0, CamPath.of(0, 1, 0), null);
    d1.configured = true;
    d1.info = new DeviceInfo(d1.path, ByteString.emptyByteString(), null, null, null, "");
    edt.addDevice(b0, CamPath.of(0, 2, 0), null); // being probed: not replayed
    Edt.Device d3 = edt.addDevice(b0, CamPath.of(0, 3, 0), null);
    d3.configured = true;

    List<AsyncEvent> all =
        AsyncRegistry.replay(EnumSet.of(AsyncCode.AC_PATH_REGISTERED, AsyncCode.AC_FOUND_DEVICE), CamPath.XPT, edt);
    assertEquals(
        List.of(
            new AsyncEvent.PathRegistered(CamPath.bus(0), cpi),
            new AsyncEvent.PathRegistered(CamPath.bus(1), cpi),
            new AsyncEvent.FoundDevice(d1.path, d1.info, null),
            new AsyncEvent.FoundDevice(d3.path, null, null)),
        all);
    // a LUN subscriber learns of its own bus (the bus path covers it) and of its own device only
    assertEquals(
        List.of(new AsyncEvent.PathRegistered(CamPath.bus(0), cpi), new AsyncEvent.FoundDevice(d3.path, null, null)),
        AsyncRegistry.replay(EnumSet.of(AsyncCode.AC_PATH_REGISTERED, AsyncCode.AC_FOUND_DEVICE), d3.path, edt));
    assertEquals(List.of(), AsyncRegistry.replay(UA, CamPath.XPT, edt), "only those two codes are replayed");
  }
}
