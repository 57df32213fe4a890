package org.camstack.persistence.inspect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * A journal row decoded as a JSON tree, without the event classes: the name comes from the
 * manifest, the fields from the payload. A row that is not JSON (another serializer, corrupt
 * bytes) keeps {@code fields == null} and an {@code error}; it is shown raw.
 */
record DecodedEvent(JournalRow row, String name, int version, JsonNode fields, String error) {

  /** Pekko's jackson-json serializer id. */
  static final int JACKSON_JSON = 31;

  private static final ObjectMapper JSON = new ObjectMapper();

  static DecodedEvent decode(JournalRow row) {
    String name = simpleName(row.manifest());
    int version = version(row.manifest());
    if (row.serializerId() != JACKSON_JSON) {
      return new DecodedEvent(row, name, version, null, "serializer " + row.serializerId() + " is not JSON");
    }
    try {
      byte[] bytes = row.payload();
      if (bytes.length > 2 && (bytes[0] & 0xff) == 0x1f && (bytes[1] & 0xff) == 0x8b) {
        try (var in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
          bytes = in.readAllBytes(); // payloads over the compression threshold are gzipped
        }
      }
      JsonNode tree = JSON.readTree(bytes);
      if (tree == null || !tree.isObject()) {
        return new DecodedEvent(row, name, version, null, "payload is not a JSON object");
      }
      return new DecodedEvent(row, name, version, tree, null);
    } catch (IOException e) {
      return new DecodedEvent(row, name, version, null, "corrupt payload: " + firstLine(e.getMessage()));
    }
  }

  boolean ok() {
    return fields != null;
  }

  /** A text field, or {@code ""}. */
  String text(String field) {
    JsonNode n = fields == null ? null : fields.get(field);
    return n == null || n.isNull() ? "" : n.asText();
  }

  /** A number field, or {@code dflt}. */
  long number(String field, long dflt) {
    JsonNode n = fields == null ? null : fields.get(field);
    return n == null || !n.canConvertToLong() ? dflt : n.asLong();
  }

  /** {@code k=v} pairs of the fields, skipping {@code omit}; or the raw payload if undecodable. */
  String fieldsText(Set<String> omit) {
    if (fields == null) {
      return raw();
    }
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, JsonNode> f : fields.properties()) {
      if (omit.contains(f.getKey())) {
        continue;
      }
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append(f.getKey()).append('=').append(valueText(f.getValue()));
    }
    return sb.toString();
  }

  /** The event name column: the class's simple name, or a marker for undecodable rows. */
  String label() {
    return fields == null ? "<undecodable " + name + ">" : name;
  }

  /** The undecodable payload: the error and the bytes, printable ASCII kept, others as \xNN. */
  String raw() {
    StringBuilder sb = new StringBuilder();
    sb.append("error=\"").append(error).append("\" manifest=").append(row.manifest());
    sb.append(" ser=").append(row.serializerId()).append(" raw=\"");
    byte[] p = row.payload();
    int n = Math.min(p.length, 96);
    for (int i = 0; i < n; i++) {
      int b = p[i] & 0xff;
      if (b >= 0x20 && b < 0x7f && b != '"' && b != '\\') {
        sb.append((char) b);
      } else {
        sb.append(String.format("\\x%02x", b));
      }
    }
    if (p.length > n) {
      sb.append("...(").append(p.length).append(" bytes)");
    }
    return sb.append('"').toString();
  }

  /** The payload as a JSON object node for export, or null. */
  ObjectNode object() {
    return fields instanceof ObjectNode o ? o : null;
  }

  static String valueText(JsonNode v) {
    if (v.isTextual()) {
      String s = v.asText();
      return s.isEmpty() || s.chars().anyMatch(c -> c == ' ' || c == '"' || c == '=')
          ? v.toString()
          : s;
    }
    return v.toString();
  }

  /** {@code org.x.DeviceEntity$DeviceCreated#2} → {@code DeviceCreated}. */
  static String simpleName(String manifest) {
    String m = manifest == null ? "" : manifest;
    int hash = m.indexOf('#');
    if (hash >= 0) {
      m = m.substring(0, hash);
    }
    int cut = Math.max(m.lastIndexOf('$'), m.lastIndexOf('.'));
    return cut >= 0 ? m.substring(cut + 1) : m;
  }

  /** The schema version in a manifest ({@code #N}), 1 without. */
  static int version(String manifest) {
    int hash = manifest == null ? -1 : manifest.indexOf('#');
    if (hash < 0) {
      return 1;
    }
    try {
      return Integer.parseInt(manifest.substring(hash + 1));
    } catch (NumberFormatException e) {
      return 1;
    }
  }

  static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).trim();
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
