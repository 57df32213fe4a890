package org.camstack.persistence.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The one lifetime checker, rule by rule: for every {@link ViolationKind} it can find or collect, a
 * hand-made event sequence that breaks exactly that rule (and, where a sequence cannot avoid it,
 * the named others), plus valid sequences that must pass. Each event comes from the party that
 * emits it in the stack: the driver (registered, unit freed), the periph (invalidated, refs,
 * CCB issued, destructor), devfs (nodes) and the device queue (CCB completed); on the target side
 * the target (LUN added, removed), the LUN (task started, freed) and the frontend (task completed).
 */
class LifetimeCheckerTest {

  /** When the row is judged: after the events only, or at one of the checker's checkpoints. */
  enum At {
    EVENTS,
    QUIESCENT,
    TORN_DOWN,
    END_OF_TRAIL
  }

  private static final Pattern INCARNATION = Pattern.compile("([a-z]+)(\\d+)#(\\d+)");

  // --- events, by emitter; an incarnation is written "pass3#1"

  private static LifetimeEvent.PeriphRegistered reg(String inc) { // driver
    Matcher m = parse(inc);
    return new LifetimeEvent.PeriphRegistered(m.group(1), unit(m), gen(m), "naa.1", 0, "scbus0:3:0");
  }

  private static LifetimeEvent.UnitFreed freed(String inc) { // driver
    Matcher m = parse(inc);
    return new LifetimeEvent.UnitFreed(m.group(1), unit(m), gen(m), "naa.1", 0);
  }

  private static LifetimeEvent.PeriphInvalidated inval(String inc) { // periph
    Matcher m = parse(inc);
    return new LifetimeEvent.PeriphInvalidated(m.group(1), unit(m), gen(m), "naa.1", 0, "AC_LOST_DEVICE");
  }

  private static LifetimeEvent.DestructorRun dtor(String inc) { // periph
    Matcher m = parse(inc);
    return new LifetimeEvent.DestructorRun(m.group(1), unit(m), gen(m), "naa.1", 0);
  }

  private static LifetimeEvent.RefAcquired acq(String inc, String token, boolean external) { // periph
    Matcher m = parse(inc);
    return new LifetimeEvent.RefAcquired(m.group(1), unit(m), gen(m), "naa.1", 0, token, external, 1);
  }

  private static LifetimeEvent.RefReleased rel(String inc, String token) { // periph
    Matcher m = parse(inc);
    return new LifetimeEvent.RefReleased(m.group(1), unit(m), gen(m), "naa.1", 0, token, 0);
  }

  private static LifetimeEvent.AcquireRefused refused(String inc) { // periph
    Matcher m = parse(inc);
    return new LifetimeEvent.AcquireRefused(m.group(1), unit(m), gen(m), "naa.1", 0, "OPEN");
  }

  private static LifetimeEvent.CcbIssued issue(String inc, long ccbId) { // periph
    Matcher m = parse(inc);
    return new LifetimeEvent.CcbIssued(m.group(1), unit(m), gen(m), "naa.1", 0, "/periph/" + inc, ccbId);
  }

  private static LifetimeEvent.CcbCompleted done(String inc, long ccbId) { // device queue
    return new LifetimeEvent.CcbCompleted("", -1, 0, "", 0, "/periph/" + inc, ccbId, "REQ_CMP", "scbus0:3:0");
  }

  private static LifetimeEvent.DevfsNodeCreated node(String inc, String name) { // devfs
    Matcher m = parse(inc);
    return new LifetimeEvent.DevfsNodeCreated(m.group(1), unit(m), gen(m), "naa.1", 0, name);
  }

  private static LifetimeEvent.AliasAdded alias(String inc, String alias, String name) { // devfs
    Matcher m = parse(inc);
    return new LifetimeEvent.AliasAdded(m.group(1), unit(m), gen(m), "naa.1", 0, alias, name);
  }

  private static LifetimeEvent.NodeDestroyRequested destroy(String inc, String name) { // devfs
    Matcher m = parse(inc);
    return new LifetimeEvent.NodeDestroyRequested(m.group(1), unit(m), gen(m), "naa.1", 0, name);
  }

  private static LifetimeEvent.NodeGone gone(String inc, String name) { // devfs
    Matcher m = parse(inc);
    return new LifetimeEvent.NodeGone(m.group(1), unit(m), gen(m), "naa.1", 0, name);
  }

  private static LifetimeEvent.ProtocolViolation reported(ViolationKind kind) { // any component
    return new LifetimeEvent.ProtocolViolation("ses", 1, 3, "", 0, kind, "seen by devfs", List.of("ses1"));
  }

  // --- target side (cf. sys/cam/ctl): LUN 0 of target b0:t1, incarnation inc

