package org.camstack.persistence.journal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.Set;

/**
 * The embedded journal's password: 32 random bytes in hex, in a file only the node's user can read
 * (0600). See {@link JournalConfig#h2(Path)}.
 */
final class H2Secret {
  private static final SecureRandom RANDOM = new SecureRandom();

  private H2Secret() {}

  static String fresh() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private static String hex(String s) {
    if (!s.matches("[0-9a-fA-F]+")) {
      throw new IllegalStateException("journal secret is not hex");
    }
    return s;
  }

  /** The password in {@code file}; 0600 enforced (tightened if looser). */
  static String read(Path file) {
    try {
      if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        Set<PosixFilePermission> owner = PosixFilePermissions.fromString("rw-------");
        if (!owner.containsAll(perms)) {
          Files.setPosixFilePermissions(file, owner);
        }
      }
      String s = Files.readString(file, StandardCharsets.US_ASCII).strip();
      if (s.isEmpty()) {
        throw new IllegalStateException("journal secret " + file + " is empty (remove it only if the journal is new)");
      }
      return s;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read journal secret " + file + ": " + e.getMessage());
    }
  }

  /** The password in {@code file}, created (0600, from the first byte on) if missing. */
  static String readOrCreate(Path file) {
    if (Files.exists(file)) {
      return read(file);
    }
    try {
      Files.createDirectories(file.getParent());
      String pw = fresh();
      Path tmp = file.resolveSibling(file.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
      Files.deleteIfExists(tmp);
      if (Files.getFileStore(file.getParent()).supportsFileAttributeView("posix")) {
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } else {
        Files.createFile(tmp);
      }
      Files.writeString(tmp, pw + "\n", StandardCharsets.US_ASCII);
      try {
        Files.move(tmp, file); // no replace: a racing creator's secret wins
      } catch (FileAlreadyExistsException e) {
        Files.deleteIfExists(tmp);
        return read(file);
      }
      return pw;
    } catch (IOException e) {
      throw new IllegalStateException("cannot create journal secret " + file + ": " + e.getMessage());
    }
  }

  /**
   * A journal created as {@code sa} with an empty password: adds {@code user} with {@code
   * password} (admin) and gives {@code sa} a random password nobody keeps. Best effort: if the
   * old credentials do not work the journal is left as it is (opening it then names the cause).
   */
  static void migrateLegacy(String url, String user, String password) {
    try (Connection c = DriverManager.getConnection(url + ";IFEXISTS=TRUE", "sa", "")) {
      // the passwords are hex (fresh()), so quoting them is safe; CREATE USER takes no parameters
      try (PreparedStatement ps = c.prepareStatement("CREATE USER IF NOT EXISTS " + user + " PASSWORD '" + hex(password) + "' ADMIN")) {
        ps.execute();
      }
      try (PreparedStatement ps = c.prepareStatement("ALTER USER SA SET PASSWORD '" + fresh() + "'")) {
        ps.execute();
      }
    } catch (SQLException e) {
      // not a legacy journal after all (or in use elsewhere): nothing to migrate
    }
  }
}
