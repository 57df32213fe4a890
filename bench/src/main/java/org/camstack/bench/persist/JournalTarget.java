package org.camstack.bench.persist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.camstack.persistence.journal.JournalConfig;

/**
 * The journal a persistence benchmark writes to: a fresh embedded H2 database in a temporary
 * directory (deleted afterwards), or the PostgreSQL / H2 database at {@code --journal URL} (kept;
 * the benchmark uses fresh persistence ids each run).
 */
public final class JournalTarget implements AutoCloseable {
  private final JournalConfig config;
  private final Path tempDir;

  private JournalTarget(JournalConfig config, Path tempDir) {
    this.config = config;
    this.tempDir = tempDir;
  }

  /**
   * @param url null or empty for a temporary H2 database
   * @throws IllegalArgumentException for an unsupported URL
   */
  public static JournalTarget open(String url, String user, String password) throws IOException {
    if (url == null || url.isBlank()) {
      Path dir = Files.createTempDirectory("camstack-bench-journal");
      return new JournalTarget(JournalConfig.h2(dir), dir);
    }
    return new JournalTarget(JournalConfig.jdbc(url, user, password), null);
  }

  public JournalConfig config() {
    return config;
  }

  /** {@code h2 (temporary)} or the kind and URL. */
  public String describe() {
    return tempDir != null ? "H2 embedded (temporary " + tempDir + ")" : config.toString();
  }

  public String kind() {
    return config.kind().name().toLowerCase(java.util.Locale.ROOT);
  }

  @Override
  public void close() throws IOException {
    if (tempDir == null) {
      return;
    }
    try (Stream<Path> s = Files.walk(tempDir)) {
      for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}
