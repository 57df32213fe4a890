package org.camstack.stack.target.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.camstack.stack.target.iscsi.ConformanceResults.Comparison;
import org.camstack.stack.target.iscsi.ConformanceResults.Outcome;
import org.camstack.stack.target.iscsi.ConformanceResults.Result;
import org.camstack.stack.target.iscsi.ConformanceResults.Run;
import org.camstack.stack.target.iscsi.ConformanceResults.Summary;
import org.junit.jupiter.api.Test;

/** The iscsi-test-cu output parser and the expectation comparison, on text libiscsi 1.19 printed against tgt. */
class ConformanceResultsTest {

  /** Cut from {@code iscsi-test-cu --dataloss --test=SCSI} against tgt 1.0.85 (the shapes that occur). */
  static final String OUTPUT = """



           CUnit - A unit testing framework for C - Version 2.1-3
           http://cunit.sourceforge.net/


      Suite: ExtendedCopy
        Test: ValidSegDescr ...    [SKIPPED] EXTENDEDCOPY is not implemented.
          [SKIPPED] EXTENDEDCOPY is not implemented.
      passed
      Suite: GetLBAStatus
        Test: Simple ...passed
        Test: BeyondEol ...    [FAILED] GET_LBA_STATUS successful but should have failed with ILLEGAL_REQUEST(0x05)/LBA_OUT_OF_RANGE(0x2100)
      FAILED
          1. test_get_lba_status_beyond_eol.c:38  - CU_ASSERT_EQUAL(_r,0)
        Test: UnmapSingle ...    [SKIPPED] Logical unit is fully provisioned. Skipping test
      passed
      Suite: Reserve6
        Test: 2Initiators ...    Take out a RESERVE6 from the first initiator
          Verify that the first initiator can re-RESERVE6 the same reservation
          [FAILED] MODESENSE6 successful but should have failed with NO SENSE(0x00)/NO ASCQ(0x0000)
          RELEASE6 from the second initiator
      FAILED
          1. test_reserve6_2initiators.c:70  - CU_ASSERT_EQUAL(_r,0)
        Test: Logout ...    Take out a RESERVE6 from the first initiator
          RELEASE6 from the second initiator
      passed
      Suite: iSCSITMF
        Test: LUNReset ...passed    [FAILED] PRIN command: failed with sense. SENSE KEY:UNIT_ATTENTION(6) ASCQ:BUS_RESET(0x2900)
      Suite: iSCSIdatasn
        Test: iSCSIDataSnInvalid ...FAILED
          1. test_iscsi_datasn_invalid.c:98  - CU_ASSERT_NOT_EQUAL(ret,0)
          2. test_iscsi_datasn_invalid.c:116  - CU_ASSERT_NOT_EQUAL(ret,0)

      Run Summary:    Type  Total    Ran Passed Failed Inactive
                    suites      4      4    n/a      0        0
                     tests      8      8      6      2        0
                   asserts    337    337    333      4      n/a

      Elapsed time =    0.008 seconds
      Tests completed with return value: 0
      """.stripIndent();

  @Test
  void everyShapeOfOutcome() {
    Run run = ConformanceResults.parse("SCSI", OUTPUT);
    assertEquals(List.of(
        new Result("SCSI.ExtendedCopy.ValidSegDescr", Outcome.SKIP, "EXTENDEDCOPY is not implemented."),
        new Result("SCSI.GetLBAStatus.Simple", Outcome.PASS, ""),
        new Result("SCSI.GetLBAStatus.BeyondEol", Outcome.FAIL,
            "GET_LBA_STATUS successful but should have failed with ILLEGAL_REQUEST(0x05)/LBA_OUT_OF_RANGE(0x2100)"),
        new Result("SCSI.GetLBAStatus.UnmapSingle", Outcome.SKIP, "Logical unit is fully provisioned. Skipping test"),
        new Result("SCSI.Reserve6.2Initiators", Outcome.FAIL,
            "MODESENSE6 successful but should have failed with NO SENSE(0x00)/NO ASCQ(0x0000)"),
        new Result("SCSI.Reserve6.Logout", Outcome.PASS, ""),
        new Result("SCSI.iSCSITMF.LUNReset", Outcome.PASS, ""),
        new Result("SCSI.iSCSIdatasn.iSCSIDataSnInvalid", Outcome.FAIL, "test_iscsi_datasn_invalid.c:98 - CU_ASSERT_NOT_EQUAL(ret,0)")),
        run.results());
    assertEquals(Optional.of(new Summary(8, 8, 6, 2, 0)), run.summary());
  }

