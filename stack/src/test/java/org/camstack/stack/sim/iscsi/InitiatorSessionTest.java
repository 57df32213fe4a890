package org.camstack.stack.sim.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.iscsi.Bhs;
import org.camstack.stack.iscsi.Chap;
import org.camstack.stack.iscsi.Opcode;
import org.camstack.stack.iscsi.Pdu;
import org.camstack.stack.iscsi.TextKeys;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.sim.AsyncSimDataPath;
import org.junit.jupiter.api.Test;

/** The initiator's session state machine driven with PDUs alone (no socket): login, data, window, NOP, bad peers. */
class InitiatorSessionTest {
  static final long SEC = 1_000_000_000L;

  /** Records what a command got. */
  static final class Got implements AsyncSimDataPath.Done {
    final List<Object> answers = new ArrayList<>();

    @Override
    public void answered(ScsiResponse response) {
      answers.add(response);
    }

    @Override
    public void failed(CamStatus status) {
      answers.add(status);
    }
  }

  static InitiatorSession.Params params(Optional<Chap.Account> chap, boolean immediate, boolean initialR2t) {
    return new InitiatorSession.Params("iqn.test:ini", "iqn.test:tgt", 0x80_0000_0001L, chap, 65536, 8192, 65536,
        immediate, initialR2t, 5 * SEC, 10 * SEC);
  }

  static Map<String, String> keys(Pdu p) {
    return ((TextKeys.Parsed.Ok) TextKeys.parse(p.data(), 4096)).pairs().stream()
        .collect(Collectors.toMap(TextKeys.Pair::key, TextKeys.Pair::value, (a, b) -> b, java.util.LinkedHashMap::new));
  }

  static Pdu loginResponse(int csg, int nsg, boolean transit, int statSn, int expCmdSn, int maxCmdSn, String... kv) {
    List<TextKeys.Pair> pairs = new ArrayList<>();
    for (int i = 0; i < kv.length; i += 2) {
      pairs.add(new TextKeys.Pair(kv[i], kv[i + 1]));
    }
    return Bhs.of(Opcode.LOGIN_RESPONSE).fin(transit).flags((csg << 2) | (transit ? nsg : 0))
        .lun((0x80_0000_0001L << 16) | 7).itt(0).word(24, statSn).word(28, expCmdSn).word(32, maxCmdSn)
        .build(TextKeys.format(pairs, 1024));
  }

  /** Logs in with AuthMethod=None; the target grants a window of {@code window} commands. */
  static InitiatorSession loggedIn(boolean immediate, boolean initialR2t, int window, String... targetKeys) {
    InitiatorSession s = new InitiatorSession(params(Optional.empty(), immediate, initialR2t), 0);
    Pdu first = s.start().send.get(0);
    assertEquals(Opcode.LOGIN_REQUEST, first.opcode());
    assertTrue(first.immediate(), "login is immediate");
    assertEquals("None", keys(first).get("AuthMethod"));
    assertEquals("iqn.test:tgt", keys(first).get("TargetName"));
    InitiatorSession.Step op = s.received(loginResponse(0, 1, true, 0, 1, 1), 0);
    assertEquals(InitiatorSession.State.OPERATIONAL, s.state());
    Map<String, String> offered = keys(op.send.get(0));
    assertEquals("1", offered.get("MaxOutstandingR2T"));
    assertEquals(Bhs.currentStage(op.send.get(0)), 1);
    s.received(loginResponse(1, 3, true, 1, 1, window, targetKeys), 0);
    assertEquals(InitiatorSession.State.FULL_FEATURE, s.state());
    return s;
  }

  @Test
  void noneLoginNegotiatesTheMinimaAndTheTargetsSegmentLength() {
    InitiatorSession s = loggedIn(true, false, 10, "MaxRecvDataSegmentLength", "4096", "FirstBurstLength", "4096",
        "MaxBurstLength", "16384", "ImmediateData", "Yes", "InitialR2T", "No");
    InitiatorSession.Negotiated n = s.negotiated();
    assertEquals(4096, n.maxSendDataSegmentLength());
    assertEquals(4096, n.firstBurstLength());
    assertEquals(16384, n.maxBurstLength());
    assertTrue(n.immediateData());
    assertFalse(n.initialR2t());
    assertEquals(7, n.tsih());
  }

