package org.camstack.stack.ccb;

import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;

/**
 * A CAM control block: one request travelling periph &rarr; XPT &rarr; SIM and back.
 *
 * <p>cf. {@code union ccb} in sys/cam/cam_ccb.h. The C union plus {@code func_code} becomes a
 * sealed interface whose record type <em>is</em> the function code ({@link #funcCode()} gives the
 * C value); {@code cbfcnp} becomes {@link Header#replyTo()}. A CCB is immutable: the outcome is a
 * separate {@link Completed} sent exactly once to {@code replyTo}.
 */
public sealed interface Ccb {

  Header header();

  FuncCode funcCode();

  default CamPath path() {
    return header().path();
  }

  default long ccbId() {
    return header().ccbId();
  }

  /**
   * Common header. cf. {@code struct ccb_hdr}.
   *
   * @param ccbId caller-chosen id, unique per sender; used by XPT_ABORT and in logs ({@code camCcb})
   * @param path where the CCB goes
   * @param priority {@link CamPriority}; lower runs first
   * @param flags {@link CcbFlags} bits ({@code ccb_flags})
   * @param timeoutMs 0 = SIM default, {@link #TIME_INFINITY} = never
   * @param retryCount retries the periph's error recovery may still spend ({@code retry_count})
   * @param replyTo receives the single {@link Completed}
   */
  record Header(
      long ccbId,
      CamPath path,
      int priority,
      int flags,
      int timeoutMs,
      int retryCount,
      ActorRef<Completed> replyTo) {

    /** {@code CAM_TIME_INFINITY}. */
    public static final int TIME_INFINITY = -1;

    public Header {
      if (path == null || replyTo == null) {
        throw new IllegalArgumentException("ccb header needs a path and replyTo");
      }
    }

    public static Header of(long ccbId, CamPath path, ActorRef<Completed> replyTo) {
      return new Header(ccbId, path, CamPriority.NORMAL, 0, 0, 0, replyTo);
    }

    public Header withRetryCount(int retries) {
      return new Header(ccbId, path, priority, flags, timeoutMs, retries, replyTo);
    }

    public Header withReplyTo(ActorRef<Completed> newReplyTo) {
      return new Header(ccbId, path, priority, flags, timeoutMs, retryCount, newReplyTo);
    }

    public Header withPath(CamPath newPath) {
      return new Header(ccbId, newPath, priority, flags, timeoutMs, retryCount, replyTo);
    }
  }

  /** XPT_NOOP (with {@link CcbFlags#DEV_QFREEZE}: freeze the device queue, cf. cam_freeze_devq()). */
  record Noop(Header header) implements Ccb {
    public FuncCode funcCode() {
      return FuncCode.XPT_NOOP;
    }
  }

  /**
   * XPT_SCSI_IO: execute a CDB. cf. {@code struct ccb_scsiio}.
   *
   * @param cdb the command descriptor block (6..16 bytes)
   * @param dataOut data for the device ({@link CcbFlags#DIR_OUT}), empty otherwise
   * @param dxferLen the transfer length: bytes the host accepts (DIR_IN) or sends (DIR_OUT)
   * @param initiatorId initiator port for reservations ({@code init_id}); -1 = the SIM's own
   */
  record ScsiIo(Header header, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId)
      implements Ccb {
    public ScsiIo {
      if (cdb == null || dataOut == null) {
        throw new IllegalArgumentException("cdb and dataOut must not be null");
      }
      if (dxferLen < 0) {
        throw new IllegalArgumentException("negative dxfer_len " + dxferLen);
      }
    }

    public ScsiIo(Header header, ByteString cdb, ByteString dataOut, int dxferLen) {
      this(header, cdb, dataOut, dxferLen, -1);
    }

    public FuncCode funcCode() {
      return FuncCode.XPT_SCSI_IO;
    }

    public int opcode() {
      return cdb.isEmpty() ? -1 : cdb.apply(0) & 0xff;
    }
  }

