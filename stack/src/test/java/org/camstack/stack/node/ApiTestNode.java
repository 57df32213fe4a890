package org.camstack.stack.node;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The rig of the management-API tests ({@code DevicesApiTest}, {@code ManagementRoutesTest}): one
 * real in-process node with the default topology, its H2 journal in a fresh temp dir, the API on a
 * free loopback port behind a bearer token, and the HTTP call those tests make (JSON back).
 */
final class ApiTestNode implements AutoCloseable {
  static final HttpClient HTTP = HttpClient.newHttpClient();

  /** An answer: the status and the JSON body. */
  record Reply(int status, JsonNode json) {}

  final EmulatorNode node;
  final Path data;
  final String token;

  private ApiTestNode(EmulatorNode node, Path data, String token) {
    this.node = node;
    this.data = data;
    this.token = token;
  }

  /** Starts a node whose data dir is a new temp dir named {@code prefix...}, requiring {@code token}. */
  static ApiTestNode start(String prefix, String token) throws Exception {
    Path data = Files.createTempDirectory(prefix);
    NodeSettings s =
        NodeSettings.load(
            Optional.empty(),
            Map.of(
                "camstack.data-dir", data.toString(),
                "camstack.node.port", 0,
                "camstack.node.cluster-port", 0,
                "camstack.node.token", token));
    return new ApiTestNode(EmulatorNode.start(s, new PrintStream(new ByteArrayOutputStream())), data, token);
  }

  /** A request with the node's token. */
  Reply call(String method, String path, String body) throws Exception {
    return call(method, path, body, token, Map.of());
  }

  /**
   * A request with {@code bearer} as the token (null: no Authorization header), a JSON body when
   * {@code body} is not null, and more headers.
   */
  Reply call(String method, String path, String body, String bearer, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.apiUrl() + path)).timeout(Duration.ofSeconds(30));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    headers.forEach(b::header);
    if (body != null) {
      if (!headers.containsKey("Content-Type")) {
        b.header("Content-Type", "application/json");
      }
      b.method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), ManagementRoutes.MAPPER.readTree(r.body()));
  }

  @Override
  public void close() throws Exception {
    node.shutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
