package org.camstack.stack.target.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.iscsi.Bhs;
import org.camstack.stack.iscsi.Opcode;
import org.camstack.stack.iscsi.Pdu;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.target.EmuDevice;
import org.camstack.stack.target.EmuDevices;
import org.camstack.stack.target.EmuTarget;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.target.TargetInventory;
import org.camstack.stack.testkit.LaterRouter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A command the LUN forwards to another node (a clustered LUN's copy) does not stall its iSCSI
 * connection, over a real loopback socket: LUN 0 routes to an "owner" that answers when the test
 * says so, from the test's thread; LUN 1 answers here. The forwarded command stays in flight holding
 * its LUN, the connection serves the next command meanwhile, and the forwarded answer is sent when it
 * comes back; a task aborted while forwarded is never answered (its late answer is dropped).
 */
class IscsiForwardedCommandTest {
  static final String HOST = "fwdtest";
  static ActorTestKit kit;
  static IscsiPortal portal;
  static EmuDevice routed;
  static EmuDevice local;
  static final LaterRouter router = new LaterRouter();
  static int run;
  final List<RawInitiator> open = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    kit = ActorTestKit.create();
    TargetInventory inventory = new TargetInventory();
    routed = EmuDevices.create(LunSpec.disk(0, 8192, 512), null);
    local = EmuDevices.create(LunSpec.disk(1, 8192, 512), null);
    Map<Integer, EmuTarget> bus = new ConcurrentHashMap<>();
    bus.put(0, new EmuTarget(0, List.of(routed, local)));
    routed.setRouter(router);
    routed.clearUnitAttentions();
    local.clearUnitAttentions();
    inventory.publish(0, bus);
    portal = IscsiPortal.start(kit.system(), "127.0.0.1", 0, PortalConfig.defaults(HOST), inventory)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @AfterEach
  void closeAll() throws IOException {
    router.answerAll();
    for (RawInitiator i : open) {
      i.close();
    }
  }

  RawInitiator session() throws IOException {
    RawInitiator i = new RawInitiator(portal.port());
    open.add(i);
    Pdu r = i.login("iqn.2026-12.test:fwd" + (++run), TargetNames.name(HOST, 0, 0), 0x23_0000_0000_01L);
    assertEquals(0, r.specificInt(36) >>> 16, "login status");
    return i;
  }

  static int read(RawInitiator a, long lun) throws IOException {
    int tag = a.itt++;
    a.send(InitiatorPdus.scsi(tag, a.cmdSn++, lun, true, false, true, 512, InitiatorPdus.read10(0, 1), new byte[0]));
    return tag;
  }

  /** NOP-Out / NOP-In: every PDU sent before it has been handled, and nothing else is due. */
  static void ping(RawInitiator a) throws IOException {
    int tag = a.itt++;
    a.send(InitiatorPdus.nopOut(tag, Bhs.NO_TAG, a.cmdSn, true, new byte[0]));
    Pdu p = a.next();
    assertEquals(Opcode.NOP_IN, p.opcode(), "only the NOP-In is due now: " + p);
    assertEquals(tag, p.initiatorTaskTag());
  }

  static byte[] block(int fill) {
    byte[] b = new byte[512];
    Arrays.fill(b, (byte) fill);
    return b;
  }

  @Test
  void aForwardedCommandPendingDoesNotStallTheConnectionAndItsAnswerComesLater() throws Exception {
    RawInitiator a = session();
    int first = read(a, 0);
    LaterRouter.Forwarded f = router.next();
    assertEquals(0x28, f.cdb().apply(0) & 0xff);
    assertEquals(1, routed.tasksInFlight(), "the forwarded task holds its LUN");

    int second = read(a, 1);
    Pdu p = a.next();
    assertEquals(second, p.initiatorTaskTag(), "the local LUN's command completes first: " + p);
    assertEquals(Opcode.SCSI_DATA_IN, p.opcode());
    assertEquals(0, InitiatorPdus.status(p));

    f.done().accept(ScsiResponse.good(ByteString.fromArrayUnsafe(block(0x5a)), f.dxferLen())); // the owner answers
    Pdu q = a.next();
    assertEquals(first, q.initiatorTaskTag(), "then the forwarded one: " + q);
    assertEquals(Opcode.SCSI_DATA_IN, q.opcode());
    assertEquals(0x01, q.flags() & 0x01, "status collapsed into the Data-In");
    assertEquals(0, InitiatorPdus.status(q));
    assertArrayEquals(block(0x5a), q.data());
    assertEquals(0, routed.tasksInFlight(), "its LUN task completed once the answer was sent");
    ping(a);
  }

  @Test
  void aForwardedCommandAbortedWhilePendingIsNeverAnsweredAndItsLateAnswerIsDropped() throws Exception {
    RawInitiator a = session();
    int tag = read(a, 0);
    LaterRouter.Forwarded f = router.next();
    int tmf = a.itt++;
    a.send(InitiatorPdus.tmf(1, tmf, a.cmdSn, 0, tag, a.cmdSn - 1)); // ABORT TASK
    Pdu r = a.next();
    assertEquals(Opcode.TASK_MGMT_RESPONSE, r.opcode());
    assertEquals(tmf, r.initiatorTaskTag());
    assertEquals(0, r.bytes2to3() >>> 8, "function complete");
    assertEquals(0, routed.tasksInFlight(), "the aborted task released its LUN");

    f.done().accept(ScsiResponse.good(ByteString.fromArrayUnsafe(block(1)), f.dxferLen())); // too late
    ping(a); // nothing for the aborted task came before the NOP-In
    int again = read(a, 1);
    Pdu p = a.next();
    assertEquals(again, p.initiatorTaskTag(), "the connection goes on: " + p);
    assertEquals(0, InitiatorPdus.status(p));
  }
}
