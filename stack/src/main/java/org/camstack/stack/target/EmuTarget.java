package org.camstack.stack.target;

import static org.camstack.stack.scsi.Bytes.be32;
import static org.camstack.stack.scsi.Bytes.u8;
import static org.camstack.stack.scsi.Opcodes.INQUIRY;
import static org.camstack.stack.scsi.Opcodes.REPORT_LUNS;
import static org.camstack.stack.scsi.Opcodes.REQUEST_SENSE;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.scsi.LaterAnswer;
import org.camstack.stack.scsi.ScsiResponse;

/**
 * The logical units behind one target id. Routes a CDB to its LUN and answers for LUNs that do not
 * exist the way SPC asks: INQUIRY with peripheral qualifier 3 / type 0x1f (byte 0 = 0x7f), REQUEST
 * SENSE with 05/25/00 as data, REPORT LUNS normally (it may be addressed to any LUN), anything else
 * CHECK CONDITION 05/25/00 LOGICAL UNIT NOT SUPPORTED.
 *
 * <p>Adding or removing a LUN posts UA 3F/0E REPORTED LUNS DATA HAS CHANGED on the others (cf.
 * {@code ctl_lun_map_*} / scsi_debug's LUNS_CHANGED). Lookups are lock-free (copy-on-write maps);
 * membership changes are synchronized.
 *
 * <p>Lifetime (cf. {@code ctl_free_lun()}): a removed LUN admits no new command (a command that
 * raced the removal answers as for an absent LUN), completes the ones in flight, and is freed after
 * the last of them. Until then its LUN number is not reused: {@link #addLun} refuses it with an
 * error naming the tasks still in flight.
 */
public final class EmuTarget {
  private static final int LOW = 256;
  private static final ByteString NOT_SUPPORTED = Sense.fixed(Sense.ILLEGAL_REQUEST, 0x25, 0x00);

  private final int targetId;
  private volatile EmuDevice[] low = new EmuDevice[LOW];
  private volatile Map<Long, EmuDevice> all = Collections.emptyMap();
  private volatile ByteString lunList = lunList(new long[0]);
  /** Removed LUNs not freed yet, by number: their numbers are not reused. Guarded by this. */
  private final Map<Long, EmuDevice> draining = new TreeMap<>();
  private volatile TargetInventory inventory; // set while published
  // lifetime steps (cf. ctl_add_lun / ctl_remove_lun / ctl_free_lun): the inventory's hook
  private volatile LunEvents events = LunEvents.NONE;
  private volatile String name;
  private long incarnations; // guarded by this: the LUN incarnations of this target

  public EmuTarget(int targetId) {
    this.targetId = targetId;
    this.name = "t" + targetId;
  }

  /** A target with its initial LUNs, no unit attention posted (the power-on topology). */
  public EmuTarget(int targetId, Collection<? extends EmuDevice> initial) {
    this(targetId);
    for (EmuDevice d : initial) {
      put(d);
    }
  }

  public int targetId() {
    return targetId;
  }

  /** The device at {@code lun}, or null. */
  public EmuDevice device(long lun) {
    if (lun >= 0 && lun < LOW) {
      return low[(int) lun];
    }
    return all.get(lun);
  }

  /** The inventory this target is published in, or null (LUN lookups across targets). */
  public TargetInventory inventory() {
    return inventory;
  }

  void linkInventory(TargetInventory inv, int bus) {
    inventory = inv;
    synchronized (this) {
      LunEvents e = inv.lunEvents();
      if (e != events || !name.equals("b" + bus + ":t" + targetId)) {
        events = e;
        name = "b" + bus + ":t" + targetId;
        for (EmuDevice d : all.values()) {
          d.hookLifetime(e, name, d.lifetime().incarnation());
          e.lunAdded(name, d.lun(), d.lifetime().incarnation());
        }
      }
    }
  }

  /** This target's name in lifetime steps: {@code b<bus>:t<target>} once published. */
  public String lifetimeName() {
    return name;
  }

  void unlinkInventory(TargetInventory inv) {
    if (inventory == inv) {
      inventory = null;
    }
  }

  /** Snapshot of the LUNs, ascending. */
  public Map<Long, EmuDevice> luns() {
    return all;
  }

  public boolean isEmpty() {
    return all.isEmpty();
  }

  /**
   * Routes one command.
   *
   * @see org.camstack.stack.target.ScsiLun#execute
   */
  public ScsiResponse execute(long lun, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    return execute(lun, cdb, dataOut, dxferLen, initiatorId, null, 0);
  }

