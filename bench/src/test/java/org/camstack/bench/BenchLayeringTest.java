package org.camstack.bench;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The layering of the bench packages (the stack's own is checked by the stack's LayeringTest).
 * Bench sits on top of everything: any package of the stack or persistence is fair game, but among
 * the bench packages the shared pieces ({@code harness}, {@code report}) use no other, the
 * workloads use only those, and only the commands in {@code org.camstack.bench} tie them together.
 * Every bench package has a rule; a new one without fails.
 */
@AnalyzeClasses(packages = "org.camstack.bench", importOptions = ImportOption.DoNotIncludeTests.class)
class BenchLayeringTest {

  private static final String B = "org.camstack.bench";
  private static final Map<String, List<String>> ALLOWED = new LinkedHashMap<>();

  static {
    ALLOWED.put(B + ".harness", List.of());
    ALLOWED.put(B + ".report", List.of());
    ALLOWED.put(B + ".io", List.of(B + ".harness", B + ".report"));
    ALLOWED.put(B + ".jmh", List.of(B + ".harness", B + ".report"));
    ALLOWED.put(B + ".jmh.jmh_generated", List.of(B + ".jmh", B + ".harness", B + ".report"));
    ALLOWED.put(B + ".lifecycle", List.of(B + ".harness", B + ".report"));
    ALLOWED.put(B + ".persist", List.of(B + ".harness", B + ".report"));
    ALLOWED.put(B + ".iscsi", List.of(B + ".harness", B + ".report"));
    ALLOWED.put(B, List.of(B + ".harness", B + ".report", B + ".io", B + ".jmh", B + ".lifecycle", B + ".persist", B + ".iscsi"));
  }

  @ArchTest
  static void everyBenchPackageOnlyUsesWhatItIsAllowed(JavaClasses all) {
    List<String> broken = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : ALLOWED.entrySet()) {
      List<String> ok = new ArrayList<>(e.getValue());
      ok.add(e.getKey());
      try {
        classes()
            .that()
            .resideInAPackage(e.getKey())
            .should()
            .onlyDependOnClassesThat(resideOutsideOfPackage(B + "..").or(resideInAnyPackage(ok.toArray(String[]::new))))
            .allowEmptyShould(true)
            .check(all);
      } catch (AssertionError failure) {
        broken.add(failure.getMessage());
      }
    }
    assertEquals(List.of(), broken, () -> String.join("\n\n", broken));
  }

  @ArchTest
  static void everyBenchPackageHasARule(JavaClasses all) {
    Set<String> missing = new TreeSet<>();
    for (JavaClass c : all) {
      if (c.getPackageName().startsWith(B) && !ALLOWED.containsKey(c.getPackageName())) {
        missing.add(c.getPackageName());
      }
    }
    assertEquals(Set.of(), missing, "bench packages without a layering rule");
  }
}
