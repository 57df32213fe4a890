package org.camstack.stack.ccb;

/**
 * XPT function codes with their queueing flags. The record type of a {@link Ccb} <em>is</em> its
 * function code; this enum carries the numeric value and the {@code XPT_FC_*} flags for display,
 * for the pass driver's "XPT-only" check, and for wire formats.
 *
 * <p>cf. {@code xpt_opcode} in sys/cam/cam_ccb.h.
 */
public enum FuncCode {
  XPT_NOOP(0x00, 0),
  XPT_SCSI_IO(0x01, Flags.DEV_QUEUED),
  XPT_GDEV_TYPE(0x02, 0),
  XPT_GDEVLIST(0x03, 0),
  XPT_PATH_INQ(0x04, 0),
  XPT_REL_SIMQ(0x05, 0),
  XPT_SASYNC_CB(0x06, 0),
  XPT_SDEV_TYPE(0x07, 0),
  XPT_SCAN_BUS(0x08, Flags.QUEUED | Flags.USER_CCB | Flags.XPT_ONLY),
  XPT_DEV_MATCH(0x09, Flags.XPT_ONLY),
  XPT_DEBUG(0x0a, 0),
  XPT_PATH_STATS(0x0b, 0),
  XPT_GDEV_STATS(0x0c, 0),
  XPT_DEV_ADVINFO(0x0e, 0),
  XPT_ABORT(0x10, 0),
  XPT_RESET_BUS(0x11, Flags.XPT_ONLY),
  XPT_RESET_DEV(0x12, Flags.DEV_QUEUED),
  XPT_TERM_IO(0x13, 0),
  XPT_SCAN_LUN(0x14, Flags.QUEUED | Flags.USER_CCB | Flags.XPT_ONLY),
  XPT_GET_TRAN_SETTINGS(0x15, 0),
  XPT_SET_TRAN_SETTINGS(0x16, 0),
  XPT_CALC_GEOMETRY(0x17, 0),
  XPT_SCAN_TGT(0x1e, Flags.QUEUED | Flags.USER_CCB | Flags.XPT_ONLY),
  /** Serial Management Protocol request to an SMP target (a SAS expander). */
  XPT_SMP_IO(0x1b, Flags.DEV_QUEUED);

  /** {@code XPT_FC_*} bits. */
  public static final class Flags {
    private Flags() {}

    public static final int QUEUED = 0x100;
    public static final int USER_CCB = 0x200;
    public static final int XPT_ONLY = 0x400;
    public static final int DEV_QUEUED = 0x800 | QUEUED;
  }

  private final int value;
  private final int flags;

  FuncCode(int value, int flags) {
    this.value = value;
    this.flags = flags;
  }

  /** The C value including flag bits, e.g. {@code 0x901} for XPT_SCSI_IO. */
  public int value() {
    return value | flags;
  }

  /** The bare function number. */
  public int number() {
    return value;
  }

  /** Only reachable through the XPT device ({@code /dev/xpt0}); pass(4) refuses it with ENODEV. */
  public boolean xptOnly() {
    return (flags & Flags.XPT_ONLY) != 0;
  }

  /** Goes through the device queue (openings, freeze) rather than being executed immediately. */
  public boolean devQueued() {
    return (flags & Flags.DEV_QUEUED) == Flags.DEV_QUEUED;
  }

  public boolean queued() {
    return (flags & Flags.QUEUED) != 0;
  }
}
