package org.camstack.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.URL;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The stack is a library: its reference.conf declares camstack's keys and leaves the JVM-wide
 * Pekko settings (loglevel, loggers, default dispatcher) to whoever embeds it. camstack's own
 * programs get theirs from camstack-application.conf through {@link CamStackConfig}.
 */
class CamStackConfigTest {

  /** The reference.conf of this module (not Pekko's or persistence's). */
  private static Config stackReference() throws Exception {
    String home = CamStack.class.getProtectionDomain().getCodeSource().getLocation().toString();
    List<URL> mine =
        Collections.list(CamStack.class.getClassLoader().getResources("reference.conf")).stream()
            .filter(u -> u.toString().startsWith(home) || u.toString().startsWith("jar:" + home))
            .toList();
    assertEquals(1, mine.size(), "the stack's reference.conf among " + mine);
    return ConfigFactory.parseURL(mine.get(0));
  }

  @Test
  void theLibraryReferenceSetsNoPekkoKeys() throws Exception {
    Config ref = stackReference();
    assertTrue(ref.hasPath("camstack.xpt.default-timeout"));
    assertFalse(ref.hasPath("pekko"), () -> "reference.conf sets " + ref.getConfig("pekko").root().render());
  }

  @Test
  void anEmbedderKeepsPekkosDefaults() {
    Config embedded = ConfigFactory.defaultReference();
    assertEquals("INFO", embedded.getString("pekko.loglevel"));
    assertEquals(5, embedded.getInt("pekko.actor.default-dispatcher.throughput"));
    assertTrue(embedded.hasPath("camstack.node.port"), "the stack's own keys are still declared");
  }

  @Test
  void camstacksProgramsGetTheirApplicationDefaults() {
    Config app = CamStackConfig.load();
    assertEquals("DEBUG", app.getString("pekko.loglevel"));
    assertEquals(List.of("org.apache.pekko.event.slf4j.Slf4jLogger"), app.getStringList("pekko.loggers"));
    assertEquals(100, app.getInt("pekko.actor.default-dispatcher.throughput"));
    assertEquals(4, app.getInt("pekko.actor.default-dispatcher.fork-join-executor.parallelism-max"));
    assertEquals("org.camstack.stack.dispatch.Lanes$Executor", app.getString("pekko.actor.default-dispatcher.executor"));
    assertEquals(8080, app.getInt("camstack.node.port"));
  }
}
