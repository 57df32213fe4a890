package org.camstack.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.CamStackConfig;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.scsi.Cdbs;
import org.camstack.stack.scsi.ErrorClassifier;
import org.camstack.stack.scsi.Recovery;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The error path's pieces: building sense data ({@link Sense}, as an emulated LUN does for each
 * CHECK CONDITION) and classifying a failed completion ({@link ErrorClassifier}, as a periph's
 * {@code cam_periph_error} does).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SenseBuildBenchmark {

  private ActorSystem<Void> system;
  private Ccb.Completed mediumError;
  private Ccb.Completed unitAttention;
  private int lba;

  @Setup(Level.Trial)
  public void setUp() {
    system = ActorSystem.create(Behaviors.empty(), "sense", CamStackConfig.load());
    ActorRef<Ccb.Completed> nobody = system.ignoreRef();
    Ccb.ScsiIo io = new Ccb.ScsiIo(Ccb.Header.of(1, CamPath.of(0, 0, 0), nobody), Cdbs.read(4096, 8), ByteString.emptyByteString(), 4096);
    mediumError = new Ccb.Completed(io, CamStatus.SCSI_STATUS_ERROR, CamStatus.AUTOSNS_VALID, ScsiStatus.CHECK_COND,
        Sense.fixedWithInfo(Sense.MEDIUM_ERROR, 0x11, 0x00, 4096), ByteString.emptyByteString(), 4096, null);
    unitAttention = new Ccb.Completed(io, CamStatus.SCSI_STATUS_ERROR, CamStatus.AUTOSNS_VALID, ScsiStatus.CHECK_COND,
        Sense.fixed(Sense.UNIT_ATTENTION, 0x29, 0x00), ByteString.emptyByteString(), 4096, null);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Fixed-format sense with the failing LBA in INFORMATION (a medium error). */
  @Benchmark
  public ByteString fixedWithInfo() {
    return Sense.fixedWithInfo(Sense.MEDIUM_ERROR, 0x11, 0x00, ++lba);
  }

  /** Fixed to descriptor format (a LUN whose D_SENSE is set). */
  @Benchmark
  public ByteString toDescriptor() {
    return Sense.toDescriptor(Sense.fixedWithInfo(Sense.MEDIUM_ERROR, 0x11, 0x00, ++lba));
  }

  /** The periph's decision for a medium error (retry with retries left). */
  @Benchmark
  public Recovery classifyMediumError() {
    return ErrorClassifier.classify(mediumError, 0, 4);
  }

  /** The periph's decision for a power-on unit attention. */
  @Benchmark
  public Recovery classifyUnitAttention() {
    return ErrorClassifier.classify(unitAttention, 0, 4);
  }
}
