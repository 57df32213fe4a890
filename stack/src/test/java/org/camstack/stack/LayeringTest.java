package org.camstack.stack;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The package layering of the stack, checked rather than documented (style.md B1). cf. the split of
 * the CAM API by caller: cam_xpt_sim.h vs cam_xpt_periph.h.
 */
@AnalyzeClasses(packages = "org.camstack", importOptions = ImportOption.DoNotIncludeTests.class)
class LayeringTest {

  /** The CCB model is the bottom layer: it depends on nothing above it. */
  @ArchTest
  static final ArchRule ccbDependsOnNothingAbove =
      noClasses()
          .that()
          .resideInAPackage("..stack.ccb..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "..stack.xpt..", "..stack.sim..", "..stack.periph..", "..stack.devfs..",
              "..stack.scsi..", "..stack.node..", "..stack.cli..");

  /** cf. cam_xpt_sim.h: a SIM never sees peripheral drivers or devfs. */
  @ArchTest
  static final ArchRule simsDoNotSeePeriphs =
      noClasses()
          .that()
          .resideInAPackage("..stack.sim..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "..stack.periph..", "..stack.devfs..", "..stack.scsi.da..", "..stack.scsi.pass..",
              "..stack.scsi.ses..", "..stack.node..", "..stack.cli..");

  /** The SCSI codecs are shared by devices, the probe and drivers: they sit below all of them. */
  @ArchTest
  static final ArchRule scsiCodecsStayCodecs =
      noClasses()
          .that()
          .resideInAPackage("org.camstack.stack.scsi")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "..stack.xpt..", "..stack.sim..", "..stack.periph..", "..stack.devfs..",
              "..stack.node..", "..stack.cli..");

  /** The journal outlives code versions: persistence never sees the stack. */
  @ArchTest
  static final ArchRule persistenceNeverSeesTheStack =
      noClasses()
          .that()
          .resideInAPackage("org.camstack.persistence..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("org.camstack.stack..")
          .allowEmptyShould(true);

  /** No Akka leftovers from copied samples. */
  @ArchTest
  static final ArchRule noAkkaImports =
      noClasses().should().dependOnClassesThat().resideInAPackage("akka..");
}
