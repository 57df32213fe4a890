package org.camstack.stack.node;

import org.camstack.stack.xpt.IoStats;

import java.util.List;

/**
 * The JSON documents of the management API (see docs/operations.md). Requests and replies are
 * records so that the node (Jackson marshalling in {@link ManagementRoutes}) and {@code camstack
 * ctl} (which decodes the same records) share one definition. Field names are the JSON names.
 *
 * <p>Numbers that identify a place in the topology use camcontrol's forms: {@code path} is {@code
 * B:T:L}, a device argument is a periph name ({@code da0}, {@code pass3}) or {@code B:T:L}.
 */
public final class ApiModel {
  private ApiModel() {}

  // ------------------------------------------------------------------ generic

  /** Every 4xx/5xx body: one line, no stack trace. */
  public record Error(String error) {}

  /** A plain acknowledgement with a human line (what ctl prints). */
  public record Ack(boolean ok, String message) {}

  /** {@code GET /health}. */
  public record Health(String status, String node, long uptimeMillis) {}

  /** {@code GET /ready}: ready once the first scan of every bus finished. */
  public record Ready(boolean ready, String detail) {}

  // ------------------------------------------------------------------ EDT

  /** {@code GET /api/devlist}: the XPT_DEV_MATCH answer, buses in path-id order. */
  public record Devlist(List<Bus> buses) {
    public Devlist {
      buses = List.copyOf(buses);
    }
  }

  /**
   * One bus: {@code scbus<pathId> on <simName><simUnit> bus <busId>}.
   *
   * @param pathId CAM path id (-1 for the XPT's own bus)
   */
  public record Bus(int pathId, String simName, int simUnit, int busId, List<Device> devices) {
    public Bus {
      devices = List.copyOf(devices);
    }
  }

  /**
   * One device of the EDT with its periphs, most recently attached first.
   *
   * @param path {@code B:T:L}
   * @param protocol {@code scsi}, or {@code none} for the XPT's wildcard device
   * @param unconfigured {@code DEV_RESULT_UNCONFIGURED}: camcontrol hides it without {@code -v}
   */
  public record Device(
      String path,
      int bus,
      int target,
      long lun,
      String protocol,
      String vendor,
      String product,
      String revision,
      int deviceType,
      String serial,
      List<String> periphs,
      boolean unconfigured) {
    public Device {
      periphs = List.copyOf(periphs);
    }
  }

  /** {@code GET /api/devices/{dev}/periphs}: XPT_GDEVLIST walked from index 0. */
  public record PeriphList(String device, String path, List<PeriphEntry> periphs) {
    public PeriphList {
      periphs = List.copyOf(periphs);
    }
  }

  /**
   * One XPT_GDEVLIST answer.
   *
   * @param index the post-increment index camcontrol prints
   * @param status {@code MORE}, {@code LAST}, {@code CHANGED} or {@code ERROR}
   */
  public record PeriphEntry(String periph, int unit, long generation, int index, String status) {}

  /** {@code GET /api/topology}: the emulated topology as configured and as changed at runtime. */
  public record Topology(List<TopologyBus> buses) {
    public Topology {
      buses = List.copyOf(buses);
    }
  }

  /** A configured SIM / bus. */
  public record TopologyBus(
      int pathId, String simName, int simUnit, int maxTarget, int maxLun, int initiatorId, List<LunInfo> luns) {
    public TopologyBus {
      luns = List.copyOf(luns);
    }
  }

  /**
   * An emulated LUN.
   *
   * @param kind {@code disk}, {@code ses}, ...
   * @param blocks capacity in logical blocks (0 for non-disks)
   */
  public record LunInfo(
      String path,
      String kind,
      String vendor,
      String product,
      String revision,
      String serial,
      long blocks,
      int blockSize,
      boolean started,
      boolean present) {}

  // ------------------------------------------------------------------ SCSI commands

  /**
   * {@code GET /api/devices/{dev}/inquiry}: standard INQUIRY, VPD 0x80 and the transfer settings,
   * what {@code camcontrol inquiry} prints. {@code name} is the device as the caller named it
   * ({@code da0}), or the pass periph when it was given as {@code B:T:L}, as camcontrol opens it.
   *
   * @param description scsi_print_inquiry's text after the {@code <v p r> } identity
   * @param speedKbps transfer speed (KB/s) for {@code -R}
   */
  public record Inquiry(
      String name,
      String path,
      String vendor,
      String product,
      String revision,
      int deviceType,
      int qualifier,
      boolean removable,
      int ansiVersion,
      String description,
      String serial,
      boolean serialValid,
      long speedKbps,
      String transport,
      int syncOffset,
      int freqKhz,
      int busWidth,
      boolean tagEnabled) {}

  /** {@code GET /api/devices/{dev}/readcap}: READ CAPACITY(10), then (16) past 2^32-1 blocks. */
  public record ReadCap(String name, String path, long lastBlock, long blockLength, boolean longForm) {}

  /**
   * Outcome of a SCSI command run for a camcontrol verb (tur, start, stop, eject).
   *
   * @param camStatus CAM status word as camcontrol prints it ({@code %#x})
   * @param sense decoded sense (one line) or empty
   */
  public record CommandResult(String name, String path, boolean ok, int camStatus, int scsiStatus, String sense) {}

  /** {@code POST /api/rescan|reset}: one line per bus or LUN as camcontrol prints them. */
  public record ScanReport(List<ScanItem> items) {
    public ScanReport {
      items = List.copyOf(items);
    }
  }

