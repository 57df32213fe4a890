package org.camstack.stack.scsi.ch;

import java.util.List;
import java.util.Locale;
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
import org.camstack.stack.scsi.Cdbs;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;

/**
 * One medium changer instance, {@code chN}. cf. sys/cam/scsi/scsi_ch.c and sys/sys/chio.h.
 *
 * <p>Elements are named as chio(1) names them, a type and a unit: {@code picker} (medium
 * transport), {@code slot} (storage), {@code portal} (import/export), {@code drive} (data
 * transfer); the periph maps them to element addresses with the element address assignment page
 * (MODE SENSE 0x1D, cf. chgetparams()), read when first needed and again after a unit attention.
 * Ioctls: {@link Move} (CHIOMOVE), {@link Exchange} (CHIOEXCHANGE), {@link Position}
 * (CHIOPOSITION), {@link GetParams} (CHIOGPARAMS), {@link GetStatus} (CHIOGSTATUS, with volume
 * tags), {@link InitElementStatus} (CHIOIELEM), {@link Return} (chio's {@code return}: back to the
 * element the cartridge came from).
 *
 * <p>Lifetime: the 2012-05-27 fix ("Work around a race condition in devfs by changing the way
 * closes work", scsi_ch.c with scsi_pass.c and scsi_sg.c): fixed mode makes the node with
 * D_TRACKCLOSE holding DEVFS, each open holds OPEN, oninvalidate destroys the node with the
 * dev-gone callback. Legacy (2012-pre): no D_TRACKCLOSE, only the last close reaches the driver,
 * and the destructor schedules the node's destroy without a callback after the unit was freed, so a
 * changer reattaching in that window panics make_dev as pass does (bug A).
 */
public final class ChPeriph extends PeriphBase {

  /** The driver: medium changers. cf. chasync(AC_FOUND_DEVICE). */
  public static final PeriphDriver.Spec SPEC =
      new PeriphDriver.Spec("ch", info -> info.deviceType() == DeviceInfo.T_CHANGER, ChPeriph::create);

  /** Element types as chio names them, with their SMC type codes. */
  public enum Kind {
    PICKER(1), SLOT(2), PORTAL(3), DRIVE(4);

    public final int code;

    Kind(int code) {
      this.code = code;
    }

    public static Kind of(int code) {
      for (Kind k : values()) {
        if (k.code == code) {
          return k;
        }
      }
      throw new IllegalArgumentException("element type " + code);
    }

    /** chio's word (slot, drive, portal, picker; "mt", "st", "ie", "dt" also accepted). */
    public static Kind parse(String s) {
      switch (s.toLowerCase(Locale.ROOT)) {
        case "picker":
        case "mt":
          return PICKER;
        case "slot":
        case "st":
          return SLOT;
        case "portal":
        case "ie":
        case "mailslot":
          return PORTAL;
        case "drive":
        case "dt":
          return DRIVE;
        default:
          throw new IllegalArgumentException("unknown element type '" + s + "' (slot | drive | portal | picker)");
      }
    }

    public String word() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** An element by type and unit (0-based). */
  public record Element(Kind kind, int unit) {
    @Override
    public String toString() {
      return kind.word() + " " + unit;
    }
  }

  /** CHIOMOVE. Result: {@link Done}. */
  public record Move(Element from, Element to) implements Devfs.IoctlCmd {}

  /** CHIOEXCHANGE: source to first, first's cartridge to second. Result: {@link Done}. */
  public record Exchange(Element source, Element first, Element second) implements Devfs.IoctlCmd {}

  /** CHIOPOSITION. Result: {@link Done}. */
  public record Position(Element to) implements Devfs.IoctlCmd {}

  /** CHIOIELEM. Result: {@link Done}. */
  public record InitElementStatus() implements Devfs.IoctlCmd {}

  /** chio return: the cartridge in {@code from} goes back to its source element. Result: {@link Done}. */
  public record Return(Element from) implements Devfs.IoctlCmd {}

  /** A command's outcome: "" when done, else the condition (sense text). */
  public record Done(String condition) implements Devfs.IoctlResult {}

  /** CHIOGPARAMS. Result: {@link Params}. */
  public record GetParams() implements Devfs.IoctlCmd {}

