package org.camstack.stack.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.camstack.stack.cli.CtlClient.CtlException;
import org.camstack.stack.cli.CtlClient.Reply;
import org.camstack.stack.node.ApiModel;
import org.camstack.stack.node.NodeFiles;

/**
 * {@code ./camstack ctl [--node URL] [--token T] [--json] VERB ...}: camcontrol(8) verbs and the
 * emulator's own verbs against a running node's management API. camcontrol verbs print exactly what
 * camcontrol prints ({@link CamcontrolFormat}) and exit as camcontrol does: 0 on success, 1 on any
 * error. {@code --json} prints the API's JSON instead (every read verb). An unreachable node is one
 * line, {@code camstack ctl: cannot reach node at URL}, exit 1.
 *
 * <p>The node URL: {@code --node}, else {@code $CAMSTACK_NODE}, else {@code url} in {@code
 * DATA/node.json} ({@code --data DIR}, default {@code ./data}), else {@value #DEFAULT_URL}. The
 * token: {@code --token} or {@code $CAMSTACK_TOKEN}.
 */
public final class CtlCommand {

  /** Where a node listens by default ({@code camstack.node.port = 8080}). */
  public static final String DEFAULT_URL = "http://127.0.0.1:8080";

  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kKmMgGtTpP]?)(i?[bB])?");
  private static final Pattern PERIPH = Pattern.compile("([a-z]+)(\\d+)");

  private final PrintStream out;
  private final PrintStream err;
  private CtlClient client;
  private boolean json;

  private CtlCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  /** Runs one ctl invocation; returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return new CtlCommand(out, err).execute(List.of(args));
  }

  private int execute(List<String> args) {
    String node = System.getenv("CAMSTACK_NODE");
    String token = System.getenv("CAMSTACK_TOKEN");
    Path data = Path.of("data");
    Duration timeout = Duration.ofSeconds(30);
    int i = 0;
    try {
      for (; i < args.size(); i++) {
        String a = args.get(i);
        if (a.equals("--node")) {
          node = value(args, ++i, "--node");
        } else if (a.startsWith("--node=")) {
          node = a.substring(7);
        } else if (a.equals("--token")) {
          token = value(args, ++i, "--token");
        } else if (a.equals("--data")) {
          data = Path.of(value(args, ++i, "--data"));
        } else if (a.equals("--timeout")) {
          timeout = Duration.ofSeconds(Long.parseLong(value(args, ++i, "--timeout")));
        } else if (a.equals("--json")) {
          json = true;
        } else if (a.equals("-h") || a.equals("--help") || a.equals("help")) {
          usage(out);
          return 0;
        } else {
          break;
        }
      }
    } catch (UsageException | NumberFormatException e) {
      err.println("camstack ctl: " + e.getMessage());
      return 1;
    }
    if (i >= args.size()) {
      usage(err);
      return 1;
    }
    if (node == null || node.isBlank()) {
      node = NodeFiles.readInfo(data).map(NodeFiles.NodeInfo::url).orElse(DEFAULT_URL);
    }
    client = new CtlClient(node, Optional.ofNullable(token), timeout);
    String verb = args.get(i);
    List<String> rest = new ArrayList<>(args.subList(i + 1, args.size()));
    if (rest.remove("--json")) {
      json = true;
    }
    try {
      return dispatch(verb, rest);
    } catch (UsageException e) {
      err.println("camstack ctl: " + verb + ": " + e.getMessage());
      return 1;
    } catch (CtlException e) {
      err.println("camstack ctl: " + e.getMessage());
      return 1;
    }
  }

  private int dispatch(String verb, List<String> rest) {
    switch (verb) {
      case "devlist":
        return devlist(Opts.parse(rest, "vb", Set.of()));
      case "periphlist":
        return periphlist(Opts.parse(rest, "", Set.of()));
      case "inquiry":
        return inquiry(Opts.parse(rest, "DSR", Set.of()));
      case "readcap":
      case "readcapacity":
        return readcap(Opts.parse(rest, "bhHNqs", Set.of()));
      case "tur":
        return tur(Opts.parse(rest, "v", Set.of()));
      case "start":
        return startStop(Opts.parse(rest, "", Set.of()), "start", true, false);
      case "load":
        return startStop(Opts.parse(rest, "", Set.of()), "load", true, true);
      case "stop":
        return startStop(Opts.parse(rest, "", Set.of()), "stop", false, false);
      case "eject":
        return startStop(Opts.parse(rest, "", Set.of()), "eject", false, true);
      case "rescan":
        return scan(Opts.parse(rest, "", Set.of()), true);
      case "reset":
        return scan(Opts.parse(rest, "", Set.of()), false);
      case "topology":
        return topology(Opts.parse(rest, "", Set.of()));
      case "lun":
        return lun(rest);
      case "inject":
        return inject(rest);
      case "delay":
        return delay(Opts.parse(rest, "", Set.of()));
      case "stats":
        return stats(Opts.parse(rest, "j", Set.of()));
      case "wire":
        return wire(rest);
      case "open":
        return open(Opts.parse(rest, "", Set.of()));
      case "close":
        return close(Opts.parse(rest, "", Set.of()));
      case "read":
        return read(Opts.parse(rest, "", Set.of("hex")));
      case "write":
        return write(Opts.parse(rest, "", Set.of()));
      case "cdb":
        return cdb(Opts.parse(rest, "", Set.of("in", "out", "timeout")));
      case "health":
        return print(client.get("/health", ApiModel.Health.class), h -> h.status() + " " + h.node() + "\n");
      case "ready":
        return ready();
      default:
        err.println("camstack ctl: unknown verb '" + verb + "' (try ./camstack ctl help)");
        return 1;
    }
  }

  // ------------------------------------------------------------------ camcontrol verbs

  private int devlist(Opts o) {
    o.positionals(0, 0, "devlist [-v] [-b]");
    Reply<ApiModel.Devlist> r = client.get("/api/devlist", ApiModel.Devlist.class);
    return print(r, d -> CamcontrolFormat.devlist(d, o.flag('v'), o.flag('b')));
  }

  private int periphlist(Opts o) {
    String dev = o.positionals(1, 1, "periphlist DEV").get(0);
    Reply<ApiModel.PeriphList> r = client.get(devPath(dev) + "/periphs", ApiModel.PeriphList.class);
    int rc = print(r, CamcontrolFormat::periphlist);
    return r.value().periphs().stream().anyMatch(p -> p.status().equals("ERROR")) ? 1 : rc;
  }

  private int inquiry(Opts o) {
    String dev = o.positionals(1, 1, "inquiry DEV [-D] [-S] [-R]").get(0);
    Reply<ApiModel.Inquiry> r = client.get(devPath(dev) + "/inquiry", ApiModel.Inquiry.class);
    return print(r, inq -> CamcontrolFormat.inquiry(inq, o.flag('D'), o.flag('S'), o.flag('R')));
  }

  private int readcap(Opts o) {
    String dev = o.positionals(1, 1, "readcap DEV [-b|-h|-H|-N|-q|-s]").get(0);
    CamcontrolFormat.ReadcapFlags f =
        new CamcontrolFormat.ReadcapFlags(
            o.flag('b'), o.flag('h') || o.flag('H'), o.flag('H'), o.flag('N'), o.flag('q'), o.flag('s'));
    if (f.conflict() != null) {
      throw new UsageException(f.conflict());
    }
    Reply<ApiModel.ReadCap> r = client.get(devPath(dev) + "/readcap", ApiModel.ReadCap.class);
    return print(r, rc -> CamcontrolFormat.readcap(rc, f));
  }

  private int tur(Opts o) {
    String dev = o.positionals(1, 1, "tur DEV [-v]").get(0);
    Reply<ApiModel.CommandResult> r = client.get(devPath(dev) + "/tur", ApiModel.CommandResult.class);
    print(r, c -> CamcontrolFormat.tur(c, o.flag('v')));
    return r.value().ok() ? 0 : 1;
  }

  private int startStop(Opts o, String action, boolean start, boolean loadEject) {
    String dev = o.positionals(1, 1, action + " DEV").get(0);
    Reply<ApiModel.CommandResult> r = client.post(devPath(dev) + "/" + action, null, ApiModel.CommandResult.class);
    print(r, c -> CamcontrolFormat.startStop(c, start, loadEject));
    return r.value().ok() ? 0 : 1;
  }

  private int scan(Opts o, boolean rescan) {
    String verb = rescan ? "rescan" : "reset";
    String target = o.positionals(1, 1, verb + " all|B|B:T:L").get(0);
    Reply<ApiModel.ScanReport> r =
        client.post("/api/" + verb + "?path=" + CtlClient.enc(target), null, ApiModel.ScanReport.class);
    print(r, s -> CamcontrolFormat.scanReport(s, rescan));
    return r.value().items().stream().allMatch(ApiModel.ScanItem::ok) ? 0 : 1;
  }

  // ------------------------------------------------------------------ emulator verbs

  private int topology(Opts o) {
    o.positionals(0, 0, "topology");
    return print(client.get("/api/topology", ApiModel.Topology.class), CamcontrolFormat::topology);
  }

  private int lun(List<String> rest) {
    if (rest.isEmpty()) {
      throw new UsageException("usage: lun add|remove|resize|list ...");
    }
    List<String> args = rest.subList(1, rest.size());
    switch (rest.get(0)) {
      case "add": {
        Opts o = Opts.parse(args, "", Set.of("size", "block-size", "kind", "vendor", "product", "serial", "backing"));
        String path = o.positionals(1, 1, "lun add B:T:L [--size SIZE] [--block-size N] [--kind disk|ses] [--vendor V] [--product P] [--serial S] [--backing null|ram|file]").get(0);
        ApiModel.LunAdd req =
            new ApiModel.LunAdd(
                path,
                o.opt("kind"),
                o.opt("size") == null ? null : size(o.opt("size")),
                o.opt("block-size") == null ? null : integer(o.opt("block-size"), "block size"),
                o.opt("vendor"),
                o.opt("product"),
                o.opt("serial"),
                o.opt("backing"));
        Reply<ApiModel.LunInfo> r = client.post("/api/luns", req, ApiModel.LunInfo.class);
        return print(r, l -> "lun " + l.path() + " added" + lunSummary(l) + "\n");
      }
      case "remove":
      case "rm": {
        String path = Opts.parse(args, "", Set.of()).positionals(1, 1, "lun remove B:T:L").get(0);
        return print(client.delete("/api/luns/" + CtlClient.enc(path), ApiModel.Ack.class), a -> a.message() + "\n");
      }
      case "resize": {
        List<String> p = Opts.parse(args, "", Set.of()).positionals(2, 2, "lun resize B:T:L SIZE");
        Reply<ApiModel.LunInfo> r =
            client.post("/api/luns/" + CtlClient.enc(p.get(0)) + "/resize", new ApiModel.LunResize(size(p.get(1))), ApiModel.LunInfo.class);
        return print(r, l -> "lun " + l.path() + " resized" + lunSummary(l) + "\n");
      }
      case "list":
        return topology(Opts.parse(args, "", Set.of()));
      default:
        throw new UsageException("usage: lun add|remove|resize|list ...");
    }
  }

  private static String lunSummary(ApiModel.LunInfo l) {
    if (l.blocks() <= 0) {
      return "";
    }
    return ": " + l.blocks() + " blocks of " + l.blockSize() + " bytes (" + CamcontrolFormat.humanize(l.blocks() * l.blockSize(), false) + ")";
  }

  private int inject(List<String> rest) {
    if (rest.isEmpty()) {
      throw new UsageException("usage: inject add|list|delete DEV ...");
    }
    List<String> args = rest.subList(1, rest.size());
    switch (rest.get(0)) {
      case "add": {
        Opts o = Opts.parse(args, "", Set.of("lba", "commands", "continuous", "sense"));
        List<String> p = o.positionals(2, 2, "inject add DEV TYPE [--lba A[-B]] [--commands read|write|any] [--continuous] [--sense KEY/ASC/ASCQ]");
        Long lbaStart = null;
        Long lbaEnd = null;
        if (o.opt("lba") != null) {
          String[] lba = o.opt("lba").split("-", 2);
          lbaStart = number(lba[0], "LBA");
          lbaEnd = lba.length > 1 ? number(lba[1], "LBA") : lbaStart;
        }
        Integer key = null;
        Integer asc = null;
        Integer ascq = null;
        if (o.opt("sense") != null) {
          String[] s = o.opt("sense").split("/");
          if (s.length != 3) {
            throw new UsageException("bad --sense '" + o.opt("sense") + "': expected KEY/ASC/ASCQ in hex");
          }
          key = hexByte(s[0]);
          asc = hexByte(s[1]);
          ascq = hexByte(s[2]);
        }
        ApiModel.FaultRule rule =
            new ApiModel.FaultRule(null, p.get(1), o.opt("commands"), lbaStart, lbaEnd, o.has("continuous"), key, asc, ascq);
        Reply<ApiModel.FaultRule> r = client.post(devPath(p.get(0)) + "/faults", rule, ApiModel.FaultRule.class);
        return print(r, f -> "rule " + f.id() + " added on " + p.get(0) + "\n");
      }
      case "list": {
        String dev = Opts.parse(args, "", Set.of()).positionals(1, 1, "inject list DEV").get(0);
        return print(client.get(devPath(dev) + "/faults", ApiModel.FaultList.class), CamcontrolFormat::faults);
      }
      case "delete":
      case "del":
      case "rm": {
        List<String> p = Opts.parse(args, "", Set.of()).positionals(2, 2, "inject delete DEV ID");
        return print(client.delete(devPath(p.get(0)) + "/faults/" + CtlClient.enc(p.get(1)), ApiModel.Ack.class), a -> a.message() + "\n");
      }
      default:
        throw new UsageException("usage: inject add|list|delete DEV ...");
    }
  }

  private int delay(Opts o) {
    List<String> p = o.positionals(2, 3, "delay DEV FIXED_US [RANDOM_US]");
    ApiModel.Delay d = new ApiModel.Delay(number(p.get(1), "delay"), p.size() > 2 ? number(p.get(2), "delay") : 0L);
    return print(
        client.post(devPath(p.get(0)) + "/delay", d, ApiModel.Delay.class),
        x -> p.get(0) + ": delay " + x.fixedMicros() + " us fixed + up to " + x.randomMicros() + " us random\n");
  }

  private int stats(Opts o) {
    o.positionals(0, 0, "stats [-j]");
    if (o.flag('j')) {
      json = true;
    }
    return print(client.get("/api/stats", ApiModel.Stats.class), CamcontrolFormat::stats);
  }

  private int wire(List<String> rest) {
    String sub = rest.isEmpty() ? "list" : rest.get(0);
    List<String> args = rest.isEmpty() ? List.of() : rest.subList(1, rest.size());
    switch (sub) {
      case "list":
        Opts.parse(args, "", Set.of()).positionals(0, 0, "wire list");
        return print(client.get("/api/wiring", ApiModel.Wiring.class), CamcontrolFormat::wiring);
      case "add": {
        List<String> p = Opts.parse(args, "", Set.of()).positionals(2, 2, "wire add PERIPH DEV  (e.g. wire add da3 0:1:0)");
        Matcher m = periph(p.get(0));
        ApiModel.Wire w = new ApiModel.Wire(m.group(1), Integer.parseInt(m.group(2)), p.get(1));
        return print(client.post("/api/wiring", w, ApiModel.WiringEntry.class),
            e -> e.driver() + e.unit() + " wired to " + e.deviceId() + "\n");
      }
      case "remove":
      case "rm": {
        List<String> p = Opts.parse(args, "", Set.of()).positionals(1, 1, "wire remove PERIPH");
        Matcher m = periph(p.get(0));
        return print(client.delete("/api/wiring/" + m.group(1) + "/" + m.group(2), ApiModel.Ack.class), a -> a.message() + "\n");
      }
      default:
        throw new UsageException("usage: wire list | wire add PERIPH DEV | wire remove PERIPH");
    }
  }

  private int open(Opts o) {
    String node = o.positionals(1, 1, "open NODE  (e.g. open pass0)").get(0);
    return print(client.post("/api/devfs/open", new ApiModel.Open(node), ApiModel.Handle.class), h -> h.handle() + "\n");
  }

  private int close(Opts o) {
    String h = o.positionals(1, 1, "close HANDLE").get(0);
    return print(client.post("/api/devfs/" + CtlClient.enc(h) + "/close", null, ApiModel.Ack.class), a -> a.message() + "\n");
  }

  private int read(Opts o) {
    List<String> p = o.positionals(3, 3, "read HANDLE OFFSET LENGTH [--hex]");
    ApiModel.Read req = new ApiModel.Read(number(p.get(1), "offset"), integer(p.get(2), "length"));
    Reply<ApiModel.Data> r = client.post("/api/devfs/" + CtlClient.enc(p.get(0)) + "/read", req, ApiModel.Data.class);
    return print(r, d -> o.has("hex") ? d.dataHex() + "\n" : CamcontrolFormat.hexdump(d.offset(), d.dataHex()));
  }

  private int write(Opts o) {
    List<String> p = o.positionals(3, 3, "write HANDLE OFFSET HEXDATA");
    ApiModel.Write req = new ApiModel.Write(number(p.get(1), "offset"), p.get(2));
    return print(client.post("/api/devfs/" + CtlClient.enc(p.get(0)) + "/write", req, ApiModel.Ack.class), a -> a.message() + "\n");
  }

  private int cdb(Opts o) {
    List<String> p = o.positionals(2, 2, "cdb HANDLE CDBHEX [--in LEN] [--out HEX] [--timeout MS]");
    ApiModel.Cdb req =
        new ApiModel.Cdb(
            p.get(1),
            o.opt("in") == null ? 0 : integer(o.opt("in"), "data-in length"),
            o.opt("out") == null ? "" : o.opt("out"),
            o.opt("timeout") == null ? 0 : integer(o.opt("timeout"), "timeout"));
    Reply<ApiModel.CdbResult> r = client.post("/api/devfs/" + CtlClient.enc(p.get(0)) + "/cdb", req, ApiModel.CdbResult.class);
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

  private int ready() {
    try {
      Reply<ApiModel.Ready> r = client.get("/ready", ApiModel.Ready.class);
      return print(r, x -> "ready\n");
    } catch (CtlException e) {
      if (e.httpStatus() == 503) {
        out.println("not ready");
        return 1;
      }
      throw e;
    }
  }

  // ------------------------------------------------------------------ helpers

  private <T> int print(Reply<T> reply, java.util.function.Function<T, String> text) {
    out.print(json ? CtlClient.pretty(reply.json()) : text.apply(reply.value()));
    out.flush();
    return 0;
  }

  private static String devPath(String dev) {
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

  private static int integer(String text, String what) {
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

  private static String value(List<String> args, int i, String option) {
    if (i >= args.size()) {
      throw new UsageException(option + " needs a value");
    }
    return args.get(i);
  }

  private static void usage(PrintStream ps) {
    ps.println("usage: ./camstack ctl [--node URL] [--token T] [--data DIR] [--json] VERB ...");
    ps.println("camcontrol verbs:");
    ps.println("  devlist [-v] [-b]                  the EDT (XPT_DEV_MATCH)");
    ps.println("  periphlist DEV                     periphs of a device (XPT_GDEVLIST)");
    ps.println("  inquiry DEV [-D] [-S] [-R]         standard inquiry, serial number, transfer rate");
    ps.println("  readcap DEV [-b|-h|-H|-N|-q|-s]    READ CAPACITY");
    ps.println("  tur DEV [-v]                       TEST UNIT READY (exit 1 when not ready)");
    ps.println("  rescan all|B|B:T:L                 XPT_SCAN_BUS / XPT_SCAN_LUN");
    ps.println("  reset all|B|B:T:L                  XPT_RESET_BUS / XPT_RESET_DEV");
    ps.println("  start|stop|load|eject DEV          START STOP UNIT");
    ps.println("emulator verbs:");
    ps.println("  topology | lun list                the emulated SIMs and LUNs");
    ps.println("  lun add B:T:L [--size S] [--block-size N] [--kind disk|ses] [--vendor V] [--product P] [--serial S]");
    ps.println("  lun remove B:T:L | lun resize B:T:L SIZE");
    ps.println("  inject add DEV TYPE [--lba A[-B]] [--commands read|write|any] [--continuous] [--sense K/ASC/ASCQ]");
    ps.println("         TYPE: medium-error unit-attention aborted busy task-set-full timeout sense");
    ps.println("  inject list DEV | inject delete DEV ID");
    ps.println("  delay DEV FIXED_US [RANDOM_US]");
    ps.println("  stats [-j]                         per-LUN ops, bytes, errors, latency percentiles");
    ps.println("  wire [list] | wire add PERIPH DEV | wire remove PERIPH");
    ps.println("devfs scripting:");
    ps.println("  open NODE                          prints a handle (e.g. open pass0)");
    ps.println("  read H OFFSET LEN [--hex] | write H OFFSET HEX | close H");
    ps.println("  cdb H CDBHEX [--in LEN] [--out HEX] [--timeout MS]");
    ps.println("  health | ready");
    ps.println("DEV is a periph name (da0, pass1, ses0) or B:T:L. Default node: $CAMSTACK_NODE, DATA/node.json, or " + DEFAULT_URL);
  }

  /** A usage mistake: one line, exit 1 (camcontrol exits 1 on usage errors too). */
  static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * camcontrol-style arguments: single-letter flags that may be combined ({@code -qs}), long
   * options with a value ({@code --size 1G} or {@code --size=1G}) or without ({@code --continuous},
   * {@code --json}), and positionals (a negative number is a positional, so the server says what is
   * wrong with it).
   */
  static final class Opts {
    private final Set<Character> flags = new HashSet<>();
    private final Map<String, String> longs = new HashMap<>();
    private final List<String> positionals = new ArrayList<>();

    private static final Set<String> NO_VALUE = Set.of("continuous", "hex");

    static Opts parse(List<String> args, String shortFlags, Set<String> longOptions) {
      Opts o = new Opts();
      for (int i = 0; i < args.size(); i++) {
        String a = args.get(i);
        if (a.startsWith("--") && a.length() > 2) {
          String name = a.substring(2);
          String val = null;
          int eq = name.indexOf('=');
          if (eq >= 0) {
            val = name.substring(eq + 1);
            name = name.substring(0, eq);
          }
          if (!longOptions.contains(name)) {
            throw new UsageException("unknown option --" + name);
          }
          if (NO_VALUE.contains(name)) {
            o.longs.put(name, "");
          } else {
            if (val == null) {
              if (i + 1 >= args.size()) {
                throw new UsageException("--" + name + " needs a value");
              }
              val = args.get(++i);
            }
            o.longs.put(name, val);
          }
        } else if (a.startsWith("-") && a.length() > 1 && !Character.isDigit(a.charAt(1))) {
          for (char c : a.substring(1).toCharArray()) {
            if (shortFlags.indexOf(c) < 0) {
              throw new UsageException("unknown option -" + c);
            }
            o.flags.add(c);
          }
        } else {
          o.positionals.add(a);
        }
      }
      return o;
    }

    boolean flag(char c) {
      return flags.contains(c);
    }

    boolean has(String name) {
      return longs.containsKey(name);
    }

    String opt(String name) {
      return longs.get(name);
    }

    List<String> positionals(int min, int max, String usage) {
      if (positionals.size() < min || positionals.size() > max) {
        throw new UsageException("usage: " + usage);
      }
      return positionals;
    }

    @Override
    public String toString() {
      return "Opts" + Arrays.asList(flags, longs, positionals);
    }
  }
}
