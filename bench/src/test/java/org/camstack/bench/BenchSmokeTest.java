package org.camstack.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.camstack.persistence.cli.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The harness works and its numbers are sane: short {@code bench io} / {@code sweep} /
 * {@code recovery} runs through the real stack. No speed is asserted (the machine is shared);
 * speed goals live in docs/benchmarks.md.
 */
class BenchSmokeTest {

  @TempDir Path dir;

  private static CliRun bench(String... args) {
    return CliRun.capture(BenchMain::run, args);
  }

  @Test
  void ioRunsTheActorStackAndBothBaselinesWithSaneFigures() throws Exception {
    Path json = dir.resolve("io.json");
    CliRun r = bench("io", "--luns", "2", "--qd", "4", "--store", "ram", "--store-size", "4m", "--read-pct", "70",
        "--duration", "300ms", "--warmup", "100ms", "--quiet", "--json", json.toString());

    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("IOPS") && r.out().contains("kernel-lock"), r.out());
    JsonNode tree = new ObjectMapper().readTree(json.toFile());
    assertEquals(2, tree.at("/config/luns").asInt());
    assertTrue(tree.at("/environment/dispatcher/throughput").asInt() > 0);
    JsonNode results = tree.get("results");
    assertEquals(3, results.size());
    for (JsonNode row : results) {
      String name = row.get("name").asText();
      long ios = row.get("ios").asLong();
      assertTrue(ios > 0, name);
      assertEquals(0, row.get("errors").asLong(), name);
      assertTrue(row.get("iops").asDouble() > 0, name);
      double p50 = row.get("p50us").asDouble();
      double p99 = row.get("p99us").asDouble();
      double max = row.get("maxus").asDouble();
      assertTrue(p50 > 0 && p50 <= p99 && p99 <= max, name + " percentiles " + p50 + " " + p99 + " " + max);
      double bytesPerIo = row.get("mbPerSec").asDouble() * 1e6 / row.get("iops").asDouble();
      assertEquals(4096, bytesPerIo, 1.0, name + " transfers whole blocks");
      assertTrue(row.get("cpuCoresBusy").asDouble() >= 0, name);
    }
    double ratio = tree.at("/results/1/ratio").asDouble();
    assertTrue(ratio > 0 && Double.isFinite(ratio));
  }

  @Test
  void ioThroughTheDaPeriphStrategyPathCompletesEveryRequest() throws Exception {
    Path json = dir.resolve("io-da.json");
    CliRun r = bench("io", "--periph", "da", "--luns", "2", "--qd", "4", "--store", "ram", "--store-size", "2m", "--read-pct", "50",
        "--duration", "300ms", "--warmup", "100ms", "--no-baselines", "--quiet", "--json", json.toString());

    assertEquals(0, r.exit(), r.err());
    JsonNode actor = new ObjectMapper().readTree(json.toFile()).at("/results/0");
    assertEquals("actor", actor.get("name").asText());
    assertTrue(actor.get("ios").asLong() > 0);
    assertEquals(0, actor.get("errors").asLong());
    assertTrue(actor.get("how").asText().contains("da periph"));
  }

  /** LUN pipelines pinned to lanes: the node's lanes, Pekko's affinity pool, every actor on a lane; both paths. */
  @ParameterizedTest
  @CsvSource({"lanes,xpt", "lanes,da", "affinity,xpt", "affinity,da", "pinned-groups,xpt", "pinned-groups,da"})
  void ioRunsOnTheLaneDispatchers(String dispatcher, String periph) throws Exception {
    Path json = dir.resolve("io-" + dispatcher + "-" + periph + ".json");
    CliRun r = bench("io", "--dispatcher", dispatcher, "--periph", periph, "--luns", "3", "--qd", "4", "--store-size", "2m",
        "--read-pct", "50", "--duration", "200ms", "--warmup", "50ms", "--no-baselines", "--quiet", "--json", json.toString());

    assertEquals(0, r.exit(), r.err());
    JsonNode tree = new ObjectMapper().readTree(json.toFile());
    assertTrue(tree.at("/environment/dispatcher/executor").asText().contains("lane"), tree.toString());
    assertTrue(tree.at("/environment/loadAverageAtStart").isNumber(), "the load at the start is recorded");
    JsonNode actor = tree.at("/results/0");
    assertTrue(actor.get("ios").asLong() > 0);
    assertEquals(0, actor.get("errors").asLong());
    assertTrue(actor.get("allocBytesPerIo").asDouble() > 0, "bytes allocated per I/O are reported");
  }

  @Test
  void ioOverAnIscsiBusDrivesTheTargetsDiskThroughDa() throws Exception {
    org.apache.pekko.actor.typed.ActorSystem<Void> sys = org.apache.pekko.actor.typed.ActorSystem.create(
        org.apache.pekko.actor.typed.javadsl.Behaviors.empty(), "bench-smoke-target");
    try {
      org.camstack.stack.target.TargetInventory inventory = new org.camstack.stack.target.TargetInventory();
      java.util.Map<Integer, org.camstack.stack.target.EmuTarget> bus = new java.util.concurrent.ConcurrentHashMap<>();
      bus.put(0, new org.camstack.stack.target.EmuTarget(0, java.util.List.of(org.camstack.stack.target.EmuDevices.create(
          org.camstack.stack.target.LunSpec.disk(0, 8192, 512), null))));
      inventory.publish(0, bus);
      org.camstack.stack.target.iscsi.IscsiPortal portal = org.camstack.stack.target.iscsi.IscsiPortal.start(sys, "127.0.0.1", 0,
          org.camstack.stack.target.iscsi.PortalConfig.defaults("smoke"), inventory).toCompletableFuture()
          .get(10, java.util.concurrent.TimeUnit.SECONDS);
      String url = "iscsi://127.0.0.1:" + portal.port() + "/" + org.camstack.stack.target.iscsi.TargetNames.name("smoke", 0, 0);
      Path json = dir.resolve("io-iscsi.json");
      CliRun r = bench("io", "--periph", "da", "--iscsi", url, "--qd", "4", "--read-pct", "50",
          "--duration", "300ms", "--warmup", "100ms", "--no-baselines", "--quiet", "--json", json.toString());

      assertEquals(0, r.exit(), r.err());
      JsonNode row = new ObjectMapper().readTree(json.toFile()).at("/results/0");
      assertEquals("camstack-da-over-iscsi", row.get("name").asText());
      assertTrue(row.get("ios").asLong() > 0);
      assertEquals(0, row.get("errors").asLong());
      assertTrue(row.get("how").asText().contains("iSCSI initiator SIM"));
      CliRun noDa = bench("io", "--iscsi", url, "--quiet");
      assertEquals(2, noDa.exit(), noDa.both());
    } finally {
      sys.terminate();
      sys.getWhenTerminated().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  @Test
  void sweepWritesTheChartAndOneRowPerStackAndPoint() throws Exception {
    Path svg = dir.resolve("sweep.svg");
    Path json = dir.resolve("sweep.json");
    CliRun r = bench("sweep", "--luns-list", "1,2", "--qd-list", "1,4", "--store", "null", "--store-size", "1m",
        "--duration", "200ms", "--warmup", "50ms", "--quiet", "--svg", svg.toString(), "--json", json.toString());

    assertEquals(0, r.exit(), r.err());
    assertEquals(12, new ObjectMapper().readTree(json.toFile()).get("results").size());
    String chart = Files.readString(svg);
    assertTrue(chart.startsWith("<svg") && chart.contains("kernel-lock") && chart.trim().endsWith("</svg>"));
  }

  @Test
  void lifecycleSaysWhatACycleCostsInEventsJournalWritesMessagesAndActors() throws Exception {
    Path json = dir.resolve("lifecycle.json");
    CliRun r = bench("lifecycle", "--slots", "2", "--duration", "300ms", "--warmup", "100ms", "--repeat", "2", "--count-messages",
        "--quiet", "--json", json.toString());

    assertEquals(0, r.exit(), r.err());
    JsonNode results = new ObjectMapper().readTree(json.toFile()).at("/results");
    assertEquals(2, results.size(), "one row per measured run: " + results);
    assertTrue(r.out().contains("(median of 2 runs)"), r.out());
    JsonNode row = results.get(0);
    assertEquals(0, row.get("dropped").asLong(), "no lifetime event may be dropped at this rate: " + row);
    assertTrue(row.has("jitMillis"), row::toString);
    assertTrue(row.get("cycles").asLong() > 0, row::toString);
    // pass + da: 13 lifetime events each, 7 of them journaled (docs/benchmarks.md, Lifecycle)
    assertEquals(26.0, row.get("eventsPerCycle").asDouble(), 1e-9, row::toString);
    assertEquals(14.0, row.get("persistedPerCycle").asDouble(), 1e-9, row::toString);
    // one XptDevice, two probes (plug and pull), the pass and da periphs: nothing else is spawned
    assertEquals(5.0, row.get("actorsPerCycle").asDouble(), 1e-9, row::toString);
    assertTrue(row.get("messagesPerCycle").asDouble() > 0, row::toString);
    assertTrue(row.get("journalWritesPerCycle").asDouble() <= 14.0, row::toString);
  }

  @Test
  void recoveryBringsBackEveryDeviceFromAnH2Journal() throws Exception {
    Path json = dir.resolve("recovery.json");
    CliRun r = bench("recovery", "--devices", "40", "--quiet", "--json", json.toString());

    assertEquals(0, r.exit(), r.err());
    JsonNode row = new ObjectMapper().readTree(json.toFile()).at("/results/0");
    assertEquals(40, row.get("recovered").asLong());
    assertEquals(160, row.get("eventsWritten").asLong());
    assertTrue(row.get("recoverSeconds").asDouble() > 0);
    assertEquals(40, row.get("bulkRecovered").asLong(), "the bulk read finds every device configured and plugged");
    assertEquals(2, row.get("bulkQueries").asLong(), "two queries for up to 1,000 devices");
  }

  @Test
  void badOptionsGetOneLineAndExitCode2() {
    CliRun r = bench("io", "--pattern", "zigzag");

    assertEquals(2, r.exit());
    assertEquals("camstack bench io: --pattern must be rand or seq (try ./camstack bench io --help)", r.err().trim());
    CliRun unknown = bench("io", "--frobnicate");
    assertEquals(2, unknown.exit());
    assertEquals(1, unknown.err().lines().count(), unknown.err());
    assertEquals(2, bench().exit(), "no sub-command is bad usage");
    CliRun iscsi = bench("iscsi", "--qd", "0");
    assertEquals(2, iscsi.exit());
    assertTrue(iscsi.err().startsWith("camstack bench iscsi: --qd, --blocks, --duration and --repeat must be >= 1"), iscsi.err());
    assertEquals(2, bench("iscsi", "--no-tgt", "--no-camstack").exit(), "nothing left to measure");
    CliRun failover = bench("failover", "--journal", "jdbc:h2:mem:x");
    assertEquals(2, failover.exit());
    assertTrue(failover.err().startsWith("camstack bench failover: --journal jdbc:postgresql://... (or $CAMSTACK_PG_URL) is required"), failover.err());
  }

  @ParameterizedTest(name = "bench {0} --help")
  @ValueSource(strings = {"", "io", "sweep", "lifecycle", "recovery", "jmh", "iscsi", "failover"})
  void everyBenchCommandAnswersHelpAndVersionWithExitZero(String verb) {
    String[] help = verb.isEmpty() ? new String[] {"--help"} : new String[] {verb, "--help"};
    CliRun r = bench(help);
    assertEquals(0, r.exit(), r::both);
    assertTrue(r.out().startsWith(("Usage: camstack bench " + verb).strip()), r.out());
    String[] version = verb.isEmpty() ? new String[] {"-V"} : new String[] {verb, "-V"};
    CliRun v = bench(version);
    assertEquals(0, v.exit(), v::both);
    assertTrue(v.out().matches("camstack \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? .*\\n"), v.out());
  }
}
