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
 * mapping onto {@link NodeService}. Errors are one-line JSON ({@link ApiModel.Error}): bad input
 * 400, unknown object 404, conflict 409, missing or wrong token 401, not ready 503, timeout 504.
 *
 * <p>When a token is configured every request, {@code /health} included, must carry {@code
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

  private final NodeService service;
  private final Optional<String> token;
  private final long startedAtMillis = System.currentTimeMillis();
  private final Marshaller<Object, RequestEntity> json = Jackson.marshaller(MAPPER);

  /**
   * @param token when present, every request must carry it as a bearer token
   */
  public ManagementRoutes(NodeService service, Optional<String> token) {
    this.service = service;
    this.token = token.filter(t -> !t.isEmpty());
  }

  /** The whole API, sealed: every rejection and exception becomes a JSON response. */
  public Route routes() {
    return handleExceptions(
        exceptionHandler(),
        () -> handleRejections(rejectionHandler(), () -> authorized(this::endpoints)));
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
        pathPrefix("devices", () -> pathPrefix(this::device)),
        pathPrefix("luns", this::luns),
        pathPrefix("devfs", this::devfs),
        pathPrefix("wiring", this::wiring));
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

  private Route devfs() {
    return concat(
        path("open", () -> post(() -> body(ApiModel.Open.class, r -> reply(() -> service.open(r))))),
        pathPrefix(
            h ->
                concat(
                    pathEnd(() -> delete(() -> reply(() -> service.close(number(h, "handle"))))),
                    path("close", () -> post(() -> reply(() -> service.close(number(h, "handle"))))),
                    path("read", () -> post(() -> body(ApiModel.Read.class, r -> reply(() -> service.read(number(h, "handle"), r))))),
                    path("write", () -> post(() -> body(ApiModel.Write.class, r -> reply(() -> service.write(number(h, "handle"), r))))),
                    path("cdb", () -> post(() -> body(ApiModel.Cdb.class, r -> reply(() -> service.cdb(number(h, "handle"), r))))))));
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

  private <T> Route body(Class<T> type, Function<T, Route> inner) {
    Unmarshaller<org.apache.pekko.http.javadsl.model.HttpEntity, T> um = Jackson.unmarshaller(MAPPER, type);
    return entity(um, value -> value == null ? error(400, "missing request body") : inner.apply(value));
  }

  private Route ok(Object value) {
    return complete(StatusCodes.OK, value, json);
  }

  private <T> Route reply(Supplier<CompletionStage<T>> call) {
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
    if (e instanceof IllegalArgumentException) {
      return error(400, oneLine(e.getMessage()));
    }
    if (e instanceof TimeoutException || e.getClass().getSimpleName().contains("Timeout")) {
      return error(504, "the stack did not answer in time");
    }
    LOG.error("management request failed", e);
    return error(500, "internal error: " + oneLine(String.valueOf(e.getMessage())));
  }

  private Route error(int status, String message) {
    return complete(StatusCodes.get(status), new ApiModel.Error(oneLine(message)), json);
  }

  private ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder().matchAny(this::failure).build();
  }

  private RejectionHandler rejectionHandler() {
    return RejectionHandler.defaultHandler().mapRejectionResponse(ManagementRoutes::jsonRejection);
  }

  /** Rewrites pekko-http's plain-text rejection bodies as one-line JSON errors. */
  private static HttpResponse jsonRejection(HttpResponse response) {
    if (response.entity() instanceof org.apache.pekko.http.javadsl.model.HttpEntity.Strict strict
        && !strict.getContentType().equals(ContentTypes.APPLICATION_JSON)) {
      String text = strict.getData().utf8String();
      try {
        byte[] body = MAPPER.writeValueAsBytes(new ApiModel.Error(oneLine(text)));
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
