package org.camstack.stack.node;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain loopback socket, one request per connection: every header as given (Host,
 * Origin, Content-Type included), so the tests can send what a browser or a hostile client would.
 */
final class RawHttp {
  private RawHttp() {}

  record Reply(int status, Map<String, String> headers, String body) {
    JsonNode json() {
      try {
        return ManagementRoutes.MAPPER.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON (" + status + "): " + body.substring(0, Math.min(200, body.length())));
      }
    }

    boolean isJson() {
      return headers.getOrDefault("content-type", "").startsWith("application/json");
    }

    String error() {
      JsonNode e = json().get("error");
      return e == null ? null : e.asText();
    }
  }

  /**
   * @param headers extra headers; a {@code Host} here replaces the default {@code 127.0.0.1:port}
   * @param body sent with Content-Length (null = no body)
   */
  static Reply send(int port, String method, String target, Map<String, String> headers, byte[] body) throws IOException {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Host", "127.0.0.1:" + port);
    h.putAll(headers);
    h.put("Connection", "close");
    if (body != null) {
      h.put("Content-Length", String.valueOf(body.length));
    }
    StringBuilder head = new StringBuilder(method + " " + target + " HTTP/1.1\r\n");
    h.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    head.append("\r\n");
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      if (body != null) {
        try {
          out.write(body);
        } catch (IOException e) {
          // the server may answer (413) and close before reading a large body
        }
      }
      out.flush();
      return read(s.getInputStream());
    }
  }

  static Reply send(int port, String method, String target, Map<String, String> headers, String body) throws IOException {
    return send(port, method, target, headers, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
  }

  /** A JSON request from 127.0.0.1 as the ctl client sends it. */
  static Reply json(int port, String method, String target, String body) throws IOException {
    return send(port, method, target, body == null ? Map.of() : Map.of("Content-Type", "application/json"), body);
  }

  private static Reply read(InputStream in) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    byte[] b = new byte[8192];
    int n;
    try {
      while ((n = in.read(b)) > 0) {
        buf.write(b, 0, n);
      }
    } catch (java.net.SocketException e) {
      // reset after the answer (the server closed with unread body bytes): keep what arrived
    }
    String all = buf.toString(StandardCharsets.ISO_8859_1);
    int end = all.indexOf("\r\n\r\n");
    if (end < 0) {
      throw new IOException("no HTTP answer: '" + all + "'");
    }
    String[] lines = all.substring(0, end).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int c = lines[i].indexOf(':');
      headers.put(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT), lines[i].substring(c + 1).trim());
    }
    byte[] raw = all.substring(end + 4).getBytes(StandardCharsets.ISO_8859_1);
    return new Reply(status, headers, new String(raw, StandardCharsets.UTF_8));
  }
}
