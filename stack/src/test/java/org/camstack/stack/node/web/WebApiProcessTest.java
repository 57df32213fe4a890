package org.camstack.stack.node.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.camstack.stack.node.ManagementRoutes;
import org.camstack.stack.node.NodeProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web page's HTTP side without a browser, on a real node process with a token: the page and
 * its assets load without the token (the page asks for it), {@code /api/web/*} wants it; the event
 * stream opens with {@code hello}, {@code tree} and {@code cluster} (a single node: one member Up,
 * no clustered LUN), then carries a hot-unplug's steps in the
 * protocol's order, XPT first; the journal timeline of the pulled device comes back as JSON.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WebApiProcessTest {
  private static final ActorTestKit TESTKIT = ActorTestKit.create();
  private static final TestProbe<Void> PROBE = TESTKIT.createTestProbe();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final String TOKEN = "web-test-token";

  @TempDir Path tmp;

  @AfterAll
  static void shutdownTestKit() {
    TESTKIT.shutdownTestKit();
  }

  private static HttpResponse<String> get(String url, boolean token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).GET();
    if (token) {
      b.header("Authorization", "Bearer " + TOKEN);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** One SSE event: its type and its JSON data. */
  record Event(String type, JsonNode data) {}

  /** Reads the next event from an SSE line stream (heartbeats skipped). */
  static Event next(Iterator<String> lines) throws Exception {
    String type = "message";
    StringBuilder data = new StringBuilder();
    while (lines.hasNext()) {
      String l = lines.next();
      if (l.isEmpty()) {
        if (data.length() > 0) {
          return new Event(type, ManagementRoutes.MAPPER.readTree(data.toString()));
        }
        type = "message";
      } else if (l.startsWith("event:")) {
        type = l.substring(6).trim();
      } else if (l.startsWith("data:")) {
        data.append(l.substring(5).strip());
      }
    }
    throw new AssertionError("the event stream ended");
  }

  @Test
  void pageWithoutTokenApiWithItStreamAndJournalTimeline() throws Exception {
    try (NodeProcess node = NodeProcess.start(PROBE, tmp.resolve("data"), "webapi", "--iscsi-port", "off", "--token", TOKEN)) {
      String url = node.awaitReady();

      HttpResponse<String> page = get(url + "/", false);
      assertEquals(200, page.statusCode());
      assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
      assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'self'"));
      assertTrue(page.body().contains("/web/app.js"));
      assertEquals(200, get(url + "/web/app.js", false).statusCode());
      assertEquals(401, get(url + "/api/web/events", false).statusCode(), "the stream wants the token");
      assertEquals(401, get(url + "/api/web/timeline?device=x", false).statusCode());
      assertEquals(400, get(url + "/api/web/timeline?device=%2A%2A", true).statusCode(), "a device key is a WWN");

      HttpRequest sse =
          HttpRequest.newBuilder(URI.create(url + "/api/web/events")).header("Authorization", "Bearer " + TOKEN).GET().build();
      HttpResponse<Stream<String>> stream = HTTP.send(sse, HttpResponse.BodyHandlers.ofLines());
      assertEquals(200, stream.statusCode());
      assertTrue(stream.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
      Iterator<String> lines = stream.body().iterator();
      try {
        Event hello = next(lines);
        assertEquals("hello", hello.type());
        assertTrue(hello.data().get("periphs").toString().contains("\"name\":\"da0\""), "da0 among the periphs");
        Event tree = next(lines);
        assertEquals("tree", tree.type());
        assertTrue(tree.data().get("devlist").toString().contains("\"path\":\"0:0:0\""));
        Event cluster = next(lines);
        assertEquals("cluster", cluster.type(), "the cluster view follows the tree");
        assertTrue(cluster.data().get("single").asBoolean(), "one member, no clustered LUN: " + cluster.data());
        assertEquals(1, cluster.data().get("members").size(), cluster.data().toString());
        JsonNode me = cluster.data().get("members").get(0);
        assertEquals(cluster.data().get("self").asText(), me.get("address").asText());
        assertTrue(me.get("self").asBoolean() && me.get("reachable").asBoolean(), me.toString());
        assertEquals("Up", me.get("status").asText());
        assertEquals(0, cluster.data().get("luns").size());

        assertEquals(200, HTTP.send(HttpRequest.newBuilder(URI.create(url + "/api/luns/0:0:0"))
            .header("Authorization", "Bearer " + TOKEN).DELETE().build(), HttpResponse.BodyHandlers.ofString()).statusCode());

        // the teardown, read within a bound (a reader thread: the line iterator blocks)
        CompletableFuture<List<String>> teardown =
            CompletableFuture.supplyAsync(
                () -> {
                  List<String> seen = new ArrayList<>();
                  try {
                    while (!seen.contains("unit freed da0")) {
                      Event e = next(lines);
                      if (e.type().equals("step")) {
                        String inc = e.data().get("incarnation").asText();
                        String step = e.data().get("step").asText();
                        if (step.equals("AC_LOST_DEVICE") && e.data().get("path").asText().equals("0:0:0")) {
                          seen.add("AC_LOST_DEVICE");
                        } else if (inc.startsWith("da0#")) {
                          seen.add(step + " da0");
                          if (step.equals("invalidate")) {
                            seen.add("deviceId " + e.data().get("deviceId").asText());
                          }
                        }
                      }
                    }
                  } catch (Exception ex) {
                    throw new IllegalStateException(ex);
                  }
                  return seen;
                });
        List<String> seen = teardown.get(30, TimeUnit.SECONDS);
        String deviceId = seen.stream().filter(s -> s.startsWith("deviceId ")).findFirst().orElseThrow().substring(9);
        List<String> steps = seen.stream().filter(s -> !s.startsWith("deviceId ")).toList();
        assertEquals(
            List.of("invalidate da0", "destroy_dev_sched_cb da0", "dev-gone callback da0", "destructor da0", "unit freed da0"),
            steps.stream().filter(s -> s.endsWith(" da0")).toList(),
            "da0's teardown in the protocol's order: " + steps);
        assertEquals("AC_LOST_DEVICE", steps.get(0), "the XPT's AC_LOST_DEVICE before any periph step: " + steps);
        assertEquals(1, steps.stream().filter(s -> s.equals("AC_LOST_DEVICE")).count(), "drawn once: " + steps);

        // the same device from the journal (the audit writer commits in batches: wait for it)
        PROBE.awaitAssert(
            Duration.ofSeconds(20),
            () -> {
              try {
                HttpResponse<String> t = get(url + "/api/web/timeline?device=" + deviceId, true);
                assertEquals(200, t.statusCode(), t.body());
                JsonNode j = ManagementRoutes.MAPPER.readTree(t.body());
                assertEquals(deviceId, j.get("device").asText());
                List<String> events = new ArrayList<>();
                j.get("steps").forEach(s -> {
                  if (s.get("periph").asText().startsWith("da0#")) {
                    events.add(s.get("event").asText());
                  }
                });
                assertTrue(events.containsAll(List.of("PeriphRegistered", "PeriphInvalidated", "NodeDestroyRequested", "NodeGone", "DestructorRun", "UnitFreed")), events.toString());
                assertTrue(events.indexOf("PeriphInvalidated") < events.indexOf("UnitFreed"), events.toString());
              } catch (Exception e) {
                throw new AssertionError(e);
              }
              return null;
            });
        assertEquals(404, get(url + "/api/web/timeline?device=naa.0000000000000000", true).statusCode());
      } finally {
        stream.body().close();
      }
    }
  }
}
