package org.camstack.stack;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * The configuration of camstack's own programs (node, CLI verbs, bench): system properties over
 * {@code application.conf} over {@code camstack-application.conf} over every {@code
 * reference.conf}. The library's reference.conf declares only {@code camstack.*}; what an
 * application decides for the whole JVM (Pekko's loggers and loglevel, the default dispatcher's
 * sizing) lives in {@code camstack-application.conf}, so that whoever embeds the stack keeps its
 * own. Embedders call {@link CamStack} with their own config and never load this.
 */
public final class CamStackConfig {
  /** The classpath resource with the application defaults. */
  public static final String RESOURCE = "camstack-application.conf";

  private CamStackConfig() {}

  /** The resolved configuration, as {@link ConfigFactory#load()} with the application defaults. */
  public static Config load() {
    return ConfigFactory.defaultOverrides()
        .withFallback(ConfigFactory.defaultApplication())
        .withFallback(ConfigFactory.parseResources(RESOURCE))
        .withFallback(ConfigFactory.defaultReferenceUnresolved())
        .resolve();
  }
}
