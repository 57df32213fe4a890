package org.camstack.stack.target.iscsi;

import java.time.Duration;
import java.util.Optional;
import org.camstack.stack.iscsi.Chap;

/**
 * What one iSCSI portal offers (RFC 7143 §13 values on the target's side) and how it behaves.
 *
 * @param host the node's host name, for target names ({@link TargetNames})
 * @param queueDepth the CmdSN window per session: MaxCmdSN - ExpCmdSN + 1 when nothing is in flight
 * @param maxRecvDataSegmentLength what the target declares it receives
 * @param maxBurstLength the target's offer (the minimum of both wins)
 * @param firstBurstLength the target's offer (the minimum of both wins)
 * @param maxOutstandingR2T the target's offer (the minimum of both wins)
 * @param initialR2T the target's offer (OR of both)
 * @param immediateData the target's offer (AND of both)
 * @param maxWriteBuffer the largest write a task may carry (bytes); larger ones are refused
 * @param nopInterval idle time after which the target pings with a NOP-In (zero: never)
 * @param chap CHAP credentials the initiators must prove (empty: AuthMethod=None)
 */
public record PortalConfig(
    String host,
    int queueDepth,
    int maxRecvDataSegmentLength,
    int maxBurstLength,
    int firstBurstLength,
    int maxOutstandingR2T,
    boolean initialR2T,
    boolean immediateData,
    int maxWriteBuffer,
    Duration nopInterval,
    Optional<Chap.Credentials> chap) {

  public PortalConfig {
    if (queueDepth < 1 || queueDepth > 4096) {
      throw new IllegalArgumentException("queueDepth outside 1..4096: " + queueDepth);
    }
    if (maxRecvDataSegmentLength < 512 || maxRecvDataSegmentLength > 0xFF_FFFF) {
      throw new IllegalArgumentException("maxRecvDataSegmentLength outside 512..2^24-1");
    }
  }

  /** The defaults: 128 commands in flight, 256 KiB data segments, no CHAP. */
  public static PortalConfig defaults(String host) {
    return new PortalConfig(host, 128, 262144, 1048576, 262144, 16, false, true, 64 << 20, Duration.ofSeconds(30),
        Optional.empty());
  }

  public PortalConfig withChap(Optional<Chap.Credentials> c) {
    return new PortalConfig(host, queueDepth, maxRecvDataSegmentLength, maxBurstLength, firstBurstLength,
        maxOutstandingR2T, initialR2T, immediateData, maxWriteBuffer, nopInterval, c);
  }

  public PortalConfig withNopInterval(Duration d) {
    return new PortalConfig(host, queueDepth, maxRecvDataSegmentLength, maxBurstLength, firstBurstLength,
        maxOutstandingR2T, initialR2T, immediateData, maxWriteBuffer, d, chap);
  }

  public PortalConfig withQueueDepth(int q) {
    return new PortalConfig(host, q, maxRecvDataSegmentLength, maxBurstLength, firstBurstLength,
        maxOutstandingR2T, initialR2T, immediateData, maxWriteBuffer, nopInterval, chap);
  }

}
