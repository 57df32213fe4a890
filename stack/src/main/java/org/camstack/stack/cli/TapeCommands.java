package org.camstack.stack.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.camstack.persistence.cli.Cli.UsageException;
import org.camstack.stack.node.TapeApi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code ctl tape} (cf. mt(1)) and {@code ctl changer} (cf. chio(1)): the tape library of a node,
 * through the sa and ch drivers ({@link TapeApi}).
 */
final class TapeCommands {
  private TapeCommands() {}

  private static String tapePath(String dev) {
    return "/api/tape/" + CtlClient.enc(dev);
  }

  private static String changerPath(String dev) {
    return "/api/changer/" + CtlClient.enc(dev);
  }

  /** {@code ctl tape DEV status|rewind|fsf N|bsf N|fsr N|bsr N|weof N|eod|erase|offline|load|blocksize N|write|read}. */
  @Command(
      name = "tape",
      description = "Tape drive operations as mt(1) does them: status, rewind, fsf N, bsf N, fsr N, bsr N, weof N, eod, erase, offline, load, blocksize N; write / read blocks.",
      synopsisSubcommandLabel = "DEV status|rewind|fsf|bsf|fsr|bsr|weof|eod|erase|offline|load|blocksize|write|read")
  static final class Tape implements Callable<Integer> {
    @ParentCommand CtlCommand ctl;

    @Mixin CtlCommand.Help help;

    @Parameters(index = "0", paramLabel = "DEV", description = "the tape node, e.g. sa0")
    String dev;

    @Parameters(index = "1", paramLabel = "OP", description = "status (default), rewind, fsf, bsf, fsr, bsr, weof, eod, erase, offline, load, blocksize, write, read", defaultValue = "status")
    String op;

    @Parameters(index = "2..*", paramLabel = "ARG", description = "the count (default 1); for write: hex blocks, '-' for a filemark")
    List<String> args = new ArrayList<>();

    @Option(names = "--max-blocks", paramLabel = "N", description = "read: at most N blocks (default 1000)")
    Integer maxBlocks;

    @Option(names = "--max-length", paramLabel = "BYTES", description = "read: the buffer per block (default 262144)")
    Integer maxLength;

    @Override
    public Integer call() {
      String o = op.toLowerCase(Locale.ROOT);
      switch (o) {
        case "status":
          return ctl.print(ctl.client().get(tapePath(dev), TapeApi.Status.class), TapeCommands::status);
        case "write":
          return write();
        case "read":
          return ctl.print(
              ctl.client().post(tapePath(dev) + "/read", new TapeApi.Read(maxBlocks, maxLength), TapeApi.Blocks.class),
              b -> {
                StringBuilder s = new StringBuilder();
                for (String h : b.blocksHex()) {
                  s.append(h).append('\n');
                }
                s.append("(").append(b.blocksHex().size()).append(" blocks, stopped at ").append(b.stop()).append(")\n");
                return s.toString();
              });
        default:
          Integer count = args.isEmpty() ? null : CtlCommand.integer(args.get(0), "count");
          return ctl.print(
              ctl.client().post(tapePath(dev) + "/op", new TapeApi.Op(o, count), TapeApi.OpResult.class),
              r -> r.device() + ": " + r.op() + " " + r.count() + (r.condition().isEmpty() ? "" : " (" + r.condition()
                  + (r.residual() != 0 ? ", residual " + r.residual() : "") + ")") + "\n");
      }
    }

    /** Hex blocks in order; each '-' (or "fm") writes a filemark after the blocks before it. */
    private int write() {
      List<String> blocks = new ArrayList<>();
      int written = 0;
      int marks = 0;
      for (int i = 0; i <= args.size(); i++) {
        boolean fm = i < args.size() && (args.get(i).equals("-") || args.get(i).equalsIgnoreCase("fm"));
        if (i < args.size() && !fm) {
          blocks.add(args.get(i));
          continue;
        }
        if (blocks.isEmpty() && !fm) {
          continue;
        }
        CtlClient.Reply<TapeApi.Written> r =
            ctl.client().post(tapePath(dev) + "/write", new TapeApi.Write(List.copyOf(blocks), fm ? 1 : 0), TapeApi.Written.class);
        if (!r.value().condition().isEmpty()) {
          return ctl.print(r, w -> w.device() + ": " + w.condition() + "\n");
        }
        written += r.value().blocks();
        marks += r.value().filemarks();
        blocks.clear();
      }
      int b = written;
      int m = marks;
      return ctl.print(new CtlClient.Reply<>(new TapeApi.Written(dev, b, m, ""), "{\"device\":\"" + dev + "\",\"blocks\":" + b
          + ",\"filemarks\":" + m + "}"), w -> w.device() + ": wrote " + w.blocks() + " blocks, " + w.filemarks() + " filemarks\n");
    }
  }

