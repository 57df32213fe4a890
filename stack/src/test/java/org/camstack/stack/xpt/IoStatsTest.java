package org.camstack.stack.xpt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamStatus;
import org.junit.jupiter.api.Test;

class IoStatsTest {

  @Test
  void countsOpsBytesErrorsAndLatencyPercentiles() {
    IoStats s = new IoStats(CamPath.of(0, 1, 0));
    for (int i = 1; i <= 100; i++) {
      s.record(0x28, 4096, 0, i * 1000L, CamStatus.REQ_CMP); // READ(10), 1..100 us
    }
    s.record(0x2a, 0, 512, 5000, CamStatus.REQ_CMP); // WRITE(10)
    s.record(0x00, 0, 0, 2000, CamStatus.SCSI_STATUS_ERROR); // TUR, failed
    s.record(0x8a, 0, 1024, 9000, CamStatus.CMD_TIMEOUT); // WRITE(16), timed out
    IoStats.Snapshot snap = s.snapshot();
    assertEquals(100, snap.reads());
    assertEquals(2, snap.writes());
    assertEquals(1, snap.other());
    assertEquals(409600, snap.bytesRead());
    assertEquals(1536, snap.bytesWritten());
    assertEquals(2, snap.errors());
    assertEquals(1, snap.timeouts());
    assertEquals(50, snap.p50Micros(), 1.0);
    assertEquals(100, snap.maxMicros(), 1.0);
    // a second snapshot keeps the totals (intervals accumulate)
    s.record(0x28, 4096, 0, 1000, CamStatus.REQ_CMP);
    IoStats.Snapshot again = s.snapshot();
    assertEquals(101, again.reads());
    assertTrue(again.p99Micros() >= 99);
  }

  @Test
  void sampleGivesTheLatenciesOfItsWindowOnlyAndSnapshotsDoNotStealThem() {
    IoStats s = new IoStats(CamPath.of(0, 1, 0));
    s.record(0x28, 4096, 0, 900_000_000L, CamStatus.REQ_CMP); // 900 ms, before the first sample: in no window
    IoStats.Sample first = s.sample();
    assertEquals(0, first.count());
    assertEquals(1, first.total().reads());
    for (int i = 1; i <= 100; i++) {
      s.record(0x28, 4096, 0, i * 1000L, CamStatus.REQ_CMP); // 1..100 us
    }
    s.snapshot(); // /api/stats in between
    s.record(0x2a, 0, 4096, 50_000_000L, CamStatus.REQ_CMP); // 50 ms
    IoStats.Sample w = s.sample();
    assertEquals(101, w.count());
    assertEquals(51, w.p50Micros(), 1.0);
    assertEquals(100, w.p99Micros(), 1.0);
    assertEquals(50_000, w.maxMicros(), 500);
    assertEquals(101, w.total().reads());
    assertEquals(900_000, w.total().maxMicros(), 9_000); // the since-start figures keep everything
    IoStats.Sample idle = s.sample();
    assertEquals(0, idle.count());
    assertEquals(0, idle.p99Micros());
  }

  /** The recorder grows with the samples but never past the one-hour clamp. */
  @Test
  void aLatencyOverAnHourIsClampedToAnHourAndSmallOnesStayExact() {
    IoStats s = new IoStats(CamPath.of(0, 1, 0));
    s.record(0x28, 512, 0, 3, CamStatus.REQ_CMP); // 3 ns: the histogram is still at its first size
    s.record(0x28, 512, 0, java.util.concurrent.TimeUnit.HOURS.toNanos(2), CamStatus.REQ_CMP);
    IoStats.Snapshot snap = s.snapshot();
    assertEquals(3_600_000_000.0, snap.maxMicros(), 36_000_000.0); // 1 h within the 2-digit precision
    s.record(0x28, 512, 0, 7_000, CamStatus.REQ_CMP); // after the interval histogram was recycled
    IoStats.Snapshot again = s.snapshot();
    assertEquals(3, again.reads());
    assertEquals(7, again.p50Micros(), 0.1);
  }

  @Test
  void registryKeepsTheNewestInstancePerPath() {
    IoStats.Registry r = new IoStats.Registry();
    IoStats a = r.register(CamPath.of(0, 0, 0));
    IoStats b = r.register(CamPath.of(0, 0, 0));
    r.unregister(a);
    assertSame(b, r.all().get(CamPath.of(0, 0, 0)));
    r.unregister(b);
    assertTrue(r.all().isEmpty());
  }
}
