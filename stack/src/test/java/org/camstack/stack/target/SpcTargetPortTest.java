package org.camstack.stack.target;

import static org.camstack.stack.target.T.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.Sense;
import org.junit.jupiter.api.Test;

/**
 * ALUA (INQUIRY TPGS, VPD 83h port designators, REPORT TARGET PORT GROUPS), the NACA check and
 * MODE SELECT's residual.
 */
class SpcTargetPortTest {

  private final EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, 512));

  static ByteString rtpg(int format, int alloc) {
    return cdb(0xa3, (format << 5) | 0x0a, 0, 0, 0, 0, alloc >>> 24, alloc >>> 16, alloc >>> 8, alloc, 0, 0);
  }

  @Test
  void inquiryReportsImplicitAlua() {
    assertEquals(0x10, u8(run(disk, inquiry(96), 96).data(), 5) & 0x30); // TPGS 01b
  }

  /** Designators of VPD 83h: {code set/protocol, PIV/assoc/type, length, value as long}. */
  static List<long[]> designators(ByteString d) {
    java.util.ArrayList<long[]> out = new java.util.ArrayList<>();
    int p = 4;
    while (p < 4 + be16(d, 2)) {
      int len = u8(d, p + 3);
      long v = 0;
      for (int i = 0; i < Math.min(len, 8); i++) {
        v = (v << 8) | u8(d, p + 4 + i);
      }
      out.add(new long[] {u8(d, p), u8(d, p + 1), len, v});
      p += 4 + len;
    }
    return out;
  }

  @Test
  void vpd83NamesTheRelativePortAndGroupOfTheAskingNexus() {
    List<long[]> sim = designators(run(disk, vpd(0x83, 512), 512, 7).data());
    assertEquals(4, sim.size());
    assertEquals(0x03, sim.get(0)[1]); // NAA, LU
    assertEquals(0x01, sim.get(1)[1]); // T10 vendor id, LU
    assertEquals(0x14, sim.get(2)[1]); // relative target port, target port association
    assertEquals(Nexuses.CAM_SIM_PORT, sim.get(2)[3]);
    assertEquals(0x15, sim.get(3)[1]); // target port group
    assertEquals(1, sim.get(3)[3]);
    int iscsi = Nexuses.idFor("iqn.2026-12.org.example:ini,i,0x000000000001", Nexuses.ISCSI_PORT);
    List<long[]> net = designators(run(disk, vpd(0x83, 512), 512, iscsi).data());
    assertEquals(Nexuses.ISCSI_PORT, net.get(2)[3]);
    assertEquals(1, net.get(3)[3]);
    // an id no frontend named: the LU designators only
    assertEquals(2, designators(run(disk, vpd(0x83, 512), 512, 1 << 30).data()).size());
  }

  @Test
  void reportTargetPortGroupsBothFormats() {
    ByteString plain = run(disk, rtpg(0, 256), 256).data();
    assertEquals(4 + 8 + 2 * 4, plain.size());
    assertEquals(plain.size() - 4, be32(plain, 0));
    assertEquals(0x80, u8(plain, 4)); // PREF, active/optimized
    assertEquals(0x01, u8(plain, 5)); // AO_SUP
    assertEquals(1, be16(plain, 6)); // group id
    assertEquals(2, u8(plain, 11)); // port count
    assertEquals(Nexuses.CAM_SIM_PORT, be16(plain, 14));
    assertEquals(Nexuses.ISCSI_PORT, be16(plain, 18));
    ByteString ext = run(disk, rtpg(1, 256), 256).data();
    assertEquals(8 + 8 + 2 * 4, ext.size());
    assertEquals(ext.size() - 4, be32(ext, 0));
    assertEquals(0x10, u8(ext, 4)); // format type 001b
    assertEquals(1, be16(ext, 10));
    assertSense(run(disk, rtpg(2, 256), 256), Sense.ILLEGAL_REQUEST, 0x24, 0x00);
  }

  @Test
  void aClusterModelWithSeveralGroups() {
    TargetPortGroups two = new TargetPortGroups(List.of(
        new TargetPortGroups.Group(1, TargetPortGroups.ACTIVE_OPTIMIZED, true, List.of(1, 2)),
        new TargetPortGroups.Group(2, TargetPortGroups.STANDBY, false, List.of(3))));
    run(disk, tur(), 0, 9); // nexus 9 seen before the change
    disk.setPortGroups(two);
    assertSense(run(disk, rtpg(0, 256), 256, 9), Sense.UNIT_ATTENTION, 0x2a, 0x06); // every nexus, once
    assertSense(run(disk, tur(), 0), Sense.UNIT_ATTENTION, 0x2a, 0x06);
    disk.setPortGroups(new TargetPortGroups(two.groups())); // the same model: nothing to report
    assertGood(run(disk, tur(), 0));
    ByteString d = run(disk, rtpg(0, 256), 256).data();
    assertEquals(4 + 16 + 12, d.size());
    assertEquals(0x05, u8(d, 5)); // AO_SUP | S_SUP
    assertEquals(0x02, u8(d, 4 + 16)); // standby, not preferred
    assertEquals(2, be16(d, 4 + 16 + 2));
    assertEquals(3, be16(d, 4 + 16 + 10));
    assertThrows(IllegalArgumentException.class, () -> new TargetPortGroups.Group(0, 0, false, List.of()));
    assertThrows(IllegalArgumentException.class, () -> new TargetPortGroups.Group(1, 7, false, List.of()));
  }

  @Test
  void nacaWithoutNormacaIsAnInvalidField() {
    ScsiResponse r = run(disk, cdb(0, 0, 0, 0, 0, 0x04), 0);
    assertSense(r, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertField(r, true, 5, 2);
    ScsiResponse r10 = run(disk, cdb(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0x04), 512);
    assertSense(r10, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertField(r10, true, 9, 2);
    ScsiResponse r16 = run(disk, readCapacity16(32).concat(ByteString.emptyByteString()), 32);
    assertGood(r16);
    assertEquals(0, u8(run(disk, inquiry(8), 8).data(), 3) & 0x20); // NormACA clear
    // checked before a pending unit attention, which stays pending
    disk.postUnitAttention(0x29, 0x00);
    assertSense(run(disk, cdb(0, 0, 0, 0, 0, 0x04), 0), Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertSense(run(disk, tur(), 0), Sense.UNIT_ATTENTION, 0x29, 0x00);
    // LINK alone (bit 0) is not NACA
    assertGood(run(disk, cdb(0, 0, 0, 0, 0, 0x00), 0));
  }

  @Test
  void modeSelectThatConsumedItsListHasNoResidual() {
    ByteString page = run(disk, cdb(0x1a, 0x08, 0x08, 0, 255, 0), 255).data(); // caching, DBD
    byte[] list = page.toArray();
    list[0] = 0;
    list[2] = 0;
    list[4] &= 0x3f; // PS is reserved in MODE SELECT
    ScsiResponse r = out(disk, cdb(0x15, 0x10, 0, 0, list.length, 0), ByteString.fromArray(list));
    assertGood(r);
    assertEquals(0, r.resid());
    ScsiResponse bigger = disk.execute(cdb(0x15, 0x10, 0, 0, list.length, 0), ByteString.fromArray(list), list.length + 8, INI);
    assertGood(bigger);
    assertEquals(8, bigger.resid());
    assertEquals(0, run(disk, cdb(0x15, 0x10, 0, 0, 0, 0), 0).resid());
  }
}
