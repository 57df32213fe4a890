package org.camstack.stack.node;

import java.util.ArrayList;
import java.util.List;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.DeviceInfo;

/**
 * The one home of {@code camcontrol devlist}'s text (cf. {@code getdevtree()} in
 * sbin/camcontrol/camcontrol.c) and of the EDT as an API document: the node prints it at start-up,
 * {@code ./camstack devlist} prints it for an in-process stack, {@code ./camstack ctl devlist}
 * for a node's {@code /api/devlist}.
 *
 * <p>Modern camcontrol (the default): the LUN in hex ({@code %jx}: {@code lun a}, the wildcard
 * {@code lun ffffffff}); with {@code -v} each bus line is followed by the bus's wildcard device,
 * {@code <>  at scbus0 target -1 lun ffffffff ()}. The 2012 wording ({@link Style#LEGACY}):
 * decimal LUNs ({@code lun -1}) and no wildcard line for the SIM buses.
 */
public final class DevlistFormat {
  private DevlistFormat() {}

  /** Which camcontrol's wording. */
  public enum Style {
    /** FreeBSD 10 and later: LUNs in hex, the wildcard device of every bus with {@code -v}. */
    MODERN,
    /** The 2012 camcontrol: LUNs in decimal. */
    LEGACY
  }

  /** The EDT of an {@code XPT_DEV_MATCH} as the API's document. */
  public static ApiModel.Devlist of(Ccb.DevMatchResult m) {
    List<ApiModel.Bus> buses = new ArrayList<>();
    for (Ccb.BusMatch b : m.buses()) {
      List<ApiModel.Device> devs = new ArrayList<>();
      for (Ccb.DeviceMatch d : b.devices()) {
        DeviceInfo i = d.info();
        boolean scsi = i != null && !i.inquiry().isEmpty();
        CamPath p = d.path();
        devs.add(
            new ApiModel.Device(
                p.btl(), p.bus(), p.target(), p.lun(), scsi ? "scsi" : "none",
                scsi ? i.vendor() : "", scsi ? i.product() : "", scsi ? i.revision() : "",
                scsi ? i.deviceType() : DeviceInfo.T_NODEVICE, i == null ? "" : i.serial(),
                d.periphs(), d.unconfigured()));
      }
      buses.add(new ApiModel.Bus(b.pathId(), b.devName(), b.unitNumber(), b.busId(), devs));
    }
    return new ApiModel.Devlist(buses);
  }

  /**
   * {@code camcontrol devlist [-v] [-b]}: identity left-justified in 33 columns, two spaces, the
   * path, the periphs in parentheses (most recently attached first); {@code -v} adds the bus
   * lines and the unconfigured devices, {@code -b} prints the bus lines only (without the colon).
   */
  public static String format(ApiModel.Devlist devlist, boolean verbose, boolean busOnly, Style style) {
    StringBuilder sb = new StringBuilder();
    for (ApiModel.Bus bus : devlist.buses()) {
      if (busOnly) {
        sb.append(String.format("scbus%d on %s%d bus %d%n", bus.pathId(), bus.simName(), bus.simUnit(), bus.busId()));
        continue;
      }
      if (verbose) {
        sb.append(String.format("scbus%d on %s%d bus %d:%n", bus.pathId(), bus.simName(), bus.simUnit(), bus.busId()));
        boolean hasWildcard = bus.devices().stream().anyMatch(d -> d.target() < 0);
        if (style == Style.MODERN && bus.pathId() >= 0 && !hasWildcard) {
          line(sb, "<>", bus.pathId(), -1, -1, List.of(), style);
        }
      }
      for (ApiModel.Device d : bus.devices()) {
        if (d.unconfigured() && !verbose) {
          continue;
        }
        line(sb, identity(d), bus.pathId(), d.target(), d.lun(), d.periphs(), style);
      }
    }
    return sb.toString();
  }

  private static void line(StringBuilder sb, String identity, int pathId, int target, long lun, List<String> periphs, Style style) {
    sb.append(String.format("%-33s  at scbus%d target %d lun %s (", identity, pathId, target, lun(lun, style)));
    sb.append(String.join(",", periphs)).append(")\n");
  }

  /**
   * A LUN as camcontrol prints it: modern {@code %jx} (the wildcard, CAM_LUN_WILDCARD, as {@code
   * ffffffff}), 2012 {@code %d}.
   */
  public static String lun(long lun, Style style) {
    if (style == Style.LEGACY) {
      return Long.toString(lun);
    }
    return lun < 0 ? Integer.toHexString((int) lun) : Long.toHexString(lun);
  }

  /** {@code <vendor product revision>} for SCSI devices, {@code <>} otherwise. */
  public static String identity(ApiModel.Device d) {
    if (!"scsi".equals(d.protocol())) {
      return "<>";
    }
    return "<" + d.vendor() + " " + d.product() + " " + d.revision() + ">";
  }
}