  /**
   * Routes one command without blocking: a command another node runs answers {@link
   * ScsiResponse#PENDING} and its answer goes to {@code later} ({@link EmuDevice#execute(ByteString,
   * ByteString, int, int, LaterAnswer, long)}).
   */
  public ScsiResponse execute(long lun, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId, LaterAnswer later, long tag) {
    EmuDevice d = device(lun);
    if (d != null) {
      return d.execute(cdb, dataOut, dxferLen, initiatorId, later, tag);
    }
    return noSuchLun(cdb, Math.max(0, dxferLen));
  }

  /**
   * Routes one command as a task the frontend completes later ({@link EmuDevice#start}); a LUN that
   * is not there answers at once with a task that holds nothing.
   */
  public LunTask start(long lun, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    return start(lun, cdb, dataOut, dxferLen, initiatorId, null, 0);
  }

  /**
   * As {@link #start(long, ByteString, ByteString, int, int)} without blocking: a command another
   * node runs gives a {@link ScsiResponse#PENDING} task whose answer goes to {@code later} ({@link
   * EmuDevice#start(ByteString, ByteString, int, int, LaterAnswer, long)}).
   */
  public LunTask start(long lun, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId, LaterAnswer later, long tag) {
    EmuDevice d = device(lun);
    if (d != null) {
      return d.start(cdb, dataOut, dxferLen, initiatorId, later, tag);
    }
    return new LunTask(noSuchLun(cdb, Math.max(0, dxferLen)), null);
  }

  /**
   * Adds a LUN and posts UA 3F/0E on the others.
   *
   * @throws IllegalArgumentException when the LUN number is taken, or still held by a removed LUN
   *     with tasks in flight
   */
  public synchronized void addLun(EmuDevice d) {
    put(d);
    for (EmuDevice other : all.values()) {
      if (other != d) {
        other.postUnitAttention(0x3f, 0x0e);
      }
    }
  }

  /** Removes a LUN (returned, or null when absent) and posts UA 3F/0E on the remaining ones. */
  public synchronized EmuDevice removeLun(long lun) {
    EmuDevice d = device(lun);
    if (d == null) {
      return null;
    }
    Map<Long, EmuDevice> m = new TreeMap<>(all);
    m.remove(lun);
    publish(m);
    draining.put(lun, d);
    d.lifetime().reportRemoved();
    d.markRemoved();
    d.whenFreed(() -> freed(lun, d));
    d.attach(null);
    for (EmuDevice other : m.values()) {
      other.postUnitAttention(0x3f, 0x0e);
    }
    return d;
  }

  private synchronized void freed(long lun, EmuDevice d) {
    draining.remove(lun, d);
  }

  /** LUN numbers of removed LUNs whose tasks have not all completed (not reusable yet). */
  public synchronized java.util.Set<Long> drainingLuns() {
    return java.util.Set.copyOf(draining.keySet());
  }

  /** SCSI bus reset seen by this target: every LUN resets and reports UA 29/02. */
  public void busReset() {
    for (EmuDevice d : all.values()) {
      d.reset(0x29, 0x02);
    }
  }

  /** Target reset / BUS DEVICE RESET: every LUN resets and reports UA 29/03. */
  public void targetReset() {
    for (EmuDevice d : all.values()) {
      d.reset(0x29, 0x03);
    }
  }

  private synchronized void put(EmuDevice d) {
    long lun = d.lun();
    if (all.containsKey(lun)) {
      throw new IllegalArgumentException("target " + targetId + " already has lun " + lun);
    }
    if (d.isRemoved()) {
      throw new IllegalArgumentException("lun " + lun + " was removed from a target; plug a new device instead");
    }
    EmuDevice old = draining.get(lun);
    if (old != null) {
      throw new IllegalArgumentException("target " + targetId + " lun " + lun + " was removed with "
          + old.tasksInFlight() + " task(s) still in flight; its number is free again once they complete");
    }
    if (d.target() != null && d.target() != this) {
      throw new IllegalArgumentException("lun " + lun + " already belongs to target " + d.target().targetId());
    }
    Map<Long, EmuDevice> m = new TreeMap<>(all);
    m.put(lun, d);
    d.attach(this);
    long inc = ++incarnations;
    d.hookLifetime(events, name, inc);
    events.lunAdded(name, lun, inc);
    publish(m);
  }

