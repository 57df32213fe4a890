package org.camstack.stack.target.iscsi;

import static org.camstack.stack.target.iscsi.InitiatorPdus.ISID;
import static org.camstack.stack.target.iscsi.InitiatorPdus.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.camstack.persistence.audit.LifetimeChecker;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.persistence.device.FaultRule;
import org.camstack.stack.TargetLifetime;
import org.camstack.stack.iscsi.Opcode;
import org.camstack.stack.iscsi.Pdu;
import org.camstack.stack.target.Delay;
import org.camstack.stack.target.EmuDevice;
import org.camstack.stack.target.EmuDevices;
import org.camstack.stack.target.EmuTarget;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.target.TargetInventory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Target-side lifetime through the iSCSI engine (cf. {@code ctl_free_lun()}), socket-free with
 * timers the test fires: a LUN pulled while iSCSI tasks on it are delayed or dropped is freed only
 * after each of them ended exactly once (answered, aborted by TMF, ended by connection loss), its
 * number is refused meanwhile, and the lifetime checker sees every step and no violation.
 */
class IscsiLunLifetimeTest {
  static final String TARGET = TargetNames.name(IscsiConnectionTest.HOST, 0, 0);

  LifetimeChecker checker;
  EmuDevice disk;
  EmuTarget target;
  IscsiConnectionTest.Capture wire;
  IscsiConnection conn;
  int cmdSn;

  @BeforeEach
  void setUp() {
    checker = new LifetimeChecker();
    TargetInventory inventory = new TargetInventory(TargetLifetime.of(checker));
    disk = EmuDevices.create(LunSpec.disk(0, 4096, 512), null);
    target = new EmuTarget(0, List.of(disk));
    Map<Integer, EmuTarget> bus = new ConcurrentHashMap<>();
    bus.put(0, target);
    inventory.publish(0, bus);
    wire = new IscsiConnectionTest.Capture();
    conn = new IscsiConnection(PortalConfig.defaults(IscsiConnectionTest.HOST).withQueueDepth(8), inventory,
        new IscsiSessions(), wire, "127.0.0.1:3260", "test", IscsiConnectionTest.NO_CONTROL);
    conn.onPdu(InitiatorPdus.login(0, 1, true, ISID, 0, 1, 0,
        text("InitiatorName=iqn.test:life", "SessionType=Normal", "TargetName=" + TARGET, "AuthMethod=None")));
    conn.onPdu(InitiatorPdus.login(1, 3, true, ISID, 0, 1, 0, text()));
    assertEquals(2, wire.take().size());
    wire.timers.clear(); // the idle ping: not under test
  }

  private void tur(int itt) {
    conn.onPdu(InitiatorPdus.scsi(itt, cmdSn++, 0, false, false, true, 0, new byte[6], new byte[0]));
  }

  /** ITT → how many SCSI Responses it got, and the status of the last. */
  private static Map<Integer, int[]> responses(List<Pdu> pdus) {
    Map<Integer, int[]> m = new TreeMap<>();
    for (Pdu p : pdus) {
      if (p.opcode() == Opcode.SCSI_RESPONSE) {
        int[] c = m.computeIfAbsent(p.initiatorTaskTag(), k -> new int[2]);
        c[0]++;
        c[1] = InitiatorPdus.status(p);
      }
    }
    return m;
  }

  @Test
  void aLunPulledWhileAnswersAreDelayedIsFreedAfterTheLastAndItsNumberWaits() {
    disk.setDelay(new Delay(1_000_000, 1_000_000));
    tur(101);
    tur(102);
    assertEquals(2, disk.tasksInFlight());
    target.removeLun(0);
    assertFalse(disk.isFreed());
    EmuDevice next = EmuDevices.create(LunSpec.disk(0, 4096, 512), null);
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> target.addLun(next));
    assertTrue(refused.getMessage().contains("2 task(s) still in flight"), refused.getMessage());
    tur(103); // raced the removal: answered at once as for an absent LUN, holds nothing
    assertEquals(Map.of(103, 1), Map.of(103, responses(wire.take()).get(103)[0]));
    wire.timers.remove(0).run();
    assertFalse(disk.isFreed(), "one task still delayed");
    wire.timers.remove(0).run();
    assertTrue(disk.isFreed(), "freed after the last task");
    target.addLun(next);
    Map<Integer, int[]> r = responses(wire.take());
    assertEquals(List.of(101, 102), List.copyOf(r.keySet()));
    r.values().forEach(c -> assertEquals(1, c[0], "each task answered once"));
    assertEquals(0, conn.inFlight());
    assertEquals(0, checker.checkQuiescent());
    assertEquals(List.of(), checker.violations());
    assertEquals(2, checker.eventsOf(LifetimeEvent.LunTaskCompleted.class).size());
    assertEquals(1, checker.eventsOf(LifetimeEvent.LunFreed.class).size());
  }

  @Test
  void droppedAnswersEndByTaskManagementOrConnectionLossThenTheLunIsFreed() {
    disk.addFault(FaultRule.timeout("drop", FaultRule.ANY).continuous());
    tur(201);
    tur(202);
    target.removeLun(0);
    assertEquals(2, disk.tasksInFlight());
    conn.onPdu(InitiatorPdus.tmf(1, 900, cmdSn, 0, 201, cmdSn - 2)); // ABORT TASK 201
    assertEquals(1, disk.tasksInFlight());
    assertFalse(disk.isFreed());
    conn.onClosed(); // connection loss ends 202 (ERL 0)
    assertTrue(disk.isFreed());
    assertEquals(Map.of(), responses(wire.take()), "a dropped answer is never sent");
    assertEquals(2, conn.aborted());
    target.addLun(EmuDevices.create(LunSpec.disk(0, 4096, 512), null));
    assertEquals(0, checker.checkQuiescent());
    assertEquals(List.of(), checker.violations());
  }
}
