package org.camstack.stack.ccb;

import java.util.EnumSet;
import java.util.Set;

/**
 * Asynchronous event codes a subscriber registers for. cf. {@code ac_code} in sys/cam/cam_ccb.h
 * ({@code xpt_register_async()}, {@code xpt_async()}).
 */
public enum AsyncCode {
  AC_BUS_RESET(0x0001),
  AC_UNSOL_RESEL(0x0002),
  AC_SCSI_AEN(0x0008),
  AC_SENT_BDR(0x0010),
  AC_PATH_REGISTERED(0x0020),
  AC_PATH_DEREGISTERED(0x0040),
  AC_FOUND_DEVICE(0x0080),
  AC_LOST_DEVICE(0x0100),
  AC_TRANSFER_NEG(0x0200),
  AC_INQ_CHANGED(0x0400),
  AC_GETDEV_CHANGED(0x0800),
  AC_CONTRACT(0x1000),
  AC_ADVINFO_CHANGED(0x2000),
  AC_UNIT_ATTENTION(0x4000);

  private final int bit;

  AsyncCode(int bit) {
    this.bit = bit;
  }

  public int bit() {
    return bit;
  }

  public static Set<AsyncCode> fromMask(int mask) {
    EnumSet<AsyncCode> s = EnumSet.noneOf(AsyncCode.class);
    for (AsyncCode c : values()) {
      if ((mask & c.bit) != 0) {
        s.add(c);
      }
    }
    return s;
  }

  public static int toMask(Set<AsyncCode> codes) {
    int m = 0;
    for (AsyncCode c : codes) {
      m |= c.bit;
    }
    return m;
  }
}
