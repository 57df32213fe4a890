package org.camstack.stack.cli;

import org.camstack.stack.xpt.IoStats;

import java.util.Locale;
import org.camstack.stack.node.ApiModel;
import org.camstack.stack.node.DevlistFormat;
import org.camstack.stack.scsi.InquiryFormat;

/**
 * What camcontrol(8) prints, as pure functions of the management API's documents (cf.
 * sbin/camcontrol/camcontrol.c: {@code getdevtree}, {@code getdevlist}, {@code scsidoinquiry},
 * {@code scsireadcapacity}, {@code testunitready}, {@code scsistart}, {@code
 * dorescan_or_reset}). Modern camcontrol's wording by default ({@code SPC-4 SCSI device}); the
 * 2012 wording with {@link DevlistFormat.Style#LEGACY} ({@code SCSI-6 device}, as the node's
 * {@code description} field has it). The devlist text lives in {@link DevlistFormat}.
 */
public final class CamcontrolFormat {
  private CamcontrolFormat() {}

  /** {@code camcontrol periphlist DEV}: one line per XPT_GDEVLIST answer. */
  public static String periphlist(ApiModel.PeriphList list) {
    StringBuilder sb = new StringBuilder();
    for (ApiModel.PeriphEntry p : list.periphs()) {
      sb.append(
          String.format(
              "%s%d:  generation: %d index: %d status: %s%n", p.periph(), p.unit(), p.generation(), p.index(), p.status()));
    }
    return sb.toString();
  }

  /**
   * {@code camcontrol inquiry DEV [-D] [-S] [-R]}; no flag means all three. The serial line has the
   * {@code name: Serial Number} prefix only when printed with another part.
   */
  public static String inquiry(ApiModel.Inquiry inq, boolean std, boolean serial, boolean rate, DevlistFormat.Style style) {
    if (!std && !serial && !rate) {
      std = serial = rate = true;
    }
    StringBuilder sb = new StringBuilder();
    if (std) {
      sb.append(inq.name()).append(": <")
          .append(inq.vendor()).append(' ').append(inq.product()).append(' ').append(inq.revision())
          .append("> ").append(style == DevlistFormat.Style.LEGACY ? inq.description() : description(inq)).append('\n');
    }
    if (serial && inq.serialValid()) {
      if (std || rate) {
        sb.append(inq.name()).append(": Serial Number ");
      }
      String sn = inq.serial();
      sb.append(sn.length() > 60 ? sn.substring(0, 60) : sn).append('\n');
    }
    if (rate) {
      sb.append(xferRate(inq)).append('\n');
    }
    return sb.toString();
  }

  /**
   * Modern {@code scsi_print_inquiry()} after the identity: {@code Fixed Direct Access SPC-4 SCSI
   * device}, the ANSI version as {@code SPC-(n-2)} from 3 on, {@code SCSI-n} below, plain {@code
   * SCSI} for 0; a qualifier other than "connected" in parentheses.
   */
  static String description(ApiModel.Inquiry inq) {
    return InquiryFormat.description(inq.removable(), inq.deviceType(), inq.ansiVersion(), inq.qualifier());
  }

  /** cf. {@code camxferrate()}: speed, SPI details, tagged queueing. */
  static String xferRate(ApiModel.Inquiry inq) {
    StringBuilder sb = new StringBuilder(inq.name()).append(": ");
    long speed = inq.speedKbps();
    long mb = speed / 1000;
    if (mb > 0) {
      sb.append(String.format("%d.%03dMB/s transfers", mb, speed % 1000));
    } else {
      sb.append(String.format("%dKB/s transfers", speed));
    }
    if ("spi".equalsIgnoreCase(inq.transport())) {
      boolean offset = inq.syncOffset() != 0;
      if (offset) {
        sb.append(String.format(" (%d.%03dMHz, offset %d", inq.freqKhz() / 1000, inq.freqKhz() % 1000, inq.syncOffset()));
      }
      if (inq.busWidth() > 0) {
        sb.append(offset ? ", " : " (").append(8 * (1 << inq.busWidth())).append("bit)");
      } else if (offset) {
        sb.append(')');
      }
    }
    if (inq.tagEnabled()) {
      sb.append(", Command Queueing Enabled");
    }
    return sb.toString();
  }

