package org.camstack.bench.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.sim.EmuBus;
import org.camstack.stack.scsi.Cdbs;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.target.BackingStore;
import org.camstack.stack.target.EmuDisk;
import org.camstack.stack.target.FileStore;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.target.NullStore;
import org.camstack.stack.target.RamStore;

/**
 * The emulated disks of one I/O run, built from the stack's own emulation ({@link EmuDisk} over a
 * {@link NullStore}, {@link RamStore} or {@link FileStore}). RAM and file stores are filled with
 * data first (the RAM store is sparse: unwritten blocks read as zeros without a copy, which would
 * flatter the figures), and pending unit attentions are consumed, so the measured I/O is plain
 * data transfer.
 */
public final class EmulatedLuns implements AutoCloseable {

  /** Logical block size of the emulated disks. */
  public static final int LOGICAL_BLOCK = 512;

  private static final int FILL_CHUNK = 64 << 10;

  /**
   * Targets per bus before LUNs are stacked on targets (disk j of a bus: target slot j % 255, LUN
   * j / 255); target ids skip the SIM's own initiator id, which a scan never probes.
   */
  public static final int TARGETS_PER_BUS = 255;

  /**
   * Where one disk sits.
   *
   * @param sim the bus (index into {@link #buses()})
   */
  public record Placement(int sim, int target, long lun, EmuDisk disk) {}

  private final List<Placement> placements;
  private final List<EmuBus> buses;
  private final List<Path> files;

  private EmulatedLuns(List<Placement> placements, List<EmuBus> buses, List<Path> files) {
    this.placements = placements;
    this.buses = buses;
    this.files = files;
  }

  /** One disk per LUN, spread round robin over {@code spec.sims()} buses. */
  public static EmulatedLuns create(IoSpec spec) throws IOException {
    long blocks = Math.max(1, spec.storeBytes() / LOGICAL_BLOCK);
    List<Placement> placements = new ArrayList<>();
    List<EmuBus> buses = new ArrayList<>();
    for (int s = 0; s < spec.sims(); s++) {
      buses.add(new EmuBus());
    }
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < spec.luns(); i++) {
      int sim = spec.simOf(i);
      int j = i / spec.sims();
      int slot = j % TARGETS_PER_BUS;
      int target = slot < DirectRunner.INITIATOR ? slot : slot + 1;
      long lun = j / TARGETS_PER_BUS;
      LunSpec ls = LunSpec.disk(lun, blocks, LOGICAL_BLOCK);
      BackingStore store;
      switch (spec.store()) {
        case "ram":
          store = new RamStore(blocks * LOGICAL_BLOCK);
          break;
        case "file":
          Path f = Files.createTempFile("camstack-bench-lun" + i + "-", ".img");
          f.toFile().deleteOnExit();
          files.add(f);
          store = new FileStore(f, blocks * LOGICAL_BLOCK);
          ls = ls.withStore(LunSpec.StoreKind.FILE, f.toString());
          break;
        default:
          store = new NullStore(blocks * LOGICAL_BLOCK);
          ls = ls.withStore(LunSpec.StoreKind.NULL, null);
      }
      EmuDisk d = new EmuDisk(ls, store);
      settle(d);
      if (!spec.store().equals("null")) {
        fill(d, blocks, i);
      }
      buses.get(sim).attach(target, d);
      placements.add(new Placement(sim, target, lun, d));
    }
    return new EmulatedLuns(placements, buses, files);
  }

  public List<Placement> placements() {
    return placements;
  }

  public List<EmuBus> buses() {
    return buses;
  }

  /** Highest target id used on any bus. */
  public int maxTarget() {
    return placements.stream().mapToInt(Placement::target).max().orElse(0);
  }

  /** Highest LUN id used on any target. */
  public long maxLun() {
    return placements.stream().mapToLong(Placement::lun).max().orElse(0);
  }

  /** The fixtures, with the path ids the XPT gave the buses. */
  public List<LunFixture> fixtures(int[] pathIds) {
    List<LunFixture> out = new ArrayList<>();
    for (Placement p : placements) {
      EmuDisk d = p.disk();
      out.add(new LunFixture(org.camstack.stack.ccb.CamPath.of(pathIds[p.sim()], p.target(), p.lun()),
          buses.get(p.sim()), p.sim(), d.blockSize(), d.blocks()));
    }
    return out;
  }

  /** Consumes the power-on unit attention(s) for every initiator the benchmark uses. */
  private static void settle(EmuDisk d) {
    d.clearUnitAttentions();
    for (int attempt = 0; attempt < 8; attempt++) {
      ScsiResponse r = d.execute(Cdbs.testUnitReady(), ByteString.emptyByteString(), 0, DirectRunner.INITIATOR);
      if (r.scsiStatus() == ScsiStatus.GOOD) {
        return;
      }
    }
    throw new IllegalStateException("emulated disk " + d + " does not become ready");
  }

  /** Writes every block once with a pattern (64 KiB WRITE commands through the disk itself). */
  private static void fill(EmuDisk d, long blocks, int seed) {
    byte[] pattern = new byte[FILL_CHUNK];
    for (int i = 0; i < pattern.length; i++) {
      pattern[i] = (byte) (i * 31 + seed + 1);
    }
    int per = FILL_CHUNK / LOGICAL_BLOCK;
    for (long lba = 0; lba < blocks; lba += per) {
      int n = (int) Math.min(per, blocks - lba);
      ByteString data = ByteString.fromArray(pattern, 0, n * LOGICAL_BLOCK);
      ScsiResponse r = d.execute(Cdbs.readWrite(true, lba, n, false, false, 10), data, data.size(), DirectRunner.INITIATOR);
      if (r.scsiStatus() != ScsiStatus.GOOD) {
        throw new IllegalStateException("filling the emulated disk failed at LBA " + lba + ": status " + r.scsiStatus());
      }
    }
  }

  @Override
  public void close() throws IOException {
    for (Placement p : placements) {
      p.disk().store().close();
    }
    for (Path f : files) {
      Files.deleteIfExists(f);
    }
  }
}