  static String status(TapeApi.Status s) {
    if (!s.ready()) {
      return s.device() + ": not ready (" + s.condition() + ")\n";
    }
    return String.format(
        Locale.ROOT,
        "%s: file %d, object %d, block size %s, density %s%s%s%n",
        s.device(), s.file(), s.object(), s.blockSize() == 0 ? "variable" : String.valueOf(s.blockSize()), s.density(),
        s.bop() ? ", at BOP" : "", s.eop() ? ", early warning" : "");
  }

  /** {@code ctl changer DEV status|move FROM TO|exchange SRC DST [DST2]|return ELEMENT|position ELEMENT}. */
  @Command(
      name = "changer",
      description = "Medium changer operations as chio(1) does them: status, move FROM TO, exchange SRC DST [DST2], return ELEMENT, position ELEMENT. Elements: slot N, drive N, portal N, picker N.",
      synopsisSubcommandLabel = "DEV status|move|exchange|return|position")
  static final class Changer implements Callable<Integer> {
    @ParentCommand CtlCommand ctl;

    @Mixin CtlCommand.Help help;

    @Parameters(index = "0", paramLabel = "DEV", description = "the changer node, e.g. ch0")
    String dev;

    @Parameters(index = "1", paramLabel = "OP", description = "status (default), move, exchange, return, position", defaultValue = "status")
    String op;

    @Parameters(index = "2..*", paramLabel = "ELEMENT", description = "elements as TYPE N (e.g. slot 0 drive 1)")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
      List<String> el = elements(args);
      switch (op.toLowerCase(Locale.ROOT)) {
        case "status":
          return ctl.print(ctl.client().get(changerPath(dev), TapeApi.Elements.class), TapeCommands::elements);
        case "move":
          need(el, 2, "move FROM TO");
          return done(ctl.client().post(changerPath(dev) + "/move", new TapeApi.Move(el.get(0), el.get(1)), TapeApi.Done.class));
        case "exchange":
          if (el.size() < 2) {
            throw new UsageException("exchange needs SRC DST [DST2]");
          }
          return done(ctl.client().post(changerPath(dev) + "/exchange",
              new TapeApi.Exchange(el.get(0), el.get(1), el.size() > 2 ? el.get(2) : null), TapeApi.Done.class));
        case "return":
          need(el, 1, "return ELEMENT");
          return done(ctl.client().post(changerPath(dev) + "/return", new TapeApi.Single(el.get(0)), TapeApi.Done.class));
        case "position":
          need(el, 1, "position ELEMENT");
          return done(ctl.client().post(changerPath(dev) + "/position", new TapeApi.Single(el.get(0)), TapeApi.Done.class));
        default:
          throw new UsageException("unknown changer op '" + op + "' (status, move, exchange, return, position)");
      }
    }

    private int done(CtlClient.Reply<TapeApi.Done> r) {
      return ctl.print(r, d -> d.device() + ": " + d.what() + "\n");
    }

    private static void need(List<String> el, int n, String usage) {
      if (el.size() != n) {
        throw new UsageException(usage + ": " + n + " element(s), e.g. slot 0 drive 1");
      }
    }
  }

  /** Joins "slot" "0" into "slot 0"; "slot0" and "slot:0" stay as they are. */
  static List<String> elements(List<String> words) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < words.size(); i++) {
      String w = words.get(i);
      if (w.chars().allMatch(Character::isLetter) && i + 1 < words.size()) {
        out.add(w + " " + words.get(++i));
      } else {
        out.add(w);
      }
    }
    return out;
  }

  static String elements(TapeApi.Elements e) {
    StringBuilder s = new StringBuilder();
    for (TapeApi.Element x : e.elements()) {
      List<String> flags = new ArrayList<>();
      if (x.full()) {
        flags.add("FULL");
      }
      if (x.impexp()) {
        flags.add("IMPEXP");
      }
      if (x.access()) {
        flags.add("ACCESS");
      }
      s.append(String.format(Locale.ROOT, "%-9s <%s>", x.element() + ":", String.join(",", flags)));
      if (!x.volumeTag().isEmpty()) {
        s.append(" voltag: <").append(x.volumeTag()).append(">");
      }
      if (!x.source().isEmpty()) {
        s.append(" source: <").append(x.source()).append(">");
      }
      s.append('\n');
    }
    return s.toString();
  }
}
