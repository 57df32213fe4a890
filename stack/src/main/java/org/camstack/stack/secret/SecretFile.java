package org.camstack.stack.secret;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A file holding a secret (the API token of {@code --token-file}, CHAP credentials): a regular file
 * only its owner may read or write (mode 0600 or 0400), so the secret stays out of {@code ps} and out
 * of other users' reach. The one place that checks this; the node, {@code ctl} and the iSCSI CHAP
 * loader all read their secrets through it. On a file system without POSIX permissions there is
 * nothing to check and the file is read as it is.
 *
 * <p>Every problem is an {@link IllegalArgumentException} whose message names the file and, for a
 * readable-by-others file, the {@code chmod} that fixes it; the secret itself never appears in it.
 */
public final class SecretFile {

  private static final Set<PosixFilePermission> NOT_OWNER = EnumSet.of(
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  private SecretFile() {}

  /**
   * The first line of {@code file}, stripped.
   *
   * @param what what the file holds, for messages ("token", "CHAP secrets")
   * @throws IllegalArgumentException missing, not a regular file, accessible by others, unreadable, or
   *     an empty first line
   */
  public static String firstLine(Path file, String what) {
    String first = lines(file, what).stream().findFirst().orElse("").strip();
    if (first.isEmpty()) {
      throw new IllegalArgumentException(what + " file " + file + " is empty");
    }
    return first;
  }

  /**
   * Every line of {@code file} (UTF-8), after the same checks as {@link #firstLine}.
   *
   * @throws IllegalArgumentException missing, not a regular file, accessible by others, unreadable
   */
  public static List<String> lines(Path file, String what) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(what + " file " + file + " not found (or not a regular file)");
    }
    Set<PosixFilePermission> perms;
    try {
      perms = Files.getPosixFilePermissions(file);
    } catch (UnsupportedOperationException e) {
      perms = Set.of(); // no POSIX permissions on this file system: nothing to check
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + what + " file " + file + ": " + e.getMessage());
    }
    if (perms.stream().anyMatch(NOT_OWNER::contains)) {
      throw new IllegalArgumentException(what + " file " + file + " is accessible by others (mode "
          + PosixFilePermissions.toString(perms) + "); chmod 600 it");
    }
    try {
      return Files.readString(file, StandardCharsets.UTF_8).lines().toList();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + what + " file " + file + ": " + e.getMessage());
    }
  }
}
