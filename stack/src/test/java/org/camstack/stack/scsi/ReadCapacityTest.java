package org.camstack.stack.scsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class ReadCapacityTest {

  @Test
  void rc10RoundTrip() {
    ReadCapacity rc = ReadCapacity.of(2097151, 512);
    ByteString data = rc.toBytes10();
    assertEquals("00 1f ff ff 00 00 02 00", Bytes.hex(data));
    assertEquals(rc, ReadCapacity.parse10(data));
    assertEquals(2097152, rc.blocks());
    assertEquals(1L << 30, rc.sizeBytes());
    assertFalse(rc.needsLong());
    assertEquals("Last Block: 2097151, Block Length: 512 bytes", rc.describe());
  }

  @Test
  void rc10OverflowsToRc16() {
    ReadCapacity big = ReadCapacity.of(1L << 33, 4096);
    assertTrue(big.needsLong());
    ReadCapacity seen = ReadCapacity.parse10(big.toBytes10());
    assertEquals(ReadCapacity.RC10_OVERFLOW, seen.lastLba());
    assertTrue(seen.needsLong());
  }

  @Test
  void rc16AllFields() {
    ReadCapacity rc = new ReadCapacity(0x1_0000_0000L, 512, true, 1, 3, true, true, 0x1234);
    ByteString data = rc.toBytes16();
    assertEquals(32, data.size());
    assertEquals("00 00 00 01 00 00 00 00 00 00 02 00 03 03 d2 34", Bytes.hex(data.take(16)));
    assertEquals(rc, ReadCapacity.parse16(data));
    assertEquals(4096, rc.physicalBlockLength());
  }

  @Test
  void shortDataReadsAsZeros() {
    ReadCapacity rc = ReadCapacity.parse16(Bytes.wrap(new byte[] {0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 2, 0}));
    assertEquals(9, rc.lastLba());
    assertEquals(512, rc.blockLength());
    assertFalse(rc.lbpme());
  }
}
