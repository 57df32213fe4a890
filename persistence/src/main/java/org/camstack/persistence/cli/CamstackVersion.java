package org.camstack.persistence.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * What {@code -V} / {@code --version} prints for every camstack command: the project version
 * the build wrote into {@code camstack-version.properties} (a filtered resource of this module).
 */
public final class CamstackVersion implements IVersionProvider {

  static final String RESOURCE = "/camstack-version.properties";

  /** The project version, e.g. {@code 0.1.0-SNAPSHOT}; {@code unknown} outside a Maven build. */
  public static String version() {
    try (InputStream in = CamstackVersion.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "unknown");
      return v.startsWith("${") ? "unknown" : v;
    } catch (IOException e) {
      return "unknown";
    }
  }

  @Override
  public String[] getVersion() {
    return new String[] {"camstack " + version() + " (Java " + Runtime.version() + ")"};
  }
}
