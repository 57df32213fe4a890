package org.camstack.stack.xpt;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.sim.SimDataPath;

/**
 * The existing device table as a plain single-owner object: buses &rarr; targets &rarr; devices
 * (LUNs), each device's periph list and generation, its references, and the devices kept after
 * their bus went away because someone still holds them. cf. {@code struct cam_eb}, {@code struct
 * cam_et}, {@code struct cam_ed} in sys/cam/cam_xpt_internal.h and {@code xpt_alloc_device()},
 * {@code xpt_acquire_device()}, {@code xpt_release_device()}, {@code xptedtmatch()} in
 * sys/cam/cam_xpt.c.
 *
 * <p>The {@link Xpt} actor owns one and is its only caller; the table never sends a message: its
 * methods say what happened (a device to retire, a device that was configured) and the actor does
 * the telling. Not thread-safe.
 *
 * <p>Device references (cf. {@code cam_ed.refcount}): a device is retired — removed from the table,
 * its queue actor told to stop — only when nothing references it any more. References are: being
 * configured (the EDT's own reference, dropped at AC_LOST_DEVICE), a probe running or queued (the
 * probe periph's path), and every {@link #acquire(CamPath, Object) holder} (a periph's path, taken
 * at registration, dropped after its destructor). An empty periph list alone keeps nothing alive.
 */
final class Edt {

  /** A periph instance in a device's list: driver name and unit ({@code da0}). */
  record PeriphId(String name, int unit) {
    String display() {
      return name + unit;
    }
  }

  /** Someone waiting for a probe: a SCAN_LUN CCB or a scanner. */
  interface ProbeWaiter {
    void probed(ScsiProbe.Result result, CamStatus status);
  }

  /** cf. {@code struct cam_eb}. */
  static final class Bus {
    final int pathId;
    final Ccb.PathInqResult cpi;
    final int queueDepth;
    final SimDataPath dataPath;
    final TreeMap<Integer, Target> targets = new TreeMap<>();
    long lastResetMillis;

    Bus(int pathId, Ccb.PathInqResult cpi, int queueDepth, SimDataPath dataPath) {
      this.pathId = pathId;
      this.cpi = cpi;
      this.queueDepth = Math.max(1, queueDepth);
      this.dataPath = dataPath;
    }

    Device device(CamPath p) {
      Target t = targets.get(p.target());
      return t == null ? null : t.luns.get(p.lun());
    }

    /** Every device of the bus, in target then LUN order. */
    List<Device> devices() {
      List<Device> out = new ArrayList<>();
      for (Target t : targets.values()) {
        out.addAll(t.luns.values());
      }
      return out;
    }
  }

  /** cf. {@code struct cam_et}. */
  static final class Target {
    final TreeMap<Long, Device> luns = new TreeMap<>();
    List<Long> reportedLuns; // cf. target->luns: the last REPORT LUNS data
  }

  /** cf. {@code struct cam_ed}. */
  static final class Device {
    final CamPath path;
    final ActorRef<XptDevice.Command> ref;
    final List<PeriphId> periphs = new ArrayList<>(); // newest first
    private final Map<Object, Integer> holders = new LinkedHashMap<>(); // holder -> references
    long generation;
    DeviceInfo info; // last probe data, null before the first successful probe
    boolean configured; // !CAM_DEV_UNCONFIGURED; counts as the EDT's own reference
    boolean lost; // the XptDevice was told DeviceLost
    boolean tagged;
    Ccb.TranSettings tran;
    String physPath = "";
    ByteString rcapLong = ByteString.emptyByteString();
    ActorRef<ScsiProbe.Command> probe;
    int probeUnit = -1;
    boolean probeExpectInqChange;
    List<ProbeWaiter> probeWaiters = new ArrayList<>();
    List<ProbeWaiter> queuedWaiters = new ArrayList<>();
    boolean queuedProbe;
    boolean queuedExpectInqChange = true;

    Device(CamPath path, ActorRef<XptDevice.Command> ref) {
      this.path = path;
      this.ref = ref;
    }

    /**
     * cf. {@code device->refcount}: the holders' references, plus one while configured, plus one
     * while a probe runs or is queued.
     */
    int refCount() {
      int n = configured ? 1 : 0;
      if (probe != null || queuedProbe) {
        n++;
      }
      for (int c : holders.values()) {
        n += c;
      }
      return n;
    }

    /** References taken by {@code holder} and not yet released. */
    int heldBy(Object holder) {
      return holders.getOrDefault(holder, 0);
    }

    /** The holders' references only (not the EDT's or a probe's). */
    int holderRefs() {
      int n = 0;
      for (int c : holders.values()) {
        n += c;
      }
      return n;
    }

