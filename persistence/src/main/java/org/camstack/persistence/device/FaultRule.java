package org.camstack.persistence.device;

import org.camstack.persistence.serialization.JsonSerializable;

/**
 * A fault-injection rule of one device (per-LU, per-LBA, in the manner of CTL's {@code inject}
 * and scsi_debug's per-device rules). The stack's emulated LUN interprets it; persistence only
 * keeps it across restarts.
 *
 * @param id caller-chosen rule id, unique per device
 * @param kind what happens: {@code error} (CHECK CONDITION with {@link #senseHex}), {@code
 *     timeout} (no completion), {@code abort}, {@code busy}, ... (the stack defines the set)
 * @param opClass which commands match: {@code read}, {@code write}, {@code any}, or an opcode as
 *     hex ({@code 0x28})
 * @param lbaFirst first LBA of the range (inclusive)
 * @param lbaLast last LBA of the range (inclusive); {@code Long.MAX_VALUE} for "to the end"
 * @param oneShot true: fires once, then the stack sends {@code ConsumeFaultRule}; false:
 *     continuous until removed
 * @param senseHex fixed-format sense data as lowercase hex, empty unless {@code kind} needs it
 */
public record FaultRule(
    String id,
    String kind,
    String opClass,
    long lbaFirst,
    long lbaLast,
    boolean oneShot,
    String senseHex)
    implements JsonSerializable {

  public FaultRule {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("fault rule needs an id");
    }
    if (kind == null || kind.isBlank()) {
      throw new IllegalArgumentException("fault rule " + id + " needs a kind");
    }
    opClass = opClass == null || opClass.isBlank() ? "any" : opClass;
    if (lbaFirst < 0 || lbaLast < lbaFirst) {
      throw new IllegalArgumentException("fault rule " + id + ": bad LBA range");
    }
    senseHex = senseHex == null ? "" : senseHex;
    if (!Hex.isHex(senseHex)) {
      throw new IllegalArgumentException("fault rule " + id + ": sense is not hex");
    }
  }
}
