package org.camstack.bench.io;

import org.apache.pekko.util.ByteString;

/**
 * The request stream of one LUN: read or write, LBA, CDB. Random LBAs come from a xorshift
 * generator (no allocation, no locks), sequential ones wrap at the end of the LUN. Not
 * thread-safe: one per LUN per load source, used by one thread at a time.
 */
public final class Workload {

  /** Builds READ/WRITE CDBs; backed by the stack's CDB builders. */
  public interface CdbFactory {
    ByteString read(long lba, int blocks);

    ByteString write(long lba, int blocks);
  }

  private final CdbFactory cdbs;
  private final int blocksPerIo;
  private final long slots;
  private final boolean sequential;
  private final int readPercent;
  private final ByteString writeData;
  private long state;
  private long seqSlot;
  private boolean lastRead;
  private long lastLba;

  /**
   * @param spec the workload
   * @param lun index of the LUN (seeds its generator)
   * @param logicalBlock the LUN's logical block size
   * @param capacityBlocks the LUN's capacity in logical blocks
   */
  public Workload(IoSpec spec, int lun, int logicalBlock, long capacityBlocks, CdbFactory cdbs) {
    if (spec.blockSize() % logicalBlock != 0) {
      throw new IllegalArgumentException("--bs " + spec.blockSize() + " is not a multiple of the LUN block " + logicalBlock);
    }
    this.cdbs = cdbs;
    this.lun = lun;
    this.blocksPerIo = spec.blockSize() / logicalBlock;
    this.slots = Math.max(1, capacityBlocks / blocksPerIo);
    this.sequential = spec.sequential();
    this.readPercent = spec.readPercent();
    this.writeData = ByteString.fromArrayUnsafe(new byte[spec.blockSize()]);
    this.state = mix(spec.seed() * 0x9E3779B97F4A7C15L + lun + 1);
    this.seqSlot = sequential ? (Math.floorMod(state, slots)) : 0;
  }

  private final int lun;

  /** Index of the LUN this workload drives. */
  public int lun() {
    return lun;
  }

  /** The next CDB; {@link #lastWasRead()} tells its direction. */
  public ByteString next() {
    advance();
    return lastRead ? cdbs.read(lastLba, blocksPerIo) : cdbs.write(lastLba, blocksPerIo);
  }

  /** The next request without a CDB: direction ({@link #lastWasRead()}) and {@link #lastLba()}. */
  public void advance() {
    long r = nextRandom();
    lastRead = readPercent == 100 || (readPercent != 0 && Long.remainderUnsigned(r >>> 7, 100) < readPercent);
    long slot;
    if (sequential) {
      slot = seqSlot;
      seqSlot = seqSlot + 1 == slots ? 0 : seqSlot + 1;
    } else {
      slot = Long.remainderUnsigned(r, slots);
    }
    lastLba = slot * blocksPerIo;
  }

  /** LBA of the last request. */
  public long lastLba() {
    return lastLba;
  }

  public boolean lastWasRead() {
    return lastRead;
  }

  /** The data to send with a write: shared, immutable. */
  public ByteString writeData() {
    return writeData;
  }

  public int bytesPerIo() {
    return writeData.size();
  }

  private long nextRandom() {
    long x = state;
    x ^= x << 13;
    x ^= x >>> 7;
    x ^= x << 17;
    state = x;
    return x;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z = z ^ (z >>> 31);
    return z == 0 ? 0x2545F4914F6CDD1DL : z;
  }
}
