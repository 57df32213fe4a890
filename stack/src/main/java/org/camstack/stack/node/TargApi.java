package org.camstack.stack.node;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onComplete;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEnd;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.camstack.stack.node.NodeCcbs.guard;

import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.sim.TargBus;
import org.camstack.stack.xpt.Xpt;
import scala.util.Try;

/**
 * The targ(4) area of the management API (cf. sys/cam/scsi/scsi_target.c): a user program plays a
 * LUN of the node's target-mode bus ({@link TargBus}, registered as {@code targ0} on the first
 * enable) over HTTP.
 *
 * <ul>
 *   <li>{@code POST /api/targ} {@code {"target":0,"lun":0}}: enable the LUN (cf. TARGIOCENABLE),
 *       then the XPT scans it; the probe's commands wait as ATIOs. Answer: the LUN's id and path.
 *   <li>{@code GET /api/targ}: the enabled LUNs.
 *   <li>{@code GET /api/targ/{id}/atio?wait=MS}: the next ATIO (tag, CDB hex, initiator, data-out
 *       hex, transfer length), waiting at most MS (bounded by the ask timeout); 204 when none came.
 *   <li>{@code POST /api/targ/{id}/ctio} {@code {"tag":5,"status":0,"dataHex":"..."}} (or {@code
 *       dataBase64}; {@code senseHex} with status 2): the answer to one ATIO (cf. XPT_CONT_TARGET_IO
 *       with CAM_SEND_STATUS).
 *   <li>{@code DELETE /api/targ/{id}}: disable (cf. TARGIOCDISABLE): commands still waiting fail
 *       with selection timeout, the LUN is re-scanned and its periphs leave through the hot-plug
 *       path (AC_LOST_DEVICE).
 * </ul>
 *
 * Unknown id 404, bad hex or status 400, CTIO for a tag the LUN never had 404, CTIO for a command
 * that already ended (answered, timed out, disabled) 409, LUN already enabled 409.
 */
public final class TargApi {
  /** The bus name the target-mode SIM registers under (unit 0). */
  static final String BUS_NAME = "targ";

  /** The largest sense a CTIO may carry (cf. SSD_FULL_SIZE). */
  static final int MAX_SENSE = 252;

  public record Enable(Integer target, Long lun) {}

  public record Enabled(String id, String path, int target, long lun) {}

  public record TargList(List<Enabled> luns) {}

  public record AtioView(String id, long tag, int opcode, String cdbHex, int initiator, int dxferLen, String dataOutHex) {}

  public record CtioRequest(Long tag, Integer status, String dataHex, String dataBase64, String senseHex) {}

  public record CtioDone(String id, long tag, int status, int dataBytes) {}

  private record Entry(String id, CamPath path, TargBus.Lun lun) {}

  private final ActorSystem<?> system;
  private final ActorRef<Xpt.Command> xpt;
  private final NodeCcbs ccbs;
  private final Duration askTimeout;
  private final Duration scanTimeout;
  private final ApiLimits limits;
  private final TargBus bus = new TargBus();
  private final ConcurrentHashMap<String, Entry> luns = new ConcurrentHashMap<>();
  private final AtomicInteger ids = new AtomicInteger();
  private CompletableFuture<Integer> pathId; // guarded by this

  TargApi(ActorSystem<?> system, ActorRef<Xpt.Command> xpt, NodeCcbs ccbs, Duration askTimeout, Duration scanTimeout, ApiLimits limits) {
    this.system = system;
    this.xpt = xpt;
    this.ccbs = ccbs;
    this.askTimeout = askTimeout;
    this.scanTimeout = scanTimeout;
    this.limits = limits;
  }