  @Test
  void chapAnswersTheTargetsChallenge() {
    Chap.Account acct = Chap.Account.of("alice", "twelve-byte-secret");
    InitiatorSession s = new InitiatorSession(params(Optional.of(acct), true, true), 0);
    Pdu first = s.start().send.get(0);
    assertEquals("CHAP", keys(first).get("AuthMethod"));
    assertFalse(first.fin(), "no transit before authentication");
    Pdu a = s.received(loginResponse(0, 0, false, 0, 1, 1, "AuthMethod", "CHAP"), 0).send.get(0);
    assertEquals("5", keys(a).get("CHAP_A"));
    byte[] challenge = new byte[16];
    challenge[3] = 42;
    Pdu r = s.received(loginResponse(0, 0, false, 0, 1, 1, "CHAP_A", "5", "CHAP_I", "9", "CHAP_C",
        Chap.encodeHex(challenge)), 0).send.get(0);
    assertEquals("alice", keys(r).get("CHAP_N"));
    assertArrayEquals(Chap.response(9, "twelve-byte-secret".getBytes(), challenge), Chap.decode(keys(r).get("CHAP_R")));
    assertTrue(r.fin(), "transit to the operational stage with the response");
    s.received(loginResponse(0, 1, true, 0, 1, 1), 0);
    assertEquals(InitiatorSession.State.OPERATIONAL, s.state());
  }

  @Test
  void aRefusedLoginFailsWithItsStatus() {
    InitiatorSession s = new InitiatorSession(params(Optional.empty(), true, true), 0);
    s.start();
    Pdu refused = Bhs.of(Opcode.LOGIN_RESPONSE).fin(false).itt(0).octet(36, 2).octet(37, 1).build();
    s.received(refused, 0);
    assertEquals(InitiatorSession.State.FAILED, s.state());
    assertTrue(s.failure().contains("authentication failed"), s.failure());
  }

