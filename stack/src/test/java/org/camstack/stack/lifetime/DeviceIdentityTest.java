package org.camstack.stack.lifetime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/** The WWN string of a VPD 0x83 page: exact digits, leading zeros, lowercase, NAA before EUI-64. */
class DeviceIdentityTest {

  private static ByteString page(int... bytes) {
    byte[] b = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      b[i] = (byte) bytes[i];
    }
    return ByteString.fromArray(b);
  }

  @Test
  void naaIsPreferredAndEveryByteIsTwoLowercaseDigits() {
    ByteString p =
        page(
            0x00, 0x83, 0x00, 0x18,
            0x01, 0x02, 0x00, 0x08, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, // EUI-64
            0x01, 0x03, 0x00, 0x08, 0x60, 0x0a, 0x0b, 0xc0, 0xff, 0x00, 0x01, 0xfe); // NAA
    assertEquals("naa.600a0bc0ff0001fe", DeviceIdentity.wwn(p));
  }

  @Test
  void euiWhenThereIsNoNaaAndNothingForATargetPortDesignator() {
    assertEquals("eui.0011223344556677", DeviceIdentity.wwn(page(0x01, 0x02, 0x00, 0x08, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77)));
    assertEquals("", DeviceIdentity.wwn(page(0x01, 0x13, 0x00, 0x04, 0x50, 0x00, 0x00, 0x01))); // association 1
  }
}
