package org.camstack.stack.scsi.pass;

import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.ReceiveBuilder;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.AsyncCode;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.periph.Ccbs;
import org.camstack.stack.periph.Periph;
import org.camstack.stack.periph.PeriphArgs;
import org.camstack.stack.periph.PeriphBase;
import org.camstack.stack.periph.PeriphDriver;
import org.camstack.stack.periph.RefToken;
import org.camstack.stack.periph.RunCcb;
import org.camstack.stack.xpt.AsyncEvent;

/**
 * One passthrough instance, {@code passN}: attaches to every device and hands user CCBs to it.
 * cf. sys/cam/scsi/scsi_pass.c at commit ea37f51942.
 *
 * <p>Fixed lifetime: the node {@code passN} is made with D_TRACKCLOSE while holding DEVFS; every
 * open holds OPEN; the physical-path alias task holds TASK and adds {@code <physpath>/passN} only
 * while the periph is valid; oninvalidate asks devfs to destroy the node with a callback; the
 * callback drops the remaining opens and DEVFS; then the destructor, then the unit.
 *
 * <p>Legacy (2012-pre): no D_TRACKCLOSE, one OPEN for the first opener, the alias task runs
 * unconditionally and is drained by the destructor, which then schedules the node's destroy
 * without a callback, after the unit was already freed (bug A).
 */
public final class PassPeriph extends PeriphBase {

  /** The driver: every device, whatever its type. cf. passasync(AC_FOUND_DEVICE). */
  public static final PeriphDriver.Spec SPEC =
      new PeriphDriver.Spec("pass", info -> true, PassPeriph::create);

  /**
   * CAMIOCOMMAND: run a user CCB on the device. Function codes restricted to the XPT device are
   * refused with ENODEV. With {@link CcbFlags#PASS_ERR_RECOVER} the periph runs its error recovery
   * (retries, UA retry, START UNIT / TUR) before answering. Result: {@link CamIoResult}.
   */
  public record CamIoCommand(Ccb ccb) implements Devfs.IoctlCmd {}

  /** Answer to {@link CamIoCommand}: the completed CCB as the device returned it. */
  public record CamIoResult(Ccb.Completed completed) implements Devfs.IoctlResult {}

  /** CAMGETPASSTHRU: which pass instance this is. Result: {@link PassthruResult}. */
  public record GetPassthru() implements Devfs.IoctlCmd {}

  /** Answer to {@link GetPassthru}. */
  public record PassthruResult(String periphName, int unit) implements Devfs.IoctlResult {}

  /** Creates a pass instance; used by {@link #SPEC}. */
  public static Behavior<Periph.Command> create(PeriphArgs args) {
    return withMdc(args, Behaviors.setup(ctx -> new PassPeriph(ctx, args)));
  }

  private final ActorRef<Devfs.AliasResult> aliasAdapter;
  private String alias = ""; // cf. softc->alias_dev
  private long physpathCcb; // the alias task's CCB while it runs, else 0
  private boolean taskBusy; // the alias task is queued or running (until devfs answered)
  private boolean taskAgain; // requested again while busy: one more run after (coalesced)

  private PassPeriph(ActorContext<Periph.Command> context, PeriphArgs args) {
    super(context, args);
    this.aliasAdapter = context.messageAdapter(Devfs.AliasResult.class, AliasMade::new);
    start();
  }

  /** cf. passregister(). */
  @Override
  protected void onRegister() {
    makeDev(name, !legacy); // 2012-post: D_TRACKCLOSE
  }

  /**
   * pass joins the device's periph list once its node and first physical-path task are done,
   * normally after the type-specific driver of the same device: devlist then shows {@code
   * (pass0,da0)} as camcontrol usually does (the order is the attach order, newest first).
   */
  @Override
  protected boolean addToXptAtStart() {
    return false;
  }

  @Override
  protected void onMakeDevAnswered() {
    if (nodeId() == 0) {
      addToXpt(); // no node, no task
    }
  }

  @Override
  protected Set<AsyncCode> asyncEvents() {
    return Set.of(AsyncCode.AC_ADVINFO_CHANGED);
  }

  @Override
  protected void addHandlers(ReceiveBuilder<Periph.Command> builder) {
    builder.onMessage(AliasMade.class, this::onAliasMade);
  }

  /** pass's own messages. */
  sealed interface Command extends Periph.DriverCommand {}

  private record AliasMade(Devfs.AliasResult result) implements Command {}

  @Override
  protected void onNodeCreated(long nodeId, String nodeName) {
    queuePhysPathTask();
  }

  @Override
  protected void onAsyncEvent(AsyncEvent event) {
    if (event instanceof AsyncEvent.AdvInfoChanged a && a.type() == Ccb.AdvInfoType.PHYS_PATH) {
      queuePhysPathTask(); // cf. passasync(AC_ADVINFO_CHANGED)
    }
  }

