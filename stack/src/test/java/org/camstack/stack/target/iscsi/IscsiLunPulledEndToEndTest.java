package org.camstack.stack.target.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.camstack.persistence.audit.LifetimeChecker;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.persistence.device.FaultRule;
import org.camstack.stack.TargetLifetime;
import org.camstack.stack.iscsi.Bhs;
import org.camstack.stack.iscsi.Opcode;
import org.camstack.stack.iscsi.Pdu;
import org.camstack.stack.target.Delay;
import org.camstack.stack.target.EmuDevice;
import org.camstack.stack.target.EmuDevices;
import org.camstack.stack.target.EmuTarget;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.target.TargetInventory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * "A LUN pulled with commands in flight completes each once" (issue 11), end to end over real
 * loopback sockets: a raw-PDU initiator keeps commands in flight on a LUN with an injected delay
 * (or dropped answers) while the LUN is pulled from its target; each command ends exactly once
 * (its status, or the end of the connection), the LUN is freed after the last, a new LUN with the
 * same number is refused until then and accepted after, and the lifetime checker, wired as the
 * node wires it ({@link TargetLifetime}), sees every step and no violation.
 */
class IscsiLunPulledEndToEndTest {
  static final String HOST = "pulltest";
  static final Duration WAIT = Duration.ofSeconds(10);

  ActorTestKit kit;
  LifetimeChecker checker;
  EmuTarget target;
  IscsiPortal portal;

  @BeforeEach
  void start() throws Exception {
    kit = ActorTestKit.create();
    checker = new LifetimeChecker();
    TargetInventory inventory = new TargetInventory(TargetLifetime.of(checker));
    target = new EmuTarget(0, List.of(disk(0), disk(1)));
    Map<Integer, EmuTarget> bus = new ConcurrentHashMap<>();
    bus.put(0, target);
    inventory.publish(0, bus);
    portal = IscsiPortal.start(kit.system(), "127.0.0.1", 0, PortalConfig.defaults(HOST), inventory)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  static EmuDevice disk(long lun) {
    return EmuDevices.create(LunSpec.disk(lun, 8192, 512), null);
  }

  private RawInitiator login(String name) throws Exception {
    RawInitiator ini = new RawInitiator(portal.port());
    Pdu r = ini.login(name, TargetNames.name(HOST, 0, 0), 0x2001, "MaxRecvDataSegmentLength=65536");
    assertEquals(0, r.specificInt(36) >>> 16, "login status");
    return ini;
  }

  private void awaitFreed(EmuDevice d) {
    kit.createTestProbe().awaitAssert(WAIT, () -> {
      assertTrue(d.isFreed(), "lun freed");
      return null;
    });
  }

  @Test
  void delayedCommandsOfAPulledLunCompleteOnceThenItIsFreedAndItsNumberReusable() throws Exception {
    EmuDevice lun0 = target.device(0);
    lun0.setDelay(new Delay(1_000_000_000L, 1_000_000_000L)); // long enough to pull it meanwhile
    try (RawInitiator ini = login("iqn.test:pull-delay")) {
      int[] itts = {11, 12, 13, 14};
      for (int i = 0; i < itts.length; i++) {
        boolean read = i % 2 == 1;
        ini.send(InitiatorPdus.scsi(itts[i], ini.cmdSn++, 0, read, false, true, read ? 4096 : 0,
            read ? InitiatorPdus.read10(8 * i, 8) : new byte[6], new byte[0]));
      }
      kit.createTestProbe().awaitAssert(WAIT, () -> {
        assertEquals(itts.length, lun0.tasksInFlight());
        return null;
      });
      assertNotNull(target.removeLun(0)); // pulled (as the SIM's RemoveLun does) with 4 commands delayed
      assertFalse(lun0.isFreed());
      IllegalArgumentException early = assertThrows(IllegalArgumentException.class, () -> target.addLun(disk(0)));
      assertTrue(early.getMessage().contains("still in flight"), early.getMessage());

      Map<Integer, Integer> statuses = new TreeMap<>();
      while (statuses.size() < itts.length) {
        Pdu p = ini.next();
        assertNotNull(p, "connection ended early");
        if (p.opcode() == Opcode.SCSI_RESPONSE || (p.opcode() == Opcode.SCSI_DATA_IN && (p.flags() & 0x01) != 0)) {
          assertEquals(null, statuses.put(p.initiatorTaskTag(), InitiatorPdus.status(p)), "answered twice: " + p.initiatorTaskTag());
        }
      }
      assertEquals(Map.of(11, 0, 12, 0, 13, 0, 14, 0), statuses, "admitted before the pull: each completes, GOOD");
      awaitFreed(lun0);
      target.addLun(disk(0)); // the number is free again

      // nothing more for the old tasks: a ping's answer is the next PDU
      ini.send(InitiatorPdus.nopOut(99, Bhs.NO_TAG, ini.cmdSn++, false, new byte[0]));
      assertEquals(Opcode.NOP_IN, ini.next().opcode());
    }
    assertEquals(0, checker.checkQuiescent());
    assertEquals(List.of(), checker.violations());
    assertEquals(4, checker.eventsOf(LifetimeEvent.LunTaskCompleted.class).stream()
        .filter(e -> e.generation() == 1 && e.lun() == 0).count());
    List<String> lun0Steps = checker.events().stream()
        .filter(e -> e instanceof LifetimeEvent.LunStep l && l.lun() == 0 && !(e instanceof LifetimeEvent.LunTaskStarted))
        .map(e -> e.getClass().getSimpleName() + "#" + e.generation()).toList();
    assertEquals(List.of("LunAdded#1", "LunRemoved#1", "LunTaskCompleted#1", "LunTaskCompleted#1", "LunTaskCompleted#1",
        "LunTaskCompleted#1", "LunFreed#1", "LunAdded#3"), lun0Steps);
  }

  @Test
  void droppedCommandsOfAPulledLunEndWithTheConnectionThenItIsFreed() throws Exception {
    EmuDevice lun1 = target.device(1);
    lun1.addFault(FaultRule.timeout("drop", FaultRule.ANY).continuous());
    RawInitiator ini = login("iqn.test:pull-drop");
    for (int itt = 21; itt <= 23; itt++) {
      ini.send(InitiatorPdus.scsi(itt, ini.cmdSn++, 1, false, false, true, 0, new byte[6], new byte[0]));
    }
    kit.createTestProbe().awaitAssert(WAIT, () -> {
      assertEquals(3, lun1.tasksInFlight());
      return null;
    });
    target.removeLun(1);
    assertThrows(IllegalArgumentException.class, () -> target.addLun(disk(1)));
    ini.close(); // connection loss: ERL 0 ends the session's tasks
    awaitFreed(lun1);
    target.addLun(disk(1));
    assertEquals(0, checker.checkQuiescent());
    assertEquals(List.of(), checker.violations());
    assertEquals(3, checker.eventsOf(LifetimeEvent.LunTaskCompleted.class).size());
  }
}