  /** Element counts and first addresses (page 0x1D). */
  public record Params(int pickers, int slots, int portals, int drives, int firstPicker, int firstSlot, int firstPortal,
      int firstDrive) implements Devfs.IoctlResult {
    int first(Kind k) {
      return switch (k) {
        case PICKER -> firstPicker;
        case SLOT -> firstSlot;
        case PORTAL -> firstPortal;
        case DRIVE -> firstDrive;
      };
    }

    int count(Kind k) {
      return switch (k) {
        case PICKER -> pickers;
        case SLOT -> slots;
        case PORTAL -> portals;
        case DRIVE -> drives;
      };
    }

    Element element(int address) {
      for (Kind k : Kind.values()) {
        if (address >= first(k) && address < first(k) + count(k)) {
          return new Element(k, address - first(k));
        }
      }
      return null;
    }
  }

  /** CHIOGSTATUS of every element ({@code kind} null) or one type. Result: {@link Status}. */
  public record GetStatus(Kind kind) implements Devfs.IoctlCmd {}

  /**
   * One element's status (cf. struct changer_element_status).
   *
   * @param source the element the cartridge came from, or null
   */
  public record ElementStatus(Element element, int address, boolean full, boolean impexp, boolean except, boolean access,
      String volumeTag, Element source) {}

  public record Status(List<ElementStatus> elements) implements Devfs.IoctlResult {
    public Status {
      elements = List.copyOf(elements);
    }
  }

  public static Behavior<Periph.Command> create(PeriphArgs args) {
    return withMdc(args, Behaviors.setup(ctx -> new ChPeriph(ctx, args)));
  }

  private static final int UA_RETRIES = 3;
  private static final int TIMEOUT_MS = 120_000;

  private Params params; // cf. softc->sc_firsts / sc_counts

  private ChPeriph(ActorContext<Periph.Command> context, PeriphArgs args) {
    super(context, args);
    start();
  }

  /** cf. chregister(). */
  @Override
  protected void onRegister() {
    makeDev(name, !legacy);
  }

  /** cf. chcleanup(). */
  @Override
  protected void cleanup() {
    if (legacy) {
      destroyNodeNoCallback(); // 2012-pre: destroy_dev_sched without callback, unit already free
    }
  }

  @Override
  protected void onDevOpen(Devfs.CdevCall call, Devfs.OpenRequest req) {
    if (isInvalid()) {
      replyCall(call, Devfs.DevReply.error(Errno.ENXIO));
      return;
    }
    replyCall(call, new Devfs.DevReply(openReference(), null, null));
  }

  @Override
  protected void onDevIoctl(Devfs.CdevCall call, Devfs.IoctlRequest req) {
    Devfs.IoctlCmd cmd = req.cmd();
    if (!(cmd instanceof Move || cmd instanceof Exchange || cmd instanceof Position || cmd instanceof InitElementStatus
        || cmd instanceof Return || cmd instanceof GetParams || cmd instanceof GetStatus)) {
      replyCall(call, Devfs.DevReply.error(Errno.ENOTTY));
      return;
    }
    withParams(p -> {
      if (p == null) {
        replyCall(call, Devfs.DevReply.error(Errno.EIO));
        return;
      }
      try {
        ioctl(call, cmd, p);
      } catch (IllegalArgumentException e) {
        replyCall(call, Devfs.DevReply.error(Errno.EINVAL));
      }
    });
  }

  private int address(Params p, Element e) {
    if (e == null || e.unit() < 0 || e.unit() >= p.count(e.kind())) {
      throw new IllegalArgumentException("no " + e);
    }
    return p.first(e.kind()) + e.unit();
  }

  private void ioctl(Devfs.CdevCall call, Devfs.IoctlCmd cmd, Params p) {
    Consumer<Ccb.Completed> done = c -> replyCall(call, Devfs.DevReply.ok(new Done(condition(c))));
    int picker = p.firstPicker();
    if (cmd instanceof Move m) {
      io(ChCdbs.moveMedium(picker, address(p, m.from()), address(p, m.to())), 0, done);
    } else if (cmd instanceof Exchange x) {
      io(ChCdbs.exchangeMedium(picker, address(p, x.source()), address(p, x.first()), address(p, x.second())), 0, done);
    } else if (cmd instanceof Position pos) {
      io(ChCdbs.positionToElement(picker, address(p, pos.to())), 0, done);
    } else if (cmd instanceof InitElementStatus) {
      io(ChCdbs.initializeElementStatus(), 0, done);
    } else if (cmd instanceof GetParams) {
      replyCall(call, Devfs.DevReply.ok(p));
    } else if (cmd instanceof GetStatus g) {
      readStatus(p, g.kind(), s -> replyCall(call, s == null ? Devfs.DevReply.error(Errno.EIO) : Devfs.DevReply.ok(s)));
    } else if (cmd instanceof Return r) {
      int from = address(p, r.from());
      readStatus(p, r.from().kind(), s -> {
        ElementStatus es = s == null ? null : s.elements().stream().filter(e -> e.address() == from).findFirst().orElse(null);
        if (es == null || !es.full() || es.source() == null) {
          replyCall(call, Devfs.DevReply.ok(new Done(es == null ? "no status" : !es.full() ? "element empty" : "source unknown")));
          return;
        }
        io(ChCdbs.moveMedium(picker, from, address(p, es.source())), 0, done);
      });
    }
  }

