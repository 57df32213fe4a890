package org.camstack.stack.node;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.marshalling.Marshaller;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.util.Try;

/**
 * The management API of a node (pekko-http Java DSL): JSON over HTTP, every endpoint a thin
 * mapping onto {@link NodeService}. Errors are one-line JSON ({@link ApiModel.Error}, long echoes
 * truncated): bad input 400, token missing or wrong 401, foreign Host or Origin 403, unknown object
 * 404, conflict 409, body or transfer too large 413, body not JSON 415, value beyond a limit 422,
 * quota spent 429, not ready 503, timeout 504.
 *
 * <p>Browser safety, before anything else: the {@code Host} header must name a loopback address,
 * the bind address or an allowed host (DNS rebinding); a state-changing request (POST, PUT, DELETE,
 * PATCH) must not come from another origin ({@code Origin}, {@code Sec-Fetch-Site}) and its body,
 * if any, must be {@code application/json} (a form or {@code text/plain} POST cannot be forged).
 * When a token is configured every request, {@code /health} included, must carry {@code
 * Authorization: Bearer <token>}. The endpoint list is in docs/operations.md.
 */
public final class ManagementRoutes extends AllDirectives {
  private static final Logger LOG = LoggerFactory.getLogger(ManagementRoutes.class);

  /** The mapper used by both ends (the node and {@code camstack ctl}). */
  public static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .build();

  /** Longest error message: an echoed 100 KB name is cut here. */
  static final int MAX_ERROR_LENGTH = 400;

  private static final java.util.Set<String> LOOPBACK_NAMES = java.util.Set.of("localhost", "127.0.0.1", "::1", "[::1]");
  private static final java.util.Set<String> UNSAFE_METHODS = java.util.Set.of("POST", "PUT", "DELETE", "PATCH");

  private final NodeService service;
  private final Optional<String> token;
  /** Host names a request may name besides loopback ones; empty set and {@code anyHost} false = loopback only. */
  private final java.util.Set<String> allowedHosts;
  private final boolean anyHost;
  private final long startedAtMillis = System.currentTimeMillis();
  private final Marshaller<Object, RequestEntity> json = Jackson.marshaller(MAPPER);
  private volatile org.camstack.stack.node.web.WebRoutes web; // the web page, when the node serves one

  /** Serves the web page ({@code /}, {@code /web/}, {@code /api/web/}) from {@code page}. */
  public ManagementRoutes withWeb(org.camstack.stack.node.web.WebRoutes page) {
    this.web = page;
    return this;
  }

  /**
   * @param token when present, every request must carry it as a bearer token
   */
  public ManagementRoutes(NodeService service, Optional<String> token) {
    this(service, token, "127.0.0.1", java.util.List.of());
  }

  /**
   * @param bind the address the API is bound to: its name is an allowed {@code Host}; a wildcard
   *     bind (0.0.0.0, ::) with a token accepts any {@code Host} (the token stops rebinding)
   * @param allowedHosts further {@code Host} names to accept ({@code camstack.node.allowed-hosts})
   */
  public ManagementRoutes(NodeService service, Optional<String> token, String bind, java.util.List<String> allowedHosts) {
    this.service = service;
    this.token = token.filter(t -> !t.isEmpty());
    java.util.Set<String> hosts = new java.util.HashSet<>();
    for (String h : allowedHosts) {
      hosts.add(h.toLowerCase(java.util.Locale.ROOT));
    }
    String b = bind.toLowerCase(java.util.Locale.ROOT);
    boolean wildcard = b.equals("0.0.0.0") || b.equals("::") || b.equals("[::]");
    if (!wildcard) {
      hosts.add(b);
      hosts.add(b.contains(":") && !b.startsWith("[") ? "[" + b + "]" : b);
    }
    this.allowedHosts = java.util.Set.copyOf(hosts);
    this.anyHost = wildcard && this.token.isPresent();
  }

