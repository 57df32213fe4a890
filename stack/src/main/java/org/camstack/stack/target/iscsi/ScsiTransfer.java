package org.camstack.stack.target.iscsi;

/**
 * The SCSI transfer length of the block read/write commands, which a transport needs to report
 * residual overflow and underflow against its Expected Data Transfer Length (RFC 7143 §11.4.5,
 * SAM-5 5.4.3) and to write no more than the smaller of the two. Other commands: unknown (-1).
 */
final class ScsiTransfer {
  private ScsiTransfer() {}

  /** Whether the opcode moves blocks to the device (WRITE, WRITE AND VERIFY). */
  static boolean isBlockWrite(int op) {
    return switch (op) {
      case 0x0a, 0x2a, 0xaa, 0x8a, 0x2e, 0xae, 0x8e -> true;
      default -> false;
    };
  }

  /** Whether the opcode moves blocks from the device (READ 6/10/12/16). */
  static boolean isBlockRead(int op) {
    return switch (op) {
      case 0x08, 0x28, 0xa8, 0x88 -> true;
      default -> false;
    };
  }

  /** The transfer length in blocks of a block read/write CDB, -1 if not one or too short. */
  static long blocks(byte[] cdb) {
    if (cdb.length == 0) {
      return -1;
    }
    int op = cdb[0] & 0xFF;
    return switch (op) {
      case 0x08, 0x0a -> cdb.length < 6 ? -1 : ((cdb[4] & 0xFF) == 0 ? 256 : (cdb[4] & 0xFF));
      case 0x28, 0x2a, 0x2e -> cdb.length < 10 ? -1 : be(cdb, 7, 2);
      case 0xa8, 0xaa, 0xae -> cdb.length < 12 ? -1 : be(cdb, 6, 4);
      case 0x88, 0x8a, 0x8e -> cdb.length < 16 ? -1 : be(cdb, 10, 4);
      default -> -1;
    };
  }

  /** A copy of a 10/12/16-byte block CDB with its transfer length replaced; null for other CDBs. */
  static byte[] withBlocks(byte[] cdb, long blocks) {
    int op = cdb[0] & 0xFF;
    byte[] c = cdb.clone();
    switch (op) {
      case 0x28, 0x2a, 0x2e -> put(c, 7, 2, blocks);
      case 0xa8, 0xaa, 0xae -> put(c, 6, 4, blocks);
      case 0x88, 0x8a, 0x8e -> put(c, 10, 4, blocks);
      default -> {
        return null;
      }
    }
    return c;
  }

  private static long be(byte[] b, int off, int n) {
    long v = 0;
    for (int i = 0; i < n; i++) {
      v = (v << 8) | (b[off + i] & 0xFF);
    }
    return v;
  }

  private static void put(byte[] b, int off, int n, long v) {
    for (int i = n - 1; i >= 0; i--) {
      b[off + i] = (byte) v;
      v >>>= 8;
    }
  }
}
