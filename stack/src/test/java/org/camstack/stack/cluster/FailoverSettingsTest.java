package org.camstack.stack.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.camstack.stack.node.NodeSettings;
import org.junit.jupiter.api.Test;

/**
 * The failover settings of {@code camstack.cluster} (docs/cluster.md "Settings") reach Pekko's
 * cluster, resolver and sharding keys; {@code down-removal-margin = auto} leaves Pekko's default
 * (the resolver's stable-after).
 */
class FailoverSettingsTest {

  private static Config system(Map<String, Object> overrides) {
    return NodeSettings.load(Optional.empty(), overrides).systemConfig();
  }

  @Test
  void defaultsFailOverWithinTheFloor() {
    Config c = system(Map.of());
    assertEquals(Duration.ofMillis(500), c.getDuration("pekko.cluster.failure-detector.heartbeat-interval"));
    assertEquals(Duration.ofMillis(2500), c.getDuration("pekko.cluster.failure-detector.acceptable-heartbeat-pause"));
    assertEquals(Duration.ofSeconds(2), c.getDuration("pekko.cluster.split-brain-resolver.stable-after"));
    assertEquals(Duration.ofSeconds(1), c.getDuration("pekko.cluster.down-removal-margin"));
    assertEquals(Duration.ofMillis(250), c.getDuration("pekko.cluster.gossip-interval"));
    assertEquals(Duration.ofMillis(250), c.getDuration("pekko.cluster.leader-actions-interval"));
    assertEquals(Duration.ofMillis(200), c.getDuration("pekko.cluster.sharding.retry-interval"));
    assertEquals(true, c.getBoolean("camstack.cluster.crash-detector"));
    assertEquals(false, system(Map.of("camstack.cluster.crash-detector", "off")).getBoolean("camstack.cluster.crash-detector"));
  }

  @Test
  void theFastProfileOfTheBenchReachesPekko() {
    Config c =
        system(Map.of(
            "camstack.cluster.heartbeat-interval", "500ms",
            "camstack.cluster.acceptable-heartbeat-pause", "1500ms",
            "camstack.cluster.stable-after", "1s",
            "camstack.cluster.down-removal-margin", "500ms",
            "camstack.cluster.shard-retry-interval", "100ms"));
    assertEquals(Duration.ofMillis(500), c.getDuration("pekko.cluster.failure-detector.heartbeat-interval"));
    assertEquals(Duration.ofMillis(1500), c.getDuration("pekko.cluster.failure-detector.acceptable-heartbeat-pause"));
    assertEquals(Duration.ofSeconds(1), c.getDuration("pekko.cluster.split-brain-resolver.stable-after"));
    assertEquals(Duration.ofMillis(500), c.getDuration("pekko.cluster.down-removal-margin"));
    assertEquals(Duration.ofMillis(100), c.getDuration("pekko.cluster.sharding.retry-interval"));
  }
}
