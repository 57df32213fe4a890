package org.camstack.stack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.camstack.persistence.cli.Cli;
import org.camstack.persistence.cli.CliRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where {@code ctl} takes the API token from: {@code --token}, {@code --token-file} (only when
 * nobody but its owner can read it) or {@code $CAMSTACK_TOKEN}; checked against a real loopback
 * HTTP server that records the Authorization header it receives.
 */
class CtlTokenTest {

  @TempDir Path dir;

  private HttpServer server;
  private final List<String> authorizations = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/health",
        exchange -> {
          authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
          byte[] body = "{\"status\":\"ok\",\"node\":\"n1\",\"uptimeMillis\":1}".getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  private String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private Path tokenFile(String perms, String content) throws IOException {
    Path f = dir.resolve("token-" + perms);
    Files.writeString(f, content);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
    return f;
  }

  @Test
  void aTokenFileOnlyItsOwnerCanReadIsSentAsBearerToken() throws IOException {
    Path f = tokenFile("rw-------", "s3cret\n");
    CliRun r = CliRun.capture(CtlCommand::run, "--node", url(), "--token-file", f.toString(), "health");
    assertEquals(0, r.exit(), r::both);
    assertEquals("ok n1\n", r.out());
    assertEquals(List.of("Bearer s3cret"), authorizations);
  }

  @Test
  void aTokenFileOthersCanReadIsRefusedBeforeAnyRequest() throws IOException {
    Path f = tokenFile("rw-r--r--", "s3cret\n");
    CliRun r = CliRun.capture(CtlCommand::run, "--node", url(), "--token-file", f.toString(), "health");
    assertEquals(2, r.exit(), r::both);
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().contains("token file " + f + " is accessible by others (mode rw-r--r--); chmod 600 it"), r.err());
    assertEquals(List.of(), authorizations, "nothing may be sent with a token others can read");
    assertThrows(Cli.UsageException.class, () -> CtlCommand.readTokenFile(tokenFile("rw--w----", "x")));
    assertEquals("x", CtlCommand.readTokenFile(tokenFile("r--------", "x")));
  }

  @Test
  void theTokenOptionIsSentAndNoTokenMeansNoHeader() {
    assertEquals(0, CliRun.capture(CtlCommand::run, "--node", url(), "--token", "t1", "health").exit());
    assertEquals(0, CliRun.capture(CtlCommand::run, "--node", url(), "health").exit());
    String env = System.getenv(CtlCommand.TOKEN_ENV);
    assertEquals(List.of("Bearer t1", env == null || env.isBlank() ? "null" : "Bearer " + env), authorizations);
  }

  @Test
  void tokenSourcesInOrderOptionThenFileThenEnvironment() throws IOException {
    Path f = tokenFile("rw-------", "from-file\nsecond line ignored\n");
    assertEquals(Optional.of("opt"), CtlCommand.resolveToken("opt", null, "env"));
    assertEquals(Optional.of("from-file"), CtlCommand.resolveToken(null, f, "env"));
    assertEquals(Optional.of("env"), CtlCommand.resolveToken(null, null, "env"));
    assertEquals(Optional.empty(), CtlCommand.resolveToken(null, null, " "));
    assertThrows(Cli.UsageException.class, () -> CtlCommand.resolveToken("opt", f, null));
    assertThrows(Cli.UsageException.class, () -> CtlCommand.readTokenFile(tokenFile("rw-------", "\n")));
    assertThrows(Cli.UsageException.class, () -> CtlCommand.readTokenFile(dir.resolve("missing")));
  }
}
