package org.camstack.stack.target.iscsi;

import static org.camstack.stack.target.iscsi.InitiatorPdus.ISID;
import static org.camstack.stack.target.iscsi.InitiatorPdus.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.camstack.stack.iscsi.Bhs;
import org.camstack.stack.iscsi.Opcode;
import org.camstack.stack.iscsi.Pdu;
import org.camstack.stack.iscsi.PduCodec;
import org.camstack.stack.iscsi.TextKeys;
import org.camstack.stack.target.EmuDevice;
import org.camstack.stack.target.EmuDevices;
import org.camstack.stack.target.EmuTarget;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.target.TargetInventory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The socket-free protocol engine, driven with raw PDUs (RFC 7143 rules named per test). */
class IscsiConnectionTest {
  static final String HOST = "testhost";
  static final String TARGET = TargetNames.name(HOST, 0, 0);

  /** A wire that decodes what the engine writes and keeps timers for the test to fire. */
  static final class Capture implements IscsiConnection.Wire {
    final PduCodec.Decoder decoder = new PduCodec.Decoder(new PduCodec.Settings(false, false, Pdu.MAX_DATA_LENGTH));
    final List<Pdu> out = new ArrayList<>();
    final List<Runnable> timers = new ArrayList<>();
    boolean closed;

    @Override
    public void write(org.apache.pekko.util.ByteString bytes) {
      for (PduCodec.Decoded d : decoder.feed(bytes)) {
        out.add(((PduCodec.Decoded.Frame) d).pdu());
      }
    }

    @Override
    public void schedule(long nanos, Runnable r) {
      timers.add(r);
    }

    /** What other threads posted, for the test to run on its own thread. */
    final java.util.concurrent.ConcurrentLinkedQueue<Runnable> posted = new java.util.concurrent.ConcurrentLinkedQueue<>();

    @Override
    public void post(Runnable r) {
      posted.add(r);
    }

    @Override
    public void close() {
      closed = true;
    }

    List<Pdu> take() {
      List<Pdu> l = new ArrayList<>(out);
      out.clear();
      return l;
    }
  }

  static final IscsiSessions.Control NO_CONTROL = new IscsiSessions.Control() {
    @Override
    public void requestLogout() {}

    @Override
    public void drop() {}
  };

  TargetInventory inventory;
  EmuDevice disk;
  IscsiSessions sessions;
  Capture wire;
  IscsiConnection conn;
  int cmdSn;

  @BeforeEach
  void setUp() {
    inventory = new TargetInventory();
    disk = EmuDevices.create(LunSpec.disk(0, 4096, 512), null);
    Map<Integer, EmuTarget> bus = new ConcurrentHashMap<>();
    bus.put(0, new EmuTarget(0, List.of(disk)));
    inventory.publish(0, bus);
    sessions = new IscsiSessions();
    wire = new Capture();
    conn = newConnection(PortalConfig.defaults(HOST).withQueueDepth(4));
  }

  IscsiConnection newConnection(PortalConfig cfg) {
    return new IscsiConnection(cfg, inventory, sessions, wire, "127.0.0.1:3260", "test", NO_CONTROL);
  }

  static Map<String, String> keys(Pdu p) {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    for (TextKeys.Pair kv : ((TextKeys.Parsed.Ok) TextKeys.parse(p.data(), 1024)).pairs()) {
      m.put(kv.key(), kv.value());
    }
    return m;
  }

  /** Security stage then operational stage to full feature phase; returns the last login response. */
  Pdu login(String... opKeys) {
    conn.onPdu(InitiatorPdus.login(0, 1, true, ISID, 0, 1, 0,
        text("InitiatorName=iqn.test:ini", "SessionType=Normal", "TargetName=" + TARGET, "AuthMethod=None")));
    Pdu r1 = wire.take().get(0);
    assertEquals(0, r1.specificInt(36) >>> 16, "security stage status");
    assertEquals("None", keys(r1).get("AuthMethod"));
    assertEquals("1", keys(r1).get("TargetPortalGroupTag"));
    conn.onPdu(InitiatorPdus.login(1, 3, true, ISID, 0, 1, 0, text(opKeys)));
    Pdu r2 = wire.take().get(0);
    assertEquals(0, r2.specificInt(36) >>> 16, "operational stage status");
    assertTrue(r2.fin(), "T bit: transit to full feature phase");
    assertEquals(3, r2.flags() & 3, "NSG = full feature phase");
    cmdSn = 0;
    return r2;
  }

