package org.camstack.stack.ccb;

/**
 * Bits of {@link Ccb.PathInqResult#hbaInquiry()} ({@code PI_*}) and {@link
 * Ccb.PathInqResult#hbaMisc()} ({@code PIM_*}). cf. {@code struct ccb_pathinq} in
 * sys/cam/cam_ccb.h.
 */
public final class HbaFlags {
  private HbaFlags() {}

  // hba_inquiry
  public static final int PI_MDP_ABLE = 0x80;
  public static final int PI_WIDE_32 = 0x40;
  public static final int PI_WIDE_16 = 0x20;
  public static final int PI_SDTR_ABLE = 0x10;
  public static final int PI_LINKED_CDB = 0x08;
  public static final int PI_SATAPM = 0x04;
  /** The SIM supports tagged queueing. */
  public static final int PI_TAG_ABLE = 0x02;
  public static final int PI_SOFT_RST = 0x01;

  // hba_misc
  public static final int PIM_SCANHILO = 0x80;
  public static final int PIM_NOREMOVE = 0x40;
  public static final int PIM_NOINITIATOR = 0x20;
  public static final int PIM_NOBUSRESET = 0x10;
  public static final int PIM_NO_6_BYTE = 0x08;
  /** Scan targets one at a time. */
  public static final int PIM_SEQSCAN = 0x04;
  public static final int PIM_UNMAPPED = 0x02;
  /** Do not scan the bus when it registers. */
  public static final int PIM_NOSCAN = 0x01;
}
