package org.camstack.stack.node;

import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEnd;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.camstack.stack.node.NodeCcbs.guard;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.scsi.ch.ChPeriph;
import org.camstack.stack.scsi.sa.SaPeriph;

/**
 * The tape area of the management API, mt(1) and chio(1) over HTTP: each call opens the node
 * ({@code saN} / {@code chN}), runs the driver's ioctls (or reads / writes blocks), and closes it,
 * as the tools do.
 *
 * <ul>
 *   <li>{@code GET /api/tape/{sa}}: status (cf. mt status)
 *   <li>{@code POST /api/tape/{sa}/op} {@code {"op":"fsf","count":1}}: rewind, fsf, bsf, fsr, bsr,
 *       weof, eod, erase, offline, load, setbsiz, nop
 *   <li>{@code POST /api/tape/{sa}/write} {@code {"blocksHex":["..."],"filemarks":1}}: one block
 *       per entry, then filemarks
 *   <li>{@code POST /api/tape/{sa}/read} {@code {"maxBlocks":100,"maxLength":65536}}: blocks up to
 *       the next filemark (which is passed) or EOD
 *   <li>{@code GET /api/changer/{ch}}: every element (cf. chio status -v)
 *   <li>{@code POST /api/changer/{ch}/move|exchange|return|position} with element names such as
 *       {@code "slot 0"}, {@code "drive 1"}, {@code "portal 0"}
 * </ul>
 */
public final class TapeApi {
  private static final HexFormat HEX = HexFormat.of();

  private final ActorSystem<?> system;
  private final ActorRef<Devfs.Command> devfs;
  private final Duration askTimeout;
  private final ApiLimits limits;

  TapeApi(ActorSystem<?> system, ActorRef<Devfs.Command> devfs, Duration askTimeout, ApiLimits limits) {
    this.system = system;
    this.devfs = devfs;
    this.askTimeout = askTimeout;
    this.limits = limits;
  }

  // ------------------------------------------------------------------ request / response bodies

  public record Op(String op, Integer count) {}

  public record OpResult(String device, String op, int count, int residual, String condition) {}

  public record Status(String device, boolean ready, long file, long object, int blockSize, String density, boolean bop,
      boolean eop, String condition) {}

  public record Write(List<String> blocksHex, Integer filemarks) {}

  public record Written(String device, int blocks, int filemarks, String condition) {}

  public record Read(Integer maxBlocks, Integer maxLength) {}

  /** @param stop what ended the read: {@code filemark}, {@code eod}, {@code max-blocks} or a condition */
  public record Blocks(String device, List<String> blocksHex, String stop) {}

  public record Element(String element, int address, boolean full, boolean impexp, boolean access, String volumeTag,
      String source) {}

  public record Elements(String device, List<Element> elements) {}

  public record Move(String from, String to) {}

  public record Exchange(String source, String first, String second) {}

  public record Single(String element) {}

  public record Done(String device, String what, String condition) {}

  // ------------------------------------------------------------------ routes

  /** The routes, with the shared reply and body handling of {@code routes}. */
  static Route tapeRoutes(NodeService service, ManagementRoutes routes) {
    return pathPrefix(dev -> concat(
        pathEnd(() -> get(() -> routes.reply(() -> service.tape().status(dev)))),
        path("op", () -> post(() -> routes.body(Op.class, r -> routes.reply(() -> service.tape().op(dev, r))))),
        path("write", () -> post(() -> routes.body(Write.class, r -> routes.reply(() -> service.tape().write(dev, r))))),
        path("read", () -> post(() -> routes.body(Read.class, r -> routes.reply(() -> service.tape().read(dev, r)))))));
  }

  static Route changerRoutes(NodeService service, ManagementRoutes routes) {
    return pathPrefix(dev -> concat(
        pathEnd(() -> get(() -> routes.reply(() -> service.tape().elements(dev)))),
        path("move", () -> post(() -> routes.body(Move.class, r -> routes.reply(() -> service.tape().move(dev, r))))),
        path("exchange", () -> post(() -> routes.body(Exchange.class, r -> routes.reply(() -> service.tape().exchange(dev, r))))),
        path("return", () -> post(() -> routes.body(Single.class, r -> routes.reply(() -> service.tape().giveBack(dev, r))))),
        path("position", () -> post(() -> routes.body(Single.class, r -> routes.reply(() -> service.tape().position(dev, r)))))));
  }

