/**
 * Serialization markers and the Jackson migrations of journal events. See docs/persistence.md for
 * the event catalogue and the migration log.
 */
package org.camstack.persistence.serialization;
