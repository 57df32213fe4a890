package org.camstack.stack.target.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.camstack.stack.iscsi.Bhs;
import org.camstack.stack.iscsi.Opcode;
import org.camstack.stack.iscsi.Pdu;
import org.camstack.stack.target.Delay;
import org.camstack.stack.target.EmuDevice;
import org.camstack.stack.target.EmuDevices;
import org.camstack.stack.target.EmuTarget;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.target.TargetInventory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Task management across nexuses, I_T nexus loss, PREEMPT AND ABORT and task attributes, over real
 * loopback sockets with two raw-PDU sessions (A and B) on one LUN (SAM-5, SPC-4, RFC 7143 §11.5).
 */
class IscsiTaskManagementTest {
  static final String HOST = "tmftest";
  static final long DELAY_NANOS = 1_000_000_000L; // a delayed command: long enough to abort it first
  static ActorTestKit kit;
  static TargetInventory inventory;
  static IscsiPortal portal;
  static EmuDevice disk;
  static int run; // a fresh pair of initiator names per test (no UA left from an earlier test)
  final List<RawInitiator> open = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    kit = ActorTestKit.create();
    inventory = new TargetInventory();
    Map<Integer, EmuTarget> bus = new ConcurrentHashMap<>();
    disk = EmuDevices.create(LunSpec.disk(0, 8192, 512), null);
    bus.put(0, new EmuTarget(0, List.of(disk)));
    inventory.publish(0, bus);
    portal = IscsiPortal.start(kit.system(), "127.0.0.1", 0, PortalConfig.defaults(HOST), inventory)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @BeforeEach
  void fresh() {
    run++;
    disk.setDelay(Delay.NONE);
  }

  @AfterEach
  void closeAll() throws IOException {
    disk.setDelay(Delay.NONE);
    for (RawInitiator i : open) {
      i.close();
    }
  }

  RawInitiator session(String who, long isid) throws IOException {
    RawInitiator i = new RawInitiator(portal.port());
    open.add(i);
    Pdu r = i.login("iqn.2026-12.test:" + who + run, TargetNames.name(HOST, 0, 0), isid);
    assertEquals(0, r.specificInt(36) >>> 16, "login status");
    assertEquals(0, i.testUnitReady(0), "the new nexus's unit attentions consumed");
    return i;
  }

  /** Sends a command whose answer the LUN delays; returns once the target holds it (a NOP round trip). */
  static int delayedRead(RawInitiator a) throws IOException {
    disk.setDelay(Delay.fixed(DELAY_NANOS));
    int tag = a.itt++;
    a.send(InitiatorPdus.scsi(tag, a.cmdSn++, 0, true, false, true, 512, InitiatorPdus.read10(0, 1), new byte[0]));
    ping(a);
    disk.setDelay(Delay.NONE);
    return tag;
  }

  /** NOP-Out / NOP-In: every PDU sent before it has been handled by the target. */
  static void ping(RawInitiator a) throws IOException {
    int tag = a.itt++;
    a.send(InitiatorPdus.nopOut(tag, Bhs.NO_TAG, a.cmdSn, true, new byte[0]));
    Pdu p = a.next();
    assertEquals(Opcode.NOP_IN, p.opcode(), "only the NOP-In is due now: " + p);
    assertEquals(tag, p.initiatorTaskTag());
  }

  static int tmf(RawInitiator b, int function, long lun) throws IOException {
    int tag = b.itt++;
    b.send(InitiatorPdus.tmf(function, tag, b.cmdSn, lun, Bhs.NO_TAG, b.cmdSn));
    Pdu p = b.next();
    assertEquals(Opcode.TASK_MGMT_RESPONSE, p.opcode());
    assertEquals(tag, p.initiatorTaskTag());
    return p.bytes2to3() >>> 8;
  }

  /** One command with task attribute {@code attr}; returns its tag (the answer is read by the caller). */
  static int send(RawInitiator a, int attr, byte[] cdb, boolean read, long edtl) throws IOException {
    int tag = a.itt++;
    Pdu q = InitiatorPdus.scsi(tag, a.cmdSn++, 0, read, false, true, edtl, cdb, new byte[0]);
    a.send(new Pdu(q.opcode(), false, true, (q.flags() & ~0x07) | attr, 0, q.lun(), tag, q.specific(), new byte[0], q.data()));
    return tag;
  }

