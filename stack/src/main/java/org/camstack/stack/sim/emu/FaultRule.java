package org.camstack.stack.sim.emu;

import org.camstack.stack.scsi.Sense;

/**
 * One injected error on a LUN, in the style of {@code ctladm inject} and scsi_debug's per-device
 * error rules. A rule matches a command of its {@link CommandClass} (and, when it has an LBA range,
 * only media-access commands touching that range); a one-shot rule is removed when it fires, a
 * continuous one stays until {@link EmuDevice#removeFault}.
 *
 * @param id caller's name for the rule (unique per LUN)
 * @param kind what the device answers
 * @param commands which commands it applies to
 * @param continuous fire on every match, else once
 * @param lbaStart first LBA of the range, or -1 for any command of the class
 * @param lbaCount blocks in the range (ignored when {@code lbaStart < 0})
 * @param senseKey for {@link Kind#CUSTOM_SENSE}
 * @param asc for UNIT_ATTENTION, ABORTED_COMMAND and CUSTOM_SENSE (-1 = the kind's default)
 * @param ascq likewise
 */
public record FaultRule(
    String id,
    Kind kind,
    CommandClass commands,
    boolean continuous,
    long lbaStart,
    long lbaCount,
    int senseKey,
    int asc,
    int ascq) {

  /** What an injected fault answers. */
  public enum Kind {
    /** 03/11/00 (reads) or 03/0C/00 (writes) with INFORMATION = first bad LBA. */
    MEDIUM_ERROR,
    /** CHECK CONDITION 06/asc/ascq for this command only (not queued). */
    UNIT_ATTENTION,
    /** 0B/47/00 (or asc/ascq given). */
    ABORTED_COMMAND,
    /** Status BUSY (0x08). */
    BUSY,
    /** Status TASK SET FULL (0x28). */
    TASK_SET_FULL,
    /** No completion ({@link org.camstack.stack.sim.ScsiResponse#DROPPED}). */
    TIMEOUT,
    /** CHECK CONDITION key/asc/ascq. */
    CUSTOM_SENSE
  }

  /** ctladm's read / write / any patterns. */
  public enum CommandClass {
    /** READ(6/10/12/16), VERIFY(10/12/16). */
    READ,
    /** WRITE(6/10/12/16), WRITE SAME(10/16), UNMAP, WRITE AND VERIFY. */
    WRITE,
    /** Every command the LUN implements, including INQUIRY. */
    ANY
  }

  public FaultRule {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("fault rule needs an id");
    }
    if (kind == null || commands == null) {
      throw new IllegalArgumentException("fault rule " + id + ": kind and command class are required");
    }
    if (lbaStart >= 0 && lbaCount <= 0) {
      throw new IllegalArgumentException("fault rule " + id + ": LBA range needs a positive count");
    }
    if (kind == Kind.CUSTOM_SENSE && (senseKey < 0 || senseKey > 0xf)) {
      throw new IllegalArgumentException("fault rule " + id + ": sense key " + senseKey + " out of range");
    }
    if (asc > 0xff || ascq > 0xff || (asc < 0) != (ascq < 0)) {
      throw new IllegalArgumentException("fault rule " + id + ": bad asc/ascq " + asc + "/" + ascq);
    }
    if (kind == Kind.UNIT_ATTENTION && asc < 0) {
      throw new IllegalArgumentException("fault rule " + id + ": unit attention needs asc/ascq");
    }
  }

  /** Medium error on {@code count} blocks from {@code lba} for the given class. */
  public static FaultRule mediumError(String id, CommandClass commands, long lba, long count, boolean continuous) {
    return new FaultRule(id, Kind.MEDIUM_ERROR, commands, continuous, lba, count, Sense.MEDIUM_ERROR, -1, -1);
  }

  public static FaultRule unitAttention(String id, CommandClass commands, int asc, int ascq, boolean continuous) {
    return new FaultRule(id, Kind.UNIT_ATTENTION, commands, continuous, -1, 0, Sense.UNIT_ATTENTION, asc, ascq);
  }

  public static FaultRule abortedCommand(String id, CommandClass commands, boolean continuous) {
    return new FaultRule(id, Kind.ABORTED_COMMAND, commands, continuous, -1, 0, Sense.ABORTED_COMMAND, -1, -1);
  }

  public static FaultRule busy(String id, CommandClass commands, boolean continuous) {
    return new FaultRule(id, Kind.BUSY, commands, continuous, -1, 0, 0, -1, -1);
  }

  public static FaultRule taskSetFull(String id, CommandClass commands, boolean continuous) {
    return new FaultRule(id, Kind.TASK_SET_FULL, commands, continuous, -1, 0, 0, -1, -1);
  }

  public static FaultRule timeout(String id, CommandClass commands, boolean continuous) {
    return new FaultRule(id, Kind.TIMEOUT, commands, continuous, -1, 0, 0, -1, -1);
  }

  public static FaultRule customSense(String id, CommandClass commands, int key, int asc, int ascq, boolean continuous) {
    return new FaultRule(id, Kind.CUSTOM_SENSE, commands, continuous, -1, 0, key, asc, ascq);
  }

  /** The same rule restricted to {@code count} blocks from {@code lba}. */
  public FaultRule onLbas(long lba, long count) {
    return new FaultRule(id, kind, commands, continuous, lba, count, senseKey, asc, ascq);
  }

  public boolean hasLbaRange() {
    return lbaStart >= 0;
  }

  /** Does [{@code lba}, {@code lba + blocks}) overlap the rule's range? */
  boolean overlaps(long lba, long blocks) {
    return blocks > 0 && lba < lbaStart + lbaCount && lbaStart < lba + blocks;
  }
}
