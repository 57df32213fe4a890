package org.camstack.stack.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.camstack.persistence.cli.CliRun;
import org.camstack.stack.cli.CtlCommand;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default topology's tape library in a real node process, driven with {@code camstack ctl
 * tape} and {@code ctl changer}: a cartridge written in one drive (blocks and filemarks), moved to
 * the other drive and read back returns the same blocks and filemarks, also after a node restart
 * on the same data directory.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TapeLibraryNodeProcessTest {

  private static final ActorTestKit TESTKIT = ActorTestKit.create();
  private static final TestProbe<Void> PROBE = TESTKIT.createTestProbe();

  @AfterAll
  static void shutdownTestKit() {
    TESTKIT.shutdownTestKit();
  }

  private static CliRun ok(String url, String... args) {
    List<String> all = new ArrayList<>(List.of("--node", url));
    all.addAll(List.of(args));
    CliRun c = CliRun.capture(CtlCommand::run, all.toArray(String[]::new));
    assertEquals(0, c.exit(), () -> String.join(" ", args) + " failed: " + c.err() + c.out());
    return c;
  }

  /** Retries a ctl command until it succeeds and its output contains {@code text} (attach is asynchronous). */
  private static CliRun eventually(String url, String text, String... args) {
    return PROBE.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(200), () -> {
      CliRun c = ok(url, args);
      assertTrue(c.out().contains(text), () -> String.join(" ", args) + ": " + c.out());
      return c;
    });
  }

  @Test
  void writeMoveReadBackAlsoAfterRestart(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("node");
    String file1;
    try (NodeProcess node = NodeProcess.start(PROBE, data, "first")) {
      String url = node.awaitReady();
      String devlist = eventually(url, "ch0", "devlist").out();
      assertTrue(devlist.contains("sa0") && devlist.contains("sa1"), devlist);
      String status = eventually(url, "CAM000L6", "changer", "ch0", "status").out();
      assertTrue(status.contains("slot 7:") && status.contains("CAM007L6"), status);

      ok(url, "changer", "ch0", "move", "slot", "0", "drive", "0");
      ok(url, "tape", "sa0", "write", "0a0b0c", "ddeeff00", "-", "11", "-");
      String st = ok(url, "tape", "sa0", "status").out();
      assertTrue(st.contains("file 2, object 5"), st);
      ok(url, "tape", "sa0", "rewind");
      ok(url, "changer", "ch0", "move", "drive", "0", "drive", "1");
      file1 = ok(url, "tape", "sa1", "read").out();
      assertEquals("0a0b0c\nddeeff00\n(2 blocks, stopped at filemark)\n", file1);
      assertEquals("11\n(1 blocks, stopped at filemark)\n", ok(url, "tape", "sa1", "read").out());
      assertEquals("(0 blocks, stopped at eod)\n", ok(url, "tape", "sa1", "read").out());
      assertTrue(ok(url, "changer", "ch0", "status").out().contains("drive 1:  <FULL,ACCESS> voltag: <CAM000L6> source: <slot 0>"));
      assertEquals(0, node.stop());
    }
    assertTrue(Files.exists(data.resolve("tape").resolve("emusim2").resolve("CAM000L6.tape")));

    try (NodeProcess again = NodeProcess.start(PROBE, data, "second")) {
      String url = again.awaitReady();
      String status = eventually(url, "CAM000L6", "changer", "ch0", "status").out();
      assertTrue(status.contains("drive 1:  <FULL,ACCESS> voltag: <CAM000L6> source: <slot 0>"), status);
      ok(url, "tape", "sa1", "rewind");
      assertEquals(file1, ok(url, "tape", "sa1", "read").out());
      ok(url, "tape", "sa1", "fsf", "0");
      assertEquals("11\n(1 blocks, stopped at filemark)\n", ok(url, "tape", "sa1", "read").out());
      ok(url, "changer", "ch0", "return", "drive", "1");
      assertTrue(ok(url, "changer", "ch0", "status").out().contains("slot 0:   <FULL,ACCESS> voltag: <CAM000L6>"));
      assertEquals(0, again.stop());
    }
  }
}
