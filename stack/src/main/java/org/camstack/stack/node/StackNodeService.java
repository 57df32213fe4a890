package org.camstack.stack.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.util.ByteString;
import org.camstack.persistence.device.FaultRule;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.scsi.Cdbs;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.scsi.SenseTables;
import org.camstack.stack.scsi.pass.PassPeriph;
import org.camstack.stack.sim.emu.Delay;
import org.camstack.stack.sim.emu.LunSpec;
import org.camstack.stack.xpt.IoStats;
import org.camstack.stack.xpt.Xpt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * {@link NodeService} over the actors of one node: camcontrol's requests become CCBs sent to the
 * {@link Xpt} (XPT_DEV_MATCH, XPT_GDEVLIST, XPT_SCAN_*, XPT_RESET_*, SCSI_IO with {@code
 * CAM_DEV_QFRZDIS} as camcontrol sets it), devfs scripting goes through {@link Devfs} as user
 * system calls, the emulator verbs go to the SIMs ({@link SimControl}), statistics come from the
 * device queues' {@link IoStats}.
 *
 * <p>Nothing here blocks: every call is an ask with the node's {@code ask-timeout}.
 */
public final class StackNodeService implements NodeService {
  private static final Logger LOG = LoggerFactory.getLogger(StackNodeService.class);

  private static final Pattern PERIPH_NAME = Pattern.compile("[a-z]+[0-9]+");
  private static final int MAX_TRANSFER = 16 << 20;
  private static final HexFormat HEX = HexFormat.of();

  private final ActorSystem<?> system;
  private final ActorRef<Xpt.Command> xpt;
  private final ActorRef<Devfs.Command> devfs;
  private final SimControl sims;
  private final WiringControl wiring;
  private final Duration askTimeout;
  private final Duration scanTimeout;
  private final AtomicLong ccbIds = new AtomicLong(1L << 48);
  private final AtomicLong faultIds = new AtomicLong();
  private final Map<Long, Devfs.FileHandle> files = new ConcurrentHashMap<>();
  private final CompletableFuture<Done> firstScan = new CompletableFuture<>();
  private volatile boolean stopping;

  /**
   * @param firstScan completes when the boot-time scan of every bus finished
   */
  public StackNodeService(
      ActorSystem<?> system,
      ActorRef<Xpt.Command> xpt,
      ActorRef<Devfs.Command> devfs,
      SimControl sims,
      WiringControl wiring,
      CompletionStage<Done> firstScan,
      Duration askTimeout,
      Duration scanTimeout) {
    this.system = system;
    this.xpt = xpt;
    this.devfs = devfs;
    this.sims = sims;
    this.wiring = wiring;
    this.askTimeout = askTimeout;
    this.scanTimeout = scanTimeout;
    firstScan.whenComplete(
        (d, e) -> {
          if (e != null) {
            this.firstScan.completeExceptionally(e);
          } else {
            this.firstScan.complete(Done.getInstance());
          }
        });
  }

  /** Completes when the node is ready (first scan done). */
  CompletionStage<Done> firstScan() {
    return firstScan;
  }

  /** The devlist as camcontrol prints it (what the node shows on start). */
  CompletionStage<String> devlistText() {
    return devlist().thenApply(d -> DevlistFormat.format(d, false, false, DevlistFormat.Style.MODERN));
  }

  /** From now on {@code /ready} answers 503 (coordinated shutdown started). */
  void markStopping() {
    stopping = true;
  }

  @Override
  public boolean ready() {
    return firstScan.isDone() && !firstScan.isCompletedExceptionally() && !stopping;
  }

  @Override
  public String nodeName() {
    return NodeSettings.SYSTEM_NAME
        + "@"
        + system.address().getHost().orElse("127.0.0.1")
        + ":"
        + system.address().getPort().orElse(0);
  }

  // ------------------------------------------------------------------ CCB plumbing

  private Ccb.Header header(CamPath path, int flags, int timeoutMs, ActorRef<Ccb.Completed> replyTo) {
    return new Ccb.Header(ccbIds.incrementAndGet(), path, CamPriority.NORMAL, flags, timeoutMs, 0, replyTo);
  }

  private CompletionStage<Ccb.Completed> action(Function<ActorRef<Ccb.Completed>, Ccb> ccb, Duration timeout) {
    return AskPattern.ask(xpt, (ActorRef<Ccb.Completed> r) -> new Xpt.Action(ccb.apply(r)), timeout, system.scheduler());
  }

  /** SCSI_IO as camcontrol sends it: no queue freeze on error, 5 s (or {@code timeoutMs}). */
  private CompletionStage<Ccb.Completed> scsi(CamPath path, ByteString cdb, int dataIn, int timeoutMs) {
    int flags = (dataIn > 0 ? CcbFlags.DIR_IN : CcbFlags.DIR_NONE) | CcbFlags.DEV_QFRZDIS;
    Duration t = Duration.ofMillis(Math.max(askTimeout.toMillis(), timeoutMs + 2000L));
    return action(r -> new Ccb.ScsiIo(header(path, flags, timeoutMs, r), cdb, ByteString.emptyByteString(), dataIn, -1), t);
  }

