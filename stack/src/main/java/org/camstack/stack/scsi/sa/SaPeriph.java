package org.camstack.stack.scsi.sa;

import java.util.function.Consumer;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.periph.Periph;
import org.camstack.stack.periph.PeriphArgs;
import org.camstack.stack.periph.PeriphBase;
import org.camstack.stack.periph.PeriphDriver;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;

/**
 * One sequential-access (tape) instance, {@code saN}. cf. sys/cam/scsi/scsi_sa.c.
 *
 * <p>Every {@code read()} reads one block in variable-block mode (READ(6), the buffer length as
 * transfer length) and every {@code write()} writes one (WRITE(6)); a filemark or end-of-data
 * reads as end of file (0 bytes). The mt(1) operations are the {@link MtOp} ioctl (cf. MTIOCTOP),
 * the drive's state {@link MtGet} (cf. MTIOCGET), and {@link ReadBlock} reads one block with the
 * condition that ended it. The node has no-rewind semantics ({@code nsaN}-style): nothing is
 * rewound on close.
 *
 * <p>Lifetime as pass(4) after the 2012-05 fix: the node is made with D_TRACKCLOSE holding DEVFS,
 * every open holds OPEN, oninvalidate asks devfs to destroy the node with a callback. Legacy
 * (2012-pre): no D_TRACKCLOSE, one OPEN for the first opener, and the destructor schedules the
 * node's destroy without a callback after the unit was freed (the unit-reuse window, bug A).
 */
public final class SaPeriph extends PeriphBase {

  /** The driver: sequential-access devices. cf. saasync(AC_FOUND_DEVICE). */
  public static final PeriphDriver.Spec SPEC =
      new PeriphDriver.Spec("sa", info -> info.deviceType() == DeviceInfo.T_SEQUENTIAL, SaPeriph::create);

  /** mt(1) operations (cf. sys/mtio.h MTWEOF, MTFSF, ...). */
  public enum Op {
    WEOF, FSF, BSF, FSR, BSR, REWIND, OFFLINE, LOAD, EOD, ERASE, SETBSIZ, NOP
  }

  /** MTIOCTOP: one operation with a count. Result: {@link MtResult}. */
  public record MtOp(Op op, int count) implements Devfs.IoctlCmd {}

  /**
   * The outcome of a tape operation: the CDB's condition as the drive reported it.
   *
   * @param residual the INFORMATION field when valid (count not done), else 0
   * @param condition "" when GOOD, else e.g. {@code filemark}, {@code eod}, {@code bop}, {@code
   *     early-warning}, {@code ili}, or the sense text
   */
  public record MtResult(int residual, String condition) implements Devfs.IoctlResult {}

  /** MTIOCGET. Result: {@link MtStatus}. */
  public record MtGet() implements Devfs.IoctlCmd {}

  /**
   * The drive's state.
   *
   * @param ready a cartridge is loaded
   * @param fileNumber filemarks before the position
   * @param objectNumber logical object number (blocks and filemarks from BOP)
   * @param blockSize 0: variable
   * @param bop at beginning of partition
   * @param eop in the early warning zone
   * @param condition why not ready, "" when ready
   */
  public record MtStatus(boolean ready, long fileNumber, long objectNumber, int blockSize, int density, boolean bop, boolean eop,
      String condition) implements Devfs.IoctlResult {}

  /** Reads one block of at most {@code maxLength} bytes. Result: {@link Block}. */
  public record ReadBlock(int maxLength) implements Devfs.IoctlCmd {}

  /**
   * One read's outcome.
   *
   * @param data the block (empty at a filemark or EOD)
   * @param condition "" for a block, {@code filemark}, {@code eod}, {@code ili} (the block was longer
   *     or shorter than asked), or an error text
   */
  public record Block(ByteString data, String condition) implements Devfs.IoctlResult {}

  public static Behavior<Periph.Command> create(PeriphArgs args) {
    return withMdc(args, Behaviors.setup(ctx -> new SaPeriph(ctx, args)));
  }

  private static final int UA_RETRIES = 3;

  private SaPeriph(ActorContext<Periph.Command> context, PeriphArgs args) {
    super(context, args);
    start();
  }

