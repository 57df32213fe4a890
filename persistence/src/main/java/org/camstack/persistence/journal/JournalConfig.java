package org.camstack.persistence.journal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Where a node's journal lives, and the Pekko configuration that points the JDBC journal, snapshot
 * store and read journal at it.
 *
 * <ul>
 *   <li>Embedded (default): an H2 file database {@code <data-dir>/camstack.mv.db}, opened with
 *       {@code AUTO_SERVER=TRUE} so the journal inspector can read it while the node runs (the
 *       server H2 starts for that listens on 127.0.0.1 only: {@code h2.bindAddress}, set here
 *       unless given; the user is {@value #H2_USER} with a random password kept in the 0600 file
 *       {@code <data-dir>/}{@value #H2_SECRET_FILE}), and
 *       {@code WRITE_DELAY=0} so a commit is in the file before the journal acknowledges it (H2's
 *       default delay of 500 ms loses acknowledged events when the process is killed).
 *   <li>PostgreSQL: a {@code jdbc:postgresql://host:port/db} URL with user and password. Same
 *       schema source (the DDL shipped in the plugin jar), see {@link JournalSchema}.
 * </ul>
 *
 * <pre>{@code
 * Config app = ConfigFactory.load();
 * Config cfg = JournalConfig.fromConfig(app).applyTo(app);   // camstack.data-dir / camstack.journal.url
 * ActorSystem<Void> system = ActorSystem.create(guardian, "camstack", cfg);
 * JournalSchema.createIfNotExists(system).toCompletableFuture().get(30, SECONDS);
 * }</pre>
 */
public final class JournalConfig {

  /** The database behind the journal. */
  public enum Kind {
    H2("slick.jdbc.H2Profile$", "org.h2.Driver"),
    POSTGRES("slick.jdbc.PostgresProfile$", "org.postgresql.Driver");

    private final String slickProfile;
    private final String driver;

    Kind(String slickProfile, String driver) {
      this.slickProfile = slickProfile;
      this.driver = driver;
    }

    public String slickProfile() {
      return slickProfile;
    }

    public String driver() {
      return driver;
    }
  }

  static {
    // AUTO_SERVER's TCP server binds to h2.bindAddress (read once, when H2 first loads): keep it
    // on loopback unless the operator asked otherwise (-Dh2.bindAddress=...)
    if (System.getProperty("h2.bindAddress") == null) {
      System.setProperty("h2.bindAddress", "127.0.0.1");
    }
  }

  /** The user of the embedded H2 journal (an administrator of that database only). */
  public static final String H2_USER = "camstack";

  /** File in the data dir holding the embedded journal's password (mode 0600, created at first start). */
  public static final String H2_SECRET_FILE = "journal.secret";

  /** File name (without H2's {@code .mv.db}) of the embedded database inside the data dir. */
  public static final String H2_DATABASE_NAME = "camstack";

  private final Kind kind;
  private final String url;
  private final String user;
  private final String password;

  private JournalConfig(Kind kind, String url, String user, String password) {
    this.kind = kind;
    this.url = url;
    this.user = user == null ? "" : user;
    this.password = password == null ? "" : password;
  }

  /**
   * The embedded H2 journal under {@code dataDir} (made absolute; created on first start), as
   * {@value #H2_USER} with the password of {@value #H2_SECRET_FILE} (generated, 0600, on first use).
   * A journal created before there was a password (user {@code sa}, empty password) is given the
   * user and password here, and {@code sa} a random password nobody keeps.
   *
   * @throws IllegalStateException one line, when the secret cannot be read or written
   */
  public static JournalConfig h2(Path dataDir) {
    Path dir = dataDir.toAbsolutePath().normalize();
    boolean legacy = Files.isRegularFile(dir.resolve(H2_DATABASE_NAME + ".mv.db")) && !Files.exists(dir.resolve(H2_SECRET_FILE));
    String password = H2Secret.readOrCreate(dir.resolve(H2_SECRET_FILE));
    if (legacy) {
      H2Secret.migrateLegacy(h2Url(dir), H2_USER, password);
    }
    return new JournalConfig(Kind.H2, h2Url(dir), H2_USER, password);
  }

  /**
   * The embedded journal for a reader (the inspector): its secret if there is one, else the
   * pre-password {@code sa} with an empty password. Never creates anything.
   */
  public static JournalConfig h2Existing(Path dataDir) {
    Path dir = dataDir.toAbsolutePath().normalize();
    Path secret = dir.resolve(H2_SECRET_FILE);
    if (!Files.exists(secret)) {
      return new JournalConfig(Kind.H2, h2Url(dir), "sa", "");
    }
    return new JournalConfig(Kind.H2, h2Url(dir), H2_USER, H2Secret.read(secret));
  }

  /**
   * A journal at a JDBC URL: {@code jdbc:postgresql://...} or {@code jdbc:h2:...}.
   *
   * @throws IllegalArgumentException for any other URL (one-line message for the CLI)
   */
  public static JournalConfig jdbc(String url, String user, String password) {
    Kind kind = kindOf(url);
    if (kind == Kind.H2 && (user == null || user.isEmpty())) {
      return new JournalConfig(kind, url, "sa", password);
    }
    return new JournalConfig(kind, url, user, password);
  }

  /**
   * From the application config: {@code camstack.journal.url} if set (with {@code user} and
   * {@code password}), else the embedded H2 under {@code camstack.data-dir}.
   */
  public static JournalConfig fromConfig(Config config) {
    String url = config.getString("camstack.journal.url");
    if (!url.isBlank()) {
      return jdbc(
          url,
          config.getString("camstack.journal.user"),
          config.getString("camstack.journal.password"));
    }
    return h2(Path.of(config.getString("camstack.data-dir")));
  }

  /**
   * The H2 URL for a data directory: {@code
   * jdbc:h2:file:<abs dir>/camstack;AUTO_SERVER=TRUE;WRITE_DELAY=0;MAX_LENGTH_INPLACE_LOB=262144}.
   */
  public static String h2Url(Path dataDir) {
    Path abs = dataDir.toAbsolutePath().normalize();
    return "jdbc:h2:file:" + abs.resolve(H2_DATABASE_NAME) + ";AUTO_SERVER=TRUE;WRITE_DELAY=0;MAX_LENGTH_INPLACE_LOB="
        + H2_INPLACE_LOB;
  }

  /**
   * Payloads up to this many bytes stay inside the journal row instead of H2's separate LOB store
   * (H2's default is 256 bytes; the plugin's payload column is a BLOB). A lifetime-trail batch row
   * is up to ~64 KB of JSON (docs/persistence.md, "The lifetime trail's rows"); in the LOB store such
   * rows made single journal writes stall for more than 5 s at ~120,000 events/s, inline they did
   * not (docs/benchmarks.md, "What is still wrong: the H2 journal stalls").
   */
  static final int H2_INPLACE_LOB = 262_144;

  /** Which database a JDBC URL names; {@link IllegalArgumentException} if not H2 or PostgreSQL. */
  public static Kind kindOf(String url) {
    String u = url == null ? "" : url.trim().toLowerCase(Locale.ROOT);
    if (u.startsWith("jdbc:postgresql:")) {
      return Kind.POSTGRES;
    }
    if (u.startsWith("jdbc:h2:")) {
      return Kind.H2;
    }
    throw new IllegalArgumentException(
        "unsupported journal URL '" + url + "' (expected jdbc:postgresql://... or jdbc:h2:...)");
  }

  public Kind kind() {
    return kind;
  }

  public String url() {
    return url;
  }

  public String user() {
    return user;
  }

  public String password() {
    return password;
  }

  /**
   * The overlay that turns the JDBC journal on: {@code camstack-persistence.conf} plus this
   * database. Use as {@code toConfig().withFallback(appConfig)}, or {@link #applyTo(Config)}.
   */
  public Config toConfig() {
    Map<String, Object> db = new HashMap<>();
    db.put("pekko-persistence-jdbc.shared-databases.slick.profile", kind.slickProfile());
    db.put("pekko-persistence-jdbc.shared-databases.slick.db.url", url);
    db.put("pekko-persistence-jdbc.shared-databases.slick.db.user", user);
    db.put("pekko-persistence-jdbc.shared-databases.slick.db.password", password);
    db.put("pekko-persistence-jdbc.shared-databases.slick.db.driver", kind.driver());
    return ConfigFactory.parseMap(db, "JournalConfig " + this)
        .withFallback(ConfigFactory.parseResources("camstack-persistence.conf"))
        .withValue("camstack.journal.url", ConfigValueFactory.fromAnyRef(url));
  }

  /** {@code toConfig().withFallback(base).resolve()}. */
  public Config applyTo(Config base) {
    return toConfig().withFallback(base).resolve();
  }

  /** The URL and user; the password is never shown. */
  @Override
  public String toString() {
    return kind + " " + url + (user.isEmpty() ? "" : " as " + user);
  }
}
