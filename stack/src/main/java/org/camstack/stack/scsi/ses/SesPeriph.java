package org.camstack.stack.scsi.ses;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.periph.Periph;
import org.camstack.stack.periph.PeriphArgs;
import org.camstack.stack.periph.PeriphBase;
import org.camstack.stack.periph.PeriphDriver;
import org.camstack.stack.periph.RefToken;
import org.camstack.stack.periph.RunCcb;

/**
 * One SCSI Enclosure Services instance, {@code sesN} (the enc(4) driver; periph name "ses"). cf.
 * sys/cam/scsi/scsi_enc.c and scsi_enc_ses.c at commit ea37f51942.
 *
 * <p>A daemon loop (cf. enc_daemon) refreshes the configuration (page 0x01) and status (page
 * 0x02) every {@link org.camstack.stack.periph.PeriphSettings#sesRefreshInterval()}, each cycle
 * holding TASK; element control (ident, fault) goes out as SEND DIAGNOSTIC.
 *
 * <p>Fixed lifetime: the node is made with D_TRACKCLOSE while holding DEVFS; oninvalidate stops
 * the daemon and asks devfs to destroy the node with a callback (cf. enc_oninvalidate()); the
 * destructor never touches devfs. Legacy (2012-pre): the destructor destroys the node
 * synchronously; reached from the last close, that is a self-deadlock (bug B).
 */
public final class SesPeriph extends PeriphBase {

  /** The driver: SES enclosures. cf. enc_ctor()'s type check. */
  public static final PeriphDriver.Spec SPEC =
      new PeriphDriver.Spec("ses", info -> info.deviceType() == DeviceInfo.T_ENCLOSURE || SafTePages.isSafte(info), SesPeriph::create);

  /** ENCIOC_GETNELM. Result: {@link ElementCount}. */
  public record GetElementCount() implements Devfs.IoctlCmd {}

  public record ElementCount(int count) implements Devfs.IoctlResult {}

  /** ENCIOC_GETELMMAP. Result: {@link ElementMap}. */
  public record GetElementMap() implements Devfs.IoctlCmd {}

  /** One element of the map: index over all individual elements, in page order. */
  public record Element(int index, int elementType, int subenclosure, String typeText) {}

  public record ElementMap(List<Element> elements) implements Devfs.IoctlResult {
    public ElementMap {
      elements = List.copyOf(elements);
    }
  }

  /** ENCIOC_GETELMSTAT. Result: {@link ElementStatus}. */
  public record GetElementStatus(int index) implements Devfs.IoctlCmd {}

  /**
   * An element's status bytes and, for slots, the decoded ident / fault bits.
   *
   * @param statusCode byte 0 bits 3..0 (OK, critical, not installed, ...)
   */
  public record ElementStatus(int index, int elementType, ByteString status, int statusCode, boolean ident, boolean fault)
      implements Devfs.IoctlResult {}

  /**
   * ENCIOC_SETELMSTAT for a device slot: request ident and/or fault. Answers once the device
   * accepted the control page; the status is re-read afterwards.
   */
  public record SetElementStatus(int index, boolean ident, boolean fault) implements Devfs.IoctlCmd {}

  /** ENCIOC_GETENCSTAT. Result: {@link EnclosureStatus}. */
  public record GetEnclosureStatus() implements Devfs.IoctlCmd {}

  /** Byte 1 of the status page: INVOP, INFO, NON-CRIT, CRIT, UNRECOV. */
  public record EnclosureStatus(int flags, long generation, int refreshes) implements Devfs.IoctlResult {}

  /** Runs one refresh cycle now (cf. enc_update_request()). No reply. */
  public record Refresh() implements Command {}

  /** enc's own messages. */
  public sealed interface Command extends Periph.DriverCommand {}

  public static Behavior<Periph.Command> create(PeriphArgs args) {
    return withMdc(args, Behaviors.setup(ctx -> new SesPeriph(ctx, args)));
  }

