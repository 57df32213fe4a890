package org.camstack.stack.scsi.cd;

import java.util.function.Consumer;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.periph.Periph;
import org.camstack.stack.periph.PeriphArgs;
import org.camstack.stack.periph.PeriphBase;
import org.camstack.stack.periph.PeriphDriver;
import org.camstack.stack.periph.RunCcb;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.Cdbs;

/**
 * One CD/DVD drive, {@code cdN}: reads 2048-byte sectors, reports the disc (READ CAPACITY, READ
 * TOC) and works the tray (START STOP UNIT with LoEj, PREVENT ALLOW MEDIUM REMOVAL). cf.
 * sys/cam/scsi/scsi_cd.c (cdopen, cdcheckmedia, cdioctl CDIOCEJECT / CDIOCCLOSE / CDIOCALLOW /
 * CDIOCPREVENT / CDIOREADTOCHEADER).
 *
 * <p>A disc change (UA 06/28/00) is retried once (SF_RETRY_UA) and makes the next media question
 * re-read the capacity, as cd's {@code CD_FLAG_VALID_MEDIA} does. Opening a drive without a disc
 * succeeds (the tray ioctls must work); reads then fail with ENXIO.
 *
 * <p>Fixed lifetime: as pass (node with D_TRACKCLOSE holding DEVFS, one OPEN per open, destroy
 * with a callback from oninvalidate). Legacy (2012-pre): the destructor schedules the node's
 * destroy without a callback after the unit was freed (the unit-reuse panic, bug A).
 */
public final class CdPeriph extends PeriphBase {

  /** The driver: CD-ROM and WORM devices. cf. cdasync(AC_FOUND_DEVICE). */
  public static final PeriphDriver.Spec SPEC =
      new PeriphDriver.Spec(
          "cd", info -> info.deviceType() == DeviceInfo.T_CDROM || info.deviceType() == DeviceInfo.T_WORM, CdPeriph::create);

  /** Sector size of a CD/DVD data track. */
  public static final int SECTOR = 2048;

  /** Largest read in one CCB (sectors). */
  static final int MAX_SECTORS_PER_CCB = 64;

  /** DIOCGMEDIASIZE and friends: READ CAPACITY. Result: {@link MediaInfo}. */
  public record GetMediaInfo() implements Devfs.IoctlCmd {}

  /** @param present a disc is in and ready; else {@code sectors} is 0 and {@code reason} says why */
  public record MediaInfo(boolean present, long sectors, int sectorSize, String reason) implements Devfs.IoctlResult {}

  /** CDIOCEJECT: START STOP UNIT with LoEj, Start 0. */
  public record Eject() implements Devfs.IoctlCmd {}

  /** CDIOCCLOSE: START STOP UNIT with LoEj, Start 1. */
  public record CloseTray() implements Devfs.IoctlCmd {}

  /** CDIOCPREVENT ({@code prevent}) / CDIOCALLOW. */
  public record Prevent(boolean prevent) implements Devfs.IoctlCmd {}

  /** CDIOREADTOCHEADER + the lead-out entry: READ TOC format 0. Result: {@link Toc}. */
  public record ReadToc() implements Devfs.IoctlCmd {}

  /** @param leadOut LBA of the lead-out (= sectors of a one-track data disc) */
  public record Toc(int firstTrack, int lastTrack, long leadOut) implements Devfs.IoctlResult {}

  /** The answer of an ioctl that only succeeds or fails: the sense text when it failed. */
  public record Outcome(String detail) implements Devfs.IoctlResult {}

  public static Behavior<Periph.Command> create(PeriphArgs args) {
    return withMdc(args, Behaviors.setup(ctx -> new CdPeriph(ctx, args)));
  }

  private long sectors = -1; // -1: unknown (cf. !CD_FLAG_VALID_MEDIA)

  private CdPeriph(ActorContext<Periph.Command> context, PeriphArgs args) {
    super(context, args);
    start();
  }

  /** cf. cdregister(): the node. */
  @Override
  protected void onRegister() {
    makeDev(name, !legacy);
  }

  /** cf. cdoninvalidate(): the base deregisters and, fixed, schedules the node's destroy. */
  @Override
  protected void onInvalidate() {
    log().debug("oninvalidate: open count {}", openCount());
  }

  /** cf. cdcleanup(). */
  @Override
  protected void cleanup() {
    if (legacy) {
      destroyNodeNoCallback(); // 2012-pre: the unit is already back with the driver
    }
  }

  // ---------------------------------------------------------------------------------------------

  private void scsi(ByteString cdb, int flags, ByteString out, int dxfer, Consumer<RunCcb.Result> then) {
    Ccb.ScsiIo io =
        new Ccb.ScsiIo(
            header(CamPriority.NORMAL, flags, args.settings().ccbTimeoutMs(), 4),
            cdb,
            out == null ? ByteString.emptyByteString() : out,
            dxfer);
    RunCcb.run(this, io, RunCcb.CAM_RETRY_SELTO, CcbFlags.SF_RETRY_UA | CcbFlags.SF_NO_PRINT, then);
  }

  private static String detail(RunCcb.Result r) {
    return r.ok() || r.completed() == null ? "" : org.camstack.stack.scsi.SenseFormat.camError(r.completed()).replace('\n', ' ');
  }