  /** cf. saregister(): the node {@code saN}. */
  @Override
  protected void onRegister() {
    makeDev(name, !legacy);
  }

  /** cf. sacleanup(). */
  @Override
  protected void cleanup() {
    if (legacy) {
      destroyNodeNoCallback(); // 2012-pre: after the unit was freed, no callback
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Device methods

  /** cf. saopen(): refused once invalid. */
  @Override
  protected void onDevOpen(Devfs.CdevCall call, Devfs.OpenRequest req) {
    if (isInvalid()) {
      replyCall(call, Devfs.DevReply.error(Errno.ENXIO));
      return;
    }
    replyCall(call, new Devfs.DevReply(openReference(), null, null));
  }

  @Override
  protected void onDevRead(Devfs.CdevCall call, Devfs.ReadRequest req) {
    readBlock(req.length(), b -> replyCall(call, b.condition().isEmpty() || isEof(b.condition()) || b.condition().equals("ili")
        ? Devfs.DevReply.data(b.data())
        : Devfs.DevReply.error(Errno.EIO)));
  }

  private static boolean isEof(String condition) {
    return condition.equals("filemark") || condition.equals("eod");
  }

  @Override
  protected void onDevWrite(Devfs.CdevCall call, Devfs.WriteRequest req) {
    ByteString d = req.data();
    io(Tape.write6(d.size()), d, 0, c -> {
      String cond = condition(c);
      Errno e = cond.isEmpty() || cond.equals("early-warning") ? Errno.OK : cond.equals("end-of-medium") ? Errno.ENOSPC : Errno.EIO;
      replyCall(call, new Devfs.DevReply(e, null, null));
    });
  }

  @Override
  protected void onDevIoctl(Devfs.CdevCall call, Devfs.IoctlRequest req) {
    if (req.cmd() instanceof MtOp op) {
      mtop(op, r -> replyCall(call, Devfs.DevReply.ok(r)));
    } else if (req.cmd() instanceof MtGet) {
      status(s -> replyCall(call, Devfs.DevReply.ok(s)));
    } else if (req.cmd() instanceof ReadBlock rb) {
      if (rb.maxLength() < 1 || rb.maxLength() > 0xffffff) {
        replyCall(call, Devfs.DevReply.error(Errno.EINVAL));
        return;
      }
      readBlock(rb.maxLength(), b -> replyCall(call, Devfs.DevReply.ok(b)));
    } else {
      replyCall(call, Devfs.DevReply.error(Errno.ENOTTY));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Tape operations

  private void readBlock(int max, Consumer<Block> then) {
    io(Tape.read6(max), ByteString.emptyByteString(), max, c -> then.accept(new Block(c.data(), condition(c))));
  }

  /** cf. saioctl(MTIOCTOP). */
  private void mtop(MtOp m, Consumer<MtResult> then) {
    int n = m.count();
    ByteString cdb;
    switch (m.op()) {
      case WEOF:
        cdb = Tape.writeFilemarks(n);
        break;
      case FSF:
        cdb = Tape.space(1, n);
        break;
      case BSF:
        cdb = Tape.space(1, -n);
        break;
      case FSR:
        cdb = Tape.space(0, n);
        break;
      case BSR:
        cdb = Tape.space(0, -n);
        break;
      case REWIND:
        cdb = Tape.rewind();
        break;
      case OFFLINE:
        cdb = Tape.loadUnload(false);
        break;
      case LOAD:
        cdb = Tape.loadUnload(true);
        break;
      case EOD:
        cdb = Tape.space(3, 0);
        break;
      case ERASE:
        cdb = Tape.erase(true);
        break;
      case SETBSIZ: {
        ByteString p = Tape.blockSizeParameters(n);
        io(Tape.modeSelect6(p.size()), p, 0, c -> then.accept(result(c)));
        return;
      }
      case NOP:
      default:
        cdb = Tape.testUnitReady();
        break;
    }
    io(cdb, ByteString.emptyByteString(), 0, c -> then.accept(result(c)));
  }

  private static MtResult result(Ccb.Completed c) {
    long info = c.sense().isEmpty() ? 0 : Sense.information(c.sense(), 0);
    return new MtResult((int) info, condition(c));
  }

  /** cf. saioctl(MTIOCGET): READ POSITION (long), MODE SENSE for the block descriptor. */
  private void status(Consumer<MtStatus> then) {
    io(Tape.readPositionLong(), ByteString.emptyByteString(), 32, rp -> {
      String cond = condition(rp);
      if (!cond.isEmpty() || rp.data().size() < 32) {
        then.accept(new MtStatus(false, 0, 0, 0, 0, false, false, cond.isEmpty() ? "short READ POSITION" : cond));
        return;
      }
      ByteString p = rp.data();
      io(Tape.modeSense6(), ByteString.emptyByteString(), 255, ms -> {
        int bs = 0;
        int density = 0;
        if (ms.isOk() && ms.scsiStatus() == ScsiStatus.GOOD && ms.data().size() >= 12 && (ms.data().apply(3) & 0xff) >= 8) {
          density = ms.data().apply(4) & 0xff;
          bs = Bytes.be24(ms.data(), 9);
        }
        then.accept(new MtStatus(true, Bytes.be64(p, 16), Bytes.be64(p, 8), bs, density, (p.apply(0) & 0x80) != 0,
            (p.apply(0) & 0x40) != 0, ""));
      });
    });
  }

  /** What ended a tape command, "" when GOOD. */
  static String condition(Ccb.Completed c) {
    if (c.status() != CamStatus.REQ_CMP && c.status() != CamStatus.SCSI_STATUS_ERROR) {
      return c.status().name().toLowerCase(java.util.Locale.ROOT);
    }
    if (c.scsiStatus() == ScsiStatus.GOOD) {
      return "";
    }
    ByteString s = c.sense();
    if (s.isEmpty()) {
      return "scsi status 0x" + Integer.toHexString(c.scsiStatus());
    }
    int key = Sense.key(s);
    int flags = Sense.streamFlags(s);
    int asc = Sense.asc(s);
    int ascq = Sense.ascq(s);
    if (key == Sense.BLANK_CHECK && asc == 0 && ascq == 5) {
      return "eod";
    }
    if ((flags & Sense.FILEMARK) != 0) {
      return "filemark";
    }
    if (key == Sense.VOLUME_OVERFLOW) {
      return "end-of-medium";
    }
    if ((flags & Sense.EOM) != 0 && asc == 0 && ascq == 2) {
      return "early-warning";
    }
    if ((flags & Sense.EOM) != 0) {
      return "bop";
    }
    if ((flags & Sense.ILI) != 0) {
      return "ili";
    }
    return String.format(java.util.Locale.ROOT, "sense %x/%02x/%02x", key, asc, ascq);
  }

  /**
   * One tape CDB to the drive, retried on UNIT ATTENTION (a cartridge loaded or changed, a reset);
   * the queue is not frozen on errors (the tape's conditions are answers, not failures).
   */
  private void io(ByteString cdb, ByteString out, int in, Consumer<Ccb.Completed> then) {
    io(cdb, out, in, then, UA_RETRIES);
  }

  private void io(ByteString cdb, ByteString out, int in, Consumer<Ccb.Completed> then, int retries) {
    if (isInvalid()) {
      then.accept(Ccb.Completed.of(new Ccb.ScsiIo(header(CamPriority.NORMAL, 0, 0, 0), cdb, out, 0), CamStatus.DEV_NOT_THERE));
      return;
    }
    int dir = !out.isEmpty() ? CcbFlags.DIR_OUT : in > 0 ? CcbFlags.DIR_IN : CcbFlags.DIR_NONE;
    Ccb.ScsiIo io =
        new Ccb.ScsiIo(
            header(CamPriority.NORMAL, dir | CcbFlags.DEV_QFRZDIS, Tape.TIMEOUT_MS, 0), cdb, out, out.isEmpty() ? in : out.size());
    action(io, c -> {
      if (c.devQueueFrozen()) {
        releaseDevq();
      }
      if (retries > 0 && c.scsiStatus() == ScsiStatus.CHECK_COND && !c.sense().isEmpty() && Sense.key(c.sense()) == Sense.UNIT_ATTENTION) {
        io(cdb, out, in, then, retries - 1);
        return;
      }
      then.accept(c);
    });
  }
}
