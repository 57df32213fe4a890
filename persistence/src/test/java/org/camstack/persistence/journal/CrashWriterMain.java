package org.camstack.persistence.journal;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.camstack.persistence.audit.AuditWriter;
import org.camstack.persistence.audit.LifetimeListener;
import org.camstack.persistence.device.DeviceConfig;
import org.camstack.persistence.device.DeviceEntity;

/**
 * The victim of {@link CrashRecoveryTest}: a node that hot-plugs and hot-unplugs one device in a
 * loop on the H2 journal at {@code args[0]}, writing the device's events and the lifetime trail,
 * until it is killed. Prints {@code READY} once a few cycles are in the journal.
 */
public final class CrashWriterMain {
  private CrashWriterMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    String dev = args[1];
    String host = args[2];
    ActorSystem<Void> system =
        ActorSystem.create(
            Behaviors.empty(), "crash", JournalConfig.h2(dir).applyTo(ConfigFactory.load()));
    JournalSchema.createIfNotExists(system).toCompletableFuture().get(30, TimeUnit.SECONDS);
    ActorRef<DeviceEntity.Command> d =
        system.systemActorOf(DeviceEntity.create(dev, 10), "device", Props.empty());
    ActorRef<AuditWriter.Command> writer =
        system.systemActorOf(AuditWriter.create(host), "audit", Props.empty());
    LifetimeListener lj = LifetimeListener.journal(writer);
    lj.stackStarted("boot-1");
    ask(system, d, rt -> new DeviceEntity.Create(DeviceConfig.disk(0, 1, 0, "CR", 1000, 512), rt));
    for (long gen = 1; ; gen++) {
      final long g = gen;
      ask(system, d, DeviceEntity.Plug::new);
      lj.periphRegistered("da", 0, g, dev, "scbus0:1:0");
      lj.devfsNodeCreated("da", 0, g, dev, "da0");
      ask(system, d, rt -> new DeviceEntity.ChangeCapacity(1000 + g, 0, rt));
      ask(system, d, rt -> new DeviceEntity.Unplug("storm", rt));
      lj.periphInvalidated("da", 0, g, dev, "AC_LOST_DEVICE");
      lj.nodeDestroyRequested("da", 0, g, dev, "da0");
      lj.nodeGone("da", 0, g, dev, "da0");
      lj.destructorRun("da", 0, g, dev);
      lj.unitFreed("da", 0, g, dev);
      if (gen == 5) {
        System.out.println("READY");
        System.out.flush();
      }
    }
  }

  private static void ask(
      ActorSystem<Void> system,
      ActorRef<DeviceEntity.Command> d,
      org.apache.pekko.japi.function.Function<
              ActorRef<org.apache.pekko.pattern.StatusReply<org.apache.pekko.Done>>,
              DeviceEntity.Command>
          msg)
      throws Exception {
    AskPattern.askWithStatus(d, msg, Duration.ofSeconds(20), system.scheduler())
        .toCompletableFuture()
        .get(25, TimeUnit.SECONDS);
  }
}
