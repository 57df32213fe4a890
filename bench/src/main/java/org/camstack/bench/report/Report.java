package org.camstack.bench.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.camstack.persistence.cli.TextTable;

/**
 * Everything one {@code bench} command measured: the exact configuration, the environment, one row
 * per measured configuration (raw numbers, as written to {@code --json}) and free-text notes. The
 * text table is derived from the rows through {@link Column}s, so the JSON always holds every
 * figure, formatted or not.
 */
public final class Report {

  /**
   * One measured configuration.
   *
   * @param name short label shown in the first column ({@code actor}, {@code direct-1t}, ...)
   * @param values figures by key, in insertion order; numbers stay raw
   */
  public record Row(String name, Map<String, Object> values) {
    public Row {
      values = new LinkedHashMap<>(values);
    }

    public Object get(String key) {
      return values.get(key);
    }

    public double number(String key) {
      Object v = values.get(key);
      return v instanceof Number n ? n.doubleValue() : Double.NaN;
    }
  }

  private final String command;
  private final Map<String, Object> config = new LinkedHashMap<>();
  private final Map<String, Object> environment = new LinkedHashMap<>();
  private final List<Row> rows = new ArrayList<>();
  private final Map<String, Object> summary = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();
  private final List<Column> columns = new ArrayList<>();

  public Report(String command) {
    this.command = command;
  }

  public String command() {
    return command;
  }

  public Report config(String key, Object value) {
    config.put(key, value);
    return this;
  }

  public Report environment(Map<String, Object> env) {
    environment.putAll(env);
    return this;
  }

  public Report columns(List<Column> cols) {
    columns.clear();
    columns.addAll(cols);
    return this;
  }

  public Row add(String name, Map<String, Object> values) {
    Row r = new Row(name, values);
    rows.add(r);
    return r;
  }

  public Report summary(String key, Object value) {
    summary.put(key, value);
    return this;
  }

  public Report note(String text) {
    notes.add(text);
    return this;
  }

  public List<Row> rows() {
    return List.copyOf(rows);
  }

  public Map<String, Object> summary() {
    return Map.copyOf(summary);
  }

  public Map<String, Object> config() {
    return Map.copyOf(config);
  }

  public List<String> notes() {
    return List.copyOf(notes);
  }

  /** The whole report as an ordered tree (what {@code --json} writes). */
  public Map<String, Object> toTree() {
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("command", command);
    tree.put("config", config);
    tree.put("environment", environment);
    List<Map<String, Object>> rs = new ArrayList<>();
    for (Row r : rows) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", r.name());
      m.putAll(r.values());
      rs.add(m);
    }
    tree.put("results", rs);
    tree.put("summary", summary);
    tree.put("notes", notes);
    return tree;
  }

  public void writeJson(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(file.toFile(), toTree());
  }

  /** Prints the aligned table, the summary lines and the notes. */
  public void printTable(PrintStream out) {
    List<Column> cols = columns.isEmpty() ? defaultColumns() : columns;
    List<String[]> cells = new ArrayList<>();
    String[] header = new String[cols.size() + 1];
    header[0] = "config";
    for (int i = 0; i < cols.size(); i++) {
      header[i + 1] = cols.get(i).header();
    }
    cells.add(header);
    for (Row r : rows) {
      String[] line = new String[cols.size() + 1];
      line[0] = r.name();
      for (int i = 0; i < cols.size(); i++) {
        line[i + 1] = cols.get(i).format(r.get(cols.get(i).key()));
      }
      cells.add(line);
    }
    TextTable table = new TextTable(cells.get(0)).rightAlignedAfterFirst().withRule().nullAs("-");
    for (String[] line : cells.subList(1, cells.size())) {
      table.add((Object[]) line);
    }
    table.print(out);
    if (!summary.isEmpty()) {
      out.println();
      int w = summary.keySet().stream().mapToInt(String::length).max().orElse(0);
      for (Map.Entry<String, Object> e : summary.entrySet()) {
        out.printf("%-" + w + "s  %s%n", e.getKey(), Column.formatAny(e.getValue()));
      }
    }
    if (!notes.isEmpty()) {
      out.println();
      for (String n : notes) {
        out.println("note: " + n);
      }
    }
  }

  private List<Column> defaultColumns() {
    LinkedHashMap<String, Column> cols = new LinkedHashMap<>();
    for (Row r : rows) {
      for (String k : r.values().keySet()) {
        cols.putIfAbsent(k, Column.of(k, k));
      }
    }
    return new ArrayList<>(cols.values());
  }
}
