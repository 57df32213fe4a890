package org.camstack.stack.node;

import static org.camstack.stack.node.NodeCcbs.lunPath;
import static org.camstack.stack.node.NodeCcbs.guard;
import static org.camstack.stack.node.NodeCcbs.logWithPath;

import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.target.LunSpec;

/**
 * The LUN area of the management API: the emulated topology, hot-plug, pull and resize of LUNs
 * (through {@link SimControl}).
 */
final class LunApi {
  private final NodeCcbs ccbs;
  private final SimControl sims;
  private final ApiLimits limits;
  /** LUNs with an add, remove or resize in flight: a second one on the same path is refused. */
  private final Map<CamPath, String> busy = new ConcurrentHashMap<>();

  LunApi(NodeCcbs ccbs, SimControl sims, ApiLimits limits) {
    this.ccbs = ccbs;
    this.sims = sims;
    this.limits = limits;
  }

  /**
   * Runs {@code op} on {@code p} unless another add, remove or resize of it is in flight: a racing
   * remove answers 404 (the LUN is going away), anything else 409.
   */
  private <T> CompletionStage<T> exclusive(CamPath p, String op, java.util.function.Supplier<CompletionStage<T>> call) {
    String running = busy.putIfAbsent(p, op);
    if (running != null) {
      if (op.equals("remove") && running.equals("remove")) {
        throw ApiException.notFound("lun " + p.btl() + " is already being removed");
      }
      throw ApiException.conflict("lun " + p.btl() + ": " + running + " in progress, " + op + " refused");
    }
    CompletionStage<T> r;
    try {
      r = call.get();
    } catch (RuntimeException e) {
      busy.remove(p, op);
      throw e;
    }
    return r.whenComplete((v, e) -> busy.remove(p, op));
  }

  /** 422 beyond {@code camstack.node.limits.max-lun-size}. */
  private void checkSize(long sizeBytes) {
    if (sizeBytes > limits.maxLunSize()) {
      throw ApiException.unprocessable(
          "size " + sizeBytes + " bytes is larger than the node allows (" + limits.maxLunSize()
              + " bytes, camstack.node.limits.max-lun-size)");
    }
  }

  public CompletionStage<ApiModel.Topology> topology() {
    return guard(sims::topology);
  }

  // ------------------------------------------------------------------ emulator control

  public CompletionStage<ApiModel.LunInfo> lunAdd(ApiModel.LunAdd req) {
    return guard(
        () -> {
          CamPath p = lunPath(limits.name(req.path(), "path"));
          limits.name(req.vendor(), "vendor");
          limits.name(req.product(), "product");
          limits.name(req.serial(), "serial");
          limits.name(req.kind(), "kind");
          limits.name(req.backing(), "backing");
          if (req.sizeBytes() != null) {
            checkSize(req.sizeBytes());
          }
          LunSpec spec = lunSpec(p, req);
          logWithPath(p, "api: lun add {} ({} blocks of {})", p.btl(), spec.blocks(), spec.blockSize());
          return exclusive(p, "add", () -> sims.addLun(p, spec, req.serial() == null));
        });
  }

  /** The LunSpec an API request describes; 400 for anything LunSpec refuses. */
  static LunSpec lunSpec(CamPath p, ApiModel.LunAdd req) {
    String kind = req.kind() == null ? "disk" : req.kind();
    StringBuilder h = new StringBuilder();
    h.append("lun = ").append(p.lun()).append('\n');
    h.append("type = \"").append(kind.replace("\"", "")).append("\"\n");
    int bs = req.blockSize() == null ? 512 : req.blockSize();
    if (req.blockSize() != null && req.blockSize() <= 0) {
      throw ApiException.badRequest("bad block size " + req.blockSize() + ": must be positive");
    }
    h.append("block-size = ").append(bs).append('\n');
    if (req.sizeBytes() != null) {
      if (req.sizeBytes() <= 0) {
        throw ApiException.badRequest("bad size " + req.sizeBytes() + ": must be positive");
      }
      if (req.sizeBytes() < bs) {
        throw ApiException.badRequest("bad size " + req.sizeBytes() + ": smaller than one block of " + bs);
      }
      h.append("blocks = ").append(req.sizeBytes() / bs).append('\n');
    }
    if (req.vendor() != null) {
      h.append("vendor = ").append(quote(req.vendor())).append('\n');
    }
    if (req.product() != null) {
      h.append("product = ").append(quote(req.product())).append('\n');
    }
    if (req.serial() != null) {
      h.append("serial = ").append(quote(req.serial())).append('\n');
    }
    if (req.backing() != null) {
      h.append("store = ").append(quote(req.backing())).append('\n');
    }
    try {
      return LunSpec.fromConfig(com.typesafe.config.ConfigFactory.parseString(h.toString()), p.bus(), p.target());
    } catch (IllegalArgumentException | com.typesafe.config.ConfigException e) {
      throw ApiException.badRequest(ManagementRoutes.oneLine(e.getMessage()));
    }
  }

  private static String quote(String s) {
    return com.typesafe.config.ConfigUtil.quoteString(s);
  }

  public CompletionStage<ApiModel.Ack> lunRemove(String path) {
    return guard(
        () -> {
          CamPath p = lunPath(limits.name(path, "path"));
          logWithPath(p, "api: lun remove {}", p.btl());
          return exclusive(p, "remove", () -> sims.removeLun(p)).thenApply(d -> new ApiModel.Ack(true, "lun " + p.btl() + " removed"));
        });
  }

  public CompletionStage<ApiModel.LunInfo> lunResize(String path, ApiModel.LunResize req) {
    return guard(
        () -> {
          CamPath p = lunPath(limits.name(path, "path"));
          if (req.sizeBytes() == null) {
            throw ApiException.badRequest("missing sizeBytes");
          }
          if (req.sizeBytes() <= 0) {
            throw ApiException.badRequest("bad size " + req.sizeBytes() + ": must be positive");
          }
          checkSize(req.sizeBytes());
          logWithPath(p, "api: lun resize {} to {} bytes", p.btl(), req.sizeBytes());
          return exclusive(p, "resize", () -> sims.resize(p, req.sizeBytes()));
        });
  }

}
