package org.camstack.persistence.journal;

import java.nio.file.Path;
import java.util.List;

/** The JDBC suite on the embedded H2 journal: a fresh file database under target/h2. */
class H2JournalTest extends JdbcJournalSuite {

  private final Path dataDir = JournalTestSupport.freshH2Dir("H2JournalTest");
  private final JournalConfig journal = JournalConfig.h2(dataDir);

  @Override
  JournalConfig journal() {
    return journal;
  }

  @Override
  List<String> dbArgs() {
    return List.of("--db", dataDir.toString());
  }

  @Override
  int minAuditRate() {
    return 20_000;
  }
}
