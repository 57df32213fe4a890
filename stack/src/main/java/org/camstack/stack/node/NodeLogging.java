package org.camstack.stack.node;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import java.net.URL;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Switches Logback to the node's configuration ({@code logback-node.xml}: console plus a rolling
 * file under {@code DATA/logs}). The CLI's other verbs keep the quiet default {@code logback.xml}.
 */
public final class NodeLogging {
  private NodeLogging() {}

  /** Reconfigures Logback for a node whose data directory is {@code dataDir}. */
  public static void configure(Path dataDir) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
      return;
    }
    URL xml = NodeLogging.class.getClassLoader().getResource("logback-node.xml");
    if (xml == null) {
      return;
    }
    ctx.reset();
    ctx.putProperty("CAMSTACK_LOG_DIR", dataDir.toAbsolutePath().resolve("logs").toString());
    JoranConfigurator jc = new JoranConfigurator();
    jc.setContext(ctx);
    try {
      jc.doConfigure(xml);
    } catch (JoranException e) {
      // Logback reports configuration errors through its status manager (printed on stderr)
    }
  }

  /** Flushes and stops the asynchronous appenders (before the JVM exits). */
  public static void stop() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
      ctx.stop();
    }
  }
}