  /** TEST UNIT READY once: its status and, for CHECK CONDITION, sense key/ASC/ASCQ as 0xKKAAQQ. */
  static int[] tur(RawInitiator a) throws IOException {
    int tag = send(a, 1, new byte[6], false, 0);
    Pdu p = a.next();
    assertEquals(tag, p.initiatorTaskTag(), "the TUR's answer comes next: " + p);
    return new int[] {InitiatorPdus.status(p), sense(p)};
  }

  static int sense(Pdu p) {
    byte[] d = p.data();
    if (p.opcode() != Opcode.SCSI_RESPONSE || d.length < 2 + 14) {
      return 0;
    }
    int code = d[2] & 0x7f;
    if (code >= 0x72) {
      return (d[3] & 0x0f) << 16 | (d[4] & 0xff) << 8 | d[5] & 0xff;
    }
    return (d[4] & 0x0f) << 16 | (d[14] & 0xff) << 8 | d[15] & 0xff;
  }

  /** Nothing more arrives on {@code a} for longer than the LUN's delay (its delayed task was aborted). */
  static void silentPastTheDelay(RawInitiator a) throws IOException {
    a.socket.setSoTimeout((int) (2 * DELAY_NANOS / 1_000_000) + 500);
    assertThrows(SocketTimeoutException.class, a::next, "the aborted task must never be answered");
    a.socket.setSoTimeout(10_000);
  }

  @Test
  void lunResetFromBAbortsADelayedCommandOfAAndBothHearTheReset() throws Exception {
    RawInitiator a = session("a", 0x23_0000_0000_01L);
    RawInitiator b = session("b", 0x23_0000_0000_02L);
    delayedRead(a);
    assertEquals(0, tmf(b, 5, 0), "LOGICAL UNIT RESET: function complete");
    assertEquals(0x06_29_03, tur(b)[1], "the nexus that asked hears 29/03 too (SAM-5; CTL; libiscsi MultipathIO.Reset)");
    int[] r = tur(a);
    assertEquals(2, r[0], "CHECK CONDITION on A");
    assertEquals(0x06_29_03, r[1], "UNIT ATTENTION 29/03 on A");
    silentPastTheDelay(a);
  }

  @Test
  void targetWarmResetFromBAbortsADelayedCommandOfA() throws Exception {
    RawInitiator a = session("a", 0x23_0000_0000_01L);
    RawInitiator b = session("b", 0x23_0000_0000_02L);
    delayedRead(a);
    assertEquals(0, tmf(b, 6, 0), "TARGET WARM RESET: function complete");
    assertEquals(0x06_29_03, tur(a)[1], "UNIT ATTENTION 29/03 on A");
    assertEquals(0x06_29_03, tur(b)[1], "and on B");
    silentPastTheDelay(a);
  }

  @Test
  void clearTaskSetAbortsEveryNexusAndAbortTaskSetOnlyItsOwn() throws Exception {
    RawInitiator a = session("a", 0x23_0000_0000_01L);
    RawInitiator b = session("b", 0x23_0000_0000_02L);
    int tag = delayedRead(a);
    assertEquals(0, tmf(b, 2, 0), "ABORT TASK SET from B");
    Pdu late = a.next(); // B's ABORT TASK SET leaves A's task alone: its answer comes after the delay
    assertEquals(tag, late.initiatorTaskTag());
    delayedRead(a);
    assertEquals(0, tmf(b, 4, 0), "CLEAR TASK SET from B");
    int[] r = tur(a);
    assertEquals(0x06_2f_00, r[1], "COMMANDS CLEARED BY ANOTHER INITIATOR on A");
    assertEquals(0, tur(b)[0]);
    silentPastTheDelay(a);
  }

