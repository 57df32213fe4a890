package org.camstack.stack.sim;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.HbaFlags;
import org.camstack.stack.scsi.Opcodes;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.xpt.Xpt;

/**
 * A bus in target mode whose LUNs are played by user programs: cf. targ(4)
 * (sys/cam/scsi/scsi_target.c). A program enables a LUN ({@link #enable}), accepts the commands the
 * initiator sends to it as ATIOs ({@link Lun#accept}, in arrival order) and answers each with one
 * CTIO ({@link Lun#ctio}: data, SCSI status, sense). The XPT's device queues start commands here
 * without waiting ({@link AsyncSimDataPath}): a command waits for its CTIO until the CCB's own
 * timeout completes it with {@code CAM_CMD_TIMEOUT} (a late CTIO then finds it gone and is
 * refused). A LUN number nobody enabled on a target that has enabled LUNs is answered by the
 * black hole (cf. scsi_targ_bh.c): INQUIRY with peripheral qualifier 3, 05/25/00 for the rest; a
 * target with no enabled LUN answers selection timeout.
 *
 * <p>This is the in-JVM interface; {@code node/TargApi} exposes it over the management API (docs/devices.md).
 */
public final class TargBus implements AsyncSimDataPath {
  private static final ByteString NOT_SUPPORTED = Sense.fixed(Sense.ILLEGAL_REQUEST, 0x25, 0x00);

  /**
   * An accepted target I/O: one command from the initiator. cf. {@code struct ccb_accept_tio}.
   *
   * @param tag answer it with {@link Lun#ctio(long, Ctio)}
   */
  public record Atio(long tag, int target, long lun, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    public int opcode() {
      return cdb.isEmpty() ? -1 : cdb.apply(0) & 0xff;
    }
  }

  /**
   * A continue target I/O: the answer to one ATIO. cf. {@code struct ccb_scsiio} sent with
   * XPT_CONT_TARGET_IO and CAM_SEND_STATUS.
   */
  public record Ctio(int scsiStatus, ByteString data, ByteString sense) {
    public Ctio {
      if (data == null || sense == null) {
        throw new IllegalArgumentException("data and sense must not be null (empty for none)");
      }
    }

    public static Ctio good(ByteString data) {
      return new Ctio(ScsiStatus.GOOD, data, ByteString.emptyByteString());
    }

    public static Ctio checkCondition(ByteString sense) {
      return new Ctio(ScsiStatus.CHECK_COND, ByteString.emptyByteString(), sense);
    }
  }

  private record Pending(Lun lun, Done done, int dxferLen) {}

  /** What became of a CTIO: cf. the CCB status a CTIO completes with. */
  public enum CtioResult {
    /** The command completed with the CTIO's data and status. */
    ANSWERED,
    /** This LUN never had a command with that tag. */
    UNKNOWN_TAG,
    /** The command already ended (answered, timed out, aborted, LUN disabled): {@link Lun#ended} says how. */
    ENDED
  }

  /** How many ended tags a LUN remembers, so that a second or late CTIO gets a precise answer. */
  static final int ENDED_MEMORY = 1024;

  /** An enabled LUN: the user program's end. Thread-safe. */
  public final class Lun {
    private final int target;
    private final long lun;
    private final ArrayDeque<Atio> atios = new ArrayDeque<>();
    private final ArrayDeque<CompletableFuture<Atio>> waiters = new ArrayDeque<>();
    private final LinkedHashMap<Long, String> ended = new LinkedHashMap<>(64, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Long, String> eldest) {
        return size() > ENDED_MEMORY;
      }
    };
    private boolean disabled;

    private Lun(int target, long lun) {
      this.target = target;
      this.lun = lun;
    }

    public int target() {
      return target;
    }

    public long lun() {
      return lun;
    }

