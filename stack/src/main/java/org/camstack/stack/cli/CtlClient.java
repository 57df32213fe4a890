package org.camstack.stack.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.camstack.persistence.cli.Cli;
import org.camstack.stack.node.ApiModel;
import org.camstack.stack.node.ManagementRoutes;

/**
 * A blocking HTTP client of the management API for {@code camstack ctl} (java.net.http: no
 * ActorSystem, so a ctl call starts fast). Every failure is a {@link CtlException} with the one
 * line ctl prints.
 */
final class CtlClient {

  /** A failure ctl reports as one line and exit 1. */
  static final class CtlException extends Cli.Failure {
    private static final long serialVersionUID = 1L;

    private final int httpStatus;

    CtlException(String message, int httpStatus) {
      super(CtlCommand.WHO, message);
      this.httpStatus = httpStatus;
    }

    int httpStatus() {
      return httpStatus;
    }
  }

  /** A decoded answer and the raw JSON (for {@code --json}). */
  record Reply<T>(T value, String json) {}

  private final String base;
  private final Optional<String> token;
  private final HttpClient http;
  private final Duration timeout;

  CtlClient(String base, Optional<String> token, Duration timeout) {
    this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    this.token = token.filter(t -> !t.isBlank());
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
  }

  String base() {
    return base;
  }

  <T> Reply<T> get(String path, Class<T> type) {
    return send("GET", path, null, type);
  }

  <T> Reply<T> post(String path, Object body, Class<T> type) {
    return send("POST", path, body, type);
  }

  <T> Reply<T> delete(String path, Class<T> type) {
    return send("DELETE", path, null, type);
  }

  static String enc(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private <T> Reply<T> send(String method, String path, Object body, Class<T> type) {
    HttpRequest.Builder rb;
    try {
      rb = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout);
    } catch (IllegalArgumentException e) {
      throw new CtlException("bad node URL '" + base + "'", 0);
    }
    rb.header("Accept", "application/json");
    token.ifPresent(t -> rb.header("Authorization", "Bearer " + t));
    if (body != null) {
      try {
        rb.header("Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofByteArray(ManagementRoutes.MAPPER.writeValueAsBytes(body)));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("cannot encode request: " + e.getMessage());
      }
    } else {
      rb.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> resp;
    try {
      resp = http.send(rb.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (HttpConnectTimeoutException | ConnectException e) {
      throw unreachable();
    } catch (HttpTimeoutException e) {
      throw new CtlException("node at " + base + " did not answer within " + timeout.toSeconds() + "s", 0);
    } catch (IOException e) {
      throw unreachable();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CtlException("interrupted", 0);
    }
    String text = resp.body();
    if (resp.statusCode() == 204) {
      return new Reply<>(null, "null"); // nothing to report (e.g. no ATIO came within the wait)
    }
    if (resp.statusCode() / 100 != 2) {
      throw new CtlException(errorText(resp.statusCode(), text), resp.statusCode());
    }
    try {
      return new Reply<>(ManagementRoutes.MAPPER.readValue(text, type), text);
    } catch (JsonProcessingException e) {
      throw new CtlException("unexpected answer from " + base + path + ": " + ManagementRoutes.oneLine(e.getMessage()), resp.statusCode());
    }
  }

  private CtlException unreachable() {
    return new CtlException("cannot reach node at " + base, 0);
  }

  private static String errorText(int status, String body) {
    try {
      JsonNode n = ManagementRoutes.MAPPER.readTree(body);
      if (n != null && n.hasNonNull("error")) {
        return n.get("error").asText();
      }
    } catch (JsonProcessingException e) {
      // not JSON: fall through
    }
    return "HTTP " + status + (body == null || body.isBlank() ? "" : ": " + ManagementRoutes.oneLine(body));
  }

  /** Pretty-prints a JSON answer for {@code --json}. */
  static String pretty(String json) {
    try {
      return ManagementRoutes.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(ManagementRoutes.MAPPER.readTree(json)) + "\n";
    } catch (JsonProcessingException e) {
      return json + "\n";
    }
  }

  /** Probe used by tests and scripts: true when {@code /health} answers. */
  boolean healthy() {
    try {
      return get("/health", ApiModel.Health.class).value().status().equals("ok");
    } catch (CtlException e) {
      return false;
    }
  }
}
