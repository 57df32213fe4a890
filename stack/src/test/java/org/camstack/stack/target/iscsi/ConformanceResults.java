package org.camstack.stack.target.iscsi;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What libiscsi's {@code iscsi-test-cu} reported, test by test, and how that compares with the
 * committed expectations ({@code src/test/resources/iscsi/iscsi-test-cu.expected}).
 *
 * <p>iscsi-test-cu runs on CUnit, which knows only passed and failed: a test that finds the feature it
 * needs missing prints {@code [SKIPPED] why} and then passes. So in the default (verbose) text output
 * a test is
 *
 * <pre>
 * Suite: SUITE
 *   Test: NAME ...passed                                  PASS
 *   Test: NAME ...    [SKIPPED] why                       SKIP (passed after a [SKIPPED] line)
 *   passed
 *   Test: NAME ...    [FAILED] what                       FAIL (a [FAILED] line and/or the
 *   FAILED                                                      numbered CUnit assertions)
 *     1. test_x.c:98  - CU_ASSERT_NOT_EQUAL(ret,0)
 * </pre>
 *
 * and its full name is {@code FAMILY.SUITE.NAME}, as {@code iscsi-test-cu --list} prints it. Logging
 * after the outcome word on the same line ({@code ...passed    [FAILED] PRIN ...}, printed by the
 * teardown after CUnit wrote the verdict) is not the test's. A test with no outcome line (the tool
 * died mid-test) is a FAIL.
 */
final class ConformanceResults {

  private ConformanceResults() {}

  enum Outcome { PASS, FAIL, SKIP }

  /** One test: its full name, outcome and, for anything but PASS, why (one line). */
  record Result(String name, Outcome outcome, String reason) {
    Result {
      reason = reason == null ? "" : reason.strip().replaceAll("\\s+", " ");
    }

    String line() {
      return reason.isEmpty() ? name + " " + outcome : name + " " + outcome + " " + reason;
    }

    String family() {
      return name.substring(0, name.indexOf('.'));
    }
  }

  /** CUnit's "tests" row of the Run Summary. */
  record Summary(int total, int ran, int passed, int failed, int inactive) {
    @Override
    public String toString() {
      return "tests Total " + total + " Ran " + ran + " Passed " + passed + " Failed " + failed + " Inactive " + inactive;
    }
  }

  record Run(List<Result> results, Optional<Summary> summary) {
    long count(Outcome o) {
      return results.stream().filter(r -> r.outcome() == o).count();
    }

    /** {@code 215 tests: 200 PASS, 3 FAIL, 12 SKIP (CUnit: tests Total ...)}. */
    String describe() {
      return results.size() + " tests: " + count(Outcome.PASS) + " PASS, " + count(Outcome.FAIL) + " FAIL, "
          + count(Outcome.SKIP) + " SKIP (CUnit: " + summary.map(Summary::toString).orElse("no Run Summary") + ")";
    }
  }

  private static final Pattern SUITE = Pattern.compile("^Suite: (\\S+)\\s*$");
  private static final Pattern TEST = Pattern.compile("^  Test: (.+?) \\.\\.\\.(.*)$");
  private static final Pattern ASSERTION = Pattern.compile("^\\s+\\d+\\. (.*)$");
  private static final Pattern TESTS_ROW =
      Pattern.compile("^\\s+tests\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s*$");

