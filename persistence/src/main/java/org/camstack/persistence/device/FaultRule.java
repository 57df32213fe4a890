package org.camstack.persistence.device;

import org.camstack.persistence.serialization.JsonSerializable;

/**
 * A fault-injection rule of one device (per-LU, per-LBA, in the manner of CTL's {@code inject}
 * and scsi_debug's per-device rules): the one rule type of camstack. The stack's emulated LUN
 * interprets it (org.camstack.stack.target.EmuDevice), the journal keeps it across restarts in
 * exactly this form, so a live rule and its journal entry are the same value.
 *
 * <p>The journal accepts any {@code kind} and {@code opClass} name (it outlives code versions); the
 * names the emulator implements are the constants below, and the factories build only those. A
 * rule the emulator does not understand is refused when added to a device, and left out (with a
 * warning) when restored from the journal.
 *
 * @param id caller-chosen rule id, unique per device
 * @param kind what happens: {@link #MEDIUM_ERROR}, {@link #UNIT_ATTENTION}, {@link
 *     #ABORTED_COMMAND}, {@link #BUSY}, {@link #TASK_SET_FULL}, {@link #TIMEOUT}, {@link
 *     #CUSTOM_SENSE}
 * @param opClass which commands match: {@link #READ}, {@link #WRITE} or {@link #ANY} (blank: any)
 * @param lbaFirst first LBA of the range (inclusive)
 * @param lbaLast last LBA of the range (inclusive); {@code 0..Long.MAX_VALUE} means no range:
 *     every command of the class matches, not only media-access commands
 * @param oneShot true: fires once, then is consumed (the stack sends {@code ConsumeFaultRule});
 *     false: continuous until removed
 * @param senseHex fixed-format sense data as lowercase hex; empty: the kind's default sense
 */
