package org.camstack.persistence.serialization;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.camstack.persistence.audit.LifetimeAudit;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.persistence.audit.ViolationKind;
import org.camstack.persistence.device.DeviceConfig;
import org.camstack.persistence.device.DeviceEntity;
import org.camstack.persistence.device.FaultRule;
import org.camstack.persistence.device.UnitAttention;
import org.camstack.persistence.inventory.HostInventoryEntity;
import org.camstack.persistence.library.LibraryEntity;
import org.camstack.persistence.wiring.HostWiringEntity;

/**
 * One sample of every class written to the journal or the snapshot store, keyed by its golden
 * file {@code golden/<EntityType>/<SimpleName>.v<current version>.json}.
 */
final class GoldenSamples {
  private GoldenSamples() {}

  static final String WWN = "naa.5000c50000000001";
  static final DeviceConfig CONFIG =
      DeviceConfig.disk(0, 1, 0, "S001", 2048, 512).inSlot("naa.50000000000e0001", 3);
  static final FaultRule RULE =
      new FaultRule("r1", "error", "read", 100, 199, true, "f0000300000000000000000011000000");
  static final UnitAttention UA = new UnitAttention(7, "*", 0x2a, 0x09, "capacity data has changed");

  static Map<String, Object> all() {
    Map<String, Object> m = new LinkedHashMap<>();
    String d = DeviceEntity.ENTITY_TYPE;
    put(m, d, new DeviceEntity.DeviceCreated(CONFIG));
    put(m, d, new DeviceEntity.DeviceReconfigured(CONFIG.withRemovable(true)));
    put(m, d, new DeviceEntity.MediumChanged("file:/var/tmp/disc.iso"));
    put(m, d, new DeviceEntity.DevicePlugged());
    put(m, d, new DeviceEntity.DeviceUnplugged("yanked"));
    put(m, d, new DeviceEntity.CapacityChanged(4096, 4096));
    put(m, d, new DeviceEntity.MediumStarted());
    put(m, d, new DeviceEntity.MediumStopped());
    put(m, d, new DeviceEntity.MediumLoaded());
    put(m, d, new DeviceEntity.MediumEjected());
    put(m, d, new DeviceEntity.RemovalPrevented(true));
    put(m, d, new DeviceEntity.ModePageChanged(8, 0, "0812a4000000ffff"));
    put(m, d, new DeviceEntity.ModePagesReset());
    put(m, d, new DeviceEntity.UnitReserved("iqn.a"));
    put(m, d, new DeviceEntity.UnitReleased("iqn.a"));
    put(m, d, new DeviceEntity.PrKeyRegistered("iqn.a", 0xabcdefL));
    put(m, d, new DeviceEntity.PrKeyUnregistered("iqn.a"));
    put(m, d, new DeviceEntity.PrReserved("iqn.a", 0xabcdefL, 1));
    put(m, d, new DeviceEntity.PrReleased("iqn.a"));
    put(m, d, new DeviceEntity.PrCleared("iqn.a"));
    put(m, d, new DeviceEntity.PrPreempted("iqn.b", 0xbbL, 0xabcdefL, 3));
    put(m, d, new DeviceEntity.FaultRuleAdded(RULE));
    put(m, d, new DeviceEntity.FaultRuleRemoved("r1"));
    put(m, d, new DeviceEntity.FaultRuleConsumed("r1"));
    put(m, d, new DeviceEntity.FaultRulesCleared());
    put(m, d, new DeviceEntity.DelaySet("write", 1500));
    put(m, d, new DeviceEntity.UnitAttentionPosted(UA));
    put(m, d, new DeviceEntity.UnitAttentionConsumed(7));
    put(m, d, new DeviceEntity.PhyStateChanged(3, false));
    put(m, d, new DeviceEntity.DeviceDecommissioned("removed"));
    // snapshots
    put(m, d, new DeviceEntity.Unconfigured());
    put(m, d, new DeviceEntity.Decommissioned("removed", CONFIG));
    put(
        m,
        d,
        new DeviceEntity.Configured(
            CONFIG,
            true,
            4096,
            512,
            new DeviceEntity.Media(true, true, false),
            Map.of("08", "0812a4000000ffff"),
            new DeviceEntity.Reservations("iqn.a", Map.of("iqn.a", 5L), "iqn.a", 1, 2),
            List.of(RULE),
            Map.of("write", 1500L),
            List.of(UA),
            8,
            List.of(1, 3)));

    String lib = LibraryEntity.ENTITY_TYPE;
    put(m, lib, new LibraryEntity.CartridgeImported("CAM000L6", 0x1000));
    put(m, lib, new LibraryEntity.CartridgeExported("NEW000L6", 0x10));
    put(m, lib, new LibraryEntity.CartridgeMoved("CAM000L6", 0x1000, 0x100, 0x1000));
    put(m, lib, new LibraryEntity.DrivePositionChanged("CAM000L6", 0x100, 3));
    put(m, lib, new LibraryEntity.BlockLengthChanged(0x101, 512));
    put(m, lib, new LibraryEntity.State(true,
        Map.of("CAM000L6", new LibraryEntity.Place(0x100, 0x1000, 3)), Map.of(0x101, 512)));
    String w = HostWiringEntity.ENTITY_TYPE;
    put(m, w, new HostWiringEntity.UnitWired(WWN, "da", 3, true));
    put(m, w, new HostWiringEntity.UnitUnwired(WWN, "da", 3));
    put(
        m,
        w,
        new HostWiringEntity.State(List.of(new HostWiringEntity.Wiring(WWN, "da", 3, false))));

    String v = HostInventoryEntity.ENTITY_TYPE;
    put(m, v, new HostInventoryEntity.DevicesPlugged(List.of(WWN), "hot-plug"));
    put(m, v, new HostInventoryEntity.DevicesUnplugged(List.of(WWN), "target removed"));
    put(m, v, new HostInventoryEntity.DevicesForgotten(List.of(WWN), "recovery"));
    put(m, v, new HostInventoryEntity.TopologyRecorded(Map.of(WWN, CONFIG)));
    put(
        m,
        v,
        new HostInventoryEntity.State(
            Map.of(
                WWN, new HostInventoryEntity.Member(true, CONFIG),
                "naa.5000c50000000002", new HostInventoryEntity.Member(false, null))));

    String l = LifetimeAudit.ENTITY_TYPE;
    long t = 1_764_000_000_000_000L;
    put(m, l, new LifetimeEvent.StackStarted("", -1, 0, "", t, "boot-1"));
    put(m, l, new LifetimeEvent.PeriphRegistered("da", 3, 2, WWN, t, "scbus0:1:0"));
    put(m, l, new LifetimeEvent.DevfsNodeCreated("da", 3, 2, WWN, t, "da3"));
    put(m, l, new LifetimeEvent.AliasAdded("da", 3, 2, WWN, t, "diskid/DISK-S001", "da3"));
    put(m, l, new LifetimeEvent.PeriphInvalidated("da", 3, 2, WWN, t, "AC_LOST_DEVICE"));
    put(m, l, new LifetimeEvent.NodeDestroyRequested("da", 3, 2, WWN, t, "da3"));
    put(m, l, new LifetimeEvent.NodeGone("da", 3, 2, WWN, t, "da3"));
    put(m, l, new LifetimeEvent.DestructorRun("da", 3, 2, WWN, t));
    put(m, l, new LifetimeEvent.UnitFreed("da", 3, 2, WWN, t));
    put(
        m,
        l,
        new LifetimeEvent.ProtocolViolation(
            "pass", 3, 2, WWN, t, ViolationKind.DUPLICATE_NAME, "pass3 still exists", List.of("pass3")));
    put(m, l, new LifetimeEvent.RefAcquired("da", 3, 2, WWN, t, "OPEN", true, 1));
    put(m, l, new LifetimeEvent.RefReleased("da", 3, 2, WWN, t, "OPEN", 0));
    put(m, l, new LifetimeEvent.AcquireRefused("da", 3, 2, WWN, t, "OPEN"));
    put(m, l, new LifetimeEvent.CcbIssued("da", 3, 2, WWN, t, "/user/da/da3-g2/$$a-adapter", 17));
    put(m, l, new LifetimeEvent.CcbCompleted("", -1, 0, "", t, "/user/da/da3-g2/$$a-adapter", 17, "REQ_CMP", "scbus0:1:0"));
    put(m, l, new LifetimeEvent.LunAdded("", -1, 3, "", t, "b0:t1", 2));
    put(m, l, new LifetimeEvent.LunRemoved("", -1, 3, "", t, "b0:t1", 2, 4));
    put(m, l, new LifetimeEvent.LunFreed("", -1, 3, "", t, "b0:t1", 2));
    put(m, l, new LifetimeEvent.LunTaskStarted("", -1, 3, "", t, "b0:t1", 2, 17));
    put(m, l, new LifetimeEvent.LunTaskCompleted("", -1, 3, "", t, "b0:t1", 2, 17));
    put(m, l, new LifetimeAudit.State(42));
    // the row format since batch rows: several events per journal row, numbered from firstSeqNr
    put(
        m,
        l,
        new LifetimeAudit.Batch(
            15,
            List.of(
                new LifetimeEvent.PeriphRegistered("da", 3, 2, WWN, t, "scbus0:1:0"),
                new LifetimeEvent.DevfsNodeCreated("da", 3, 2, WWN, t + 1, "da3"),
                new LifetimeEvent.ProtocolViolation(
                    "pass", 3, 2, WWN, t + 2, ViolationKind.DUPLICATE_NAME, "pass3 still exists", List.of("pass3")))));
    return m;
  }

  private static void put(Map<String, Object> m, String entityType, Object sample) {
    m.put(entityType + "/" + sample.getClass().getSimpleName(), sample);
  }
}
