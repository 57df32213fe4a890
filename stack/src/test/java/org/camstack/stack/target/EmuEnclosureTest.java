package org.camstack.stack.target;

import static org.camstack.stack.target.T.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.scsi.ScsiResponse;
import org.junit.jupiter.api.Test;

/** SES pages 0x00, 0x01, 0x02, 0x07, 0x0A and the 0x02 control page. */
class EmuEnclosureTest {
  private static final int SLOTS = 4;
  private static final int ELEMENTS = SLOTS + 1 + 2 + 1;
  private static final int TYPES = 4;

  private final List<SlotOccupant> plugged = new CopyOnWriteArrayList<>();
  private final EmuEnclosure ses = new EmuEnclosure(LunSpec.enclosure(1, SLOTS), () -> List.copyOf(plugged));
  private final String wwnA = "5000ca57ac000001";

  private static ByteString rdr(int page, int alloc) {
    return cdb(0x1c, 0x01, page, alloc >>> 8, alloc, 0);
  }

  private ByteString page(int page) {
    ScsiResponse r = run(ses, rdr(page, 0xffff), 0xffff);
    assertGood(r);
    assertEquals(page, u8(r.data(), 0));
    assertEquals(r.data().size() - 4, be16(r.data(), 2), "page length");
    return r.data();
  }

  @Test
  void inquiryIsAnEnclosureServicesDevice() {
    ByteString d = run(ses, inquiry(96), 96).data();
    assertEquals(0x0d, u8(d, 0));
    assertEquals(6, u8(d, 2));
    assertEquals(0x40, u8(d, 6) & 0x40);
    assertEquals("EMU-SES         ", ascii(d, 16, 16));
    assertGood(run(ses, tur(), 0));
    assertGood(run(ses, modeSense6(0x0a, 255), 255)); // the probe reads the control page
    assertEquals(0, u8(run(ses, modeSense6(0x0a, 255), 255).data(), 3), "no block descriptor");
  }

  @Test
  void supportedPages() {
    ByteString p = page(0x00);
    assertEquals(List.of(0x00, 0x01, 0x02, 0x07, 0x0a), List.of(u8(p, 4), u8(p, 5), u8(p, 6), u8(p, 7), u8(p, 8)));
    assertGood(run(ses, cdb(0x1c, 0, 0, 0, 255, 0), 255)); // PCV = 0
  }

  @Test
  void configurationPage() {
    ByteString p = page(0x01);
    assertEquals(0, u8(p, 1)); // no secondary subenclosures
    int enc = 8;
    assertEquals(0, u8(p, enc + 1));
    assertEquals(TYPES, u8(p, enc + 2));
    assertEquals(36, u8(p, enc + 3));
    assertEquals(ses.spec().wwnValue(), be64(p, enc + 4));
    assertEquals("CAMSTACK", ascii(p, enc + 12, 8));
    int th = enc + 40;
    assertEquals(0x17, u8(p, th));
    assertEquals(SLOTS, u8(p, th + 1));
    assertEquals(0x02, u8(p, th + 4));
    assertEquals(0x03, u8(p, th + 8));
    assertEquals(2, u8(p, th + 9));
    assertEquals(0x04, u8(p, th + 12));
    int text = th + 4 * TYPES;
    assertEquals("Array Device Slot", ascii(p, text, u8(p, th + 3)));
  }

  @Test
  void statusFollowsOccupancyAndGenerationBumps() {
    int gen0 = (int) be32(page(0x02), 4);
    ByteString empty = page(0x02);
    for (int s = 0; s < SLOTS; s++) {
      assertEquals(EmuEnclosure.STATUS_NOT_INSTALLED, u8(empty, 12 + 4 * s) & 0x0f);
    }
    plugged.add(new SlotOccupant(2, wwnA, 0, 5));
    ByteString st = page(0x02);
    assertEquals(gen0 + 1, be32(st, 4));
    assertEquals(EmuEnclosure.STATUS_OK, u8(st, 12 + 8) & 0x0f);
    assertEquals(EmuEnclosure.STATUS_NOT_INSTALLED, u8(st, 12 + 4) & 0x0f);
    assertEquals(gen0 + 1, be32(page(0x01), 4), "configuration page carries the same generation");
    assertEquals(gen0 + 1, ses.generation(), "no change, no bump");
    int psu = 8 + 4 + 4 * SLOTS + 4; // after the slots and the psu overall element
    assertEquals(EmuEnclosure.STATUS_OK, u8(st, psu) & 0x0f);
    int temp = 8 + 4 * (TYPES + SLOTS + 1 + 2);
    assertEquals(35 + 20, u8(st, temp + 2));
    assertEquals(8 + 4 * (TYPES + ELEMENTS), st.size());
  }

  @Test
  void elementDescriptorTexts() {
    ByteString p = page(0x07);
    int pos = 8;
    pos += 4 + be16(p, pos + 2); // overall descriptor of the slots
    assertEquals("Slot 00", ascii(p, pos + 4, be16(p, pos + 2)));
    pos += 4 + be16(p, pos + 2);
    assertEquals("Slot 01", ascii(p, pos + 4, be16(p, pos + 2)));
  }

