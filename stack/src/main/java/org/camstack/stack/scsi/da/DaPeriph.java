package org.camstack.stack.scsi.da;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.AsyncCode;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.periph.OrphanedIo;
import org.camstack.stack.periph.Periph;
import org.camstack.stack.periph.PeriphArgs;
import org.camstack.stack.periph.PeriphBase;
import org.camstack.stack.periph.PeriphDriver;
import org.camstack.stack.periph.RefToken;
import org.camstack.stack.periph.RunCcb;
import org.camstack.stack.scsi.Cdbs;
import org.camstack.stack.scsi.ReadCapacity;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Vpd;
import org.camstack.stack.xpt.AsyncEvent;

/**
 * One direct-access (disk) instance, {@code daN}. cf. sys/cam/scsi/scsi_da.c (2012-post with the
 * disk-gone reference).
 *
 * <p>Probe (holding PROBE): READ CAPACITY(10), READ CAPACITY(16) when the capacity overflows
 * RC10 or the device is SPC-3 or later, then VPD pages B2 (logical block provisioning), B0 (block
 * limits) and B1 (block device characteristics) when listed; then the node {@code daN} is made
 * (cf. disk_create()), holding DEVFS until devfs reports it gone (cf. dadiskgonecb()). Block I/O
 * enters through devfs (read, write and the ioctls below) or, after an open, straight from the
 * opener through the strategy path ({@link GetDiskHandle}, {@link Strategy}, {@link Bio}; cf. GEOM
 * calling dastrategy()), both onto the same queue: read and write at byte offsets (whole blocks), {@link Flush} (SYNCHRONIZE
 * CACHE) and {@link Delete} (UNMAP, WRITE SAME(16/10) with UNMAP, or WRITE SAME zeroing), each
 * built from the smallest CDB that fits. Open and last close of removable media send PREVENT
 * ALLOW MEDIUM REMOVAL inside the exclusive section (cf. cam_periph_hold()).
 *
 * <p>Media (cf. daerror(), dadone()): the error routine ({@link #onCcbError}) sees every failed
 * command. 28/00 (medium may have changed) invalidates the pack: every bio gets ENXIO until the
 * node is opened again, which re-reads the capacity; 3A/xx (medium not present) is media gone,
 * capacity 0; 3F/03 (INQUIRY data changed) and 2A/09 (capacity changed, also as AC_UNIT_ATTENTION)
 * reprobe. While a reprobe runs, normal I/O is held back and then runs in the new geometry. A
 * changed capacity is announced to the holders of disk handles ({@link Resized}, cf. disk_resize()).
 */
public final class DaPeriph extends PeriphBase {

  /** The driver: direct access, RBC and optical devices. cf. daasync(AC_FOUND_DEVICE). */
  public static final PeriphDriver.Spec SPEC =
      new PeriphDriver.Spec(
          "da",
          info -> {
            int t = info.deviceType();
            return info.qualifier() == 0
                && (t == DeviceInfo.T_DIRECT || t == DeviceInfo.T_RBC || t == DeviceInfo.T_OPTICAL);
          },
          DaPeriph::create);

  /** DIOCGMEDIASIZE and friends. Result: {@link MediaInfo}. */
  public record GetMediaInfo() implements Devfs.IoctlCmd {}

  /**
   * What the probe learned.
   *
   * @param deleteMethod UNMAP, WS16, WS10, ZERO or NONE (cf. da_delete_method)
   * @param maxUnmapBlocks per-command limit from VPD B0 (0: none reported)
   */
  public record MediaInfo(
      long mediaSize,
      int sectorSize,
      long blocks,
      boolean thin,
      String deleteMethod,
      int rotationRate,
      long maxUnmapBlocks,
      long maxTransferBlocks,
      int probes)
      implements Devfs.IoctlResult {}

  /** BIO_FLUSH: SYNCHRONIZE CACHE. */
  public record Flush() implements Devfs.IoctlCmd {}

  /** BIO_DELETE (DIOCGDELETE) of a byte range, whole blocks. */
  public record Delete(long offset, long length) implements Devfs.IoctlCmd {}

  /** Re-reads the capacity now (cf. dareprobe()). No reply. */
  public record Reprobe() implements Command {}

  private record WatcherGone(ActorRef<DiskEvent> watcher) implements Command {}

  /** da's own messages. */
  public sealed interface Command extends Periph.DriverCommand {}

