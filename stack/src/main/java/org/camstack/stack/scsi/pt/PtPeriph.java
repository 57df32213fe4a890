package org.camstack.stack.scsi.pt;

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
import org.camstack.stack.scsi.Cdbs;

/**
 * One processor device, {@code ptN}: a write is a SEND, a read a RECEIVE of at most the asked
 * length. cf. sys/cam/scsi/scsi_pt.c (ptstrategy, ptstart, ptdone; the default I/O timeout of
 * 60 s, {@code PTIOCGETTIMEOUT} / {@code PTIOCSETTIMEOUT}).
 *
 * <p>Fixed lifetime: as pass. Legacy (2012-pre): the destructor schedules the node's destroy
 * without a callback after the unit was freed (bug A).
 */
public final class PtPeriph extends PeriphBase {

  /** The driver: processor devices. cf. ptasync(AC_FOUND_DEVICE). */
  public static final PeriphDriver.Spec SPEC =
      new PeriphDriver.Spec("pt", info -> info.deviceType() == DeviceInfo.T_PROCESSOR, PtPeriph::create);

  /** Largest SEND / RECEIVE (the CDB's 24-bit length allows more; cf. ptstart's bio size). */
  public static final int MAX_IO = 1 << 20;

  /** PTIOCGETTIMEOUT: the I/O timeout in seconds. Result: {@link Timeout}. */
  public record GetTimeout() implements Devfs.IoctlCmd {}

  /** PTIOCSETTIMEOUT: the I/O timeout in seconds (1..3600). */
  public record SetTimeout(int seconds) implements Devfs.IoctlCmd {}

  public record Timeout(int seconds) implements Devfs.IoctlResult {}

  public static Behavior<Periph.Command> create(PeriphArgs args) {
    return withMdc(args, Behaviors.setup(ctx -> new PtPeriph(ctx, args)));
  }

  private int timeoutSeconds = 60; // cf. SCSI_PT_DEFAULT_TIMEOUT

  private PtPeriph(ActorContext<Periph.Command> context, PeriphArgs args) {
    super(context, args);
    start();
  }

  /** cf. ptctor(). */
  @Override
  protected void onRegister() {
    makeDev(name, !legacy);
  }

  @Override
  protected void cleanup() {
    if (legacy) {
      destroyNodeNoCallback();
    }
  }

  /** cf. ptopen(). */
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
    if (req.cmd() instanceof GetTimeout) {
      replyCall(call, Devfs.DevReply.ok(new Timeout(timeoutSeconds)));
    } else if (req.cmd() instanceof SetTimeout s) {
      if (s.seconds() < 1 || s.seconds() > 3600) {
        replyCall(call, Devfs.DevReply.error(Errno.EINVAL));
        return;
      }
      timeoutSeconds = s.seconds();
      replyCall(call, Devfs.DevReply.ok());
    } else {
      replyCall(call, Devfs.DevReply.error(Errno.ENOTTY));
    }
  }

  private Ccb.Header io(int flags) {
    return header(CamPriority.NORMAL, flags, timeoutSeconds * 1000, 0);
  }

  /** RECEIVE: the device's next packet, cut to the asked length; empty when it has none. */
  @Override
  protected void onDevRead(Devfs.CdevCall call, Devfs.ReadRequest req) {
    if (isInvalid()) {
      replyCall(call, Devfs.DevReply.error(Errno.ENXIO));
      return;
    }
    if (req.length() <= 0 || req.length() > MAX_IO) {
      replyCall(call, Devfs.DevReply.error(Errno.EINVAL));
      return;
    }
    Ccb.ScsiIo ccb = new Ccb.ScsiIo(io(CcbFlags.DIR_IN), Cdbs.receive(req.length()), ByteString.emptyByteString(), req.length());
    RunCcb.run(this, ccb, RunCcb.CAM_RETRY_SELTO, CcbFlags.SF_RETRY_UA, r -> replyCall(call, r.ok() ? Devfs.DevReply.data(r.completed().data()) : Devfs.DevReply.error(r.errno())));
  }

  /** SEND: the whole write as one packet. */
  @Override
  protected void onDevWrite(Devfs.CdevCall call, Devfs.WriteRequest req) {
    if (isInvalid()) {
      replyCall(call, Devfs.DevReply.error(Errno.ENXIO));
      return;
    }
    int n = req.data().size();
    if (n > MAX_IO) {
      replyCall(call, Devfs.DevReply.error(Errno.EINVAL));
      return;
    }
    Ccb.ScsiIo ccb = new Ccb.ScsiIo(io(CcbFlags.DIR_OUT), Cdbs.send(n), req.data(), n);
    RunCcb.run(this, ccb, RunCcb.CAM_RETRY_SELTO, CcbFlags.SF_RETRY_UA, r -> replyCall(call, new Devfs.DevReply(r.errno(), null, null)));
  }
}
