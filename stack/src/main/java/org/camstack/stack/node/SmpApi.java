package org.camstack.stack.node;

import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.camstack.stack.node.NodeCcbs.guard;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.scsi.pass.PassPeriph;
import org.camstack.stack.scsi.smp.Smp;

/**
 * The SMP area of the management API (cf. camcontrol smprg / smpmaninfo / smpphylist / smppc):
 * each call opens the expander's {@code passN}, sends {@code XPT_SMP_IO} CCBs through it
 * (CAMIOCOMMAND), and closes it.
 *
 * <ul>
 *   <li>{@code GET /api/smp/{pass}/rg}: REPORT GENERAL
 *   <li>{@code GET /api/smp/{pass}/mi}: REPORT MANUFACTURER INFORMATION
 *   <li>{@code GET /api/smp/{pass}/phylist}: DISCOVER LIST of every phy, with each phy's error log
 *   <li>{@code POST /api/smp/{pass}/pc} {@code {"phy":1,"op":"disable"}}: PHY CONTROL (linkreset,
 *       hardreset, disable, clearerrlog, nop)
 * </ul>
 *
 * A device that is no SMP target answers 409 with the CCB status; an SMP function result other
 * than "accepted" answers 409 with its name.
 */
public final class SmpApi {
  public record General(String device, int changeCount, int routeIndexes, int phys, String enclosureId) {}

  public record Manufacturer(String device, String vendor, String product, String revision) {}

  public record Phy(int phy, String attached, String linkRate, String attachedSasAddress, int changeCount, long invalidDwords,
      long disparityErrors, long lossOfSync, long resetProblems) {}

  public record PhyList(String device, List<Phy> phys) {}

  public record PhyControl(Integer phy, String op) {}

  public record Controlled(String device, int phy, String op, String result) {}

  private final ActorSystem<?> system;
  private final ActorRef<Devfs.Command> devfs;
  private final Duration askTimeout;

  SmpApi(ActorSystem<?> system, ActorRef<Devfs.Command> devfs, Duration askTimeout) {
    this.system = system;
    this.devfs = devfs;
    this.askTimeout = askTimeout;
  }

  static Route routes(NodeService service, ManagementRoutes routes) {
    return pathPrefix(dev -> concat(
        path("rg", () -> get(() -> routes.reply(() -> service.smp().general(dev)))),
        path("mi", () -> get(() -> routes.reply(() -> service.smp().manufacturer(dev)))),
        path("phylist", () -> get(() -> routes.reply(() -> service.smp().phyList(dev)))),
        path("pc", () -> post(() -> routes.body(PhyControl.class, r -> routes.reply(() -> service.smp().phyControl(dev, r)))))));
  }

  public CompletionStage<General> general(String dev) {
    return withNode(dev, f -> smp(f, Smp.reportGeneral()).thenApply(r -> {
      Smp.General g = Smp.general(r);
      return new General(f.name(), g.changeCount(), g.routeIndexes(), g.phys(), g.enclosureId());
    }));
  }

  public CompletionStage<Manufacturer> manufacturer(String dev) {
    return withNode(dev, f -> smp(f, Smp.reportManufacturerInfo()).thenApply(r -> {
      Smp.Manufacturer m = Smp.manufacturer(r);
      return new Manufacturer(f.name(), m.vendor(), m.product(), m.revision());
    }));
  }

  /** cf. camcontrol smpphylist: DISCOVER LIST, then REPORT PHY ERROR LOG per phy. */
  public CompletionStage<PhyList> phyList(String dev) {
    return withNode(dev, f -> smp(f, Smp.reportGeneral())
        .thenCompose(g -> smp(f, Smp.discoverList(0, Smp.general(g).phys())))
        .thenCompose(l -> errorLogs(f, Smp.discoverList(l), 0, new java.util.ArrayList<>()))
        .thenApply(phys -> new PhyList(f.name(), phys)));
  }