  private SesPages.Configuration config; // cf. enc_cache
  private SesPages.Status status;
  private boolean initialized; // cf. ENC_FLAG_INITIALIZED
  private boolean shutdown; // cf. ENC_FLAG_SHUTDOWN
  private boolean cycleRunning;
  private boolean refreshAgain; // asked for while a cycle ran: one more cycle after it
  private int refreshes;
  private boolean noAdditionalStatus; // page 0x0A not supported
  private final boolean safte; // the SAF-TE backend (cf. enc_softc.enc_type == ENC_SAFT)

  private SesPeriph(ActorContext<Periph.Command> context, PeriphArgs args) {
    super(context, args);
    this.safte = info.deviceType() != DeviceInfo.T_ENCLOSURE && SafTePages.isSafte(info);
    this.noAdditionalStatus = safte;
    start();
  }

  @Override
  protected void addHandlers(org.apache.pekko.actor.typed.javadsl.ReceiveBuilder<Periph.Command> b) {
    b.onMessage(Refresh.class, m -> {
      refresh();
      return next();
    });
  }

  /** cf. enc_ctor(): the node, then the daemon. */
  @Override
  protected void onRegister() {
    makeDev(name, !legacy);
    initialized = true;
    // new disks on the bus may sit in our slots: refresh (and publish physical paths) then
    registerAsync(java.util.EnumSet.of(org.camstack.stack.ccb.AsyncCode.AC_FOUND_DEVICE), org.camstack.stack.ccb.CamPath.bus(path.bus()));
    refresh();
  }

