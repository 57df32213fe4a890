package org.camstack.stack.target;

import static org.camstack.stack.target.T.assertSense;
import static org.camstack.stack.target.T.out;
import static org.camstack.stack.target.T.run;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Opcodes;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.scsi.ScsiResponse;
import org.junit.jupiter.api.Test;

/**
 * The emulator reads CDBs and parameter lists with {@link org.camstack.stack.scsi.Bytes}, which
 * yields zeros past the end of a buffer. So a target must check lengths before it reads: a CDB one
 * byte short of its group's length, or a parameter list shorter than its header, is refused with
 * ILLEGAL REQUEST, never read as zeros and never turned into an internal error.
 */
class ShortBuffersTest {

  private final EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, 512));
  private final EmuEnclosure ses = new EmuEnclosure(LunSpec.enclosure(1, 4), List::of);

  @Test
  void everyOpcodeRefusesACdbOneByteShort() {
    for (EmuDevice d : List.of(disk, ses)) {
      for (int op = 0; op < 256; op++) {
        int len = Opcodes.cdbLength(op);
        if (len < 0) {
          continue;
        }
        byte[] cdb = new byte[len - 1];
        cdb[0] = (byte) op;
        ScsiResponse r = run(d, ByteString.fromArray(cdb), 512);
        String what = String.format("%s opcode 0x%02x", d.getClass().getSimpleName(), op);
        assertEquals(ScsiStatus.CHECK_COND, r.scsiStatus(), what);
        assertEquals(Sense.ILLEGAL_REQUEST, Sense.key(r.sense()), what);
        int asc = Sense.asc(r.sense());
        assertEquals(true, asc == 0x20 || asc == 0x24, what + ": asc " + Integer.toHexString(asc));
      }
    }
  }

  @Test
  void parameterListsShorterThanTheirHeaderAreRefused() {
    // MODE SELECT(10): 8-byte header, list of 4
    assertSense(out(disk, T.cdb(0x55, 0x10, 0, 0, 0, 0, 0, 0, 4, 0), T.bytes(4, 0)), Sense.ILLEGAL_REQUEST, 0x1a, 0x00);
    // MODE SELECT(6): 4-byte header, list of 2
    assertSense(out(disk, T.cdb(0x15, 0x10, 0, 0, 2, 0), T.bytes(2, 0)), Sense.ILLEGAL_REQUEST, 0x1a, 0x00);
    // UNMAP: 8-byte header, list of 4
    assertSense(out(disk, T.cdb(0x42, 0, 0, 0, 0, 0, 0, 0, 4, 0), T.bytes(4, 0)), Sense.ILLEGAL_REQUEST, 0x1a, 0x00);
    // SEND DIAGNOSTIC to the enclosure: a control page shorter than its 4-byte header
    assertSense(out(ses, T.cdb(0x1d, 0x10, 0, 0, 2, 0), T.bytes(2, 0)), Sense.ILLEGAL_REQUEST, 0x1a, 0x00);
  }
}