  /** The whole API, sealed: every rejection and exception becomes a JSON response. */
  public Route routes() {
    return withRequestTimeoutResponse(
        req -> jsonResponse(504, "the request took longer than the node's request timeout"),
        () ->
            handleExceptions(
                exceptionHandler(),
                () -> handleRejections(rejectionHandler(), () -> browserSafe(() -> concat(webPage(), authorized(this::endpoints))))));
  }

  private Route webPage() {
    return web == null ? reject() : web.page();
  }

  private Route endpoints() {
    return concat(
        path("health", () -> get(() -> ok(new ApiModel.Health("ok", service.nodeName(), uptime())))),
        path("ready", this::ready),
        pathPrefix("api", this::api));
  }

  private Route ready() {
    return get(
        () ->
            service.ready()
                ? ok(new ApiModel.Ready(true, "first scan finished"))
                : complete(StatusCodes.SERVICE_UNAVAILABLE, new ApiModel.Ready(false, "scanning"), json));
  }

  private Route api() {
    return concat(
        path("topology", () -> get(() -> reply(service::topology))),
        path("devlist", () -> get(() -> reply(service::devlist))),
        path("rescan", () -> post(() -> parameterOptional("path", p -> reply(() -> service.rescan(p.orElse("all")))))),
        path("reset", () -> post(() -> parameterOptional("path", p -> reply(() -> service.reset(p.orElse("all")))))),
        path("stats", () -> get(() -> reply(service::stats))),
        path("ports", () -> get(() -> reply(service::ports))),
        pathPrefix("iscsi", () -> pathPrefix("sessions", () -> concat(
            pathEnd(() -> get(() -> reply(service::iscsiSessions))),
            pathPrefix(s -> path("logout", () -> post(() -> reply(() -> service.iscsiLogout(s)))))))),
        pathPrefix("iscsi", () -> pathPrefix("initiator", () -> IscsiInitiatorApi.routes(this, service))),
        pathPrefix("devices", () -> pathPrefix(this::device)),
        pathPrefix("luns", this::luns),
        pathPrefix("devfs", this::devfs),
        pathPrefix("cd", () -> pathPrefix(this::cd)),
        pathPrefix("wiring", this::wiring),
        pathPrefix("tape", () -> TapeApi.tapeRoutes(service, this)), pathPrefix("changer", () -> TapeApi.changerRoutes(service, this)),
        pathPrefix("web", () -> web == null ? reject() : web.api()),
        pathPrefix("smp", () -> SmpApi.routes(service, this)),
        pathPrefix("targ", () -> TargApi.routes(service, this)),
        pathPrefix("cluster", () -> service.cluster().map(c -> c.routes(s -> reply(s::get))).orElseGet(() -> error(404, "this node has no cluster views"))));
  }

  private Route device(String dev) {
    return concat(
        path("periphs", () -> get(() -> reply(() -> service.periphlist(dev)))),
        path("inquiry", () -> get(() -> reply(() -> service.inquiry(dev)))),
        path("readcap", () -> get(() -> reply(() -> service.readcap(dev)))),
        path("tur", () -> concat(get(() -> reply(() -> service.tur(dev))), post(() -> reply(() -> service.tur(dev))))),
        path("start", () -> post(() -> reply(() -> service.startStop(dev, true, false)))),
        path("load", () -> post(() -> reply(() -> service.startStop(dev, true, true)))),
        path("stop", () -> post(() -> reply(() -> service.startStop(dev, false, false)))),
        path("eject", () -> post(() -> reply(() -> service.startStop(dev, false, true)))),
        path("delay", () -> concat(put(() -> body(ApiModel.Delay.class, d -> reply(() -> service.delay(dev, d)))),
            post(() -> body(ApiModel.Delay.class, d -> reply(() -> service.delay(dev, d)))))),
        pathPrefix(
            "faults",
            () ->
                concat(
                    pathEnd(
                        () ->
                            concat(
                                get(() -> reply(() -> service.faults(dev))),
                                post(() -> body(ApiModel.FaultRule.class, r -> reply(() -> service.faultAdd(dev, r)))))),
                    path(id -> delete(() -> reply(() -> service.faultDelete(dev, id)))))));
  }

