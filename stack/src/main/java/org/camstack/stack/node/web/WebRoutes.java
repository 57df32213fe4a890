package org.camstack.stack.node.web;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.camstack.persistence.inspect.TimelineQuery;
import org.camstack.persistence.journal.JournalConfig;
import org.camstack.stack.node.ApiException;
import org.camstack.stack.node.ManagementRoutes;

/**
 * The node's web page over HTTP, mounted by {@link ManagementRoutes}: the page itself ({@code
 * GET /} and the static assets under {@code /web/}, from the jar's {@code web/} resources; no
 * token needed, the page asks for one when the API wants it) and its API under {@code /api/web/}
 * (behind the token like every API call):
 *
 * <ul>
 *   <li>{@code GET /api/web/events}: server-sent events ({@link WebFeed#events()}): {@code hello},
 *       {@code tree}, {@code cluster}, {@code step}, {@code io}.
 *   <li>{@code GET /api/web/timeline?device=WWN}: {@code journal timeline WWN} as JSON ({@link
 *       TimelineQuery.Timeline}); 404 when the journal knows nothing of the device.
 * </ul>
 *
 * Every action the page offers goes through the ordinary API endpoints (docs/operations.md).
 */
public final class WebRoutes extends AllDirectives {
  private static final Pattern DEVICE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

  /** What the page's responses carry: nothing from elsewhere, no framing, no sniffing. */
  private static final List<HttpHeader> PAGE_HEADERS =
      List.of(
          RawHeader.create(
              "Content-Security-Policy",
              "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'"),
          RawHeader.create("X-Content-Type-Options", "nosniff"),
          RawHeader.create("Referrer-Policy", "no-referrer"),
          RawHeader.create("Cache-Control", "no-cache"));

  private final WebFeed feed;
  private final JournalConfig journal;
  private final Executor blocking;

  public WebRoutes(ActorSystem<?> system, WebFeed feed, JournalConfig journal) {
    this.feed = feed;
    this.journal = journal;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
  }

  /** {@code GET /}, {@code GET /web/...}: the page (no token). */
  public Route page() {
    return get(
        () ->
            respondWithHeaders(
                PAGE_HEADERS,
                () ->
                    concat(
                        pathSingleSlash(() -> getFromResource("web/index.html")),
                        path("index.html", () -> getFromResource("web/index.html")),
                        pathPrefix("web", () -> getFromResourceDirectory("web")))));
  }

  /** {@code /api/web/...} (behind the API's token). */
  public Route api() {
    return concat(
        path("events", () -> get(() -> completeOK(feed.events(), EventStreamMarshalling.toEventStream()))),
        path("timeline", () -> get(() -> parameter("device", this::timeline))));
  }

  private Route timeline(String device) {
    if (!DEVICE.matcher(device).matches()) {
      throw ApiException.badRequest("bad device '" + ManagementRoutes.detail(device) + "': a WWN such as naa.5000c50000000001");
    }
    CompletableFuture<TimelineQuery.Timeline> t =
        CompletableFuture.supplyAsync(
            () -> {
              TimelineQuery.Timeline r;
              try {
                r = TimelineQuery.load(journal.url(), journal.user(), journal.password(), device);
              } catch (IllegalStateException e) {
                throw ApiException.unavailable("journal: " + e.getMessage());
              }
              if (r.steps().isEmpty()) {
                throw ApiException.notFound("the journal has no events for device " + device);
              }
              return r;
            },
            blocking);
    return onSuccess(t, r -> complete(StatusCodes.OK, r, Jackson.marshaller(ManagementRoutes.MAPPER)));
  }
}