  /** cf. chgetparams(): MODE SENSE page 0x1D, once (again after a unit attention). */
  private void withParams(Consumer<Params> then) {
    if (params != null) {
      then.accept(params);
      return;
    }
    io(Cdbs.modeSense6(true, 0, 0x1d, 0, 255), 255, c -> {
      if (c.scsiStatus() == ScsiStatus.GOOD && c.isOk() && c.data().size() >= 4 + 18) {
        ByteString d = c.data().drop(4 + (c.data().apply(3) & 0xff));
        params = new Params(Bytes.be16(d, 4), Bytes.be16(d, 8), Bytes.be16(d, 12), Bytes.be16(d, 16), Bytes.be16(d, 2),
            Bytes.be16(d, 6), Bytes.be16(d, 10), Bytes.be16(d, 14));
      }
      then.accept(params);
    });
  }

  /** cf. chgetelemstatus(): READ ELEMENT STATUS with VOLTAG, decoded. */
  private void readStatus(Params p, Kind kind, Consumer<Status> then) {
    int alloc = 65536;
    io(ChCdbs.readElementStatus(kind == null ? 0 : kind.code, true, 0, 0xffff, alloc), alloc, c -> {
      if (c.scsiStatus() != ScsiStatus.GOOD || !c.isOk()) {
        then.accept(null);
        return;
      }
      try {
        then.accept(new Status(ChCdbs.parseElementStatus(c.data(), p::element)));
      } catch (RuntimeException e) {
        log().warn("bad READ ELEMENT STATUS data: {}", e.toString());
        then.accept(null);
      }
    });
  }

  static String condition(Ccb.Completed c) {
    if (c.status() != CamStatus.REQ_CMP && c.status() != CamStatus.SCSI_STATUS_ERROR) {
      return c.status().name().toLowerCase(Locale.ROOT);
    }
    if (c.scsiStatus() == ScsiStatus.GOOD) {
      return "";
    }
    ByteString s = c.sense();
    if (s.isEmpty()) {
      return "scsi status 0x" + Integer.toHexString(c.scsiStatus());
    }
    int asc = Sense.asc(s);
    int ascq = Sense.ascq(s);
    String text =
        asc == 0x3b && ascq == 0x0e ? "source element empty"
            : asc == 0x3b && ascq == 0x0d ? "destination element full"
            : asc == 0x21 && ascq == 0x01 ? "invalid element address"
            : asc == 0x53 && ascq == 0x02 ? "medium removal prevented"
            : "sense";
    return String.format(Locale.ROOT, "%s (%x/%02x/%02x)", text, Sense.key(s), asc, ascq);
  }

  /** One CDB to the changer, retried on UNIT ATTENTION (which also drops the cached parameters). */
  private void io(ByteString cdb, int in, Consumer<Ccb.Completed> then) {
    io(cdb, in, then, UA_RETRIES);
  }

  private void io(ByteString cdb, int in, Consumer<Ccb.Completed> then, int retries) {
    if (isInvalid()) {
      then.accept(Ccb.Completed.of(new Ccb.ScsiIo(header(CamPriority.NORMAL, 0, 0, 0), cdb, ByteString.emptyByteString(), 0),
          CamStatus.DEV_NOT_THERE));
      return;
    }
    int dir = in > 0 ? CcbFlags.DIR_IN : CcbFlags.DIR_NONE;
    Ccb.ScsiIo io = new Ccb.ScsiIo(header(CamPriority.NORMAL, dir | CcbFlags.DEV_QFRZDIS, TIMEOUT_MS, 0), cdb,
        ByteString.emptyByteString(), in);
    action(io, c -> {
      if (c.devQueueFrozen()) {
        releaseDevq();
      }
      if (retries > 0 && c.scsiStatus() == ScsiStatus.CHECK_COND && !c.sense().isEmpty()
          && Sense.key(c.sense()) == Sense.UNIT_ATTENTION) {
        params = null;
        io(cdb, in, then, retries - 1);
        return;
      }
      then.accept(c);
    });
  }
}
