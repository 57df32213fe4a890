package org.camstack.persistence.serialization;

/**
 * Marker for messages that may cross nodes (entity commands and replies sent through Cluster
 * Sharding). Bound to Pekko's {@code jackson-cbor} serializer in {@code reference.conf}.
 */
public interface CborSerializable {}
