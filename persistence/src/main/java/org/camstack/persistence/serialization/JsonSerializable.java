package org.camstack.persistence.serialization;

/**
 * Marker for everything written to the journal or the snapshot store: events and entity state.
 * Bound to Pekko's {@code jackson-json} serializer in {@code reference.conf}, so a payload is plain
 * JSON that the journal inspector (and {@code psql}) can read without the event classes.
 *
 * <p>Rules (docs/persistence.md): records of plain values only; never rename or move an
 * implementing class without a {@link org.apache.pekko.serialization.jackson.JacksonMigration}; a
 * schema change comes with a new golden fixture under {@code src/test/resources/golden}.
 */
public interface JsonSerializable {}
