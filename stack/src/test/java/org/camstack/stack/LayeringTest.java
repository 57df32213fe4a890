package org.camstack.stack;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The package layering of persistence and the stack, checked rather than documented. Every package
 * has a rule: the camstack packages it may depend on ({@link #ALLOWED}); a package without an
 * entry fails {@link #everyPackageHasARule}. Third-party packages are not constrained here. cf. the
 * split of the CAM API by caller: cam_xpt_sim.h vs cam_xpt_periph.h.
 *
 * <p>Bottom to top: the journal ({@code persistence..}, which never sees the stack); {@code ccb}
 * (CAM's vocabulary: CCBs, paths, status, errno); {@code lifetime} and the SCSI codecs ({@code
 * scsi}); {@code devfs}; the target layer ({@code target}: LUNs
 * and their frontends), the SIMs ({@code sim}) and the transport ({@code xpt}); the periph framework and drivers ({@code periph}, {@code scsi.da|pass|ses});
 * the boot ({@code org.camstack.stack}); durability ({@code durable}); the programs ({@code chaos},
 * {@code node}, {@code cli}).
 */
@AnalyzeClasses(packages = "org.camstack", importOptions = ImportOption.DoNotIncludeTests.class)
class LayeringTest {

  private static final String P = "org.camstack.persistence";
  private static final String S = "org.camstack.stack";

  /** Per package, the other camstack packages its classes may use. */
  static final Map<String, List<String>> ALLOWED = new LinkedHashMap<>();

  private static void allow(String pkg, String... others) {
    ALLOWED.put(pkg, List.of(others));
  }

  static {
    // persistence: the journal outlives code versions, so it never sees the stack
    allow(P + ".serialization");
    allow(P, P + ".serialization");
    allow(P + ".journal", P, P + ".serialization");
    allow(P + ".device", P, P + ".serialization");
    allow(P + ".audit", P, P + ".serialization");
    allow(P + ".wiring", P, P + ".serialization");
    allow(P + ".inventory", P, P + ".serialization", P + ".device");
    allow(P + ".initiator", P, P + ".serialization");
    allow(P + ".library", P, P + ".serialization");
    // the command-line conventions shared by every program (picocli helpers, tables, version)
    allow(P + ".cli");
    allow(P + ".inspect", P, P + ".serialization", P + ".journal", P + ".audit", P + ".device",
        P + ".wiring", P + ".inventory", P + ".cli");

    // the stack, bottom up
    allow(S + ".ccb");
    // the one lifetime model and checker live in persistence's audit package (journal verify
    // replays the same events); the stack's lifetime package only builds them
    allow(S + ".lifetime", S + ".ccb", P + ".audit");
    allow(S + ".scsi", S + ".ccb");
    // SMP frames (smp_all.c): a codec next to the SCSI one, used by the expander and the host side
    allow(S + ".scsi.smp", S + ".scsi");
    // owner-only secret files (API token, CHAP secrets): one reader, no dependencies
    allow(S + ".secret");
    // the iSCSI PDU codec and text negotiation: a pure library, shared by the target and initiator
    allow(S + ".iscsi", S + ".secret");
    allow(S + ".devfs", S + ".ccb", S + ".lifetime", P + ".audit");
    // cf. sys/cam/ctl: the target layer's LUNs answer CDBs for any frontend and keep their fault
    // rules in the journal's form; they never see the initiator side (xpt, periphs, devfs, SIMs)
    allow(S + ".target", S + ".scsi", S + ".scsi.smp", P + ".device");
    // cf. ctl_frontend_iscsi.c: the iSCSI frontend is a port of the target layer
    allow(S + ".target.iscsi", S + ".target", S + ".scsi", S + ".iscsi", P + ".device");
    // cf. cam_xpt_sim.h: a SIM sees the XPT's SIM interface, never periphs or devfs; the emulated
    // SIM is the target layer's in-process frontend (cf. ctl_frontend_cam_sim.c)
    allow(S + ".sim", S + ".ccb", S + ".scsi", S + ".target", S + ".xpt", P + ".device");
    allow(S + ".xpt", S + ".ccb", S + ".lifetime", S + ".scsi", S + ".sim", P + ".audit");
    // cf. iscsi(4): the iSCSI initiator is a SIM (the XPT's SIM interface) over the shared iSCSI codec
    allow(S + ".sim.iscsi", S + ".ccb", S + ".scsi", S + ".sim", S + ".xpt", S + ".iscsi", S + ".secret");
    // the lane dispatcher (issue 15): an executor and its registry of which actor runs on which
    // lane; no camstack dependency, so any layer may put its actors on a lane
    allow(S + ".dispatch");
    // cf. cam_xpt_periph.h: periphs see the XPT, devfs and the codecs, never a SIM
    allow(S + ".periph", S + ".ccb", S + ".lifetime", S + ".scsi", S + ".devfs", S + ".xpt", P + ".audit");
    for (String driver : List.of(".scsi.da", ".scsi.pass", ".scsi.ses", ".scsi.sa", ".scsi.ch", ".scsi.cd", ".scsi.pt", ".scsi.sg")) {
      allow(S + driver, S + ".ccb", S + ".lifetime", S + ".scsi", S + ".devfs", S + ".xpt", S + ".periph", S + ".dispatch",
          P + ".audit");
    }
    // the boot: every layer below the programs
    allow(S, S + ".ccb", S + ".lifetime", S + ".scsi", S + ".devfs", S + ".sim", S + ".target",
        S + ".xpt", S + ".periph", S + ".scsi.da", S + ".scsi.pass", S + ".scsi.ses", S + ".scsi.sa", S + ".scsi.ch", S + ".scsi.cd", S + ".scsi.pt", S + ".scsi.sg", P + ".audit");
    allow(S + ".durable", S + ".ccb", S + ".scsi", S + ".sim", S + ".target", P, P + ".device",
        P + ".inventory", P + ".library");
    // the clustered node (docs/cluster.md): sharded LUN entities over the target layer's devices, their
    // device state in the device journal (persistence.device through durable's bridge and codec)
    allow(S + ".cluster", S + ".scsi", S + ".sim", S + ".target", S + ".durable", P + ".serialization", P + ".journal", P + ".device");
    // the deterministic scheduler: an executor and a clock for any actor system, knows no layer
    allow(S + ".detsim");
    // the programs
    allow(S + ".chaos", S, S + ".ccb", S + ".lifetime", S + ".scsi", S + ".devfs", S + ".sim",
        S + ".target", S + ".xpt", S + ".periph", S + ".scsi.da", S + ".scsi.pass", S + ".scsi.ses", S + ".scsi.sa", S + ".scsi.ch", S + ".scsi.cd", S + ".scsi.pt", S + ".scsi.sg",
        S + ".detsim", P + ".audit", S + ".sim.iscsi", S + ".target.iscsi"); // chaos --iscsi: the portal, the initiator SIM, the proxy
    allow(S + ".node", S, S + ".ccb", S + ".lifetime", S + ".scsi", S + ".devfs", S + ".sim",
        S + ".target", S + ".xpt", S + ".periph", S + ".scsi.da", S + ".scsi.pass", S + ".scsi.ses", S + ".scsi.sa", S + ".scsi.ch", S + ".scsi.cd", S + ".scsi.pt", S + ".scsi.sg",
        S + ".durable", S + ".iscsi", S + ".target.iscsi", S + ".secret", P, P + ".device", P + ".audit", P + ".journal",
        P + ".wiring", P + ".inventory", S + ".sim.iscsi", P + ".initiator", S + ".node.web", S + ".cluster", S + ".scsi.smp");
    // the node's web page: its feed (lifetime steps, XPT async events, I/O samples) and routes
    allow(S + ".node.web", S + ".node", S + ".ccb", S + ".xpt", P + ".audit", P + ".journal", P + ".inspect");
    // the mains size the JDK's common pool first (dispatch.CommonPool)
    allow(S + ".cli", S, S + ".dispatch", S + ".ccb", S + ".lifetime", S + ".scsi", S + ".devfs", S + ".sim",
        S + ".target", S + ".xpt", S + ".periph", S + ".scsi.da", S + ".scsi.pass", S + ".scsi.ses", S + ".scsi.sa", S + ".scsi.ch", S + ".scsi.cd", S + ".scsi.pt", S + ".scsi.sg",
        S + ".durable", S + ".chaos", S + ".node", S + ".iscsi", S + ".target.iscsi", S + ".secret", P, P + ".device", P + ".audit", P + ".journal",
        P + ".wiring", P + ".inventory", P + ".inspect", P + ".cli", S + ".sim.iscsi");
  }

  /** One rule per package: only its own package, the allowed ones and non-camstack classes. */
  @ArchTest
  static void everyPackageOnlyUsesWhatItIsAllowed(JavaClasses all) {
    List<String> broken = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : ALLOWED.entrySet()) {
      List<String> ok = new ArrayList<>(e.getValue());
      ok.add(e.getKey());
      ArchRule rule =
          classes()
              .that()
              .resideInAPackage(e.getKey())
              .should()
              .onlyDependOnClassesThat(
                  resideOutsideOfPackage("org.camstack..").or(resideInAnyPackage(ok.toArray(String[]::new))))
              .allowEmptyShould(true);
      try {
        rule.check(all);
      } catch (AssertionError failure) {
        broken.add(failure.getMessage());
      }
    }
    assertEquals(List.of(), broken, () -> String.join("\n\n", broken));
  }

  /** A new package needs its line in {@link #ALLOWED} (and a thought about where it sits). */
  @ArchTest
  static void everyPackageHasARule(JavaClasses all) {
    Set<String> missing = new TreeSet<>();
    for (JavaClass c : all) {
      if (c.getPackageName().startsWith("org.camstack") && !ALLOWED.containsKey(c.getPackageName())) {
        missing.add(c.getPackageName());
      }
    }
    assertEquals(Set.of(), missing, "packages without a layering rule in LayeringTest.ALLOWED");
  }

  /** No Akka leftovers from copied samples. */
  @ArchTest
  static final ArchRule noAkkaImports =
      noClasses().should().dependOnClassesThat().resideInAPackage("akka..");
}