  /**
   * {@link #scsi} retried on UNIT ATTENTION (cf. {@code SF_RETRY_UA} with the pass driver's error
   * recovery): a pending UA such as 2A/09 CAPACITY DATA HAS CHANGED is reported once and the
   * command then answers with the new data.
   */
  private CompletionStage<Ccb.Completed> scsiRetryUa(CamPath path, ByteString cdb, int dataIn, int timeoutMs, int retries) {
    return scsi(path, cdb, dataIn, timeoutMs)
        .thenCompose(
            c -> {
              boolean ua =
                  c.status() == CamStatus.SCSI_STATUS_ERROR && c.autosenseValid() && Sense.key(c.sense()) == Sense.UNIT_ATTENTION;
              return ua && retries > 0 ? scsiRetryUa(path, cdb, dataIn, timeoutMs, retries - 1) : CompletableFuture.completedFuture(c);
            });
  }

  private CompletionStage<Ccb.DevMatchResult> devMatch(CamPath pattern, String periph) {
    return action(r -> new Ccb.DevMatch(header(CamPath.XPT, 0, 0, r), pattern, periph), askTimeout)
        .thenApply(c -> c.resultAs(Ccb.DevMatchResult.class));
  }

  /** A device argument, resolved: the name camcontrol would print and the path. */
  record Target(String name, CamPath path, List<String> periphs, DeviceInfo info) {}

  /** {@code da0} / {@code pass3} / {@code B:T:L} to a configured device, else 400 or 404. */
  CompletionStage<Target> resolve(String dev) {
    String d = dev == null ? "" : dev.trim();
    if (PERIPH_NAME.matcher(d).matches()) {
      return devMatch(CamPath.XPT, d)
          .thenApply(
              m -> {
                for (Ccb.BusMatch b : m.buses()) {
                  for (Ccb.DeviceMatch dm : b.devices()) {
                    if (dm.periphs().contains(d) && !dm.unconfigured() && !dm.path().isWildcard()) {
                      return new Target(d, dm.path(), dm.periphs(), dm.info());
                    }
                  }
                }
                throw ApiException.notFound("no such device: " + d);
              });
    }
    CamPath p = path(d);
    if (p.isWildcard()) {
      throw ApiException.badRequest("bad device '" + d + "': expected a periph name (da0) or B:T:L");
    }
    return devMatch(p, "")
        .thenApply(
            m -> {
              for (Ccb.BusMatch b : m.buses()) {
                for (Ccb.DeviceMatch dm : b.devices()) {
                  if (dm.path().equals(p) && !dm.unconfigured()) {
                    String name =
                        dm.periphs().stream().filter(n -> n.startsWith("pass")).findFirst()
                            .orElse(dm.periphs().isEmpty() ? p.btl() : dm.periphs().get(0));
                    return new Target(name, p, dm.periphs(), dm.info());
                  }
                }
              }
              throw ApiException.notFound("no device at " + p.btl());
            });
  }

  private static CamPath path(String text) {
    try {
      return CamPath.parse(text);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    }
  }

  /** A concrete {@code B:T:L} (emulator verbs), else 400. */
  private static CamPath lunPath(String text) {
    CamPath p = path(text == null ? "" : text);
    if (p.isWildcard()) {
      throw ApiException.badRequest("bad LUN '" + text + "': expected B:T:L");
    }
    return p;
  }

  /** The failure of a SCSI command as one line, mapped to an HTTP status. */
  private static ApiException commandFailed(Target t, String what, Ccb.Completed c) {
    String msg = t.name() + ": " + what + " failed: " + describe(c);
    if (c.status() == CamStatus.DEV_NOT_THERE || c.status() == CamStatus.SEL_TIMEOUT || c.status() == CamStatus.PATH_INVALID) {
      return ApiException.notFound(msg);
    }
    return ApiException.conflict(msg);
  }

  /** CAM status and, with CHECK CONDITION, the decoded sense (cf. cam_error_print()). */
  static String describe(Ccb.Completed c) {
    if (c.status() == CamStatus.SCSI_STATUS_ERROR) {
      String sense = senseText(c);
      return sense.isEmpty() ? "SCSI status " + ScsiStatus.name(c.scsiStatus()) : sense;
    }
    return c.status().description();
  }

  /** {@code NOT READY asc:4,2 (Logical unit not ready, initializing command required)}. */
  static String senseText(Ccb.Completed c) {
    if (!c.autosenseValid() || c.sense().isEmpty()) {
      return "";
    }
    int key = Sense.key(c.sense());
    int asc = Sense.asc(c.sense());
    int ascq = Sense.ascq(c.sense());
    return SenseTables.keyName(key) + " asc:" + Integer.toHexString(asc) + "," + Integer.toHexString(ascq)
        + " (" + SenseTables.ascText(asc, ascq) + ")";
  }

  private static <T> CompletionStage<T> failed(RuntimeException e) {
    return CompletableFuture.failedFuture(e);
  }

  private static <T> CompletionStage<T> guard(java.util.function.Supplier<CompletionStage<T>> s) {
    try {
      return s.get();
    } catch (RuntimeException e) {
      return failed(e);
    }
  }

  private static void logWithPath(CamPath path, String msg, Object... args) {
    MDC.put("camPath", path.toString());
    try {
      LOG.info(msg, args);
    } finally {
      MDC.remove("camPath");
    }
  }

  // ------------------------------------------------------------------ EDT

  @Override
  public CompletionStage<ApiModel.Topology> topology() {
    return guard(sims::topology);
  }

  @Override
  public CompletionStage<ApiModel.Devlist> devlist() {
    return devMatch(CamPath.XPT, "").thenApply(StackNodeService::toDevlist);
  }

