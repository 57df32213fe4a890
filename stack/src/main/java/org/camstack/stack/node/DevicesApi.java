package org.camstack.stack.node;

import static org.camstack.stack.node.NodeCcbs.guard;
import static org.camstack.stack.node.NodeCcbs.logWithPath;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.scsi.sg.SgIo;
import org.camstack.stack.scsi.sg.SgPeriph;
import org.camstack.stack.target.EmuCdrom;
import org.camstack.stack.target.EmuDevice;

/**
 * The device-family area of the management API (issue 14): the front panel of an emulated CD/DVD
 * drive ({@code GET /api/cd/{dev}}, {@code POST /api/cd/{dev}/load}, {@code POST
 * /api/cd/{dev}/eject}, cf. cdcontrol) and the Linux sg ABI on an open {@code sgN} handle
 * ({@code POST /api/devfs/{h}/sgio}).
 */
public final class DevicesApi {
  private static final HexFormat HEX = HexFormat.of();

  /**
   * What the drive holds. {@code image}: the ISO file, empty for the built-in blank disc or none;
   * {@code profile}: the MMC current profile (0 none, 8 CD-ROM, 0x10 DVD-ROM).
   */
  public record CdStatus(
      String dev, String path, boolean loaded, boolean trayOpen, boolean removalPrevented, String image, long sectors, int profile) {}

  /** {@code POST /api/cd/{dev}/load}: the ISO image file (a path on the node's host). */
  public record CdLoad(String file) {}

  /**
   * {@code POST /api/devfs/{h}/sgio}: an {@code sg_io_hdr} (see {@link SgIo.Request}).
   *
   * @param dxferDirection -1 none, -2 to device, -3 from device, -4 both (read as from device)
   */
  public record SgIoRequest(int dxferDirection, String cmdHex, Integer dxferLen, String dataOutHex, Integer mxSbLen, Integer timeoutMs) {}

  /** The header fields {@code SG_IO} fills in (see {@link SgIo.Response}), data and sense in hex. */
  public record SgIoReply(
      long handle, int status, int maskedStatus, int hostStatus, int driverStatus, int sbLenWr, String senseHex, int resid,
      int info, String dataHex, String camStatus) {}

  private final NodeCcbs ccbs;
  private final SimControl sims;
  private final DevfsApi files;
  private final ActorRef<Devfs.Command> devfs;
  private final ActorSystem<?> system;
  private final ApiLimits limits;

  DevicesApi(NodeCcbs ccbs, SimControl sims, DevfsApi files, ActorRef<Devfs.Command> devfs, ActorSystem<?> system, ApiLimits limits) {
    this.ccbs = ccbs;
    this.sims = sims;
    this.files = files;
    this.devfs = devfs;
    this.system = system;
    this.limits = limits;
  }

  // ------------------------------------------------------------------ cd

  private static EmuCdrom cd(EmuDevice d, String dev) {
    if (!(d instanceof EmuCdrom c)) {
      throw new IllegalArgumentException(dev + " is not an emulated CD/DVD drive");
    }
    return c;
  }

  private static CdStatus status(String dev, String path, EmuCdrom c) {
    Path image = c.image();
    return new CdStatus(
        dev, path, c.isMediumPresent() && c.sectors() > 0, c.isTrayOpen(), c.isRemovalPrevented(),
        image == null ? "" : image.toString(), c.sectors(), c.currentProfile());
  }

  public CompletionStage<CdStatus> cdStatus(String dev) {
    return guard(() -> ccbs.resolve(dev))
        .thenCompose(t -> sims.onDevice(t.path(), d -> status(t.name(), t.path().btl(), cd(d, t.name()))))
        .thenApply(CdStatus.class::cast);
  }

  /** cf. inserting a disc: the drive posts 06/28/00 and a NewMedia event. 409 while prevented. */
  public CompletionStage<CdStatus> cdLoad(String dev, CdLoad req) {
    return guard(
        () -> {
          String file = limits.name(req == null ? null : req.file(), "file");
          if (file == null || file.isBlank()) {
            throw ApiException.badRequest("missing file (the ISO image to load)");
          }
          return ccbs.resolve(dev)
              .thenCompose(
                  t -> {
                    logWithPath(t.path(), "api: cd load {} {}", t.name(), file);
                    return sims.onDevice(
                        t.path(),
                        d -> {
                          EmuCdrom c = cd(d, t.name());
                          c.load(Path.of(file));
                          return status(t.name(), t.path().btl(), c);
                        });
                  })
              .thenApply(CdStatus.class::cast);
        });
  }

