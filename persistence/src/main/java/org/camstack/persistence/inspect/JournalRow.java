package org.camstack.persistence.inspect;

/**
 * One row of the {@code event_journal} table, as stored.
 *
 * @param ordering the global ordering column (total order of writes across entities)
 * @param persistenceId {@code <EntityType>|<entityId>}
 * @param seqNr the entity's sequence number
 * @param writeTimestamp when the journal wrote it, epoch milliseconds (0 if unknown)
 * @param serializerId Pekko serializer id (31 = jackson-json)
 * @param manifest the serializer manifest (class name, {@code #N} = schema version N)
 * @param payload the serialized event
 */
record JournalRow(
    long ordering,
    String persistenceId,
    long seqNr,
    long writeTimestamp,
    int serializerId,
    String manifest,
    byte[] payload) {

  /** The entity type: the part of the persistence id before {@code |}. */
  String entityType() {
    int bar = persistenceId.indexOf('|');
    return bar < 0 ? "" : persistenceId.substring(0, bar);
  }

  /** The entity id: the part after {@code |} (the whole id if there is none). */
  String entityId() {
    int bar = persistenceId.indexOf('|');
    return bar < 0 ? persistenceId : persistenceId.substring(bar + 1);
  }
}