  // ---------------------------------------------------------------------------------------------
  // The strategy path: block I/O after open, straight to this periph (cf. GEOM and dastrategy())

  /**
   * Asked on an open {@code daN}: the disk's strategy handle (cf. the GEOM provider a consumer
   * attaches to). Result: {@link DiskHandle}. One devfs call per open, never one per I/O.
   */
  public record GetDiskHandle(ActorRef<DiskEvent> events) implements Devfs.IoctlCmd {
    /** Without change notifications. */
    public GetDiskHandle() {
      this(null);
    }
  }

  /**
   * What the holder of a {@link DiskHandle} is told when the disk under it changes (cf. GEOM:
   * disk_resize() &rarr; the consumer's resize event, disk_media_changed(), disk_media_gone()).
   * Sent to the {@code events} of {@link GetDiskHandle}, until that actor stops.
   */
  public sealed interface DiskEvent {}

  /** cf. disk_resize(): the capacity changed (a reprobe read a new one). Bios use it at once. */
  public record Resized(String name, long generation, long mediaSize, int sectorSize) implements DiskEvent {}

  /**
   * cf. disk_media_changed() + DA_FLAG_PACK_INVALID (sense 28/00): the medium may have changed;
   * every bio gets ENXIO until the node is opened again (which re-reads the capacity).
   */
  public record MediaChanged(String name, long generation) implements DiskEvent {}

  /** cf. disk_media_gone() (sense 3A/xx, medium not present): capacity 0, bios ENXIO. */
  public record MediaGone(String name, long generation) implements DiskEvent {}

  /**
   * The address of one disk incarnation for block I/O (cf. the GEOM provider of {@code daN}). It
   * holds no reference: the open of the node (OPEN) keeps the periph alive, as GEOM's access count
   * does. A handle of a periph that is invalid, or of an earlier generation, gets ENXIO for every
   * bio, also once that periph is gone (see {@link OrphanedIo}).
   *
   * @param periph the da periph actor (this incarnation)
   * @param mediaSize bytes, when the handle was made; later sizes come as {@link Resized} to the
   *     {@code events} of {@link GetDiskHandle} (the bios themselves always see the current size)
   */
  public record DiskHandle(
      ActorRef<Periph.Command> periph, String name, int unit, long generation, long mediaSize, int sectorSize)
      implements Devfs.IoctlResult {
    /** Sends {@code bio} to the disk (cf. g_io_request()). */
    public void strategy(Bio bio) {
      periph.tell(new Strategy(generation, bio));
    }
  }

  /** cf. BIO_READ, BIO_WRITE, BIO_FLUSH, BIO_DELETE. */
  public enum BioOp {
    READ,
    WRITE,
    FLUSH,
    DELETE
  }

  /**
   * cf. {@code struct bio}: one block request. Offset and length in bytes, whole sectors; a WRITE
   * takes its length from {@code data}; FLUSH ignores offset and length. Answered exactly once with
   * {@link BioDone} to {@code replyTo}.
   */
  public record Bio(BioOp op, long offset, long length, ByteString data, ActorRef<BioDone> replyTo) {
    public static Bio read(long offset, long length, ActorRef<BioDone> replyTo) {
      return new Bio(BioOp.READ, offset, length, null, replyTo);
    }

    public static Bio write(long offset, ByteString data, ActorRef<BioDone> replyTo) {
      return new Bio(BioOp.WRITE, offset, data == null ? 0 : data.size(), data, replyTo);
    }

    public static Bio flush(ActorRef<BioDone> replyTo) {
      return new Bio(BioOp.FLUSH, 0, 0, null, replyTo);
    }

    public static Bio delete(long offset, long length, ActorRef<BioDone> replyTo) {
      return new Bio(BioOp.DELETE, offset, length, null, replyTo);
    }
  }

  /**
   * cf. biodone(): the outcome of a {@link Bio}: errno (ENXIO once the disk is gone, EPERM when the
   * node is not open, EINVAL or EIO for a bad range), bytes done, and the data of a READ.
   */
  public record BioDone(Bio bio, Errno errno, long bytes, ByteString data) {
    public BioDone {
      data = data == null ? ByteString.emptyByteString() : data;
    }

    public static BioDone error(Bio bio, Errno errno) {
      return new BioDone(bio, errno, 0, ByteString.emptyByteString());
    }

    public boolean ok() {
      return errno == Errno.OK;
    }
  }