  @Test
  void additionalElementStatusCarriesTheDiskWwn() {
    plugged.add(new SlotOccupant(1, wwnA, 0, 5));
    ByteString p = page(0x0a);
    assertEquals(8 + 36 * SLOTS, p.size());
    int d = 8 + 36; // slot 1
    assertEquals(0x16, u8(p, d) & 0x1f); // EIP, SAS
    assertEquals(34, u8(p, d + 1));
    assertEquals(1, u8(p, d + 3)); // element index
    assertEquals(1, u8(p, d + 4)); // phys
    assertEquals(1, u8(p, d + 7)); // device slot number
    assertEquals(0x10, u8(p, d + 8) & 0x70); // end device
    assertEquals(Long.parseUnsignedLong(wwnA, 16), be64(p, d + 12), "attached SAS address");
    assertEquals(Long.parseUnsignedLong(wwnA, 16), be64(p, d + 20), "SAS address");
    assertEquals(0, be64(p, 8 + 12), "empty slot 0");
  }

  @Test
  void allocationLengthTruncates() {
    ScsiResponse r = run(ses, rdr(0x01, 10), 255);
    assertGood(r);
    assertEquals(10, r.data().size());
    assertEquals(245, r.resid());
    assertTrue(be16(r.data(), 2) > 6, "page length is the full length");
  }

  @Test
  void unsupportedPage() {
    ScsiResponse r = run(ses, rdr(0x05, 255), 255);
    assertSense(r, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertField(r, true, 2, -1);
  }

  private ByteString control(int gen, int slot, int byte2, int byte3) {
    byte[] b = new byte[8 + 4 * (TYPES + ELEMENTS)];
    b[0] = 0x02;
    Bytes.put16(b, 2, b.length - 4);
    Bytes.put32(b, 4, gen);
    int e = 8 + 4 + 4 * slot;
    b[e] = (byte) 0x80; // SELECT
    b[e + 2] = (byte) byte2;
    b[e + 3] = (byte) byte3;
    return ByteString.fromArrayUnsafe(b);
  }

  private ScsiResponse send(ByteString page) {
    return out(ses, cdb(0x1d, 0x10, 0, page.size() >>> 8, page.size(), 0), page);
  }

  @Test
  void controlSetsIdentAndFault() {
    plugged.add(new SlotOccupant(0, wwnA, 0, 5));
    int gen = ses.generation();
    assertGood(send(control(gen, 3, 0x02, 0x00)));
    assertGood(send(control(gen, 0, 0x00, 0x20)));
    assertTrue(ses.ident(3));
    assertTrue(ses.fault(0));
    ByteString st = page(0x02);
    assertEquals(0x02, u8(st, 12 + 12 + 2) & 0x02, "IDENT on slot 3");
    assertEquals(0x20, u8(st, 12 + 3) & 0x20, "FAULT REQSTD on slot 0");
    assertEquals(0x04, u8(st, 1) & 0x04, "NON-CRIT summary");
    // an element without SELECT is left alone
    byte[] noSelect = control(gen, 3, 0x00, 0x00).toArray();
    noSelect[8 + 4 + 12] = 0;
    assertGood(send(ByteString.fromArrayUnsafe(noSelect)));
    assertTrue(ses.ident(3));
    assertGood(send(control(gen, 3, 0x00, 0x00)));
    assertFalse(ses.ident(3));
    assertEquals(gen, ses.generation(), "indicators are status, not configuration");
  }

  @Test
  void controlBadInput() {
    int gen = ses.generation();
    ScsiResponse stale = send(control(gen + 7, 0, 0x02, 0));
    assertSense(stale, Sense.ILLEGAL_REQUEST, 0x26, 0x00);
    assertField(stale, false, 4, -1);
    ByteString page = control(gen, 0, 0x02, 0);
    assertSense(send(page.take(20)), Sense.ILLEGAL_REQUEST, 0x1a, 0x00);
    ScsiResponse noPf = out(ses, cdb(0x1d, 0x00, 0, 0, page.size(), 0), page);
    assertField(noPf, true, 1, 4);
    byte[] other = page.toArray();
    other[0] = 0x04;
    assertField(send(ByteString.fromArrayUnsafe(other)), false, 0, -1);
    ScsiResponse mismatch = out(ses, cdb(0x1d, 0x10, 0, 0, page.size() + 4, 0), page);
    assertSense(mismatch, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
    assertFalse(ses.ident(0));
    assertGood(run(ses, cdb(0x1d, 0x04, 0, 0, 0, 0), 0)); // default self-test
  }

  @Test
  void occupancyFromLiveTargets() {
    EmuDisk d0 = new EmuDisk(LunSpec.disk(0, 10, 512).withEnclosureSlot(0));
    EmuDisk d1 = new EmuDisk(LunSpec.disk(0, 10, 512).withEnclosureSlot(3).withIdentity("S1", "5000000000000003"));
    EmuDisk loose = new EmuDisk(LunSpec.disk(1, 10, 512));
    List<EmuTarget> targets = new CopyOnWriteArrayList<>(List.of(new EmuTarget(0, List.of(d0, loose))));
    EmuEnclosure e = (EmuEnclosure) EmuDevices.create(LunSpec.enclosure(0, SLOTS), EnclosureView.ofTargets(() -> targets));
    assertEquals(d0.spec().wwn(), e.occupant(0));
    assertEquals(null, e.occupant(3));
    int gen = e.generation();
    EmuTarget t1 = new EmuTarget(1, List.of(d1));
    targets.add(t1);
    assertEquals("5000000000000003", e.occupant(3));
    assertEquals(gen + 1, e.generation());
    t1.removeLun(0);
    assertEquals(null, e.occupant(3));
    assertEquals(gen + 2, e.generation());
  }
}
