package org.camstack.stack.target.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.camstack.stack.iscsi.Opcode;
import org.camstack.stack.iscsi.Pdu;
import org.camstack.stack.node.NodeProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11's "Done means", end to end against a real {@code camstack node} process ({@code
 * --iscsi-port 0}, free ports, a fresh data dir, stopped by PID): {@code iscsi-ls -s} lists every
 * target and LUN the node's devlist has, {@code iscsi-inq} prints each device's INQUIRY as the
 * devlist says; the in-process {@code da0} and an iSCSI initiator (the raw-PDU {@link RawInitiator})
 * read each other's writes; a persistent reservation taken over iSCSI makes da0's writes fail with
 * RESERVATION CONFLICT until it is released; a LUN pulled through the API while delayed commands are
 * in flight over iSCSI completes each of them once, and the node keeps serving the other LUNs;
 * 10,000 fuzzed PDUs leave it serving.
 *
 * <p>Without {@code iscsi-ls}/{@code iscsi-inq} (Debian libiscsi-bin) the class is skipped, unless
 * {@code CAMSTACK_REQUIRE_ISCSI_TOOLS=1} (as {@link ConformanceIscsiTestCuTest}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class IscsiNodeProcessTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final Pattern LS_TARGET = Pattern.compile("^Target:(\\S+) Portal:127\\.0\\.0\\.1:(\\d+),1$");
  private static final Pattern LS_LUN = Pattern.compile("^Lun:(\\d+)\\s+Type:(\\S+).*");
  private static final Pattern NAME_BT = Pattern.compile("^iqn\\.2026-12\\.org\\.camstack:[a-z0-9-]+\\.b(\\d+)\\.t(\\d+)$");

  private final ActorTestKit kit = ActorTestKit.create();
  private final TestProbe<Void> probe = kit.createTestProbe();
  private Path work;
  private NodeProcess node;
  private String api;
  private int port;
  /** iSCSI target name by "bus:target", from discovery. */
  private final Map<String, String> targets = new TreeMap<>();

  @BeforeAll
  void startNode() throws Exception {
    ConformanceIscsiTestCuTest.requireTool("iscsi-ls");
    ConformanceIscsiTestCuTest.requireTool("iscsi-inq");
    work = Files.createTempDirectory("camstack-iscsi-e2e");
    node = NodeProcess.start(probe, work.resolve("data"), "node", "--iscsi-port", "0");
    api = node.awaitReady();
    port = node.awaitIscsiPort();
    for (Map.Entry<String, List<String>> e : iscsiLs().entrySet()) {
      Matcher m = NAME_BT.matcher(e.getKey());
      assertTrue(m.matches(), e.getKey());
      targets.put(m.group(1) + ":" + m.group(2), e.getKey());
    }
  }

  @AfterAll
  void stopNode() throws Exception {
    try {
      if (node != null) {
        assertEquals(0, node.stop(), "node exit code");
      }
    } finally {
      if (node != null) {
        node.close();
      }
      kit.shutdownTestKit();
    }
  }

  // ------------------------------------------------------------------ tools and API

  /** Runs a tool with a time limit (killed by PID when it overruns); returns its exit code and output. */
  private String[] tool(String... command) throws IOException, InterruptedException {
    Path out = Files.createTempFile(work, command[0], ".out");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        fail(String.join(" ", command) + " still running after 30 s; killed");
      }
    } finally {
      if (p.isAlive()) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    }
    return new String[] {Integer.toString(p.exitValue()), Files.readString(out, StandardCharsets.ISO_8859_1)};
  }

  /** {@code iscsi-ls -s}: target name &rarr; its "LUN TYPE" lines. */
  private Map<String, List<String>> iscsiLs() throws Exception {
    String[] r = tool("iscsi-ls", "-s", "iscsi://127.0.0.1:" + port);
    assertEquals("0", r[0], r[1]);
    Map<String, List<String>> out = new TreeMap<>();
    List<String> current = null;
    for (String line : r[1].split("\n")) {
      Matcher t = LS_TARGET.matcher(line.strip());
      Matcher l = LS_LUN.matcher(line.strip());
      if (t.matches()) {
        assertEquals(Integer.toString(port), t.group(2), line);
        current = out.computeIfAbsent(t.group(1), k -> new ArrayList<>());
      } else if (l.matches()) {
        assertNotNull(current, "a LUN before any target in\n" + r[1]);
        current.add(l.group(1) + " " + l.group(2));
      }
    }
    assertTrue(!out.isEmpty(), r[1]);
    return out;
  }

  private JsonNode call(int expect, String method, String path, String body) throws Exception {
    NodeProcess.Reply r = NodeProcess.call(api, method, path, body);
    assertEquals(expect, r.status(), () -> method + " " + path + " " + body + " -> " + r.body());
    return r.json();
  }

  /** The devlist's devices on real buses (bus &gt;= 0): "B:T:L" &rarr; the device's JSON. */
  private Map<String, JsonNode> devlist() throws Exception {
    Map<String, JsonNode> out = new TreeMap<>();
    for (JsonNode bus : call(200, "GET", "/api/devlist", null).get("buses")) {
      for (JsonNode d : bus.get("devices")) {
        String path = d.get("path").asText();
        if (path.matches("\\d+:\\d+:\\d+")) {
          out.put(path, d);
        }
      }
    }
    return out;
  }

  /** The "B:T:L" of the device a periph (e.g. da0) is attached to. */
  private String pathOf(String periph) throws Exception {
    for (Map.Entry<String, JsonNode> e : devlist().entrySet()) {
      for (JsonNode p : e.getValue().get("periphs")) {
        if (p.asText().equals(periph)) {
          return e.getKey();
        }
      }
    }
    return fail("no " + periph + " in the devlist");
  }

  private long open(String devNode) throws Exception {
    return call(200, "POST", "/api/devfs/open", "{\"node\":\"" + devNode + "\"}").get("handle").asLong();
  }

  private NodeProcess.Reply daWrite(long handle, long offset, byte[] data) throws Exception {
    return NodeProcess.call(api, "POST", "/api/devfs/" + handle + "/write",
        "{\"offset\":" + offset + ",\"dataHex\":\"" + HEX.formatHex(data) + "\"}");
  }

  private byte[] daRead(long handle, long offset, int length) throws Exception {
    JsonNode r = call(200, "POST", "/api/devfs/" + handle + "/read", "{\"offset\":" + offset + ",\"length\":" + length + "}");
    return HEX.parseHex(r.get("dataHex").asText());
  }

  private RawInitiator login(String busTarget, String initiator, long isid) throws IOException {
    String name = targets.get(busTarget);
    assertNotNull(name, () -> "no iSCSI target for " + busTarget + " in " + targets);
    RawInitiator ini = new RawInitiator(port);
    Pdu r = ini.login(initiator, name, isid);
    assertEquals(0, r.specificInt(36) >>> 16, "login status");
    return ini;
  }

  private static byte[] pattern(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  // ------------------------------------------------------------------ 1. iscsi-ls and iscsi-inq

  @Test
  @Order(1)
  void iscsiLsListsEveryTargetAndLunOfTheDevlist() throws Exception {
    Map<String, JsonNode> devs = devlist();
    TreeSet<String> fromApi = new TreeSet<>();
    for (String path : devs.keySet()) {
      String[] btl = path.split(":");
      fromApi.add(btl[0] + ":" + btl[1] + " " + btl[2]);
    }
    TreeSet<String> fromIscsi = new TreeSet<>();
    for (Map.Entry<String, List<String>> e : iscsiLs().entrySet()) {
      Matcher m = NAME_BT.matcher(e.getKey());
      assertTrue(m.matches(), e.getKey());
      for (String lun : e.getValue()) {
        fromIscsi.add(m.group(1) + ":" + m.group(2) + " " + lun.split(" ")[0]);
      }
    }
    assertTrue(fromApi.size() >= 9, "the default topology has 9 LUNs: " + fromApi);
    assertEquals(fromApi, fromIscsi, "iscsi-ls -s against the API's devlist");
  }

  @Test
  @Order(2)
  void iscsiInqPrintsEachDevicesInquiryAsTheDevlistSays() throws Exception {
    for (Map.Entry<String, JsonNode> e : devlist().entrySet()) {
      String[] btl = e.getKey().split(":");
      String url = "iscsi://127.0.0.1:" + port + "/" + targets.get(btl[0] + ":" + btl[1]) + "/" + btl[2];
      String[] r = tool("iscsi-inq", url);
      assertEquals("0", r[0], url + "\n" + r[1]);
      for (String field : List.of("vendor", "product", "revision")) {
        String want = e.getValue().get(field).asText().strip();
        String line = Character.toUpperCase(field.charAt(0)) + field.substring(1) + ":" + want;
        assertTrue(r[1].lines().anyMatch(l -> l.strip().equals(line)), () -> e.getKey() + ": no '" + line + "' in\n" + r[1]);
      }
    }
  }

  // ------------------------------------------------------------------ 2. da0 and iSCSI share the LUN

  @Test
  @Order(3)
  void da0AndAnIscsiInitiatorReadEachOthersWrites() throws Exception {
    String path = pathOf("da0");
    String[] btl = path.split(":");
    int bs = call(200, "GET", "/api/devices/da0/readcap", null).get("blockLength").asInt();
    long lun = Long.parseLong(btl[2]);
    long h = open("da0");
    try (RawInitiator ini = login(btl[0] + ":" + btl[1], "iqn.2026-12.org.camstack:e2e-share", 0x3E01)) {
      assertEquals(0, ini.testUnitReady(lun));
      // da0 writes, iSCSI reads
      byte[] a = pattern(1, 8 * bs);
      assertEquals(200, daWrite(h, 1000L * bs, a).status());
      assertArrayEquals(a, ini.read(lun, 1000, 8, bs), "iSCSI read of what da0 wrote");
      // iSCSI writes (immediate data and R2Ts), da0 reads
      byte[] b = pattern(2, 16 * bs);
      assertEquals(0, ini.write(lun, 2000, b, bs, 1024));
      assertArrayEquals(b, daRead(h, 2000L * bs, b.length), "da0 read of what iSCSI wrote");
    } finally {
      call(200, "POST", "/api/devfs/" + h + "/close", null);
    }
  }

  // ------------------------------------------------------------------ 3. a PR over iSCSI and da0

  /** PERSISTENT RESERVE OUT (scope LU) with its 24-byte parameter list as immediate data; returns the status PDU. */
  private static Pdu prOut(RawInitiator ini, long lun, int serviceAction, int type, long key, long saKey) throws IOException {
    byte[] cdb = {0x5f, (byte) serviceAction, (byte) type, 0, 0, 0, 0, 0, 24, 0};
    byte[] param = new byte[24];
    for (int i = 0; i < 8; i++) {
      param[i] = (byte) (key >>> (56 - 8 * i));
      param[8 + i] = (byte) (saKey >>> (56 - 8 * i));
    }
    int tag = ini.itt++;
    ini.send(InitiatorPdus.scsi(tag, ini.cmdSn++, lun, false, true, true, 24, cdb, param));
    while (true) {
      Pdu p = ini.next();
      assertNotNull(p, "connection closed");
      if (p.initiatorTaskTag() == tag && p.opcode() == Opcode.SCSI_RESPONSE) {
        return p;
      }
    }
  }

  @Test
  @Order(4)
  void aPersistentReservationOverIscsiMakesDa0WritesConflictUntilReleased() throws Exception {
    String path = pathOf("da0");
    String[] btl = path.split(":");
    long lun = Long.parseLong(btl[2]);
    int bs = call(200, "GET", "/api/devices/da0/readcap", null).get("blockLength").asInt();
    String pass = null;
    for (JsonNode p : devlist().get(path).get("periphs")) {
      if (p.asText().startsWith("pass")) {
        pass = p.asText();
      }
    }
    assertNotNull(pass, "da0's pass device");
    long key = 0x0E2E_0000_0000_0001L;
    long h = open("da0");
    long hp = open(pass);
    try (RawInitiator ini = login(btl[0] + ":" + btl[1], "iqn.2026-12.org.camstack:e2e-pr", 0x3E02)) {
      assertEquals(0, ini.testUnitReady(lun));
      assertEquals(0, InitiatorPdus.status(prOut(ini, lun, 0x00, 0, 0, key)), "PR OUT REGISTER");
      try {
        assertEquals(0, InitiatorPdus.status(prOut(ini, lun, 0x01, 0x01, key, 0)), "PR OUT RESERVE Write Exclusive");
        byte[] data = pattern(3, 4 * bs);
        // da0 (the in-process SIM's nexus, not registered): writes conflict, reads do not
        NodeProcess.Reply w = daWrite(h, 3000L * bs, data);
        assertEquals(409, w.status(), w.body());
        assertTrue(w.body().contains("EIO"), w.body());
        daRead(h, 3000L * bs, 4 * bs);
        // the same nexus through pass: the SCSI status itself is RESERVATION CONFLICT (0x18)
        JsonNode cdb = call(200, "POST", "/api/devfs/" + hp + "/cdb", "{\"cdbHex\":\"2a0000000bb800000400\",\"dataOutHex\":\""
            + HEX.formatHex(data) + "\"}");
        assertEquals(0x18, cdb.get("scsiStatus").asInt(), cdb.toString());
        // the holder writes
        assertEquals(0, ini.write(lun, 3000, data, bs, 0));
        // released: da0 writes again
        assertEquals(0, InitiatorPdus.status(prOut(ini, lun, 0x02, 0x01, key, 0)), "PR OUT RELEASE");
        byte[] after = pattern(4, 4 * bs);
        NodeProcess.Reply w2 = daWrite(h, 3000L * bs, after);
        assertEquals(200, w2.status(), w2.body());
        assertArrayEquals(after, ini.read(lun, 3000, 4, bs));
      } finally {
        prOut(ini, lun, 0x00, 0, key, 0); // unregister (REGISTER with service action key 0)
      }
    } finally {
      call(200, "POST", "/api/devfs/" + h + "/close", null);
      call(200, "POST", "/api/devfs/" + hp + "/close", null);
    }
    String log = Files.readString(work.resolve("data").resolve("logs").resolve("camstack.log"), StandardCharsets.ISO_8859_1);
    assertTrue(log.toLowerCase(java.util.Locale.ROOT).contains("reservation conflict"), "the da error print names the status");
  }

  // ------------------------------------------------------------------ 4. a LUN pulled with commands in flight

  /** Reads PDUs and records each task's final PDU (SCSI Response, or Data-In with S) by ITT. */
  private static final class Finals {
    final Map<Integer, List<Pdu>> byItt = new HashMap<>();
    final List<String> seen = new ArrayList<>();
    final RawInitiator ini;

    Finals(RawInitiator ini) {
      this.ini = ini;
    }

    void pump() throws IOException {
      Pdu p = ini.next();
      assertNotNull(p, "the target closed the connection");
      seen.add(p.opcode() + "/" + p.initiatorTaskTag() + "/" + InitiatorPdus.status(p));
      boolean last = p.opcode() == Opcode.SCSI_RESPONSE
          || (p.opcode() == Opcode.SCSI_DATA_IN && (p.flags() & 0x01) != 0);
      if (last) {
        byItt.computeIfAbsent(p.initiatorTaskTag(), k -> new ArrayList<>()).add(p);
      }
    }

    Pdu await(int itt) throws IOException {
      try {
        while (!byItt.containsKey(itt)) {
          pump();
        }
      } catch (SocketTimeoutException e) {
        fail("no final PDU for task " + itt + " within " + ini.socket.getSoTimeout() + " ms; PDUs seen: " + seen);
      }
      return byItt.get(itt).get(0);
    }

    int send(long lun, byte[] cdb, int readLength) throws IOException {
      int tag = ini.itt++;
      ini.send(InitiatorPdus.scsi(tag, ini.cmdSn++, lun, readLength > 0, false, true, readLength, cdb, new byte[0]));
      return tag;
    }
  }

  private static void assertReportedLunsChanged(Pdu p) {
    assertEquals(0x02, InitiatorPdus.status(p), "CHECK CONDITION");
    byte[] d = p.data();
    assertTrue(d.length >= 2 + 14, "sense data");
    assertEquals(0x06, d[2 + 2] & 0x0F, "UNIT ATTENTION");
    assertEquals(0x3F, d[2 + 12] & 0xFF, "ASC");
    assertEquals(0x0E, d[2 + 13] & 0xFF, "ASCQ");
  }

  @Test
  @Order(5)
  void aLunPulledWithCommandsInFlightCompletesEachOnceAndTheOthersKeepServing() throws Exception {
    // bus 1 target 5 has LUNs 0, 3 and 7 in the default topology: pull 3
    String bt = "1:5";
    String pulled = bt + ":3";
    Map<String, JsonNode> devs = devlist();
    assertTrue(devs.containsKey(pulled) && devs.containsKey(bt + ":0") && devs.containsKey(bt + ":7"), devs.keySet().toString());
    long delayMicros = 2_500_000; // the DELETE must land inside it, also on a loaded machine
    int inFlight = 8;
    try (RawInitiator ini = login(bt, "iqn.2026-12.org.camstack:e2e-pull", 0x3E03);
        RawInitiator other = login("0:1", "iqn.2026-12.org.camstack:e2e-other", 0x3E04)) {
      for (long l : new long[] {0, 3, 7}) {
        assertEquals(0, ini.testUnitReady(l), "LUN " + l);
      }
      assertEquals(0, other.testUnitReady(0));
      call(200, "PUT", "/api/devices/" + pulled + "/delay", "{\"fixedMicros\":" + delayMicros + ",\"randomMicros\":0}");
      Finals f = new Finals(ini);
      List<Integer> tags = new ArrayList<>();
      long sent = System.nanoTime();
      for (int i = 0; i < inFlight; i++) {
        tags.add(f.send(3, InitiatorPdus.read10(i * 8L, 8), 8 * 512));
      }
      call(200, "DELETE", "/api/luns/" + pulled, null);
      long pulledAt = System.nanoTime();
      assertTrue(pulledAt - sent < TimeUnit.MICROSECONDS.toNanos(delayMicros),
          "the pull must happen while the delayed commands are in flight (took " + (pulledAt - sent) / 1_000_000 + " ms)");
      // the other LUNs of the same target and session serve while those are in flight
      int tur0 = f.send(0, new byte[6], 0);
      int tur7 = f.send(7, new byte[6], 0);
      int afterPull = f.send(3, InitiatorPdus.read10(0, 1), 512);
      // the other LUNs learn of the pull: UA 06/3F/0E REPORTED LUNS DATA HAS CHANGED, then GOOD
      assertReportedLunsChanged(f.await(tur7));
      assertReportedLunsChanged(f.await(tur0));
      assertEquals(0, InitiatorPdus.status(f.await(f.send(7, new byte[6], 0))), "LUN 7 serves while LUN 3's tasks are in flight");
      // every in-flight command ends, once
      for (int tag : tags) {
        Pdu p = f.await(tag);
        int status = InitiatorPdus.status(p);
        assertTrue(status == 0x00 || status == 0x02, "in-flight READ " + tag + " ended with status " + status);
      }
      Pdu gone = f.await(afterPull);
      assertEquals(0x02, InitiatorPdus.status(gone), "a command after the pull: CHECK CONDITION");
      assertEquals(0x25, gone.data()[2 + 12] & 0xFF, "05/25/00 LOGICAL UNIT NOT SUPPORTED");
      // nothing more arrives for any of them: a NOP-Out answered after a quiet period past the delay
      ini.socket.setSoTimeout((int) TimeUnit.MICROSECONDS.toMillis(delayMicros) + 500);
      try {
        f.pump();
        fail("an unexpected final PDU: " + f.byItt);
      } catch (SocketTimeoutException quiet) {
        // nothing more: expected
      }
      ini.socket.setSoTimeout(10_000);
      for (int tag : tags) {
        assertEquals(1, f.byItt.get(tag).size(), "task " + tag + " completed " + f.byItt.get(tag).size() + " times");
      }
      assertEquals(1, f.byItt.get(afterPull).size());
      // the node keeps serving: this session's other LUNs, another session, the API
      byte[] data = pattern(5, 4096);
      assertEquals(0, ini.write(0, 10, data, 512, 512));
      assertArrayEquals(data, ini.read(0, 10, 8, 512));
      assertEquals(0, other.write(0, 10, java.util.Arrays.copyOf(data, 4096), 4096, 0));
      assertArrayEquals(data, other.read(0, 10, 1, 4096));
    }
    // the LUN number is free again once its tasks are done: plug it back
    call(200, "POST", "/api/luns", "{\"path\":\"" + pulled + "\",\"sizeBytes\":2147483648,\"blockSize\":512}");
    probe.awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(200), () -> {
      assertTrue(devlist().containsKey(pulled));
      return null;
    });
    try (RawInitiator ini = login(bt, "iqn.2026-12.org.camstack:e2e-pull", 0x3E05)) {
      assertEquals(0, ini.testUnitReady(3));
      assertNotNull(ini.read(3, 0, 1, 512));
    }
  }
  // ------------------------------------------------------------------ 5. fuzzed PDUs against the process

  /**
   * {@link IscsiFuzzTest} (10,000 PDUs against an in-process portal) against the
   * node process: {@value #FUZZ_PDUS} hostile PDUs from the same generator to the null-backed
   * scratch disk's target (1:3), while a good session reads and writes da0's LUN; the node then
   * still serves iSCSI logins, da0 through the API, and only the good session is left.
   */
  static final int FUZZ_PDUS = 10_000;

  @Test
  @Order(6)
  void fuzzedPdusLeaveTheNodeServing() throws Exception {
    Random rnd = new Random(IscsiFuzzTest.SEED + 1);
    String[] btl = pathOf("da0").split(":");
    assertEquals("0", btl[2], "da0 is LUN 0 of its target");
    long t0 = System.nanoTime();
    try (RawInitiator good = login(btl[0] + ":" + btl[1], "iqn.2026-12.org.camstack:e2e-fuzz-good", 0x3E06)) {
      assertEquals(0, good.testUnitReady(0));
      int sent = 0;
      int connections = 0;
      int round = 0;
      while (sent < FUZZ_PDUS) {
        connections++;
        sent += IscsiFuzzTest.hostileConnection(port, targets.get("1:3"), rnd, Math.min(300, FUZZ_PDUS - sent));
        if (connections % 5 == 0) {
          IscsiFuzzTest.goodIo(good, rnd, round++);
        }
      }
      IscsiFuzzTest.goodIo(good, rnd, round);
      // a new login, and da0 through the API
      try (RawInitiator fresh = login("1:3", "iqn.2026-12.org.camstack:e2e-fuzz-after", 0x3E07)) {
        assertEquals(0, fresh.testUnitReady(0));
      }
      long h = open("da0");
      try {
        byte[] d = pattern(6, 512);
        assertEquals(200, daWrite(h, 4000L * 512, d).status());
        assertArrayEquals(d, good.read(0, 4000, 1, 512));
      } finally {
        call(200, "POST", "/api/devfs/" + h + "/close", null);
      }
      probe.awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(200), () -> {
        JsonNode sessions = call(200, "GET", "/api/iscsi/sessions", null).get("sessions");
        assertEquals(1, sessions.size(), "only the good session is left: " + sessions);
        return null;
      });
    }
    System.out.println("iscsi e2e: " + FUZZ_PDUS + " fuzzed PDUs against the node in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
  }
}
