package org.camstack.stack.node;

import static org.camstack.stack.node.NodeCcbs.commandFailed;
import static org.camstack.stack.node.NodeCcbs.describe;
import static org.camstack.stack.node.NodeCcbs.guard;
import static org.camstack.stack.node.NodeCcbs.logWithPath;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.scsi.Cdbs;
import org.camstack.stack.node.NodeCcbs.Target;

/**
 * The SCSI commands of the management API, sent as camcontrol sends them: INQUIRY (with VPD 0x80,
 * XPT_PATH_INQ and XPT_GET_TRAN_SETTINGS), READ CAPACITY, TEST UNIT READY, START STOP UNIT.
 */
final class ScsiCommandApi {
  private final NodeCcbs ccbs;
  private final Duration askTimeout;

  ScsiCommandApi(NodeCcbs ccbs) {
    this.ccbs = ccbs;
    this.askTimeout = ccbs.askTimeout();
  }

  // ------------------------------------------------------------------ SCSI commands

  public CompletionStage<ApiModel.Inquiry> inquiry(String dev) {
    return guard(() -> ccbs.resolve(dev)).thenCompose(this::inquiry);
  }

  private CompletionStage<ApiModel.Inquiry> inquiry(Target t) {
    CompletionStage<Ccb.Completed> std = ccbs.scsiRetryUa(t.path(), Cdbs.inquiry(false, 0, 36), 36, 5000, 4);
    CompletionStage<Ccb.Completed> sn = std.thenCompose(x -> ccbs.scsiRetryUa(t.path(), Cdbs.inquiry(true, 0x80, 255), 255, 5000, 4));
    CompletionStage<Ccb.Completed> cpi = ccbs.action(r -> new Ccb.PathInq(ccbs.header(t.path(), 0, 0, r)), askTimeout);
    CompletionStage<Ccb.Completed> cts = ccbs.action(r -> new Ccb.GetTranSettings(ccbs.header(t.path(), 0, 0, r)), askTimeout);
    return std.thenCompose(
        s -> {
          if (!s.isOk()) {
            throw commandFailed(t, "INQUIRY", s);
          }
          return sn.thenCombine(cpi, (a, b) -> new Ccb.Completed[] {a, b})
              .thenCombine(cts, (ab, c) -> inquiryOf(t, s, ab[0], ab[1], c));
        });
  }

  private static ApiModel.Inquiry inquiryOf(Target t, Ccb.Completed std, Ccb.Completed sn, Ccb.Completed cpi, Ccb.Completed cts) {
    DeviceInfo i = new DeviceInfo(t.path(), std.data(), null, null, null, null);
    String serial = "";
    boolean serialOk = false;
    if (sn.isOk() && sn.data().size() >= 4) {
      int len = Math.min(sn.data().apply(3) & 0xff, sn.data().size() - 4);
      serial = DeviceInfo.visible(sn.data().slice(4, 4 + len).decodeString(java.nio.charset.StandardCharsets.ISO_8859_1));
      serialOk = true;
    }
    long speed = 0;
    if (cpi.isOk() && cpi.result() instanceof Ccb.PathInqResult p) {
      speed = p.baseTransferSpeedKbps();
    }
    String transport = "";
    boolean tags = false;
    int offset = 0;
    int width = 0;
    int freq = 0;
    if (cts.isOk() && cts.result() instanceof Ccb.TranSettings ts) {
      transport = ts.transport() == null ? "" : ts.transport();
      tags = ts.tagEnabled();
      offset = ts.syncOffset();
      width = ts.busWidth();
      freq = syncRateKhz(ts.syncPeriod());
      if (transport.equalsIgnoreCase("spi") && freq > 0) {
        speed = (long) freq * (1L << Math.max(0, width));
      }
    }
    return new ApiModel.Inquiry(
        t.name(), t.path().btl(), i.vendor(), i.product(), i.revision(), i.deviceType(), i.qualifier(), i.removable(),
        i.ansiVersion(), inquiryDescription(i), serial, serialOk, speed, transport, offset, freq, width, tags);
  }

  /** cf. {@code scsi_calc_syncsrate()}: SPI period factor to kHz. */
  static int syncRateKhz(int factor) {
    switch (factor) {
      case 0:
        return 0;
      case 0x08:
        return 160000;
      case 0x09:
        return 80000;
      case 0x0a:
        return 40000;
      case 0x0b:
        return 33000;
      case 0x0c:
        return 20000;
      default:
        return 10000000 / (factor * 4 * 10) * 10 / 10;
    }
  }