  /** The readcap flags camcontrol takes: {@code -b -h -H -N -q -s}. */
  public record ReadcapFlags(boolean blockSizeOnly, boolean humanize, boolean baseTen, boolean numBlocks, boolean quiet, boolean sizeOnly) {

    /** camcontrol's mutually exclusive pairs, or null when the combination is fine. */
    public String conflict() {
      if (blockSizeOnly && numBlocks) {
        return "you can only specify one of -b or -N";
      }
      if (blockSizeOnly && sizeOnly) {
        return "you can only specify one of -b or -s";
      }
      if (humanize && quiet) {
        return "you can only specify one of -h/-H or -q";
      }
      if (humanize && blockSizeOnly) {
        return "you can only specify one of -h/-H or -b";
      }
      return null;
    }
  }

  /** {@code camcontrol readcap DEV [-b|-h|-H|-N|-q|-s]}. */
  public static String readcap(ApiModel.ReadCap rc, ReadcapFlags f) {
    StringBuilder sb = new StringBuilder();
    long blocks = rc.lastBlock() + 1;
    if (!f.blockSizeOnly()) {
      String tail = f.sizeOnly() ? "\n" : ", ";
      if (f.humanize()) {
        sb.append("Device Size: ").append(humanize(blocks * rc.blockLength(), f.baseTen())).append(tail);
      } else if (f.numBlocks()) {
        sb.append(f.quiet() ? "" : "Blocks: ").append(Long.toUnsignedString(blocks)).append(tail);
      } else {
        sb.append(f.quiet() ? "" : "Last Block: ").append(Long.toUnsignedString(rc.lastBlock())).append(tail);
      }
    }
    if (!f.sizeOnly()) {
      sb.append(f.quiet() ? "" : "Block Length: ").append(rc.blockLength()).append(f.quiet() ? "" : " bytes").append('\n');
    }
    return sb.toString();
  }

  private static final String[] PREFIX_1024 = {"B", "K", "M", "G", "T", "P", "E"};
  private static final String[] PREFIX_1000 = {"B", "k", "M", "G", "T", "P", "E"};

  /**
   * cf. {@code humanize_number(buf, 6, bytes, "", HN_AUTOSCALE, HN_B | HN_DECIMAL [|
   * HN_DIVISOR_1000])} as camcontrol readcap -h/-H calls it: at most 3 digits, one decimal below
   * 10, a space, the prefix ({@code 1.0 G}, {@code 500 M}, {@code 512 B}).
   */
  public static String humanize(long bytes, boolean baseTen) {
    long divisor = baseTen ? 1000 : 1024;
    long deccut = baseTen ? 950 : 973;
    String[] prefixes = baseTen ? PREFIX_1000 : PREFIX_1024;
    long quotient = bytes;
    long remainder = 0;
    long max = 1000; // buffer of 6 = 3 digits + " " + prefix + NUL
    int i = 0;
    while ((quotient >= max || (quotient == max - 1 && remainder >= deccut)) && i < prefixes.length - 1) {
      remainder = quotient % divisor;
      quotient /= divisor;
      i++;
    }
    if (((quotient == 9 && remainder < deccut) || quotient < 9) && i > 0) {
      long s1 = quotient + ((remainder * 10 + divisor / 2) / divisor / 10);
      long s2 = ((remainder * 10 + divisor / 2) / divisor) % 10;
      return s1 + "." + s2 + " " + prefixes[i];
    }
    return (quotient + (remainder + divisor / 2) / divisor) + " " + prefixes[i];
  }

  /** {@code camcontrol tur}: {@code Unit is ready} / {@code Unit is not ready}. */
  public static String tur(ApiModel.CommandResult r, boolean verbose) {
    if (r.ok()) {
      return "Unit is ready\n";
    }
    String s = "Unit is not ready\n";
    if (verbose && !r.sense().isEmpty()) {
      s += r.sense() + "\n";
    }
    return s;
  }

