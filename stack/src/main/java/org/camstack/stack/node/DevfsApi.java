package org.camstack.stack.node;

import static org.camstack.stack.node.NodeCcbs.senseText;
import static org.camstack.stack.node.NodeCcbs.guard;

import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.scsi.pass.PassPeriph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The devfs scripting area of the management API: open a node, read, write, send a CDB through a
 * pass device (CAMIOCOMMAND), close; each call a user system call on {@link Devfs}.
 */
final class DevfsApi {
  private static final Logger LOG = LoggerFactory.getLogger(DevfsApi.class);

  private final NodeCcbs ccbs;
  private final ActorSystem<?> system;
  private final Duration askTimeout;
  private static final HexFormat HEX = HexFormat.of();
  private final ActorRef<Devfs.Command> devfs;
  private final ApiLimits limits;
  private final int maxTransfer;
  private final Map<Long, Devfs.FileHandle> files = new ConcurrentHashMap<>();
  /** handle &rarr; the client that opened it. */
  private final Map<Long, String> owners = new ConcurrentHashMap<>();
  /** client &rarr; handles it holds or is opening. */
  private final Map<String, Integer> perClient = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicInteger total = new java.util.concurrent.atomic.AtomicInteger();

  DevfsApi(NodeCcbs ccbs, ActorRef<Devfs.Command> devfs, ApiLimits limits) {
    this.ccbs = ccbs;
    this.system = ccbs.system();
    this.askTimeout = ccbs.askTimeout();
    this.devfs = devfs;
    this.limits = limits;
    this.maxTransfer = limits.maxTransfer();
  }

  /** Takes one handle slot for {@code client}; 429 when the client or the node holds the most. */
  private void takeSlot(String client) {
    if (total.incrementAndGet() > limits.maxHandles()) {
      total.decrementAndGet();
      throw ApiException.tooMany("the node holds " + limits.maxHandles() + " open handles, the most it allows: close some first");
    }
    int[] n = new int[1];
    perClient.compute(client, (k, v) -> {
      n[0] = v == null ? 1 : v + 1;
      return n[0] > limits.maxHandlesPerClient() ? v : Integer.valueOf(n[0]);
    });
    if (n[0] > limits.maxHandlesPerClient()) {
      total.decrementAndGet();
      throw ApiException.tooMany(
          "client " + client + " holds " + limits.maxHandlesPerClient() + " open handles, the most it may: close some first");
    }
  }

  private void giveSlot(String client) {
    total.decrementAndGet();
    perClient.computeIfPresent(client, (k, v) -> v <= 1 ? null : v - 1);
  }

  /**
   * Runs {@code call} with {@code bytes} of buffer memory reserved from the node's budget (429 if
   * it cannot be had), released when the call completes.
   */
  private <T> CompletionStage<T> withBuffer(long bytes, java.util.function.Supplier<CompletionStage<T>> call) {
    org.camstack.stack.target.MemoryBudget b = limits.budget();
    if (!b.tryReserve(bytes)) {
      throw ApiException.tooMany(
          "no memory for a " + bytes + "-byte transfer buffer now (node budget " + b.limit() + " bytes, "
              + b.available() + " free): retry later or transfer less");
    }
    CompletionStage<T> r;
    try {
      r = call.get();
    } catch (RuntimeException e) {
      b.release(bytes);
      throw e;
    }
    return r.whenComplete((v, e) -> b.release(bytes));
  }

  private ApiException tooLarge(String what, long bytes) {
    return ApiException.tooLarge(what + " of " + bytes + " bytes is larger than the node transfers (at most " + maxTransfer
        + " bytes, camstack.node.limits.max-transfer)");
  }

  // ------------------------------------------------------------------ devfs scripting

  /** The devfs file behind an API handle; 404 when there is none. */
  Devfs.FileHandle file(long handle) {
    Devfs.FileHandle f = files.get(handle);
    if (f == null) {
      throw ApiException.notFound("no open handle " + handle);
    }
    return f;
  }

