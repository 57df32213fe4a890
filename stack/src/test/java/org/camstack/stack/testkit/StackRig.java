package org.camstack.stack.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.camstack.stack.CamStack;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.devfs.Devfs;
import org.camstack.persistence.audit.LifetimeChecker;
import org.camstack.stack.periph.PeriphDriver;
import org.camstack.stack.sim.EmuSim;

/** The real stack (XPT, EmuSims, emulated devices, periph drivers, devfs) on a test topology. */
public final class StackRig {

  public static final Duration WAIT = Duration.ofSeconds(15);

  /** bus 0: two disks in slots 0 and 1 of an SES enclosure (target 6), a removable disk at 2. */
  public static final String TOPOLOGY =
      "camstack.topology.buses = [ { name = emusim, max-target = 15, max-lun = 7, targets = [\n"
          + "  { id = 0, luns = [ { lun = 0, size = 64MiB, block-size = 512, enclosure-slot = 0 } ] }\n"
          + "  { id = 1, luns = [ { lun = 0, size = 64MiB, block-size = 4096, enclosure-slot = 1, store = ram } ] }\n"
          + "  { id = 2, luns = [ { lun = 0, size = 8MiB, block-size = 512, removable = true } ] }\n"
          + "  { id = 6, luns = [ { lun = 0, type = enclosure, slots = 4 } ] }\n"
          + "] } ]\n";

  public static Config config(String topology) {
    return ConfigFactory.parseString(topology + "pekko.loglevel = INFO\n")
        .withFallback(ConfigFactory.load())
        .resolve();
  }

  public final ActorTestKit kit;
  public final LifetimeChecker checker = new LifetimeChecker();
  public final CamStack stack;

  /** Starts a stack under its own parent actor (several may share the kit's system). */
  public StackRig(ActorTestKit kit, boolean legacy) {
    this.kit = kit;
    java.util.concurrent.CompletableFuture<CamStack> started = new java.util.concurrent.CompletableFuture<>();
    CamStack.Options options = CamStack.Options.DEFAULT.withListener(checker).withLegacyMode(legacy);
    kit.spawn(
        org.apache.pekko.actor.typed.javadsl.Behaviors.<Void>setup(
            ctx -> {
              try {
                started.complete(CamStack.start(ctx, kit.system().settings().config(), options));
              } catch (RuntimeException e) {
                started.completeExceptionally(e);
              }
              return org.apache.pekko.actor.typed.javadsl.Behaviors.empty();
            }));
    try {
      this.stack = started.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("stack did not start: " + e, e);
    }
  }

  /** Scans every bus and waits for the periph layer to settle. */
  public Ccb.DevMatchResult scanAndSettle() {
    try {
      stack.scanAll(WAIT).toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      return stack.awaitPeriphs(WAIT);
    } catch (Exception e) {
      throw new AssertionError("stack did not settle: " + e, e);
    }
  }

  public ActorRef<EmuSim.Command> sim(int bus) {
    return stack.sims().get(bus);
  }

  public void simDo(ActorRef<EmuSim.Command> sim, java.util.function.Function<ActorRef<StatusReply<Done>>, EmuSim.Command> cmd) {
    TestProbe<StatusReply<Done>> p = kit.createTestProbe();
    sim.tell(cmd.apply(p.getRef()));
    StatusReply<Done> r = p.receiveMessage(WAIT);
    assertTrue(r.isSuccess(), () -> "sim: " + r.getError());
  }

  public ActorRef<Devfs.Command> devfs() {
    return stack.devfs();
  }

  public PeriphDriver.Units units(String driver) {
    TestProbe<PeriphDriver.Units> p = kit.createTestProbe();
    stack.drivers().get(driver).tell(new PeriphDriver.ListUnits(p.getRef()));
    return p.receiveMessage(WAIT);
  }

  public Devfs.NodeList nodes() {
    TestProbe<Devfs.NodeList> p = kit.createTestProbe();
    devfs().tell(new Devfs.ListNodes(p.getRef()));
    return p.receiveMessage(WAIT);
  }

  public Devfs.OpenResult open(String name) {
    TestProbe<Devfs.OpenResult> p = kit.createTestProbe();
    devfs().tell(new Devfs.Open(name, Devfs.FREAD | Devfs.FWRITE, p.getRef()));
    return p.receiveMessage(WAIT);
  }

  public Devfs.FileHandle openOk(String name) {
    Devfs.OpenResult r = open(name);
    assertTrue(r.ok(), "open " + name + ": " + r.errno());
    return r.file();
  }

  public Devfs.DevReply call(java.util.function.Function<ActorRef<Devfs.DevReply>, Devfs.Command> cmd) {
    TestProbe<Devfs.DevReply> p = kit.createTestProbe();
    devfs().tell(cmd.apply(p.getRef()));
    return p.receiveMessage(WAIT);
  }

  public Devfs.DevReply ioctl(Devfs.FileHandle fh, Devfs.IoctlCmd cmd) {
    return call(r -> new Devfs.Ioctl(fh, cmd, r));
  }

  public Devfs.DevReply close(Devfs.FileHandle fh) {
    return call(r -> new Devfs.Close(fh, r));
  }
}