  /**
   * cf. taskqueue_enqueue(pass_add_physpath): the task asks the device for its physical path
   * (XPT_DEV_ADVINFO) and then adds the alias. The task is busy from here until devfs answered its
   * {@code MakePhysPathAlias} (in the kernel {@code alias_dev} is updated on the task's own thread,
   * so the next run always sees it); fixed mode holds TASK all that time. A request while the task
   * is busy coalesces into one more run after it (cf. {@code ta_pending}), so {@code oldAlias} is
   * always the alias devfs has.
   */
  private void queuePhysPathTask() {
    if (nodeId() == 0) {
      return;
    }
    if (taskBusy) {
      taskAgain = true;
      return;
    }
    taskBusy = true;
    holdOwn(RefToken.TASK);
    Ccb.DevAdvInfo q =
        new Ccb.DevAdvInfo(
            header(CamPriority.NORMAL, CcbFlags.DIR_IN, args.settings().ccbTimeoutMs(), 0),
            Ccb.AdvInfoType.PHYS_PATH,
            ByteString.emptyByteString());
    physpathCcb = q.ccbId();
    action(q, this::physPathTask);
  }

  /** cf. pass_add_physpath(). */
  private void physPathTask(Ccb.Completed done) {
    physpathCcb = 0;
    addToXpt();
    if (!legacy && isInvalid()) {
      // 2012-post: "Don't attempt to add a physical path alias if the peripheral is invalid"
      physPathTaskDone();
      return;
    }
    String physPath = "";
    if (done.isOk() && done.result() instanceof Ccb.AdvInfoResult r) {
      physPath = r.data().utf8String().trim();
    }
    if (!physPath.isEmpty() && nodeId() != 0) {
      // still busy: the task ends when devfs answered (onAliasMade)
      devfs.tell(new Devfs.MakePhysPathAlias(nodeId(), physPath, alias, aliasAdapter));
      return;
    }
    physPathTaskDone();
  }

  private Behavior<Periph.Command> onAliasMade(AliasMade msg) {
    alias = msg.result().alias(); // the alias now in force, whatever the outcome
    physPathTaskDone();
    return next();
  }

  /** The task ran to its end: run it once more if asked meanwhile, then drop its TASK. */
  private void physPathTaskDone() {
    taskBusy = false;
    if (taskAgain) {
      taskAgain = false;
      if (!isInvalid()) {
        queuePhysPathTask(); // takes its own TASK before this run's is dropped
      }
    }
    dropOwn(RefToken.TASK);
  }

  /** cf. passoninvalidate(): the base deregisters and, fixed, schedules the node's destroy. */
  @Override
  protected void onInvalidate() {
    if (logsDebug()) {
      log().debug("oninvalidate: open count {}", openCount());
    }
  }

  /** cf. passcleanup(). */
  @Override
  protected void cleanup() {
    if (legacy) {
      // 2012-pre: taskqueue_drain(physpath task), then destroy_dev_sched(dev): no callback, and
      // the unit was already returned to the driver.
      drainCcb(physpathCcb, this::destroyNodeNoCallback);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Device methods

  /** cf. passopen(). passclose() is the base's default close. */
  @Override
  protected void onDevOpen(Devfs.CdevCall call, Devfs.OpenRequest req) {
    if (isInvalid()) {
      replyCall(call, Devfs.DevReply.error(Errno.ENXIO));
      return;
    }
    if ((req.oflags() & (Devfs.FREAD | Devfs.FWRITE)) != (Devfs.FREAD | Devfs.FWRITE)) {
      replyCall(call, Devfs.DevReply.error(Errno.EPERM));
      return;
    }
    if ((req.oflags() & Devfs.O_NONBLOCK) != 0) {
      replyCall(call, Devfs.DevReply.error(Errno.EINVAL));
      return;
    }
    replyCall(call, new Devfs.DevReply(openReference(), null, null));
  }

  /** cf. passioctl() / passsendccb(). */
  @Override
  protected void onDevIoctl(Devfs.CdevCall call, Devfs.IoctlRequest req) {
    if (req.cmd() instanceof GetPassthru) {
      replyCall(call, Devfs.DevReply.ok(new PassthruResult("pass", id.unit())));
      return;
    }
    if (!(req.cmd() instanceof CamIoCommand cmd) || cmd.ccb() == null) {
      replyCall(call, Devfs.DevReply.error(Errno.ENOTTY));
      return;
    }
    Ccb user = cmd.ccb();
    if (user.funcCode().xptOnly()) {
      // "This function code is restricted to the XPT device"
      replyCall(call, Devfs.DevReply.error(Errno.ENODEV));
      return;
    }
    Ccb.Header uh = user.header();
    Ccb mine =
        Ccbs.withHeader(
            user,
            header(
                uh.priority(),
                uh.flags(),
                uh.timeoutMs() == 0 ? args.settings().ccbTimeoutMs() : uh.timeoutMs(),
                uh.retryCount()));
    if (mine == null) {
      replyCall(call, Devfs.DevReply.error(Errno.EINVAL));
      return;
    }
    boolean recover = (uh.flags() & CcbFlags.PASS_ERR_RECOVER) != 0;
    int senseFlags = recover ? CcbFlags.SF_RETRY_UA : CcbFlags.SF_NO_RECOVERY;
    RunCcb.run(
        this,
        mine,
        RunCcb.CAM_RETRY_SELTO,
        senseFlags | CcbFlags.SF_NO_PRINT,
        result -> {
          Errno e = recover ? result.errno() : Errno.OK;
          replyCall(call, new Devfs.DevReply(e, null, new CamIoResult(result.completed())));
        });
  }
}