  // ------------------------------------------------------------------ mt

  public CompletionStage<Status> status(String dev) {
    return withNode(dev, "sa", f -> ioctl(f, new SaPeriph.MtGet()).thenApply(r -> {
      SaPeriph.MtStatus s = (SaPeriph.MtStatus) r;
      return new Status(f.name(), s.ready(), s.fileNumber(), s.objectNumber(), s.blockSize(),
          s.density() == 0 ? "" : String.format(Locale.ROOT, "0x%02x", s.density()), s.bop(), s.eop(), s.condition());
    }));
  }

  public CompletionStage<OpResult> op(String dev, Op req) {
    return guard(() -> {
      if (req.op() == null) {
        throw ApiException.badRequest("missing op (rewind, fsf, bsf, fsr, bsr, weof, eod, erase, offline, load, setbsiz, nop)");
      }
      SaPeriph.Op op = parseOp(req.op());
      int count = req.count() == null ? (op == SaPeriph.Op.SETBSIZ ? 0 : 1) : req.count();
      if (count < 0 || count > 0x7fffff) {
        throw ApiException.badRequest("bad count " + count + ": 0..8388607");
      }
      return withNode(dev, "sa", f -> ioctl(f, new SaPeriph.MtOp(op, count)).thenApply(r -> {
        SaPeriph.MtResult m = (SaPeriph.MtResult) r;
        return new OpResult(f.name(), op.name().toLowerCase(Locale.ROOT), count, m.residual(), m.condition());
      }));
    });
  }

  static SaPeriph.Op parseOp(String s) {
    switch (s.toLowerCase(Locale.ROOT)) {
      case "rewind":
      case "rew":
        return SaPeriph.Op.REWIND;
      case "fsf":
        return SaPeriph.Op.FSF;
      case "bsf":
        return SaPeriph.Op.BSF;
      case "fsr":
        return SaPeriph.Op.FSR;
      case "bsr":
        return SaPeriph.Op.BSR;
      case "weof":
      case "eof":
        return SaPeriph.Op.WEOF;
      case "eod":
      case "eom":
        return SaPeriph.Op.EOD;
      case "erase":
        return SaPeriph.Op.ERASE;
      case "offline":
      case "offl":
      case "unload":
        return SaPeriph.Op.OFFLINE;
      case "load":
        return SaPeriph.Op.LOAD;
      case "setbsiz":
      case "blocksize":
        return SaPeriph.Op.SETBSIZ;
      case "nop":
        return SaPeriph.Op.NOP;
      default:
        throw ApiException.badRequest("unknown tape op '" + s + "'");
    }
  }

  public CompletionStage<Written> write(String dev, Write req) {
    return guard(() -> {
      List<ByteString> blocks = new ArrayList<>();
      long total = 0;
      for (String h : req.blocksHex() == null ? List.<String>of() : req.blocksHex()) {
        ByteString b;
        try {
          b = ByteString.fromArrayUnsafe(HEX.parseHex(h == null ? "" : h.replace(" ", "")));
        } catch (IllegalArgumentException e) {
          throw ApiException.badRequest("bad block hex: " + e.getMessage());
        }
        if (b.isEmpty() || b.size() > org.camstack.stack.target.EmuTape.MAX_BLOCK) {
          throw ApiException.badRequest("bad block of " + b.size() + " bytes (1.." + org.camstack.stack.target.EmuTape.MAX_BLOCK + ")");
        }
        total += b.size();
        blocks.add(b);
      }
      if (total > limits.maxTransfer()) {
        throw ApiException.tooLarge("a write of " + total + " bytes (the node takes at most " + limits.maxTransfer() + ")");
      }
      int fms = req.filemarks() == null ? 0 : req.filemarks();
      if (fms < 0 || fms > 1000) {
        throw ApiException.badRequest("bad filemarks " + fms + ": 0..1000");
      }
      return withNode(dev, "sa", f -> writeFrom(f, blocks, 0).thenCompose(n -> {
        if (n < blocks.size()) {
          return CompletableFuture.completedFuture(new Written(f.name(), n, 0, "write failed at block " + n));
        }
        if (fms == 0) {
          return CompletableFuture.completedFuture(new Written(f.name(), n, 0, ""));
        }
        return ioctl(f, new SaPeriph.MtOp(SaPeriph.Op.WEOF, fms))
            .thenApply(r -> new Written(f.name(), n, fms, ((SaPeriph.MtResult) r).condition()));
      }));
    });
  }