    /** The next command, waiting at most {@code timeout}; null when none came. */
    public Atio accept(Duration timeout) throws InterruptedException {
      CompletableFuture<Atio> f = next();
      try {
        return f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        return cancel(f) ? null : f.join();
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException(e.getCause());
      }
    }

    /**
     * The next command without blocking: completes with it when it comes (in arrival order), or
     * with null once the LUN is disabled. A waiter given up by its timeout must be handed to {@link
     * #cancel}; when that returns false a command is (being) handed to it and must not be lost.
     */
    public CompletableFuture<Atio> next() {
      synchronized (this) {
        Atio a = atios.poll();
        if (a != null) {
          return CompletableFuture.completedFuture(a);
        }
        if (disabled) {
          return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Atio> f = new CompletableFuture<>();
        waiters.add(f);
        return f;
      }
    }

    /** @return true when {@code waiter} was still waiting (it will get no command) */
    public boolean cancel(CompletableFuture<Atio> waiter) {
      synchronized (this) {
        return waiters.remove(waiter);
      }
    }

    private void deliver(Atio a) {
      CompletableFuture<Atio> w;
      synchronized (this) {
        w = waiters.poll();
        if (w == null) {
          atios.add(a);
          return;
        }
      }
      w.complete(a); // outside the lock: the waiter's continuation may run here
    }

    private void end(long tag, String how) {
      synchronized (this) {
        ended.put(tag, how);
      }
    }

    /** How command {@code tag} of this LUN ended ("answered", "timed out or aborted", "lun disabled"), or null. */
    public String ended(long tag) {
      synchronized (this) {
        return ended.get(tag);
      }
    }

    /**
     * Answers the command {@code tag}. Data beyond the initiator's transfer length is cut off (the
     * residual says how much it asked for and did not get).
     *
     * @return false when the command is no longer waiting (timed out, aborted, or not this LUN's)
     */
    public boolean ctio(long tag, Ctio c) {
      return answer(tag, c) == CtioResult.ANSWERED;
    }

    /** {@link #ctio} with the reason of a refusal. */
    public CtioResult answer(long tag, Ctio c) {
      Pending p = pending.get(tag);
      if (p == null || p.lun() != this || !pending.remove(tag, p)) {
        return ended(tag) != null ? CtioResult.ENDED : CtioResult.UNKNOWN_TAG;
      }
      end(tag, "answered");
      ScsiResponse r = c.scsiStatus() == ScsiStatus.GOOD
          ? ScsiResponse.good(c.data(), p.dxferLen())
          : c.scsiStatus() == ScsiStatus.CHECK_COND
              ? ScsiResponse.checkCondition(c.sense(), p.dxferLen())
              : ScsiResponse.status(c.scsiStatus(), p.dxferLen());
      p.done().answered(r);
      return CtioResult.ANSWERED;
    }

    /**
     * cf. disabling the LUN (TARGIOCDISABLE): its waiting commands fail with selection timeout,
     * commands not yet accepted are dropped, and waiting {@link #next} calls get null.
     */
    public void disable() {
      luns.remove(key(target, lun), this);
      List<CompletableFuture<Atio>> w;
      synchronized (this) {
        disabled = true;
        atios.clear();
        w = List.copyOf(waiters);
        waiters.clear();
      }
      w.forEach(f -> f.complete(null));
      pending.forEach((tag, p) -> {
        if (p.lun() == this && pending.remove(tag, p)) {
          end(tag, "lun disabled");
          p.done().failed(CamStatus.SEL_TIMEOUT);
        }
      });
    }
  }

  private final ConcurrentHashMap<Long, Lun> luns = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Long, Pending> pending = new ConcurrentHashMap<>();
  private final AtomicLong nextTag = new AtomicLong(1);

  private static long key(int target, long lun) {
    return ((long) target << 32) | (lun & 0xffffffffL);
  }

