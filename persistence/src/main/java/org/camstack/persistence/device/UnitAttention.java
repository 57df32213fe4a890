package org.camstack.persistence.device;

import org.camstack.persistence.serialization.JsonSerializable;

/**
 * A pending unit attention condition: the device has something to tell the next command (SPC-4
 * 5.14). Kept across restarts, so a UA posted before a crash is still reported after it.
 *
 * @param id per-device sequence, assigned by {@link DeviceEntity} when the UA is posted
 * @param initiator the I_T nexus it is for, or {@link #ALL_INITIATORS}
 * @param asc additional sense code
 * @param ascq additional sense code qualifier
 * @param reason human-readable cause, for logs and the journal inspector
 */
public record UnitAttention(long id, String initiator, int asc, int ascq, String reason)
    implements JsonSerializable {

  /** {@link #initiator} value for a UA established for every I_T nexus. */
  public static final String ALL_INITIATORS = "*";

  public UnitAttention {
    if (asc < 0 || asc > 0xff || ascq < 0 || ascq > 0xff) {
      throw new IllegalArgumentException("asc/ascq must be bytes");
    }
    initiator = initiator == null || initiator.isEmpty() ? ALL_INITIATORS : initiator;
    reason = reason == null ? "" : reason;
  }
}