public record FaultRule(
    String id,
    String kind,
    String opClass,
    long lbaFirst,
    long lbaLast,
    boolean oneShot,
    String senseHex)
    implements JsonSerializable {

  /** CHECK CONDITION 03/11/00 (reads) or 03/0C/00 (writes), INFORMATION = first bad LBA. */
  public static final String MEDIUM_ERROR = "medium-error";
  /** CHECK CONDITION 06/asc/ascq for this command only (not queued). */
  public static final String UNIT_ATTENTION = "unit-attention";
  /** CHECK CONDITION 0B/47/00 (or the rule's asc/ascq). */
  public static final String ABORTED_COMMAND = "aborted-command";
  /** Status BUSY. */
  public static final String BUSY = "busy";
  /** Status TASK SET FULL. */
  public static final String TASK_SET_FULL = "task-set-full";
  /** No completion at all: the initiator's timeout fires. */
  public static final String TIMEOUT = "timeout";
  /** CHECK CONDITION with the rule's sense key, ASC and ASCQ. */
  public static final String CUSTOM_SENSE = "custom-sense";

  /** READ(6/10/12/16), VERIFY(10/12/16). */
  public static final String READ = "read";
  /** WRITE(6/10/12/16), WRITE SAME(10/16), UNMAP, WRITE AND VERIFY. */
  public static final String WRITE = "write";
  /** Every command the LUN implements, including INQUIRY. */
  public static final String ANY = "any";

  /** Last LBA of a rule without a range. */
  public static final long NO_LBA_LIMIT = Long.MAX_VALUE;

  private static final int SENSE_LENGTH = 18;

  public FaultRule {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("fault rule needs an id");
    }
    if (kind == null || kind.isBlank()) {
      throw new IllegalArgumentException("fault rule " + id + " needs a kind");
    }
    opClass = opClass == null || opClass.isBlank() ? ANY : opClass;
    if (lbaFirst < 0 || lbaLast < lbaFirst) {
      throw new IllegalArgumentException("fault rule " + id + ": bad LBA range");
    }
    senseHex = senseHex == null ? "" : senseHex;
    if (!Hex.isHex(senseHex)) {
      throw new IllegalArgumentException("fault rule " + id + ": sense is not hex");
    }
  }

  // ------------------------------------------------------------------ factories (one-shot)

  /** Medium error on {@code count} blocks from {@code lba} for commands of {@code opClass}. */
  public static FaultRule mediumError(String id, String opClass, long lba, long count) {
    return of(id, MEDIUM_ERROR, opClass, "").onLbas(lba, count);
  }

  /** A unit attention with this ASC/ASCQ. */
  public static FaultRule unitAttention(String id, String opClass, int asc, int ascq) {
    return of(id, UNIT_ATTENTION, opClass, fixedSense(0x06, asc, ascq));
  }

  /** ABORTED COMMAND 0B/47/00. */
  public static FaultRule abortedCommand(String id, String opClass) {
    return of(id, ABORTED_COMMAND, opClass, "");
  }

  public static FaultRule busy(String id, String opClass) {
    return of(id, BUSY, opClass, "");
  }

  public static FaultRule taskSetFull(String id, String opClass) {
    return of(id, TASK_SET_FULL, opClass, "");
  }

  public static FaultRule timeout(String id, String opClass) {
    return of(id, TIMEOUT, opClass, "");
  }

  /** CHECK CONDITION {@code key/asc/ascq}. */
  public static FaultRule customSense(String id, String opClass, int key, int asc, int ascq) {
    return of(id, CUSTOM_SENSE, opClass, fixedSense(key, asc, ascq));
  }

  private static FaultRule of(String id, String kind, String opClass, String senseHex) {
    return new FaultRule(id, kind, opClass, 0, NO_LBA_LIMIT, true, senseHex);
  }

  // ------------------------------------------------------------------ variants

  /** The same rule restricted to {@code count} blocks from {@code lba}. */
  public FaultRule onLbas(long lba, long count) {
    if (count <= 0 || lba < 0 || lba > Long.MAX_VALUE - count) {
      throw new IllegalArgumentException("fault rule " + id + ": bad LBA range " + lba + "+" + count);
    }
    return new FaultRule(id, kind, opClass, lba, lba + count - 1, oneShot, senseHex);
  }

  /** The same rule firing on every match until removed ({@code ctladm inject -c}). */
  public FaultRule continuous() {
    return new FaultRule(id, kind, opClass, lbaFirst, lbaLast, false, senseHex);
  }

  /** The same rule with its sense replaced by fixed-format {@code key/asc/ascq}. */
  public FaultRule withSense(int key, int asc, int ascq) {
    return new FaultRule(id, kind, opClass, lbaFirst, lbaLast, oneShot, fixedSense(key, asc, ascq));
  }

  // ------------------------------------------------------------------ reading it

  /** False for the whole device ({@code 0..Long.MAX_VALUE}). */
  public boolean hasLbaRange() {
    return lbaFirst != 0 || lbaLast != NO_LBA_LIMIT;
  }

  /** Does [{@code lba}, {@code lba + blocks}) overlap the rule's range? */
  public boolean overlaps(long lba, long blocks) {
    return blocks > 0 && lba <= lbaLast && lbaFirst <= lba + blocks - 1;
  }

  /** The sense key of {@link #senseHex}, -1 when the rule has no sense. */
  public int senseKey() {
    int b0 = senseByte(0);
    return b0 < 0 ? -1 : (isDescriptor(b0) ? senseByte(1) : senseByte(2)) & 0x0f;
  }

  /** The additional sense code of {@link #senseHex}, -1 when absent (the kind's default). */
  public int asc() {
    int b0 = senseByte(0);
    return b0 < 0 ? -1 : senseByte(isDescriptor(b0) ? 2 : 12);
  }

  /** The qualifier of {@link #asc()}, -1 when absent. */
  public int ascq() {
    int b0 = senseByte(0);
    return b0 < 0 ? -1 : senseByte(isDescriptor(b0) ? 3 : 13);
  }

  private static boolean isDescriptor(int b0) {
    int code = b0 & 0x7f;
    return code == 0x72 || code == 0x73;
  }

  private int senseByte(int i) {
    return 2 * i + 2 <= senseHex.length() ? Integer.parseInt(senseHex.substring(2 * i, 2 * i + 2), 16) : -1;
  }

  /**
   * Fixed-format sense data (response code 0x70, 18 bytes) as lowercase hex, as SPC lays it out
   * and as the stack's {@code Sense.fixed} builds it.
   */
  public static String fixedSense(int key, int asc, int ascq) {
    if (key < 0 || key > 0x0f || asc < 0 || asc > 0xff || ascq < 0 || ascq > 0xff) {
      throw new IllegalArgumentException(String.format("bad sense %d/%d/%d", key, asc, ascq));
    }
    byte[] b = new byte[SENSE_LENGTH];
    b[0] = 0x70;
    b[2] = (byte) key;
    b[7] = (byte) (SENSE_LENGTH - 8);
    b[12] = (byte) asc;
    b[13] = (byte) ascq;
    StringBuilder sb = new StringBuilder(2 * SENSE_LENGTH);
    for (byte x : b) {
      sb.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
    }
    return sb.toString();
  }
}