  @Override
  protected void onAsyncEvent(org.camstack.stack.xpt.AsyncEvent event) {
    if (event instanceof org.camstack.stack.xpt.AsyncEvent.FoundDevice f && !f.path().equals(path)) {
      refresh();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The daemon

  /** One cycle: configuration (when unknown or stale), then status. Holds TASK (fixed). */
  private void refresh() {
    if (shutdown || isInvalid()) {
      return;
    }
    if (cycleRunning) {
      refreshAgain = true; // coalesces: one more cycle right after this one
      return;
    }
    cycleRunning = true;
    holdOwn(RefToken.TASK);
    if (config == null) {
      readPage(SesPages.PAGE_CONFIGURATION, this::onConfiguration);
    } else {
      readPage(SesPages.PAGE_STATUS, this::onStatus);
    }
  }

  private void readPage(int page, java.util.function.Consumer<RunCcb.Result> then) {
    int alloc = 4096;
    ByteString cdb =
        !safte
            ? SesPages.receiveDiagnostic(page, alloc)
            : SafTePages.readBuffer(page == SesPages.PAGE_CONFIGURATION ? SafTePages.BUF_CONFIG : SafTePages.BUF_SLOT_STATUS, alloc);
    Ccb.ScsiIo io =
        new Ccb.ScsiIo(
            header(CamPriority.NORMAL, CcbFlags.DIR_IN, args.settings().ccbTimeoutMs(), 4),
            cdb,
            ByteString.emptyByteString(),
            alloc);
    RunCcb.run(this, io, 0, CcbFlags.SF_RETRY_UA | CcbFlags.SF_NO_PRINT, then);
  }

  private void onConfiguration(RunCcb.Result r) {
    if (r.ok() && !shutdown) {
      try {
        config = safte ? SafTePages.parseConfiguration(r.completed().data()) : SesPages.parseConfiguration(r.completed().data());
        status = null;
        readPage(SesPages.PAGE_STATUS, this::onStatus);
        return;
      } catch (IllegalArgumentException e) {
        log().warn("bad configuration page: {}", e.getMessage());
      }
    }
    endCycle();
  }

  private void onStatus(RunCcb.Result r) {
    if (r.ok() && !shutdown && config != null) {
      try {
        SesPages.Status s =
            safte ? SafTePages.parseSlotStatus(r.completed().data(), config) : SesPages.parseStatus(r.completed().data(), config);
        if (s.generation() != config.generation()) {
          config = null; // the configuration changed: re-read it next cycle
        } else {
          status = s;
          refreshes++;
          if (!noAdditionalStatus) {
            readPage(SesPages.PAGE_ADDITIONAL_STATUS, this::onAdditionalStatus);
            return;
          }
        }
      } catch (IllegalArgumentException e) {
        log().warn("bad status page: {}", e.getMessage());
        config = null;
      }
    }
    endCycle();
  }

  /**
   * cf. ses_process_elm_addlstatus() + ses_setphyspath_callback(): the disks behind the slots get
   * their physical path (XPT_DEV_ADVINFO), which pass turns into {@code <physpath>/passN}.
   */
  private void onAdditionalStatus(RunCcb.Result r) {
    if (!r.ok() || shutdown || config == null) {
      noAdditionalStatus |= r.errno() == Errno.EINVAL;
      endCycle();
      return;
    }
    java.util.Map<Long, String> wanted = new java.util.HashMap<>();
    try {
      for (SesPages.Attached a : SesPages.parseAdditionalStatus(r.completed().data())) {
        String pp = SesPages.physPath(config, a.elementIndex());
        if (!pp.isEmpty()) {
          wanted.put(a.sasAddress(), pp);
        }
      }
    } catch (IllegalArgumentException e) {
      log().warn("bad additional element status page: {}", e.getMessage());
    }
    Ccb.DevMatch match =
        new Ccb.DevMatch(header(CamPriority.NORMAL, 0, 0, 0).withPath(org.camstack.stack.ccb.CamPath.XPT), org.camstack.stack.ccb.CamPath.XPT, "");
    xptAction(match, c -> publish(c, wanted));
    endCycle();
  }

  private void publish(Ccb.Completed c, java.util.Map<Long, String> wanted) {
    if (!c.isOk() || !(c.result() instanceof Ccb.DevMatchResult edt) || isInvalid()) {
      return;
    }
    for (Ccb.BusMatch b : edt.buses()) {
      for (Ccb.DeviceMatch d : b.devices()) {
        if (d.unconfigured() || d.info() == null) {
          continue;
        }
        String wwn = org.camstack.stack.lifetime.DeviceIdentity.of(d.info()).wwn();
        for (java.util.Map.Entry<Long, String> w : wanted.entrySet()) {
          if (wwn.equals(String.format("naa.%016x", w.getKey())) && !w.getValue().equals(d.info().physPath())) {
            Ccb.DevAdvInfo set =
                new Ccb.DevAdvInfo(
                    header(CamPriority.NORMAL, CcbFlags.DIR_OUT, 0, 0).withPath(d.path()),
                    Ccb.AdvInfoType.PHYS_PATH,
                    ByteString.fromString(w.getValue()));
            xptAction(set);
          }
        }
      }
    }
  }

  private void endCycle() {
    cycleRunning = false;
    if (!shutdown && !isInvalid()) {
      if (refreshAgain) {
        refreshAgain = false;
        refresh(); // takes its own TASK before this cycle's is dropped
      } else {
        later(args.settings().sesRefreshInterval(), this::refresh);
      }
    }
    dropOwn(RefToken.TASK);
  }

  // ---------------------------------------------------------------------------------------------
  // Lifetime

  /** cf. enc_oninvalidate(): shut the daemon down; the base asks devfs to destroy the node. */
  @Override
  protected void onInvalidate() {
    shutdown = true;
  }

  /** cf. enc_dtor(). */
  @Override
  protected void cleanup() {
    if (legacy) {
      destroyNodeSync(); // 2012-pre: destroy_dev(enc->enc_dev) from the destructor
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Device methods

  /** cf. enc_open(). enc_close() is the base's default close. */
  @Override
  protected void onDevOpen(Devfs.CdevCall call, Devfs.OpenRequest req) {
    if (!initialized) {
      replyCall(call, Devfs.DevReply.error(Errno.ENXIO));
      return;
    }
    replyCall(call, new Devfs.DevReply(openReference(), null, null));
  }

  /** cf. enc_ioctl(). */
  @Override
  protected void onDevIoctl(Devfs.CdevCall call, Devfs.IoctlRequest req) {
    Devfs.IoctlCmd cmd = req.cmd();
    if (cmd instanceof GetElementCount) {
      replyCall(call, Devfs.DevReply.ok(new ElementCount(config == null ? 0 : config.elementCount())));
    } else if (cmd instanceof GetElementMap) {
      replyCall(call, Devfs.DevReply.ok(new ElementMap(elementMap())));
    } else if (cmd instanceof GetElementStatus g) {
      ElementStatus s = elementStatus(g.index());
      replyCall(call, s == null ? Devfs.DevReply.error(Errno.EINVAL) : Devfs.DevReply.ok(s));
    } else if (cmd instanceof GetEnclosureStatus) {
      replyCall(
          call,
          Devfs.DevReply.ok(
              new EnclosureStatus(status == null ? 0 : status.flags(), status == null ? -1 : status.generation(), refreshes)));
    } else if (cmd instanceof SetElementStatus s) {
      setElementStatus(call, s);
    } else {
      replyCall(call, Devfs.DevReply.error(Errno.ENOTTY));
    }
  }

  private List<Element> elementMap() {
    List<Element> out = new ArrayList<>();
    if (config == null) {
      return out;
    }
    int idx = 0;
    for (SesPages.TypeDescriptor t : config.types()) {
      for (int i = 0; i < t.possibleElements(); i++) {
        out.add(new Element(idx++, t.elementType(), t.subenclosureId(), t.text()));
      }
    }
    return out;
  }

  /** {type index, element index} of a global element index, or null. */
  private int[] locate(int index) {
    if (config == null || index < 0) {
      return null;
    }
    int idx = index;
    for (int ti = 0; ti < config.types().size(); ti++) {
      int n = config.types().get(ti).possibleElements();
      if (idx < n) {
        return new int[] {ti, idx};
      }
      idx -= n;
    }
    return null;
  }

  private ElementStatus elementStatus(int index) {
    int[] at = locate(index);
    if (at == null || status == null) {
      return null;
    }
    int type = config.types().get(at[0]).elementType();
    ByteString st = status.elements().get(at[0]).get(at[1]);
    boolean slot = SesPages.isSlot(type);
    return new ElementStatus(
        index, type, st, SesPages.statusCode(st), slot && SesPages.slotIdent(st), slot && SesPages.slotFault(st));
  }

  /** cf. ses_set_status(): one control page via SEND DIAGNOSTIC, then a status refresh. */
  private void setElementStatus(Devfs.CdevCall call, SetElementStatus s) {
    int[] at = locate(s.index());
    if (at == null || !SesPages.isSlot(config.types().get(at[0]).elementType())) {
      replyCall(call, Devfs.DevReply.error(Errno.EINVAL));
      return;
    }
    if (safte && status == null) {
      replyCall(call, Devfs.DevReply.error(Errno.EAGAIN));
      return;
    }
    ByteString page =
        safte
            ? SafTePages.writeSlotStatus(status, at[0], at[1], s.ident(), s.fault())
            : SesPages.control(config, at[0], at[1], SesPages.slotControl(s.ident(), s.fault()));
    Ccb.ScsiIo io =
        new Ccb.ScsiIo(
            header(CamPriority.NORMAL, CcbFlags.DIR_OUT, args.settings().ccbTimeoutMs(), 4),
            safte ? SafTePages.writeBuffer(page.size()) : SesPages.sendDiagnostic(page.size()),
            page,
            page.size());
    RunCcb.run(
        this,
        io,
        0,
        CcbFlags.SF_RETRY_UA,
        r -> {
          replyCall(call, new Devfs.DevReply(r.errno(), null, null));
          if (r.ok()) {
            refresh();
          }
        });
  }
}