  private Route luns() {
    return concat(
        pathEnd(
            () ->
                concat(
                    get(() -> reply(service::topology)),
                    post(() -> body(ApiModel.LunAdd.class, r -> reply(() -> service.lunAdd(r)))))),
        pathPrefix(
            path ->
                concat(
                    pathEnd(() -> delete(() -> reply(() -> service.lunRemove(path)))),
                    path("resize", () -> post(() -> body(ApiModel.LunResize.class, r -> reply(() -> service.lunResize(path, r))))))));
  }

  /** The emulated CD/DVD drive's front panel (DevicesApi). */
  private Route cd(String dev) {
    return concat(
        pathEnd(() -> get(() -> reply(() -> service.cdStatus(dev)))),
        path("load", () -> post(() -> body(DevicesApi.CdLoad.class, r -> reply(() -> service.cdLoad(dev, r))))),
        path("eject", () -> post(() -> reply(() -> service.cdEject(dev)))));
  }

  private Route devfs() {
    return concat(
        path("open", () -> post(() -> client(c -> body(ApiModel.Open.class, r -> reply(() -> service.open(c, r)))))),
        pathPrefix(
            h ->
                concat(
                    pathEnd(() -> delete(() -> reply(() -> service.close(number(h, "handle"))))),
                    path("close", () -> post(() -> reply(() -> service.close(number(h, "handle"))))),
                    path("read", () -> post(() -> body(ApiModel.Read.class, r -> reply(() -> service.read(number(h, "handle"), r))))),
                    path("write", () -> post(() -> body(ApiModel.Write.class, r -> reply(() -> service.write(number(h, "handle"), r))))),
                    path("cdb", () -> post(() -> body(ApiModel.Cdb.class, r -> reply(() -> service.cdb(number(h, "handle"), r))))),
                    path("sgio", () -> post(() -> body(DevicesApi.SgIoRequest.class, r -> reply(() -> service.sgio(number(h, "handle"), r))))))));
  }

  private Route wiring() {
    return concat(
        pathEnd(
            () ->
                concat(
                    get(() -> reply(service::wiring)),
                    post(() -> body(ApiModel.Wire.class, r -> reply(() -> service.wire(r)))))),
        pathPrefix(driver -> path(unit -> delete(() -> reply(() -> service.unwire(driver, (int) number(unit, "unit")))))));
  }

  // ------------------------------------------------------------------ plumbing

  private long uptime() {
    return System.currentTimeMillis() - startedAtMillis;
  }

  /** The caller's IP address (from the connection, never from a header a client could forge). */
  private Route client(Function<String, Route> inner) {
    return extractRequest(
        req ->
            inner.apply(
                req.getAttribute(org.apache.pekko.http.javadsl.model.AttributeKeys.remoteAddress)
                    .flatMap(a -> a.getAddress())
                    .map(java.net.InetAddress::getHostAddress)
                    .orElse("unknown")));
  }

  /**
   * The browser checks: Host (DNS rebinding), then for state-changing requests Origin, Sec-Fetch-Site
   * and the body's content type (CSRF). 403 or 415 JSON when one fails.
   */
  private Route browserSafe(Supplier<Route> inner) {
    return extractRequest(
        req -> {
          String host = req.getHeader("Host").map(h -> h.value()).orElse("");
          if (!hostAllowed(host)) {
            return error(403, "Host '" + host + "' is not this node (use 127.0.0.1 or localhost, or list the name in camstack.node.allowed-hosts)");
          }
          String method = req.method().value();
          if (UNSAFE_METHODS.contains(method)) {
            Optional<String> origin = req.getHeader("Origin").map(h -> h.value());
            if (origin.isPresent() && !sameOrigin(origin.get(), host)) {
              return error(403, "cross-origin " + method + " refused (Origin " + origin.get() + ")");
            }
            Optional<String> site = req.getHeader("Sec-Fetch-Site").map(h -> h.value().toLowerCase(java.util.Locale.ROOT));
            if (site.isPresent() && !site.get().equals("same-origin") && !site.get().equals("none")) {
              return error(403, "cross-site " + method + " refused (Sec-Fetch-Site " + site.get() + ")");
            }
            org.apache.pekko.http.javadsl.model.RequestEntity e = req.entity();
            boolean empty = e.isKnownEmpty() || e.getContentLengthOption().orElse(-1L) == 0L;
            boolean json = e.getContentType().mediaType().equals(org.apache.pekko.http.javadsl.model.MediaTypes.APPLICATION_JSON);
            boolean none =
                empty && (e.getContentType().equals(ContentTypes.APPLICATION_OCTET_STREAM) || e.getContentType().equals(ContentTypes.NO_CONTENT_TYPE));
            if (!json && !none) {
              return error(415, method + " needs Content-Type: application/json (got " + e.getContentType() + ")");
            }
          }
          return inner.get();
        });
  }

