package org.camstack.stack.ccb;

/**
 * Bits of {@code ccb_flags} (cf. sys/cam/cam_ccb.h) carried in {@link Ccb.Header#flags()}, and the
 * {@code sense_flags} a periph passes to its error recovery.
 */
public final class CcbFlags {
  private CcbFlags() {}

  public static final int CDB_POINTER = 0x00000001;
  public static final int QUEUE_ENABLE = 0x00000002;
  public static final int CDB_LINKED = 0x00000004;
  public static final int NEGOTIATE = 0x00000008;
  public static final int DATA_ISPHYS = 0x00000010;
  /** {@code CAM_DIS_AUTOSENSE}: do not fetch sense automatically on CHECK CONDITION. */
  public static final int DIS_AUTOSENSE = 0x00000020;
  /** {@code CAM_DIR_IN}: data from device to host. */
  public static final int DIR_IN = 0x00000040;
  /** {@code CAM_DIR_OUT}: data from host to device. */
  public static final int DIR_OUT = 0x00000080;
  /** {@code CAM_DIR_NONE}: no data phase. */
  public static final int DIR_NONE = 0x000000C0;
  public static final int DIR_MASK = 0x000000C0;
  public static final int DIS_DISCONNECT = 0x00008000;
  /** {@code CAM_DEV_QFRZDIS}: do not freeze the device queue when this CCB fails. */
  public static final int DEV_QFRZDIS = 0x00000400;
  /** {@code CAM_DEV_QFREEZE}: freeze the device queue after this CCB. */
  public static final int DEV_QFREEZE = 0x00000800;
  public static final int HIGH_POWER = 0x00001000;
  public static final int SENSE_PTR = 0x00002000;
  public static final int SENSE_PHYS = 0x00004000;
  public static final int TAG_ACTION_VALID = 0x00008000;
  /** {@code CAM_PASS_ERR_RECOVER}: let the pass driver run error recovery. */
  public static final int PASS_ERR_RECOVER = 0x00010000;

  // sense_flags (cf. cam_periph_error()), used by PeriphError
  public static final int SF_RETRY_UA = 0x01;
  public static final int SF_NO_PRINT = 0x02;
  public static final int SF_QUIET_IR = 0x04;
  public static final int SF_PRINT_ALWAYS = 0x08;
  public static final int SF_NO_RECOVERY = 0x10;
  public static final int SF_NO_RETRY = 0x20;
  public static final int SF_RETRY_BUSY = 0x40;

  /** Direction bits of {@code flags}. */
  public static int direction(int flags) {
    return flags & DIR_MASK;
  }
}