  static ApiModel.Devlist toDevlist(Ccb.DevMatchResult m) {
    return DevlistFormat.of(m);
  }

  @Override
  public CompletionStage<ApiModel.PeriphList> periphlist(String dev) {
    return guard(() -> resolve(dev))
        .thenCompose(t -> gdevlist(t, 0, 0, new ArrayList<>()).thenApply(l -> new ApiModel.PeriphList(t.name(), t.path().btl(), l)));
  }

  /** cf. camcontrol getdevlist(): XPT_GDEVLIST until the status is no longer MORE. */
  private CompletionStage<List<ApiModel.PeriphEntry>> gdevlist(Target t, int index, long generation, List<ApiModel.PeriphEntry> acc) {
    return action(r -> new Ccb.GetDevList(header(t.path(), 0, 0, r), index, generation), askTimeout)
        .thenCompose(
            c -> {
              if (!c.isOk()) {
                throw commandFailed(t, "XPT_GDEVLIST", c);
              }
              Ccb.GdevListResult g = c.resultAs(Ccb.GdevListResult.class);
              String status =
                  switch (g.status()) {
                    case MORE_DEVS -> "MORE";
                    case LAST_DEVICE -> "LAST";
                    case LIST_CHANGED -> "CHANGED";
                    case ERROR -> "ERROR";
                  };
              acc.add(new ApiModel.PeriphEntry(g.periphName(), g.unitNumber(), g.generation(), g.index(), status));
              if (g.status() == Ccb.ListStatus.MORE_DEVS && acc.size() < 256) {
                return gdevlist(t, g.index(), g.generation(), acc);
              }
              return CompletableFuture.completedFuture(acc);
            });
  }

  // ------------------------------------------------------------------ SCSI commands

  @Override
  public CompletionStage<ApiModel.Inquiry> inquiry(String dev) {
    return guard(() -> resolve(dev)).thenCompose(this::inquiry);
  }

  private CompletionStage<ApiModel.Inquiry> inquiry(Target t) {
    CompletionStage<Ccb.Completed> std = scsiRetryUa(t.path(), Cdbs.inquiry(false, 0, 36), 36, 5000, 4);
    CompletionStage<Ccb.Completed> sn = std.thenCompose(x -> scsiRetryUa(t.path(), Cdbs.inquiry(true, 0x80, 255), 255, 5000, 4));
    CompletionStage<Ccb.Completed> cpi = action(r -> new Ccb.PathInq(header(t.path(), 0, 0, r)), askTimeout);
    CompletionStage<Ccb.Completed> cts = action(r -> new Ccb.GetTranSettings(header(t.path(), 0, 0, r)), askTimeout);
    return std.thenCompose(
        s -> {
          if (!s.isOk()) {
            throw commandFailed(t, "INQUIRY", s);
          }
          return sn.thenCombine(cpi, (a, b) -> new Ccb.Completed[] {a, b})
              .thenCombine(cts, (ab, c) -> inquiryOf(t, s, ab[0], ab[1], c));
        });
  }

  private static ApiModel.Inquiry inquiryOf(Target t, Ccb.Completed std, Ccb.Completed sn, Ccb.Completed cpi, Ccb.Completed cts) {
    DeviceInfo i = new DeviceInfo(t.path(), std.data(), null, null, null, null);
    String serial = "";
    boolean serialOk = false;
    if (sn.isOk() && sn.data().size() >= 4) {
      int len = Math.min(sn.data().apply(3) & 0xff, sn.data().size() - 4);
      serial = DeviceInfo.visible(sn.data().slice(4, 4 + len).decodeString(java.nio.charset.StandardCharsets.ISO_8859_1));
      serialOk = true;
    }
    long speed = 0;
    if (cpi.isOk() && cpi.result() instanceof Ccb.PathInqResult p) {
      speed = p.baseTransferSpeedKbps();
    }
    String transport = "";
    boolean tags = false;
    int offset = 0;
    int width = 0;
    int freq = 0;
    if (cts.isOk() && cts.result() instanceof Ccb.TranSettings ts) {
      transport = ts.transport() == null ? "" : ts.transport();
      tags = ts.tagEnabled();
      offset = ts.syncOffset();
      width = ts.busWidth();
      freq = syncRateKhz(ts.syncPeriod());
      if (transport.equalsIgnoreCase("spi") && freq > 0) {
        speed = (long) freq * (1L << Math.max(0, width));
      }
    }
    return new ApiModel.Inquiry(
        t.name(), t.path().btl(), i.vendor(), i.product(), i.revision(), i.deviceType(), i.qualifier(), i.removable(),
        i.ansiVersion(), inquiryDescription(i), serial, serialOk, speed, transport, offset, freq, width, tags);
  }

  /** cf. {@code scsi_calc_syncsrate()}: SPI period factor to kHz. */
  static int syncRateKhz(int factor) {
    switch (factor) {
      case 0:
        return 0;
      case 0x08:
        return 160000;
      case 0x09:
        return 80000;
      case 0x0a:
        return 40000;
      case 0x0b:
        return 33000;
      case 0x0c:
        return 20000;
      default:
        return 10000000 / (factor * 4 * 10) * 10 / 10;
    }
  }

