package org.camstack.persistence.inspect;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.camstack.persistence.audit.LifetimeAudit;
import org.camstack.persistence.cli.Cli;
import org.camstack.persistence.cli.CamstackVersion;
import org.camstack.persistence.cli.TextTable;
import org.camstack.persistence.device.DeviceEntity;
import org.camstack.persistence.inspect.JournalReader.JournalUnavailable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code journal <verb>}: reads a camstack journal read-only, without starting the stack. Plain
 * JDBC on the {@code event_journal} table; payloads are decoded as JSON trees, so no event classes
 * are needed and events of unknown versions still show.
 *
 * <pre>
 * journal [--db DIR | --url jdbc:postgresql://... --user U --password P] VERB
 *   ids                 entities: type, id, event count, last sequence number, last update
 *   show ID             one entity's events: seq, time, event, fields
 *   tail [-n N] [-f]    the latest events across entities; -f follows a live node
 *   timeline DEVICE     every lifecycle step of a device and of each periph that attached to it
 *   verify [--live]     replay the lifetime trail and check the lifetime invariants
 *   export --json       every event as one JSON object per line
 * </pre>
 *
 * <p>{@code --db DIR} is a node's data directory (default {@code ./data}); the embedded H2 database
 * is opened with {@code AUTO_SERVER=TRUE}, so it can be read while that node runs. Exit codes: 0
 * success (verify: every invariant holds); 1 journal unreachable, not found, or verify found
 * breaches; 2 bad usage. An event that cannot be decoded is shown raw with its id and sequence
 * number and the inspection goes on. The lifetime trail's batch rows are shown as their events,
 * numbered by their place in the log ({@link JournalRow#events()}), as single-event rows were.
 */
public final class JournalInspector {

  private JournalInspector() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /**
   * Runs one inspector command line. Never throws; every error is one line on {@code err}.
   *
   * @return the exit code: 0 ok, 1 journal/verify failure, 2 bad usage
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    try {
      return commandLine(out, err).execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  /**
   * The inspector's command line (top command and verbs) printing to {@code out} and {@code err},
   * with the shared conventions of {@link Cli}: {@code --help} exit 0, {@code -V}, bad usage exit
   * 2. {@code ./camstack journal} mounts it as a sub-command.
   */
  public static CommandLine commandLine(PrintStream out, PrintStream err) {
    Context ctx = new Context(out, err);
    CommandLine cl = new CommandLine(new Journal(ctx));
    cl.addSubcommand("ids", new Ids(ctx));
    cl.addSubcommand("show", new Show(ctx));
    cl.addSubcommand("tail", new Tail(ctx));
    cl.addSubcommand("timeline", new Timeline(ctx));
    cl.addSubcommand("verify", new Verify(ctx));
    cl.addSubcommand("export", new Export(ctx));
    Cli.configure(cl, out, err);
    cl.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          err.println("journal: " + DecodedEvent.firstLine(String.valueOf(ex)));
          return Cli.FAILED;
        });
    return cl;
  }

  // -----------------------------------------------------------------------------------------------

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

  /** Fields not shown for lifetime events in the timeline (they are in the PERIPH column). */
  private static final Set<String> LIFETIME_HEADER =
      Set.of("type", "driver", "unit", "generation", "deviceId", "timestampMicros");

  private static final Set<String> TYPE_ONLY = Set.of("type");

  static String time(long epochMillis) {
    return epochMillis <= 0 ? "-" : TIME.format(Instant.ofEpochMilli(epochMillis));
  }

  /** Output streams and the database options of the top-level command. */
  static final class Context {
    final PrintStream out;
    final PrintStream err;
    Journal top;

    Context(PrintStream out, PrintStream err) {
      this.out = out;
      this.err = err;
    }
  }

  /** Where the journal is. On the top command and on every verb. */
  static final class DbOptions {
    @Option(
        names = "--db",
        paramLabel = "DIR",
        description = "a node's data directory (default: ./data)")
    Path db;

    @Option(
        names = "--url",
        paramLabel = "JDBC_URL",
        description = "journal database URL, e.g. jdbc:postgresql://127.0.0.1:5432/camstack")
    String url;

    @Option(names = "--user", description = "database user (with --url)")
    String user;

    @Option(names = "--password", description = "database password (with --url)")
    String password;
  }

  @Command(
      name = "journal",
      mixinStandardHelpOptions = true,
      versionProvider = CamstackVersion.class,
      description = "Read a camstack journal without starting the stack (read-only).",
      synopsisSubcommandLabel = "VERB")
  static final class Journal implements Callable<Integer> {
    private final Context ctx;

    @Mixin DbOptions db = new DbOptions();

    Journal(Context ctx) {
      this.ctx = ctx;
      ctx.top = this;
    }

    @Override
    public Integer call() {
      ctx.err.println("journal: missing verb: ids, show, tail, timeline, verify or export (try journal --help)");
      return Cli.USAGE;
    }
  }

  /** Common plumbing of the verbs: open the journal, catch everything at the edge. */
  abstract static class Verb implements Callable<Integer> {
    final Context ctx;

    @Mixin DbOptions db = new DbOptions();

    Verb(Context ctx) {
      this.ctx = ctx;
    }

    abstract int run(JournalReader reader) throws SQLException;

    @Override
    public final Integer call() {
      DbOptions top = ctx.top == null || ctx.top.db == null ? new DbOptions() : ctx.top.db;
      String url = db.url != null ? db.url : top.url;
      Path dir = db.db != null ? db.db : top.db;
      if (url != null && dir != null) {
        ctx.err.println("journal: give --db or --url, not both");
        return 2;
      }
      String user = db.user != null ? db.user : top.user;
      String password = db.password != null ? db.password : top.password;
      try (JournalReader reader =
          url != null
              ? JournalReader.openUrl(url, user, password)
              : JournalReader.openDataDir(dir != null ? dir : Path.of("data"))) {
        return run(reader);
      } catch (JournalUnavailable e) {
        ctx.err.println("journal: " + e.getMessage());
        return 1;
      } catch (SQLException e) {
        ctx.err.println("journal: query failed: " + JournalReader.message(e));
        return 1;
      } catch (RuntimeException e) {
        ctx.err.println("journal: " + DecodedEvent.firstLine(e.toString()));
        return 1;
      }
    }
  }

  @Command(name = "ids", mixinStandardHelpOptions = true, description = "List entities: type, id, event count, last update.")
  static final class Ids extends Verb {
    Ids(Context ctx) {
      super(ctx);
    }

    @Override
    int run(JournalReader reader) throws SQLException {
      TextTable t =
          new TextTable("TYPE", "ID", "EVENTS", "LAST SEQ", "LAST UPDATE (UTC)").rightAligned(2, 3);
      for (JournalReader.EntitySummary s : reader.summaries()) {
        JournalRow r = new JournalRow(0, s.persistenceId(), 0, 0, 0, "", new byte[0]);
        t.add(r.entityType(), r.entityId(), s.events(), s.lastSeqNr(), time(s.lastWrite()));
      }
      t.print(ctx.out);
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one entity's events: seq, time, event, fields.")
  static final class Show extends Verb {
    @Parameters(
        index = "0",
        paramLabel = "ID",
        description = "persistence id (CamDevice|naa.5000...) or entity id (naa.5000...)")
    String id;

    Show(Context ctx) {
      super(ctx);
    }

    @Override
    int run(JournalReader reader) throws SQLException {
      String pid = resolve(reader, ctx, id);
      if (pid == null) {
        return 1;
      }
      TextTable t = new TextTable("SEQ", "TIME (UTC)", "EVENT", "FIELDS").rightAligned(0);
      for (JournalRow row : reader.events(pid)) {
        DecodedEvent e = DecodedEvent.decode(row);
        t.add(row.seqNr(), time(row.writeTimestamp()), e.label(), e.fieldsText(TYPE_ONLY));
      }
      ctx.out.println(pid);
      t.print(ctx.out);
      return 0;
    }
  }

  /** The persistence id for a user-given id, or null after printing why not. */
  static String resolve(JournalReader reader, Context ctx, String id) throws SQLException {
    if (id.contains("|")) {
      if (reader.events(id).isEmpty()) {
        ctx.err.println("journal: no events for " + id);
        return null;
      }
      return id;
    }
    List<String> pids = reader.persistenceIdsFor(id);
    if (pids.isEmpty()) {
      ctx.err.println("journal: no entity with id " + id + " (try: journal ids)");
      return null;
    }
    if (pids.size() > 1) {
      ctx.err.println("journal: " + id + " is ambiguous: " + String.join(", ", pids));
      return null;
    }
    return pids.get(0);
  }

  @Command(name = "tail", mixinStandardHelpOptions = true, description = "Show the latest events across entities; -f follows.")
  static final class Tail extends Verb {
    @Option(names = "-n", paramLabel = "N", description = "how many (default: 20)")
    int count = 20;

    @Option(names = {"-f", "--follow"}, description = "keep printing new events as they are written")
    boolean follow;

    @Option(names = "--interval", paramLabel = "MS", description = "poll interval with -f (default: 500)")
    long intervalMillis = 500;

    @Option(names = "--exit-after", hidden = true, description = "with -f: stop after N new events")
    long exitAfter = Long.MAX_VALUE;

    Tail(Context ctx) {
      super(ctx);
    }

    @Override
    int run(JournalReader reader) throws SQLException {
      if (count < 0 || intervalMillis < 10) {
        ctx.err.println("journal: -n must be >= 0 and --interval >= 10");
        return 2;
      }
      TextTable t =
          new TextTable("ORDERING", "TIME (UTC)", "ENTITY", "SEQ", "EVENT", "FIELDS")
              .rightAligned(0, 3);
      long last = 0;
      for (JournalRow row : reader.latest(count)) {
        add(t, row);
        last = row.ordering();
      }
      t.print(ctx.out);
      ctx.out.flush();
      long seen = 0;
      while (follow && seen < exitAfter && !ctx.out.checkError()) {
        List<JournalRow> rows = reader.after(last, 1000);
        for (JournalRow row : rows) {
          add(t, row);
          last = row.ordering();
          seen++;
        }
        t.printRows(ctx.out);
        ctx.out.flush();
        if (rows.isEmpty() && !pause()) {
          break;
        }
      }
      return 0;
    }

    private boolean pause() {
      try {
        Thread.sleep(intervalMillis); // CLI polling loop, not an actor
        return true;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }

    private static void add(TextTable t, JournalRow row) {
      DecodedEvent e = DecodedEvent.decode(row);
      t.add(
          row.ordering(),
          time(row.writeTimestamp()),
          row.persistenceId(),
          row.seqNr(),
          e.label(),
          e.fieldsText(TYPE_ONLY));
    }
  }

  @Command(
      name = "timeline",
      mixinStandardHelpOptions = true,
      description =
          "Every lifecycle step of a device and of each periph that ever attached to it, in order.")
  static final class Timeline extends Verb {
    @Parameters(index = "0", paramLabel = "DEVICE", description = "the device key (WWN)")
    String device;

    Timeline(Context ctx) {
      super(ctx);
    }

    @Override
    int run(JournalReader reader) throws SQLException {
      List<JournalRow> rows = TimelineQuery.rows(reader, device);
      if (rows.isEmpty()) {
        ctx.err.println("journal: no events for device " + device);
        return 1;
      }
      TextTable t =
          new TextTable("TIME (UTC)", "ENTITY", "SEQ", "PERIPH", "EVENT", "FIELDS").rightAligned(2);
      for (JournalRow row : rows) {
        DecodedEvent e = DecodedEvent.decode(row);
        boolean isLifetime = row.entityType().equals(LifetimeAudit.ENTITY_TYPE);
        String periph = TimelineQuery.periph(e);
        t.add(
            time(row.writeTimestamp()),
            row.persistenceId(),
            row.seqNr(),
            periph,
            e.label(),
            e.fieldsText(isLifetime ? LIFETIME_HEADER : TYPE_ONLY));
      }
      ctx.out.println("timeline of " + device);
      t.print(ctx.out);
      return 0;
    }
  }

  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description =
          "Replay the lifetime trail and check the lifetime invariants; exit 0 only if all hold.")
  static final class Verify extends Verb {
    @Option(
        names = "--live",
        description = "the node is running: teardowns unfinished at the end are pending, not breaches")
    boolean live;

    @Option(names = "--host", paramLabel = "HOST", description = "only this host's trail")
    String host;

    Verify(Context ctx) {
      super(ctx);
    }

    @Override
    int run(JournalReader reader) throws SQLException {
      List<DecodedEvent> events = new ArrayList<>();
      List<JournalRow> rows =
          host == null
              ? reader.eventsOfType(LifetimeAudit.ENTITY_TYPE)
              : reader.events(LifetimeAudit.ENTITY_TYPE + "|" + host);
      for (JournalRow row : rows) {
        events.add(DecodedEvent.decode(row));
      }
      LifetimeVerifier.Result r = LifetimeVerifier.verify(events, live);
      for (LifetimeVerifier.Breach b : r.breaches()) {
        ctx.out.println(b.format("BREACH"));
      }
      for (LifetimeVerifier.Breach b : r.pending()) {
        ctx.out.println(b.format("PENDING"));
      }
      ctx.out.printf(
          "verify: %d lifetime events on %d host(s): %s%n",
          r.events(),
          r.hosts(),
          r.breaches().isEmpty() ? "all invariants hold" : r.breaches().size() + " breach(es)");
      return r.breaches().isEmpty() ? 0 : 1;
    }
  }

  @Command(name = "export", mixinStandardHelpOptions = true, description = "Every event as one JSON object per line.")
  static final class Export extends Verb {
    @Option(names = "--json", description = "JSON lines (the only format)")
    boolean json = true;

    @Option(names = "--id", paramLabel = "ID", description = "only this entity (persistence or entity id)")
    String id;

    private final ObjectMapper mapper = new ObjectMapper();

    Export(Context ctx) {
      super(ctx);
    }

    @Override
    int run(JournalReader reader) throws SQLException {
      if (id != null) {
        String pid = resolve(reader, ctx, id);
        if (pid == null) {
          return 1;
        }
        reader.events(pid).forEach(this::print);
      } else {
        reader.forEach(this::print);
      }
      return 0;
    }

    private void print(JournalRow row) {
      DecodedEvent e = DecodedEvent.decode(row);
      ObjectNode o = mapper.createObjectNode();
      o.put("ordering", row.ordering());
      o.put("persistenceId", row.persistenceId());
      o.put("entityType", row.entityType());
      o.put("entityId", row.entityId());
      o.put("seqNr", row.seqNr());
      o.put("writeTimestamp", row.writeTimestamp());
      o.put("event", e.name());
      o.put("version", e.version());
      o.put("manifest", row.manifest());
      if (e.ok()) {
        o.set("payload", e.fields());
      } else {
        o.putNull("payload");
        o.put("error", e.error());
        o.put("serializerId", row.serializerId());
        o.put("raw", Base64.getEncoder().encodeToString(row.payload()));
      }
      ctx.out.println(o.toString());
    }
  }
}
