package org.camstack.stack.node.web;

import static org.camstack.stack.durable.DurableJournal.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.pekko.cluster.typed.Cluster;
import org.camstack.stack.durable.DurableJournal;
import org.camstack.stack.node.ClusterProcesses;
import org.camstack.stack.node.EmulatorNode;
import org.camstack.stack.node.web.WebApiProcessTest.Event;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The page's cluster view on the event stream ({@code cluster} events and the cluster lane's
 * steps), in one JVM: a lone node with one clustered LUN (embedded H2 journal) reports itself its
 * owner, active/optimized, with an {@code owner} step on the LUN's path; with PostgreSQL (as CI),
 * two nodes: a planned move to B shows up on A's stream as an {@code owner moved} step and a view
 * with B active/optimized, and B's end as a member step and a {@code failover} back to A.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WebClusterEventsTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static EmulatorNode start(String tag, Path shared, String wwn, List<String> seeds, boolean postgres) throws IOException {
    return ClusterProcesses.startInJvm("web-" + tag, shared, wwn, seeds, postgres);
  }


  private static String self(EmulatorNode n) {
    return Cluster.get(n.system()).selfMember().address().toString();
  }

  /** The node's event stream (loopback: no token). */
  private static HttpResponse<Stream<String>> events(EmulatorNode n) throws Exception {
    HttpResponse<Stream<String>> r =
        HTTP.send(HttpRequest.newBuilder(URI.create(n.apiUrl() + "/api/web/events")).GET().build(), HttpResponse.BodyHandlers.ofLines());
    assertEquals(200, r.statusCode());
    return r;
  }

  /** Reads events until one matches (within {@link #WAIT}); returns it, with every event read in {@code seen}. */
  private static Event until(Iterator<String> lines, List<Event> seen, Predicate<Event> p) throws Exception {
    try {
      return untilOrTimeout(lines, seen, p);
    } catch (java.util.concurrent.TimeoutException e) {
      List<String> tail = new ArrayList<>();
      synchronized (seen) {
        for (Event x : seen.subList(Math.max(0, seen.size() - 8), seen.size())) {
          tail.add(x.type() + " " + x.data());
        }
      }
      throw new AssertionError("no such event within " + WAIT + "; the last ones: " + String.join("\n", tail));
    }
  }

  private static Event untilOrTimeout(Iterator<String> lines, List<Event> seen, Predicate<Event> p) throws Exception {
    return CompletableFuture.supplyAsync(
            () -> {
              try {
                for (;;) {
                  Event e = WebApiProcessTest.next(lines);
                  synchronized (seen) {
                    seen.add(e);
                  }
                  if (p.test(e)) {
                    return e;
                  }
                }
              } catch (Exception ex) {
                throw new IllegalStateException(ex);
              }
            })
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /** {@code POST /api/cluster/luns/WWN/move?to=HOST:PORT} on {@code api}'s node. */
  private static void move(EmulatorNode api, String wwn, EmulatorNode to) throws Exception {
    HttpResponse<String> mv =
        HTTP.send(HttpRequest.newBuilder(URI.create(api.apiUrl() + "/api/cluster/luns/" + wwn + "/move?to=127.0.0.1:" + to.clusterPort()))
            .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, mv.statusCode(), mv.body());
  }

  /** The first event from index {@code from} on that matches, already read or to come. */
  private static Event after(Iterator<String> lines, List<Event> seen, int from, Predicate<Event> p) throws Exception {
    synchronized (seen) {
      for (Event e : seen.subList(from, seen.size())) {
        if (p.test(e)) {
          return e;
        }
      }
    }
    return until(lines, seen, p);
  }

  private static Predicate<Event> step(String name, String detailContains) {
    return e -> e.type().equals("step") && e.data().get("lane").asText().equals("cluster") && e.data().get("step").asText().equals(name)
        && e.data().get("detail").asText().contains(detailContains);
  }

  /** A {@code cluster} event whose LUN {@code wwn} is owned by {@code owner}, active/optimized there. */
  private static Predicate<Event> ownedBy(String wwn, String owner) {
    return e -> {
      if (!e.type().equals("cluster")) {
        return false;
      }
      for (JsonNode l : e.data().get("luns")) {
        if (l.get("wwn").asText().equals(wwn) && l.get("owner").asText().equals(owner)
            && l.get("states").path(owner).asText().equals("active/optimized")) {
          return true;
        }
      }
      return false;
    };
  }

  @Test
  void aLoneNodeOwnsItsClusteredLun() throws Exception {
    Path shared = Files.createTempDirectory("camstack-webcluster-shared");
    String wwn = DurableJournal.wwn(0xd1);
    EmulatorNode a = start("lone", shared, wwn, List.of(), false);
    try {
      HttpResponse<Stream<String>> stream = events(a);
      try {
        Iterator<String> lines = stream.body().iterator();
        List<Event> seen = new ArrayList<>();
        Event first = until(lines, seen, e -> e.type().equals("cluster"));
        assertEquals(List.of("hello", "tree", "cluster"), seen.stream().map(Event::type).toList());
        assertEquals(self(a), first.data().get("self").asText());
        assertTrue(!first.data().get("single").asBoolean(), "a node with a clustered LUN is not 'single': " + first.data());
        Event owned = first.data().get("luns").toString().contains("active/optimized") ? first : until(lines, seen, ownedBy(wwn, self(a)));
        assertTrue(ownedBy(wwn, self(a)).test(owned), owned.data().toString());
        JsonNode lun = owned.data().get("luns").get(0);
        assertEquals("1:0:0", lun.get("path").asText());
        assertEquals(List.of(wwn), List.of(owned.data().get("members").get(0).get("lunsOwned").get(0).asText()));
        // the owner's step: in the hello's recent steps when it came before the page, else live
        boolean inHello = seen.get(0).data().get("steps").toString().contains("\"lane\":\"cluster\",\"step\":\"owner\"");
        if (!inHello) {
          until(lines, seen, step("owner", wwn + " to " + self(a)));
        }
      } finally {
        stream.body().close();
      }
    } finally {
      await(a.shutdown(), Duration.ofSeconds(60));
    }
  }

  @Test
  @EnabledIfEnvironmentVariable(named = DurableJournal.PG_URL, matches = "jdbc:postgresql:.*")
  void aMoveAndAFailoverOnTheStream() throws Exception {
    Path shared = Files.createTempDirectory("camstack-webcluster-shared");
    String wwn = DurableJournal.wwn(0xd2);
    List<EmulatorNode> nodes = new ArrayList<>();
    try {
      EmulatorNode a = start("a", shared, wwn, List.of(), true);
      nodes.add(a);
      EmulatorNode b = start("b", shared, wwn, List.of("127.0.0.1:" + a.clusterPort()), true);
      nodes.add(b);
      HttpResponse<Stream<String>> stream = events(a);
      try {
        Iterator<String> lines = stream.body().iterator();
        List<Event> seen = new ArrayList<>();
        Event ready = until(lines, seen, e -> e.type().equals("cluster") && e.data().get("members").size() == 2
            && e.data().get("members").findValues("status").stream().allMatch(s -> s.asText().equals("Up"))
            && e.data().get("luns").get(0).get("owner").asText().length() > 0);

        if (ready.data().get("luns").get(0).get("owner").asText().equals(self(b))) { // placed on B at first: to A, then back
          int mark = seen.size();
          move(a, wwn, a);
          after(lines, seen, mark, step("owner moved", "from " + self(b) + " to " + self(a)));
        }
        int mark = seen.size();
        move(a, wwn, b);
        Event last = after(lines, seen, mark, ownedBy(wwn, self(b)));
        assertEquals("active/non-optimized", last.data().get("luns").get(0).get("states").get(self(a)).asText(), last.data().toString());
        after(lines, seen, mark, step("owner moved", "from " + self(a) + " to " + self(b)));

        String gone = self(b);
        nodes.remove(b);
        int before = seen.size();
        DurableJournal.crash(b.system());
        after(lines, seen, before, step("failover", "from " + gone + " to " + self(a)));
        after(lines, seen, before, e -> step("member removed", gone).test(e) || step("member down", gone).test(e));
        after(lines, seen, before, e -> ownedBy(wwn, self(a)).test(e) && e.data().get("members").size() == 1);
      } finally {
        stream.body().close();
      }
    } finally {
      for (int i = nodes.size() - 1; i >= 0; i--) {
        await(nodes.get(i).shutdown(), Duration.ofSeconds(60));
      }
    }
  }
}