  private CompletionStage<Integer> writeFrom(Devfs.FileHandle f, List<ByteString> blocks, int i) {
    if (i == blocks.size()) {
      return CompletableFuture.completedFuture(i);
    }
    return AskPattern.<Devfs.Command, Devfs.DevReply>ask(devfs, r -> new Devfs.Write(f, 0, blocks.get(i), r), askTimeout, system.scheduler())
        .thenCompose(rep -> rep.errno() == Errno.OK ? writeFrom(f, blocks, i + 1) : CompletableFuture.completedFuture(i));
  }

  public CompletionStage<Blocks> read(String dev, Read req) {
    return guard(() -> {
      int max = req.maxBlocks() == null ? 1000 : req.maxBlocks();
      int len = req.maxLength() == null ? org.camstack.stack.target.EmuTape.MAX_BLOCK : req.maxLength();
      if (max < 1 || max > 100_000 || len < 1 || len > 0xffffff) {
        throw ApiException.badRequest("bad read: maxBlocks 1..100000, maxLength 1..16777215");
      }
      return withNode(dev, "sa", f -> readFrom(f, len, max, new ArrayList<>(), 0)
          .thenApply(r -> new Blocks(f.name(), r.blocks, r.stop)));
    });
  }

  private record ReadState(List<String> blocks, String stop) {}

  private CompletionStage<ReadState> readFrom(Devfs.FileHandle f, int len, int max, List<String> acc, long bytes) {
    if (acc.size() >= max) {
      return CompletableFuture.completedFuture(new ReadState(acc, "max-blocks"));
    }
    return ioctl(f, new SaPeriph.ReadBlock(len)).thenCompose(r -> {
      SaPeriph.Block b = (SaPeriph.Block) r;
      if (!b.condition().isEmpty() && !b.condition().equals("ili")) {
        return CompletableFuture.completedFuture(new ReadState(acc, b.condition()));
      }
      acc.add(HEX.formatHex(b.data().toArray()));
      long now = bytes + b.data().size();
      if (now > limits.maxTransfer()) {
        return CompletableFuture.completedFuture(new ReadState(acc, "max-transfer"));
      }
      return readFrom(f, len, max, acc, now);
    });
  }

  // ------------------------------------------------------------------ chio

  public CompletionStage<Elements> elements(String dev) {
    return withNode(dev, "ch", f -> ioctl(f, new ChPeriph.GetStatus(null)).thenApply(r -> {
      List<Element> out = new ArrayList<>();
      for (ChPeriph.ElementStatus e : ((ChPeriph.Status) r).elements()) {
        out.add(new Element(e.element().toString(), e.address(), e.full(), e.impexp(), e.access(), e.volumeTag(),
            e.source() == null ? "" : e.source().toString()));
      }
      return new Elements(f.name(), out);
    }));
  }

  public CompletionStage<Done> move(String dev, Move req) {
    return guard(() -> {
      ChPeriph.Element from = element(req.from(), "from");
      ChPeriph.Element to = element(req.to(), "to");
      return changer(dev, "move " + from + " to " + to, new ChPeriph.Move(from, to));
    });
  }

