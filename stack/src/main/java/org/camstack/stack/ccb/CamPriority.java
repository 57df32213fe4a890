package org.camstack.stack.ccb;

/**
 * CCB priorities and run levels. A priority is {@code runLevel << 8 | value}; lower is more urgent.
 * A device queue only dispatches CCBs whose run level is at or below the device's current run level
 * (while a bus settles after a reset only {@link #BUS}-level CCBs run).
 *
 * <p>cf. {@code CAM_RL_*} and {@code CAM_PRIORITY_*} in sys/cam/cam.h.
 */
public final class CamPriority {
  private CamPriority() {}

  public static final int RL_HOST = 0;
  public static final int RL_BUS = 1;
  public static final int RL_XPT = 2;
  public static final int RL_DEV = 3;
  public static final int RL_NORMAL = 4;

  public static final int HOST = (RL_HOST << 8) + 0x80;
  public static final int BUS = (RL_BUS << 8) + 0x80;
  public static final int XPT = (RL_XPT << 8) + 0x80;
  public static final int DEV = (RL_DEV << 8) + 0x80;
  /** Out-of-band device work (error recovery), ahead of normal I/O. */
  public static final int OOB = RL_DEV << 8;
  public static final int NORMAL = (RL_NORMAL << 8) + 0x80;
  public static final int NONE = -1;

  public static int runLevel(int priority) {
    return priority >> 8;
  }
}