  /**
   * @param scope {@code bus} or {@code lun}
   * @param camStatus CAM status code (masked)
   */
  public record ScanItem(String scope, int bus, int target, long lun, boolean ok, int camStatus) {}

  // ------------------------------------------------------------------ emulator control

  /**
   * {@code POST /api/luns}: plug a new emulated LUN.
   *
   * @param path {@code B:T:L}
   * @param kind {@code disk} (default) or {@code ses}
   * @param sizeBytes capacity for a disk (rounded down to blocks), &gt; 0
   * @param blockSize logical block size, default 512
   * @param backing {@code null}, {@code ram} (default) or {@code file}
   */
  public record LunAdd(
      String path,
      String kind,
      Long sizeBytes,
      Integer blockSize,
      String vendor,
      String product,
      String serial,
      String backing) {}

  /** {@code POST /api/luns/{path}/resize}. */
  public record LunResize(Long sizeBytes) {}

  /**
   * A fault rule in the style of {@code ctladm inject} / scsi_debug.
   *
   * @param id rule id (the node assigns {@code 1}, {@code 2}, ... when absent on add)
   * @param type {@code medium-error}, {@code unit-attention}, {@code aborted}, {@code busy}, {@code
   *     task-set-full}, {@code timeout}, {@code sense} (ctladm inject / scsi_debug)
   * @param commands {@code read}, {@code write} or {@code any}
   * @param lbaStart first LBA of the range (medium error), inclusive
   * @param lbaEnd last LBA of the range, inclusive
   * @param continuous false = one-shot
   * @param senseKey custom sense (type {@code sense} or {@code unit-attention})
   */
  public record FaultRule(
      String id,
      String type,
      String commands,
      Long lbaStart,
      Long lbaEnd,
      Boolean continuous,
      Integer senseKey,
      Integer asc,
      Integer ascq) {}

  /** Fault rules of one LUN. */
  public record FaultList(String path, List<FaultRule> rules, Delay delay) {
    public FaultList {
      rules = List.copyOf(rules);
    }
  }

  /** Per-LUN added latency: fixed plus uniformly random, microseconds. */
  public record Delay(Long fixedMicros, Long randomMicros) {}

  // ------------------------------------------------------------------ devfs scripting

  /** {@code POST /api/devfs/open}. */
  public record Open(String node) {}

  /** An open file on a devfs node. */
  public record Handle(long handle, String node) {}

  /** {@code POST /api/devfs/{handle}/read}: block read through the periph (da) or pass. */
  public record Read(Long offset, Integer length) {}

  /** {@code POST /api/devfs/{handle}/write}. */
  public record Write(Long offset, String dataHex) {}

  /** Data read. */
  public record Data(long handle, long offset, int length, String dataHex) {}

  /**
   * {@code POST /api/devfs/{handle}/cdb}: a pass-through CCB (CAMIOCOMMAND).
   *
   * @param cdbHex the CDB, 6..16 bytes in hex
   * @param dataInLength bytes the caller accepts back
   * @param dataOutHex data sent to the device, hex, or empty
   * @param timeoutMs 0 = default
   */
  public record Cdb(String cdbHex, Integer dataInLength, String dataOutHex, Integer timeoutMs) {}

  /** The completion of a pass-through CCB. */
  public record CdbResult(
      long handle,
      String camStatus,
      int camStatusCode,
      int scsiStatus,
      String senseHex,
      String sense,
      String dataHex,
      int resid) {}

  // ------------------------------------------------------------------ statistics

  /** {@code GET /api/stats}: per-LUN counters since start (or the last reset). */
  public record Stats(long intervalMillis, List<LunStats> luns) {
    public Stats {
      luns = List.copyOf(luns);
    }
  }

  /** One LUN's ctlstat-like figures ({@link IoStats.Snapshot}) with its path and periphs. */
  public record LunStats(String path, List<String> periphs, IoStats.Snapshot io) {
    public LunStats {
      periphs = List.copyOf(periphs);
    }
  }

  // ------------------------------------------------------------------ wiring

  /** {@code GET /api/wiring}. */
  public record Wiring(List<WiringEntry> entries) {
    public Wiring {
      entries = List.copyOf(entries);
    }
  }

  /**
   * A unit wired to a device identity.
   *
   * @param deviceId stable identity (NAA/WWN or serial)
   * @param path where that device is now, or empty
   */
  public record WiringEntry(String driver, int unit, String deviceId, String path, boolean explicit) {}

  /** {@code POST /api/wiring}: wire {@code driver+unit} to the device named by {@code device}. */
  public record Wire(String driver, Integer unit, String device) {}

  // ------------------------------------------------------------------ target ports (docs/iscsi.md)

  /**
   * One target port (cf. {@code ctladm port -l}): the in-process SIM or the iSCSI portal.
   *
   * @param relativeTargetPort SPC-4's relative target port identifier
   * @param address where it listens ({@code 127.0.0.1:3260}), empty for the SIM
   * @param sessions sessions logged in through it (the SIM: 0)
   */
  public record Port(int relativeTargetPort, String kind, String address, int sessions, List<String> targets) {}

  /** {@code GET /api/ports}. */
  public record Ports(List<Port> ports) {}

  /** One iSCSI session (cf. {@code iscsictl -L} on a target): TSIH, initiator name and ISID, target. */
  public record IscsiSession(int tsih, String initiator, String isid, String type, String target, String remote) {}

  /** {@code GET /api/iscsi/sessions}. */
  public record IscsiSessions(List<IscsiSession> sessions) {}
}