  /**
   * cf. {@code scsi_print_inquiry()} after the identity: {@code Fixed Direct Access SCSI-6 device }
   * (the 2012 format; the trailing space is the empty qualifier text).
   */
  static String inquiryDescription(DeviceInfo i) {
    String qual =
        switch (i.qualifier()) {
          case 0 -> "";
          case 1 -> "(offline)";
          case 2 -> "(reserved qualifier)";
          case 3 -> "(LUN not supported)";
          default -> "(vendor-unique qualifier)";
        };
    int rev = i.ansiVersion();
    return (i.removable() ? "Removable" : "Fixed") + " " + typeName(i.deviceType()) + " SCSI-"
        + (rev == 1 ? "CCS" : String.valueOf(rev)) + " device " + qual;
  }

  /** cf. the peripheral type table of {@code scsi_print_inquiry()}. */
  static String typeName(int type) {
    switch (type) {
      case 0x00: return "Direct Access";
      case 0x01: return "Sequential Access";
      case 0x02: return "Printer";
      case 0x03: return "Processor";
      case 0x04: return "WORM";
      case 0x05: return "CD-ROM";
      case 0x06: return "Scanner";
      case 0x07: return "Optical";
      case 0x08: return "Changer";
      case 0x09: return "Communication";
      case 0x0c: return "Storage Array";
      case 0x0d: return "Enclosure Services";
      case 0x0e: return "Simplified Direct Access";
      case 0x0f: return "Optical Card Read/Write";
      case 0x11: return "Object-Based Storage";
      case 0x12: return "Automation/Drive Interface";
      case 0x1f: return "Uninstalled";
      default: return "unknown";
    }
  }

  @Override
  public CompletionStage<ApiModel.ReadCap> readcap(String dev) {
    return guard(() -> resolve(dev)).thenCompose(this::readcap);
  }

  /** cf. camcontrol scsireadcapacity(): (10), then (16) when the last LBA is 0xFFFFFFFF. */
  private CompletionStage<ApiModel.ReadCap> readcap(Target t) {
    return scsiRetryUa(t.path(), Cdbs.readCapacity10(), 8, 5000, 4)
        .thenCompose(
            c -> {
              if (!c.isOk() || c.data().size() < 8) {
                throw commandFailed(t, "READ CAPACITY", c);
              }
              long last = u32(c.data(), 0);
              long len = u32(c.data(), 4);
              if (last != 0xffffffffL) {
                return CompletableFuture.completedFuture(new ApiModel.ReadCap(t.name(), t.path().btl(), last, len, false));
              }
              return scsiRetryUa(t.path(), Cdbs.readCapacity16(32), 32, 5000, 4)
                  .thenApply(
                      c16 -> {
                        if (!c16.isOk() || c16.data().size() < 12) {
                          throw commandFailed(t, "READ CAPACITY (16)", c16);
                        }
                        return new ApiModel.ReadCap(t.name(), t.path().btl(), (u32(c16.data(), 0) << 32) | u32(c16.data(), 4), u32(c16.data(), 8), true);
                      });
            });
  }

  private static long u32(ByteString b, int off) {
    return ((b.apply(off) & 0xffL) << 24) | ((b.apply(off + 1) & 0xffL) << 16) | ((b.apply(off + 2) & 0xffL) << 8) | (b.apply(off + 3) & 0xffL);
  }

  private static ApiModel.CommandResult result(Target t, Ccb.Completed c) {
    return new ApiModel.CommandResult(t.name(), t.path().btl(), c.isOk(), c.statusWord(), c.scsiStatus(), c.isOk() ? "" : describe(c));
  }

  @Override
  public CompletionStage<ApiModel.CommandResult> tur(String dev) {
    return guard(() -> resolve(dev)).thenCompose(t -> scsi(t.path(), Cdbs.testUnitReady(), 0, 5000).thenApply(c -> result(t, c)));
  }

  @Override
  public CompletionStage<ApiModel.CommandResult> startStop(String dev, boolean start, boolean loadEject) {
    return guard(() -> resolve(dev))
        .thenCompose(
            t -> {
              logWithPath(t.path(), "api: {} {}", start ? (loadEject ? "load" : "start") : (loadEject ? "eject" : "stop"), t.name());
              return scsi(t.path(), Cdbs.startStopUnit(start, loadEject, false), 0, 120000).thenApply(c -> result(t, c));
            });
  }

  @Override
  public CompletionStage<ApiModel.ScanReport> rescan(String path) {
    return scanOrReset(path, true);
  }

  @Override
  public CompletionStage<ApiModel.ScanReport> reset(String path) {
    return scanOrReset(path, false);
  }