  static Route routes(NodeService service, ManagementRoutes routes) {
    return concat(
        pathEnd(() -> concat(
            get(() -> routes.reply(() -> service.targ().list())),
            post(() -> routes.body(Enable.class, r -> routes.reply(() -> service.targ().enable(r)))))),
        pathPrefix(id -> concat(
            pathEnd(() -> delete(() -> routes.reply(() -> service.targ().disable(id)))),
            path("atio", () -> get(() -> parameterOptional("wait", w -> onComplete(() -> invoke(() -> service.targ().atio(id, w.orElse(null))),
                (Try<Optional<AtioView>> t) -> t.isSuccess() && t.get().isEmpty()
                    ? complete(StatusCodes.NO_CONTENT)
                    : routes.reply(() -> t.isSuccess() ? CompletableFuture.completedFuture(t.get().get())
                        : CompletableFuture.failedFuture(t.failed().get())))))),
            path("ctio", () -> post(() -> routes.body(CtioRequest.class, r -> routes.reply(() -> service.targ().ctio(id, r))))))));
  }

  private static <T> CompletionStage<T> invoke(java.util.function.Supplier<CompletionStage<T>> call) {
    try {
      return call.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The target-mode bus's path id, registering it with the XPT the first time (cf. xpt_bus_register()). */
  private synchronized CompletionStage<Integer> bus() {
    if (pathId == null || pathId.isCompletedExceptionally()) {
      pathId = AskPattern.<Xpt.Command, Xpt.BusRegistered>ask(xpt, r -> TargBus.registration(bus, BUS_NAME, 0, 7, r), askTimeout,
              system.scheduler())
          .thenApply(Xpt.BusRegistered::pathId)
          .toCompletableFuture();
    }
    return pathId;
  }

  /** cf. TARGIOCENABLE, then a scan of the LUN (not waited for: its commands are the program's first ATIOs). */
  public CompletionStage<Enabled> enable(Enable req) {
    return guard(() -> {
      if (req == null || req.target() == null || req.lun() == null) {
        throw ApiException.badRequest("missing target or lun (e.g. {\"target\":0,\"lun\":0})");
      }
      if (req.target() < 0 || req.target() > 15 || req.target() == 7) {
        throw ApiException.badRequest("bad target " + req.target() + " (0..15 but 7, the initiator)");
      }
      if (req.lun() < 0 || req.lun() > 7) {
        throw ApiException.badRequest("bad lun " + req.lun() + " (0..7)");
      }
      return bus().thenApply(pid -> {
        TargBus.Lun l;
        try {
          l = bus.enable(req.target(), req.lun());
        } catch (IllegalArgumentException e) {
          throw ApiException.conflict(e.getMessage());
        }
        String id = "targ" + ids.incrementAndGet();
        CamPath p = CamPath.of(pid, req.target(), req.lun());
        luns.put(id, new Entry(id, p, l));
        NodeCcbs.logWithPath(p, "api: targ enable {} as {}", p.btl(), id);
        scan(p);
        return new Enabled(id, p.btl(), req.target(), req.lun());
      });
    });
  }

  public CompletionStage<TargList> list() {
    return CompletableFuture.completedFuture(new TargList(luns.values().stream()
        .sorted(Comparator.comparingInt(e -> Integer.parseInt(e.id().substring(BUS_NAME.length()))))
        .map(TargApi::view)
        .toList()));
  }

  private static Enabled view(Entry e) {
    return new Enabled(e.id(), e.path().btl(), e.lun().target(), e.lun().lun());
  }

  /** The next ATIO, or empty after {@code wait} milliseconds (at most the ask timeout). */
  public CompletionStage<Optional<AtioView>> atio(String id, String wait) {
    return guard(() -> {
      Entry e = entry(id);
      long ms = wait == null ? 0 : ManagementRoutes.number(wait, "wait");
      long max = askTimeout.toMillis();
      if (ms > max) {
        throw ApiException.unprocessable("wait " + ms + " ms is longer than the node waits (" + max + " ms, camstack.node.ask-timeout)");
      }
      CompletableFuture<TargBus.Atio> f = e.lun().next();
      if (!f.isDone()) {
        system.scheduler().scheduleOnce(Duration.ofMillis(ms), () -> {
          if (e.lun().cancel(f)) {
            f.complete(null);
          }
        }, system.executionContext());
      }
      return f.thenApply(a -> Optional.ofNullable(a).map(x -> new AtioView(id, x.tag(), x.opcode(), HexFormat.of().formatHex(x.cdb().toArray()),
          x.initiatorId(), x.dxferLen(), HexFormat.of().formatHex(x.dataOut().toArray()))));
    });
  }

  /** cf. XPT_CONT_TARGET_IO with CAM_SEND_STATUS: data and status for one ATIO. */
  public CompletionStage<CtioDone> ctio(String id, CtioRequest req) {
    return guard(() -> {
      Entry e = entry(id);
      if (req == null || req.tag() == null) {
        throw ApiException.badRequest("missing tag (the ATIO's tag)");
      }
      int status = req.status() == null ? ScsiStatus.GOOD : req.status();
      if (status < 0 || status > 0xff || (status & 1) != 0) {
        throw ApiException.badRequest("bad SCSI status " + status + " (0 GOOD, 2 CHECK CONDITION, 8 BUSY, 0x18 RESERVATION CONFLICT, 0x28 TASK SET FULL)");
      }
      if (req.dataHex() != null && req.dataBase64() != null) {
        throw ApiException.badRequest("give dataHex or dataBase64, not both");
      }
      ByteString data;
      if (req.dataBase64() != null) {
        try {
          data = ByteString.fromArray(Base64.getDecoder().decode(req.dataBase64()));
        } catch (IllegalArgumentException x) {
          throw ApiException.badRequest("bad base64 data: " + ManagementRoutes.oneLine(x.getMessage()));
        }
      } else {
        data = DevfsApi.hex(req.dataHex(), "data");
      }
      if (data.size() > limits.maxTransfer()) {
        throw ApiException.tooLarge("data of " + data.size() + " bytes is larger than the node transfers (" + limits.maxTransfer()
            + " bytes, camstack.node.limits.max-transfer)");
      }
      ByteString sense = DevfsApi.hex(req.senseHex(), "sense");
      if (sense.size() > MAX_SENSE) {
        throw ApiException.badRequest("sense of " + sense.size() + " bytes (at most " + MAX_SENSE + ")");
      }
      if (!sense.isEmpty() && status != ScsiStatus.CHECK_COND) {
        throw ApiException.badRequest("sense goes with status 2 (CHECK CONDITION), not " + status);
      }
      if (status == ScsiStatus.CHECK_COND && sense.isEmpty()) {
        throw ApiException.badRequest("status 2 (CHECK CONDITION) needs senseHex");
      }
      TargBus.CtioResult r = e.lun().answer(req.tag(), new TargBus.Ctio(status, data, sense));
      switch (r) {
        case ANSWERED:
          return CompletableFuture.completedFuture(new CtioDone(id, req.tag(), status, data.size()));
        case ENDED:
          throw ApiException.conflict(id + ": tag " + req.tag() + " has no command waiting (" + e.lun().ended(req.tag()) + ")");
        default:
          throw ApiException.notFound(id + ": no ATIO with tag " + req.tag());
      }
    });
  }

  /** cf. TARGIOCDISABLE: waiting commands fail with selection timeout; a re-scan takes the periphs away. */
  public CompletionStage<ApiModel.Ack> disable(String id) {
    return guard(() -> {
      Entry e = entry(id);
      if (!luns.remove(id, e)) {
        throw ApiException.notFound("no targ LUN '" + id + "' (already disabled)");
      }
      NodeCcbs.logWithPath(e.path(), "api: targ disable {} ({})", id, e.path().btl());
      e.lun().disable();
      return scan(e.path()).thenApply(c -> new ApiModel.Ack(true, id + " disabled, " + e.path().btl() + " re-scanned: " + c.status()));
    });
  }

  private Entry entry(String id) {
    Entry e = id == null ? null : luns.get(id);
    if (e == null) {
      throw ApiException.notFound("no targ LUN '" + (id == null ? "" : id) + "' (see GET /api/targ)");
    }
    return e;
  }

  /** XPT_SCAN_LUN: the probe attaches the periphs, or finds the LUN gone (AC_LOST_DEVICE). */
  private CompletionStage<Ccb.Completed> scan(CamPath p) {
    return ccbs.action(r -> new Ccb.ScanLun(ccbs.header(p, 0, 0, r), false), scanTimeout);
  }
}