  /**
   * cf. dastrategy(): a bio for the incarnation {@code generation}; send it with {@link
   * DiskHandle#strategy}. Its CCBs queue with the periph's other I/O within the device's openings.
   */
  public record Strategy(long generation, Bio bio) implements Command, OrphanedIo.Orphanable, PeriphBase.DataPath {
    @Override
    public void orphaned() {
      if (bio != null && bio.replyTo() != null) {
        bio.replyTo().tell(BioDone.error(bio, Errno.ENXIO));
      }
    }
  }

  public static Behavior<Periph.Command> create(PeriphArgs args) {
    return withMdc(args, Behaviors.setup(ctx -> new DaPeriph(ctx, args)));
  }

  private static final int RETRIES = 4; // cf. da_retry_count
  private static final long DEFAULT_MAX_XFER_BYTES = 128 * 1024; // cf. DFLTPHYS-ish

  private long blocks;
  private int blockSize;
  private boolean lbpme;
  private boolean lbpu;
  private boolean lbpws;
  private boolean lbpws10;
  private long maxUnmapBlocks;
  private long maxUnmapDescriptors;
  private long maxTransferBlocks;
  private int rotationRate;
  private boolean probing; // cf. DA_STATE_PROBE_*
  private boolean reprobeWanted;
  private int probes;
  private boolean dirty; // cf. DA_FLAG_DIRTY
  private final ArrayDeque<Runnable> exclusiveWaiters = new ArrayDeque<>();
  private boolean holdOwned;
  private boolean onLane; // on its device queue's lane (from the first GetDiskHandle)
  private boolean packInvalid; // cf. DA_FLAG_PACK_INVALID
  private long sizeBeforeProbe;
  private final ArrayDeque<Runnable> heldBack = new ArrayDeque<>(); // normal I/O during a reprobe
  private final List<ActorRef<DiskEvent>> watchers = new ArrayList<>();

  private DaPeriph(ActorContext<Periph.Command> context, PeriphArgs args) {
    super(context, args);
    OrphanedIo.get(context.getSystem()); // strategy requests that outlive this periph get ENXIO
    start();
  }

  @Override
  protected Set<AsyncCode> asyncEvents() {
    return Set.of(AsyncCode.AC_UNIT_ATTENTION);
  }

  @Override
  protected void addHandlers(org.apache.pekko.actor.typed.javadsl.ReceiveBuilder<Periph.Command> b) {
    b.onMessage(
        Reprobe.class,
        m -> {
          probe();
          return next();
        })
        .onMessage(
            WatcherGone.class,
            m -> {
              watchers.remove(m.watcher());
              return next();
            });
  }

  @Override
  protected void addDataPathHandlers(org.apache.pekko.actor.typed.javadsl.ReceiveBuilder<Periph.Command> b) {
    b.onMessage(
        Strategy.class,
        m -> {
          onStrategy(m);
          return next();
        });
  }

  /** cf. daregister(): start the probe; the disk is created when it is done. */
  @Override
  protected void onRegister() {
    probe();
  }