  /** Host header: loopback, the bind address or an allowed name, with any port. */
  boolean hostAllowed(String hostHeader) {
    if (anyHost) {
      return true;
    }
    String h = hostOnly(hostHeader);
    return !h.isEmpty() && (LOOPBACK_NAMES.contains(h) || allowedHosts.contains(h));
  }

  /** {@code example.com:8080} &rarr; {@code example.com}; {@code [::1]:8080} &rarr; {@code [::1]}. */
  static String hostOnly(String hostHeader) {
    String h = hostHeader.trim().toLowerCase(java.util.Locale.ROOT);
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end < 0 ? "" : h.substring(0, end + 1);
    }
    int colon = h.indexOf(':');
    return colon < 0 ? h : h.substring(0, colon);
  }

  /** Origin {@code http://HOST[:PORT]} naming exactly the host and port the request was sent to. */
  private boolean sameOrigin(String origin, String hostHeader) {
    String o = origin.trim().toLowerCase(java.util.Locale.ROOT);
    String prefix = o.startsWith("http://") ? "http://" : o.startsWith("https://") ? "https://" : null;
    if (prefix == null) {
      return false; // "null" (sandboxed page, file:) and anything else
    }
    String authority = o.substring(prefix.length());
    return authority.equals(hostHeader.trim().toLowerCase(java.util.Locale.ROOT)) && hostAllowed(authority);
  }

  private Route authorized(Supplier<Route> inner) {
    if (token.isEmpty()) {
      return inner.get();
    }
    byte[] expected = ("Bearer " + token.get()).getBytes(StandardCharsets.UTF_8);
    return optionalHeaderValueByName(
        "Authorization",
        header -> {
          byte[] given = header.orElse("").getBytes(StandardCharsets.UTF_8);
          if (MessageDigest.isEqual(expected, given)) {
            return inner.get();
          }
          return respondWithHeader(
              RawHeader.create("WWW-Authenticate", "Bearer realm=\"camstack\""),
              () ->
                  complete(
                      StatusCodes.UNAUTHORIZED,
                      new ApiModel.Error(header.isPresent() ? "wrong bearer token" : "missing bearer token"),
                      json));
        });
  }

  <T> Route body(Class<T> type, Function<T, Route> inner) {
    Unmarshaller<org.apache.pekko.http.javadsl.model.HttpEntity, T> um = Jackson.unmarshaller(MAPPER, type);
    return entity(um, value -> value == null ? error(400, "missing request body") : inner.apply(value));
  }

  private Route ok(Object value) {
    return complete(StatusCodes.OK, value, json);
  }

  <T> Route reply(Supplier<CompletionStage<T>> call) {
    return onComplete(() -> invoke(call), (Try<T> t) -> t.isSuccess() ? ok(t.get()) : failure(t.failed().get()));
  }

  private static <T> CompletionStage<T> invoke(Supplier<CompletionStage<T>> call) {
    try {
      return call.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private Route failure(Throwable t) {
    Throwable e = unwrap(t);
    if (e instanceof ApiException api) {
      return error(api.status(), api.getMessage());
    }
    if (e instanceof org.apache.pekko.http.scaladsl.model.EntityStreamSizeException size) {
      return error(413, "request body larger than the node takes (" + size.limit() + " bytes, camstack.node.limits.max-body)");
    }
    if (e instanceof IllegalArgumentException) {
      return error(400, e.getMessage());
    }
    if (e instanceof TimeoutException || e.getClass().getSimpleName().contains("Timeout")) {
      return error(504, "the stack did not answer in time");
    }
    LOG.error("management request failed", e);
    return error(500, "internal error: " + e.getClass().getSimpleName() + ": " + e.getMessage());
  }

  private Route error(int status, String message) {
    return complete(StatusCodes.get(status), new ApiModel.Error(detail(message)), json);
  }

  private static HttpResponse jsonResponse(int status, String message) {
    try {
      byte[] body = MAPPER.writeValueAsBytes(new ApiModel.Error(detail(message)));
      return HttpResponse.create()
          .withStatus(StatusCodes.get(status))
          .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, ByteString.fromArray(body)));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder().matchAny(this::failure).build();
  }

  private RejectionHandler rejectionHandler() {
    return RejectionHandler.newBuilder()
        .handle(
            org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection.class,
            r ->
                r.getCause() instanceof org.apache.pekko.http.scaladsl.model.EntityStreamSizeException size
                    ? error(413, "request body larger than the node takes (" + size.limit() + " bytes, camstack.node.limits.max-body)")
                    : error(400, "malformed request body: " + malformedDetail(r.getCause())))
        .build()
        .withFallback(RejectionHandler.defaultHandler())
        .mapRejectionResponse(ManagementRoutes::jsonRejection);
  }

  /** Jackson's own words (what and where), without the echo of the source it appends. */
  private static String malformedDetail(Throwable cause) {
    Throwable c = cause;
    while (c.getCause() != null && !(c instanceof com.fasterxml.jackson.core.JsonProcessingException)) {
      c = c.getCause();
    }
    if (c instanceof com.fasterxml.jackson.core.JsonProcessingException j) {
      com.fasterxml.jackson.core.JsonLocation at = j.getLocation();
      return j.getOriginalMessage() + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")");
    }
    return String.valueOf(c.getMessage());
  }

  /** Rewrites pekko-http's plain-text rejection bodies as one-line JSON errors. */
  private static HttpResponse jsonRejection(HttpResponse response) {
    if (response.entity() instanceof org.apache.pekko.http.javadsl.model.HttpEntity.Strict strict
        && !strict.getContentType().equals(ContentTypes.APPLICATION_JSON)) {
      String text = strict.getData().utf8String();
      try {
        byte[] body = MAPPER.writeValueAsBytes(new ApiModel.Error(detail(text)));
        return response.withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, ByteString.fromArray(body)));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        return response;
      }
    }
    return response;
  }

  static long number(String text, String what) {
    try {
      long v = Long.parseLong(text);
      if (v < 0) {
        throw ApiException.badRequest("bad " + what + " '" + text + "': must not be negative");
      }
      return v;
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("bad " + what + " '" + text + "': not a number");
    }
  }

  private static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  /**
   * The whole message on one line (line breaks become "; "), cut to {@link #MAX_ERROR_LENGTH}
   * characters: every detail a client needs, never a 100 KB echo of its own input.
   */
  public static String detail(String message) {
    if (message == null || message.isBlank()) {
      return "error";
    }
    String s = message.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ").replaceAll("[\\p{Cntrl}]", " ");
    if (s.length() > MAX_ERROR_LENGTH) {
      s = s.substring(0, MAX_ERROR_LENGTH) + "... (" + (s.length() - MAX_ERROR_LENGTH) + " more characters)";
    }
    return s;
  }

  /** First line of a message, trimmed: the API never answers multi-line errors. */
  public static String oneLine(String message) {
    if (message == null || message.isBlank()) {
      return "error";
    }
    String s = message.strip();
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl).strip();
  }
}