  /** cf. camcontrol dorescan_or_reset(): {@code all}, {@code B} or {@code B:T:L}. */
  private CompletionStage<ApiModel.ScanReport> scanOrReset(String arg, boolean rescan) {
    String a = arg == null ? "all" : arg.trim();
    CamPath p = path(a);
    if (p.bus() != CamPath.WILDCARD && p.target() != CamPath.WILDCARD && p.lun() == CamPath.WILDCARD) {
      return failed(ApiException.badRequest("bad path '" + a + "': expected all, B or B:T:L"));
    }
    if (!p.equals(CamPath.XPT) && p.bus() == CamPath.WILDCARD) {
      return failed(ApiException.badRequest("bad path '" + a + "': expected all, B or B:T:L"));
    }
    LOG.info("api: {} {}", rescan ? "rescan" : "reset", a);
    if (p.lun() != CamPath.WILDCARD) {
      Function<ActorRef<Ccb.Completed>, Ccb> ccb =
          rescan
              ? r -> new Ccb.ScanLun(header(p, 0, 0, r), false)
              : r -> new Ccb.ResetDev(header(p, 0, 0, r));
      return action(ccb, scanTimeout)
          .thenApply(c -> new ApiModel.ScanReport(List.of(scanItem("lun", p, c, rescan))));
    }
    CompletionStage<List<Integer>> buses;
    if (p.bus() == CamPath.WILDCARD) {
      buses =
          devMatch(CamPath.XPT, "")
              .thenApply(m -> m.buses().stream().map(Ccb.BusMatch::pathId).filter(id -> id != CamPath.WILDCARD).toList());
    } else {
      buses = CompletableFuture.completedFuture(List.of(p.bus()));
    }
    return buses.thenCompose(
        ids -> {
          CompletionStage<List<ApiModel.ScanItem>> acc = CompletableFuture.completedFuture(new ArrayList<>());
          for (int id : ids) {
            CamPath bp = CamPath.bus(id);
            Function<ActorRef<Ccb.Completed>, Ccb> ccb =
                rescan ? r -> new Ccb.ScanBus(header(bp, 0, 0, r)) : r -> new Ccb.ResetBus(header(bp, 0, 0, r));
            acc = acc.thenCompose(list -> action(ccb, scanTimeout).thenApply(c -> {
              list.add(scanItem("bus", bp, c, rescan));
              return list;
            }));
          }
          return acc.thenApply(ApiModel.ScanReport::new);
        });
  }

  private static ApiModel.ScanItem scanItem(String scope, CamPath p, Ccb.Completed c, boolean rescan) {
    boolean ok = c.isOk() || (!rescan && c.status() == CamStatus.BDR_SENT);
    return new ApiModel.ScanItem(scope, p.bus(), p.target(), p.lun(), ok, c.status().code());
  }

  // ------------------------------------------------------------------ emulator control

  @Override
  public CompletionStage<ApiModel.LunInfo> lunAdd(ApiModel.LunAdd req) {
    return guard(
        () -> {
          CamPath p = lunPath(req.path());
          LunSpec spec = lunSpec(p, req);
          logWithPath(p, "api: lun add {} ({} blocks of {})", p.btl(), spec.blocks(), spec.blockSize());
          return sims.addLun(p, spec, req.serial() == null);
        });
  }

  /** The LunSpec an API request describes; 400 for anything LunSpec refuses. */
  static LunSpec lunSpec(CamPath p, ApiModel.LunAdd req) {
    String kind = req.kind() == null ? "disk" : req.kind();
    StringBuilder h = new StringBuilder();
    h.append("lun = ").append(p.lun()).append('\n');
    h.append("type = \"").append(kind.replace("\"", "")).append("\"\n");
    int bs = req.blockSize() == null ? 512 : req.blockSize();
    if (req.blockSize() != null && req.blockSize() <= 0) {
      throw ApiException.badRequest("bad block size " + req.blockSize() + ": must be positive");
    }
    h.append("block-size = ").append(bs).append('\n');
    if (req.sizeBytes() != null) {
      if (req.sizeBytes() <= 0) {
        throw ApiException.badRequest("bad size " + req.sizeBytes() + ": must be positive");
      }
      if (req.sizeBytes() < bs) {
        throw ApiException.badRequest("bad size " + req.sizeBytes() + ": smaller than one block of " + bs);
      }
      h.append("blocks = ").append(req.sizeBytes() / bs).append('\n');
    }
    if (req.vendor() != null) {
      h.append("vendor = ").append(quote(req.vendor())).append('\n');
    }
    if (req.product() != null) {
      h.append("product = ").append(quote(req.product())).append('\n');
    }
    if (req.serial() != null) {
      h.append("serial = ").append(quote(req.serial())).append('\n');
    }
    if (req.backing() != null) {
      h.append("store = ").append(quote(req.backing())).append('\n');
    }
    try {
      return LunSpec.fromConfig(com.typesafe.config.ConfigFactory.parseString(h.toString()), p.bus(), p.target());
    } catch (IllegalArgumentException | com.typesafe.config.ConfigException e) {
      throw ApiException.badRequest(ManagementRoutes.oneLine(e.getMessage()));
    }
  }

  private static String quote(String s) {
    return com.typesafe.config.ConfigUtil.quoteString(s);
  }

  @Override
  public CompletionStage<ApiModel.Ack> lunRemove(String path) {
    return guard(
        () -> {
          CamPath p = lunPath(path);
          logWithPath(p, "api: lun remove {}", p.btl());
          return sims.removeLun(p).thenApply(d -> new ApiModel.Ack(true, "lun " + p.btl() + " removed"));
        });
  }

  @Override
  public CompletionStage<ApiModel.LunInfo> lunResize(String path, ApiModel.LunResize req) {
    return guard(
        () -> {
          CamPath p = lunPath(path);
          if (req.sizeBytes() == null) {
            throw ApiException.badRequest("missing sizeBytes");
          }
          if (req.sizeBytes() <= 0) {
            throw ApiException.badRequest("bad size " + req.sizeBytes() + ": must be positive");
          }
          logWithPath(p, "api: lun resize {} to {} bytes", p.btl(), req.sizeBytes());
          return sims.resize(p, req.sizeBytes());
        });
  }

