package org.camstack.stack.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The common pool on a small machine: a JVM told it has 2 cores ({@code -XX:ActiveProcessorCount})
 * starts a thread per async callback unless {@link CommonPool#atLeastTwo} ran first.
 */
class CommonPoolTest {

  @Test
  void theParallelismIsTheJdksDefaultButNeverBelowTwo() {
    assertEquals(2, CommonPool.parallelismFor(1));
    assertEquals(2, CommonPool.parallelismFor(2));
    assertEquals(2, CommonPool.parallelismFor(3));
    assertEquals(7, CommonPool.parallelismFor(8));
  }

  @Test
  void onTwoCoresTheJdkAloneStartsAThreadPerCallback() throws Exception {
    String[] r = probe(2, null, "none");
    assertEquals("1", r[0]);
    assertTrue(!r[1].startsWith("ForkJoinPool.commonPool-worker"), r[1]); // a fresh Thread-N
  }

  @Test
  void onTwoCoresAMainThatCallsItFirstGetsAPoolOfTwo() throws Exception {
    String[] r = probe(2, null, "configure");
    assertEquals("2", r[0]);
    assertTrue(r[1].startsWith("ForkJoinPool.commonPool-worker"), r[1]);
  }

  @Test
  void onOneCoreToo() throws Exception {
    String[] r = probe(1, null, "configure");
    assertEquals("2", r[0]);
    assertTrue(r[1].startsWith("ForkJoinPool.commonPool-worker"), r[1]);
  }

  @Test
  void theUsersOwnSettingWins() throws Exception {
    assertEquals("3", probe(2, "3", "configure")[0]);
  }

  /** Runs {@link CommonPoolProbe} in a JVM of its own (30 s at most); returns its two words. */
  private static String[] probe(int cores, String property, String mode) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-XX:ActiveProcessorCount=" + cores);
    if (property != null) {
      cmd.add("-D" + CommonPool.PROPERTY + "=" + property);
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), CommonPoolProbe.class.getName(), mode));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        throw new AssertionError("probe JVM did not finish in 30 s");
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      assertEquals(0, p.exitValue(), out);
      String[] words = out.split(" ");
      assertEquals(2, words.length, out);
      return words;
    } finally {
      p.destroyForcibly(); // by this handle: the probe's own PID
    }
  }
}