  private CompletionStage<List<Phy>> errorLogs(Devfs.FileHandle f, List<Smp.Phy> phys, int i, List<Phy> acc) {
    if (i >= phys.size()) {
      return CompletableFuture.completedFuture(List.copyOf(acc));
    }
    Smp.Phy p = phys.get(i);
    return smp(f, Smp.reportPhyErrorLog(p.phy())).thenCompose(r -> {
      Smp.ErrorLog e = Smp.errorLog(r);
      String attached = p.attachedType() == Smp.DEV_END_DEVICE ? (p.sspTarget() ? "ssp end device" : "end device")
          : p.attachedType() == Smp.DEV_EXPANDER ? "expander" : "none";
      acc.add(new Phy(p.phy(), attached, p.linkRateName(), p.attachedSasAddress(), p.changeCount(), e.invalidDwords(),
          e.disparityErrors(), e.lossOfSync(), e.resetProblems()));
      return errorLogs(f, phys, i + 1, acc);
    });
  }

  public CompletionStage<Controlled> phyControl(String dev, PhyControl req) {
    return guard(() -> {
      if (req == null || req.phy() == null || req.op() == null) {
        throw ApiException.badRequest("missing phy or op (e.g. {\"phy\":0,\"op\":\"linkreset\"})");
      }
      if (req.phy() < 0 || req.phy() > 254) {
        throw ApiException.badRequest("bad phy " + req.phy() + " (0..254)");
      }
      int op;
      try {
        op = Smp.phyOperation(req.op());
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest(e.getMessage());
      }
      return withNode(dev, f -> smp(f, Smp.phyControl(req.phy(), op))
          .thenApply(r -> new Controlled(f.name(), req.phy(), req.op(), Smp.resultName(Smp.result(r)))));
    });
  }

  // ------------------------------------------------------------------ plumbing

  /** One XPT_SMP_IO through the open pass node; the response frame when the function was accepted. */
  private CompletionStage<ByteString> smp(Devfs.FileHandle f, ByteString request) {
    Ccb.SmpIo io = new Ccb.SmpIo(
        new Ccb.Header(0, CamPath.XPT, 0, CcbFlags.DIR_IN | CcbFlags.DEV_QFRZDIS, 0, 0, system.ignoreRef()), request, Smp.MAX_RESPONSE);
    return AskPattern.<Devfs.Command, Devfs.DevReply>ask(devfs, r -> new Devfs.Ioctl(f, new PassPeriph.CamIoCommand(io), r), askTimeout,
            system.scheduler())
        .thenApply(rep -> {
          if (rep.errno() != Errno.OK || !(rep.result() instanceof PassPeriph.CamIoResult res)) {
            throw ApiException.conflict(f.name() + ": XPT_SMP_IO: " + rep.errno());
          }
          Ccb.Completed c = res.completed();
          if (!c.isOk()) {
            throw ApiException.conflict(f.name() + " is not an SMP target (XPT_SMP_IO: " + c.status() + ")");
          }
          int result = Smp.result(c.data());
          if (result != Smp.FR_ACCEPTED) {
            throw ApiException.conflict(f.name() + ": SMP function 0x" + Integer.toHexString(request.apply(1) & 0xff) + ": "
                + Smp.resultName(result));
          }
          return c.data();
        });
  }

  /** Opens {@code dev} (a passN node), runs {@code body}, closes it. */
  private <T> CompletionStage<T> withNode(String dev, Function<Devfs.FileHandle, CompletionStage<T>> body) {
    return guard(() -> {
      String name = dev == null ? "" : dev.startsWith("/dev/") ? dev.substring(5) : dev;
      if (!name.matches("pass[0-9]{1,5}")) {
        throw ApiException.badRequest("bad device '" + dev + "': expected passN (the SMP target's pass device, see devlist)");
      }
      return AskPattern.<Devfs.Command, Devfs.OpenResult>ask(devfs, r -> new Devfs.Open(name, Devfs.FREAD | Devfs.FWRITE, r), askTimeout,
              system.scheduler())
          .thenCompose(o -> {
            if (!o.ok()) {
              throw o.errno() == Errno.ENOENT ? ApiException.notFound("no such node: " + name)
                  : ApiException.conflict("open " + name + ": " + o.errno());
            }
            CompletionStage<T> run;
            try {
              run = body.apply(o.file());
            } catch (RuntimeException e) {
              run = CompletableFuture.failedFuture(e);
            }
            return run.handle((v, e) -> {
              devfs.tell(new Devfs.Close(o.file(), system.ignoreRef()));
              if (e != null) {
                Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
                throw c instanceof RuntimeException re ? re : new java.util.concurrent.CompletionException(c);
              }
              return v;
            });
          });
    });
  }
}