  /**
   * XPT_SMP_IO: one SMP request frame to an SMP target (a SAS expander) and its response frame.
   * cf. {@code struct ccb_smpio}. The completion carries the response frame in {@link
   * Completed#data()} (at most {@code responseLen} bytes); frames are encoded by {@code
   * org.camstack.stack.scsi.smp.Smp}.
   *
   * @param request the SMP request frame (frame type 0x40, function, ...; without the CRC)
   * @param responseLen the bytes the host accepts for the response frame
   */
  record SmpIo(Header header, ByteString request, int responseLen) implements Ccb {
    public SmpIo {
      if (request == null) {
        throw new IllegalArgumentException("request must not be null");
      }
      if (responseLen < 0) {
        throw new IllegalArgumentException("negative response length " + responseLen);
      }
    }

    public FuncCode funcCode() {
      return FuncCode.XPT_SMP_IO;
    }
  }

  /** XPT_GDEV_TYPE: inquiry data and type of the device. Result: {@link DeviceInfo}. */
  record GetDevType(Header header) implements Ccb {
    public FuncCode funcCode() {
      return FuncCode.XPT_GDEV_TYPE;
    }
  }

  /**
   * XPT_GDEVLIST: the periph at {@code index} on the device. Result: {@link GdevListResult}.
   *
   * @param generation the generation seen by the caller on the previous call (0 the first time)
   */
  record GetDevList(Header header, int index, long generation) implements Ccb {
    public FuncCode funcCode() {
      return FuncCode.XPT_GDEVLIST;
    }
  }

  /** XPT_PATH_INQ: SIM/bus capabilities. Result: {@link PathInqResult}. */
  record PathInq(Header header) implements Ccb {
    public FuncCode funcCode() {
      return FuncCode.XPT_PATH_INQ;
    }
  }

  /**
   * XPT_REL_SIMQ: release a frozen device queue and/or adjust openings. cf. {@code struct
   * ccb_relsim}, cam_release_devq(). Result: {@link RelSimResult} (the remaining freeze count).
   *
   * @param releaseFlags {@code RELSIM_*} bits
   * @param openings new openings with {@link #ADJUST_OPENINGS}
   * @param releaseTimeoutMs delay with {@link #RELEASE_AFTER_TIMEOUT}
   * @param count how many freezes to release (usually 1)
   */
  record RelSimQ(Header header, int releaseFlags, int openings, int releaseTimeoutMs, int count)
      implements Ccb {
    public static final int ADJUST_OPENINGS = 0x01;
    public static final int RELEASE_AFTER_TIMEOUT = 0x02;
    public static final int RELEASE_AFTER_CMDCMPLT = 0x04;
    public static final int RELEASE_AFTER_QEMPTY = 0x08;

    public FuncCode funcCode() {
      return FuncCode.XPT_REL_SIMQ;
    }
  }

  /**
   * XPT_SASYNC_CB: (un)register an async subscriber for events on this (wildcard) path. An empty
   * {@code events} set unregisters. cf. xpt_register_async().
   */
  record SetAsync(Header header, Set<AsyncCode> events, ActorRef<?> subscriber) implements Ccb {
    public SetAsync {
      events = Set.copyOf(events);
    }

    public FuncCode funcCode() {
      return FuncCode.XPT_SASYNC_CB;
    }
  }

  /** XPT_SCAN_BUS: probe every target and LUN of the bus named by the path. */
  record ScanBus(Header header) implements Ccb {
    public FuncCode funcCode() {
      return FuncCode.XPT_SCAN_BUS;
    }
  }

  /** XPT_SCAN_TGT: probe every LUN of one target. */
  record ScanTarget(Header header) implements Ccb {
    public FuncCode funcCode() {
      return FuncCode.XPT_SCAN_TGT;
    }
  }

  /**
   * XPT_SCAN_LUN: probe one LUN.
   *
   * @param expectInqChange {@code CAM_EXPECT_INQ_CHANGE}: re-probe without announcing a new device
   */
  record ScanLun(Header header, boolean expectInqChange) implements Ccb {
    public FuncCode funcCode() {
      return FuncCode.XPT_SCAN_LUN;
    }
  }

