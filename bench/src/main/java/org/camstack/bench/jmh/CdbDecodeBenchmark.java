package org.camstack.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Cdbs;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.target.EmuDisk;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.target.NullStore;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * CDB decode on the target side: an emulated disk over the null store ({@link NullStore}, no
 * data copy) decodes, checks and answers one CDB. What remains is the LUN's decode, validation
 * (LBA range, transfer length, unit attentions, faults) and response building. Also the
 * initiator side: building the CDB ({@link Cdbs#readWrite}).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CdbDecodeBenchmark {

  private static final long BLOCKS = 2_097_152L;

  /** An emulated disk on the null store and the command to send it. */
  @State(Scope.Thread)
  public static class Disk {
    /** Which command: 4 KiB READ(10), READ(16), WRITE(10), or TEST UNIT READY / INQUIRY (no LBA). */
    @Param({"read10", "read16", "write10", "tur", "inquiry"})
    public String cdb;

    EmuDisk disk;
    ByteString command;
    ByteString dataOut;
    int dxfer;

    @Setup
    public void setUp() {
      disk = new EmuDisk(LunSpec.disk(0, BLOCKS, 512).withStore(LunSpec.StoreKind.NULL, null), new NullStore(BLOCKS * 512));
      disk.clearUnitAttentions();
      disk.execute(Cdbs.testUnitReady(), ByteString.emptyByteString(), 0, 7);
      dataOut = ByteString.emptyByteString();
      switch (cdb) {
        case "read10":
          command = Cdbs.readWrite(false, 4096, 8, false, false, 10);
          dxfer = 4096;
          break;
        case "read16":
          command = Cdbs.readWrite(false, 4096, 8, false, false, 16);
          dxfer = 4096;
          break;
        case "write10":
          command = Cdbs.readWrite(true, 4096, 8, false, false, 10);
          dataOut = ByteString.fromArray(new byte[4096]);
          dxfer = 4096;
          break;
        case "tur":
          command = Cdbs.testUnitReady();
          dxfer = 0;
          break;
        case "inquiry":
          command = Cdbs.inquiry(false, 0, 96);
          dxfer = 96;
          break;
        default:
          throw new IllegalArgumentException("unknown cdb " + cdb);
      }
    }
  }

  /** The periph side's moving LBA. */
  @State(Scope.Thread)
  public static class Builder {
    long lba;
  }

  /** Decode and execute the CDB on the emulated disk. */
  @Benchmark
  public ScsiResponse decodeAndExecute(Disk d) {
    return d.disk.execute(d.command, d.dataOut, d.dxfer, 7);
  }

  /** Build a 10-byte READ CDB for a moving LBA (the periph side). */
  @Benchmark
  public ByteString buildRead10(Builder b) {
    b.lba = (b.lba + 8) & (BLOCKS - 1);
    return Cdbs.readWrite(false, b.lba, 8, false, false, 10);
  }
}