  private void publish(Map<Long, EmuDevice> m) {
    EmuDevice[] l = new EmuDevice[LOW];
    long[] luns = new long[m.size()];
    int i = 0;
    for (Map.Entry<Long, EmuDevice> e : m.entrySet()) {
      long lun = e.getKey();
      luns[i++] = lun;
      if (lun < LOW) {
        l[(int) lun] = e.getValue();
      }
    }
    all = Collections.unmodifiableMap(m);
    low = l;
    lunList = lunList(luns);
  }

  // ---------------------------------------------------------------- REPORT LUNS

  /** The REPORT LUNS parameter data for every LUN (header + 8-byte entries). */
  public ByteString reportLuns() {
    return lunList;
  }

  ScsiResponse reportLuns(ByteString cdb, int dxferLen) {
    return reportLuns(cdb, dxferLen, lunList);
  }

  /** REPORT LUNS parameter data: list length, 4 reserved bytes, then one entry per LUN. */
  static ByteString lunList(long[] luns) {
    byte[] b = new byte[8 + 8 * luns.length];
    Bytes.put32(b, 0, 8L * luns.length);
    for (int i = 0; i < luns.length; i++) {
      encodeLun(b, 8 + 8 * i, luns[i]);
    }
    return ByteString.fromArrayUnsafe(b);
  }

  /** SAM LUN encoding: peripheral device addressing below 256, flat space addressing up to 16383. */
  static void encodeLun(byte[] b, int off, long lun) {
    if (lun < 256) {
      b[off] = 0;
      b[off + 1] = (byte) lun;
    } else {
      b[off] = (byte) (0x40 | ((lun >>> 8) & 0x3f));
      b[off + 1] = (byte) lun;
    }
  }

  static ScsiResponse reportLuns(ByteString cdb, int dxferLen, ByteString list) {
    if (cdb.size() < 12) {
      return ScsiResponse.checkCondition(Sense.illegalField(0x24, 0x00, true, 0, -1), dxferLen);
    }
    int select = u8(cdb, 2);
    long alloc = be32(cdb, 6);
    ByteString data;
    switch (select) {
      case 0x00:
      case 0x02:
      case 0x11:
        data = list;
        break;
      case 0x01:
      case 0x10:
      case 0x12:
        data = lunList(new long[0]); // no well-known or administrative LUNs
        break;
      default:
        return ScsiResponse.checkCondition(Sense.illegalField(0x24, 0x00, true, 2, -1), dxferLen);
    }
    return EmuDevice.goodData(data, (int) Math.min(alloc, Integer.MAX_VALUE), dxferLen);
  }

  // ---------------------------------------------------------------- absent LUNs

  /** The answer for a LUN that is not (or no longer) there, addressed through this target. */
  ScsiResponse absentLun(ByteString cdb, int dxferLen) {
    return noSuchLun(cdb, dxferLen, lunList);
  }

  private ScsiResponse noSuchLun(ByteString cdb, int dxferLen) {
    return noSuchLun(cdb, dxferLen, lunList);
  }

  static ScsiResponse noSuchLun(ByteString cdb, int dxferLen, ByteString lunList) {
    if (cdb == null || cdb.isEmpty()) {
      return ScsiResponse.checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x20, 0x00), dxferLen);
    }
    int op = u8(cdb, 0);
    if (cdb.size() < EmuDevice.cdbLength(op)) {
      return ScsiResponse.checkCondition(Sense.illegalField(0x24, 0x00, true, 0, -1), dxferLen);
    }
    switch (op) {
      case INQUIRY: {
        if ((u8(cdb, 1) & 0x01) != 0) {
          return ScsiResponse.checkCondition(NOT_SUPPORTED, dxferLen);
        }
        byte[] b = new byte[36];
        b[0] = 0x7f; // qualifier 3: not capable of supporting a device here; type 0x1f
        b[2] = 0x06;
        b[3] = 0x12;
        b[4] = 31;
        return EmuDevice.goodData(ByteString.fromArrayUnsafe(b), Bytes.be16(cdb, 3), dxferLen);
      }
      case REQUEST_SENSE: {
        ByteString s = (u8(cdb, 1) & 0x01) != 0 ? Sense.toDescriptor(NOT_SUPPORTED) : NOT_SUPPORTED;
        return EmuDevice.goodData(s, u8(cdb, 4), dxferLen);
      }
      case REPORT_LUNS:
        return reportLuns(cdb, dxferLen, lunList);
      default:
        return ScsiResponse.checkCondition(NOT_SUPPORTED, dxferLen);
    }
  }

  @Override
  public String toString() {
    return "EmuTarget[" + targetId + " luns " + all.keySet() + "]";
  }
}