  @Override
  public CompletionStage<ApiModel.FaultList> faults(String dev) {
    return guard(() -> resolve(dev))
        .thenCompose(
            t ->
                sims.faults(t.path())
                    .thenCombine(
                        sims.delay(t.path()),
                        (rules, delay) -> {
                          List<ApiModel.FaultRule> out = new ArrayList<>();
                          for (FaultRule r : rules) {
                            out.add(toApi(r));
                          }
                          long fixed = delay.minNanos() / 1000;
                          return new ApiModel.FaultList(t.path().btl(), out, new ApiModel.Delay(fixed, delay.maxNanos() / 1000 - fixed));
                        }));
  }

  /** API fault types and the rule kinds they stand for. */
  private static final Map<String, String> KINDS =
      Map.of(
          "medium-error", FaultRule.MEDIUM_ERROR,
          "unit-attention", FaultRule.UNIT_ATTENTION,
          "aborted", FaultRule.ABORTED_COMMAND,
          "busy", FaultRule.BUSY,
          "task-set-full", FaultRule.TASK_SET_FULL,
          "timeout", FaultRule.TIMEOUT,
          "sense", FaultRule.CUSTOM_SENSE);

  static ApiModel.FaultRule toApi(FaultRule r) {
    String type = KINDS.entrySet().stream().filter(e -> e.getValue().equals(r.kind())).map(Map.Entry::getKey).findFirst().orElse(r.kind());
    return new ApiModel.FaultRule(
        r.id(), type, r.opClass(),
        r.hasLbaRange() ? r.lbaFirst() : null, r.hasLbaRange() ? r.lbaLast() : null,
        !r.oneShot(), r.kind().equals(FaultRule.CUSTOM_SENSE) ? r.senseKey() : null,
        r.asc() < 0 ? null : r.asc(), r.ascq() < 0 ? null : r.ascq());
  }

  /** The emulator's rule for an API rule; 400 for anything it refuses. */
  FaultRule fromApi(ApiModel.FaultRule r) {
    if (r.type() == null || !KINDS.containsKey(r.type())) {
      throw ApiException.badRequest("bad fault type '" + r.type() + "': expected one of " + String.join(", ", new java.util.TreeSet<>(KINDS.keySet())));
    }
    String kind = KINDS.get(r.type());
    String cls = (r.commands() == null ? FaultRule.ANY : r.commands()).toLowerCase(java.util.Locale.ROOT);
    if (!cls.equals(FaultRule.READ) && !cls.equals(FaultRule.WRITE) && !cls.equals(FaultRule.ANY)) {
      throw ApiException.badRequest("bad command class '" + r.commands() + "': expected read, write or any");
    }
    long first = 0;
    long last = FaultRule.NO_LBA_LIMIT;
    if (r.lbaStart() != null) {
      long end = r.lbaEnd() == null ? r.lbaStart() : r.lbaEnd();
      if (r.lbaStart() < 0 || end < r.lbaStart()) {
        throw ApiException.badRequest("bad LBA range " + r.lbaStart() + "-" + end);
      }
      first = r.lbaStart();
      last = end;
    }
    int asc = r.asc() == null ? -1 : r.asc();
    int ascq = r.ascq() == null ? (asc < 0 ? -1 : 0) : r.ascq();
    if (kind.equals(FaultRule.UNIT_ATTENTION) && asc < 0) {
      asc = 0x29; // POWER ON, RESET, OR BUS DEVICE RESET OCCURRED
      ascq = 0;
    }
    String id = r.id() == null || r.id().isBlank() ? String.valueOf(faultIds.incrementAndGet()) : r.id();
    try {
      String sense = "";
      if (kind.equals(FaultRule.CUSTOM_SENSE)) {
        sense = FaultRule.fixedSense(r.senseKey() == null ? 0 : r.senseKey(), Math.max(0, asc), Math.max(0, ascq));
      } else if (asc >= 0) {
        sense = FaultRule.fixedSense(defaultKey(kind), asc, ascq);
      }
      return new FaultRule(id, kind, cls, first, last, !Boolean.TRUE.equals(r.continuous()), sense);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    }
  }

  private static int defaultKey(String kind) {
    switch (kind) {
      case FaultRule.MEDIUM_ERROR:
        return Sense.MEDIUM_ERROR;
      case FaultRule.UNIT_ATTENTION:
        return Sense.UNIT_ATTENTION;
      case FaultRule.ABORTED_COMMAND:
        return Sense.ABORTED_COMMAND;
      default:
        return 0;
    }
  }

  @Override
  public CompletionStage<ApiModel.FaultRule> faultAdd(String dev, ApiModel.FaultRule rule) {
    return guard(() -> resolve(dev))
        .thenCompose(
            t -> {
              FaultRule r = fromApi(rule);
              return sims.addFault(t.path(), r)
                  .thenApply(
                      d -> {
                        logWithPath(t.path(), "api: fault rule {} added on {}: {}", r.id(), t.name(), r);
                        return toApi(r);
                      });
            });
  }

  @Override
  public CompletionStage<ApiModel.Ack> faultDelete(String dev, String id) {
    return guard(() -> resolve(dev))
        .thenCompose(
            t ->
                sims.deleteFault(t.path(), id)
                    .thenApply(
                        d -> {
                          logWithPath(t.path(), "api: fault rule {} deleted on {}", id, t.name());
                          return new ApiModel.Ack(true, "rule " + id + " deleted");
                        }));
  }

