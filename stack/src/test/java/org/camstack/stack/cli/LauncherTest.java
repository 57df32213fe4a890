package org.camstack.stack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./camstack} launcher's rebuild rule, run for real with bash on a copy of the
 * launcher in a scratch tree whose {@code mvn} and {@code java} are recording scripts: any file
 * under a {@code src/} directory (at any depth) or any pom newer than the last build makes it
 * rebuild, and it says so on stderr; nothing changed, no build.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LauncherTest {

  @TempDir Path root;

  private Path calls;
  private final Instant built = Instant.now().minusSeconds(3600);

  @BeforeEach
  void scratchTree() throws IOException {
    Files.copy(Path.of("..", "camstack").toAbsolutePath().normalize(), root.resolve("camstack"), StandardCopyOption.COPY_ATTRIBUTES);
    calls = root.resolve("calls.txt");
    Files.writeString(calls, "");
    Path bin = Files.createDirectories(root.resolve("fake/bin"));
    script(bin.resolve("mvn"), "#!/bin/sh\necho \"mvn $*\" >> '" + calls + "'\n");
    script(bin.resolve("java"), "#!/bin/sh\necho \"java $*\" >> '" + calls + "'\n");
    for (String module : new String[] {"stack", "bench"}) {
      Files.createDirectories(root.resolve(module + "/target"));
      Files.writeString(root.resolve(module + "/target/classpath.txt"), "");
    }
    Path deep = root.resolve("stack/src/main/java/org/camstack/stack/xpt/Xpt.java");
    Files.createDirectories(deep.getParent());
    Files.writeString(deep, "class Xpt {}\n");
    Files.writeString(root.resolve("pom.xml"), "<project/>\n");
    Files.writeString(root.resolve("stack/target/.camstack-built"), "");
    try (var all = Files.walk(root)) {
      for (Path p : all.toList()) {
        Files.setLastModifiedTime(p, FileTime.from(built.minusSeconds(60)));
      }
    }
    Files.setLastModifiedTime(root.resolve("stack/target/.camstack-built"), FileTime.from(built));
  }

  private static void script(Path p, String text) throws IOException {
    Files.writeString(p, text);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private record Launch(int exit, String err, String calls) {}

  private Launch launch(String... args) throws Exception {
    Files.writeString(calls, "");
    String[] cmd = new String[args.length + 2];
    cmd[0] = "bash";
    cmd[1] = root.resolve("camstack").toString();
    System.arraycopy(args, 0, cmd, 2, args.length);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("PATH", root.resolve("fake/bin") + ":" + System.getenv("PATH"));
    pb.environment().put("JAVA_HOME", root.resolve("fake").toString());
    Path err = root.resolve("stderr.txt");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "launcher hangs");
    return new Launch(p.exitValue(), Files.readString(err, StandardCharsets.UTF_8), Files.readString(calls, StandardCharsets.UTF_8));
  }

  private void touch(String file) throws IOException {
    Files.setLastModifiedTime(root.resolve(file), FileTime.from(Instant.now()));
  }

  @Test
  void nothingChangedMeansNoBuild() throws Exception {
    Launch l = launch("-V");
    assertEquals(0, l.exit(), l.err());
    assertEquals("", l.err());
    assertFalse(l.calls().contains("mvn"), l.calls());
    assertTrue(l.calls().contains("org.camstack.stack.cli.Main -V"), l.calls());
  }

  @Test
  void aChangedJavaFileNineLevelsDownRebuildsAndSaysSo() throws Exception {
    touch("stack/src/main/java/org/camstack/stack/xpt/Xpt.java");
    Launch l = launch("devlist");
    assertEquals(0, l.exit(), l.err());
    assertTrue(l.err().startsWith("camstack: rebuilding (stack/src/main/java/org/camstack/stack/xpt/Xpt.java changed)..."), l.err());
    assertTrue(l.calls().startsWith("mvn "), l.calls());
    assertTrue(l.calls().contains("org.camstack.stack.cli.Main devlist"), l.calls());
    // built now: the next run does not build again
    assertFalse(launch("devlist").calls().contains("mvn"));
  }

  @Test
  void aDeletedSourceFileRebuilds() throws Exception {
    Files.delete(root.resolve("stack/src/main/java/org/camstack/stack/xpt/Xpt.java"));
    Launch l = launch("-V");
    assertTrue(l.err().startsWith("camstack: rebuilding (stack/src/main/java/org/camstack/stack/xpt changed)..."), l.err());
    assertTrue(l.calls().startsWith("mvn "), l.calls());
  }

  @Test
  void aChangedPomOrTestSourceRebuilds() throws Exception {
    touch("pom.xml");
    assertTrue(launch("-V").err().contains("rebuilding (pom.xml changed)"));
    Path test = root.resolve("bench/src/test/java/org/camstack/bench/SomeTest.java");
    Files.createDirectories(test.getParent());
    Files.writeString(test, "class SomeTest {}\n");
    Launch l = launch("bench", "--help");
    assertTrue(l.err().contains("rebuilding (bench/src/test/java/org/camstack/bench/SomeTest.java changed)"), l.err());
    assertTrue(l.calls().contains("org.camstack.bench.BenchMain --help"), l.calls());
  }

  @Test
  void aSourcePackageNamedTargetIsSourceNotBuildOutput() throws Exception {
    Path lun = root.resolve("stack/src/main/java/org/camstack/stack/target/EmuDisk.java");
    Files.createDirectories(lun.getParent());
    Files.writeString(lun, "class EmuDisk {}\n");
    Launch l = launch("-V");
    assertTrue(l.err().contains("rebuilding (stack/src/main/java/org/camstack/stack/target"), l.err());
    // a module's build output is not a reason to build
    Files.writeString(root.resolve("stack/target/Some.class"), "");
    assertFalse(launch("-V").calls().contains("mvn"));
  }
}
