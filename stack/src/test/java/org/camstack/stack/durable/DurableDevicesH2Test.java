package org.camstack.stack.durable;

import org.camstack.persistence.journal.JournalConfig;

/** The durable-device suite on the embedded H2 journal: a fresh file database under target/h2. */
class DurableDevicesH2Test extends DurableDevicesJdbcSuite {

  private final JournalConfig journal = DurableJournal.freshH2("DurableDevicesH2Test");

  @Override
  JournalConfig journal() {
    return journal;
  }
}
