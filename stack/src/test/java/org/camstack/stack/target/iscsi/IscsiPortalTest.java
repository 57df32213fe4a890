package org.camstack.stack.target.iscsi;

import static org.camstack.stack.target.iscsi.InitiatorPdus.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.camstack.stack.iscsi.Chap;
import org.camstack.stack.iscsi.Opcode;
import org.camstack.stack.iscsi.Pdu;
import org.camstack.stack.iscsi.TextKeys;
import org.camstack.stack.target.EmuDevices;
import org.camstack.stack.target.EmuTarget;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.target.TargetInventory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The portal over real loopback sockets: raw PDUs from a test initiator, and libiscsi's tools as processes. */
class IscsiPortalTest {
  static final String HOST = "portaltest";
  static ActorTestKit kit;
  static TargetInventory inventory;
  static IscsiPortal portal;

  @BeforeAll
  static void start() throws Exception {
    kit = ActorTestKit.create();
    inventory = inventory();
    portal = IscsiPortal.start(kit.system(), "127.0.0.1", 0, PortalConfig.defaults(HOST), inventory)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static TargetInventory inventory() {
    TargetInventory inv = new TargetInventory();
    Map<Integer, EmuTarget> bus = new ConcurrentHashMap<>();
    bus.put(0, new EmuTarget(0, List.of(EmuDevices.create(LunSpec.disk(0, 8192, 512), null))));
    bus.put(1, new EmuTarget(1, List.of(EmuDevices.create(LunSpec.disk(0, 8192, 512), null),
        EmuDevices.create(LunSpec.disk(2, 4096, 4096), null))));
    inv.publish(0, bus);
    return inv;
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  /** docs/iscsi.md, "Frontend cost per I/O": the connections' writes are not held back. */
  @Test
  @SuppressWarnings("deprecation")
  void theConnectionsWriteWithoutCoalescingWhileTheSystemKeepsItsDefault() {
    assertEquals(0, IscsiPortal.connectionMaterializer(kit.system()).settings().ioSettings().coalesceWrites());
    assertEquals(
        10, org.apache.pekko.stream.Materializer.matFromSystem(kit.system()).settings().ioSettings().coalesceWrites());
  }

  @Test
  void writeThenReadBackOverTheSocket() throws Exception {
    try (RawInitiator ini = new RawInitiator(portal.port())) {
      Pdu r = ini.login("iqn.test:rw", TargetNames.name(HOST, 0, 0), 0x1001, "MaxBurstLength=16384", "FirstBurstLength=4096",
          "InitialR2T=Yes", "ImmediateData=Yes", "MaxRecvDataSegmentLength=8192");
      assertEquals(0, r.specificInt(36) >>> 16);
      assertEquals(0, ini.testUnitReady(0));
      byte[] data = new byte[64 * 512];
      new Random(7).nextBytes(data);
      assertEquals(0, ini.write(0, 100, data, 512, 4096));
      assertArrayEquals(data, ini.read(0, 100, 64, 512));
      assertEquals(1, portal.sessions().list().size());
      ini.send(InitiatorPdus.logout(0x99, ini.cmdSn, 0));
      assertEquals(Opcode.LOGOUT_RESPONSE, ini.next().opcode());
      assertTrue(ini.closedByTarget());
    }
  }

  @Test
  void discoveryOverTheSocketListsBothTargets() throws Exception {
    try (RawInitiator ini = new RawInitiator(portal.port())) {
      assertEquals(0, ini.login("iqn.test:disc", null, 0x1002).specificInt(36) >>> 16);
      ini.send(InitiatorPdus.textRequest(5, ini.cmdSn++, text("SendTargets=All")));
      Pdu t = ini.next();
      String s = new String(t.data(), StandardCharsets.UTF_8);
      String addr = "127.0.0.1:" + portal.port() + ",1";
      assertEquals("TargetName=" + TargetNames.name(HOST, 0, 0) + "\0TargetAddress=" + addr + "\0TargetName="
          + TargetNames.name(HOST, 0, 1) + "\0TargetAddress=" + addr + "\0", s);
    }
  }

  @Test
  void loginToAnUnknownTargetFailsWith0203AndCloses() throws Exception {
    try (RawInitiator ini = new RawInitiator(portal.port())) {
      Pdu r = ini.login("iqn.test:nf", TargetNames.name(HOST, 3, 3), 0x1003);
      assertEquals(0x0203, r.specificInt(36) >>> 16);
      assertTrue(ini.closedByTarget());
    }
  }

  @Test
  void aNonLoopbackPortalNeedsChap() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> IscsiPortal.start(kit.system(), "0.0.0.0", 0, PortalConfig.defaults(HOST), inventory));
    assertTrue(e.getMessage().contains("CHAP"), e.getMessage());
  }

