package org.camstack.stack.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The files a node keeps in its data directory besides the journal: {@code node.lock} (held with
 * {@link FileChannel#tryLock()} for the node's life, so two nodes never write one journal) and
 * {@code node.json} (pid and ports, so scripts, tests and {@code camstack ctl} find a node started
 * with {@code --port 0}).
 */
public final class NodeFiles implements AutoCloseable {

  /** The content of {@code node.json}. */
  public record NodeInfo(long pid, String url, int port, int clusterPort, String node, String dataDir, long startedAtMillis) {}

  public static final String LOCK_FILE = "node.lock";
  public static final String INFO_FILE = "node.json";
  public static final String HOST_ID_FILE = "host-id";

  private final Path dataDir;
  private final FileChannel channel;
  private final FileLock lock;

  private NodeFiles(Path dataDir, FileChannel channel, FileLock lock) {
    this.dataDir = dataDir;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * The data directory is the node's alone (0700): the journal, its secret, H2's lock file (which
   * names the AUTO_SERVER port and key) and the logs are nobody else's business.
   */
  private static void ownerOnly(Path dir) throws IOException {
    if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
      Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    }
  }

  /**
   * Creates the data directory if needed and takes its lock.
   *
   * @throws IllegalStateException one line, when another node holds the lock or the directory is
   *     unusable
   */
  public static NodeFiles lock(Path dataDir) {
    try {
      Files.createDirectories(dataDir);
      ownerOnly(dataDir);
    } catch (IOException e) {
      throw new IllegalStateException("cannot create data directory " + dataDir + ": " + e.getMessage());
    }
    FileChannel ch;
    try {
      ch = FileChannel.open(dataDir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new IllegalStateException("cannot open " + dataDir.resolve(LOCK_FILE) + ": " + e.getMessage());
    }
    FileLock l;
    try {
      l = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      l = null;
    } catch (IOException e) {
      closeQuietly(ch);
      throw new IllegalStateException("cannot lock " + dataDir.resolve(LOCK_FILE) + ": " + e.getMessage());
    }
    if (l == null) {
      closeQuietly(ch);
      String owner = readInfo(dataDir).map(i -> " (pid " + i.pid() + ", " + i.url() + ")").orElse("");
      throw new IllegalStateException(
          "data directory " + dataDir + " is in use by another node" + owner + "; stop it or use --data DIR");
    }
    return new NodeFiles(dataDir, ch, l);
  }

  /** Writes {@code node.json} atomically. */
  public void writeInfo(NodeInfo info) {
    Path target = dataDir.resolve(INFO_FILE);
    Path tmp = dataDir.resolve(INFO_FILE + ".tmp");
    try {
      Files.writeString(tmp, ManagementRoutes.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(info) + "\n");
      try {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot write " + target + ": " + e.getMessage());
    }
  }

  /**
   * The id of this host's per-host entities (wiring, lifetime audit): {@code override} when given,
   * else the one in {@code DATA/host-id}, created on first start, so a data directory is one host.
   */
  public String hostId(String override) {
    if (override != null && !override.isBlank()) {
      return override.trim();
    }
    Path f = dataDir.resolve(HOST_ID_FILE);
    try {
      if (Files.isRegularFile(f)) {
        String id = Files.readString(f, StandardCharsets.UTF_8).trim();
        if (!id.isEmpty()) {
          return id;
        }
      }
      String id = "host-" + Long.toHexString(new java.security.SecureRandom().nextLong() & 0xffffffffffL);
      Files.writeString(f, id + "\n", StandardCharsets.UTF_8);
      return id;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read or write " + f + ": " + e.getMessage());
    }
  }

  /** Removes {@code node.json} (a clean stop leaves no stale pointer behind). */
  public void deleteInfo() {
    try {
      Files.deleteIfExists(dataDir.resolve(INFO_FILE));
    } catch (IOException e) {
      // nothing to do: the next start overwrites it
    }
  }

  /** Reads {@code DIR/node.json}, if there is a readable one. */
  public static Optional<NodeInfo> readInfo(Path dataDir) {
    Path f = dataDir.resolve(INFO_FILE);
    if (!Files.isRegularFile(f)) {
      return Optional.empty();
    }
    try {
      return Optional.of(ManagementRoutes.MAPPER.readValue(Files.readString(f, StandardCharsets.UTF_8), NodeInfo.class));
    } catch (JsonProcessingException e) {
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  public Path dataDir() {
    return dataDir;
  }

  /** Releases the lock. Idempotent. */
  @Override
  public void close() {
    try {
      if (lock.isValid()) {
        lock.release();
      }
    } catch (IOException e) {
      // the channel close below releases it too
    }
    closeQuietly(channel);
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // already unusable
    }
  }
}