  private static LifetimeEvent lunAdd(long inc) { // the target
    return LifetimeEvent.LunAdded.of("b0:t1", 0, inc);
  }

  private static LifetimeEvent lunRm(long inc, int inFlight) { // the target
    return LifetimeEvent.LunRemoved.of("b0:t1", 0, inc, inFlight);
  }

  private static LifetimeEvent lunFree(long inc) { // the LUN
    return LifetimeEvent.LunFreed.of("b0:t1", 0, inc);
  }

  private static LifetimeEvent task(long inc, long task) { // the LUN admits it for a frontend
    return LifetimeEvent.LunTaskStarted.of("b0:t1", 0, inc, task);
  }

  private static LifetimeEvent taskDone(long inc, long task) { // the frontend
    return LifetimeEvent.LunTaskCompleted.of("b0:t1", 0, inc, task);
  }

  private static final LifetimeEvent BOOT = new LifetimeEvent.StackStarted("", -1, 0, "", 0, "boot-2");

  /** A whole, well-behaved life of {@code inc} with node {@code name}, in the fixed order. */
  private static List<LifetimeEvent> life(String inc, String name) {
    return List.of(
        reg(inc), node(inc, name), alias(inc, "physpath/" + name, name), acq(inc, "OPEN", true),
        issue(inc, 1), done(inc, 1), rel(inc, "OPEN"), inval(inc), refused(inc), destroy(inc, name),
        gone(inc, "physpath/" + name), gone(inc, name), dtor(inc), freed(inc));
  }

  @SafeVarargs
  private static List<LifetimeEvent> seq(List<LifetimeEvent>... parts) {
    List<LifetimeEvent> out = new ArrayList<>();
    for (List<LifetimeEvent> p : parts) {
      out.addAll(p);
    }
    return out;
  }

  private static List<LifetimeEvent> seq(LifetimeEvent... events) {
    return List.of(events);
  }

  private static Arguments row(String what, List<LifetimeEvent> events, At at, String expected) {
    return Arguments.of(what, events, at, expected);
  }