  /** {@code camcontrol start|stop|eject|load}. */
  public static String startStop(ApiModel.CommandResult r, boolean start, boolean loadEject) {
    if (r.ok()) {
      if (start) {
        return "Unit started successfully" + (loadEject ? ", Media loaded" : "") + "\n";
      }
      return "Unit stopped successfully" + (loadEject ? ", Media ejected" : "") + "\n";
    }
    return "Error received from " + (start ? "start" : "stop") + " unit command\n";
  }

  /** {@code camcontrol rescan|reset}: one line per bus or LUN. */
  public static String scanReport(ApiModel.ScanReport report, boolean rescan) {
    String verb = rescan ? "Re-scan" : "Reset";
    StringBuilder sb = new StringBuilder();
    for (ApiModel.ScanItem it : report.items()) {
      String what =
          "bus".equals(it.scope())
              ? "bus " + it.bus()
              : it.bus() + ":" + it.target() + ":" + it.lun();
      if (it.ok()) {
        sb.append(verb).append(" of ").append(what).append(" was successful\n");
      } else {
        sb.append(verb).append(" of ").append(what).append(" returned error ").append(hexStatus(it.camStatus())).append('\n');
      }
    }
    return sb.toString();
  }

  /** C's {@code %#x}: {@code 0} for zero, else {@code 0x..}. */
  static String hexStatus(int v) {
    return v == 0 ? "0" : "0x" + Integer.toHexString(v);
  }

