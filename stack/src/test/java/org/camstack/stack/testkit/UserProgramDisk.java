package org.camstack.stack.testkit;

import org.camstack.stack.scsi.Bytes;

/**
 * What the tests' user-program disks (a targ(4) LUN played in process by {@code TargBusTest} and over
 * HTTP by {@code TargDiskProgram}) answer to a standard INQUIRY: a direct-access device, SPC-3,
 * "USERPROG TARG-DISK 0001".
 */
public final class UserProgramDisk {

  private UserProgramDisk() {}

  /** The 36-byte standard INQUIRY data (cf. SPC-4 6.6.2). */
  public static byte[] standardInquiry() {
    byte[] b = new byte[36];
    b[2] = 0x05; // VERSION: SPC-3
    b[3] = 0x02; // RESPONSE DATA FORMAT 2
    b[4] = 31; // ADDITIONAL LENGTH
    b[7] = 0x02; // CMDQUE
    Bytes.putAscii(b, 8, "USERPROG", 8);
    Bytes.putAscii(b, 16, "TARG-DISK", 16);
    Bytes.putAscii(b, 32, "0001", 4);
    return b;
  }
}
