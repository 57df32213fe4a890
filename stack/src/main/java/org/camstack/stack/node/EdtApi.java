package org.camstack.stack.node;

import static org.camstack.stack.node.NodeCcbs.path;
import static org.camstack.stack.node.NodeCcbs.commandFailed;
import static org.camstack.stack.node.NodeCcbs.failed;
import static org.camstack.stack.node.NodeCcbs.guard;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.DeviceInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.camstack.stack.node.NodeCcbs.Target;

/**
 * The EDT area of the management API: devlist (XPT_DEV_MATCH), periphlist (XPT_GDEVLIST), rescan
 * and reset (XPT_SCAN_* and XPT_RESET_*), as camcontrol does them.
 */
final class EdtApi {
  private static final Logger LOG = LoggerFactory.getLogger(EdtApi.class);

  private final NodeCcbs ccbs;
  private final Duration askTimeout;
  private final Duration scanTimeout;

  EdtApi(NodeCcbs ccbs, Duration scanTimeout) {
    this.ccbs = ccbs;
    this.askTimeout = ccbs.askTimeout();
    this.scanTimeout = scanTimeout;
  }

  public CompletionStage<ApiModel.Devlist> devlist() {
    return ccbs.devMatch(CamPath.XPT, "").thenApply(DevlistFormat::of);
  }

  public CompletionStage<ApiModel.PeriphList> periphlist(String dev) {
    return guard(() -> ccbs.resolve(dev))
        .thenCompose(t -> gdevlist(t, 0, 0, new ArrayList<>()).thenApply(l -> new ApiModel.PeriphList(t.name(), t.path().btl(), l)));
  }

  /** cf. camcontrol getdevlist(): XPT_GDEVLIST until the status is no longer MORE. */
  private CompletionStage<List<ApiModel.PeriphEntry>> gdevlist(Target t, int index, long generation, List<ApiModel.PeriphEntry> acc) {
    return ccbs.action(r -> new Ccb.GetDevList(ccbs.header(t.path(), 0, 0, r), index, generation), askTimeout)
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

  public CompletionStage<ApiModel.ScanReport> rescan(String path) {
    return scanOrReset(path, true);
  }

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
              ? r -> new Ccb.ScanLun(ccbs.header(p, 0, 0, r), false)
              : r -> new Ccb.ResetDev(ccbs.header(p, 0, 0, r));
      return ccbs.action(ccb, scanTimeout)
          .thenApply(c -> new ApiModel.ScanReport(List.of(scanItem("lun", p, c, rescan))));
    }
    CompletionStage<List<Integer>> buses;
    if (p.bus() == CamPath.WILDCARD) {
      buses =
          ccbs.devMatch(CamPath.XPT, "")
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
                rescan ? r -> new Ccb.ScanBus(ccbs.header(bp, 0, 0, r)) : r -> new Ccb.ResetBus(ccbs.header(bp, 0, 0, r));
            acc = acc.thenCompose(list -> ccbs.action(ccb, scanTimeout).thenApply(c -> {
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
}