  /** cf. cdcheckmedia(): READ CAPACITY; a failure means no (usable) disc. */
  private void checkMedia(Consumer<MediaInfo> then) {
    scsi(
        Cdbs.readCapacity10(),
        CcbFlags.DIR_IN,
        null,
        8,
        r -> {
          if (r.ok() && r.completed().data().size() >= 8) {
            ByteString d = r.completed().data();
            sectors = Bytes.be32(d, 0) + 1;
            then.accept(new MediaInfo(true, sectors, (int) Bytes.be32(d, 4), ""));
          } else {
            sectors = -1;
            then.accept(new MediaInfo(false, 0, SECTOR, r.errno() + ": " + detail(r)));
          }
        });
  }

  /** cf. cdopen(): a drive without a disc opens too. */
  @Override
  protected void onDevOpen(Devfs.CdevCall call, Devfs.OpenRequest req) {
    if (isInvalid()) {
      replyCall(call, Devfs.DevReply.error(Errno.ENXIO));
      return;
    }
    Errno e = openReference();
    if (e != Errno.OK) {
      replyCall(call, Devfs.DevReply.error(e));
      return;
    }
    checkMedia(mi -> replyCall(call, new Devfs.DevReply(Errno.OK, null, null)));
  }

  /** cf. cdioctl(). */
  @Override
  protected void onDevIoctl(Devfs.CdevCall call, Devfs.IoctlRequest req) {
    Devfs.IoctlCmd cmd = req.cmd();
    if (cmd instanceof GetMediaInfo) {
      checkMedia(mi -> replyCall(call, Devfs.DevReply.ok(mi)));
    } else if (cmd instanceof Eject || cmd instanceof CloseTray) {
      boolean load = cmd instanceof CloseTray;
      sectors = -1;
      scsi(Cdbs.startStopUnit(load, true, false), CcbFlags.DIR_NONE, null, 0, r -> replyCall(call, new Devfs.DevReply(r.errno(), null, new Outcome(detail(r)))));
    } else if (cmd instanceof Prevent p) {
      scsi(Cdbs.preventAllow(p.prevent()), CcbFlags.DIR_NONE, null, 0, r -> replyCall(call, new Devfs.DevReply(r.errno(), null, new Outcome(detail(r)))));
    } else if (cmd instanceof ReadToc) {
      scsi(
          Cdbs.readToc(false, 0, 0, 804),
          CcbFlags.DIR_IN,
          null,
          804,
          r -> {
            ByteString d = r.completed() == null ? ByteString.emptyByteString() : r.completed().data();
            if (!r.ok() || d.size() < 12) {
              replyCall(call, new Devfs.DevReply(r.ok() ? Errno.EIO : r.errno(), null, new Outcome(detail(r))));
              return;
            }
            int n = (Bytes.be16(d, 0) - 2) / 8;
            long leadOut = Bytes.be32(d, 4 + 8 * (n - 1) + 4);
            replyCall(call, Devfs.DevReply.ok(new Toc(Bytes.u8(d, 2), Bytes.u8(d, 3), leadOut)));
          });
    } else {
      replyCall(call, Devfs.DevReply.error(Errno.ENOTTY));
    }
  }

  /** cf. cdstrategy() + cdstart(): whole sectors only, READ(10) up to 64 sectors per CCB. */
  @Override
  protected void onDevRead(Devfs.CdevCall call, Devfs.ReadRequest req) {
    if (isInvalid()) {
      replyCall(call, Devfs.DevReply.error(Errno.ENXIO));
      return;
    }
    if (req.offset() < 0 || req.length() < 0 || req.offset() % SECTOR != 0 || req.length() % SECTOR != 0) {
      replyCall(call, Devfs.DevReply.error(Errno.EINVAL));
      return;
    }
    if (sectors < 0) {
      checkMedia(mi -> {
        if (!mi.present()) {
          replyCall(call, Devfs.DevReply.error(Errno.ENXIO));
        } else {
          onDevRead(call, req);
        }
      });
      return;
    }
    long lba = req.offset() / SECTOR;
    long count = Math.min(req.length() / SECTOR, Math.max(0, sectors - lba));
    if (lba > sectors) {
      replyCall(call, Devfs.DevReply.error(Errno.EINVAL));
      return;
    }
    readChunks(lba, count, ByteString.emptyByteString(), d -> replyCall(call, Devfs.DevReply.data(d)), e -> replyCall(call, Devfs.DevReply.error(e)));
  }

  private void readChunks(long lba, long left, ByteString got, Consumer<ByteString> done, Consumer<Errno> failed) {
    if (left == 0) {
      done.accept(got);
      return;
    }
    int n = (int) Math.min(left, MAX_SECTORS_PER_CCB);
    scsi(
        Cdbs.read10(lba, n, false, false),
        CcbFlags.DIR_IN,
        null,
        n * SECTOR,
        r -> {
          if (!r.ok()) {
            if (r.errno() == Errno.ENXIO) {
              sectors = -1; // the disc went away
            }
            failed.accept(r.errno());
            return;
          }
          readChunks(lba + n, left - n, got.concat(r.completed().data()), done, failed);
        });
  }
}