  @Override
  public CompletionStage<ApiModel.Delay> delay(String dev, ApiModel.Delay delay) {
    return guard(
        () -> {
          long fixed = delay.fixedMicros() == null ? 0 : delay.fixedMicros();
          long random = delay.randomMicros() == null ? 0 : delay.randomMicros();
          if (fixed < 0 || random < 0) {
            throw ApiException.badRequest("bad delay " + fixed + "+" + random + " us: must not be negative");
          }
          if (fixed + random > 3_600_000_000L) {
            throw ApiException.badRequest("bad delay: at most one hour");
          }
          return resolve(dev)
              .thenCompose(
                  t ->
                      sims.setDelay(t.path(), Delay.uniform(fixed * 1000, (fixed + random) * 1000))
                          .thenApply(
                              d -> {
                                logWithPath(t.path(), "api: delay of {} set to {}+{} us", t.name(), fixed, random);
                                return new ApiModel.Delay(fixed, random);
                              }));
        });
  }

  // ------------------------------------------------------------------ devfs scripting

  private Devfs.FileHandle file(long handle) {
    Devfs.FileHandle f = files.get(handle);
    if (f == null) {
      throw ApiException.notFound("no open handle " + handle);
    }
    return f;
  }

  private static ApiException errno(String what, Errno e) {
    if (e == Errno.ENOENT) {
      return ApiException.notFound(what + ": " + e);
    }
    if (e == Errno.EINVAL) {
      return ApiException.badRequest(what + ": " + e);
    }
    return ApiException.conflict(what + ": " + e);
  }

  @Override
  public CompletionStage<ApiModel.Handle> open(ApiModel.Open req) {
    return guard(
        () -> {
          if (req.node() == null || req.node().isBlank() || req.node().length() > Devfs.SPECNAMELEN) {
            throw ApiException.badRequest("bad node name '" + req.node() + "'");
          }
          String name = req.node().startsWith("/dev/") ? req.node().substring(5) : req.node();
          return AskPattern.<Devfs.Command, Devfs.OpenResult>ask(
                  devfs, r -> new Devfs.Open(name, Devfs.FREAD | Devfs.FWRITE, r), askTimeout, system.scheduler())
              .thenApply(
                  o -> {
                    if (!o.ok()) {
                      throw o.errno() == Errno.ENOENT
                          ? ApiException.notFound("no such node: " + name)
                          : errno("open " + name, o.errno());
                    }
                    files.put(o.file().fileId(), o.file());
                    LOG.info("api: open {} -> handle {}", name, o.file().fileId());
                    return new ApiModel.Handle(o.file().fileId(), name);
                  });
        });
  }

  @Override
  public CompletionStage<ApiModel.Ack> close(long handle) {
    return guard(
        () -> {
          Devfs.FileHandle f = file(handle);
          return AskPattern.<Devfs.Command, Devfs.DevReply>ask(devfs, r -> new Devfs.Close(f, r), askTimeout, system.scheduler())
              .thenApply(
                  rep -> {
                    files.remove(handle);
                    LOG.info("api: close handle {} ({}): {}", handle, f.name(), rep.errno());
                    // devfs closes the file in every case; ENXIO only says the driver was not called
                    return new ApiModel.Ack(true, "handle " + handle + " (" + f.name() + ") closed" + (rep.isOk() ? "" : ": " + rep.errno()));
                  });
        });
  }

  @Override
  public CompletionStage<ApiModel.Data> read(long handle, ApiModel.Read req) {
    return guard(
        () -> {
          long off = req.offset() == null ? 0 : req.offset();
          int len = req.length() == null ? 512 : req.length();
          if (off < 0 || len <= 0 || len > MAX_TRANSFER) {
            throw ApiException.badRequest("bad read: offset " + off + ", length " + len + " (1.." + MAX_TRANSFER + ")");
          }
          Devfs.FileHandle f = file(handle);
          return AskPattern.<Devfs.Command, Devfs.DevReply>ask(devfs, r -> new Devfs.Read(f, off, len, r), askTimeout, system.scheduler())
              .thenApply(
                  rep -> {
                    if (!rep.isOk()) {
                      throw errno("read " + f.name(), rep.errno());
                    }
                    return new ApiModel.Data(handle, off, rep.data().size(), HEX.formatHex(rep.data().toArray()));
                  });
        });
  }

  @Override
  public CompletionStage<ApiModel.Ack> write(long handle, ApiModel.Write req) {
    return guard(
        () -> {
          long off = req.offset() == null ? 0 : req.offset();
          ByteString data = hex(req.dataHex(), "data");
          if (off < 0 || data.isEmpty() || data.size() > MAX_TRANSFER) {
            throw ApiException.badRequest("bad write: offset " + off + ", " + data.size() + " bytes (1.." + MAX_TRANSFER + ")");
          }
          Devfs.FileHandle f = file(handle);
          return AskPattern.<Devfs.Command, Devfs.DevReply>ask(devfs, r -> new Devfs.Write(f, off, data, r), askTimeout, system.scheduler())
              .thenApply(
                  rep -> {
                    if (!rep.isOk()) {
                      throw errno("write " + f.name(), rep.errno());
                    }
                    return new ApiModel.Ack(true, data.size() + " bytes written to " + f.name() + " at " + off);
                  });
        });
  }

