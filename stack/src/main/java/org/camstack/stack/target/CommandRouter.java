package org.camstack.stack.target;

import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.ScsiResponse;

/**
 * Where a LUN sends the commands another node runs: a clustered LUN's copy on a node that does
 * not own it ({@link EmuDevice#setRouter}). The owner runs them with {@link
 * EmuDevice#executeForwarded} and the answer comes back as the return value. cf. CTL HA mode 2,
 * where the secondary forwards each command and its data to the primary.
 */
@FunctionalInterface
public interface CommandRouter {

  /**
   * Runs one command on the owner; called on the frontend's thread, without the LUN's lock.
   *
   * @return the owner's answer; when the owner cannot be reached in time, a CHECK CONDITION the
   *     initiator retries (e.g. 02/04/0A ASYMMETRIC ACCESS STATE TRANSITION); never null
   */
  ScsiResponse forward(EmuDevice device, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId);

  /**
   * SET TARGET PORT GROUPS arrived at this node's copy: {@code parameters} is its parameter list
   * (SPC-4 6.45: a 4-byte header, then 4-byte descriptors of state and group id).
   */
  default ScsiResponse setTargetPortGroups(EmuDevice device, ByteString parameters, int dxferLen) {
    return ScsiResponse.checkCondition(org.camstack.stack.scsi.Sense.illegalField(0x20, 0x00, true, 0, -1), dxferLen);
  }
}
