package org.camstack.stack.testkit;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;
import org.camstack.stack.CamStack;
import org.camstack.stack.ccb.AsyncCode;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.sim.EmuSim;
import org.camstack.stack.xpt.AsyncEvent;
import org.camstack.stack.xpt.Xpt;
import org.camstack.stack.xpt.XptDevice;

/**
 * A whole stack (XPT + EmuSims of a topology) started inside a test's {@link ActorTestKit}, under
 * its own parent actor so that several stacks can live in one test system; {@link #close()} stops
 * it. Blocking helpers for tests.
 *
 * <pre>{@code
 * try (TestStack s = TestStack.start(testKit, TopologyBuilder.create().bus().disk(0, 0).build())) {
 *   assertEquals(List.of(CamPath.of(0, 0, 0)), s.configured());
 * }
 * }</pre>
 */
public final class TestStack implements AutoCloseable {

  public static final Duration TIMEOUT = Duration.ofSeconds(15);

  private final ActorTestKit kit;
  private final ActorRef<Void> holder;
  private final CamStack stack;
  private final List<EmuSim.BusInfo> buses;

  private TestStack(ActorTestKit kit, ActorRef<Void> holder, CamStack stack, List<EmuSim.BusInfo> buses) {
    this.kit = kit;
    this.holder = holder;
    this.stack = stack;
    this.buses = buses;
  }

  /** Starts the stack on {@code topology} (over the test system's config) and scans every bus. */
  public static TestStack start(ActorTestKit kit, Config topology) {
    TestStack s = startUnscanned(kit, topology);
    await(s.stack.scannedOnce(TIMEOUT));
    try {
      // the periph layer attaches after the initial scans (cf. xpt_finishconfig): let it settle,
      // so that tests start from a quiet stack with no driver probe still in flight
      s.stack().awaitPeriphs(TIMEOUT);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException(e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return s;
  }

  /** Starts the stack and waits until every bus registered; scans only what scans on register. */
  public static TestStack startUnscanned(ActorTestKit kit, Config topology) {
    Config config = topology.withFallback(kit.system().settings().config());
    CompletableFuture<CamStack> started = new CompletableFuture<>();
    ActorRef<Void> holder =
        kit.spawn(
            Behaviors.<Void>setup(
                ctx -> {
                  try {
                    started.complete(CamStack.start(ctx, config));
                  } catch (RuntimeException e) {
                    started.completeExceptionally(e);
                  }
                  return Behaviors.empty();
                }));
    CamStack stack = await(started);
    return new TestStack(kit, holder, stack, await(stack.buses(TIMEOUT)));
  }

  private static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new IllegalStateException("stack did not answer within " + TIMEOUT, e);
    }
  }

  public CamStack stack() {
    return stack;
  }

  public ActorRef<Xpt.Command> xpt() {
    return stack.xpt();
  }

  /** The SIM of topology bus {@code index}. */
  public ActorRef<EmuSim.Command> sim(int index) {
    return stack.sims().get(index);
  }

  /** The XPT path id ({@code scbusN}) of topology bus {@code index}. */
  public int pathId(int index) {
    return buses.get(index).pathId();
  }

  /** The path of a LUN on topology bus {@code index}. */
  public CamPath path(int index, int target, long lun) {
    return CamPath.of(pathId(index), target, lun);
  }

  /** XPT_SCAN_BUS on every bus, waiting for all. */
  public List<Ccb.Completed> scanAll() {
    return await(stack.scanAll(TIMEOUT));
  }

  public Ccb.DevMatchResult devMatch() {
    return await(stack.devMatch(TIMEOUT));
  }

  /** Paths of configured devices, in EDT order. */
  public List<CamPath> configured() {
    List<CamPath> out = new ArrayList<>();
    for (Ccb.BusMatch b : devMatch().buses()) {
      for (Ccb.DeviceMatch d : b.devices()) {
        if (!d.unconfigured()) {
          out.add(d.path());
        }
      }
    }
    return out;
  }

  /** One CCB through the XPT; returns its completion. */
  public Ccb.Completed action(Function<ActorRef<Ccb.Completed>, Ccb> build) {
    return await(stack.action(build, TIMEOUT));
  }

  /** A header with a fresh id at {@code path}. */
  public static Ccb.Header header(CamPath path, ActorRef<Ccb.Completed> replyTo) {
    return CamStack.header(path, replyTo);
  }

  /** Sends a SIM control message and asserts the ack. */
  public void simOk(int index, Function<ActorRef<StatusReply<Done>>, EmuSim.Command> build) {
    StatusReply<Done> r = simReply(index, build);
    if (r.isError()) {
      throw new AssertionError("SIM refused: " + r.getError().getMessage());
    }
  }

  /** Sends a SIM control message that must fail; returns the error message. */
  public String simError(int index, Function<ActorRef<StatusReply<Done>>, EmuSim.Command> build) {
    StatusReply<Done> r = simReply(index, build);
    if (r.isSuccess()) {
      throw new AssertionError("SIM accepted what it should refuse");
    }
    return r.getError().getMessage();
  }

  private StatusReply<Done> simReply(int index, Function<ActorRef<StatusReply<Done>>, EmuSim.Command> build) {
    return await(AskPattern.ask(sim(index), build::apply, TIMEOUT, kit.system().scheduler()));
  }

  /** A probe subscribed to {@code codes} on {@code path}, returned after the replay. */
  public TestProbe<AsyncEvent> subscribe(CamPath path, Set<AsyncCode> codes) {
    TestProbe<AsyncEvent> events = kit.createTestProbe();
    TestProbe<Xpt.AsyncRegistered> ack = kit.createTestProbe();
    xpt().tell(new Xpt.RegisterAsync(codes, path, events.getRef(), ack.getRef()));
    ack.expectMessageClass(Xpt.AsyncRegistered.class, TIMEOUT);
    return events;
  }

  /** The device queue of a configured device (from the AC_FOUND_DEVICE replay). */
  public ActorRef<XptDevice.Command> device(CamPath path) {
    TestProbe<AsyncEvent> p = subscribe(path, EnumSet.of(AsyncCode.AC_FOUND_DEVICE));
    AsyncEvent.FoundDevice f = p.expectMessageClass(AsyncEvent.FoundDevice.class, TIMEOUT);
    xpt().tell(new Xpt.UnregisterAsync(path, p.getRef()));
    return f.device();
  }

  /** Stops the stack (XPT, SIMs and everything below). */
  @Override
  public void close() {
    kit.stop(holder, TIMEOUT);
  }
}
