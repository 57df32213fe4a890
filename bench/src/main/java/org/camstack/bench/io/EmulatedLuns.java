package org.camstack.bench.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Cdbs;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.sim.ScsiResponse;
import org.camstack.stack.sim.emu.BackingStore;
import org.camstack.stack.sim.emu.EmuDisk;
import org.camstack.stack.sim.emu.FileStore;
import org.camstack.stack.sim.emu.LunSpec;
import org.camstack.stack.sim.emu.NullStore;
import org.camstack.stack.sim.emu.RamStore;

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

  private final List<EmuDisk> disks;
  private final List<Path> files;

  private EmulatedLuns(List<EmuDisk> disks, List<Path> files) {
    this.disks = disks;
    this.files = files;
  }

  /** One disk per LUN; {@code lunNumber(i)} gives the LUN id each disk reports. */
  public static EmulatedLuns create(IoSpec spec, java.util.function.IntToLongFunction lunNumber) throws IOException {
    long blocks = Math.max(1, spec.storeBytes() / LOGICAL_BLOCK);
    List<EmuDisk> disks = new ArrayList<>();
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < spec.luns(); i++) {
      long lun = lunNumber.applyAsLong(i);
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
      disks.add(d);
    }
    return new EmulatedLuns(disks, files);
  }

  public List<EmuDisk> disks() {
    return disks;
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
    for (EmuDisk d : disks) {
      try {
        d.store().close();
      } catch (Exception e) {
        // closing a store at the end of a run: nothing to recover
      }
    }
    for (Path f : files) {
      Files.deleteIfExists(f);
    }
  }
}