  @Test
  void loginNegotiatesByTheRulesAndAssignsATsih() {
    Pdu r = login("HeaderDigest=CRC32C,None", "DataDigest=None", "MaxRecvDataSegmentLength=4096", "MaxBurstLength=65536",
        "FirstBurstLength=1048576", "InitialR2T=No", "ImmediateData=Yes", "MaxOutstandingR2T=1", "ErrorRecoveryLevel=0",
        "MaxConnections=4", "DefaultTime2Wait=0", "X-vendor.key=1");
    Map<String, String> k = keys(r);
    assertEquals("CRC32C", k.get("HeaderDigest"), "list: the offerer's first value we support");
    assertEquals("65536", k.get("MaxBurstLength"), "minimum");
    assertEquals("262144", k.get("FirstBurstLength"), "minimum (our 256 KiB)");
    assertEquals("No", k.get("InitialR2T"), "OR of No and No");
    assertEquals("1", k.get("MaxConnections"));
    assertEquals("2", k.get("DefaultTime2Wait"), "maximum");
    assertEquals("NotUnderstood", k.get("X-vendor.key"));
    assertEquals("262144", k.get("MaxRecvDataSegmentLength"), "our own declaration");
    assertTrue(Bhs.tsih(r) != 0, "TSIH assigned");
    assertEquals(1, sessions.list().size());
  }

  @Test
  void unknownTargetIsNotFound0203AndMissingNameIs0207() {
    conn.onPdu(InitiatorPdus.login(0, 1, true, ISID, 0, 1, 0,
        text("InitiatorName=iqn.test:ini", "TargetName=" + TargetNames.name(HOST, 0, 9))));
    Pdu r = wire.take().get(0);
    assertEquals(0x0203, r.specificInt(36) >>> 16);
    assertTrue(wire.closed);
    wire = new Capture();
    conn = newConnection(PortalConfig.defaults(HOST));
    conn.onPdu(InitiatorPdus.login(0, 1, true, ISID, 0, 1, 0, text("TargetName=" + TARGET)));
    assertEquals(0x0207, wire.take().get(0).specificInt(36) >>> 16);
  }

  @Test
  void discoverySendTargetsListsEveryTargetWithItsPortal() {
    conn.onPdu(InitiatorPdus.login(0, 3, true, ISID, 0, 1, 0,
        text("InitiatorName=iqn.test:ini", "SessionType=Discovery", "AuthMethod=None")));
    assertEquals(0, wire.take().get(0).specificInt(36) >>> 16);
    conn.onPdu(InitiatorPdus.textRequest(2, 0, text("SendTargets=All")));
    Pdu r = wire.take().get(0);
    assertEquals(Opcode.TEXT_RESPONSE, r.opcode());
    String s = new String(r.data(), StandardCharsets.UTF_8);
    assertEquals("TargetName=" + TARGET + "\0TargetAddress=127.0.0.1:3260,1\0", s);
  }

  @Test
  void readSplitsDataInByTheInitiatorsMaxRecvDataSegmentLengthWithStatusInTheLast() {
    login("MaxRecvDataSegmentLength=1024");
    conn.onPdu(InitiatorPdus.scsi(10, cmdSn++, 0, true, false, true, 4096, InitiatorPdus.read10(0, 8), new byte[0]));
    List<Pdu> out = wire.take();
    assertEquals(4, out.size(), "4096 bytes in 1024-byte Data-In PDUs, no separate SCSI Response");
    for (int i = 0; i < 4; i++) {
      Pdu d = out.get(i);
      assertEquals(Opcode.SCSI_DATA_IN, d.opcode());
      assertEquals(1024, d.dataSegmentLength());
      assertEquals(i, d.specificInt(36), "DataSN");
      assertEquals(i * 1024, d.specificInt(40), "buffer offset");
      assertEquals(i == 3, d.fin());
      assertEquals(i == 3, (d.flags() & 0x01) != 0, "S bit only on the last");
    }
  }

  @Test
  void readResidualsUnderflowAndOverflowAgainstTheScsiTransferLength() {
    login();
    conn.onPdu(InitiatorPdus.scsi(11, cmdSn++, 0, true, false, true, 10000, InitiatorPdus.read10(0, 1), new byte[0]));
    Pdu last = wire.take().get(0);
    assertEquals(0x02, last.flags() & 0x06, "U bit");
    assertEquals(10000 - 512, last.specificInt(44));
    conn.onPdu(InitiatorPdus.scsi(12, cmdSn++, 0, true, false, true, 512, InitiatorPdus.read10(0, 2), new byte[0]));
    last = wire.take().get(0);
    assertEquals(512, last.dataSegmentLength());
    assertEquals(0x04, last.flags() & 0x06, "O bit");
    assertEquals(512, last.specificInt(44));
  }

