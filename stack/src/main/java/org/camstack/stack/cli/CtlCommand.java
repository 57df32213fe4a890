package org.camstack.stack.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.camstack.persistence.cli.Cli;
import org.camstack.persistence.cli.Cli.UsageException;
import org.camstack.stack.cli.CtlClient.CtlException;
import org.camstack.stack.cli.CtlClient.Reply;
import org.camstack.stack.node.ApiModel;
import org.camstack.stack.node.DevlistFormat;
import org.camstack.stack.node.NodeFiles;
import org.camstack.stack.secret.SecretFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;

/**
 * {@code ./camstack ctl [--node URL] [--token T | --token-file FILE] [--json] VERB ...}:
 * camcontrol(8) verbs and the emulator's own verbs against a running node's management API.
 * camcontrol verbs print what modern camcontrol prints ({@link CamcontrolFormat}, {@link
 * DevlistFormat}; {@code --legacy-format} for the 2012 wording) and exit as camcontrol does: 0 on
 * success, 1 on any error; bad usage is one line and exit 2. {@code --json} prints the API's JSON
 * instead (every read verb). An unreachable node is one line, {@code camstack ctl: cannot reach
 * node at URL}, exit 1.
 *
 * <p>The node URL: {@code --node}, else {@code $CAMSTACK_NODE}, else {@code url} in {@code
 * DATA/node.json} ({@code --data DIR}, default {@code ./data}), else {@value #DEFAULT_URL}. The
 * API token: {@code --token}, else {@code --token-file FILE} (refused unless only its owner may
 * read it, mode 0600 or 0400), else {@code $CAMSTACK_TOKEN}; the last two keep it out of {@code ps}.
 */
@Command(
    name = "ctl",
    mixinStandardHelpOptions = true,
    subcommands = {CtlCommand.Lun.class, CtlCommand.Inject.class, CtlCommand.Wire.class, CtlCommand.Port.class, CtlCommand.Iscsi.class, TapeCommands.Tape.class, TapeCommands.Changer.class, DeviceCommands.Cd.class, DeviceCommands.Pt.class, ClusterCommands.class, SmpCommands.SmpVerb.class, TargCommands.class},
    description = "camcontrol-style verbs against a running node's management API.",
    synopsisSubcommandLabel = "VERB",
    sortOptions = false,
    footer = {
      "",
      "DEV is a periph name (da0, pass1, ses0) or B:T:L.",
      "Node URL: --node, $CAMSTACK_NODE, DATA/node.json, or " + CtlCommand.DEFAULT_URL + ".",
      "Token: --token, --token-file FILE (mode 0600), or $CAMSTACK_TOKEN.",
      "Exit: 0 ok, 1 the command failed (camcontrol's code), 2 bad usage."
    })
public final class CtlCommand implements Callable<Integer> {

  /** Where a node listens by default ({@code camstack.node.port = 8080}). */
  public static final String DEFAULT_URL = "http://127.0.0.1:8080";

  /** The environment variable with the node URL. */
  public static final String NODE_ENV = "CAMSTACK_NODE";

  /** The environment variable with the API token. */
  public static final String TOKEN_ENV = "CAMSTACK_TOKEN";

