package org.camstack.stack.scsi.sg;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.periph.Periph;
import org.camstack.stack.periph.PeriphArgs;
import org.camstack.stack.periph.PeriphBase;
import org.camstack.stack.periph.PeriphDriver;
import org.camstack.stack.periph.RunCcb;

/**
 * One Linux SCSI generic instance, {@code sgN}: attaches to every SCSI device, like pass, and runs
 * the CDBs of {@code SG_IO} requests ({@link SgIo}). cf. sys/cam/scsi/scsi_sg.c.
 *
 * <p>No error recovery: the program sees the device's answer as it is (status, sense, residual),
 * as sg's {@code SF_NO_RECOVERY}-like run does; only the host status says what CAM saw.
 *
 * <p>Fixed lifetime (after 2012-05-27, "change the way closes work"): the node is made with
 * D_TRACKCLOSE holding DEVFS; oninvalidate asks devfs to destroy it with a callback, and the
 * destructor never touches devfs. Legacy (before): no D_TRACKCLOSE, and the destructor destroys
 * its node synchronously; reached from the last close of a lost device, that is a close racing
 * the node's own destroy: {@code destroy_dev} waits for the thread that is inside the close.
 */
public final class SgPeriph extends PeriphBase {

  /** The driver: every SCSI device. cf. sgasync(AC_FOUND_DEVICE). */
  public static final PeriphDriver.Spec SPEC = new PeriphDriver.Spec("sg", info -> true, SgPeriph::create);

  /** The sg driver version SG_GET_VERSION_NUM reports (3.5.36, as Linux's sg v3). */
  public static final int VERSION = 30536;

  /** SG_IO. Result: {@link SgIoResult}; EINVAL for a malformed header. */
  public record SgIoCmd(SgIo.Request request) implements Devfs.IoctlCmd {}

  public record SgIoResult(SgIo.Response response) implements Devfs.IoctlResult {}

  /** SG_GET_SCSI_ID. Result: {@link ScsiId}. */
  public record GetScsiId() implements Devfs.IoctlCmd {}

  /** {@code struct sg_scsi_id}: host = the bus, channel 0, target, lun, peripheral type. */
  public record ScsiId(int hostNo, int channel, int scsiId, long lun, int scsiType) implements Devfs.IoctlResult {}

  /** SG_GET_VERSION_NUM. Result: {@link Version}. */
  public record GetVersion() implements Devfs.IoctlCmd {}

  public record Version(int version) implements Devfs.IoctlResult {}

  public static Behavior<Periph.Command> create(PeriphArgs args) {
    return withMdc(args, Behaviors.setup(ctx -> new SgPeriph(ctx, args)));
  }

  private SgPeriph(ActorContext<Periph.Command> context, PeriphArgs args) {
    super(context, args);
    start();
  }

  /** cf. sgregister(). */
  @Override
  protected void onRegister() {
    makeDev(name, !legacy);
  }

  /**
   * cf. the rest of sgregister(): the Linux name as an alias ({@code make_dev_alias}), {@code
   * sg<letter>} for units 0..25 ({@code sga}..{@code sgz}) and {@code sg<letter><letter>} up to
   * unit 701 ({@code sgaa}, {@code sgab}, ...). It is a child of the node: devfs destroys it with
   * the node, before the destroy callback, so it is gone before the unit can be reused. It is asked
   * for before anything can schedule the node's destroy (this actor's messages to devfs keep their
   * order), as sgregister() makes it right after make_dev.
   */
  @Override
  protected void onNodeCreated(long nodeId, String nodeName) {
    String alias = linuxName(id.unit());
    if (alias != null && !isInvalid()) {
      devfs.tell(new Devfs.MakeDevAlias(nodeId, alias, null));
    }
  }

  /** The last unit with a Linux name ({@code sgzz}). */
  public static final int LAST_LINUX_NAMED_UNIT = 26 * 27 - 1;

  /**
   * {@code sga} for unit 0, {@code sgz} for 25, {@code sgaa} for 26, {@code sgzz} for 701; null
   * beyond. (FreeBSD's arithmetic does not stop there: from unit 702 its first "letter" runs past
   * z into the ASCII characters after it (left brace, bar, ...), names no Linux program looks for;
   * camstack makes none.)
   */
  public static String linuxName(int unit) {
    if (unit < 0 || unit > LAST_LINUX_NAMED_UNIT) {
      return null;
    }
    return unit < 26 ? "sg" + (char) ('a' + unit) : "sg" + (char) ('a' + unit / 26 - 1) + (char) ('a' + unit % 26);
  }

  /** The unit a Linux name stands for ({@code sgb} &rarr; 1, {@code sgaa} &rarr; 26), -1 for any other name. */
  public static int unitOfLinuxName(String name) {
    if (name == null || !name.matches("sg[a-z]{1,2}")) {
      return -1;
    }
    return name.length() == 3 ? name.charAt(2) - 'a' : (name.charAt(2) - 'a' + 1) * 26 + name.charAt(3) - 'a';
  }

  /** cf. sgcleanup(). */
  @Override
  protected void cleanup() {
    if (legacy) {
      destroyNodeSync(); // before 2012-05-27: destroy_dev() from the destructor, maybe inside sgclose()
    }
  }

  /** cf. sgopen(). */
  @Override
  protected void onDevOpen(Devfs.CdevCall call, Devfs.OpenRequest req) {
    if (isInvalid()) {
      replyCall(call, Devfs.DevReply.error(Errno.ENXIO));
      return;
    }
    replyCall(call, new Devfs.DevReply(openReference(), null, null));
  }

  /** cf. sgioctl(). */
  @Override
  protected void onDevIoctl(Devfs.CdevCall call, Devfs.IoctlRequest req) {
    Devfs.IoctlCmd cmd = req.cmd();
    if (cmd instanceof GetVersion) {
      replyCall(call, Devfs.DevReply.ok(new Version(VERSION)));
    } else if (cmd instanceof GetScsiId) {
      replyCall(call, Devfs.DevReply.ok(new ScsiId(path.bus(), 0, path.target(), path.lun(), info.deviceType())));
    } else if (cmd instanceof SgIoCmd s && s.request() != null) {
      sgIo(call, s.request());
    } else {
      replyCall(call, Devfs.DevReply.error(Errno.ENOTTY));
    }
  }

  /** cf. sgsendccb(): one CCB, no recovery, the completion mapped to the header. */
  private void sgIo(Devfs.CdevCall call, SgIo.Request r) {
    if (isInvalid()) {
      replyCall(call, Devfs.DevReply.error(Errno.ENXIO));
      return;
    }
    if (r.invalid() != null) {
      replyCall(call, Devfs.DevReply.error(Errno.EINVAL));
      return;
    }
    Ccb.ScsiIo io =
        new Ccb.ScsiIo(
            header(CamPriority.NORMAL, r.camFlags(), r.timeoutOrDefault(), 0),
            r.cmd(),
            r.dxferDirection() == SgIo.SG_DXFER_TO_DEV ? r.dataOut() : org.apache.pekko.util.ByteString.emptyByteString(),
            r.dxferLen());
    RunCcb.run(
        this,
        io,
        0,
        CcbFlags.SF_NO_RECOVERY | CcbFlags.SF_NO_RETRY | CcbFlags.SF_NO_PRINT,
        res -> replyCall(call, new Devfs.DevReply(Errno.OK, null, new SgIoResult(SgIo.response(r, res.completed())))));
  }
}