  public CompletionStage<Done> exchange(String dev, Exchange req) {
    return guard(() -> {
      ChPeriph.Element s = element(req.source(), "source");
      ChPeriph.Element a = element(req.first(), "first");
      ChPeriph.Element b = req.second() == null || req.second().isBlank() ? s : element(req.second(), "second");
      return changer(dev, "exchange " + s + " " + a + " " + b, new ChPeriph.Exchange(s, a, b));
    });
  }

  public CompletionStage<Done> giveBack(String dev, Single req) {
    return guard(() -> {
      ChPeriph.Element e = element(req.element(), "element");
      return changer(dev, "return " + e, new ChPeriph.Return(e));
    });
  }

  public CompletionStage<Done> position(String dev, Single req) {
    return guard(() -> {
      ChPeriph.Element e = element(req.element(), "element");
      return changer(dev, "position " + e, new ChPeriph.Position(e));
    });
  }

  private CompletionStage<Done> changer(String dev, String what, Devfs.IoctlCmd cmd) {
    return withNode(dev, "ch", f -> ioctl(f, cmd).thenApply(r -> {
      String cond = ((ChPeriph.Done) r).condition();
      if (!cond.isEmpty()) {
        throw ApiException.conflict(what + ": " + cond);
      }
      return new Done(f.name(), what, cond);
    }));
  }

  /** "slot 3", "slot:3", "drive1" as chio writes them. */
  static ChPeriph.Element element(String s, String what) {
    if (s == null || s.isBlank()) {
      throw ApiException.badRequest("missing " + what + " element (e.g. \"slot 0\", \"drive 1\")");
    }
    String t = s.trim().toLowerCase(Locale.ROOT).replace(':', ' ');
    int i = 0;
    while (i < t.length() && Character.isLetter(t.charAt(i))) {
      i++;
    }
    try {
      ChPeriph.Kind k = ChPeriph.Kind.parse(t.substring(0, i));
      int unit = Integer.parseInt(t.substring(i).trim());
      return new ChPeriph.Element(k, unit);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("bad " + what + " element '" + s + "': " + e.getMessage() + " (e.g. \"slot 0\", \"drive 1\")");
    }
  }

  // ------------------------------------------------------------------ devfs plumbing

  /** Opens {@code dev} (which must be a {@code prefix}N node), runs {@code body}, closes it. */
  private <T> CompletionStage<T> withNode(String dev, String prefix, Function<Devfs.FileHandle, CompletionStage<T>> body) {
    return guard(() -> {
      String name = dev == null ? "" : dev.startsWith("/dev/") ? dev.substring(5) : dev;
      if (!name.matches(prefix + "[0-9]{1,5}")) {
        throw ApiException.badRequest("bad device '" + dev + "': expected " + prefix + "N");
      }
      return AskPattern.<Devfs.Command, Devfs.OpenResult>ask(devfs, r -> new Devfs.Open(name, Devfs.FREAD | Devfs.FWRITE, r), askTimeout,
              system.scheduler())
          .thenCompose(o -> {
            if (!o.ok()) {
              throw o.errno() == Errno.ENOENT ? ApiException.notFound("no such node: " + name)
                  : ApiException.conflict("open " + name + ": " + o.errno());
            }
            CompletionStage<T> run;
            try {
              run = body.apply(o.file());
            } catch (RuntimeException e) {
              run = CompletableFuture.failedFuture(e);
            }
            return run.handle((v, e) -> {
              devfs.tell(new Devfs.Close(o.file(), system.ignoreRef()));
              if (e != null) {
                throw e instanceof RuntimeException re ? re : new java.util.concurrent.CompletionException(e);
              }
              return v;
            });
          });
    });
  }

  private CompletionStage<Devfs.IoctlResult> ioctl(Devfs.FileHandle f, Devfs.IoctlCmd cmd) {
    return AskPattern.<Devfs.Command, Devfs.DevReply>ask(devfs, r -> new Devfs.Ioctl(f, cmd, r), askTimeout, system.scheduler())
        .thenApply(rep -> {
          if (rep.errno() != Errno.OK || rep.result() == null) {
            throw ApiException.conflict(f.name() + ": " + rep.errno());
          }
          return rep.result();
        });
  }
}
