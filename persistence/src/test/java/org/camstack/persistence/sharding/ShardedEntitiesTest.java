package org.camstack.persistence.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.camstack.persistence.audit.AuditWriter;
import org.camstack.persistence.audit.LifetimeAudit;
import org.camstack.persistence.audit.LifetimeListener;
import org.camstack.persistence.device.DeviceConfig;
import org.camstack.persistence.device.DeviceEntity;
import org.camstack.persistence.wiring.HostWiringEntity;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The entities under Cluster Sharding on a one-node cluster (entity type + stable id), with every
 * message serialized ({@code serialize-messages = on}) so the CBOR bindings of commands and replies
 * are exercised as if they crossed nodes.
 */
@ExtendWith(LogCapturingExtension.class)
class ShardedEntitiesTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create(
          "ShardedEntitiesTest",
          ConfigFactory.parseString(
                  """
                  pekko.actor.provider = cluster
                  pekko.actor.serialize-messages = on
                  pekko.remote.artery.canonical.hostname = "127.0.0.1"
                  pekko.remote.artery.canonical.port = 0
                  pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                  pekko.coordinated-shutdown.exit-jvm = off
                  """)
              .withFallback(PersistenceTestKitPlugin.config())
              .withFallback(PersistenceTestKitSnapshotPlugin.config())
              .withFallback(ConfigFactory.load()));

  private static final Duration ASK = Duration.ofSeconds(15);

  @BeforeAll
  static void joinSelf() {
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    testKit
        .createTestProbe()
        .awaitAssert(
            Duration.ofSeconds(15),
            () -> {
              assertEquals(MemberStatus.up(), cluster.selfMember().status());
              return null;
            });
    DeviceEntity.init(testKit.system());
    HostWiringEntity.init(testKit.system());
    LifetimeAudit.init(testKit.system());
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static <T> T get(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  @Test
  void aDeviceIsReachedThroughItsStableIdentity() throws Exception {
    var ref = DeviceEntity.entityRef(testKit.system(), "naa.5000c50000000abc");
    Done created =
        get(ref.askWithStatus(
            rt -> new DeviceEntity.Create(DeviceConfig.disk(0, 1, 0, "SH", 100, 512), rt), ASK));
    assertEquals(Done.getInstance(), created);
    get(ref.<Done>askWithStatus(DeviceEntity.Plug::new, ASK));
    DeviceEntity.State state = get(ref.askWithStatus(DeviceEntity.Get::new, ASK));
    var configured = assertInstanceOf(DeviceEntity.Configured.class, state);
    assertTrue(configured.plugged());
    assertEquals("CamDevice", ref.getTypeKey().name());
    assertEquals("naa.5000c50000000abc", ref.getEntityId());
  }

  @Test
  void errorRepliesCrossTheWireToo() throws Exception {
    var ref = DeviceEntity.entityRef(testKit.system(), "naa.5000c50000000def");
    var failed =
        ref.<Done>askWithStatus(DeviceEntity.Plug::new, ASK).toCompletableFuture();
    var e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> failed.get(20, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("device not created"), e.toString());
  }

  @Test
  void wiringIsShardedByHost() throws Exception {
    var ref = HostWiringEntity.entityRef(testKit.system(), "sharded-host");
    int unit =
        get(ref.askWithStatus(
            rt -> new HostWiringEntity.AssignUnit("naa.5000c50000000abc", "da", Set.of(0), rt), ASK));
    assertEquals(1, unit);
    HostWiringEntity.UnitLookup lookup =
        get(ref.askWithStatus(rt -> new HostWiringEntity.GetUnit("naa.5000c50000000abc", "da", rt), ASK));
    assertTrue(lookup.wired());
    assertEquals(1, lookup.unit());
  }

  @Test
  void theAuditWriterCanFrontAShardedTrail() {
    var audit = LifetimeAudit.entityRef(testKit.system(), "sharded-audit");
    ActorRef<AuditWriter.Command> writer =
        testKit.spawn(
            AuditWriter.create(audit, AuditWriter.Settings.from(testKit.system().settings().config())));
    LifetimeListener lj = LifetimeListener.journal(writer);
    lj.stackStarted("boot");
    lj.periphRegistered("da", 0, 1, "naa.5000c50000000abc", "scbus0:1:0");
    TestProbe<StatusReply<Long>> flushed = testKit.createTestProbe();
    writer.tell(new AuditWriter.Flush(flushed.getRef()));
    StatusReply<Long> r = flushed.receiveMessage(Duration.ofSeconds(20));
    assertEquals(2L, r.getValue());
  }
}