  static final String WHO = "camstack ctl";

  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kKmMgGtTpP]?)(i?[bB])?");
  private static final Pattern PERIPH = Pattern.compile("([a-z]+)(\\d+)");

  @Option(names = "--node", paramLabel = "URL", description = "the node's API (default: $CAMSTACK_NODE, DATA/node.json, " + DEFAULT_URL + ")")
  String node;

  @Option(names = "--token", paramLabel = "T", description = "API token (visible in ps: prefer --token-file or $CAMSTACK_TOKEN)")
  String token;

  @Option(names = "--token-file", paramLabel = "FILE", description = "read the API token from FILE (must be mode 0600)")
  Path tokenFile;

  @Option(names = "--data", paramLabel = "DIR", description = "a node's data directory, for its node.json (default ./data)")
  Path data = Path.of("data");

  @Option(names = "--timeout", paramLabel = "S", description = "seconds to wait for an answer (default 30)")
  long timeoutSeconds = 30;

  @Option(names = "--json", scope = ScopeType.INHERIT, description = "print the API's JSON instead of camcontrol's text")
  boolean json;

  @Option(names = "--legacy-format", scope = ScopeType.INHERIT, description = "camcontrol's 2012 wording (decimal LUNs, SCSI-n)")
  boolean legacyFormat;

  private final PrintStream out;
  private CtlClient client;

  CtlCommand(PrintStream out) {
    this.out = out;
  }

  /** Runs one ctl invocation ({@code ./camstack ctl ARGS}); returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    String[] all = new String[args.length + 1];
    all[0] = "ctl";
    System.arraycopy(args, 0, all, 1, args.length);
    return Main.run(all, out, err);
  }

  @Override
  public Integer call() {
    throw new UsageException("missing verb");
  }

  /** {@code --help} on every verb ({@code -h} is readcap's humanize flag, as in camcontrol). */
  static final class Help {
    @Option(names = "--help", usageHelp = true, description = "show this help and exit")
    boolean help;
  }

  // ------------------------------------------------------------------ the client

  CtlClient client() {
    if (client == null) {
      String url = node;
      if (url == null || url.isBlank()) {
        url = System.getenv(NODE_ENV);
      }
      if (url == null || url.isBlank()) {
        url = NodeFiles.readInfo(data).map(NodeFiles.NodeInfo::url).orElse(DEFAULT_URL);
      }
      if (timeoutSeconds <= 0) {
        throw new UsageException("--timeout must be > 0");
      }
      client = new CtlClient(url, resolveToken(token, tokenFile, System.getenv(TOKEN_ENV)), Duration.ofSeconds(timeoutSeconds));
    }
    return client;
  }

  /**
   * The API token: {@code --token}, else the first line of {@code --token-file} (refused when
   * group or others may read or write it), else {@code $CAMSTACK_TOKEN}.
   *
   * @throws UsageException both options given, an unreadable file, or a file others can read
   */
  static Optional<String> resolveToken(String option, Path file, String env) {
    if (option != null && file != null) {
      throw new UsageException("give --token or --token-file, not both");
    }
    if (option != null) {
      return Optional.of(option).filter(t -> !t.isBlank());
    }
    if (file != null) {
      return Optional.of(readTokenFile(file));
    }
    return Optional.ofNullable(env).filter(t -> !t.isBlank());
  }

  /** The token in {@code file}; it must be a regular file only its owner can read (0600/0400). */
  static String readTokenFile(Path file) {
    try {
      return SecretFile.firstLine(file, "token");
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }

  private DevlistFormat.Style style() {
    return legacyFormat ? DevlistFormat.Style.LEGACY : DevlistFormat.Style.MODERN;
  }

  // ------------------------------------------------------------------ camcontrol verbs

  @Command(name = "devlist", description = "The EDT (XPT_DEV_MATCH), as camcontrol devlist prints it.")
  int devlist(
      @Option(names = "-v", description = "bus lines and unconfigured devices") boolean verbose,
      @Option(names = "-b", description = "bus lines only") boolean busOnly,
      @Option(names = "--cluster", description = "every clustered LUN once: its owner and ALUA state per node") boolean cluster,
      @Mixin Help h) {
    if (cluster) {
      return ClusterCommands.devlist(this);
    }
    Reply<ApiModel.Devlist> r = client().get("/api/devlist", ApiModel.Devlist.class);
    return print(r, d -> DevlistFormat.format(d, verbose, busOnly, style()));
  }

  @Command(name = "periphlist", description = "The periphs of a device (XPT_GDEVLIST).")
  int periphlist(@Parameters(paramLabel = "DEV") String dev, @Mixin Help h) {
    Reply<ApiModel.PeriphList> r = client().get(devPath(dev) + "/periphs", ApiModel.PeriphList.class);
    int rc = print(r, CamcontrolFormat::periphlist);
    return r.value().periphs().stream().anyMatch(p -> p.status().equals("ERROR")) ? 1 : rc;
  }

  @Command(name = "inquiry", description = "Standard inquiry (-D), serial number (-S), transfer rate (-R); all three by default.")
  int inquiry(
      @Parameters(paramLabel = "DEV") String dev,
      @Option(names = "-D", description = "standard inquiry data") boolean std,
      @Option(names = "-S", description = "serial number") boolean serial,
      @Option(names = "-R", description = "transfer rate") boolean rate,
      @Mixin Help h) {
    Reply<ApiModel.Inquiry> r = client().get(devPath(dev) + "/inquiry", ApiModel.Inquiry.class);
    return print(r, inq -> CamcontrolFormat.inquiry(inq, std, serial, rate, style()));
  }

  @Command(name = "readcap", aliases = "readcapacity", description = "READ CAPACITY: last block and block length.")
  int readcap(
      @Parameters(paramLabel = "DEV") String dev,
      @Option(names = "-b", description = "block length only") boolean blockSize,
      @Option(names = "-h", description = "humanized size, base 2") boolean humanize,
      @Option(names = "-H", description = "humanized size, base 10") boolean humanize10,
      @Option(names = "-N", description = "number of blocks instead of the last block") boolean numBlocks,
      @Option(names = "-q", description = "numbers only") boolean quiet,
      @Option(names = "-s", description = "size only") boolean sizeOnly,
      @Mixin Help h) {
    CamcontrolFormat.ReadcapFlags f =
        new CamcontrolFormat.ReadcapFlags(blockSize, humanize || humanize10, humanize10, numBlocks, quiet, sizeOnly);
    if (f.conflict() != null) {
      throw new UsageException(f.conflict());
    }
    Reply<ApiModel.ReadCap> r = client().get(devPath(dev) + "/readcap", ApiModel.ReadCap.class);
    return print(r, rc -> CamcontrolFormat.readcap(rc, f));
  }

  @Command(name = "tur", description = "TEST UNIT READY; exit 1 when not ready.")
  int tur(@Parameters(paramLabel = "DEV") String dev, @Option(names = "-v", description = "decode the sense") boolean verbose, @Mixin Help h) {
    Reply<ApiModel.CommandResult> r = client().get(devPath(dev) + "/tur", ApiModel.CommandResult.class);
    print(r, c -> CamcontrolFormat.tur(c, verbose));
    return r.value().ok() ? 0 : 1;
  }

  @Command(name = "start", description = "START STOP UNIT: spin up.")
  int start(@Parameters(paramLabel = "DEV") String dev, @Mixin Help h) {
    return startStop(dev, "start", true, false);
  }

  @Command(name = "stop", description = "START STOP UNIT: spin down.")
  int stop(@Parameters(paramLabel = "DEV") String dev, @Mixin Help h) {
    return startStop(dev, "stop", false, false);
  }

  @Command(name = "load", description = "START STOP UNIT: load the medium and start.")
  int load(@Parameters(paramLabel = "DEV") String dev, @Mixin Help h) {
    return startStop(dev, "load", true, true);
  }

  @Command(name = "eject", description = "START STOP UNIT: stop and eject the medium.")
  int eject(@Parameters(paramLabel = "DEV") String dev, @Mixin Help h) {
    return startStop(dev, "eject", false, true);
  }

  private int startStop(String dev, String action, boolean start, boolean loadEject) {
    Reply<ApiModel.CommandResult> r = client().post(devPath(dev) + "/" + action, null, ApiModel.CommandResult.class);
    print(r, c -> CamcontrolFormat.startStop(c, start, loadEject));
    return r.value().ok() ? 0 : 1;
  }

  @Command(name = "rescan", description = "XPT_SCAN_BUS / XPT_SCAN_LUN.")
  int rescan(@Parameters(paramLabel = "all|B|B:T:L") String target, @Mixin Help h) {
    return scan(target, true);
  }

  @Command(name = "reset", description = "XPT_RESET_BUS / XPT_RESET_DEV.")
  int reset(@Parameters(paramLabel = "all|B|B:T:L") String target, @Mixin Help h) {
    return scan(target, false);
  }

  private int scan(String target, boolean rescan) {
    String verb = rescan ? "rescan" : "reset";
    Reply<ApiModel.ScanReport> r =
        client().post("/api/" + verb + "?path=" + CtlClient.enc(target), null, ApiModel.ScanReport.class);
    print(r, s -> CamcontrolFormat.scanReport(s, rescan));
    return r.value().items().stream().allMatch(ApiModel.ScanItem::ok) ? 0 : 1;
  }

  // ------------------------------------------------------------------ emulator verbs

  @Command(name = "topology", description = "The emulated SIMs and LUNs.")
  int topology(@Mixin Help h) {
    return print(client().get("/api/topology", ApiModel.Topology.class), CamcontrolFormat::topology);
  }

  @Command(name = "delay", description = "Delay every command of a LUN: FIXED_US plus up to RANDOM_US.")
  int delay(
      @Parameters(index = "0", paramLabel = "DEV") String dev,
      @Parameters(index = "1", paramLabel = "FIXED_US") String fixed,
      @Parameters(index = "2", arity = "0..1", paramLabel = "RANDOM_US") String random,
      @Mixin Help h) {
    ApiModel.Delay d = new ApiModel.Delay(number(fixed, "delay"), random != null ? number(random, "delay") : 0L);
    return print(
        client().post(devPath(dev) + "/delay", d, ApiModel.Delay.class),
        x -> dev + ": delay " + x.fixedMicros() + " us fixed + up to " + x.randomMicros() + " us random\n");
  }

  @Command(name = "stats", description = "Per-LUN ops, bytes, errors, latency percentiles.")
  int stats(@Option(names = "-j", description = "JSON (same as --json)") boolean j, @Mixin Help h) {
    if (j) {
      json = true;
    }
    return print(client().get("/api/stats", ApiModel.Stats.class), CamcontrolFormat::stats);
  }

  @Command(name = "open", description = "Open a devfs node (e.g. pass0); prints a handle.")
  int open(@Parameters(paramLabel = "NODE") String devNode, @Mixin Help h) {
    return print(client().post("/api/devfs/open", new ApiModel.Open(devNode), ApiModel.Handle.class), x -> x.handle() + "\n");
  }

  @Command(name = "close", description = "Close a devfs handle.")
  int close(@Parameters(paramLabel = "HANDLE") String handle, @Mixin Help h) {
    return print(client().post("/api/devfs/" + CtlClient.enc(handle) + "/close", null, ApiModel.Ack.class), a -> a.message() + "\n");
  }

  @Command(name = "read", description = "Read LENGTH bytes at OFFSET through a handle (hex dump).")
  int read(
      @Parameters(index = "0", paramLabel = "HANDLE") String handle,
      @Parameters(index = "1", paramLabel = "OFFSET") String offset,
      @Parameters(index = "2", paramLabel = "LENGTH") String length,
      @Option(names = "--hex", description = "plain hex instead of a dump") boolean hex,
      @Mixin Help h) {
    ApiModel.Read req = new ApiModel.Read(number(offset, "offset"), integer(length, "length"));
    Reply<ApiModel.Data> r = client().post("/api/devfs/" + CtlClient.enc(handle) + "/read", req, ApiModel.Data.class);
    return print(r, d -> hex ? d.dataHex() + "\n" : CamcontrolFormat.hexdump(d.offset(), d.dataHex()));
  }

  @Command(name = "write", description = "Write HEXDATA at OFFSET through a handle.")
  int write(
      @Parameters(index = "0", paramLabel = "HANDLE") String handle,
      @Parameters(index = "1", paramLabel = "OFFSET") String offset,
      @Parameters(index = "2", paramLabel = "HEXDATA") String data,
      @Mixin Help h) {
    ApiModel.Write req = new ApiModel.Write(number(offset, "offset"), data);
    return print(client().post("/api/devfs/" + CtlClient.enc(handle) + "/write", req, ApiModel.Ack.class), a -> a.message() + "\n");
  }

  @Command(name = "cdb", description = "Send a raw CDB through a handle (pass device).")
  int cdb(
      @Parameters(index = "0", paramLabel = "HANDLE") String handle,
      @Parameters(index = "1", paramLabel = "CDBHEX") String cdbHex,
      @Option(names = "--in", paramLabel = "LEN", description = "data-in length") String in,
      @Option(names = "--out", paramLabel = "HEX", description = "data-out bytes") String dataOut,
      @Option(names = "--timeout", paramLabel = "MS", description = "command timeout") String timeout,
      @Mixin Help h) {
    ApiModel.Cdb req =
        new ApiModel.Cdb(
            cdbHex,
            in == null ? 0 : integer(in, "data-in length"),
            dataOut == null ? "" : dataOut,
            timeout == null ? 0 : integer(timeout, "timeout"));
    Reply<ApiModel.CdbResult> r = client().post("/api/devfs/" + CtlClient.enc(handle) + "/cdb", req, ApiModel.CdbResult.class);
    print(r, c -> {
      StringBuilder sb = new StringBuilder();
      sb.append("status: ").append(c.camStatus()).append(String.format(", scsi status 0x%02x", c.scsiStatus()));
      if (c.resid() != 0) {
        sb.append(", resid ").append(c.resid());
      }
      sb.append('\n');
      if (!c.sense().isEmpty()) {
        sb.append("sense: ").append(c.sense()).append('\n');
      }
      if (!c.dataHex().isEmpty()) {
        sb.append(CamcontrolFormat.hexdump(0, c.dataHex()));
      }
      return sb.toString();
    });
    return "REQ_CMP".equals(r.value().camStatus()) ? 0 : 1;
  }

  @Command(name = "health", description = "Is the node's API up?")
  int health(@Mixin Help h) {
    return print(client().get("/health", ApiModel.Health.class), x -> x.status() + " " + x.node() + "\n");
  }

  @Command(name = "ready", description = "Has the node finished its first scan? Exit 1 when not.")
  int ready(@Mixin Help h) {
    try {
      Reply<ApiModel.Ready> r = client().get("/ready", ApiModel.Ready.class);
      return print(r, x -> "ready\n");
    } catch (CtlException e) {
      if (e.httpStatus() == 503) {
        out.println("not ready");
        out.flush();
        return 1;
      }
      throw e;
    }
  }

  /** {@code ctl lun add|remove|resize|list}. */
  @Command(name = "lun", description = "Add, remove, resize or list emulated LUNs.", synopsisSubcommandLabel = "add|remove|resize|list")
  static final class Lun implements Callable<Integer> {
    @ParentCommand CtlCommand ctl;

    @Mixin Help help;

    @Override
    public Integer call() {
      throw new UsageException("missing sub-verb: add, remove, resize or list");
    }

    @Command(name = "move", description = "Move a clustered LUN to another member (its initiators see a unit attention).")
    int move(
        @Parameters(paramLabel = "WWN") String wwn,
        @Option(names = "--to", required = true, paramLabel = "NODE", description = "HOST:PORT (cluster port) or target port group id") String to,
        @Mixin Help h) {
      return ClusterCommands.move(ctl, wwn, to);
    }

    @Command(name = "add", description = "Plug a new LUN at B:T:L.")
    int add(
        @Parameters(paramLabel = "B:T:L") String path,
        @Option(names = "--size", paramLabel = "SIZE", description = "bytes, or with k/M/G/T/P (e.g. 512M, 1TiB)") String size,
        @Option(names = "--block-size", paramLabel = "N", description = "logical block length") String blockSize,
        @Option(names = "--kind", paramLabel = "disk|ses", description = "device kind (default disk)") String kind,
        @Option(names = "--vendor", paramLabel = "V") String vendor,
        @Option(names = "--product", paramLabel = "P") String product,
        @Option(names = "--serial", paramLabel = "S") String serial,
        @Option(names = "--backing", paramLabel = "null|ram|file", description = "backing store") String backing,
        @Mixin Help h) {
      ApiModel.LunAdd req =
          new ApiModel.LunAdd(
              path, kind, size == null ? null : size(size), blockSize == null ? null : integer(blockSize, "block size"),
              vendor, product, serial, backing);
      Reply<ApiModel.LunInfo> r = ctl.client().post("/api/luns", req, ApiModel.LunInfo.class);
      return ctl.print(r, l -> "lun " + l.path() + " added" + lunSummary(l) + "\n");
    }

    @Command(name = "remove", aliases = "rm", description = "Hot-unplug the LUN at B:T:L.")
    int remove(@Parameters(paramLabel = "B:T:L") String path, @Mixin Help h) {
      return ctl.print(ctl.client().delete("/api/luns/" + CtlClient.enc(path), ApiModel.Ack.class), a -> a.message() + "\n");
    }

    @Command(name = "resize", description = "Change a LUN's capacity (the device reports CAPACITY DATA HAS CHANGED).")
    int resize(@Parameters(index = "0", paramLabel = "B:T:L") String path, @Parameters(index = "1", paramLabel = "SIZE") String size, @Mixin Help h) {
      Reply<ApiModel.LunInfo> r =
          ctl.client().post("/api/luns/" + CtlClient.enc(path) + "/resize", new ApiModel.LunResize(size(size)), ApiModel.LunInfo.class);
      return ctl.print(r, l -> "lun " + l.path() + " resized" + lunSummary(l) + "\n");
    }

    @Command(name = "list", description = "The emulated SIMs and LUNs (same as topology).")
    int list(@Mixin Help h) {
      return ctl.topology(h);
    }
  }

  private static String lunSummary(ApiModel.LunInfo l) {
    if (l.blocks() <= 0) {
      return "";
    }
    return ": " + l.blocks() + " blocks of " + l.blockSize() + " bytes (" + CamcontrolFormat.humanize(l.blocks() * l.blockSize(), false) + ")";
  }

  /** {@code ctl inject add|list|delete}. */
  @Command(name = "inject", description = "Fault rules of a LUN.", synopsisSubcommandLabel = "add|list|delete")
  static final class Inject implements Callable<Integer> {
    @ParentCommand CtlCommand ctl;

    @Mixin Help help;

    @Override
    public Integer call() {
      throw new UsageException("missing sub-verb: add, list or delete");
    }

    @Command(
        name = "add",
        description = {"Add a fault rule.", "TYPE: medium-error unit-attention aborted busy task-set-full timeout sense"})
    int add(
        @Parameters(index = "0", paramLabel = "DEV") String dev,
        @Parameters(index = "1", paramLabel = "TYPE") String type,
        @Option(names = "--lba", paramLabel = "A[-B]", description = "only these blocks") String lba,
        @Option(names = "--commands", paramLabel = "read|write|any", description = "only these commands") String commands,
        @Option(names = "--continuous", description = "every matching command, not just the next one") boolean continuous,
        @Option(names = "--sense", paramLabel = "KEY/ASC/ASCQ", description = "sense bytes in hex (TYPE sense)") String sense,
        @Mixin Help h) {
      Long lbaStart = null;
      Long lbaEnd = null;
      if (lba != null) {
        String[] range = lba.split("-", 2);
        lbaStart = number(range[0], "LBA");
        lbaEnd = range.length > 1 ? number(range[1], "LBA") : lbaStart;
      }
      Integer key = null;
      Integer asc = null;
      Integer ascq = null;
      if (sense != null) {
        String[] s = sense.split("/");
        if (s.length != 3) {
          throw new UsageException("bad --sense '" + sense + "': expected KEY/ASC/ASCQ in hex");
        }
        key = hexByte(s[0]);
        asc = hexByte(s[1]);
        ascq = hexByte(s[2]);
      }
      ApiModel.FaultRule rule = new ApiModel.FaultRule(null, type, commands, lbaStart, lbaEnd, continuous, key, asc, ascq);
      Reply<ApiModel.FaultRule> r = ctl.client().post(devPath(dev) + "/faults", rule, ApiModel.FaultRule.class);
      return ctl.print(r, f -> "rule " + f.id() + " added on " + dev + "\n");
    }

    @Command(name = "list", description = "The fault rules and the delay of a LUN.")
    int list(@Parameters(paramLabel = "DEV") String dev, @Mixin Help h) {
      return ctl.print(ctl.client().get(devPath(dev) + "/faults", ApiModel.FaultList.class), CamcontrolFormat::faults);
    }

    @Command(name = "delete", aliases = {"del", "rm"}, description = "Delete a fault rule.")
    int delete(@Parameters(index = "0", paramLabel = "DEV") String dev, @Parameters(index = "1", paramLabel = "ID") String id, @Mixin Help h) {
      return ctl.print(ctl.client().delete(devPath(dev) + "/faults/" + CtlClient.enc(id), ApiModel.Ack.class), a -> a.message() + "\n");
    }
  }

  /** {@code ctl wire [list] | add | remove}. */
  @Command(name = "wire", description = "Unit wiring (hints): which periph unit goes to which device.", synopsisSubcommandLabel = "[list|add|remove]")
  static final class Wire implements Callable<Integer> {
    @ParentCommand CtlCommand ctl;

    @Mixin Help help;

    @Override
    public Integer call() {
      return list(help);
    }

    @Command(name = "list", description = "The wiring table (the default).")
    int list(@Mixin Help h) {
      return ctl.print(ctl.client().get("/api/wiring", ApiModel.Wiring.class), CamcontrolFormat::wiring);
    }

    @Command(name = "add", description = "Wire a periph unit to a device, e.g. wire add da3 0:1:0.")
    int add(@Parameters(index = "0", paramLabel = "PERIPH") String periph, @Parameters(index = "1", paramLabel = "DEV") String dev, @Mixin Help h) {
      Matcher m = periph(periph);
      ApiModel.Wire w = new ApiModel.Wire(m.group(1), Integer.parseInt(m.group(2)), dev);
      return ctl.print(ctl.client().post("/api/wiring", w, ApiModel.WiringEntry.class), e -> e.driver() + e.unit() + " wired to " + e.deviceId() + "\n");
    }

    @Command(name = "remove", aliases = "rm", description = "Remove a periph unit's wiring.")
    int remove(@Parameters(paramLabel = "PERIPH") String periph, @Mixin Help h) {
      Matcher m = periph(periph);
      return ctl.print(ctl.client().delete("/api/wiring/" + m.group(1) + "/" + m.group(2), ApiModel.Ack.class), a -> a.message() + "\n");
    }
  }

  /** {@code ctl port list} (cf. {@code ctladm port -l}). */
  @Command(name = "port", description = "Target ports: the in-process SIM and the iSCSI portal.")
  static final class Port implements Callable<Integer> {
    @ParentCommand CtlCommand ctl;

    @Mixin Help help;

    @Override
    public Integer call() {
      return list(help);
    }

    @Command(name = "list", description = "Every target port (the default).")
    int list(@Mixin Help h) {
      return ctl.print(ctl.client().get("/api/ports", ApiModel.Ports.class), CamcontrolFormat::ports);
    }
  }

  /**
   * {@code ctl iscsi sessions|logout} (cf. {@code ctladm islist}, {@code ctladm islogout}) for the
   * node's portal; {@code ctl iscsi add|list|remove} (cf. {@code iscsictl -A|-L|-R}) for its
   * initiator sessions.
   */
  @Command(name = "iscsi", description = "iSCSI sessions of the node's portal (sessions, logout) and of its initiator (add, list, remove).")
  static final class Iscsi implements Callable<Integer> {
    @ParentCommand CtlCommand ctl;

    @Mixin Help help;

    @Override
    public Integer call() {
      return sessions(help);
    }

    @Command(name = "sessions", description = "The logged-in sessions (the default).")
    int sessions(@Mixin Help h) {
      return ctl.print(ctl.client().get("/api/iscsi/sessions", ApiModel.IscsiSessions.class), CamcontrolFormat::iscsiSessions);
    }

    @Command(name = "logout", description = "Ask a session (by TSIH) to log out; it is dropped if it does not within 5 s.")
    int logout(@Parameters(paramLabel = "SESSION") String session, @Mixin Help h) {
      return ctl.print(ctl.client().post("/api/iscsi/sessions/" + CtlClient.enc(session) + "/logout", null, ApiModel.Ack.class),
          a -> a.message() + "\n");
    }

    @Command(name = "add", description = "Connect a target as a new bus: iscsi://HOST[:PORT]/IQN (journalled: reconnected after a restart).")
    int add(@Parameters(paramLabel = "URL") String url,
        @Option(names = "--chap-user", paramLabel = "USER", description = "CHAP user name") String chapUser,
        @Option(names = "--chap-secret-file", paramLabel = "FILE", description = "file whose first line is the CHAP secret (read by the node)") String secretFile,
        @Mixin Help h) {
      String file = secretFile == null ? "" : java.nio.file.Path.of(secretFile).toAbsolutePath().toString();
      return ctl.print(ctl.client().post("/api/iscsi/initiator",
              new org.camstack.stack.node.IscsiInitiatorApi.Add(url, chapUser == null ? "" : chapUser, file),
              org.camstack.stack.node.IscsiInitiatorApi.Session.class),
          x -> x.name() + ": connecting to " + x.url() + "\n");
    }

    @Command(name = "list", description = "The initiator sessions and their state.")
    int list(@Mixin Help h) {
      return ctl.print(ctl.client().get("/api/iscsi/initiator", org.camstack.stack.node.IscsiInitiatorApi.Sessions.class),
          org.camstack.stack.node.IscsiInitiatorApi::format);
    }

    @Command(name = "remove", description = "Log out of a session (by id, iscsiN or URL) and remove its bus; its devices detach.")
    int remove(@Parameters(paramLabel = "ID|URL") String id, @Mixin Help h) {
      return ctl.print(ctl.client().delete("/api/iscsi/initiator/" + CtlClient.enc(id), ApiModel.Ack.class),
          a -> a.message() + "\n");
    }
  }

  // ------------------------------------------------------------------ helpers

  <T> int print(Reply<T> reply, Function<T, String> text) {
    out.print(json ? CtlClient.pretty(reply.json()) : text.apply(reply.value()));
    out.flush();
    return 0;
  }

  static String devPath(String dev) {
    return "/api/devices/" + CtlClient.enc(dev);
  }

  private static Matcher periph(String name) {
    Matcher m = PERIPH.matcher(name);
    if (!m.matches()) {
      throw new UsageException("bad periph '" + name + "': expected a name like da3");
    }
    return m;
  }

  /**
   * A size: bytes, or with a binary suffix {@code k M G T P} (optionally followed by {@code B} or
   * {@code iB}): {@code 512M}, {@code 2G}, {@code 1TiB}.
   */
  static long size(String text) {
    Matcher m = SIZE.matcher(text.trim());
    if (!m.matches()) {
      throw new UsageException("bad size '" + text + "': expected a positive number with an optional k/M/G/T suffix");
    }
    long v;
    try {
      v = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      throw new UsageException("bad size '" + text + "': too large");
    }
    int shift =
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
          case "k" -> 10;
          case "m" -> 20;
          case "g" -> 30;
          case "t" -> 40;
          case "p" -> 50;
          default -> 0;
        };
    if (shift > 0 && v > (Long.MAX_VALUE >> shift)) {
      throw new UsageException("bad size '" + text + "': too large");
    }
    return v << shift;
  }

  private static long number(String text, String what) {
    try {
      long v = Long.decode(text);
      if (v < 0) {
        throw new UsageException("bad " + what + " '" + text + "': must not be negative");
      }
      return v;
    } catch (NumberFormatException e) {
      throw new UsageException("bad " + what + " '" + text + "': not a number");
    }
  }

  static int integer(String text, String what) {
    long v = number(text, what);
    if (v > Integer.MAX_VALUE) {
      throw new UsageException("bad " + what + " '" + text + "': too large");
    }
    return (int) v;
  }

  private static int hexByte(String text) {
    try {
      int v = Integer.parseInt(text, 16);
      if (v < 0 || v > 0xff) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new UsageException("bad sense byte '" + text + "': expected 00..ff");
    }
  }
}
