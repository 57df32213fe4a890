package org.camstack.stack.secret;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one owner-only secret file reader: which modes pass, what the refusals say. */
class SecretFileTest {

  @TempDir Path dir;

  private Path file(String perms, String text) throws Exception {
    Path f = Files.createTempFile(dir, "secret", "");
    Files.writeString(f, text);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
    return f;
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "rw-------, true", "r--------, true", "rwx------, true",
      "rw-r-----, false", "rw--w----, false", "rw----r--, false", "rw-----w-, false", "rw------x, false", "rw-r--r--, false"})
  void onlyOwnerOnlyModesPass(String perms, boolean ok) throws Exception {
    Path f = file(perms, "tok\n");
    if (ok) {
      assertEquals("tok", SecretFile.firstLine(f, "token"));
    } else {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SecretFile.firstLine(f, "token"));
      assertEquals("token file " + f + " is accessible by others (mode " + perms + "); chmod 600 it", e.getMessage());
    }
  }

  @Test
  void linesAndRefusals() throws Exception {
    assertEquals(List.of("a", "", "b"), SecretFile.lines(file("rw-------", "a\n\nb\n"), "CHAP secrets"));
    assertEquals("first", SecretFile.firstLine(file("rw-------", "  first  \nsecond\n"), "token"));
    Path empty = file("rw-------", "\n");
    assertEquals("token file " + empty + " is empty",
        assertThrows(IllegalArgumentException.class, () -> SecretFile.firstLine(empty, "token")).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> SecretFile.lines(dir.resolve("nope"), "x"))
        .getMessage().contains("not found"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> SecretFile.lines(dir, "x"))
        .getMessage().contains("not a regular file"));
  }
}