  @Test
  void writeSendsImmediateThenUnsolicitedThenAnswersR2t() {
    InitiatorSession s = loggedIn(true, false, 10, "MaxRecvDataSegmentLength", "4096", "FirstBurstLength", "8192",
        "InitialR2T", "No");
    byte[] data = new byte[20000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) i;
    }
    Got got = new Got();
    InitiatorSession.Step st = new InitiatorSession.Step();
    s.submit(1, 3, ByteString.fromArray(new byte[] {0x2a, 0, 0, 0, 0, 0, 0, 0, 40, 0}), ByteString.fromArray(data),
        data.length, got, st);
    assertEquals(2, st.send.size(), "command with 4096 immediate bytes + one unsolicited Data-Out up to FirstBurst");
    Pdu cmd = st.send.get(0);
    assertEquals(Opcode.SCSI_COMMAND, cmd.opcode());
    assertTrue(Bhs.write(cmd));
    assertEquals(20000, Bhs.expectedDataTransferLength(cmd));
    assertEquals(4096, cmd.dataSegmentLength());
    assertEquals(3, InitiatorSession.decodeLun(cmd.lun()));
    Pdu unsolicited = st.send.get(1);
    assertEquals(Bhs.NO_TAG, Bhs.targetTransferTag(unsolicited));
    assertEquals(4096, Bhs.bufferOffset(unsolicited));
    assertTrue(unsolicited.fin());
    // R2T for the rest: 11808 bytes from 8192 in segments of 4096
    Pdu r2t = Bhs.of(Opcode.R2T).fin(true).lun(cmd.lun()).itt(cmd.initiatorTaskTag()).word(20, 0x77)
        .word(24, 2).word(28, 2).word(32, 11).word(36, 0).word(40, 8192).word(44, 11808).build();
    List<Pdu> outs = s.received(r2t, 0).send;
    assertEquals(3, outs.size());
    assertEquals(0x77, Bhs.targetTransferTag(outs.get(0)));
    assertEquals(8192 + 8192, Bhs.bufferOffset(outs.get(2)));
    assertEquals(20000 - 16384, outs.get(2).dataSegmentLength());
    assertTrue(outs.get(2).fin());
    assertArrayEquals(java.util.Arrays.copyOfRange(data, 16384, 20000), outs.get(2).data());
    Pdu resp = Bhs.of(Opcode.SCSI_RESPONSE).fin(true).itt(cmd.initiatorTaskTag()).word(24, 2).word(28, 2).word(32, 11)
        .build();
    List<InitiatorSession.Finished> fin = s.received(resp, 0).finished;
    assertEquals(1, fin.size());
    fin.get(0).report();
    assertEquals(0, ((ScsiResponse) got.answers.get(0)).scsiStatus());
  }

  @Test
  void readGathersDataInAndCompletesOnTheStatusFlag() {
    InitiatorSession s = loggedIn(true, true, 10);
    Got got = new Got();
    InitiatorSession.Step st = new InitiatorSession.Step();
    s.submit(1, 0, ByteString.fromArray(new byte[] {0x28, 0, 0, 0, 0, 0, 0, 0, 2, 0}), ByteString.emptyByteString(),
        1024, got, st);
    int itt = st.send.get(0).initiatorTaskTag();
    assertTrue(Bhs.read(st.send.get(0)));
    byte[] half = new byte[512];
    half[0] = 5;
    s.received(Bhs.of(Opcode.SCSI_DATA_IN).fin(false).itt(itt).word(28, 2).word(32, 11).word(36, 0).word(40, 0)
        .build(half), 0);
    half[0] = 6;
    List<InitiatorSession.Finished> fin = s.received(Bhs.of(Opcode.SCSI_DATA_IN).fin(true).flags(0x01).itt(itt)
        .word(24, 1).word(28, 2).word(32, 11).word(36, 1).word(40, 512).build(half), 0).finished;
    fin.get(0).report();
    ScsiResponse r = (ScsiResponse) got.answers.get(0);
    assertEquals(1024, r.data().size());
    assertEquals(5, r.data().apply(0));
    assertEquals(6, r.data().apply(512));
    assertEquals(0, r.resid());
  }

  @Test
  void theCmdSnWindowHoldsCommandsUntilMaxCmdSnMoves() {
    InitiatorSession s = loggedIn(true, true, 2); // ExpCmdSN 1, MaxCmdSN 2: two commands
    InitiatorSession.Step st = new InitiatorSession.Step();
    for (int i = 0; i < 3; i++) {
      s.submit(i, 0, ByteString.fromArray(new byte[6]), ByteString.emptyByteString(), 0, new Got(), st);
    }
    assertEquals(2, st.send.size(), "the third waits for the window");
    assertEquals(1, Bhs.cmdSn(st.send.get(0)));
    assertEquals(2, Bhs.cmdSn(st.send.get(1)));
    Pdu resp = Bhs.of(Opcode.SCSI_RESPONSE).fin(true).itt(st.send.get(0).initiatorTaskTag()).word(24, 2)
        .word(28, 2).word(32, 3).build();
    List<Pdu> next = s.received(resp, 0).send;
    assertEquals(1, next.size(), "the window opened");
    assertEquals(3, Bhs.cmdSn(next.get(0)));
    assertEquals(3, Bhs.expStatSn(next.get(0)));
  }

  @Test
  void answersTargetPingsAndPingsWhenIdleAndFailsWhenUnanswered() {
    InitiatorSession s = loggedIn(true, true, 10);
    Pdu ping = Bhs.of(Opcode.NOP_IN).fin(true).itt(Bhs.NO_TAG).word(20, 0x1234).word(24, 2).word(28, 1).word(32, 10)
        .build();
    Pdu pong = s.received(ping, SEC).send.get(0);
    assertEquals(Opcode.NOP_OUT, pong.opcode());
    assertEquals(0x1234, Bhs.targetTransferTag(pong));
    assertEquals(Bhs.NO_TAG, pong.initiatorTaskTag());
    assertTrue(pong.immediate());
    assertTrue(s.tick(5 * SEC).send.isEmpty(), "4 s of silence: no ping yet");
    Pdu ours = s.tick(6 * SEC).send.get(0);
    assertEquals(Opcode.NOP_OUT, ours.opcode());
    assertTrue(s.tick(15 * SEC).send.isEmpty());
    assertEquals(InitiatorSession.State.FULL_FEATURE, s.state());
    s.tick(16 * SEC);
    assertEquals(InitiatorSession.State.FAILED, s.state(), "ping unanswered for 10 s");
    assertTrue(s.failure().contains("NOP-Out"), s.failure());
  }

  @Test
  void protocolViolationsFailTheSessionAndDrainHandsCommandsBack() {
    InitiatorSession s = loggedIn(true, true, 10);
    InitiatorSession.Step st = new InitiatorSession.Step();
    Got got = new Got();
    s.submit(1, 0, ByteString.fromArray(new byte[] {0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0}), ByteString.emptyByteString(),
        512, got, st);
    int itt = st.send.get(0).initiatorTaskTag();
    // Data-In past the command's buffer
    s.received(Bhs.of(Opcode.SCSI_DATA_IN).fin(true).itt(itt).word(40, 0).build(new byte[1024]), 0);
    assertEquals(InitiatorSession.State.FAILED, s.state());
    assertTrue(s.failure().contains("beyond the expected length"), s.failure());
    assertTrue(s.received(Bhs.of(Opcode.NOP_IN).fin(true).itt(Bhs.NO_TAG).word(20, 1).build(), 0).isEmpty(),
        "a failed session answers nothing");
    assertEquals(List.of(got), s.drain());

    InitiatorSession t = loggedIn(true, true, 10);
    t.received(Bhs.of(Opcode.SCSI_COMMAND).fin(true).build(), 0);
    assertEquals(InitiatorSession.State.FAILED, t.state(), "an initiator opcode from the target");
  }

  @Test
  void abortTaskNamesTheTaskAndLunResetTerminatesTheLunsCommands() {
    InitiatorSession s = loggedIn(true, true, 10);
    InitiatorSession.Step st = new InitiatorSession.Step();
    Got a = new Got();
    Got b = new Got();
    s.submit(10, 2, ByteString.fromArray(new byte[6]), ByteString.emptyByteString(), 0, a, st);
    s.submit(11, 2, ByteString.fromArray(new byte[6]), ByteString.emptyByteString(), 0, b, st);
    InitiatorSession.Step ab = new InitiatorSession.Step();
    s.abortTask(10, ab);
    Pdu tmf = ab.send.get(0);
    assertEquals(Opcode.TASK_MGMT_REQUEST, tmf.opcode());
    assertEquals(1, Bhs.tmfFunction(tmf));
    assertEquals(st.send.get(0).initiatorTaskTag(), Bhs.referencedTaskTag(tmf));
    assertEquals(1, Bhs.refCmdSn(tmf));
    InitiatorSession.Step rs = new InitiatorSession.Step();
    boolean[] ok = new boolean[1];
    s.lunReset(2, v -> ok[0] = v, rs);
    Pdu reset = rs.send.get(0);
    assertEquals(5, Bhs.tmfFunction(reset));
    List<InitiatorSession.Finished> fin = s.received(Bhs.of(Opcode.TASK_MGMT_RESPONSE).fin(true)
        .itt(reset.initiatorTaskTag()).word(24, 2).word(28, 3).word(32, 12).build(), 0).finished;
    assertTrue(ok[0]);
    assertEquals(1, fin.size(), "the aborted task is already forgotten; the other ends with BDR_SENT");
    fin.get(0).report();
    assertEquals(List.of(CamStatus.BDR_SENT), b.answers);
    assertNull(s.failure());
  }
}
