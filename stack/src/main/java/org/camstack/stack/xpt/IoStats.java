package org.camstack.stack.xpt;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import com.typesafe.config.Config;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamStatus;

/**
 * Per-LUN I/O statistics in the spirit of ctlstat(8) and devstat(9): operations and bytes by
 * direction, errors, timeouts and the CCB round-trip latency through the device queue (HdrHistogram).
 *
 * <p>Cost on the CCB path: the device queue that owns the instance is its only writer ({@link
 * #record}: a few plain stores with release semantics and one {@link SingleWriterRecorder} sample,
 * no lock, no allocation); readers ({@link #snapshot}) run on any thread and swap the recorder's
 * interval histogram. cf. {@code devstat_end_transaction()} in sys/kern/subr_devstat.c.
 *
 * <p>The recorder's histogram auto-resizes: it starts at 2 KB and grows (on the writer, the few
 * times a longer latency than ever before arrives) up to what the samples need, at most the 37 KB
 * of a fixed one-hour range, since samples stay clamped to {@link #MAX_NANOS}. A fixed-range one
 * allocated and zeroed 37 KB with every device queue, the largest single allocation of a hot-plug
 * cycle ({@code bench lifecycle}: 8 % of its bytes). Recording costs the same: both kinds catch
 * the same out-of-range index, and only the auto-resizing one then grows.
 */
public final class IoStats {

  private static final int READS = 0;
  private static final int WRITES = 1;
  private static final int OTHER = 2;
  private static final int BYTES_READ = 3;
  private static final int BYTES_WRITTEN = 4;
  private static final int ERRORS = 5;
  private static final int TIMEOUTS = 6;

  /** Longest latency tracked precisely: one hour in nanoseconds; longer samples are clamped. */
  private static final long MAX_NANOS = TimeUnit.HOURS.toNanos(1);

  private final CamPath path;
  private final AtomicLongArray counters = new AtomicLongArray(7);
  private final SingleWriterRecorder recorder = new SingleWriterRecorder(2); // auto-resizing
  private final long startedNanos = System.nanoTime();
  // reader side, guarded by this
  private Histogram total;
  private Histogram interval;
  private Histogram window; // since the last sample(); created by the first one

  public IoStats(CamPath path) {
    this.path = path;
  }

  public CamPath path() {
    return path;
  }

  /**
   * One completed SCSI command. Single writer: call only from the owning device queue.
   *
   * @param opcode the CDB's operation code
   * @param bytesIn bytes transferred to the initiator
   * @param bytesOut bytes sent to the device
   * @param latencyNanos from dispatch to completion
   */
  public void record(int opcode, long bytesIn, long bytesOut, long latencyNanos, CamStatus status) {
    if (isRead(opcode)) {
      bump(READS, 1);
      bump(BYTES_READ, bytesIn);
    } else if (isWrite(opcode)) {
      bump(WRITES, 1);
      bump(BYTES_WRITTEN, bytesOut);
    } else {
      bump(OTHER, 1);
    }
    if (status != CamStatus.REQ_CMP) {
      bump(ERRORS, 1);
      if (status == CamStatus.CMD_TIMEOUT) {
        bump(TIMEOUTS, 1);
      }
    }
    recorder.recordValue(Math.max(1, Math.min(latencyNanos, MAX_NANOS)));
  }

  private void bump(int i, long delta) {
    counters.lazySet(i, counters.getPlain(i) + delta);
  }

  /** READ(6/10/12/16). */
  static boolean isRead(int opcode) {
    return opcode == 0x08 || opcode == 0x28 || opcode == 0xa8 || opcode == 0x88;
  }

  /** WRITE(6/10/12/16), WRITE AND VERIFY(10/12/16), WRITE SAME(10/16). */
  static boolean isWrite(int opcode) {
    return opcode == 0x0a || opcode == 0x2a || opcode == 0xaa || opcode == 0x8a
        || opcode == 0x2e || opcode == 0xae || opcode == 0x8e || opcode == 0x41 || opcode == 0x93;
  }

