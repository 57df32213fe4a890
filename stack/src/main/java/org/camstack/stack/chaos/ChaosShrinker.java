package org.camstack.stack.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.camstack.persistence.audit.ViolationKind;

/**
 * Reduces a failing deterministic schedule to a small one that still fails the same way (delta
 * debugging, cf. Zeller's ddmin): first the cycles after the one where the violation was first
 * seen go, then whole cycles, then single operations, keeping a candidate only if a
 * deterministic rerun of it still reports a violation of the same kind. Every rerun stops at the
 * first violation of that kind (no teardown), so each costs a boot plus the cycles up to it.
 *
 * <p>Not thread-safe; one shrink at a time.
 */
public final class ChaosShrinker {

  /**
   * The outcome.
   *
   * @param kind the violation kind kept
   * @param schedule the smallest failing schedule found
   * @param runs reruns it took
   * @param report the final schedule's run (with its timeline)
   */
  public record Result(ViolationKind kind, ChaosSchedule schedule, int runs, ChaosEngine.Report report) {}

  private final ChaosEngine.Settings base;
  private final ViolationKind kind;
  private final Consumer<String> progress;
  private final int maxRuns;
  private int runs;

  private ChaosShrinker(ChaosEngine.Settings base, ViolationKind kind, Consumer<String> progress, int maxRuns) {
    this.base = base;
    this.kind = kind;
    this.progress = progress == null ? s -> {} : progress;
    this.maxRuns = maxRuns;
  }

  /**
   * Shrinks the schedule of a failing deterministic run.
   *
   * @param failing the failing run's report (its schedule and first violation kind)
   * @param maxRuns give up reducing after that many reruns (the best so far is kept)
   * @throws IllegalArgumentException when the run did not fail
   */
  public static Result shrink(ChaosEngine.Report failing, Consumer<String> progress, int maxRuns) {
    return shrink(failing, defaultKind(failing), progress, maxRuns);
  }

  /**
   * The kind {@code --shrink} keeps by default: the duplicate-name panic (bug A) when the run saw
   * it, else the close deadlock (bug B), else the kind seen first. (In legacy mode every free is
   * early, so the first kind is always the uninteresting UNIT_FREED_EARLY.)
   */
  public static ViolationKind defaultKind(ChaosEngine.Report failing) {
    for (ViolationKind k : List.of(ViolationKind.DUPLICATE_NAME, ViolationKind.DESTROY_DEADLOCK)) {
      if (failing.violationsByKind().getOrDefault(k, 0) > 0) {
        return k;
      }
    }
    return failing.firstKind();
  }

  /** {@link #shrink(ChaosEngine.Report, Consumer, int)} keeping violations of {@code kind}. */
  public static Result shrink(ChaosEngine.Report failing, ViolationKind kind, Consumer<String> progress, int maxRuns) {
    if (kind == null || failing.violationsByKind().getOrDefault(kind, 0) == 0) {
      throw new IllegalArgumentException("the run found no " + (kind == null ? "violation" : kind) + ": nothing to shrink");
    }
    ChaosEngine.Settings s = failing.settings();
    ChaosEngine.Settings base =
        new ChaosEngine.Settings(
            s.seed(), 0, s.clients(), s.legacy(), 0, s.settleEvery(), false, s.opTimeout(),
            ChaosEngine.Mode.DETERMINISTIC, null, kind, false);
    ChaosShrinker sh = new ChaosShrinker(base, kind, progress, maxRuns);
    return sh.run(failing.schedule(), failing.firstCycle().getOrDefault(kind, 0));
  }

  private Result run(ChaosSchedule schedule, int firstCycle) {
    List<ChaosSchedule.Cycle> cycles = new ArrayList<>(schedule.cycles());
    if (firstCycle > 0) {
      cycles.removeIf(c -> c.number() > firstCycle);
    }
    ChaosSchedule current = schedule.withCycles(cycles);
    if (!fails(current)) {
      current = schedule.withCycles(schedule.cycles()); // fails only at teardown, or not up to its cycle: keep it whole
      if (!fails(current)) {
        throw new IllegalStateException("the schedule does not fail with " + kind + " when rerun");
      }
    }
    progress.accept("shrink: " + kind + ", " + current.cycles().size() + " cycles, " + current.opCount() + " ops");
    // whole cycles
    ChaosSchedule cur = current;
    List<ChaosSchedule.Cycle> keptCycles = ddmin(cur.cycles(), c -> fails(cur.withCycles(c)));
    current = current.withCycles(keptCycles);
    progress.accept("shrink: " + current.cycles().size() + " cycles, " + current.opCount() + " ops after " + runs + " runs");
    // single operations
    List<int[]> refs = new ArrayList<>();
    for (int ci = 0; ci < current.cycles().size(); ci++) {
      for (int oi = 0; oi < current.cycles().get(ci).ops().size(); oi++) {
        refs.add(new int[] {ci, oi});
      }
    }
    ChaosSchedule frozen = current;
    List<int[]> keptOps = ddmin(refs, r -> fails(rebuild(frozen, r)));
    current = rebuild(frozen, keptOps);
    progress.accept("shrink: " + current.cycles().size() + " cycles, " + current.opCount() + " ops after " + runs + " runs");
    ChaosEngine.Settings last =
        ChaosEngine.Settings.replaying(current).withTimeline(true);
    ChaosEngine.Report report = ChaosEngine.run(last, null);
    runs++;
    return new Result(kind, current.withSummary(report.summaryLine()), runs, report);
  }

  private static ChaosSchedule rebuild(ChaosSchedule s, List<int[]> keep) {
    List<ChaosSchedule.Cycle> out = new ArrayList<>();
    for (int ci = 0; ci < s.cycles().size(); ci++) {
      List<ChaosSchedule.Op> ops = new ArrayList<>();
      for (int[] r : keep) {
        if (r[0] == ci) {
          ops.add(s.cycles().get(ci).ops().get(r[1]));
        }
      }
      if (!ops.isEmpty()) {
        out.add(new ChaosSchedule.Cycle(s.cycles().get(ci).number(), ops));
      }
    }
    return s.withCycles(out);
  }

  private boolean fails(ChaosSchedule candidate) {
    if (candidate.cycles().isEmpty()) {
      return false;
    }
    runs++;
    ChaosEngine.Settings s =
        new ChaosEngine.Settings(
            base.seed(), candidate.cycles().size(), base.clients(), base.legacy(), 0, base.settleEvery(), false,
            base.opTimeout(), ChaosEngine.Mode.DETERMINISTIC, candidate, kind, false);
    ChaosEngine.Report r = ChaosEngine.run(s, null);
    return r.violationsByKind().getOrDefault(kind, 0) > 0;
  }

  /** ddmin (complements only): the smallest sublist, in order, for which {@code fails} holds. */
  private <T> List<T> ddmin(List<T> items, Predicate<List<T>> fails) {
    List<T> cur = new ArrayList<>(items);
    int n = 2;
    while (cur.size() >= 2 && runs < maxRuns) {
      int chunk = (int) Math.ceil(cur.size() / (double) n);
      boolean reduced = false;
      for (int start = 0; start < cur.size() && runs < maxRuns; start += chunk) {
        List<T> complement = new ArrayList<>(cur.subList(0, start));
        complement.addAll(cur.subList(Math.min(cur.size(), start + chunk), cur.size()));
        if (!complement.isEmpty() && fails.test(complement)) {
          cur = complement;
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
      if (!reduced) {
        if (n >= cur.size()) {
          break;
        }
        n = Math.min(cur.size(), n * 2);
      }
    }
    return cur;
  }
}
