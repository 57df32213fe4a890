package org.camstack.stack.node;

import com.typesafe.config.Config;
import org.camstack.stack.target.MemoryBudget;

/**
 * What one management request may ask of a node (keys {@code camstack.node.limits.*} and {@code
 * camstack.node.memory-budget}, see docs/operations.md). Beyond a limit the API answers 413 (too
 * large a body or transfer), 422 (a value the node will not take: size, name, id) or 429 (too many
 * handles, rules, or no memory left for a buffer), and nothing is changed.
 *
 * @param maxLunSize largest capacity of a LUN added or resized through the API, in bytes
 * @param maxTransfer largest read, write or pass-through data transfer, in bytes
 * @param maxHandlesPerClient devfs handles one client address may hold open
 * @param maxHandles devfs handles all clients together may hold open
 * @param maxFaultRules fault rules one LUN may hold
 * @param maxNameLength longest name, id or path a request may carry
 * @param maxCommandTimeoutMs longest timeout a pass-through CDB may ask for
 * @param budget the node's memory budget (stores and transfer buffers)
 */
public record ApiLimits(
    long maxLunSize,
    int maxTransfer,
    int maxHandlesPerClient,
    int maxHandles,
    int maxFaultRules,
    int maxNameLength,
    int maxCommandTimeoutMs,
    MemoryBudget budget) {

  public ApiLimits {
    if (maxLunSize <= 0 || maxTransfer <= 0 || maxHandlesPerClient <= 0 || maxHandles <= 0 || maxFaultRules <= 0
        || maxNameLength <= 0 || maxCommandTimeoutMs <= 0) {
      throw new IllegalArgumentException("camstack.node.limits: every limit must be positive");
    }
  }

  /** The shipped defaults (reference.conf) on the process budget. */
  public static ApiLimits defaults() {
    return new ApiLimits(1L << 50, 1 << 20, 32, 256, 64, 64, 60_000, MemoryBudget.process());
  }

  /** From {@code camstack.node} (limits and memory-budget). */
  public static ApiLimits fromConfig(Config node, MemoryBudget budget) {
    Config l = node.getConfig("limits");
    return new ApiLimits(
        l.getBytes("max-lun-size"),
        Math.toIntExact(l.getBytes("max-transfer")),
        l.getInt("max-handles-per-client"),
        l.getInt("max-handles"),
        l.getInt("max-fault-rules"),
        l.getInt("max-name-length"),
        Math.toIntExact(l.getDuration("max-command-timeout").toMillis()),
        budget);
  }

  /** {@code what} echoed at most {@link #maxNameLength} characters long, then 422 if longer. */
  String name(String value, String what) {
    if (value != null && value.length() > maxNameLength) {
      throw ApiException.unprocessable(
          what + " of " + value.length() + " characters is too long (at most " + maxNameLength + ")");
    }
    return value;
  }
}