  @Test
  void chapOneWayAndMutual() throws Exception {
    Chap.Credentials secrets = new Chap.Credentials(Chap.Account.of("alice", "alice-secret-123"),
        Optional.of(Chap.Account.of("tgt", "target-secret-456")));
    IscsiPortal chapPortal = IscsiPortal.start(kit.system(), "127.0.0.1", 0, PortalConfig.defaults(HOST).withChap(Optional.of(secrets)),
        inventory).toCompletableFuture().get(10, TimeUnit.SECONDS);
    try {
      assertEquals(0, chapLogin(chapPortal.port(), "alice-secret-123", true), "mutual CHAP");
      assertEquals(0x0201, chapLogin(chapPortal.port(), "wrong-secret-0000", true), "wrong secret: authentication failure");
      try (RawInitiator ini = new RawInitiator(chapPortal.port())) {
        assertEquals(0x0201, ini.login("iqn.test:nochap", TargetNames.name(HOST, 0, 0), 0x2003).specificInt(36) >>> 16,
            "AuthMethod=None refused when CHAP is required");
      }
    } finally {
      chapPortal.stop(Duration.ofSeconds(1)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void chapOneWay() throws Exception {
    Chap.Credentials secrets = Chap.Credentials.oneWay(Chap.Account.of("alice", "alice-secret-123"));
    IscsiPortal chapPortal = IscsiPortal.start(kit.system(), "127.0.0.1", 0, PortalConfig.defaults(HOST).withChap(Optional.of(secrets)),
        inventory).toCompletableFuture().get(10, TimeUnit.SECONDS);
    try {
      assertEquals(0, chapLogin(chapPortal.port(), "alice-secret-123", false), "one-way CHAP");
      assertEquals(0x0201, chapLogin(chapPortal.port(), "alice-secret-124", false), "wrong secret");
      assertEquals(0x0201, chapLogin(chapPortal.port(), "alice-secret-123", true), "mutual asked, no target secret");
    } finally {
      chapPortal.stop(Duration.ofSeconds(1)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /** A CHAP login with our own MD5 (RFC 1994: MD5(id || secret || challenge)); returns the final status. */
  private static int chapLogin(int port, String secret, boolean mutual) throws Exception {
    try (RawInitiator ini = new RawInitiator(port)) {
      long isid = 0x2001;
      ini.send(InitiatorPdus.login(0, 1, false, isid, 0, 1, 0, text("InitiatorName=iqn.test:chap", "SessionType=Normal",
          "TargetName=" + TargetNames.name(HOST, 0, 0), "AuthMethod=CHAP,None")));
      Map<String, String> k = keys(ini.next());
      assertEquals("CHAP", k.get("AuthMethod"));
      ini.send(InitiatorPdus.login(0, 1, false, isid, 0, 1, 0, text("CHAP_A=5")));
      k = keys(ini.next());
      int id = Integer.parseInt(k.get("CHAP_I"));
      byte[] challenge = Chap.decode(k.get("CHAP_C"));
      byte[] myChallenge = new byte[16];
      new Random(3).nextBytes(myChallenge);
      String resp = Chap.encodeHex(md5(id, secret, challenge));
      ini.send(InitiatorPdus.login(0, 1, true, isid, 0, 1, 0, mutual
          ? text("CHAP_N=alice", "CHAP_R=" + resp, "CHAP_I=9", "CHAP_C=" + Chap.encodeHex(myChallenge))
          : text("CHAP_N=alice", "CHAP_R=" + resp)));
      Pdu r = ini.next();
      int status = r.specificInt(36) >>> 16;
      if (status == 0 && mutual) {
        k = keys(r);
        assertEquals("tgt", k.get("CHAP_N"));
        assertEquals(Chap.encodeHex(md5(9, "target-secret-456", myChallenge)), k.get("CHAP_R"),
            "the target proves its own secret");
      }
      return status;
    }
  }

  private static byte[] md5(int id, String secret, byte[] challenge) throws Exception {
    MessageDigest md = MessageDigest.getInstance("MD5");
    md.update((byte) id);
    md.update(secret.getBytes(StandardCharsets.UTF_8));
    md.update(challenge);
    return md.digest();
  }

  static Map<String, String> keys(Pdu p) {
    assertNotNull(p, "the target closed the connection");
    Map<String, String> m = new HashMap<>();
    for (TextKeys.Pair kv : ((TextKeys.Parsed.Ok) TextKeys.parse(p.data(), 1024)).pairs()) {
      m.put(kv.key(), kv.value());
    }
    return m;
  }

  @Test
  void stoppingThePortalAsksSessionsToLogOut() throws Exception {
    IscsiPortal p2 = IscsiPortal.start(kit.system(), "127.0.0.1", 0, PortalConfig.defaults(HOST), inventory)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    try (RawInitiator ini = new RawInitiator(p2.port())) {
      assertEquals(0, ini.login("iqn.test:async", TargetNames.name(HOST, 0, 0), 0x3001).specificInt(36) >>> 16);
      var stopped = p2.stop(Duration.ofSeconds(5));
      Pdu async = ini.next();
      assertEquals(Opcode.ASYNC_MESSAGE, async.opcode());
      assertEquals(1, async.specific()[36 - 20], "AsyncEvent 1: logout requested");
      ini.send(InitiatorPdus.logout(0x42, ini.cmdSn, 0));
      assertEquals(Opcode.LOGOUT_RESPONSE, ini.next().opcode());
      stopped.toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertTrue(p2.sessions().list().isEmpty());
    }
  }

  @Test
  void libiscsiToolsAsRealProcesses() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/iscsi-ls")) && Files.isExecutable(Path.of("/usr/bin/iscsi-inq")),
        "libiscsi-bin is not installed");
    String url = "iscsi://127.0.0.1:" + portal.port();
    String ls = run("iscsi-ls", "-s", url);
    assertTrue(ls.contains("Target:" + TargetNames.name(HOST, 0, 1) + " Portal:127.0.0.1:" + portal.port() + ",1"), ls);
    assertTrue(ls.contains("Lun:2    Type:DIRECT_ACCESS (Size:15M)"), ls);
    String inq = run("iscsi-inq", url + "/" + TargetNames.name(HOST, 0, 0) + "/0");
    assertTrue(inq.contains("Peripheral Device Type:DIRECT_ACCESS"), inq);
  }

  private static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "timed out: " + String.join(" ", cmd));
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), out);
      return out;
    } finally {
      p.destroyForcibly();
    }
  }
}