  /** ctlstat-like per-LUN table (cf. usr.bin/ctlstat: ops, bytes, latency). */
  public static String stats(ApiModel.Stats stats) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            "%-10s %-14s %9s %9s %7s %10s %10s %6s %5s %8s %8s %8s %8s%n",
            "lun", "periphs", "reads", "writes", "other", "MB-read", "MB-write", "errors", "tmo",
            "p50-us", "p99-us", "p99.9-us", "max-us"));
    for (ApiModel.LunStats l : stats.luns()) {
      IoStats.Snapshot io = l.io();
      sb.append(
          String.format(
              Locale.ROOT,
              "%-10s %-14s %9d %9d %7d %10.2f %10.2f %6d %5d %8.1f %8.1f %8.1f %8.1f%n",
              l.path(), truncate(String.join(",", l.periphs()), 14), io.reads(), io.writes(), io.other(),
              io.bytesRead() / 1048576.0, io.bytesWritten() / 1048576.0, io.errors(), io.timeouts(),
              io.p50Micros(), io.p99Micros(), io.p999Micros(), io.maxMicros()));
    }
    return sb.toString();
  }

  /** The emulated topology, one LUN per line. */
  public static String topology(ApiModel.Topology t) {
    StringBuilder sb = new StringBuilder();
    for (ApiModel.TopologyBus b : t.buses()) {
      sb.append(String.format("scbus%d on %s%d (max target %d, max lun %d, initiator %d)%n",
          b.pathId(), b.simName(), b.simUnit(), b.maxTarget(), b.maxLun(), b.initiatorId()));
      for (ApiModel.LunInfo l : b.luns()) {
        sb.append(String.format("  %-8s %-5s <%s %s %s> serial %s", l.path(), l.kind(), l.vendor(), l.product(), l.revision(), l.serial()));
        if (l.blocks() > 0) {
          sb.append(String.format(", %d blocks of %d (%s)", l.blocks(), l.blockSize(), humanize(l.blocks() * l.blockSize(), false)));
        }
        sb.append(l.present() ? "" : ", removed").append(l.started() ? "" : ", stopped").append('\n');
      }
    }
    return sb.toString();
  }

  /** Fault rules and delay of one LUN. */
  public static String faults(ApiModel.FaultList list) {
    StringBuilder sb = new StringBuilder();
    if (list.rules().isEmpty()) {
      sb.append(list.path()).append(": no fault rules\n");
    }
    for (ApiModel.FaultRule r : list.rules()) {
      sb.append(faultLine(r)).append('\n');
    }
    ApiModel.Delay d = list.delay();
    if (d != null && (nz(d.fixedMicros()) > 0 || nz(d.randomMicros()) > 0)) {
      sb.append(String.format("delay: %d us fixed + up to %d us random%n", nz(d.fixedMicros()), nz(d.randomMicros())));
    }
    return sb.toString();
  }

  static String faultLine(ApiModel.FaultRule r) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%3s  %-14s %-5s", r.id() == null ? "-" : r.id(), r.type(), r.commands() == null ? "any" : r.commands()));
    if (r.lbaStart() != null) {
      sb.append(" lba ").append(r.lbaStart());
      if (r.lbaEnd() != null && !r.lbaEnd().equals(r.lbaStart())) {
        sb.append('-').append(r.lbaEnd());
      }
    }
    if (r.senseKey() != null) {
      sb.append(String.format(" sense %x/%02x/%02x", r.senseKey(), r.asc() == null ? 0 : r.asc(), r.ascq() == null ? 0 : r.ascq()));
    }
    sb.append(Boolean.TRUE.equals(r.continuous()) ? " continuous" : " one-shot");
    return sb.toString();
  }

  /** Wiring table. */
  public static String wiring(ApiModel.Wiring w) {
    StringBuilder sb = new StringBuilder();
    for (ApiModel.WiringEntry e : w.entries()) {
      sb.append(String.format("%-8s %-40s %-10s %s%n", e.driver() + e.unit(), e.deviceId(),
          e.path() == null || e.path().isEmpty() ? "-" : e.path(), e.explicit() ? "wired" : "learned"));
    }
    return sb.toString();
  }

  /** {@code ctl port list}: one line per port. */
  public static String ports(ApiModel.Ports p) {
    StringBuilder sb = new StringBuilder(String.format("%-4s %-7s %-22s %-8s %s%n", "Port", "Type", "Address", "Sessions", "Targets"));
    for (ApiModel.Port x : p.ports()) {
      sb.append(String.format("%-4d %-7s %-22s %-8s %d%n", x.relativeTargetPort(), x.kind(), x.address().isEmpty() ? "-" : x.address(),
          x.kind().equals("camsim") ? "-" : Integer.toString(x.sessions()), x.targets().size()));
    }
    return sb.toString();
  }

  /** {@code ctl iscsi sessions}: one line per session. */
  public static String iscsiSessions(ApiModel.IscsiSessions s) {
    StringBuilder sb = new StringBuilder(String.format("%-5s %-9s %-22s %-12s %s%n", "TSIH", "Type", "Remote", "ISID", "Initiator / Target"));
    for (ApiModel.IscsiSession x : s.sessions()) {
      sb.append(String.format("%-5d %-9s %-22s %-12s %s%n      %s%n", x.tsih(), x.type(), x.remote(), x.isid(), x.initiator(),
          x.target().isEmpty() ? "-" : x.target()));
    }
    return sb.toString();
  }

  /** A classic 16-bytes-per-line hex dump with offsets. */
  public static String hexdump(long offset, String hex) {
    StringBuilder sb = new StringBuilder();
    int n = hex.length() / 2;
    for (int i = 0; i < n; i += 16) {
      sb.append(String.format("%08x ", offset + i));
      StringBuilder ascii = new StringBuilder();
      for (int j = i; j < i + 16; j++) {
        if (j < n) {
          int b = Integer.parseInt(hex.substring(2 * j, 2 * j + 2), 16);
          sb.append(' ').append(hex, 2 * j, 2 * j + 2);
          ascii.append(b >= 0x20 && b < 0x7f ? (char) b : '.');
        } else {
          sb.append("   ");
        }
      }
      sb.append("  |").append(ascii).append("|\n");
    }
    return sb.toString();
  }

  private static long nz(Long v) {
    return v == null ? 0 : v;
  }

  private static String truncate(String s, int n) {
    return s.length() <= n ? s : s.substring(0, n - 1) + "+";
  }
}