    /** cf. {@code XPT_GET_TRAN_SETTINGS} defaults: SAS, the inquiry's protocol version. */
    Ccb.TranSettings tranSettings() {
      if (tran != null) {
        return tran;
      }
      int proto = info == null ? 0 : info.ansiVersion();
      return new Ccb.TranSettings("SAS", 0, proto, tagged, 0, 0, 0);
    }

    /** What DEV_MATCH reports: the probe data, or a bare entry before the first probe. */
    DeviceInfo matchInfo() {
      return info != null ? info : new DeviceInfo(path, ByteString.emptyByteString(), null, null, null, physPath);
    }
  }

  private final TreeMap<Integer, Bus> buses = new TreeMap<>();
  private final Map<CamPath, Device> orphans = new HashMap<>(); // lost with their bus, still referenced
  // holder -> its references on all devices: holdsAny() per release without a walk of the EDT
  private final Map<Object, Integer> heldRefs = new HashMap<>();
  private final TreeSet<Integer> probeUnits = new TreeSet<>();
  private final List<PeriphId> xptPeriphs = new ArrayList<>();
  private long xptGeneration;

  Edt() {
    xptPeriphs.add(new PeriphId("xpt", 0)); // cf. xptregister(): the xpt0 periph on the wildcard path
    xptGeneration = 1;
  }

  // ---------------------------------------------------------------------------------------------
  // Buses

  /**
   * cf. {@code xptpathid()}: the wanted path id when it is free, else the lowest free one; then the
   * bus is in the table.
   */
  Bus addBus(int wantedPathId, Ccb.PathInqResult cpi, int queueDepth, SimDataPath dataPath) {
    int pathId = wantedPathId;
    if (pathId < 0 || buses.containsKey(pathId)) {
      pathId = 0;
      while (buses.containsKey(pathId)) {
        pathId++;
      }
    }
    Bus bus = new Bus(pathId, cpi, queueDepth, dataPath);
    buses.put(pathId, bus);
    return bus;
  }

  /** The bus, or null. */
  Bus bus(int pathId) {
    return buses.get(pathId);
  }

  /** Buses in path-id order. */
  Collection<Bus> buses() {
    return Collections.unmodifiableCollection(buses.values());
  }

  /**
   * cf. {@code xpt_bus_deregister()}: the bus leaves the table. Its devices are no longer reachable
   * by path; the caller loses each and then {@link #orphan orphans} or retires it.
   */
  Bus removeBus(int pathId) {
    return buses.remove(pathId);
  }

  // ---------------------------------------------------------------------------------------------
  // Devices

  /** The device at a concrete path on a registered bus, or null (orphans are not found here). */
  Device device(CamPath p) {
    if (p.isWildcard()) {
      return null;
    }
    Bus bus = buses.get(p.bus());
    return bus == null ? null : bus.device(p);
  }

  /** The device at {@code p} on a registered bus, else the orphan at {@code p}, else null. */
  Device find(CamPath p) {
    Device d = device(p);
    return d != null || p.isWildcard() ? d : orphans.get(p);
  }

  /** cf. {@code xpt_alloc_device()}: a new, unconfigured device. */
  Device addDevice(Bus bus, CamPath p, ActorRef<XptDevice.Command> ref) {
    if (bus.device(p) != null) {
      throw new IllegalStateException(p + " is already in the EDT");
    }
    Device d = new Device(p, ref);
    bus.targets.computeIfAbsent(p.target(), t -> new Target()).luns.put(p.lun(), d);
    return d;
  }

  /** Every device on a registered bus covered by the (wildcard) path, in EDT order. */
  List<Device> covered(CamPath p) {
    if (!p.isWildcard()) { // one LUN (a hot-plug's AC_LOST_DEVICE): a lookup, not a walk of the bus
      Device d = device(p);
      return d == null ? List.of() : List.of(d);
    }
    List<Device> out = new ArrayList<>();
    for (Bus bus : buses.values()) {
      if (p.bus() != CamPath.WILDCARD && p.bus() != bus.pathId) {
        continue;
      }
      for (Device d : bus.devices()) {
        if (p.matches(d.path)) {
          out.add(d);
        }
      }
    }
    return out;
  }

  /**
   * cf. {@code scsi_dev_async(AC_LOST_DEVICE)}: sets {@code CAM_DEV_UNCONFIGURED}, dropping the
   * EDT's reference. True when the device was configured (the caller flushes its queue and
   * announces); false, and no change, otherwise.
   */
  boolean unconfigure(Device d) {
    if (!d.configured) {
      return false;
    }
    d.configured = false;
    d.lost = true;
    return true;
  }