  /** Parses iscsi-test-cu's verbose text output for one family ({@code SCSI}, {@code iSCSI}). */
  static Run parse(String family, String text) {
    List<Result> results = new ArrayList<>();
    Optional<Summary> summary = Optional.empty();
    String suite = "?";
    String test = null; // the test whose outcome line has not come yet
    String skipped = null;
    String failed = null;
    Result lastFailed = null; // numbered assertions after FAILED belong to it
    for (String line : text.split("\n", -1)) {
      Matcher m;
      String content;
      if ((m = SUITE.matcher(line)).matches() || (m = TEST.matcher(line)).matches() || line.startsWith("Run Summary:")) {
        if (test != null) {
          results.add(new Result(family + "." + suite + "." + test, Outcome.FAIL, "no outcome printed (iscsi-test-cu died?)"));
          test = null;
        }
        lastFailed = null;
        if (SUITE.matcher(line).matches()) {
          suite = m.group(1);
          continue;
        }
        if (line.startsWith("Run Summary:")) {
          continue;
        }
        test = m.group(1).strip();
        skipped = null;
        failed = null;
        content = m.group(2);
      } else if ((m = TESTS_ROW.matcher(line)).matches()) {
        summary = Optional.of(new Summary(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
            Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5))));
        continue;
      } else if (lastFailed != null && (m = ASSERTION.matcher(line)).matches()) {
        if (lastFailed.reason().isEmpty()) {
          Result r = new Result(lastFailed.name(), Outcome.FAIL, m.group(1));
          results.set(results.size() - 1, r);
          lastFailed = r;
        }
        continue;
      } else {
        content = line;
      }
      if (test == null) {
        continue;
      }
      String c = content.strip();
      if (c.startsWith("[SKIPPED]") && skipped == null) {
        skipped = c.substring("[SKIPPED]".length());
      } else if (c.startsWith("[FAILED]") && failed == null) {
        failed = c.substring("[FAILED]".length());
      } else if (c.equals("passed") || c.startsWith("passed ")) {
        results.add(skipped != null
            ? new Result(family + "." + suite + "." + test, Outcome.SKIP, skipped)
            : new Result(family + "." + suite + "." + test, Outcome.PASS, ""));
        test = null;
      } else if (c.equals("FAILED") || c.startsWith("FAILED ")) {
        Result r = new Result(family + "." + suite + "." + test, Outcome.FAIL, failed == null ? "" : failed);
        results.add(r);
        lastFailed = r;
        test = null;
      }
    }
    if (test != null) {
      results.add(new Result(family + "." + suite + "." + test, Outcome.FAIL, "no outcome printed (iscsi-test-cu died?)"));
    }
    return new Run(List.copyOf(results), summary);
  }

  /** The expectation file's entries ({@code NAME OUTCOME [reason]}), comments and blank lines skipped. */
  static Map<String, Result> readExpected(List<String> lines) {
    Map<String, Result> out = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i).strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      String[] f = l.split("\\s+", 3);
      if (f.length < 2) {
        throw new IllegalArgumentException("expectation line " + (i + 1) + ": NAME PASS|FAIL|SKIP [reason]: " + l);
      }
      Outcome o = Outcome.valueOf(f[1]);
      if (o != Outcome.PASS && f.length < 3) {
        throw new IllegalArgumentException("expectation line " + (i + 1) + ": a " + o + " needs its reason: " + l);
      }
      if (out.put(f[0], new Result(f[0], o, f.length == 3 ? f[2] : "")) != null) {
        throw new IllegalArgumentException("expectation line " + (i + 1) + ": " + f[0] + " listed twice");
      }
    }
    return out;
  }

  /**
   * How a run differs from what is expected of its family. {@code regressions}: expected PASS but not
   * (or not run at all), and tests new to the file that did not pass; {@code newlyPassing}: expected
   * FAIL or SKIP that passed; {@code otherChanges}: FAIL/SKIP swapped, or a new test that passed.
   */
  record Comparison(List<String> regressions, List<String> newlyPassing, List<String> otherChanges) {}

  static Comparison compare(Map<String, Result> expected, String family, Run run) {
    List<String> regressions = new ArrayList<>();
    List<String> newlyPassing = new ArrayList<>();
    List<String> other = new ArrayList<>();
    Map<String, Result> actual = new LinkedHashMap<>();
    run.results().forEach(r -> actual.put(r.name(), r));
    for (Result e : expected.values()) {
      if (!e.family().equals(family)) {
        continue;
      }
      Result a = actual.get(e.name());
      if (a == null) {
        if (e.outcome() == Outcome.PASS) {
          regressions.add(e.name() + ": expected PASS, not run");
        } else {
          other.add(e.name() + ": expected " + e.outcome() + ", not run");
        }
      } else if (e.outcome() == Outcome.PASS && a.outcome() != Outcome.PASS) {
        regressions.add(e.name() + ": expected PASS, got " + a.outcome() + " " + a.reason());
      } else if (e.outcome() != Outcome.PASS && a.outcome() == Outcome.PASS) {
        newlyPassing.add(e.name() + ": expected " + e.outcome() + " (" + e.reason() + "), now PASS");
      } else if (e.outcome() != a.outcome()) {
        other.add(e.name() + ": expected " + e.outcome() + " (" + e.reason() + "), got " + a.outcome() + " " + a.reason());
      }
    }
    for (Result a : actual.values()) {
      if (!expected.containsKey(a.name())) {
        if (a.outcome() == Outcome.PASS) {
          other.add(a.name() + ": new test, PASS");
        } else {
          regressions.add(a.name() + ": new test, " + a.outcome() + " " + a.reason());
        }
      }
    }
    return new Comparison(regressions, newlyPassing, other);
  }

  /**
   * The expectation file with {@code family}'s entries replaced by {@code run}'s: the header comment
   * and the other families' lines kept in place.
   */
  static List<String> rewrite(List<String> current, String family, Run run) {
    List<String> out = new ArrayList<>();
    boolean written = false;
    for (String l : current) {
      String s = l.strip();
      boolean ours = !s.isEmpty() && !s.startsWith("#") && s.startsWith(family + ".");
      if (!ours) {
        out.add(l);
      } else if (!written) {
        run.results().forEach(r -> out.add(r.line()));
        written = true;
      }
    }
    if (!written) {
      run.results().forEach(r -> out.add(r.line()));
    }
    return out;
  }
}
