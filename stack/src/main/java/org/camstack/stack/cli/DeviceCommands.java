package org.camstack.stack.cli;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import org.camstack.persistence.cli.Cli.UsageException;
import org.camstack.stack.cli.CtlClient.Reply;
import org.camstack.stack.node.ApiModel;
import org.camstack.stack.node.DevicesApi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Parameters;

/** The device-family verbs of issue 14: {@code ctl cd} (cf. cdcontrol) and {@code ctl pt}. */
final class DeviceCommands {
  private DeviceCommands() {}

  private static String cdPath(String dev) {
    return "/api/cd/" + CtlClient.enc(dev);
  }

  static String cdText(DevicesApi.CdStatus s) {
    String profile = switch (s.profile()) {
      case 0x08 -> "CD-ROM";
      case 0x10 -> "DVD-ROM";
      default -> "no disc";
    };
    String tray = s.trayOpen() ? "open" : "closed";
    String media = s.loaded() ? (s.image().isEmpty() ? "built-in blank disc" : s.image()) + ", " + s.sectors() + " sectors of 2048 bytes (" + profile + ")" : "no disc";
    return s.dev() + ": tray " + tray + ", " + media + (s.removalPrevented() ? ", removal prevented" : "") + "\n";
  }

  /** {@code ctl cd status|load|eject DEV}. */
  @Command(name = "cd", description = "An emulated CD/DVD drive's front panel (cf. cdcontrol).", synopsisSubcommandLabel = "status|load|eject")
  static final class Cd implements Callable<Integer> {
    @ParentCommand CtlCommand ctl;

    @Mixin CtlCommand.Help help;

    @Override
    public Integer call() {
      throw new UsageException("missing sub-verb: status, load or eject");
    }

    @Command(name = "status", aliases = "info", description = "What the drive holds.")
    int status(@Parameters(paramLabel = "DEV") String dev, @Mixin CtlCommand.Help h) {
      return ctl.print(ctl.client().get(cdPath(dev), DevicesApi.CdStatus.class), DeviceCommands::cdText);
    }

    @Command(name = "load", description = "Put the ISO image FILE (a path on the node's host) in the drive and close the tray.")
    int load(@Parameters(index = "0", paramLabel = "DEV") String dev, @Parameters(index = "1", paramLabel = "FILE") String file, @Mixin CtlCommand.Help h) {
      return ctl.print(ctl.client().post(cdPath(dev) + "/load", new DevicesApi.CdLoad(file), DevicesApi.CdStatus.class), DeviceCommands::cdText);
    }

    @Command(name = "eject", description = "Press the eject button (refused while removal is prevented).")
    int eject(@Parameters(paramLabel = "DEV") String dev, @Mixin CtlCommand.Help h) {
      return ctl.print(ctl.client().post(cdPath(dev) + "/eject", null, DevicesApi.CdStatus.class), DeviceCommands::cdText);
    }
  }

  /** {@code ctl pt send|receive DEV}: one SEND / RECEIVE through the ptN node. */
  @Command(name = "pt", description = "SEND / RECEIVE through a processor device's ptN node.", synopsisSubcommandLabel = "send|receive")
  static final class Pt implements Callable<Integer> {
    @ParentCommand CtlCommand ctl;

    @Mixin CtlCommand.Help help;

    @Override
    public Integer call() {
      throw new UsageException("missing sub-verb: send or receive");
    }

    private long open(String dev) {
      return ctl.client().post("/api/devfs/open", new ApiModel.Open(dev), ApiModel.Handle.class).value().handle();
    }

    private void close(long h) {
      ctl.client().post("/api/devfs/" + h + "/close", null, ApiModel.Ack.class);
    }

    @Command(name = "send", description = "SEND one packet: DATA as text, or hex with --hex.")
    int send(
        @Parameters(index = "0", paramLabel = "DEV") String dev,
        @Parameters(index = "1", paramLabel = "DATA") String data,
        @Option(names = "--hex", description = "DATA is hex") boolean hex,
        @Mixin CtlCommand.Help h) {
      String dataHex = hex ? data : HexFormat.of().formatHex(data.getBytes(StandardCharsets.UTF_8));
      long handle = open(dev);
      try {
        Reply<ApiModel.Ack> r = ctl.client().post("/api/devfs/" + handle + "/write", new ApiModel.Write(0L, dataHex), ApiModel.Ack.class);
        return ctl.print(r, a -> dev + ": sent " + dataHex.length() / 2 + " bytes\n");
      } finally {
        close(handle);
      }
    }

    @Command(name = "receive", aliases = "recv", description = "RECEIVE one packet of at most LENGTH bytes (default 4096).")
    int receive(
        @Parameters(index = "0", paramLabel = "DEV") String dev,
        @Option(names = "--length", paramLabel = "N", description = "allocation length") Integer length,
        @Option(names = "--hex", description = "print hex instead of text") boolean hex,
        @Mixin CtlCommand.Help h) {
      long handle = open(dev);
      try {
        Reply<ApiModel.Data> r = ctl.client().post("/api/devfs/" + handle + "/read", new ApiModel.Read(0L, length == null ? 4096 : length), ApiModel.Data.class);
        return ctl.print(r, d -> {
          byte[] b = HexFormat.of().parseHex(d.dataHex());
          if (b.length == 0) {
            return dev + ": nothing to receive\n";
          }
          return hex ? d.dataHex() + "\n" : new String(b, StandardCharsets.UTF_8) + "\n";
        });
      } finally {
        close(handle);
      }
    }
  }
}
