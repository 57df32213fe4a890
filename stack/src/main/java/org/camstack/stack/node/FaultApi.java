package org.camstack.stack.node;

import static org.camstack.stack.node.NodeCcbs.guard;
import static org.camstack.stack.node.NodeCcbs.logWithPath;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.target.Delay;
import org.camstack.persistence.device.FaultRule;

/**
 * The fault-injection area of the management API: fault rules and delays of an emulated LUN
 * (through {@link SimControl}).
 */
final class FaultApi {
  private final NodeCcbs ccbs;
  private static final Pattern RULE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private final SimControl sims;
  private final ApiLimits limits;
  private final AtomicLong faultIds = new AtomicLong();

  FaultApi(NodeCcbs ccbs, SimControl sims, ApiLimits limits) {
    this.ccbs = ccbs;
    this.sims = sims;
    this.limits = limits;
  }

  public CompletionStage<ApiModel.FaultList> faults(String dev) {
    return guard(() -> ccbs.resolve(limits.name(dev, "device")))
        .thenCompose(
            t ->
                sims.faults(t.path())
                    .thenCombine(
                        sims.delay(t.path()),
                        (rules, delay) -> {
                          List<ApiModel.FaultRule> out = new ArrayList<>();
                          for (FaultRule r : rules) {
                            out.add(toApi(r));
                          }
                          long fixed = delay.minNanos() / 1000;
                          return new ApiModel.FaultList(t.path().btl(), out, new ApiModel.Delay(fixed, delay.maxNanos() / 1000 - fixed));
                        }));
  }

  /** API fault types and the rule kinds they stand for. */
  private static final Map<String, String> KINDS =
      Map.of(
          "medium-error", FaultRule.MEDIUM_ERROR,
          "unit-attention", FaultRule.UNIT_ATTENTION,
          "aborted", FaultRule.ABORTED_COMMAND,
          "busy", FaultRule.BUSY,
          "task-set-full", FaultRule.TASK_SET_FULL,
          "timeout", FaultRule.TIMEOUT,
          "sense", FaultRule.CUSTOM_SENSE);

  static ApiModel.FaultRule toApi(FaultRule r) {
    String type = KINDS.entrySet().stream().filter(e -> e.getValue().equals(r.kind())).map(Map.Entry::getKey).findFirst().orElse(r.kind());
    return new ApiModel.FaultRule(
        r.id(), type, r.opClass(),
        r.hasLbaRange() ? r.lbaFirst() : null, r.hasLbaRange() ? r.lbaLast() : null,
        !r.oneShot(), r.kind().equals(FaultRule.CUSTOM_SENSE) ? r.senseKey() : null,
        r.asc() < 0 ? null : r.asc(), r.ascq() < 0 ? null : r.ascq());
  }

  /** The emulator's rule for an API rule; 400/422 for anything it refuses. */
  FaultRule fromApi(ApiModel.FaultRule r) {
    if (r.type() == null || !KINDS.containsKey(r.type())) {
      throw ApiException.badRequest("bad fault type '" + r.type() + "': expected one of " + String.join(", ", new java.util.TreeSet<>(KINDS.keySet())));
    }
    String kind = KINDS.get(r.type());
    String cls = (r.commands() == null ? FaultRule.ANY : r.commands()).toLowerCase(java.util.Locale.ROOT);
    if (!cls.equals(FaultRule.READ) && !cls.equals(FaultRule.WRITE) && !cls.equals(FaultRule.ANY)) {
      throw ApiException.badRequest("bad command class '" + r.commands() + "': expected read, write or any");
    }
    if (r.lbaStart() == null && r.lbaEnd() != null) {
      throw ApiException.unprocessable("lbaEnd " + r.lbaEnd() + " without lbaStart: give both, or lbaStart alone for one block");
    }
    long first = 0;
    long last = FaultRule.NO_LBA_LIMIT;
    if (r.lbaStart() != null) {
      long end = r.lbaEnd() == null ? r.lbaStart() : r.lbaEnd();
      if (r.lbaStart() < 0 || end < r.lbaStart()) {
        throw ApiException.badRequest("bad LBA range " + r.lbaStart() + "-" + end);
      }
      first = r.lbaStart();
      last = end;
    }
    int asc = r.asc() == null ? -1 : r.asc();
    int ascq = r.ascq() == null ? (asc < 0 ? -1 : 0) : r.ascq();
    if (kind.equals(FaultRule.UNIT_ATTENTION) && asc < 0) {
      asc = 0x29; // POWER ON, RESET, OR BUS DEVICE RESET OCCURRED
      ascq = 0;
    }
    String id = r.id() == null || r.id().isBlank() ? String.valueOf(faultIds.incrementAndGet()) : ruleId(r.id());
    try {
      String sense = "";
      if (kind.equals(FaultRule.CUSTOM_SENSE)) {
        sense = FaultRule.fixedSense(r.senseKey() == null ? 0 : r.senseKey(), Math.max(0, asc), Math.max(0, ascq));
      } else if (asc >= 0) {
        sense = FaultRule.fixedSense(defaultKey(kind), asc, ascq);
      }
      return new FaultRule(id, kind, cls, first, last, !Boolean.TRUE.equals(r.continuous()), sense);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    }
  }