  private static ApiException errno(String what, Errno e) {
    if (e == Errno.ENOENT) {
      return ApiException.notFound(what + ": " + e);
    }
    if (e == Errno.EINVAL) {
      return ApiException.badRequest(what + ": " + e);
    }
    return ApiException.conflict(what + ": " + e);
  }

  public CompletionStage<ApiModel.Handle> open(String client, ApiModel.Open req) {
    return guard(
        () -> {
          if (req.node() == null || req.node().isBlank()) {
            throw ApiException.badRequest("missing node name");
          }
          limits.name(req.node(), "node name");
          String name = req.node().startsWith("/dev/") ? req.node().substring(5) : req.node();
          if (name.isEmpty() || name.length() > Devfs.SPECNAMELEN) {
            throw ApiException.badRequest("bad node name '" + req.node() + "'");
          }
          takeSlot(client);
          CompletionStage<ApiModel.Handle> opened = AskPattern.<Devfs.Command, Devfs.OpenResult>ask(
                  devfs, r -> new Devfs.Open(name, Devfs.FREAD | Devfs.FWRITE, r), askTimeout, system.scheduler())
              .thenApply(
                  o -> {
                    if (!o.ok()) {
                      throw o.errno() == Errno.ENOENT
                          ? ApiException.notFound("no such node: " + name)
                          : errno("open " + name, o.errno());
                    }
                    files.put(o.file().fileId(), o.file());
                    owners.put(o.file().fileId(), client);
                    LOG.info("api: open {} -> handle {} for {}", name, o.file().fileId(), client);
                    return new ApiModel.Handle(o.file().fileId(), name);
                  });
          return opened.whenComplete((h, e) -> {
            if (e != null) {
              giveSlot(client);
            }
          });
        });
  }

  public CompletionStage<ApiModel.Ack> close(long handle) {
    return guard(
        () -> {
          Devfs.FileHandle f = file(handle);
          return AskPattern.<Devfs.Command, Devfs.DevReply>ask(devfs, r -> new Devfs.Close(f, r), askTimeout, system.scheduler())
              .thenApply(
                  rep -> {
                    if (files.remove(handle) != null) {
                      String owner = owners.remove(handle);
                      if (owner != null) {
                        giveSlot(owner);
                      }
                    }
                    LOG.info("api: close handle {} ({}): {}", handle, f.name(), rep.errno());
                    // devfs closes the file in every case; ENXIO only says the driver was not called
                    return new ApiModel.Ack(true, "handle " + handle + " (" + f.name() + ") closed" + (rep.isOk() ? "" : ": " + rep.errno()));
                  });
        });
  }

  public CompletionStage<ApiModel.Data> read(long handle, ApiModel.Read req) {
    return guard(
        () -> {
          long off = req.offset() == null ? 0 : req.offset();
          int len = req.length() == null ? 512 : req.length();
          if (off < 0 || len <= 0) {
            throw ApiException.badRequest("bad read: offset " + off + ", length " + len + " (offset >= 0, length >= 1)");
          }
          if (len > maxTransfer) {
            throw tooLarge("a read", len);
          }
          Devfs.FileHandle f = file(handle);
          // the data, its hex text and the JSON answer
          return withBuffer(4L * len, () -> AskPattern.<Devfs.Command, Devfs.DevReply>ask(devfs, r -> new Devfs.Read(f, off, len, r), askTimeout, system.scheduler())
              .thenApply(
                  rep -> {
                    if (!rep.isOk()) {
                      throw errno("read " + f.name(), rep.errno());
                    }
                    return new ApiModel.Data(handle, off, rep.data().size(), HEX.formatHex(rep.data().toArray()));
                  }));
        });
  }

  public CompletionStage<ApiModel.Ack> write(long handle, ApiModel.Write req) {
    return guard(
        () -> {
          long off = req.offset() == null ? 0 : req.offset();
          ByteString data = hex(req.dataHex(), "data");
          if (off < 0 || data.isEmpty()) {
            throw ApiException.badRequest("bad write: offset " + off + ", " + data.size() + " bytes (offset >= 0, at least one byte)");
          }
          if (data.size() > maxTransfer) {
            throw tooLarge("a write", data.size());
          }
          Devfs.FileHandle f = file(handle);
          return withBuffer(2L * data.size(), () -> AskPattern.<Devfs.Command, Devfs.DevReply>ask(devfs, r -> new Devfs.Write(f, off, data, r), askTimeout, system.scheduler())
              .thenApply(
                  rep -> {
                    if (!rep.isOk()) {
                      throw errno("write " + f.name(), rep.errno());
                    }
                    return new ApiModel.Ack(true, data.size() + " bytes written to " + f.name() + " at " + off);
                  }));
        });
  }

