package org.camstack.bench.jmh;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.camstack.bench.harness.DispatcherSettings;
import org.camstack.stack.CamStackConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One message hop between two Pekko typed actors on the benchmark dispatcher (perf.md 4.1:
 * 90-130 ns on JDK 17 when both run on the same thread). A pinger keeps {@code inFlight} pings
 * outstanding at a ponger; each invocation runs {@link #ROUND_TRIPS} round trips, and the score
 * counts hops (two per round trip), so 1/score is the cost of one hop. The one thread wake-up per
 * invocation (the harness waiting for the batch) is amortised over 200,000 hops.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class MessageHopBenchmark {

  static final int ROUND_TRIPS = 100_000;

  @Param({"1", "32"})
  public int inFlight;

  /** Fork-join threads of the benchmark dispatcher (0 = the cores). */
  @Param({"0"})
  public int threads;

  private ActorSystem<Pinger.Command> system;

  @Setup(Level.Trial)
  public void setUp() {
    DispatcherSettings d = threads > 0 ? new DispatcherSettings(threads, 100) : DispatcherSettings.forCores();
    system = ActorSystem.create(Pinger.create(), "hop", d.toConfig().withFallback(CamStackConfig.load()));
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Benchmark
  @OperationsPerInvocation(2 * ROUND_TRIPS)
  public long hop() {
    CompletableFuture<Long> f = new CompletableFuture<>();
    system.tell(new Pinger.Run(ROUND_TRIPS, inFlight, f));
    return f.join();
  }

  /** Sends pings, counts pongs, re-sends on each pong until the batch is done. */
  static final class Pinger extends AbstractBehavior<Pinger.Command> {
    interface Command {}

    record Run(int roundTrips, int inFlight, CompletableFuture<Long> done) implements Command {}

    record Pong(int seq) implements Command {}

    private final ActorRef<Ponger.Ping> ponger;
    private int remaining;
    private int outstanding;
    private long sum;
    private CompletableFuture<Long> done;

    static Behavior<Command> create() {
      return Behaviors.setup(Pinger::new);
    }

    private Pinger(ActorContext<Command> ctx) {
      super(ctx);
      ponger = ctx.spawn(Ponger.create(), "ponger");
    }

    @Override
    public Receive<Command> createReceive() {
      return newReceiveBuilder().onMessage(Run.class, this::onRun).onMessage(Pong.class, this::onPong).build();
    }

    private Behavior<Command> onRun(Run run) {
      done = run.done();
      remaining = run.roundTrips();
      sum = 0;
      ActorRef<Pong> self = getContext().getSelf().narrow();
      for (int i = 0; i < run.inFlight() && remaining > 0; i++) {
        remaining--;
        outstanding++;
        ponger.tell(new Ponger.Ping(i, self));
      }
      return this;
    }

    private Behavior<Command> onPong(Pong pong) {
      outstanding--;
      sum += pong.seq();
      if (remaining > 0) {
        remaining--;
        outstanding++;
        ponger.tell(new Ponger.Ping(pong.seq(), getContext().getSelf().narrow()));
      } else if (outstanding == 0) {
        done.complete(sum);
      }
      return this;
    }
  }

  /** Answers each ping with a pong. */
  static final class Ponger {
    private Ponger() {}

    record Ping(int seq, ActorRef<Pinger.Pong> replyTo) {}

    static Behavior<Ping> create() {
      return Behaviors.receiveMessage(p -> {
        p.replyTo().tell(new Pinger.Pong(p.seq()));
        return Behaviors.same();
      });
    }
  }
}