  /**
   * XPT_DEV_MATCH: query the EDT. Every device (and its periphs) whose path matches {@code pattern}
   * and, when non-empty, whose periphs include {@code periphName}, is returned in EDT order.
   * Result: {@link DevMatchResult}.
   */
  record DevMatch(Header header, CamPath pattern, String periphName) implements Ccb {
    public FuncCode funcCode() {
      return FuncCode.XPT_DEV_MATCH;
    }
  }

  /** XPT_ABORT: abort the queued CCB with id {@code abortCcbId} sent by the same replyTo. */
  record Abort(Header header, long abortCcbId) implements Ccb {
    public FuncCode funcCode() {
      return FuncCode.XPT_ABORT;
    }
  }

  /** XPT_RESET_BUS: reset the bus; every LUN gets a unit attention 29/02. */
  record ResetBus(Header header) implements Ccb {
    public FuncCode funcCode() {
      return FuncCode.XPT_RESET_BUS;
    }
  }

  /** XPT_RESET_DEV: bus device reset of the target; completes with REQ_CMP (BDR sent). */
  record ResetDev(Header header) implements Ccb {
    public FuncCode funcCode() {
      return FuncCode.XPT_RESET_DEV;
    }
  }

  /** XPT_GET_TRAN_SETTINGS. Result: {@link TranSettings}. */
  record GetTranSettings(Header header) implements Ccb {
    public FuncCode funcCode() {
      return FuncCode.XPT_GET_TRAN_SETTINGS;
    }
  }

  /** XPT_SET_TRAN_SETTINGS. Result: the settings now in force. */
  record SetTranSettings(Header header, TranSettings settings) implements Ccb {
    public FuncCode funcCode() {
      return FuncCode.XPT_SET_TRAN_SETTINGS;
    }
  }

  /**
   * XPT_DEV_ADVINFO: get (or with {@code setData} non-empty, set) advanced info of a device.
   * Result: {@link AdvInfoResult}.
   */
  record DevAdvInfo(Header header, AdvInfoType type, org.apache.pekko.util.ByteString setData)
      implements Ccb {
    public FuncCode funcCode() {
      return FuncCode.XPT_DEV_ADVINFO;
    }
  }

  /** XPT_PATH_STATS. Result: {@link PathStatsResult}. */
  record PathStats(Header header) implements Ccb {
    public FuncCode funcCode() {
      return FuncCode.XPT_PATH_STATS;
    }
  }

  /** XPT_GDEV_STATS. Result: {@link DevStatsResult}. */
  record GetDevStats(Header header) implements Ccb {
    public FuncCode funcCode() {
      return FuncCode.XPT_GDEV_STATS;
    }
  }

  /** {@code CDAI_TYPE_*}: which advanced-info buffer. */
  enum AdvInfoType {
    SCSI_DEVID,
    SERIAL_NUM,
    PHYS_PATH,
    RCAPLONG
  }

  // ---------------------------------------------------------------------------------------------
  // Completion and typed results

  /**
   * Completion of a CCB, sent exactly once to {@link Header#replyTo()}. cf. {@code xpt_done()}.
   *
   * @param status the CAM status
   * @param statusFlags {@link CamStatus#DEV_QFRZN}, {@link CamStatus#AUTOSNS_VALID}, ...
   * @param scsiStatus SCSI status byte (SCSI_IO only; 0 = GOOD)
   * @param sense sense data when {@link CamStatus#AUTOSNS_VALID} is set, else empty
   * @param data data returned by the device (DIR_IN), at most {@code dxferLen} bytes
   * @param resid {@code resid}: requested minus transferred bytes
   * @param result typed result of an XPT function code, or null for SCSI_IO
   */
  record Completed(
      Ccb ccb,
      CamStatus status,
      int statusFlags,
      int scsiStatus,
      ByteString sense,
      ByteString data,
      int resid,
      CcbResult result) {

    public Completed {
      if (ccb == null || status == null || sense == null || data == null) {
        throw new IllegalArgumentException("incomplete completion");
      }
    }

    /** A plain completion with no data and no result. */
    public static Completed of(Ccb ccb, CamStatus status) {
      return new Completed(ccb, status, 0, 0, ByteString.emptyByteString(), ByteString.emptyByteString(), 0, null);
    }

    /** Successful completion of an XPT function code with its typed result. */
    public static Completed ok(Ccb ccb, CcbResult result) {
      return new Completed(ccb, CamStatus.REQ_CMP, 0, 0, ByteString.emptyByteString(), ByteString.emptyByteString(), 0, result);
    }

    public boolean isOk() {
      return status == CamStatus.REQ_CMP;
    }

    /** {@code CAM_DEV_QFRZN}: the receiver owes a release of the device queue. */
    public boolean devQueueFrozen() {
      return (statusFlags & CamStatus.DEV_QFRZN) != 0;
    }

    public boolean autosenseValid() {
      return (statusFlags & CamStatus.AUTOSNS_VALID) != 0;
    }

    public Completed withStatusFlags(int flags) {
      return new Completed(ccb, status, flags, scsiStatus, sense, data, resid, result);
    }

    /** The C status word: status code OR'ed with its flag bits. */
    public int statusWord() {
      return status.code() | statusFlags;
    }

    public <R extends CcbResult> R resultAs(Class<R> type) {
      return type.cast(result);
    }
  }