  static ByteString hex(String text, String what) {
    String s = text == null ? "" : text.replaceAll("[\\s:]", "");
    if (s.startsWith("0x") || s.startsWith("0X")) {
      s = s.substring(2);
    }
    if (s.length() % 2 != 0) {
      throw ApiException.badRequest("bad hex " + what + ": odd number of digits");
    }
    try {
      return ByteString.fromArray(HEX.parseHex(s));
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("bad hex " + what + ": " + ManagementRoutes.oneLine(e.getMessage()));
    }
  }

  public CompletionStage<ApiModel.CdbResult> cdb(long handle, ApiModel.Cdb req) {
    return guard(
        () -> {
          ByteString cdb = hex(req.cdbHex(), "CDB");
          if (cdb.size() < 6 || cdb.size() > 16) {
            throw ApiException.badRequest("bad CDB: " + cdb.size() + " bytes (6..16)");
          }
          ByteString out = hex(req.dataOutHex(), "data");
          int in = req.dataInLength() == null ? 0 : req.dataInLength();
          int timeout = req.timeoutMs() == null ? 0 : req.timeoutMs();
          if (in < 0) {
            throw ApiException.badRequest("bad dataInLength " + in + ": must not be negative");
          }
          if (in > maxTransfer || out.size() > maxTransfer) {
            throw tooLarge("a pass-through transfer", Math.max(in, out.size()));
          }
          if (in > 0 && !out.isEmpty()) {
            throw ApiException.badRequest("a CDB moves data in one direction: give dataInLength or dataOutHex");
          }
          if (timeout < 0) {
            throw ApiException.badRequest("bad timeoutMs " + timeout + ": must not be negative");
          }
          if (timeout > limits.maxCommandTimeoutMs()) {
            throw ApiException.unprocessable("timeoutMs " + timeout + " is longer than the node waits for a command (at most "
                + limits.maxCommandTimeoutMs() + " ms, camstack.node.limits.max-command-timeout)");
          }
          Devfs.FileHandle f = file(handle);
          int flags = in > 0 ? CcbFlags.DIR_IN : !out.isEmpty() ? CcbFlags.DIR_OUT : CcbFlags.DIR_NONE;
          // the pass periph puts its own path and completion address in the header
          Ccb.ScsiIo io =
              new Ccb.ScsiIo(
                  ccbs.header(CamPath.XPT, flags | CcbFlags.DEV_QFRZDIS, timeout, system.ignoreRef()), cdb, out, out.isEmpty() ? in : out.size(), -1);
          Duration t = Duration.ofMillis(Math.max(askTimeout.toMillis(), timeout + 2000L));
          return withBuffer(4L * Math.max(in, out.size()), () -> AskPattern.<Devfs.Command, Devfs.DevReply>ask(
                  devfs, r -> new Devfs.Ioctl(f, new PassPeriph.CamIoCommand(io), r), t, system.scheduler())
              .thenApply(
                  rep -> {
                    if (!rep.isOk()) {
                      throw errno("CAMIOCOMMAND on " + f.name(), rep.errno());
                    }
                    if (!(rep.result() instanceof PassPeriph.CamIoResult res)) {
                      throw ApiException.badRequest(f.name() + " does not take pass-through CCBs");
                    }
                    Ccb.Completed c = res.completed();
                    return new ApiModel.CdbResult(
                        handle, c.status().name(), c.statusWord(), c.scsiStatus(), HEX.formatHex(c.sense().toArray()),
                        senseText(c), HEX.formatHex(c.data().toArray()), c.resid());
                  }));
        });
  }

}
