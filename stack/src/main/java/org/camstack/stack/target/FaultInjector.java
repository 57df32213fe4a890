package org.camstack.stack.target;

import static org.camstack.stack.target.CommandTable.F_LBA;
import static org.camstack.stack.target.CommandTable.F_READ;
import static org.camstack.stack.target.CommandTable.F_WRITE;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.camstack.persistence.device.FaultRule;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;

/**
 * The injected faults and completion delay of one logical unit (cf. scsi_debug's {@code opts} /
 * {@code every_nth}, {@code ctladm inject}, {@code ctladm delay}): the {@link FaultRule}s matched
 * against each command after the unit-attention and reservation checks, in insertion order, the
 * first match answering; one-shot rules fire exactly once even against a concurrent removal.
 *
 * <p>Thread-safe: rules are an immutable array swapped under this object's lock, read lock-free by
 * the command path.
 */
final class FaultInjector {

  /** Who hears about changes (the device's {@link DeviceStateSink}). */
  interface Listener {
    /** A rule was added, removed or consumed, or the delay changed ({@code aspect}). */
    void changed(int aspect);

    /** A one-shot rule fires; called under the injector's lock just before it leaves the list. */
    void fired(FaultRule rule);
  }

  private static final FaultRule[] NO_FAULTS = new FaultRule[0];

  private final Listener listener;
  private volatile FaultRule[] faults = NO_FAULTS;
  private volatile Delay delay = Delay.NONE;

  FaultInjector(Listener listener) {
    this.listener = listener;
  }

  /** Adds (or replaces, by id) a rule; refuses one the target layer cannot answer. */
  void add(FaultRule rule) {
    checkImplemented(rule);
    synchronized (this) {
      FaultRule[] cur = faults;
      List<FaultRule> next = new ArrayList<>(cur.length + 1);
      for (FaultRule f : cur) {
        if (!f.id().equals(rule.id())) {
          next.add(f);
        }
      }
      next.add(rule);
      faults = next.toArray(NO_FAULTS);
    }
    listener.changed(DeviceStateSink.FAULTS);
  }

  boolean remove(String id) {
    boolean removed;
    synchronized (this) {
      FaultRule[] cur = faults;
      FaultRule[] next = Arrays.stream(cur).filter(f -> !f.id().equals(id)).toArray(FaultRule[]::new);
      faults = next.length == 0 ? NO_FAULTS : next;
      removed = next.length != cur.length;
    }
    if (removed) {
      listener.changed(DeviceStateSink.FAULTS);
    }
    return removed;
  }

  void clear() {
    synchronized (this) {
      faults = NO_FAULTS;
    }
    listener.changed(DeviceStateSink.FAULTS);
  }

  List<FaultRule> rules() {
    return List.of(faults);
  }

  void setDelay(Delay d) {
    Delay next = d == null ? Delay.NONE : d;
    if (!next.equals(delay)) {
      delay = next;
      listener.changed(DeviceStateSink.DELAY);
    }
  }

  Delay delay() {
    return delay;
  }

  /** The response with the injected delay applied (a dropped one stays dropped). */
  ScsiResponse delayed(ScsiResponse r) {
    Delay d = delay;
    return d.maxNanos() != 0 && !r.dropped() ? r.withDelay(d.next()) : r;
  }

  /** Refuses a rule the device cannot answer (the journal keeps any name; the device does not). */
  static void checkImplemented(FaultRule r) {
    switch (r.kind()) {
      case FaultRule.MEDIUM_ERROR, FaultRule.ABORTED_COMMAND, FaultRule.BUSY, FaultRule.TASK_SET_FULL,
          FaultRule.TIMEOUT -> {}
      case FaultRule.UNIT_ATTENTION, FaultRule.CUSTOM_SENSE -> {
        if (r.asc() < 0) {
          throw new IllegalArgumentException("fault rule " + r.id() + ": " + r.kind() + " needs sense data");
        }
      }
      default -> throw new IllegalArgumentException("fault rule " + r.id() + ": unknown kind " + r.kind());
    }
    switch (r.opClass()) {
      case FaultRule.READ, FaultRule.WRITE, FaultRule.ANY -> {}
      default -> throw new IllegalArgumentException(
          "fault rule " + r.id() + ": unknown command class " + r.opClass() + " (read, write or any)");
    }
  }