  /** The eject button (cf. {@code cdcontrol eject} on a drive nobody locked). 409 while prevented. */
  public CompletionStage<CdStatus> cdEject(String dev) {
    return guard(() -> ccbs.resolve(dev))
        .thenCompose(
            t -> {
              logWithPath(t.path(), "api: cd eject {}", t.name());
              return sims.onDevice(
                  t.path(),
                  d -> {
                    EmuCdrom c = cd(d, t.name());
                    if (!c.eject()) {
                      throw new IllegalArgumentException(t.name() + ": medium removal is prevented (PREVENT ALLOW MEDIUM REMOVAL)");
                    }
                    return status(t.name(), t.path().btl(), c);
                  });
            })
        .thenApply(CdStatus.class::cast);
  }

  // ------------------------------------------------------------------ sg

  private static ByteString hex(String text, String what) {
    String s = text == null ? "" : text.replaceAll("[\\s:]", "");
    if (s.length() % 2 != 0) {
      throw ApiException.badRequest("bad hex " + what + ": odd number of digits");
    }
    try {
      return ByteString.fromArray(HEX.parseHex(s));
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("bad hex " + what + ": " + ManagementRoutes.oneLine(e.getMessage()));
    }
  }

  /** SG_IO on an open {@code sgN} handle. */
  public CompletionStage<SgIoReply> sgio(long handle, SgIoRequest req) {
    return guard(
        () -> {
          if (req == null) {
            throw ApiException.badRequest("missing sg_io_hdr");
          }
          ByteString cmd = hex(req.cmdHex(), "cmd");
          ByteString out = hex(req.dataOutHex(), "data");
          int len = req.dxferLen() == null ? (req.dxferDirection() == SgIo.SG_DXFER_TO_DEV ? out.size() : 0) : req.dxferLen();
          int timeout = req.timeoutMs() == null ? 0 : req.timeoutMs();
          if (timeout > limits.maxCommandTimeoutMs()) {
            throw ApiException.unprocessable("timeoutMs " + timeout + " is longer than the node waits for a command (at most "
                + limits.maxCommandTimeoutMs() + " ms, camstack.node.limits.max-command-timeout)");
          }
          if (len > 16 * 1024 * 1024) {
            throw ApiException.tooLarge("dxferLen " + len + " is larger than 16 MiB");
          }
          SgIo.Request r = new SgIo.Request(req.dxferDirection(), cmd, len, out, req.mxSbLen() == null ? SgIo.MAX_SENSE : req.mxSbLen(), timeout);
          String bad = r.invalid();
          if (bad != null) {
            throw ApiException.badRequest("bad sg_io_hdr: " + bad);
          }
          Devfs.FileHandle f = files.file(handle);
          Duration t = Duration.ofMillis(Math.max(ccbs.askTimeout().toMillis(), r.timeoutOrDefault() + 2000L));
          return AskPattern.<Devfs.Command, Devfs.DevReply>ask(devfs, x -> new Devfs.Ioctl(f, new SgPeriph.SgIoCmd(r), x), t, system.scheduler())
              .thenApply(
                  rep -> {
                    if (!rep.isOk()) {
                      throw ApiException.conflict("SG_IO on " + f.name() + ": " + rep.errno());
                    }
                    if (!(rep.result() instanceof SgPeriph.SgIoResult res)) {
                      throw ApiException.badRequest(f.name() + " is not an sg device");
                    }
                    SgIo.Response s = res.response();
                    return new SgIoReply(
                        handle, s.status(), s.maskedStatus(), s.hostStatus(), s.driverStatus(), s.sbLenWr(),
                        HEX.formatHex(s.sense().toArray()), s.resid(), s.info(), HEX.formatHex(s.data().toArray()), s.camStatus());
                  });
        });
  }
}
