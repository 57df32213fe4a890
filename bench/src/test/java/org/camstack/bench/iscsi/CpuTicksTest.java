package org.camstack.bench.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** /proc/PID/stat parsing: utime + stime, also when the command name holds spaces and parentheses. */
class CpuTicksTest {

  @Test
  void utimePlusStime() {
    // a tgtd line as the kernel writes it: pid (comm) state ppid ... utime=field 14, stime=field 15
    assertEquals(1234 + 56, CpuTicks.parse("12992 (tgtd) S 12989 12992 12989 0 -1 4194560 1000 0 0 0 1234 56 0 0 20 0 1 0 100 0 0"));
    assertEquals(7 + 9, CpuTicks.parse("4242 (a (b) c) R 1 4242 4242 0 -1 0 0 0 0 0 7 9 0 0 20 0 3 0 1 0 0"));
  }

  @Test
  void thisProcessHasSpentSomeCpu() {
    double s = CpuTicks.seconds(ProcessHandle.current().pid());
    assertTrue(s > 0, "cpu seconds " + s);
    assertEquals(-1, CpuTicks.seconds(Long.MAX_VALUE));
  }
}