  @Test
  void connectionLossGivesTheLostNexus2907AndTheOtherNothing() throws Exception {
    long isid = 0x23_0000_0000_01L;
    RawInitiator a = session("a", isid);
    RawInitiator b = session("b", 0x23_0000_0000_02L);
    int before = portal.sessions().list().size();
    a.socket.close(); // no logout: the connection is lost
    kit.createTestProbe().awaitAssert(java.time.Duration.ofSeconds(10),
        () -> {
          assertEquals(before - 1, portal.sessions().list().size());
          return null;
        });
    assertEquals(0, tur(b)[0], "the other nexus hears nothing");
    RawInitiator a2 = new RawInitiator(portal.port());
    open.add(a2);
    a2.login("iqn.2026-12.test:a" + run, TargetNames.name(HOST, 0, 0), isid);
    int[] r = tur(a2);
    assertEquals(2, r[0]);
    assertEquals(0x06_29_07, r[1], "I_T NEXUS LOSS OCCURRED for the nexus that came back");
  }

  @Test
  void preemptAndAbortAbortsTheVictimsDelayedCommand() throws Exception {
    RawInitiator a = session("a", 0x23_0000_0000_01L);
    RawInitiator b = session("b", 0x23_0000_0000_02L);
    assertEquals(0, prOut(a, 0, 0, 0, 0xAAL), "A registers");
    assertEquals(0, prOut(b, 0, 0, 0, 0xBBL), "B registers");
    assertEquals(0, prOut(a, 1, 1, 0xAAL, 0), "A reserves (write exclusive)");
    delayedRead(a);
    assertEquals(0, prOut(b, 5, 1, 0xBBL, 0xAAL), "B: PREEMPT AND ABORT of A's key");
    int[] r = tur(a);
    assertEquals(0x06_2a_05, r[1], "REGISTRATIONS PREEMPTED on A");
    silentPastTheDelay(a);
  }

  @Test
  void plainPreemptLeavesTheVictimsDelayedCommandAlone() throws Exception {
    RawInitiator a = session("a", 0x23_0000_0000_01L);
    RawInitiator b = session("b", 0x23_0000_0000_02L);
    assertEquals(0, prOut(a, 0, 0, 0, 0xAAL));
    assertEquals(0, prOut(b, 0, 0, 0, 0xBBL));
    int tag = delayedRead(a);
    assertEquals(0, prOut(b, 4, 1, 0xBBL, 0xAAL), "B: PREEMPT");
    assertEquals(tag, a.next().initiatorTaskTag(), "A's task still completes");
  }

  /** PERSISTENT RESERVE OUT; returns the status. */
  static int prOut(RawInitiator i, int sa, int type, long key, long saKey) throws IOException {
    byte[] cdb = {0x5f, (byte) sa, (byte) type, 0, 0, 0, 0, 0, 24, 0};
    byte[] data = new byte[24];
    for (int k = 0; k < 8; k++) {
      data[k] = (byte) (key >>> (56 - 8 * k));
      data[8 + k] = (byte) (saKey >>> (56 - 8 * k));
    }
    int tag = i.itt++;
    i.send(InitiatorPdus.scsi(tag, i.cmdSn++, 0, false, true, true, 24, cdb, data));
    Pdu p = i.next();
    assertEquals(tag, p.initiatorTaskTag(), "PR OUT answer: " + p);
    return InitiatorPdus.status(p);
  }

  @Test
  void orderedWaitsForOlderTasksAndHeadOfQueueGoesFirst() throws Exception {
    RawInitiator a = session("a", 0x23_0000_0000_01L);
    int simple = delayedRead(a);
    int ordered = send(a, 2, new byte[6], false, 0);
    int head = send(a, 3, new byte[6], false, 0);
    List<Integer> order = new ArrayList<>();
    for (int k = 0; k < 3; k++) {
      Pdu p = a.next();
      order.add(p.initiatorTaskTag());
      assertTrue(p.opcode() == Opcode.SCSI_RESPONSE || p.opcode() == Opcode.SCSI_DATA_IN, p.toString());
    }
    assertEquals(List.of(head, simple, ordered), order, "HEAD OF QUEUE first, ORDERED after the older SIMPLE");
  }

  @Test
  void anAcaTaskWithoutAnAcaConditionIsRefused() throws Exception {
    RawInitiator a = session("a", 0x23_0000_0000_01L);
    send(a, 4, new byte[6], false, 0);
    Pdu p = a.next();
    assertEquals(2, InitiatorPdus.status(p));
    assertEquals(0x05_49_00, sense(p), "ILLEGAL REQUEST, INVALID MESSAGE ERROR");
    assertEquals(0, tur(a)[0], "the session goes on");
  }
}
