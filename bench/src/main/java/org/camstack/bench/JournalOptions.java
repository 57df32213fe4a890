package org.camstack.bench;

import java.io.IOException;
import org.camstack.bench.persist.JournalTarget;
import picocli.CommandLine.Option;

/** {@code --journal URL} and its credentials (default: a temporary embedded H2 database). */
final class JournalOptions {
  @Option(names = "--journal", paramLabel = "URL",
      description = "journal database: jdbc:postgresql://... or jdbc:h2:... (default: a temporary embedded H2)")
  String url;

  @Option(names = "--journal-user", paramLabel = "USER", defaultValue = "${env:CAMSTACK_PG_USER}")
  String user;

  @Option(names = "--journal-password", paramLabel = "PASSWORD", defaultValue = "${env:CAMSTACK_PG_PASSWORD}")
  String password;

  JournalTarget open() throws IOException {
    return JournalTarget.open(url, user, password);
  }
}
