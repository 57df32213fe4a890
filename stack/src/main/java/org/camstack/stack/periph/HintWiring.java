package org.camstack.stack.periph;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.DeviceInfo;

/**
 * Device hints as {@link WiringSource}: {@code hint.da.3.at="scbus0"}, {@code
 * hint.da.3.target="1"}, {@code hint.da.3.lun="0"}, {@code hint.da.3.sn="SER123"}. An entry wires
 * its unit to a device when every key it has matches (and it has at least one); the first matching
 * entry wins. An entry with any of {@code at}, {@code target}, {@code lun}, {@code sn} reserves its
 * unit. cf. camperiphunit() and camperiphnextunit() in sys/cam/cam_periph.c (modern rules).
 */
public final class HintWiring implements WiringSource {

  /**
   * One hint entry. Null fields are absent keys.
   *
   * @param at {@code scbusN}
   */
  public record Hint(String driver, int unit, String at, Integer target, Long lun, String sn) {
    boolean hasKeys() {
      return at != null || target != null || lun != null || sn != null;
    }

    boolean matches(CamPath path, DeviceInfo info) {
      if (!hasKeys()) {
        return false;
      }
      if (at != null && !at.equals("scbus" + path.bus())) {
        return false;
      }
      if (target != null && target != path.target()) {
        return false;
      }
      if (lun != null && lun != path.lun()) {
        return false;
      }
      return sn == null || (info != null && sn.equals(info.serial()));
    }
  }

  private final List<Hint> hints;

  public HintWiring(List<Hint> hints) {
    this.hints = List.copyOf(hints);
  }

  public List<Hint> hints() {
    return hints;
  }

  /**
   * Parses {@code hint.<driver>.<unit>.<key>} = value entries (other keys are ignored), in unit
   * order per driver.
   *
   * @throws IllegalArgumentException with a one-line message for a malformed value
   */
  public static HintWiring parse(Map<String, String> properties) {
    Map<String, Map<String, String>> byEntry = new TreeMap<>();
    for (Map.Entry<String, String> e : properties.entrySet()) {
      String[] k = e.getKey().split("\\.");
      if (k.length != 4 || !k[0].equals("hint")) {
        continue;
      }
      byEntry.computeIfAbsent(k[1] + "." + k[2], x -> new TreeMap<>()).put(k[3], unquote(e.getValue()));
    }
    List<Hint> out = new ArrayList<>();
    for (Map.Entry<String, Map<String, String>> e : byEntry.entrySet()) {
      String[] du = e.getKey().split("\\.");
      Map<String, String> kv = e.getValue();
      try {
        out.add(
            new Hint(
                du[0],
                Integer.parseInt(du[1]),
                kv.get("at"),
                kv.containsKey("target") ? Integer.valueOf(kv.get("target")) : null,
                kv.containsKey("lun") ? Long.valueOf(kv.get("lun")) : null,
                kv.get("sn")));
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException("malformed hint hint." + e.getKey() + ": " + kv);
      }
    }
    out.sort((a, b) -> a.driver().equals(b.driver()) ? Integer.compare(a.unit(), b.unit()) : 0);
    return new HintWiring(out);
  }

  private static String unquote(String v) {
    String s = v.trim();
    if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
      return s.substring(1, s.length() - 1);
    }
    return s;
  }

  @Override
  public OptionalInt wiredUnit(String driver, CamPath path, DeviceInfo info) {
    for (Hint h : hints) {
      if (h.driver().equals(driver) && h.matches(path, info)) {
        return OptionalInt.of(h.unit());
      }
    }
    return OptionalInt.empty();
  }

  @Override
  public boolean reserved(String driver, int unit) {
    for (Hint h : hints) {
      if (h.driver().equals(driver) && h.unit() == unit && h.hasKeys()) {
        return true;
      }
    }
    return false;
  }
}
