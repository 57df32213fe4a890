package org.camstack.stack.scsi;

import org.apache.pekko.util.ByteString;

/**
 * What an emulated LUN answered to one CDB.
 *
 * @param scsiStatus SCSI status byte ({@link ScsiStatus})
 * @param sense sense data with CHECK CONDITION, else empty
 * @param data data for the initiator (at most dxferLen bytes), else empty
 * @param resid dxferLen minus the bytes transferred
 * @param delayNanos when &gt; 0 the SIM completes the CCB only after this delay (injected latency)
 * @param dropped the device never answers (injected timeout): the CCB completes with CMD_TIMEOUT
 *     when its timeout fires, or when aborted
 */
public record ScsiResponse(
    int scsiStatus, ByteString sense, ByteString data, int resid, long delayNanos, boolean dropped) {

  /** GOOD, no data: shared so that null writes allocate nothing. */
  public static final ScsiResponse GOOD =
      new ScsiResponse(ScsiStatus.GOOD, ByteString.emptyByteString(), ByteString.emptyByteString(), 0, 0, false);

  /** The command is never answered. */
  public static final ScsiResponse DROPPED =
      new ScsiResponse(ScsiStatus.GOOD, ByteString.emptyByteString(), ByteString.emptyByteString(), 0, 0, true);

  /**
   * Not an answer: the LUN answers later, through the caller's callback (a clustered LUN's command
   * forwarded to its owner: {@code org.camstack.stack.scsi.LaterAnswer}). Compared by identity;
   * should it ever reach a consumer as an answer, it reads as {@link #DROPPED} (the CCB times out).
   */
  public static final ScsiResponse PENDING =
      new ScsiResponse(ScsiStatus.GOOD, ByteString.emptyByteString(), ByteString.emptyByteString(), 0, 0, true);

  public static ScsiResponse good(ByteString data, int dxferLen) {
    int n = Math.min(data.size(), dxferLen);
    ByteString d = n == data.size() ? data : data.take(n);
    return new ScsiResponse(ScsiStatus.GOOD, ByteString.emptyByteString(), d, dxferLen - n, 0, false);
  }

  public static ScsiResponse checkCondition(ByteString sense, int dxferLen) {
    return new ScsiResponse(ScsiStatus.CHECK_COND, sense, ByteString.emptyByteString(), dxferLen, 0, false);
  }

  public static ScsiResponse status(int scsiStatus, int dxferLen) {
    return new ScsiResponse(scsiStatus, ByteString.emptyByteString(), ByteString.emptyByteString(), dxferLen, 0, false);
  }

  public ScsiResponse withDelay(long nanos) {
    return new ScsiResponse(scsiStatus, sense, data, resid, nanos, dropped);
  }
}