  /** cf. daasync(AC_UNIT_ATTENTION): 2A/09 capacity data has changed. */
  @Override
  protected void onAsyncEvent(AsyncEvent event) {
    if (event instanceof AsyncEvent.UnitAttention ua && ua.asc() == 0x2a && ua.ascq() == 0x09) {
      log().info("capacity data has changed: re-reading it");
      probe();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Probe (cf. dastart/dadone DA_STATE_PROBE_RC, _RC16, _LBP, _BLK_LIMITS, _BDC)

  private void probe() {
    if (isInvalid()) {
      return;
    }
    if (probing) {
      reprobeWanted = true;
      return;
    }
    probing = true;
    sizeBeforeProbe = blocks * blockSize;
    doAcquire(RefToken.PROBE);
    scsi(Cdbs.readCapacity10(), ReadCapacity.RC10_LENGTH, CcbFlags.SF_RETRY_UA, this::onRc10);
  }

  private void onRc10(RunCcb.Result r) {
    if (!r.ok()) {
      log().info("READ CAPACITY failed: {}", r.errno());
      setCapacity(0, blockSize == 0 ? 512 : blockSize);
      probeDone();
      return;
    }
    ReadCapacity rc = ReadCapacity.parse10(r.completed().data());
    setCapacity(rc.blocks(), (int) rc.blockLength());
    if (rc.needsLong() || info.ansiVersion() >= 5) {
      scsi(Cdbs.readCapacity16(ReadCapacity.RC16_LENGTH), ReadCapacity.RC16_LENGTH, CcbFlags.SF_RETRY_UA | CcbFlags.SF_NO_PRINT, this::onRc16);
    } else {
      vpdPages();
    }
  }

  private void onRc16(RunCcb.Result r) {
    if (r.ok()) {
      ReadCapacity rc = ReadCapacity.parse16(r.completed().data());
      if (rc.blockLength() > 0) {
        setCapacity(rc.blocks(), (int) rc.blockLength());
      }
      lbpme = rc.lbpme();
    }
    vpdPages();
  }

  private void vpdPages() {
    List<Integer> pages = new ArrayList<>();
    for (int p : new int[] {Vpd.LOGICAL_BLOCK_PROVISIONING, Vpd.BLOCK_LIMITS, Vpd.BLOCK_CHARACTERISTICS}) {
      if (info.supportsVpd(p)) {
        pages.add(p);
      }
    }
    nextVpd(pages, 0);
  }

  private void nextVpd(List<Integer> pages, int i) {
    if (i >= pages.size() || isInvalid()) {
      probeDone();
      return;
    }
    int page = pages.get(i);
    scsi(
        Cdbs.inquiry(true, page, 252),
        252,
        CcbFlags.SF_RETRY_UA | CcbFlags.SF_NO_PRINT,
        r -> {
          if (r.ok()) {
            vpd(page, r.completed().data());
          }
          nextVpd(pages, i + 1);
        });
  }

  private void vpd(int page, ByteString d) {
    if (page == Vpd.LOGICAL_BLOCK_PROVISIONING && d.size() >= 6) {
      int b5 = d.apply(5) & 0xff;
      lbpu = (b5 & 0x80) != 0;
      lbpws = (b5 & 0x40) != 0;
      lbpws10 = (b5 & 0x20) != 0;
    } else if (page == Vpd.BLOCK_LIMITS && d.size() >= 28) {
      long maxXfer = be32(d, 8);
      maxTransferBlocks = maxXfer;
      maxUnmapBlocks = be32(d, 20);
      maxUnmapDescriptors = be32(d, 24);
    } else if (page == Vpd.BLOCK_CHARACTERISTICS && d.size() >= 6) {
      rotationRate = ((d.apply(4) & 0xff) << 8) | (d.apply(5) & 0xff);
    }
  }

  private void probeDone() {
    probing = false;
    probes++;
    if (nodeId() == 0 && nodeName().isEmpty() && !isInvalid()) {
      makeDev(name, !legacy); // cf. disk_create()
      if (logsInfo()) {
        log().info("{} MB ({} {} byte sectors), delete method {}", blocks * blockSize / (1024 * 1024), blocks, blockSize, deleteMethod());
      }
    }
    if (nodeId() != 0 && blocks * blockSize != sizeBeforeProbe) {
      // cf. dadone(): disk_resize(): open handles learn the new size
      log().info("capacity changed: {} -> {} bytes", sizeBeforeProbe, blocks * blockSize);
      tellWatchers(new Resized(name, id.generation(), blocks * blockSize, blockSize));
    }
    if (reprobeWanted && !isInvalid()) {
      reprobeWanted = false;
      probe();
    } else {
      runHeldBack(); // cf. DA_STATE_NORMAL again: dastart() serves the bio queue
    }
    release(RefToken.PROBE);
  }

  private void runHeldBack() {
    while (!heldBack.isEmpty() && !probing) {
      heldBack.poll().run();
    }
  }

  private void tellWatchers(DiskEvent e) {
    watchers.forEach(w -> w.tell(e));
  }

  /**
   * cf. daerror(): looks at the sense of every failed command before the generic recovery. 28/00
   * (medium may have changed): pack invalid, reprobe; 3A/xx (medium not present): pack invalid,
   * media gone; 3F/03 (INQUIRY data changed) and 2A/09 (capacity changed): reprobe.
   */
  @Override
  protected void onCcbError(Ccb.Completed c) {
    if (c.scsiStatus() != ScsiStatus.CHECK_COND || c.sense().isEmpty() || isInvalid()) {
      return;
    }
    int asc = Sense.asc(c.sense());
    int ascq = Sense.ascq(c.sense());
    if (asc == 0x28 && ascq == 0x00) {
      if (!packInvalid) {
        log().info("medium may have changed: pack invalidated");
        packInvalid = true;
        tellWatchers(new MediaChanged(name, id.generation()));
      }
      probe();
    } else if (asc == 0x3a) {
      if (!packInvalid || blocks != 0) {
        log().info("medium not present: pack invalidated");
        packInvalid = true;
        tellWatchers(new MediaGone(name, id.generation()));
        if (blocks != 0) {
          setCapacity(0, blockSize);
          tellWatchers(new Resized(name, id.generation(), 0, blockSize));
        }
      }
    } else if ((asc == 0x3f && ascq == 0x03) || (asc == 0x2a && ascq == 0x09)) {
      log().info("{}: re-reading the capacity", asc == 0x3f ? "INQUIRY data has changed" : "capacity data has changed");
      probe();
    }
  }

  private void setCapacity(long b, int bs) {
    blocks = b;
    blockSize = bs <= 0 ? 512 : bs;
  }

  /** cf. dadeletemethodchoose(). */
  private String deleteMethod() {
    if (lbpme && lbpu) {
      return "UNMAP";
    }
    if (lbpme && lbpws) {
      return "WS16";
    }
    if (lbpme && lbpws10) {
      return "WS10";
    }
    return "ZERO";
  }

  // ---------------------------------------------------------------------------------------------
  // Lifetime

  /**
   * cf. daoninvalidate(): nothing queued here outlives the invalidation: callers waiting for the
   * exclusive section wake up at its release, see the periph invalid and get ENXIO; in-flight
   * CCBs complete with DEV_NOT_THERE from the device queue. The base tells devfs (disk_gone()).
   */
  @Override
  protected void onInvalidate() {
    while (!heldBack.isEmpty()) {
      heldBack.poll().run(); // invalid now: each held-back request answers ENXIO
    }
  }

  /** cf. dacleanup(). */
  @Override
  protected void cleanup() {
    if (legacy) {
      destroyNodeNoCallback(); // 2011 da: disk_destroy() from the destructor, no callback
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Exclusive section (cf. cam_periph_hold() in daopen()/daclose())

  private void exclusive(Runnable body) {
    if (isHeld()) {
      exclusiveWaiters.add(body); // cf. CAM_PERIPH_LOCK_WANTED
      return;
    }
    holdOwned = tryHoldInternal(); // fails only when invalid: the body answers ENXIO
    body.run();
  }

  private void endExclusive() {
    if (holdOwned) {
      holdOwned = false;
      unhold(); // calls onUnheld()
    } else {
      onUnheld();
    }
  }

  @Override
  protected void onUnheld() {
    if (!isHeld() && !exclusiveWaiters.isEmpty()) {
      exclusive(exclusiveWaiters.poll());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Device methods

  /** cf. daopen(). */
  @Override
  protected void onDevOpen(Devfs.CdevCall call, Devfs.OpenRequest req) {
    exclusive(
        () -> {
          Errno e = openReference();
          if (e != Errno.OK) {
            replyCall(call, Devfs.DevReply.error(e));
            endExclusive();
            return;
          }
          if (packInvalid) {
            packInvalid = false; // cf. daopen(): a new open is for the new medium
            probe();
          }
          if (info.removable() && openCount() == 1) {
            scsi(
                Cdbs.preventAllow(true),
                0,
                CcbFlags.SF_RETRY_UA | CcbFlags.SF_NO_PRINT,
                r -> {
                  replyCall(call, Devfs.DevReply.ok()); // errors ignored, as daopen() does
                  endExclusive();
                });
          } else {
            replyCall(call, Devfs.DevReply.ok());
            endExclusive();
          }
        });
  }

  /** cf. daclose(): on the last close, flush a dirty cache and allow removal. */
  @Override
  protected void onDevClose(Devfs.CdevCall call, Devfs.CloseRequest req) {
    exclusive(
        () -> {
          boolean last = req.lastClose();
          Runnable finish =
              () -> {
                closeReference();
                replyCall(call, Devfs.DevReply.ok());
                endExclusive();
              };
          if (!last || isInvalid()) {
            finish.run();
            return;
          }
          Runnable allow =
              info.removable()
                  ? () -> scsi(Cdbs.preventAllow(false), 0, CcbFlags.SF_RETRY_UA | CcbFlags.SF_NO_PRINT, r -> finish.run())
                  : finish;
          if (dirty) {
            dirty = false;
            scsi(Cdbs.synchronizeCache10(0, 0, false), 0, CcbFlags.SF_RETRY_UA | CcbFlags.SF_NO_PRINT, r -> allow.run());
          } else {
            allow.run();
          }
        });
  }

  @Override
  protected void onDevRead(Devfs.CdevCall call, Devfs.ReadRequest req) {
    io(BioOp.READ, req.offset(), req.length(), null, (e, d) -> replyCall(call, e == Errno.OK ? Devfs.DevReply.data(d) : Devfs.DevReply.error(e)));
  }

  @Override
  protected void onDevWrite(Devfs.CdevCall call, Devfs.WriteRequest req) {
    io(BioOp.WRITE, req.offset(), req.data().size(), req.data(), (e, d) -> replyCall(call, new Devfs.DevReply(e, null, null)));
  }

  /**
   * cf. dastrategy() + dastart(): one block request, from devfs (read, write, the Flush and Delete
   * ioctls) or from the strategy path ({@link Strategy}). Its CCBs wait for the device's openings
   * ({@link RunCcb#runScheduled}); {@code done} runs exactly once with the errno and, for a read,
   * the data. Queued CCBs of an invalidated periph complete with DEV_NOT_THERE (cf. bioq_flush()
   * with ENXIO in daoninvalidate()), which completes the request.
   */
  private void io(BioOp op, long offset, long length, ByteString data, BiConsumer<Errno, ByteString> done) {
    ByteString none = ByteString.emptyByteString();
    if (packInvalid || isInvalid()) {
      done.accept(Errno.ENXIO, none); // cf. dastrategy(): DA_FLAG_PACK_INVALID -> ENXIO
      return;
    }
    if (probing) {
      heldBack.add(() -> io(op, offset, length, data, done)); // cf. DA_STATE_PROBE_*: bioq waits
      return;
    }
    switch (op) {
      case READ -> {
        Errno bad = checkRange(offset, length);
        if (bad != Errno.OK) {
          done.accept(bad, none);
          return;
        }
        long lba = offset / blockSize;
        long count = Math.min(length / blockSize, blocks - lba);
        transfer(false, lba, count, none, none, done);
      }
      case WRITE -> {
        Errno bad = checkRange(offset, length);
        if (bad != Errno.OK) {
          done.accept(bad, none);
          return;
        }
        long lba = offset / blockSize;
        long count = length / blockSize;
        if (lba + count > blocks) {
          done.accept(Errno.EIO, none);
          return;
        }
        dirty = true;
        transfer(true, lba, count, data, none, done);
      }
      case FLUSH -> {
        if (isInvalid()) {
          done.accept(Errno.ENXIO, none);
          return;
        }
        dirty = false;
        scsi(Cdbs.synchronizeCache10(0, 0, false), 0, CcbFlags.SF_RETRY_UA, r -> done.accept(r.errno(), none));
      }
      case DELETE -> {
        Errno bad = checkRange(offset, length);
        if (bad != Errno.OK) {
          done.accept(bad, none);
          return;
        }
        long lba = offset / blockSize;
        long count = Math.min(length / blockSize, blocks - lba);
        deleteRange(deleteMethod(), lba, count, e -> done.accept(e, none));
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The strategy path (cf. GEOM -> dastrategy() -> biodone())

  private DiskHandle diskHandle() {
    return new DiskHandle(getContext().getSelf(), name, id.unit(), id.generation(), blocks * blockSize, blockSize);
  }

  /** cf. dastrategy(): checks the handle, then {@link #io}; completes the bio once (biodone()). */
  private void onStrategy(Strategy s) {
    Bio bio = s.bio();
    if (bio == null || bio.replyTo() == null) {
      log().warn("strategy request without a bio or a reply address: dropped");
      return;
    }
    if (isInvalid() || s.generation() != id.generation()) {
      bio.replyTo().tell(BioDone.error(bio, Errno.ENXIO)); // cf. g_io_request() on an orphan
      return;
    }
    if (openCount() == 0) {
      bio.replyTo().tell(BioDone.error(bio, Errno.EPERM)); // cf. g_io_check(): no access
      return;
    }
    if (bio.op() == null || (bio.op() == BioOp.WRITE && bio.data() == null)) {
      bio.replyTo().tell(BioDone.error(bio, Errno.EINVAL));
      return;
    }
    long length = bio.op() == BioOp.WRITE ? bio.data().size() : bio.length();
    io(
        bio.op(),
        bio.offset(),
        length,
        bio.data(),
        (e, d) -> {
          // cf. bioq_flush(..., ENXIO): what failed because the disk went away is ENXIO
          Errno errno = e != Errno.OK && isInvalid() ? Errno.ENXIO : e;
          long bytes = errno != Errno.OK || bio.op() == BioOp.FLUSH ? 0 : bio.op() == BioOp.READ ? d.size() : length;
          bio.replyTo().tell(new BioDone(bio, errno, bytes, d));
        });
  }

  private Errno checkRange(long offset, long length) {
    if (isInvalid()) {
      return Errno.ENXIO;
    }
    if (blocks == 0) {
      return Errno.ENXIO; // no media
    }
    if (offset < 0 || length < 0 || offset % blockSize != 0 || length % blockSize != 0) {
      return Errno.EINVAL;
    }
    if (offset / blockSize >= blocks && length > 0) {
      return Errno.EIO;
    }
    return Errno.OK;
  }

  /**
   * Splits a transfer into commands of at most the device's maximum transfer length. A read hands
   * {@code done} the device's data as it came (several commands: their concatenation, no bytes
   * copied); {@code got} is what earlier commands of the same read returned.
   */
  private void transfer(
      boolean write, long lba, long count, ByteString data, ByteString got, BiConsumer<Errno, ByteString> done) {
    if (count <= 0) {
      done.accept(Errno.OK, got);
      return;
    }
    long maxBlocks = Math.max(1, DEFAULT_MAX_XFER_BYTES / blockSize);
    if (maxTransferBlocks > 0) {
      maxBlocks = Math.min(maxBlocks, maxTransferBlocks);
    }
    long n = Math.min(count, maxBlocks);
    int bytes = (int) (n * blockSize);
    ByteString cdb = Cdbs.readWrite(write, lba, n, false, false, 6);
    Ccb.ScsiIo io =
        new Ccb.ScsiIo(
            header(CamPriority.NORMAL, write ? CcbFlags.DIR_OUT : CcbFlags.DIR_IN, args.settings().ccbTimeoutMs(), RETRIES),
            cdb,
            write ? data.take(bytes) : ByteString.emptyByteString(),
            bytes);
    if (n == count) {
      schedule(io, new LastCommand(io, write, got, done)); // the common case: one object per command
      return;
    }
    RunCcb.runScheduled(
        this,
        io,
        0,
        CcbFlags.SF_RETRY_UA,
        r -> {
          if (!r.ok()) {
            done.accept(r.errno(), ByteString.emptyByteString());
            return;
          }
          ByteString sum = write ? got : got.isEmpty() ? r.completed().data() : got.concat(r.completed().data());
          transfer(write, lba + n, count - n, write ? data.drop(bytes) : data, sum, done);
        });
  }

  /**
   * The completion of a transfer's last (usually only) command: a plain success completes the
   * request here; anything else gets the same recovery as {@link RunCcb#runScheduled} (retries,
   * sense, release of a frozen queue), taken up at this completion. Saves the run's state, its
   * handler, the result and the continuation per I/O on the strategy path.
   */
  private final class LastCommand implements Consumer<Ccb.Completed> {
    private final Ccb.ScsiIo io;
    private final boolean write;
    private final ByteString got;
    private final BiConsumer<Errno, ByteString> done;

    LastCommand(Ccb.ScsiIo io, boolean write, ByteString got, BiConsumer<Errno, ByteString> done) {
      this.io = io;
      this.write = write;
      this.got = got;
      this.done = done;
    }

    @Override
    public void accept(Ccb.Completed c) {
      if (RunCcb.plainSuccess(c)) {
        finished(c);
        return;
      }
      RunCcb.recovering(DaPeriph.this, io, 0, CcbFlags.SF_RETRY_UA, r -> {
        if (r.ok()) {
          finished(r.completed());
        } else {
          done.accept(r.errno(), ByteString.emptyByteString());
        }
      }).accept(c);
    }

    private void finished(Ccb.Completed c) {
      done.accept(Errno.OK, write ? got : got.isEmpty() ? c.data() : got.concat(c.data()));
    }
  }

  @Override
  protected void onDevIoctl(Devfs.CdevCall call, Devfs.IoctlRequest req) {
    Devfs.IoctlCmd cmd = req.cmd();
    if (cmd instanceof GetMediaInfo) {
      replyCall(
          call,
          Devfs.DevReply.ok(
              new MediaInfo(blocks * blockSize, blockSize, blocks, lbpme, deleteMethod(), rotationRate, maxUnmapBlocks, maxTransferBlocks, probes)));
    } else if (cmd instanceof GetDiskHandle) {
      // devfs let the caller in: the node is open (cf. g_disk_access() after daopen())
      if (isInvalid()) {
        replyCall(call, Devfs.DevReply.error(Errno.ENXIO));
      } else {
        ActorRef<DiskEvent> w = ((GetDiskHandle) cmd).events();
        if (w != null && !watchers.contains(w)) {
          watchers.add(w);
          getContext().watchWith(w, new WatcherGone(w));
        }
        // the strategy path (bio -> this periph -> device queue -> SIM) on one thread from the
        // first opener's handle on: this periph runs on its device queue's lane (issue 15; a no-op
        // unless the dispatcher is Lanes.Executor). Not earlier: attach and detach talk mostly to
        // the XPT, devfs and the probe on the fork-join pool, and every such message would wake
        // a parked lane (docs/benchmarks.md, "The lanes and what they cost the control plane")
        if (!onLane) {
          onLane = true;
          org.camstack.stack.dispatch.Lanes.follow(getContext().getSelf(), args.device());
        }
        replyCall(call, Devfs.DevReply.ok(diskHandle()));
      }
    } else if (cmd instanceof Flush) {
      io(BioOp.FLUSH, 0, 0, null, (e, d) -> replyCall(call, new Devfs.DevReply(e, null, null)));
    } else if (cmd instanceof Delete d) {
      io(BioOp.DELETE, d.offset(), d.length(), null, (e, x) -> replyCall(call, new Devfs.DevReply(e, null, null)));
    } else {
      replyCall(call, Devfs.DevReply.error(Errno.ENOTTY));
    }
  }

  /** cf. da_delete_unmap(), da_delete_ws(). */
  private void deleteRange(String method, long lba, long count, Consumer<Errno> done) {
    if (count <= 0) {
      done.accept(Errno.OK);
      return;
    }
    long perCmd = 0xffffffffL;
    if (method.equals("UNMAP") && maxUnmapBlocks > 0 && maxUnmapBlocks != 0xffffffffL) {
      perCmd = maxUnmapBlocks;
    }
    if (method.equals("WS10")) {
      perCmd = 0xffff;
    }
    long n = Math.min(count, perCmd);
    ByteString cdb;
    ByteString out;
    int flags;
    switch (method) {
      case "UNMAP" -> {
        out = Cdbs.unmapParameters(List.of(new Cdbs.LbaRange(lba, n)));
        cdb = Cdbs.unmap(out.size(), false);
      }
      case "WS16" -> {
        out = ByteString.fromArray(new byte[blockSize]);
        cdb = Cdbs.writeSame16(lba, n, true);
      }
      case "WS10" -> {
        out = ByteString.fromArray(new byte[blockSize]);
        cdb = Cdbs.writeSame10(lba, (int) n, true);
      }
      default -> {
        out = ByteString.fromArray(new byte[blockSize]);
        cdb = Cdbs.writeSame16(lba, n, false);
      }
    }
    flags = CcbFlags.DIR_OUT;
    Ccb.ScsiIo io =
        new Ccb.ScsiIo(header(CamPriority.NORMAL, flags, args.settings().ccbTimeoutMs(), RETRIES), cdb, out, out.size());
    RunCcb.runScheduled(
        this,
        io,
        0,
        CcbFlags.SF_RETRY_UA,
        r -> {
          if (!r.ok()) {
            done.accept(r.errno());
          } else {
            deleteRange(method, lba + n, count - n, done);
          }
        });
  }

  // ---------------------------------------------------------------------------------------------

  /** One SCSI command with da's retries and error recovery (cf. cam_periph_runccb with daerror). */
  private void scsi(ByteString cdb, int dataIn, int senseFlags, Consumer<RunCcb.Result> then) {
    Ccb.ScsiIo io =
        new Ccb.ScsiIo(
            header(CamPriority.NORMAL, dataIn > 0 ? CcbFlags.DIR_IN : CcbFlags.DIR_NONE, args.settings().ccbTimeoutMs(), RETRIES),
            cdb,
            ByteString.emptyByteString(),
            dataIn);
    RunCcb.run(this, io, 0, senseFlags, then);
  }

  private static long be32(ByteString b, int off) {
    return ((long) (b.apply(off) & 0xff) << 24)
        | ((b.apply(off + 1) & 0xff) << 16)
        | ((b.apply(off + 2) & 0xff) << 8)
        | (b.apply(off + 3) & 0xff);
  }
}