  @Test
  void writeWithImmediateDataAndR2tsThenReadBack() {
    login("MaxRecvDataSegmentLength=8192", "MaxBurstLength=1024", "FirstBurstLength=512", "InitialR2T=Yes",
        "ImmediateData=Yes", "MaxOutstandingR2T=1");
    byte[] data = new byte[2048];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 7);
    }
    conn.onPdu(InitiatorPdus.scsi(20, cmdSn++, 0, false, true, true, 2048, InitiatorPdus.write10(8, 4),
        Arrays.copyOfRange(data, 0, 512)));
    Pdu r2t = wire.take().get(0);
    assertEquals(Opcode.R2T, r2t.opcode());
    assertEquals(0, r2t.specificInt(36), "R2TSN");
    assertEquals(512, r2t.specificInt(40), "offset after the immediate data");
    assertEquals(1024, r2t.specificInt(44), "MaxBurstLength");
    int ttt = r2t.specificInt(20);
    conn.onPdu(InitiatorPdus.dataOut(20, ttt, 0, 512, false, Arrays.copyOfRange(data, 512, 1024)));
    conn.onPdu(InitiatorPdus.dataOut(20, ttt, 1, 1024, true, Arrays.copyOfRange(data, 1024, 1536)));
    Pdu r2t2 = wire.take().get(0);
    assertEquals(Opcode.R2T, r2t2.opcode(), "one outstanding R2T: the next after the first sequence ended");
    assertEquals(1, r2t2.specificInt(36));
    assertEquals(1536, r2t2.specificInt(40));
    assertEquals(512, r2t2.specificInt(44));
    conn.onPdu(InitiatorPdus.dataOut(20, r2t2.specificInt(20), 0, 1536, true, Arrays.copyOfRange(data, 1536, 2048)));
    Pdu resp = wire.take().get(0);
    assertEquals(Opcode.SCSI_RESPONSE, resp.opcode());
    assertEquals(0, InitiatorPdus.status(resp));
    conn.onPdu(InitiatorPdus.scsi(21, cmdSn++, 0, true, false, true, 2048, InitiatorPdus.read10(8, 4), new byte[0]));
    assertArrayEquals(data, wire.take().get(0).data());
  }

  @Test
  void checkConditionCarriesSenseWithItsTwoByteLength() {
    login();
    conn.onPdu(InitiatorPdus.scsi(30, cmdSn++, 0, true, false, true, 512, InitiatorPdus.read10(1 << 20, 1), new byte[0]));
    Pdu r = wire.take().get(0);
    assertEquals(Opcode.SCSI_RESPONSE, r.opcode());
    assertEquals(2, InitiatorPdus.status(r));
    byte[] d = r.data();
    int len = ((d[0] & 0xFF) << 8) | (d[1] & 0xFF);
    assertEquals(d.length - 2, len);
    assertEquals(0x05, d[2 + 2] & 0x0F, "ILLEGAL REQUEST");
    assertEquals(0x21, d[2 + 12] & 0xFF, "LBA out of range");
  }

  @Test
  void commandsOutsideTheCmdSnWindowAreDroppedAndTheWindowIsTheQueueDepth() {
    Pdu r = login();
    int exp = r.specificInt(28);
    int max = r.specificInt(32);
    assertEquals(3, max - exp, "queue depth 4");
    conn.onPdu(InitiatorPdus.scsi(40, max + 1, 0, false, false, true, 0, new byte[6], new byte[0]));
    conn.onPdu(InitiatorPdus.scsi(41, exp - 1, 0, false, false, true, 0, new byte[6], new byte[0]));
    assertTrue(wire.take().isEmpty(), "too high and too low: ignored");
    conn.onPdu(InitiatorPdus.scsi(42, exp, 0, false, false, true, 0, new byte[6], new byte[0]));
    Pdu ok = wire.take().get(0);
    assertEquals(42, ok.initiatorTaskTag());
    assertEquals(exp + 1, ok.specificInt(28), "ExpCmdSN advanced");
  }

  @Test
  void outOfOrderCommandWaitsForTheGap() {
    Pdu r = login();
    int exp = r.specificInt(28);
    conn.onPdu(InitiatorPdus.scsi(51, exp + 1, 0, false, false, true, 0, new byte[6], new byte[0]));
    assertTrue(wire.take().isEmpty());
    conn.onPdu(InitiatorPdus.scsi(50, exp, 0, false, false, true, 0, new byte[6], new byte[0]));
    List<Pdu> out = wire.take();
    assertEquals(List.of(50, 51), out.stream().map(Pdu::initiatorTaskTag).toList());
  }

  @Test
  void nopOutPingIsEchoedAndOurPingMustBeAnswered() {
    login();
    conn.onPdu(InitiatorPdus.nopOut(60, Bhs.NO_TAG, cmdSn, true, "ping".getBytes(StandardCharsets.US_ASCII)));
    Pdu in = wire.take().get(0);
    assertEquals(Opcode.NOP_IN, in.opcode());
    assertEquals(60, in.initiatorTaskTag());
    assertEquals("ping", new String(in.data(), StandardCharsets.US_ASCII));
    conn.ping();
    Pdu ping = wire.take().get(0);
    assertEquals(Bhs.NO_TAG, ping.initiatorTaskTag());
    conn.onPdu(InitiatorPdus.nopOut(Bhs.NO_TAG, ping.specificInt(20), cmdSn, true, new byte[0]));
    assertTrue(wire.take().isEmpty(), "an answer to a ping is not answered");
  }

  @Test
  void anUnansweredNopInPingClosesTheConnection() {
    conn = newConnection(PortalConfig.defaults(HOST).withNopInterval(java.time.Duration.ofNanos(1)));
    login();
    assertEquals(1, wire.timers.size(), "the ping timer runs from the full feature phase on");
    wire.timers.remove(0).run();
    Pdu ping = wire.take().get(0);
    assertEquals(Opcode.NOP_IN, ping.opcode());
    assertEquals(Bhs.NO_TAG, ping.initiatorTaskTag());
    conn.onPdu(InitiatorPdus.nopOut(Bhs.NO_TAG, ping.specificInt(20), cmdSn, true, new byte[0]));
    wire.timers.remove(0).run(); // answered: another ping, no close
    Pdu ping2 = wire.take().get(0);
    assertFalse(wire.closed);
    assertTrue(ping2.specificInt(20) != ping.specificInt(20), "a fresh TTT");
    wire.timers.remove(0).run(); // not answered
    assertTrue(wire.closed);
  }

  @Test
  void taskManagementFunctions() {
    login();
    conn.onPdu(InitiatorPdus.tmf(1, 70, cmdSn, 0, 0x999, cmdSn - 10));
    assertEquals(1, wire.take().get(0).bytes2to3() >>> 8, "ABORT TASK of an old unknown task: task does not exist");
    conn.onPdu(InitiatorPdus.tmf(14, 71, cmdSn, 0, 0, 0));
    assertEquals(5, wire.take().get(0).bytes2to3() >>> 8, "unknown function: not supported");
    conn.onPdu(InitiatorPdus.tmf(5, 72, cmdSn, 0, 0, 0));
    assertEquals(0, wire.take().get(0).bytes2to3() >>> 8, "LOGICAL UNIT RESET");
    conn.onPdu(InitiatorPdus.tmf(5, 73, cmdSn, 9, 0, 0));
    assertEquals(2, wire.take().get(0).bytes2to3() >>> 8, "no LUN 9");
    // a write waiting for its data is a task in flight: ABORT TASK ends it, no response follows
    conn.onPdu(InitiatorPdus.scsi(74, cmdSn++, 0, false, true, true, 1024, InitiatorPdus.write10(0, 2), new byte[0]));
    Pdu r2t = wire.take().get(0);
    assertEquals(Opcode.R2T, r2t.opcode());
    assertEquals(1, conn.inFlight());
    conn.onPdu(InitiatorPdus.tmf(9, 75, cmdSn, 0, 74, cmdSn - 1));
    assertEquals(0, wire.take().get(0).bytes2to3() >>> 8, "QUERY TASK: it exists");
    conn.onPdu(InitiatorPdus.tmf(1, 76, cmdSn, 0, 74, cmdSn - 1));
    assertEquals(0, wire.take().get(0).bytes2to3() >>> 8, "function complete");
    assertEquals(0, conn.inFlight());
    assertEquals(1, conn.aborted());
    conn.onPdu(InitiatorPdus.dataOut(74, r2t.specificInt(20), 0, 0, true, new byte[1024]));
    assertEquals(Opcode.REJECT, wire.take().get(0).opcode(), "data for an aborted task is rejected");
  }

  @Test
  void connectionLossAbortsEveryTaskOnce() {
    login();
    conn.onPdu(InitiatorPdus.scsi(80, cmdSn++, 0, false, true, true, 1024, InitiatorPdus.write10(0, 2), new byte[0]));
    conn.onPdu(InitiatorPdus.scsi(81, cmdSn++, 0, false, true, true, 1024, InitiatorPdus.write10(2, 2), new byte[0]));
    assertEquals(2, conn.inFlight());
    conn.onClosed();
    conn.onClosed();
    assertEquals(2, conn.aborted());
    assertEquals(0, conn.completed());
    assertTrue(sessions.list().isEmpty(), "session gone");
  }

  @Test
  void malformedPdusTheConnectionSurvivesAreRejected() {
    login();
    conn.onPdu(Pdu.of(Opcode.SCSI_RESPONSE, true, 0, 5, new byte[0]));
    Pdu rej = wire.take().get(0);
    assertEquals(Opcode.REJECT, rej.opcode());
    assertEquals(0x04, rej.bytes2to3() >>> 8, "protocol error");
    assertEquals(48, rej.dataSegmentLength(), "the rejected header");
    conn.onPdu(Pdu.of(Opcode.SNACK_REQUEST, true, 0, 6, new byte[0]));
    assertEquals(Opcode.REJECT, wire.take().get(0).opcode());
    assertFalse(wire.closed);
    // immediate data on a read: invalid PDU field
    conn.onPdu(InitiatorPdus.scsi(90, cmdSn++, 0, true, false, true, 512, InitiatorPdus.read10(0, 1), new byte[8]));
    assertEquals(0x09, wire.take().get(0).bytes2to3() >>> 8);
    assertFalse(wire.closed);
  }

  @Test
  void garbageThatCannotBeFramedClosesTheConnection() {
    login();
    byte[] junk = new byte[48];
    junk[0] = 0x1f; // reserved opcode
    conn.onBytes(junk);
    assertTrue(wire.closed);
  }

  @Test
  void logoutClosesTheSession() {
    login();
    conn.onPdu(InitiatorPdus.logout(99, cmdSn, 0));
    Pdu r = wire.take().get(0);
    assertEquals(Opcode.LOGOUT_RESPONSE, r.opcode());
    assertEquals(0, r.bytes2to3() >>> 8);
    assertTrue(wire.closed);
    assertTrue(sessions.list().isEmpty());
  }

  @Test
  void endOfTheSessionReleasesItsReserve6Reservation() {
    login();
    conn.onPdu(InitiatorPdus.scsi(110, cmdSn++, 0, false, false, true, 0, new byte[] {0x16, 0, 0, 0, 0, 0}, new byte[0]));
    Pdu r = wire.take().get(0);
    if (InitiatorPdus.status(r) == 2) { // the power-on unit attention first
      conn.onPdu(InitiatorPdus.scsi(111, cmdSn++, 0, false, false, true, 0, new byte[] {0x16, 0, 0, 0, 0, 0}, new byte[0]));
      r = wire.take().get(0);
    }
    assertEquals(0, InitiatorPdus.status(r));
    assertTrue(disk.reservationHolder() >= 0);
    conn.onPdu(InitiatorPdus.logout(112, cmdSn, 0));
    assertEquals(-1, disk.reservationHolder(), "I_T nexus loss releases RESERVE(6)");
  }

  @Test
  void reinstatementBySameIsidDropsTheOldSession() {
    List<String> dropped = new ArrayList<>();
    IscsiSessions.Control first = new IscsiSessions.Control() {
      @Override
      public void requestLogout() {}

      @Override
      public void drop() {
        dropped.add("first");
      }
    };
    int t1 = sessions.register("iqn.test:ini", ISID, "Normal", TARGET, "a", first);
    int t2 = sessions.register("iqn.test:ini", ISID, "Normal", TARGET, "b", NO_CONTROL);
    assertEquals(List.of("first"), dropped);
    assertTrue(t1 != t2);
    assertEquals(1, sessions.list().size());
    sessions.unregister(t1, first);
    assertEquals(1, sessions.list().size(), "the replaced session's late unregister changes nothing");
  }

  @Test
  void delayedCompletionWaitsForItsTimerAndDroppedNeverAnswers() {
    login();
    disk.setDelay(new org.camstack.stack.target.Delay(1_000_000, 1_000_000));
    conn.onPdu(InitiatorPdus.scsi(100, cmdSn++, 0, false, false, true, 0, new byte[6], new byte[0]));
    assertTrue(wire.take().isEmpty());
    assertEquals(1, conn.inFlight());
    wire.timers.remove(wire.timers.size() - 1).run();
    assertEquals(100, wire.take().get(0).initiatorTaskTag());
    assertEquals(0, conn.inFlight());
  }
}