  /** events → the kinds found, sorted ("" = valid). */
  static Stream<Arguments> table() {
    String p1 = "pass3#1";
    String p2 = "pass3#2";
    return Stream.of(
        // --- valid histories
        row("one whole life", life(p1, "pass3"), At.TORN_DOWN, ""),
        row("unit reused after the old life finished", seq(life(p1, "pass3"), life(p2, "pass3")), At.TORN_DOWN, ""),
        row("NodeGone of a node takes its aliases; their own NodeGone may follow",
            seq(seq(reg(p1), node(p1, "pass3"), alias(p1, "a/pass3", "pass3"), inval(p1)),
                seq(gone(p1, "pass3"), gone(p1, "a/pass3"), dtor(p1), freed(p1))), At.TORN_DOWN, ""),
        row("internal acquire after invalidation", seq(reg(p1), inval(p1), acq(p1, "DEVFS", false)), At.EVENTS, ""),
        row("a reboot forgets the previous boot", seq(reg(p1), node(p1, "pass3"), BOOT, reg(p1), node(p1, "pass3")), At.EVENTS, ""),
        row("completion of a CCB no checked periph issued (a probe)", seq(done("probe0#1", 4)), At.QUIESCENT, ""),
        row("late events of a finished incarnation are ignored", seq(life(p1, "pass3"), seq(refused(p1))), At.QUIESCENT, ""),
        row("a devfs node without a periph owner", seq(new LifetimeEvent.DevfsNodeCreated("", -1, 0, "", 0, "xpt0")), At.EVENTS, ""),
        row("invalidated, still tearing down: fine until the end of the trail",
            seq(reg(p1), node(p1, "pass3"), inval(p1), destroy(p1, "pass3")), At.EVENTS, ""),

        // --- the driver's registrations
        row("unit reused while the old node exists (bug A's cause)",
            seq(reg(p1), node(p1, "pass3"), inval(p1), reg(p2)), At.EVENTS, "UNIT_REUSED"),
        row("unit reused before the old destructor ran",
            seq(reg(p1), inval(p1), reg(p2)), At.EVENTS, "UNIT_REUSED"),
        row("unit registered while its holder is valid", seq(reg(p1), reg(p2)), At.EVENTS, "UNIT_HELD_TWICE"),
        row("one incarnation registered twice", seq(reg(p1), reg(p1)), At.EVENTS, "UNIT_HELD_TWICE"),

        // --- the driver's release vs the periph's destructor vs devfs
        row("driver releases the unit before the destructor ran",
            seq(reg(p1), inval(p1), freed(p1)), At.EVENTS, "UNIT_FREED_EARLY"),
        row("driver releases the unit while devfs still has a node",
            seq(reg(p1), inval(p1), dtor(p1), node(p1, "pass3"), freed(p1)), At.EVENTS, "UNIT_FREED_EARLY"),
        row("driver releases the unit of a periph never invalidated",
            seq(reg(p1), dtor(p1), freed(p1)), At.EVENTS, "FREED_WHILE_VALID"),
        row("destructor runs while devfs still has the node",
            seq(reg(p1), node(p1, "pass3"), inval(p1), dtor(p1), gone(p1, "pass3"), freed(p1)), At.EVENTS, "DESTRUCTOR_EARLY"),

        // --- references
        row("external acquire granted after invalidation (I1)",
            seq(reg(p1), inval(p1), acq(p1, "OPEN", true)), At.EVENTS, "ACQUIRE_AFTER_INVALID"),
        row("release of a reference not held (I5)", seq(reg(p1), rel(p1, "OPEN")), At.EVENTS, "REF_UNDERFLOW"),
        row("invalid, destructor never ran at quiescence",
            seq(reg(p1), acq(p1, "OPEN", true), inval(p1)), At.QUIESCENT, "REF_LEAK"),

        // --- devfs
        row("alias added after the destructor ran (bug C)",
            seq(reg(p1), inval(p1), dtor(p1), alias(p1, "a/pass3", "pass3")), At.EVENTS, "ALIAS_ON_INVALID"),
        row("a name created while another incarnation holds it",
            seq(reg(p1), node(p1, "pass3"), reg("da0#1"), node("da0#1", "pass3")), At.EVENTS, "DUPLICATE_NAME"),
        row("a node reported gone that the periph does not hold", seq(reg(p1), gone(p1, "pass3")), At.EVENTS, "UNKNOWN_NODE"),
        row("an event for an incarnation never registered", seq(node(p1, "pass3")), At.EVENTS, "UNKNOWN_PERIPH"),

        // --- CCBs: issued by the periph, completed by the device queue (I6)
        row("a CCB completed twice", seq(reg(p1), issue(p1, 1), done(p1, 1), done(p1, 1)), At.EVENTS, "CCB_COMPLETED_TWICE"),
        row("a completion for a CCB never issued", seq(reg(p1), issue(p1, 1), done(p1, 2)), At.EVENTS, "CCB_COMPLETED_TWICE"),
        row("a CCB never completed by quiescence", seq(reg(p1), issue(p1, 1)), At.QUIESCENT, "CCB_LOST"),

        // --- checkpoints
        row("anything left after the final teardown", seq(reg(p1)), At.TORN_DOWN, "LEFT_BEHIND"),
        row("invalidated but never finished by the end of the trail",
            seq(reg(p1), node(p1, "pass3"), inval(p1)), At.END_OF_TRAIL, "INVALIDATION_INCOMPLETE"),

        // --- target side (cf. ctl_free_lun()): valid histories
        row("a lun pulled with two tasks in flight, freed after the last, its number reused after",
            seq(lunAdd(1), task(1, 1), task(1, 2), lunRm(1, 2), taskDone(1, 2), taskDone(1, 1), lunFree(1), lunAdd(2),
                task(2, 1), taskDone(2, 1)), At.QUIESCENT, ""),
        row("a lun pulled idle is freed at once", seq(lunAdd(1), lunRm(1, 0), lunFree(1), lunAdd(2)), At.QUIESCENT, ""),
        row("a target published again reports its luns again", seq(lunAdd(1), lunAdd(1)), At.EVENTS, ""),
        row("another lun number of the same target is independent",
            seq(lunAdd(1), task(1, 1), lunRm(1, 1), LifetimeEvent.LunAdded.of("b0:t1", 5, 2), taskDone(1, 1), lunFree(1)),
            At.QUIESCENT, ""),

        // --- target side: each task completes once; freed only after the last; number not reused
        row("a lun task completed twice", seq(lunAdd(1), task(1, 1), taskDone(1, 1), taskDone(1, 1)), At.EVENTS,
            "LUN_TASK_COMPLETED_TWICE"),
        row("a lun task completed that never started", seq(lunAdd(1), taskDone(1, 3)), At.EVENTS, "LUN_TASK_COMPLETED_TWICE"),
        row("a lun task completed after its lun was freed",
            seq(lunAdd(1), lunRm(1, 0), lunFree(1), taskDone(1, 1)), At.EVENTS, "LUN_TASK_COMPLETED_TWICE"),
        row("a lun freed while a task is in flight",
            seq(lunAdd(1), task(1, 1), lunRm(1, 1), lunFree(1), taskDone(1, 1)), At.EVENTS,
            "LUN_FREED_EARLY LUN_TASK_COMPLETED_TWICE"),
        row("a lun freed that was never removed", seq(lunAdd(1), lunFree(1)), At.EVENTS, "LUN_FREED_EARLY"),
        row("a lun number reused while the removed lun still has a task",
            seq(lunAdd(1), task(1, 1), lunRm(1, 1), lunAdd(2)), At.EVENTS, "LUN_REUSED"),
        row("a lun number added twice on a target", seq(lunAdd(1), lunAdd(2)), At.EVENTS, "LUN_REUSED"),
        row("a lun task never completed by quiescence", seq(lunAdd(1), task(1, 1)), At.QUIESCENT, "LUN_TASK_LOST"),

        // --- reported by the component that saw it: collected as is
        row("devfs reports a destroy_dev deadlock (bug B)", seq(reported(ViolationKind.DESTROY_DEADLOCK)), At.EVENTS, "DESTROY_DEADLOCK"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void eachRuleCatchesTheSequenceThatBreaksIt(String what, List<LifetimeEvent> events, At at, String expected) {
    LifetimeChecker checker = new LifetimeChecker();
    events.forEach(checker::onEvent);
    List<LifetimeChecker.Finding> found = new ArrayList<>(checker.findings());
    switch (at) {
      case QUIESCENT -> checker.checkQuiescent();
      case TORN_DOWN -> {
        checker.checkQuiescent();
        checker.checkTornDown();
      }
      case END_OF_TRAIL -> found.addAll(checker.endOfTrail());
      default -> {}
    }
    if (at != At.END_OF_TRAIL) {
      found = checker.findings();
    }
    String kinds = found.stream().map(f -> f.kind().name()).sorted().collect(Collectors.joining(" "));
    assertEquals(expected, kinds, what + ": " + found);
  }

  /** Every kind the checker derives or collects has a row that breaks it. */
  @Test
  void everyKindHasABreakingRow() {
    Set<ViolationKind> covered = EnumSet.noneOf(ViolationKind.class);
    table().forEach(a -> {
      String expected = (String) a.get()[3];
      if (!expected.isEmpty()) {
        Arrays.stream(expected.split(" ")).map(ViolationKind::valueOf).forEach(covered::add);
      }
    });
    Set<ViolationKind> notDerived = EnumSet.of(
        ViolationKind.CALL_IN_FLIGHT_AT_FREE, ViolationKind.PERIPH_CRASHED,
        ViolationKind.CLIENT_REPLY, ViolationKind.UNDECODABLE, ViolationKind.OTHER, ViolationKind.DESTROY_DEADLOCK);
    for (ViolationKind k : ViolationKind.values()) {
      assertTrue(covered.contains(k) || notDerived.contains(k), "no row breaks " + k);
    }
  }

  @Test
  void findingsNameThePositionsOfTheEventsInvolved() {
    LifetimeChecker checker = new LifetimeChecker();
    seq(reg("pass3#1"), node("pass3#1", "pass3"), inval("pass3#1"), reg("pass3#2")).forEach(checker::onEvent);
    LifetimeChecker.Finding f = checker.findings().get(0);
    assertEquals(ViolationKind.UNIT_REUSED, f.kind());
    assertEquals(List.of(3L, 4L), f.positions()); // the old one's invalidation, the new registration
    assertEquals("pass3", f.violation().periphName());
  }

  @Test
  void replayingAtJournalSequenceNumbersKeepsThem() {
    LifetimeChecker checker = new LifetimeChecker(false);
    checker.check(10, reg("pass3#1"));
    checker.check(12, reg("pass3#2"));
    assertEquals(List.of(10L, 12L), checker.findings().get(0).positions());
  }

  /**
   * Emitters on many threads never wait for the checker (a lock-free append) and no event is
   * lost: every thread's lives, interleaved, check clean and are all counted.
   */
  @Test
  void concurrentEmittersLoseNothing() throws Exception {
    LifetimeChecker checker = new LifetimeChecker(false);
    int threads = 4;
    int lives = 2_000;
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int unit = t;
      Thread th = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int g = 1; g <= lives; g++) {
          life("da" + unit + "#" + g, "da" + unit).forEach(checker::onEvent);
        }
      });
      th.start();
      ts.add(th);
    }
    start.countDown();
    for (Thread th : ts) {
      th.join();
    }
    checker.checkQuiescent();
    checker.checkTornDown();
    assertEquals(List.of(), checker.violations());
    assertEquals((long) threads * lives * life("da0#1", "da0").size(), checker.eventCount());
    assertEquals(List.of(), checker.liveIncarnations());
  }

  private static Matcher parse(String inc) {
    Matcher m = INCARNATION.matcher(inc);
    if (!m.matches()) {
      throw new IllegalArgumentException(inc);
    }
    return m;
  }

  private static int unit(Matcher m) {
    return Integer.parseInt(m.group(2));
  }

  private static long gen(Matcher m) {
    return Long.parseLong(m.group(3));
  }
}