  /** Typed result of an XPT function code. */
  sealed interface CcbResult
      permits DeviceInfo,
          GdevListResult,
          PathInqResult,
          RelSimResult,
          DevMatchResult,
          TranSettings,
          AdvInfoResult,
          PathStatsResult,
          DevStatsResult {}

  /** XPT_GDEVLIST result. cf. {@code struct ccb_getdevlist}. */
  record GdevListResult(String periphName, int unitNumber, long generation, int index, ListStatus status)
      implements CcbResult {}

  /** {@code CAM_GDEVLIST_*}. */
  enum ListStatus {
    LAST_DEVICE,
    LIST_CHANGED,
    MORE_DEVS,
    ERROR
  }

  /** XPT_PATH_INQ result. cf. {@code struct ccb_pathinq}. */
  record PathInqResult(
      int versionNum,
      int hbaInquiry,
      int hbaMisc,
      int maxTarget,
      int maxLun,
      int initiatorId,
      String simVendor,
      String hbaVendor,
      String devName,
      int unitNumber,
      int busId,
      int baseTransferSpeedKbps,
      long maxIo)
      implements CcbResult {}

  /** XPT_REL_SIMQ result: the freeze count left. */
  record RelSimResult(int qfrozenCnt) implements CcbResult {}

  /** XPT_DEV_MATCH result. */
  record DevMatchResult(List<BusMatch> buses) implements CcbResult {
    public DevMatchResult {
      buses = List.copyOf(buses);
    }
  }

  /** One bus of a DEV_MATCH answer: {@code scbus0 on emusim0 bus 0}. */
  record BusMatch(int pathId, String devName, int unitNumber, int busId, List<DeviceMatch> devices) {
    public BusMatch {
      devices = List.copyOf(devices);
    }
  }

  /**
   * One device of a DEV_MATCH answer with its periphs, most recently attached first.
   *
   * @param unconfigured {@code DEV_RESULT_UNCONFIGURED}
   */
  record DeviceMatch(CamPath path, DeviceInfo info, List<String> periphs, boolean unconfigured) {
    public DeviceMatch {
      periphs = List.copyOf(periphs);
    }
  }

  /** XPT_GET/SET_TRAN_SETTINGS. */
  record TranSettings(String transport, int transportVersion, int protocolVersion, boolean tagEnabled, int syncPeriod, int syncOffset, int busWidth)
      implements CcbResult {}

  /** XPT_DEV_ADVINFO result. */
  record AdvInfoResult(AdvInfoType type, ByteString data) implements CcbResult {}

  /** XPT_PATH_STATS result: wall-clock millis of the last reset of the bus. */
  record PathStatsResult(long lastResetMillis) implements CcbResult {}

  /** XPT_GDEV_STATS result. cf. {@code struct ccb_getdevstats}. */
  record DevStatsResult(int devOpenings, int devActive, int allocated, int queued, int held, int maxtags, int mintags, int qfrozenCnt, long lastResetMillis)
      implements CcbResult {}
}
