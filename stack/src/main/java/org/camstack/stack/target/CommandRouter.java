package org.camstack.stack.target;

import java.util.function.Consumer;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.ScsiResponse;

/**
 * Where a LUN sends the commands another node runs: a clustered LUN's copy on a node that does
 * not own it ({@link EmuDevice#setRouter}). The owner runs them with {@link
 * EmuDevice#executeForwarded} and the answer comes back through {@code done}. cf. CTL HA mode 2,
 * where the secondary forwards each command and its data to the primary.
 */
@FunctionalInterface
public interface CommandRouter {

  /**
   * Sends one command to the owner and returns at once, never blocking: called on the frontend's
   * thread (a device queue's actor, an iSCSI connection's stream stage), without the LUN's lock.
   *
   * @param done told the owner's answer exactly once, from any thread (possibly before this call
   *     returns); when the owner cannot be reached in time, a CHECK CONDITION the initiator retries
   *     (e.g. 02/04/0A ASYMMETRIC ACCESS STATE TRANSITION); never null
   */
  void forward(EmuDevice device, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId, Consumer<ScsiResponse> done);

  /**
   * SET TARGET PORT GROUPS arrived at this node's copy: {@code parameters} is its parameter list
   * (SPC-4 6.45: a 4-byte header, then 4-byte descriptors of state and group id).
   */
  default ScsiResponse setTargetPortGroups(EmuDevice device, ByteString parameters, int dxferLen) {
    return ScsiResponse.checkCondition(org.camstack.stack.scsi.Sense.illegalField(0x20, 0x00, true, 0, -1), dxferLen);
  }
}