  /**
   * cf. {@code scsi_print_inquiry()} after the identity: {@code Fixed Direct Access SCSI-6 device }
   * (the 2012 format; the trailing space is the empty qualifier text).
   */
  static String inquiryDescription(DeviceInfo i) {
    String qual =
        switch (i.qualifier()) {
          case 0 -> "";
          case 1 -> "(offline)";
          case 2 -> "(reserved qualifier)";
          case 3 -> "(LUN not supported)";
          default -> "(vendor-unique qualifier)";
        };
    int rev = i.ansiVersion();
    return (i.removable() ? "Removable" : "Fixed") + " " + typeName(i.deviceType()) + " SCSI-"
        + (rev == 1 ? "CCS" : String.valueOf(rev)) + " device " + qual;
  }

  /** cf. the peripheral type table of {@code scsi_print_inquiry()}. */
  static String typeName(int type) {
    switch (type) {
      case 0x00: return "Direct Access";
      case 0x01: return "Sequential Access";
      case 0x02: return "Printer";
      case 0x03: return "Processor";
      case 0x04: return "WORM";
      case 0x05: return "CD-ROM";
      case 0x06: return "Scanner";
      case 0x07: return "Optical";
      case 0x08: return "Changer";
      case 0x09: return "Communication";
      case 0x0c: return "Storage Array";
      case 0x0d: return "Enclosure Services";
      case 0x0e: return "Simplified Direct Access";
      case 0x0f: return "Optical Card Read/Write";
      case 0x11: return "Object-Based Storage";
      case 0x12: return "Automation/Drive Interface";
      case 0x1f: return "Uninstalled";
      default: return "unknown";
    }
  }

  public CompletionStage<ApiModel.ReadCap> readcap(String dev) {
    return guard(() -> ccbs.resolve(dev)).thenCompose(this::readcap);
  }

  /** cf. camcontrol scsireadcapacity(): (10), then (16) when the last LBA is 0xFFFFFFFF. */
  private CompletionStage<ApiModel.ReadCap> readcap(Target t) {
    return ccbs.scsiRetryUa(t.path(), Cdbs.readCapacity10(), 8, 5000, 4)
        .thenCompose(
            c -> {
              if (!c.isOk() || c.data().size() < 8) {
                throw commandFailed(t, "READ CAPACITY", c);
              }
              long last = u32(c.data(), 0);
              long len = u32(c.data(), 4);
              if (last != 0xffffffffL) {
                return CompletableFuture.completedFuture(new ApiModel.ReadCap(t.name(), t.path().btl(), last, len, false));
              }
              return ccbs.scsiRetryUa(t.path(), Cdbs.readCapacity16(32), 32, 5000, 4)
                  .thenApply(
                      c16 -> {
                        if (!c16.isOk() || c16.data().size() < 12) {
                          throw commandFailed(t, "READ CAPACITY (16)", c16);
                        }
                        return new ApiModel.ReadCap(t.name(), t.path().btl(), (u32(c16.data(), 0) << 32) | u32(c16.data(), 4), u32(c16.data(), 8), true);
                      });
            });
  }

  private static long u32(ByteString b, int off) {
    return ((b.apply(off) & 0xffL) << 24) | ((b.apply(off + 1) & 0xffL) << 16) | ((b.apply(off + 2) & 0xffL) << 8) | (b.apply(off + 3) & 0xffL);
  }

  private static ApiModel.CommandResult result(Target t, Ccb.Completed c) {
    return new ApiModel.CommandResult(t.name(), t.path().btl(), c.isOk(), c.statusWord(), c.scsiStatus(), c.isOk() ? "" : describe(c));
  }

  public CompletionStage<ApiModel.CommandResult> tur(String dev) {
    return guard(() -> ccbs.resolve(dev)).thenCompose(t -> ccbs.scsi(t.path(), Cdbs.testUnitReady(), 0, 5000).thenApply(c -> result(t, c)));
  }

  public CompletionStage<ApiModel.CommandResult> startStop(String dev, boolean start, boolean loadEject) {
    return guard(() -> ccbs.resolve(dev))
        .thenCompose(
            t -> {
              logWithPath(t.path(), "api: {} {}", start ? (loadEject ? "load" : "start") : (loadEject ? "eject" : "stop"), t.name());
              return ccbs.scsi(t.path(), Cdbs.startStopUnit(start, loadEject, false), 0, 120000).thenApply(c -> result(t, c));
            });
  }

}