  /**
   * The injected answer to a command with {@code flags} ({@link CommandTable}'s F_*), or null when
   * no rule matches (the fast path: one volatile read).
   *
   * @param descriptorSense answer sense in descriptor format (control page D_SENSE)
   */
  ScsiResponse inject(int op, int flags, ByteString cdb, int dxferLen, boolean descriptorSense) {
    FaultRule[] fs = faults;
    if (fs.length == 0) {
      return null;
    }
    boolean hasLba = (flags & F_LBA) != 0;
    long lba = hasLba ? CommandTable.cdbLba(op, cdb) : -1;
    long blocks = hasLba ? CommandTable.cdbBlocks(op, cdb) : 0;
    for (FaultRule f : fs) {
      switch (f.opClass()) {
        case FaultRule.READ:
          if ((flags & F_READ) == 0) {
            continue;
          }
          break;
        case FaultRule.WRITE:
          if ((flags & F_WRITE) == 0) {
            continue;
          }
          break;
        default:
          break;
      }
      long firstBad = lba;
      if (f.hasLbaRange()) {
        if (!hasLba || !f.overlaps(lba, blocks)) {
          continue;
        }
        firstBad = Math.max(lba, f.lbaFirst());
      }
      if (f.oneShot()) {
        if (!consumeOneShot(f)) {
          continue; // a one-shot rule fires once, even against a concurrent removal
        }
        listener.changed(DeviceStateSink.FAULTS);
      }
      return response(f, (flags & F_WRITE) != 0, firstBad, dxferLen, descriptorSense);
    }
    return null;
  }

  /**
   * Removes a one-shot rule that fires; false when it is gone already. The listener hears that it
   * fired before the rule disappears from {@link #rules()}, so whoever reads the list without it
   * knows it was consumed, not deleted.
   */
  private boolean consumeOneShot(FaultRule rule) {
    synchronized (this) {
      FaultRule[] cur = faults;
      FaultRule[] next = Arrays.stream(cur).filter(f -> f != rule).toArray(FaultRule[]::new);
      if (next.length == cur.length) {
        return false;
      }
      listener.fired(rule);
      faults = next.length == 0 ? NO_FAULTS : next;
      return true;
    }
  }

  private static ScsiResponse response(FaultRule f, boolean write, long firstBad, int dxferLen, boolean desc) {
    switch (f.kind()) {
      case FaultRule.MEDIUM_ERROR: {
        int asc = f.asc() >= 0 ? f.asc() : write ? 0x0c : 0x11;
        int ascq = f.asc() >= 0 ? f.ascq() : 0x00;
        ByteString s = firstBad >= 0 && firstBad <= 0xffffffffL
            ? Sense.fixedWithInfo(Sense.MEDIUM_ERROR, asc, ascq, firstBad)
            : Sense.fixed(Sense.MEDIUM_ERROR, asc, ascq);
        return check(s, dxferLen, desc);
      }
      case FaultRule.UNIT_ATTENTION:
        return check(Sense.fixed(Sense.UNIT_ATTENTION, f.asc(), f.ascq()), dxferLen, desc);
      case FaultRule.ABORTED_COMMAND:
        return check(Sense.fixed(Sense.ABORTED_COMMAND, f.asc() >= 0 ? f.asc() : 0x47, f.asc() >= 0 ? f.ascq() : 0x00), dxferLen, desc);
      case FaultRule.BUSY:
        return ScsiResponse.status(ScsiStatus.BUSY, dxferLen);
      case FaultRule.TASK_SET_FULL:
        return ScsiResponse.status(ScsiStatus.QUEUE_FULL, dxferLen);
      case FaultRule.TIMEOUT:
        return ScsiResponse.DROPPED;
      case FaultRule.CUSTOM_SENSE:
      default:
        return check(Sense.fixed(f.senseKey(), Math.max(0, f.asc()), Math.max(0, f.ascq())), dxferLen, desc);
    }
  }

  private static ScsiResponse check(ByteString fixedSense, int dxferLen, boolean desc) {
    return EmuDevice.checkCondition(fixedSense, dxferLen, desc);
  }
}