  /** Keeps a device whose bus went away until its last reference goes. */
  void orphan(Device d) {
    orphans.put(d.path, d);
  }

  /** Whether {@code d} is kept as an orphan. */
  boolean isOrphan(Device d) {
    return orphans.get(d.path) == d;
  }

  /**
   * cf. {@code xpt_release_device()} reaching zero: when nothing references {@code d} any more it
   * leaves the table (and an empty target with no REPORT LUNS data goes with it). True when it was
   * removed now: the caller retires its queue actor. False when still referenced or already gone.
   */
  boolean retireIfUnused(Device d) {
    if (d.refCount() > 0) {
      return false;
    }
    if (orphans.get(d.path) == d) {
      orphans.remove(d.path);
      return true;
    }
    Bus bus = buses.get(d.path.bus());
    Target t = bus == null ? null : bus.targets.get(d.path.target());
    if (t == null || t.luns.get(d.path.lun()) != d) {
      return false; // already retired
    }
    t.luns.remove(d.path.lun());
    if (t.luns.isEmpty() && t.reportedLuns == null) {
      bus.targets.remove(d.path.target());
    }
    return true;
  }

  /**
   * The device's queue actor is gone: drop the device at once, whatever references it (they hold
   * a dead queue). Its periph list and holders are cleared.
   */
  void drop(Device d) {
    d.configured = false;
    d.periphs.clear();
    d.holders.forEach((h, n) -> unheld(h, n));
    d.holders.clear();
    if (orphans.get(d.path) == d) {
      orphans.remove(d.path);
    }
    Bus bus = buses.get(d.path.bus());
    Target t = bus == null ? null : bus.targets.get(d.path.target());
    if (t != null && t.luns.get(d.path.lun()) == d) {
      t.luns.remove(d.path.lun());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // References

  /**
   * cf. {@code xpt_create_path()} &rarr; {@code xpt_acquire_device()}: {@code holder} takes one
   * reference on the device at {@code p} (the one on a registered bus, else the orphan). Returns
   * the device, or null when there is none (nothing is held).
   */
  Device acquire(CamPath p, Object holder) {
    Device d = find(p);
    if (d != null) {
      d.holders.merge(holder, 1, Integer::sum);
      heldRefs.merge(holder, 1, Integer::sum);
    }
    return d;
  }

  /**
   * cf. {@code xpt_free_path()} &rarr; {@code xpt_release_device()}: drops one reference
   * {@code holder} has on the device at {@code p}. The device is the one the holder holds: after a
   * re-plug the path may name a newer device on the bus while the holder still holds the orphan.
   * Returns the device released, or null when the holder holds nothing there (then nothing
   * changes).
   */
  Device release(CamPath p, Object holder) {
    Device d = device(p);
    if (d == null || d.heldBy(holder) == 0) {
      d = orphans.get(p);
    }
    if (d == null || d.heldBy(holder) == 0) {
      return null;
    }
    d.holders.computeIfPresent(holder, (h, n) -> n == 1 ? null : n - 1);
    unheld(holder, 1);
    return d;
  }

  private void unheld(Object holder, int refs) {
    heldRefs.computeIfPresent(holder, (h, n) -> n == refs ? null : n - refs);
  }

  /** Whether {@code holder} still holds a reference on any device (orphans included). */
  boolean holdsAny(Object holder) {
    return heldRefs.containsKey(holder);
  }

  /** Drops every reference {@code holder} has (it stopped). Returns the devices it held. */
  List<Device> releaseAll(Object holder) {
    if (heldRefs.remove(holder) == null) {
      return List.of(); // e.g. an async subscriber: no walk of the EDT
    }
    List<Device> out = new ArrayList<>();
    for (Bus bus : buses.values()) {
      for (Device d : bus.devices()) {
        if (d.holders.remove(holder) != null) {
          out.add(d);
        }
      }
    }
    for (Device d : new ArrayList<>(orphans.values())) {
      if (d.holders.remove(holder) != null) {
        out.add(d);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Periph lists

  /** cf. {@code xpt_add_periph()}: newest first; bumps the generation. */
  static void addPeriph(Device d, PeriphId id) {
    d.periphs.add(0, id); // cf. SLIST_INSERT_HEAD(&device->periphs, ...)
    d.generation++;
  }

  /** cf. {@code xpt_remove_periph()}; bumps the generation when it was listed. */
  static boolean removePeriph(Device d, PeriphId id) {
    if (d.periphs.remove(id)) {
      d.generation++;
      return true;
    }
    return false;
  }

  /**
   * Removes {@code id} from the device at {@code p} that lists it: the device on the bus, else the
   * orphan at the same path. Returns that device, or null.
   */
  Device removePeriph(CamPath p, PeriphId id) {
    Device d = device(p);
    if (d != null && removePeriph(d, id)) {
      return d;
    }
    Device orphan = orphans.get(p);
    if (orphan != null && removePeriph(orphan, id)) {
      return orphan;
    }
    return null;
  }

  void addXptPeriph(PeriphId id) {
    xptPeriphs.add(0, id);
    xptGeneration++;
  }

  void removeXptPeriph(PeriphId id) {
    if (xptPeriphs.remove(id)) {
      xptGeneration++;
    }
  }

  /** A probe periph unit: the lowest free one. */
  int allocProbeUnit() {
    int unit = 0;
    while (probeUnits.contains(unit)) {
      unit++;
    }
    probeUnits.add(unit);
    return unit;
  }

  void freeProbeUnit(int unit) {
    probeUnits.remove(unit);
  }

  // ---------------------------------------------------------------------------------------------
  // Queries

  /**
   * cf. {@code XPT_GDEVLIST} on {@code d} (null for the XPT's own wildcard path): the periph at
   * {@code index}; LIST_CHANGED when the caller's generation is stale (index &gt; 0), ERROR past the
   * end; the answer carries the post-increment index and the generation, as camcontrol periphlist
   * prints them.
   */
  Ccb.GdevListResult gdevList(Device d, int index, long callerGeneration) {
    List<PeriphId> periphs = d == null ? xptPeriphs : d.periphs;
    long generation = d == null ? xptGeneration : d.generation;
    if (index != 0 && callerGeneration != generation) {
      return new Ccb.GdevListResult("", -1, callerGeneration, index, Ccb.ListStatus.LIST_CHANGED);
    }
    if (index < 0 || index >= periphs.size()) {
      return new Ccb.GdevListResult("", -1, callerGeneration, index, Ccb.ListStatus.ERROR);
    }
    PeriphId p = periphs.get(index);
    Ccb.ListStatus st = index + 1 < periphs.size() ? Ccb.ListStatus.MORE_DEVS : Ccb.ListStatus.LAST_DEVICE;
    return new Ccb.GdevListResult(p.name(), p.unit(), generation, index + 1, st);
  }

  /**
   * cf. {@code xptedtmatch()}: buses in path-id order, the XPT's own bus last (path id ~0); devices
   * covered by {@code pattern} listing a periph named {@code periphName} (driver or instance name;
   * empty or null for any).
   */
  Ccb.DevMatchResult devMatch(CamPath pattern, String periphName) {
    String filter = periphName == null ? "" : periphName;
    List<Ccb.BusMatch> out = new ArrayList<>();
    for (Bus bus : buses.values()) {
      if (pattern.bus() != CamPath.WILDCARD && pattern.bus() != bus.pathId) {
        continue;
      }
      List<Ccb.DeviceMatch> devs = new ArrayList<>();
      for (Device d : bus.devices()) {
        if (pattern.matches(d.path) && periphMatches(d.periphs, filter)) {
          devs.add(new Ccb.DeviceMatch(d.path, d.matchInfo(), displayNames(d.periphs), !d.configured));
        }
      }
      if (filter.isEmpty() || !devs.isEmpty()) {
        out.add(new Ccb.BusMatch(bus.pathId, bus.cpi.devName(), bus.cpi.unitNumber(), bus.cpi.busId(), devs));
      }
    }
    if (pattern.bus() == CamPath.WILDCARD && periphMatches(xptPeriphs, filter)) {
      Ccb.PathInqResult x = Xpt.XPT_CPI;
      Ccb.DeviceMatch xptDev = new Ccb.DeviceMatch(CamPath.XPT, xptDeviceInfo(), displayNames(xptPeriphs), true);
      out.add(new Ccb.BusMatch(CamPath.WILDCARD, x.devName(), x.unitNumber(), x.busId(), List.of(xptDev)));
    }
    return new Ccb.DevMatchResult(out);
  }

  /** The XPT's own device on the wildcard path (xpt0). */
  static DeviceInfo xptDeviceInfo() {
    return new DeviceInfo(CamPath.XPT, ByteString.emptyByteString(), null, null, null, null);
  }

  private static boolean periphMatches(List<PeriphId> periphs, String filter) {
    if (filter.isEmpty()) {
      return true;
    }
    for (PeriphId p : periphs) {
      if (p.name().equals(filter) || p.display().equals(filter)) {
        return true;
      }
    }
    return false;
  }

  private static List<String> displayNames(List<PeriphId> periphs) {
    List<String> names = new ArrayList<>(periphs.size());
    for (PeriphId p : periphs) {
      names.add(p.display());
    }
    return names;
  }
}