  /**
   * cf. TARGIOCENABLE: the program will play {@code target}/{@code lun}.
   *
   * @throws IllegalArgumentException when that LUN is already enabled
   */
  public Lun enable(int target, long lun) {
    Lun l = new Lun(target, lun);
    if (luns.putIfAbsent(key(target, lun), l) != null) {
      throw new IllegalArgumentException("lun " + target + ":" + lun + " is already enabled");
    }
    return l;
  }

  /** How many commands wait for a CTIO. */
  public int waiting() {
    return pending.size();
  }

  private boolean targetPresent(int target) {
    for (Lun l : luns.values()) {
      if (l.target == target) {
        return true;
      }
    }
    return false;
  }

  @Override
  public long start(int target, long lun, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId, Done done) {
    Lun l = luns.get(key(target, lun));
    if (l == null) {
      if (targetPresent(target)) {
        done.answered(blackHole(cdb, dxferLen));
      } else {
        done.failed(CamStatus.SEL_TIMEOUT);
      }
      return -1;
    }
    long tag = nextTag.getAndIncrement();
    pending.put(tag, new Pending(l, done, dxferLen));
    l.deliver(new Atio(tag, target, lun, cdb, dataOut, dxferLen, initiatorId));
    return tag;
  }

  /** cf. scsi_targ_bh.c: the answer for a LUN nobody plays. */
  private static ScsiResponse blackHole(ByteString cdb, int dxferLen) {
    if (!cdb.isEmpty() && (cdb.apply(0) & 0xff) == Opcodes.INQUIRY) {
      byte[] inq = new byte[36];
      inq[0] = 0x7f; // peripheral qualifier 3, type 1Fh: no LUN here
      inq[2] = 0x05;
      inq[3] = 0x02;
      inq[4] = 31;
      return ScsiResponse.good(ByteString.fromArray(inq), dxferLen);
    }
    return ScsiResponse.checkCondition(NOT_SUPPORTED, dxferLen);
  }

  @Override
  public void abort(long handle) {
    Pending p = pending.remove(handle);
    if (p != null) {
      p.lun().end(handle, "timed out or aborted");
    }
  }

  @Override
  public boolean resetLun(int target, long lun) {
    return luns.containsKey(key(target, lun));
  }

  @Override
  public ScsiResponse execute(int target, long lun, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    CompletableFuture<ScsiResponse> f = new CompletableFuture<>();
    long tag = start(target, lun, cdb, dataOut, dxferLen, initiatorId, new Done() {
      public void answered(ScsiResponse response) {
        f.complete(response);
      }

      public void failed(CamStatus status) {
        f.complete(null);
      }
    });
    try {
      return f.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      abort(tag);
      return null;
    }
  }

  @Override
  public void resetBus() {}

  @Override
  public boolean resetTarget(int target) {
    return targetPresent(target);
  }

  /**
   * Registers {@code bus} with the XPT as {@code name}{@code unit} (cf. {@code xpt_bus_register()}
   * of a target-mode capable SIM; targets 0..15 but 7, the initiator); the answer goes to {@code
   * replyTo}.
   */
  public static void register(ActorRef<Xpt.Command> xpt, TargBus bus, String name, int unit, int maxLun,
      ActorRef<Xpt.BusRegistered> replyTo) {
    xpt.tell(registration(bus, name, unit, maxLun, replyTo));
  }

  /** The {@link Xpt.RegisterBus} message {@link #register} sends (for an ask). */
  public static Xpt.RegisterBus registration(TargBus bus, String name, int unit, int maxLun, ActorRef<Xpt.BusRegistered> replyTo) {
    Ccb.PathInqResult cpi = new Ccb.PathInqResult(1, HbaFlags.PI_TAG_ABLE, HbaFlags.PIM_NOSCAN, 15, maxLun, 7,
        "camstack", "TARG", name, unit, 0, 300_000, 1 << 20);
    return new Xpt.RegisterBus(cpi, -1, 16, bus, replyTo);
  }
}
