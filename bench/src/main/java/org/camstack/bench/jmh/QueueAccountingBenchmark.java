package org.camstack.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.CamStackConfig;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.scsi.Cdbs;
import org.camstack.stack.xpt.DevQueue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The device queue's bookkeeping ({@link DevQueue}, what every XptDevice does per CCB): the hot
 * path (an opening is free: start, complete) and the queued path (queue full: enqueue, then
 * start from the queue as openings free up).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class QueueAccountingBenchmark {

  private static final int BATCH = 32;

  private ActorSystem<Void> system;
  private DevQueue hot;
  private DevQueue queued;
  private Ccb.ScsiIo[] ccbs;

  @Setup(Level.Trial)
  public void setUp() {
    system = ActorSystem.create(Behaviors.empty(), "queue", CamStackConfig.load());
    hot = new DevQueue(32, 256);
    queued = new DevQueue(4, 256);
    ccbs = new Ccb.ScsiIo[BATCH];
    for (int i = 0; i < BATCH; i++) {
      ccbs[i] = new Ccb.ScsiIo(Ccb.Header.of(i, CamPath.of(0, 0, 0), system.ignoreRef()), Cdbs.read(i * 8L, 8), ByteString.emptyByteString(), 4096);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** One CCB through the hot path: tryStartNow + complete (what a synchronous SIM sees). */
  @Benchmark
  public int startComplete() {
    Ccb.ScsiIo c = ccbs[0];
    if (!hot.tryStartNow()) {
      throw new IllegalStateException("no opening");
    }
    return hot.complete(c, CamStatus.REQ_CMP);
  }

  /** 32 CCBs against 4 openings: 28 queue (priority queue), then all drain as openings free. */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int queuedBatch() {
    int started = 0;
    for (Ccb.ScsiIo c : ccbs) {
      if (queued.tryStartNow()) {
        started++;
      } else {
        queued.enqueue(c);
      }
    }
    int flags = 0;
    for (int done = 0; done < BATCH; done++) {
      flags |= queued.complete(ccbs[done], CamStatus.REQ_CMP);
      if (queued.pollStartable() != null) {
        started++;
      }
    }
    return flags + started;
  }
}