  /**
   * Figures since the device queue was created (ctlstat's per-LUN columns); latencies are CCB round
   * trips through the device queue, in microseconds. The management API serves them as they are.
   */
  public record Snapshot(
      long reads,
      long writes,
      long other,
      long bytesRead,
      long bytesWritten,
      long errors,
      long timeouts,
      double p50Micros,
      double p90Micros,
      double p99Micros,
      double p999Micros,
      double maxMicros,
      long ageMillis) {}

  /** Any thread. */
  public synchronized Snapshot snapshot() {
    interval = recorder.getIntervalHistogram(interval);
    if (total == null) {
      total = new Histogram(1, MAX_NANOS, 2);
    }
    total.add(interval);
    if (window != null) {
      window.add(interval);
    }
    boolean empty = total.getTotalCount() == 0;
    return new Snapshot(
        counters.get(READS),
        counters.get(WRITES),
        counters.get(OTHER),
        counters.get(BYTES_READ),
        counters.get(BYTES_WRITTEN),
        counters.get(ERRORS),
        counters.get(TIMEOUTS),
        empty ? 0 : total.getValueAtPercentile(50) / 1000.0,
        empty ? 0 : total.getValueAtPercentile(90) / 1000.0,
        empty ? 0 : total.getValueAtPercentile(99) / 1000.0,
        empty ? 0 : total.getValueAtPercentile(99.9) / 1000.0,
        empty ? 0 : total.getMaxValue() / 1000.0,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos));
  }

  /**
   * A {@link #snapshot()} with the latencies of the commands completed since the previous {@code
   * sample()} (the web page's one-second points; the first call's window is empty).
   *
   * @param count commands in the window
   */
  public record Sample(Snapshot total, long count, double p50Micros, double p99Micros, double maxMicros) {}

  /** Any thread; one sampler per IoStats (a second one would split the windows). */
  public synchronized Sample sample() {
    boolean first = window == null;
    if (first) {
      window = new Histogram(1, MAX_NANOS, 2);
    }
    Snapshot s = snapshot();
    long n = first ? 0 : window.getTotalCount();
    Sample out =
        n == 0
            ? new Sample(s, 0, 0, 0, 0)
            : new Sample(s, n, window.getValueAtPercentile(50) / 1000.0, window.getValueAtPercentile(99) / 1000.0, window.getMaxValue() / 1000.0);
    window.reset();
    return out;
  }

  /**
   * Where the device queues publish their statistics and the management API reads them: one
   * {@link IoStats} per LUN path, replaced when the LUN's device queue is re-created. One per
   * ActorSystem ({@link #get}); {@code camstack.xpt.io-stats = off} disables collection (the
   * device queues then skip even the clock reads).
   */
  public static final class Registry implements Extension {
    private final Map<CamPath, IoStats> byPath = new ConcurrentHashMap<>();
    private final boolean enabled;

    public Registry() {
      this(true);
    }

    Registry(boolean enabled) {
      this.enabled = enabled;
    }

    /** The registry of {@code system}. */
    public static Registry get(ActorSystem<?> system) {
      return Id.INSTANCE.apply(system);
    }

    public boolean enabled() {
      return enabled;
    }

    /** A fresh instance for a new device queue at {@code path}; null when disabled. */
    public IoStats register(CamPath path) {
      if (!enabled) {
        return null;
      }
      IoStats s = new IoStats(path);
      byPath.put(path, s);
      return s;
    }

    /** Forgets {@code stats} if it is still the one registered for its path. */
    public void unregister(IoStats stats) {
      byPath.remove(stats.path(), stats);
    }

    public Map<CamPath, IoStats> all() {
      return Map.copyOf(byPath);
    }
  }

  /** The extension id of {@link Registry}. */
  public static final class Id extends ExtensionId<Registry> {
    static final Id INSTANCE = new Id();

    private Id() {}

    @Override
    public Registry createExtension(ActorSystem<?> system) {
      Config c = system.settings().config();
      return new Registry(!c.hasPath("camstack.xpt.io-stats") || c.getBoolean("camstack.xpt.io-stats"));
    }
  }
}
