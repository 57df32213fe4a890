package org.camstack.stack.target.iscsi;

import static org.camstack.stack.target.iscsi.InitiatorPdus.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.camstack.stack.iscsi.Opcode;
import org.camstack.stack.iscsi.Pdu;
import org.camstack.stack.iscsi.PduCodec;
import org.camstack.stack.target.EmuDevices;
import org.camstack.stack.target.EmuTarget;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.target.TargetInventory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * At least 10,000 malformed or hostile PDUs from a seeded generator, over real loopback sockets,
 * while a good session keeps reading and writing: random bytes, wrong lengths, reserved and
 * target opcodes, data segments over the maximum, CmdSN outside the window, digest errors, Data-Out
 * for unknown tasks, random CDBs and task management. The portal must answer with Reject or a
 * closed connection and keep serving the good session and new logins.
 */
class IscsiFuzzTest {
  static final long SEED = 0x15C5_11L;
  static final int PDUS = 10_000;
  static final String HOST = "fuzz";

  ActorTestKit kit;
  IscsiPortal portal;

  @BeforeEach
  void start() throws Exception {
    kit = ActorTestKit.create();
    TargetInventory inv = new TargetInventory();
    Map<Integer, EmuTarget> bus = new ConcurrentHashMap<>();
    bus.put(0, new EmuTarget(0, List.of(EmuDevices.create(LunSpec.disk(0, 8192, 512), null))));
    bus.put(1, new EmuTarget(1, List.of(EmuDevices.create(LunSpec.disk(0, 8192, 512), null))));
    inv.publish(0, bus);
    portal = IscsiPortal.start(kit.system(), "127.0.0.1", 0, PortalConfig.defaults(HOST).withQueueDepth(16), inv)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void tenThousandHostilePdusAndTheGoodSessionKeepsWorking() {
    assertTimeoutPreemptively(Duration.ofSeconds(180), this::fuzz);
  }

  private void fuzz() throws Exception {
    Random rnd = new Random(SEED);
    try (RawInitiator good = new RawInitiator(portal.port())) {
      assertEquals(0, good.login("iqn.fuzz:good", TargetNames.name(HOST, 0, 0), 0x5000).specificInt(36) >>> 16);
      assertEquals(0, good.testUnitReady(0));
      int sent = 0;
      int connections = 0;
      int round = 0;
      while (sent < PDUS) {
        connections++;
        sent += hostileConnection(portal.port(), TargetNames.name(HOST, 0, 1), rnd, Math.min(300, PDUS - sent));
        if (connections % 10 == 0) {
          goodIo(good, rnd, round++);
        }
      }
      goodIo(good, rnd, round);
      assertTrue(sent >= PDUS);
      // a new login still works, and the hostile sessions are gone
      try (RawInitiator fresh = new RawInitiator(portal.port())) {
        assertEquals(0, fresh.login("iqn.fuzz:after", TargetNames.name(HOST, 0, 1), 0x6000).specificInt(36) >>> 16);
        assertEquals(0, fresh.testUnitReady(0));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (portal.sessions().list().size() > 1 && System.nanoTime() < deadline) {
        Thread.onSpinWait(); // the sockets closed above; their stages end asynchronously
      }
      assertEquals(1, portal.sessions().list().size(), "only the good session is left: " + portal.sessions().list());
    }
  }

  static void goodIo(RawInitiator good, Random rnd, int round) throws IOException {
    byte[] data = new byte[8 * 512];
    rnd.nextBytes(data);
    assertEquals(0, good.write(0, round * 8L, data, 512, 1024));
    assertArrayEquals(data, good.read(0, round * 8L, 8, 512));
  }

  /**
   * One connection of hostile PDUs to the portal on {@code port} (logging in to {@code target} in
   * some modes); returns how many were written before the target closed it.
   */
  static int hostileConnection(int port, String target, Random rnd, int budget) throws IOException, InterruptedException {
    int sent = 0;
    try (RawInitiator bad = new RawInitiator(port)) {
      int mode = rnd.nextInt(4); // 0: no login, 1: login, 2: login with digests, 3: discovery
      if (mode == 1 || mode == 2) {
        String[] keys = mode == 2 ? new String[] {"HeaderDigest=CRC32C", "DataDigest=CRC32C"} : new String[0];
        Pdu r = bad.login("iqn.fuzz:bad" + rnd.nextInt(4), target, rnd.nextInt(3), keys);
        if (r == null || (r.specificInt(36) >>> 16) != 0) {
          return 1;
        }
        if (mode == 2) {
          bad.tx = new PduCodec.Settings(true, true, 8192);
        }
        sent += 2;
      } else if (mode == 3) {
        bad.login("iqn.fuzz:disc", null, 0x7000);
        sent += 2;
      }
      Thread drain = drainer(bad.in);
      for (int i = 0; i < budget; i++) {
        try {
          bad.sendRaw(hostile(rnd, bad));
          sent++;
        } catch (IOException closed) {
          break; // the target closed the connection: expected for unframable input
        }
      }
      bad.socket.shutdownOutput();
      drain.join(TimeUnit.SECONDS.toMillis(15));
    }
    return Math.max(sent, 1);
  }

  private static Thread drainer(InputStream in) {
    Thread t = new Thread(() -> {
      byte[] b = new byte[65536];
      try {
        while (in.read(b) >= 0) {
          // discard
        }
      } catch (IOException e) {
        // closed
      }
    }, "fuzz-drain");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static byte[] hostile(Random rnd, RawInitiator c) {
    int kind = rnd.nextInt(12);
    switch (kind) {
      case 0 -> { // random bytes
        byte[] b = new byte[1 + rnd.nextInt(120)];
        rnd.nextBytes(b);
        return b;
      }
      case 1 -> { // any opcode (reserved, target's) with random fields, well framed
        byte[] b = new byte[48 + 4 * rnd.nextInt(4)];
        rnd.nextBytes(b);
        b[4] = 0;
        int dsl = b.length - 48;
        b[5] = 0;
        b[6] = 0;
        b[7] = (byte) dsl;
        return c.tx.headerDigest() ? PduCodec.encode(parse(b), c.tx) : b;
      }
      case 2 -> { // data segment over the maximum
        byte[] b = new byte[48];
        b[0] = 0x01;
        b[5] = (byte) 0x7F;
        return b;
      }
      case 3 -> { // CmdSN outside the window
        return encode(c, InitiatorPdus.scsi(rnd.nextInt(), c.cmdSn + 1000 + rnd.nextInt(1 << 20), 0, true, false, true, 512,
            InitiatorPdus.read10(0, 1), new byte[0]));
      }
      case 4 -> { // random CDB, random flags, in the window
        byte[] cdb = new byte[16];
        rnd.nextBytes(cdb);
        if (rnd.nextBoolean()) {
          cdb[0] = (byte) new int[] {0x00, 0x12, 0x25, 0x28, 0x2a, 0x1a, 0x15, 0x5a, 0xa0, 0x03, 0x16, 0x17, 0x1b, 0x35}[rnd.nextInt(14)];
        }
        boolean w = rnd.nextBoolean();
        byte[] imm = w ? new byte[rnd.nextInt(3) * 512] : new byte[0];
        long edtl = rnd.nextBoolean() ? rnd.nextInt(8192) : rnd.nextInt() & 0xFFFF_FFFFL;
        return encode(c, InitiatorPdus.scsi(c.itt++, c.cmdSn++, rnd.nextInt(4), !w, w, rnd.nextBoolean(), edtl, cdb, imm));
      }
      case 5 -> { // Data-Out for an unknown task or transfer tag, random offset
        byte[] d = new byte[rnd.nextInt(1024)];
        return encode(c, InitiatorPdus.dataOut(rnd.nextInt(), rnd.nextInt(), rnd.nextInt(), rnd.nextInt(), rnd.nextBoolean(), d));
      }
      case 6 -> { // task management, any function
        return encode(c, InitiatorPdus.tmf(rnd.nextInt(128), c.itt++, c.cmdSn, rnd.nextInt(3), rnd.nextInt(), rnd.nextInt()));
      }
      case 7 -> { // NOP-Out with data, immediate or not
        byte[] d = new byte[rnd.nextInt(600)];
        rnd.nextBytes(d);
        boolean imm = rnd.nextBoolean();
        return encode(c, InitiatorPdus.nopOut(c.itt++, -1, imm ? c.cmdSn : c.cmdSn++, imm, d));
      }
      case 8 -> { // text with garbage keys
        byte[] d = new byte[rnd.nextInt(300)];
        rnd.nextBytes(d);
        return encode(c, InitiatorPdus.textRequest(c.itt++, c.cmdSn++, rnd.nextBoolean() ? d : text("SendTargets=All", "Bogus=1")));
      }
      case 9 -> { // a digest error (or, without digests, a truncated PDU that desynchronises framing)
        byte[] b = encode(c, InitiatorPdus.nopOut(c.itt++, -1, c.cmdSn, true, new byte[64]));
        if (c.tx.headerDigest()) {
          b[b.length - 1] ^= 0x5A;
          return b;
        }
        return java.util.Arrays.copyOf(b, 60);
      }
      case 10 -> { // a login request in the full feature phase
        return encode(c, InitiatorPdus.login(0, 1, true, 1, 0, c.itt++, c.cmdSn, text("InitiatorName=x")));
      }
      default -> { // SNACK (not at ERL 0) and logout-for-recovery
        return encode(c, rnd.nextBoolean() ? Pdu.of(Opcode.SNACK_REQUEST, true, 0, c.itt++, new byte[0])
            : InitiatorPdus.logout(c.itt++, c.cmdSn, 2));
      }
    }
  }

  private static byte[] encode(RawInitiator c, Pdu p) {
    return PduCodec.encode(p, c.tx);
  }

  private static Pdu parse(byte[] framed) {
    PduCodec.Decoded d = PduCodec.decodeAll(framed, new PduCodec.Settings(false, false, Pdu.MAX_DATA_LENGTH))
        .orElseThrow().get(0);
    if (d instanceof PduCodec.Decoded.Frame f) {
      return f.pdu();
    }
    return Pdu.of(Opcode.NOP_OUT, true, 0, -1, new byte[0]); // a reserved opcode cannot be a Pdu: send a harmless one
  }
}