  static ByteString hex(String text, String what) {
    String s = text == null ? "" : text.replaceAll("[\\s:]", "");
    if (s.startsWith("0x") || s.startsWith("0X")) {
      s = s.substring(2);
    }
    if (s.length() % 2 != 0) {
      throw ApiException.badRequest("bad hex " + what + ": odd number of digits");
    }
    try {
      return ByteString.fromArray(HEX.parseHex(s));
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("bad hex " + what + ": " + ManagementRoutes.oneLine(e.getMessage()));
    }
  }

  @Override
  public CompletionStage<ApiModel.CdbResult> cdb(long handle, ApiModel.Cdb req) {
    return guard(
        () -> {
          ByteString cdb = hex(req.cdbHex(), "CDB");
          if (cdb.size() < 6 || cdb.size() > 16) {
            throw ApiException.badRequest("bad CDB: " + cdb.size() + " bytes (6..16)");
          }
          ByteString out = hex(req.dataOutHex(), "data");
          int in = req.dataInLength() == null ? 0 : req.dataInLength();
          int timeout = req.timeoutMs() == null ? 0 : req.timeoutMs();
          if (in < 0 || in > MAX_TRANSFER || out.size() > MAX_TRANSFER) {
            throw ApiException.badRequest("bad transfer length (0.." + MAX_TRANSFER + ")");
          }
          if (in > 0 && !out.isEmpty()) {
            throw ApiException.badRequest("a CDB moves data in one direction: give dataInLength or dataOutHex");
          }
          if (timeout < 0) {
            throw ApiException.badRequest("bad timeout " + timeout);
          }
          Devfs.FileHandle f = file(handle);
          int flags = in > 0 ? CcbFlags.DIR_IN : !out.isEmpty() ? CcbFlags.DIR_OUT : CcbFlags.DIR_NONE;
          // the pass periph puts its own path and completion address in the header
          Ccb.ScsiIo io =
              new Ccb.ScsiIo(
                  header(CamPath.XPT, flags | CcbFlags.DEV_QFRZDIS, timeout, system.ignoreRef()), cdb, out, out.isEmpty() ? in : out.size(), -1);
          Duration t = Duration.ofMillis(Math.max(askTimeout.toMillis(), timeout + 2000L));
          return AskPattern.<Devfs.Command, Devfs.DevReply>ask(
                  devfs, r -> new Devfs.Ioctl(f, new PassPeriph.CamIoCommand(io), r), t, system.scheduler())
              .thenApply(
                  rep -> {
                    if (!rep.isOk()) {
                      throw errno("CAMIOCOMMAND on " + f.name(), rep.errno());
                    }
                    if (!(rep.result() instanceof PassPeriph.CamIoResult res)) {
                      throw ApiException.badRequest(f.name() + " does not take pass-through CCBs");
                    }
                    Ccb.Completed c = res.completed();
                    return new ApiModel.CdbResult(
                        handle, c.status().name(), c.statusWord(), c.scsiStatus(), HEX.formatHex(c.sense().toArray()),
                        senseText(c), HEX.formatHex(c.data().toArray()), c.resid());
                  });
        });
  }

  // ------------------------------------------------------------------ statistics and wiring

  @Override
  public CompletionStage<ApiModel.Stats> stats() {
    return devlist()
        .thenApply(
            dl -> {
              Map<CamPath, List<String>> present = new HashMap<>();
              for (ApiModel.Bus b : dl.buses()) {
                for (ApiModel.Device d : b.devices()) {
                  if (!d.unconfigured() && d.bus() >= 0) {
                    present.put(CamPath.of(d.bus(), d.target(), d.lun()), d.periphs());
                  }
                }
              }
              List<ApiModel.LunStats> out = new ArrayList<>();
              long age = 0;
              for (Map.Entry<CamPath, IoStats> e : IoStats.Registry.get(system).all().entrySet()) {
                List<String> periphs = present.get(e.getKey());
                if (periphs == null) {
                  continue;
                }
                IoStats.Snapshot s = e.getValue().snapshot();
                age = Math.max(age, s.ageMillis());
                out.add(
                    new ApiModel.LunStats(
                        e.getKey().btl(), periphs, s.reads(), s.writes(), s.other(), s.bytesRead(), s.bytesWritten(),
                        s.errors(), s.timeouts(), s.p50Micros(), s.p90Micros(), s.p99Micros(), s.p999Micros(), s.maxMicros()));
              }
              out.sort(Comparator.comparing((ApiModel.LunStats l) -> CamPath.parse(l.path()).bus())
                  .thenComparing(l -> CamPath.parse(l.path()).target())
                  .thenComparing(l -> CamPath.parse(l.path()).lun()));
              return new ApiModel.Stats(age, out);
            });
  }

  @Override
  public CompletionStage<ApiModel.Wiring> wiring() {
    return guard(wiring::list);
  }

  @Override
  public CompletionStage<ApiModel.WiringEntry> wire(ApiModel.Wire req) {
    return guard(
        () -> {
          if (req.driver() == null || !req.driver().matches("[a-z]+")) {
            throw ApiException.badRequest("bad driver '" + req.driver() + "'");
          }
          if (req.unit() == null || req.unit() < 0) {
            throw ApiException.badRequest("bad unit " + req.unit() + ": must not be negative");
          }
          return resolve(req.device()).thenCompose(t -> wiring.wire(req.driver(), req.unit(), t.path(), t.info()));
        });
  }

  @Override
  public CompletionStage<ApiModel.Ack> unwire(String driver, int unit) {
    return guard(() -> wiring.unwire(driver, unit));
  }
}