  /** A rule id a client chose: letters, digits, {@code . _ -}, 1..64 characters; else 422. */
  static String ruleId(String id) {
    if (!RULE_ID.matcher(id).matches()) {
      String shown = id.length() > 64 ? id.substring(0, 64) + "..." : id;
      throw ApiException.unprocessable(
          "bad fault rule id '" + shown + "': 1..64 of A-Z a-z 0-9 . _ - (not starting with . _ -)");
    }
    return id;
  }

  private static int defaultKey(String kind) {
    switch (kind) {
      case FaultRule.MEDIUM_ERROR:
        return Sense.MEDIUM_ERROR;
      case FaultRule.UNIT_ATTENTION:
        return Sense.UNIT_ATTENTION;
      case FaultRule.ABORTED_COMMAND:
        return Sense.ABORTED_COMMAND;
      default:
        return 0;
    }
  }


  public CompletionStage<ApiModel.FaultRule> faultAdd(String dev, ApiModel.FaultRule rule) {
    return guard(() -> ccbs.resolve(limits.name(dev, "device")))
        .thenCompose(
            t -> {
              FaultRule r = fromApi(rule);
              return sims.faults(t.path())
                  .thenCompose(
                      existing -> {
                        if (existing.stream().anyMatch(f -> f.id().equals(r.id()))) {
                          throw ApiException.conflict(t.name() + ": fault rule " + r.id() + " exists (DELETE it first)");
                        }
                        if (existing.size() >= limits.maxFaultRules()) {
                          throw ApiException.tooMany(
                              t.name() + ": " + existing.size() + " fault rules already (at most " + limits.maxFaultRules() + ")");
                        }
                        return sims.addFault(t.path(), r);
                      })
                  .thenApply(
                      d -> {
                        logWithPath(t.path(), "api: fault rule {} added on {}: {}", r.id(), t.name(), r);
                        return toApi(r);
                      });
            });
  }

  public CompletionStage<ApiModel.Ack> faultDelete(String dev, String id) {
    return guard(() -> ccbs.resolve(limits.name(dev, "device")))
        .thenCompose(
            t ->
                sims.deleteFault(t.path(), id)
                    .thenApply(
                        d -> {
                          logWithPath(t.path(), "api: fault rule {} deleted on {}", id, t.name());
                          return new ApiModel.Ack(true, "rule " + id + " deleted");
                        }));
  }

  public CompletionStage<ApiModel.Delay> delay(String dev, ApiModel.Delay delay) {
    return guard(
        () -> {
          long fixed = delay.fixedMicros() == null ? 0 : delay.fixedMicros();
          long random = delay.randomMicros() == null ? 0 : delay.randomMicros();
          if (fixed < 0 || random < 0) {
            throw ApiException.badRequest("bad delay " + fixed + "+" + random + " us: must not be negative");
          }
          if (fixed + random > 3_600_000_000L) {
            throw ApiException.badRequest("bad delay: at most one hour");
          }
          return ccbs.resolve(dev)
              .thenCompose(
                  t ->
                      sims.setDelay(t.path(), Delay.uniform(fixed * 1000, (fixed + random) * 1000))
                          .thenApply(
                              d -> {
                                logWithPath(t.path(), "api: delay of {} set to {}+{} us", t.name(), fixed, random);
                                return new ApiModel.Delay(fixed, random);
                              }));
        });
  }

}
