package org.camstack.stack.scsi.da;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.scsi.Opcodes;
import org.camstack.stack.scsi.ReadCapacity;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.testkit.PeriphRig;
import org.camstack.stack.testkit.TestDevices;
import org.camstack.stack.testkit.XptStub;
import org.camstack.stack.xpt.AsyncEvent;
import org.camstack.stack.xpt.XptDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** da(4) against a device-queue probe: probe, I/O CDBs, open/close, recovery. */
@ExtendWith(LogCapturingExtension.class)
class DaPeriphTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static final CamPath D = CamPath.of(0, 3, 0);

  private final PeriphRig rig = new PeriphRig(testKit, DaPeriph.SPEC, false);

  private TestProbe<XptDevice.Command> dev() {
    return rig.device(D);
  }

  /**
   * The next CCB, answering Schedule requests on the way with all openings asked for (a CCB sent
   * with its grant, ScheduledAction, is taken as granted).
   */
  private Ccb.ScsiIo next() {
    XptDevice.Command c =
        dev().fishForMessage(
                Duration.ofSeconds(3),
                m -> {
                  if (m instanceof XptDevice.Schedule s) {
                    s.replyTo().tell(new XptDevice.Start(s.priority(), s.count()));
                    return FishingOutcomes.continueAndIgnore();
                  }
                  return m instanceof XptDevice.Action || m instanceof XptDevice.ScheduledAction
                      ? FishingOutcomes.complete()
                      : FishingOutcomes.continueAndIgnore();
                })
            .get(0);
    return (Ccb.ScsiIo) (c instanceof XptDevice.ScheduledAction s ? s.ccb() : ((XptDevice.Action) c).ccb());
  }

  private static void ok(Ccb.ScsiIo io, ByteString data) {
    io.header().replyTo().tell(new Ccb.Completed(io, CamStatus.REQ_CMP, 0, 0, ByteString.emptyByteString(), data, 0, null));
  }

  private static void checkCondition(Ccb.ScsiIo io, int key, int asc, int ascq) {
    io.header()
        .replyTo()
        .tell(
            new Ccb.Completed(
                io,
                CamStatus.SCSI_STATUS_ERROR,
                CamStatus.AUTOSNS_VALID | CamStatus.DEV_QFRZN,
                ScsiStatus.CHECK_COND,
                Sense.fixed(key, asc, ascq),
                ByteString.emptyByteString(),
                io.dxferLen(),
                null));
  }

  private static ByteString page(int code, int... bytes) {
    byte[] b = new byte[Math.max(64, bytes.length)];
    b[1] = (byte) code;
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] >= 0) {
        b[i] = (byte) bytes[i];
      }
    }
    b[1] = (byte) code;
    return ByteString.fromArray(b);
  }

  /** Answers the whole probe: RC10, RC16 (thin), VPD B2 (UNMAP), B0, B1. */
  private void probe(long blocks, int blockSize) {
    Ccb.ScsiIo rc10 = next();
    assertEquals(Opcodes.READ_CAPACITY_10, rc10.opcode());
    ok(rc10, ReadCapacity.of(blocks - 1, blockSize).toBytes10());
    Ccb.ScsiIo rc16 = next();
    assertEquals(Opcodes.SERVICE_ACTION_IN_16, rc16.opcode());
    ok(rc16, new ReadCapacity(blocks - 1, blockSize, false, 0, 0, true, true, 0).toBytes16());
    Ccb.ScsiIo b2 = next();
    assertEquals(0xb2, b2.cdb().apply(2) & 0xff);
    ok(b2, page(0xb2, 0, 0xb2, 0, 4, 0, 0x80 | 0x40));
    Ccb.ScsiIo b0 = next();
    assertEquals(0xb0, b0.cdb().apply(2) & 0xff);
    byte[] lim = new byte[64];
    lim[1] = (byte) 0xb0;
    lim[11] = 8; // max transfer 8 blocks
    lim[23] = 16; // max unmap 16 blocks
    lim[27] = 1;
    ok(b0, ByteString.fromArray(lim));
    Ccb.ScsiIo b1 = next();
    byte[] bdc = new byte[64];
    bdc[1] = (byte) 0xb1;
    bdc[5] = 1; // non-rotating
    ok(b1, ByteString.fromArray(bdc));
    rig.awaitNode("da0");
  }

  private DaPeriph.MediaInfo media(Devfs.FileHandle fh) {
    TestProbe<Devfs.DevReply> p = rig.ioctl(fh, new DaPeriph.GetMediaInfo());
    return (DaPeriph.MediaInfo) p.receiveMessage().result();
  }

  @Test
  void theProbeReadsCapacityAndVpdPagesThenCreatesTheDisk() {
    rig.found(TestDevices.disk(D));
    probe(1 << 20, 512);

    Devfs.FileHandle fh = rig.openOk("da0");
    DaPeriph.MediaInfo mi = media(fh);
    assertEquals(512L << 20, mi.mediaSize());
    assertEquals(512, mi.sectorSize());
    assertTrue(mi.thin());
    assertEquals("UNMAP", mi.deleteMethod());
    assertEquals(16, mi.maxUnmapBlocks());
    assertEquals(8, mi.maxTransferBlocks());
    assertEquals(1, mi.rotationRate());
  }

  @Test
  void readsUseTheSmallestCdbAndSplitAtTheMaximumTransfer() {
    rig.found(TestDevices.disk(D));
    probe(1 << 24, 512);
    Devfs.FileHandle fh = rig.openOk("da0");

    TestProbe<Devfs.DevReply> small = testKit.createTestProbe();
    rig.devfs.tell(new Devfs.Read(fh, 512L * 10, 1024, small.getRef()));
    Ccb.ScsiIo r6 = next();
    assertEquals(Opcodes.READ_6, r6.opcode());
    ok(r6, ByteString.fromArray(new byte[1024]));
    assertEquals(1024, small.receiveMessage().data().size());

    TestProbe<Devfs.DevReply> far = testKit.createTestProbe();
    rig.devfs.tell(new Devfs.Read(fh, 512L * (1 << 22), 512 * 12, far.getRef()));
    Ccb.ScsiIo first = next();
    assertEquals(Opcodes.READ_10, first.opcode()); // LBA beyond 21 bits
    assertEquals(512 * 8, first.dxferLen()); // split at the 8-block maximum
    ok(first, ByteString.fromArray(new byte[512 * 8]));
    Ccb.ScsiIo second = next();
    assertEquals(512 * 4, second.dxferLen());
    ok(second, ByteString.fromArray(new byte[512 * 4]));
    assertEquals(512 * 12, far.receiveMessage().data().size());

    TestProbe<Devfs.DevReply> bad = testKit.createTestProbe();
    rig.devfs.tell(new Devfs.Read(fh, 100, 512, bad.getRef()));
    assertEquals(Errno.EINVAL, bad.receiveMessage().errno());
  }

  @Test
  void aDeclinedScheduledActionWaitsForAStartAtItsPlaceAheadOfLaterIo() {
    rig.found(TestDevices.disk(D));
    probe(1 << 16, 512);
    Devfs.FileHandle fh = rig.openOk("da0");
    TestProbe<Devfs.DevReply> first = read(fh, 512);
    XptDevice.ScheduledAction sa = dev().expectMessageClass(XptDevice.ScheduledAction.class, Duration.ofSeconds(3));
    sa.declinedTo().tell(new XptDevice.Declined(sa.ccb())); // no opening now
    XptDevice.Schedule sched = dev().expectMessageClass(XptDevice.Schedule.class, Duration.ofSeconds(3));
    assertEquals(1, sched.count());
    TestProbe<Devfs.DevReply> second = read(fh, 1024);
    dev().expectNoMessage(Duration.ofMillis(150)); // queued behind the first; a Schedule is already asked
    sched.replyTo().tell(new XptDevice.Start(sched.priority(), 2));
    Ccb.ScsiIo a = (Ccb.ScsiIo) dev().expectMessageClass(XptDevice.Action.class, Duration.ofSeconds(3)).ccb();
    Ccb.ScsiIo b = (Ccb.ScsiIo) dev().expectMessageClass(XptDevice.Action.class, Duration.ofSeconds(3)).ccb();
    assertEquals(sa.ccb(), a); // the declined CCB itself, first
    assertEquals(1024, b.dxferLen());
    ok(a, ByteString.fromArray(new byte[512]));
    ok(b, ByteString.fromArray(new byte[1024]));
    assertEquals(512, first.receiveMessage().data().size());
    assertEquals(1024, second.receiveMessage().data().size());
  }

  @Test
  void deleteSendsUnmapWithinTheBlockLimits() {
    rig.found(TestDevices.disk(D));
    probe(1 << 20, 512);
    Devfs.FileHandle fh = rig.openOk("da0");

    TestProbe<Devfs.DevReply> r = rig.ioctl(fh, new DaPeriph.Delete(0, 512 * 20));
    Ccb.ScsiIo u1 = next();
    assertEquals(Opcodes.UNMAP, u1.opcode());
    ok(u1, ByteString.emptyByteString());
    Ccb.ScsiIo u2 = next();
    assertEquals(Opcodes.UNMAP, u2.opcode()); // 16 + 4 blocks
    ok(u2, ByteString.emptyByteString());
    assertEquals(Errno.OK, r.receiveMessage().errno());
  }

  @Test
  void removableMediaIsPreventedWhileOpenAndAllowedOnTheLastClose() {
    rig.found(TestDevices.removableDisk(D));
    probe(1 << 16, 512);

    TestProbe<Devfs.OpenResult> opened = testKit.createTestProbe();
    rig.devfs.tell(new Devfs.Open("da0", Devfs.FREAD | Devfs.FWRITE, opened.getRef()));
    Ccb.ScsiIo prevent = next();
    assertEquals(Opcodes.PREVENT_ALLOW, prevent.opcode());
    assertEquals(1, prevent.cdb().apply(4));
    ok(prevent, ByteString.emptyByteString());
    Devfs.FileHandle fh = opened.receiveMessage().file();

    TestProbe<Devfs.DevReply> closed = testKit.createTestProbe();
    rig.devfs.tell(new Devfs.Close(fh, closed.getRef()));
    Ccb.ScsiIo allow = next();
    assertEquals(Opcodes.PREVENT_ALLOW, allow.opcode());
    assertEquals(0, allow.cdb().apply(4));
    ok(allow, ByteString.emptyByteString());
    assertEquals(Errno.OK, closed.receiveMessage().errno());
  }

  @Test
  void aCapacityChangedUnitAttentionRereadsTheCapacity() {
    rig.found(TestDevices.disk(D));
    probe(1 << 20, 512);

    rig.xpt.tell(new XptStub.Raise(new AsyncEvent.UnitAttention(D, 0x2a, 0x09)));
    Ccb.ScsiIo rc10 = next();
    assertEquals(Opcodes.READ_CAPACITY_10, rc10.opcode());
    ok(rc10, ReadCapacity.of((1 << 21) - 1, 512).toBytes10());
    ok(next(), new ReadCapacity((1 << 21) - 1, 512, false, 0, 0, true, true, 0).toBytes16());
    for (int i = 0; i < 3; i++) {
      ok(next(), page(0));
    }
    Devfs.FileHandle fh = rig.openOk("da0");
    TestProbe<Object> w = testKit.createTestProbe();
    w.awaitAssert(
        () -> {
          assertEquals(512L << 21, media(fh).mediaSize());
          return null;
        });
  }

  @Test
  void aUnitAttentionIsRetriedAndTheFrozenQueueIsReleasedOnce() {
    rig.found(TestDevices.disk(D));
    probe(1 << 20, 512);
    Devfs.FileHandle fh = rig.openOk("da0");

    TestProbe<Devfs.DevReply> r = testKit.createTestProbe();
    rig.devfs.tell(new Devfs.Read(fh, 0, 512, r.getRef()));
    Ccb.ScsiIo first = next();
    checkCondition(first, Sense.UNIT_ATTENTION, 0x29, 0x00); // power on / reset, queue frozen
    // cf. cam_periph_error(): the CCB goes back on the queue, then the owed release
    java.util.List<XptDevice.Command> two = dev().receiveSeveralMessages(2, Duration.ofSeconds(3));
    Ccb.ScsiIo retry = (Ccb.ScsiIo) ((XptDevice.Action) two.get(0)).ccb();
    assertEquals(new XptDevice.ReleaseDevq(1, true), two.get(1));
    assertEquals(first.cdb(), retry.cdb());
    assertTrue(retry.header().retryCount() < first.header().retryCount());
    ok(retry, ByteString.fromArray(new byte[512]));
    assertEquals(Errno.OK, r.receiveMessage().errno());
    TestProbe<Object> w = testKit.createTestProbe();
    w.awaitAssert(
        () -> {
          assertTrue(rig.xptState().raised().stream().anyMatch(e -> e instanceof AsyncEvent.UnitAttention));
          return null;
        });
  }

  @Test
  void aUnitThatNeedsStartingGetsStartUnitThenTheCommandAgain() {
    rig.found(TestDevices.disk(D));
    probe(1 << 20, 512);
    Devfs.FileHandle fh = rig.openOk("da0");

    TestProbe<Devfs.DevReply> r = testKit.createTestProbe();
    rig.devfs.tell(new Devfs.Read(fh, 0, 512, r.getRef()));
    Ccb.ScsiIo first = next();
    checkCondition(first, Sense.NOT_READY, 0x04, 0x02); // initializing command required
    Ccb.ScsiIo start = next();
    assertEquals(Opcodes.START_STOP_UNIT, start.opcode());
    assertEquals(1, start.cdb().apply(4) & 0x01);
    ok(start, ByteString.emptyByteString());
    Ccb.ScsiIo again = next();
    assertEquals(first.cdb(), again.cdb());
    ok(again, ByteString.fromArray(new byte[512]));
    assertEquals(Errno.OK, r.receiveMessage().errno());
  }

  @Test
  void onlyDirectAccessTypesAttach() {
    assertTrue(DaPeriph.SPEC.matches().test(TestDevices.disk(D)));
    assertTrue(!DaPeriph.SPEC.matches().test(TestDevices.enclosure(D)));
    DeviceInfo proc = TestDevices.processor(D);
    assertTrue(!DaPeriph.SPEC.matches().test(proc));
    assertInstanceOf(DeviceInfo.class, proc);
  }

  // ---------------------------------------------------------------------------------------------
  // Media change, pack invalidation, reprobe (cf. daerror(), dadone(), disk_resize())

  /** Answers the reprobe's commands after RC10: RC16 with {@code blocks}, then the VPD pages. */
  private void restOfProbe(long blocks, int blockSize) {
    Ccb.ScsiIo rc16 = next();
    assertEquals(Opcodes.SERVICE_ACTION_IN_16, rc16.opcode());
    ok(rc16, new ReadCapacity(blocks - 1, blockSize, false, 0, 0, true, true, 0).toBytes16());
    for (int page : new int[] {0xb2, 0xb0, 0xb1}) {
      Ccb.ScsiIo vpd = next();
      assertEquals(page, vpd.cdb().apply(2) & 0xff);
      ok(vpd, page(page, 0, page, 0, 60));
    }
  }

  /** A removable da0 of 64 Ki blocks, probed and opened (PREVENT answered). */
  private Devfs.FileHandle openRemovable() {
    rig.found(TestDevices.removableDisk(D));
    probe(1 << 16, 512);
    TestProbe<Devfs.OpenResult> opened = testKit.createTestProbe();
    rig.devfs.tell(new Devfs.Open("da0", Devfs.FREAD | Devfs.FWRITE, opened.getRef()));
    ok(next(), ByteString.emptyByteString()); // PREVENT
    return opened.receiveMessage().file();
  }

  private TestProbe<DaPeriph.DiskEvent> watch(Devfs.FileHandle fh) {
    TestProbe<DaPeriph.DiskEvent> events = testKit.createTestProbe();
    TestProbe<Devfs.DevReply> r = rig.ioctl(fh, new DaPeriph.GetDiskHandle(events.getRef()));
    assertInstanceOf(DaPeriph.DiskHandle.class, r.receiveMessage().result());
    return events;
  }

  private TestProbe<Devfs.DevReply> read(Devfs.FileHandle fh) {
    return read(fh, 512);
  }

  private TestProbe<Devfs.DevReply> read(Devfs.FileHandle fh, int length) {
    TestProbe<Devfs.DevReply> r = testKit.createTestProbe();
    rig.devfs.tell(new Devfs.Read(fh, 0, length, r.getRef()));
    return r;
  }

  @Test
  void aMediumChange2800InvalidatesThePackUntilTheNextOpenAndResizesOpenHandles() {
    Devfs.FileHandle fh = openRemovable();
    TestProbe<DaPeriph.DiskEvent> events = watch(fh);

    TestProbe<Devfs.DevReply> first = read(fh);
    checkCondition(next(), Sense.UNIT_ATTENTION, 0x28, 0x00);
    assertInstanceOf(DaPeriph.MediaChanged.class, events.receiveMessage());
    Ccb.ScsiIo rc10 = next(); // the reprobe: the new medium's capacity
    assertEquals(Opcodes.READ_CAPACITY_10, rc10.opcode());
    ok(next(), ByteString.fromArray(new byte[512])); // the read's UA retry
    ok(rc10, ReadCapacity.of((1 << 17) - 1, 512).toBytes10());
    restOfProbe(1 << 17, 512);
    DaPeriph.Resized resized = (DaPeriph.Resized) events.receiveMessage();
    assertEquals(512L << 17, resized.mediaSize());
    first.receiveMessage();

    assertEquals(Errno.ENXIO, read(fh).receiveMessage().errno(), "pack invalid: old opens get ENXIO");

    TestProbe<Devfs.OpenResult> again = testKit.createTestProbe();
    rig.devfs.tell(new Devfs.Open("da0", Devfs.FREAD | Devfs.FWRITE, again.getRef()));
    Ccb.ScsiIo reprobe = next(); // daopen(): re-read the capacity of the new medium
    assertEquals(Opcodes.READ_CAPACITY_10, reprobe.opcode());
    Devfs.FileHandle fh2 = again.receiveMessage().file();
    TestProbe<Devfs.DevReply> r2 = read(fh2); // held back until the reprobe is done
    ok(reprobe, ReadCapacity.of((1 << 17) - 1, 512).toBytes10());
    restOfProbe(1 << 17, 512);
    Ccb.ScsiIo rd = next();
    assertEquals(Opcodes.READ_6, rd.opcode());
    ok(rd, ByteString.fromArray(new byte[512]));
    assertEquals(Errno.OK, r2.receiveMessage().errno());
  }

  @Test
  void mediumNotPresent3aIsMediaGoneWithCapacityZero() {
    Devfs.FileHandle fh = openRemovable();
    TestProbe<DaPeriph.DiskEvent> events = watch(fh);

    TestProbe<Devfs.DevReply> r = read(fh);
    checkCondition(next(), Sense.NOT_READY, 0x3a, 0x00);
    assertInstanceOf(DaPeriph.MediaGone.class, events.receiveMessage());
    assertEquals(0, ((DaPeriph.Resized) events.receiveMessage()).mediaSize());
    assertEquals(Errno.ENXIO, r.receiveMessage().errno());
    assertEquals(0, media(fh).mediaSize());
    assertEquals(Errno.ENXIO, read(fh).receiveMessage().errno());
  }

  @Test
  void inquiryChanged3f03ReprobesAndHoldsNormalIoBackMeanwhile() {
    rig.found(TestDevices.disk(D));
    probe(1 << 16, 512);
    Devfs.FileHandle fh = rig.openOk("da0");
    TestProbe<DaPeriph.DiskEvent> events = watch(fh);

    TestProbe<Devfs.DevReply> first = read(fh);
    checkCondition(next(), Sense.UNIT_ATTENTION, 0x3f, 0x03);
    Ccb.ScsiIo rc10 = next();
    assertEquals(Opcodes.READ_CAPACITY_10, rc10.opcode());
    Ccb.ScsiIo retry = next();
    assertEquals(Opcodes.READ_6, retry.opcode()); // the failed read's own retry goes out
    TestProbe<Devfs.DevReply> during = read(fh, 4096); // a new read while the reprobe runs: held back
    ok(retry, ByteString.fromArray(new byte[512]));
    assertEquals(Errno.OK, first.receiveMessage().errno());
    ok(rc10, ReadCapacity.of((1 << 15) - 1, 4096).toBytes10());
    restOfProbe(1 << 15, 4096); // next() would have returned the held-back READ before RC16
    DaPeriph.Resized resized = (DaPeriph.Resized) events.receiveMessage();
    assertEquals(4096L << 15, resized.mediaSize());
    assertEquals(4096, resized.sectorSize());

    Ccb.ScsiIo held = next(); // now, in the new geometry: one 4096-byte block
    assertEquals(Opcodes.READ_6, held.opcode());
    assertEquals(4096, held.dxferLen());
    ok(held, ByteString.fromArray(new byte[4096]));
    assertEquals(Errno.OK, during.receiveMessage().errno());
  }
}