  @Test
  void aTestWithoutOutcomeIsAFailure() {
    Run run = ConformanceResults.parse("SCSI", "Suite: Read10\n  Test: Simple ...passed\n  Test: BeyondEol ...    some log\n");
    assertEquals(List.of(new Result("SCSI.Read10.Simple", Outcome.PASS, ""),
        new Result("SCSI.Read10.BeyondEol", Outcome.FAIL, "no outcome printed (iscsi-test-cu died?)")), run.results());
    assertEquals(Optional.empty(), run.summary());
  }

  static final List<String> EXPECTED = List.of(
      "# header",
      "SCSI.Read10.Simple PASS",
      "SCSI.Read10.BeyondEol PASS",
      "SCSI.Read10.Gone PASS",
      "SCSI.CompareAndWrite.Simple SKIP COMPAREANDWRITE is not implemented.",
      "SCSI.Unmap.Simple FAIL some reason",
      "iSCSI.iSCSITMF.AbortTaskSimpleAsync PASS");

  @Test
  void regressionsNewPassesAndOtherChanges() {
    Run run = new Run(List.of(
        new Result("SCSI.Read10.Simple", Outcome.PASS, ""),
        new Result("SCSI.Read10.BeyondEol", Outcome.FAIL, "wrong sense"),
        new Result("SCSI.CompareAndWrite.Simple", Outcome.PASS, ""),
        new Result("SCSI.Unmap.Simple", Outcome.SKIP, "fully provisioned"),
        new Result("SCSI.New.Passing", Outcome.PASS, ""),
        new Result("SCSI.New.Failing", Outcome.FAIL, "x")), Optional.empty());
    Comparison c = ConformanceResults.compare(ConformanceResults.readExpected(EXPECTED), "SCSI", run);
    assertEquals(List.of("SCSI.Read10.BeyondEol: expected PASS, got FAIL wrong sense", "SCSI.Read10.Gone: expected PASS, not run",
        "SCSI.New.Failing: new test, FAIL x"), c.regressions());
    assertEquals(List.of("SCSI.CompareAndWrite.Simple: expected SKIP (COMPAREANDWRITE is not implemented.), now PASS"), c.newlyPassing());
    assertEquals(List.of("SCSI.Unmap.Simple: expected FAIL (some reason), got SKIP fully provisioned", "SCSI.New.Passing: new test, PASS"),
        c.otherChanges());
  }

  @Test
  void rewriteReplacesOneFamilyAndKeepsTheRest() {
    Run run = new Run(List.of(new Result("SCSI.A.B", Outcome.PASS, ""), new Result("SCSI.A.C", Outcome.SKIP, "why")), Optional.empty());
    assertEquals(List.of("# header", "SCSI.A.B PASS", "SCSI.A.C SKIP why", "iSCSI.iSCSITMF.AbortTaskSimpleAsync PASS"),
        ConformanceResults.rewrite(EXPECTED, "SCSI", run));
    assertEquals(List.of("# h", "iSCSI.x.y PASS", "SCSI.A.B PASS", "SCSI.A.C SKIP why"),
        ConformanceResults.rewrite(List.of("# h", "iSCSI.x.y PASS"), "SCSI", run));
  }

  @Test
  void badExpectationLines() {
    assertThrows(IllegalArgumentException.class, () -> ConformanceResults.readExpected(List.of("SCSI.A.B SKIP")));
    assertThrows(IllegalArgumentException.class, () -> ConformanceResults.readExpected(List.of("SCSI.A.B MAYBE x")));
    assertThrows(IllegalArgumentException.class, () -> ConformanceResults.readExpected(List.of("SCSI.A.B")));
    assertThrows(IllegalArgumentException.class, () -> ConformanceResults.readExpected(List.of("SCSI.A.B PASS", "SCSI.A.B PASS")));
    assertEquals(Map.of("SCSI.A.B", new Result("SCSI.A.B", Outcome.FAIL, "a  b")),
        ConformanceResults.readExpected(List.of("  SCSI.A.B   FAIL   a  b  ")));
  }

  /** The committed expectations are well formed: both families, every non-PASS with its reason. */
  @Test
  void theCommittedExpectationFilesAreWellFormed() throws Exception {
    for (String name : List.of("iscsi-test-cu.expected", "iscsi-test-cu.tgt.expected")) {
      java.io.InputStream in = getClass().getResourceAsStream("/iscsi/" + name);
      assertNotNull(in, name);
      Map<String, Result> e;
      try (in) {
        e = ConformanceResults.readExpected(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines().toList());
      }
      assertTrue(e.keySet().stream().anyMatch(n -> n.startsWith("SCSI.")) && e.keySet().stream().anyMatch(n -> n.startsWith("iSCSI.")),
          name + ": both families expected");
      assertTrue(e.values().stream().filter(r -> r.outcome() != Outcome.PASS).allMatch(r -> !r.reason().isEmpty()), name);
    }
  }
}
