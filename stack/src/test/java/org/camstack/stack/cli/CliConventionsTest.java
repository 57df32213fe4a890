package org.camstack.stack.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.camstack.persistence.cli.CamstackVersion;
import org.camstack.persistence.cli.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The conventions of {@code ./camstack}, checked on the whole command tree: every verb and
 * sub-verb answers {@code --help} with its usage and exit 0, {@code -V} prints the build's
 * version, bad usage is one line on stderr and exit 2, {@code help} lists every verb and the
 * completion script covers them.
 */
class CliConventionsTest {

  private static CliRun camstack(String... args) {
    return CliRun.capture(Main::run, args);
  }

  /** Every command path of the tree ({@code ctl lun add}, {@code journal verify}, ...). */
  static Stream<String> everyCommand() {
    List<String> paths = new ArrayList<>();
    collect(Main.commandLine(System.out, System.err), "", paths);
    return paths.stream();
  }

  private static void collect(CommandLine cl, String prefix, List<String> acc) {
    for (var e : cl.getSubcommands().entrySet()) {
      if (!e.getValue().getCommandName().equals(e.getKey())) {
        continue; // an alias (readcapacity, rm, del): same command as its name
      }
      String path = (prefix + " " + e.getKey()).strip();
      acc.add(path);
      collect(e.getValue(), path, acc);
    }
  }

  @Test
  void theTreeHasEveryVerbAndSubVerb() {
    List<String> all = everyCommand().toList();
    for (String verb : List.of("node", "ctl", "devlist", "periphlist", "chaos", "journal", "bench", "completion", "help",
        "ctl devlist", "ctl inquiry", "ctl readcap", "ctl lun add", "ctl inject delete", "ctl wire list",
        "journal ids", "journal verify")) {
      assertTrue(all.contains(verb), verb + " missing from " + all);
    }
  }

  @ParameterizedTest(name = "camstack {0} --help")
  @MethodSource("everyCommand")
  void everyCommandAnswersHelpWithItsUsageAndExitZero(String command) {
    List<String> args = new ArrayList<>(Arrays.asList(command.split(" ")));
    args.add("--help");
    CliRun r = camstack(args.toArray(String[]::new));
    assertEquals(0, r.exit(), r::both);
    assertTrue(r.out().contains("Usage: camstack " + command + " "), r.out());
    assertEquals("", r.err());
  }

  @Test
  void noVerbAndHelpListEveryVerbIncludingBenchAndChaos() {
    for (CliRun r : List.of(camstack(), camstack("help"), camstack("--help"))) {
      assertEquals(0, r.exit(), r::both);
      for (String verb : List.of("node", "ctl", "devlist", "periphlist", "journal", "chaos", "bench", "completion")) {
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("  " + verb + " ")), verb + " not listed:\n" + r.out());
      }
    }
    CliRun ctl = camstack("help", "ctl");
    assertEquals(0, ctl.exit());
    assertTrue(ctl.out().startsWith("Usage: camstack ctl"), ctl.out());
  }

  @ParameterizedTest(name = "camstack {0}")
  @ValueSource(strings = {"-V", "--version", "ctl -V", "devlist -V", "journal -V", "journal ids -V"})
  void versionPrintsTheBuildsVersion(String args) {
    CliRun r = camstack(args.split(" "));
    assertEquals(0, r.exit(), r::both);
    String version = CamstackVersion.version();
    assertFalse(version.isBlank() || version.equals("unknown"), "the filtered resource was not built: " + version);
    assertTrue(version.matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), version);
    assertTrue(r.out().startsWith("camstack " + version + " "), r.out());
  }

  @ParameterizedTest(name = "camstack {0}")
  @ValueSource(
      strings = {
        "frobnicate",
        "--frobnicate",
        "devlist --verbose",
        "devlist --topology",
        "periphlist",
        "periphlist da0 da1",
        "ctl",
        "ctl frobnicate",
        "ctl devlist -x",
        "ctl inquiry",
        "ctl readcap da0 -b -N",
        "ctl lun",
        "ctl lun add",
        "ctl lun add 0:5:0 --size 500X",
        "ctl lun resize 0:1:0 -5",
        "ctl inject add da0 busy --sense 1/2",
        "ctl wire add disk 0:1:0",
        "ctl --timeout 0 health",
        "ctl --token a --token-file /nonexistent health",
        "node --port many",
        "journal",
        "journal frobnicate",
        "completion extra"
      })
  void badUsageIsOneLineOnStderrAndExitTwo(String args) {
    CliRun r = camstack(args.split(" "));
    assertEquals(2, r.exit(), r::both);
    assertEquals("", r.out());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().contains("--help") || r.err().startsWith("journal:"), r.err());
  }

  @Test
  void unknownVerbsAreCalledByTheirName() {
    assertEquals(
        "camstack: unknown verb 'frobnicate' (try ./camstack --help)\n", camstack("frobnicate").err());
    assertEquals(
        "camstack ctl: unknown verb 'frobnicate' (try ./camstack ctl --help)\n", camstack("ctl", "frobnicate").err());
  }

  @Test
  void completionScriptCoversEveryVerbAndTheLauncher() {
    CliRun r = camstack("completion");
    assertEquals(0, r.exit(), r::both);
    String script = r.out();
    assertTrue(script.contains("complete -F _complete_camstack"), "no complete line");
    assertTrue(script.contains("complete -F _complete_camstack -o default ./camstack"), "launcher not registered");
    for (String verb : List.of("node", "ctl", "devlist", "periphlist", "journal", "chaos", "bench", "completion")) {
      assertTrue(script.contains(verb), verb);
    }
    assertTrue(script.contains("--token-file") && script.contains("--legacy-format") && script.contains("readcap"));
  }

  @Test
  void nodeDoesNotDependOnTheCli() {
    JavaClasses classes =
        new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("org.camstack.stack");
    noClasses().that().resideInAPackage("..stack.node..").should().dependOnClassesThat().resideInAPackage("..stack.cli..")
        .check(classes);
  }
}
