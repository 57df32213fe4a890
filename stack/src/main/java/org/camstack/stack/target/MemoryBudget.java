package org.camstack.stack.target;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Memory admission: how many bytes the node's stores (RAM chunks and their index) and transfer
 * buffers (the management API's read, write and pass-through data) may hold together. A caller
 * {@linkplain #tryReserve reserves} before it allocates and {@linkplain #release releases} when the
 * memory is dropped; a reservation that would go over the limit is refused and nothing is
 * allocated, so no request can make the JVM run out of heap.
 *
 * <p>One budget per process: {@link #process()}, sized by the node from {@code
 * camstack.node.memory-budget} (docs/operations.md). Tests build their own.
 */
public final class MemoryBudget {
  private static final MemoryBudget PROCESS = new MemoryBudget(defaultLimit());

  private final AtomicLong used = new AtomicLong();
  private volatile long limit;

  public MemoryBudget(long limitBytes) {
    setLimit(limitBytes);
  }

  /** The budget every store and API buffer of this process shares unless given another. */
  public static MemoryBudget process() {
    return PROCESS;
  }

  /** Half the maximum heap: what a node may hold without configuration. */
  public static long defaultLimit() {
    return Runtime.getRuntime().maxMemory() / 2;
  }

  /** Changes the limit; what is already reserved stays (new reservations see the new limit). */
  public void setLimit(long limitBytes) {
    if (limitBytes <= 0) {
      throw new IllegalArgumentException("memory budget must be positive, not " + limitBytes);
    }
    this.limit = limitBytes;
  }

  /** True (and reserved) when {@code bytes} more stay within the limit; false and nothing reserved. */
  public boolean tryReserve(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("negative reservation " + bytes);
    }
    while (true) {
      long u = used.get();
      long next = u + bytes;
      if (next < u || next > limit) {
        return false;
      }
      if (used.compareAndSet(u, next)) {
        return true;
      }
    }
  }

  /** Gives back what {@link #tryReserve} took. */
  public void release(long bytes) {
    long after = used.addAndGet(-bytes);
    if (after < 0) {
      throw new IllegalStateException("memory budget released more than reserved (" + after + ")");
    }
  }

  public long used() {
    return used.get();
  }

  public long limit() {
    return limit;
  }

  public long available() {
    return Math.max(0, limit - used.get());
  }

  @Override
  public String toString() {
    return "MemoryBudget[" + used.get() + "/" + limit + "]";
  }
}
