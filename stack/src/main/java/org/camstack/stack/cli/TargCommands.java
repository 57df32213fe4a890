package org.camstack.stack.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.camstack.stack.node.ApiModel;
import org.camstack.stack.node.TargApi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code ctl targ enable|list|disable|atio|ctio} (cf. targ(4) and its ioctls TARGIOCENABLE,
 * TARGIOCDISABLE, reading ATIOs from and writing CTIOs to {@code /dev/targN}): play a LUN of the
 * node's target-mode bus by hand or from a script ({@link TargApi}).
 */
@Command(name = "targ", description = "Play a target-mode LUN (targ(4)): enable T L, list, atio ID (the next command), ctio ID TAG (its answer), disable ID.")
final class TargCommands implements Callable<Integer> {
  @ParentCommand CtlCommand ctl;

  @Mixin CtlCommand.Help help;

  @Override
  public Integer call() {
    return list(help);
  }

  @Command(name = "list", description = "The enabled LUNs (the default).")
  int list(@Mixin CtlCommand.Help h) {
    return ctl.print(ctl.client().get("/api/targ", TargApi.TargList.class), TargCommands::list);
  }

  static String list(TargApi.TargList l) {
    if (l.luns().isEmpty()) {
      return "no targ LUNs enabled\n";
    }
    StringBuilder s = new StringBuilder();
    for (TargApi.Enabled e : l.luns()) {
      s.append(String.format(Locale.ROOT, "%-8s at %s%n", e.id(), e.path()));
    }
    return s.toString();
  }

  @Command(name = "enable", description = "Enable target T, LUN L of the target-mode bus (cf. TARGIOCENABLE); the node then scans it.")
  int enable(@Parameters(paramLabel = "T") String target, @Parameters(paramLabel = "L") String lun, @Mixin CtlCommand.Help h) {
    TargApi.Enable req = new TargApi.Enable(CtlCommand.integer(target, "target"), (long) CtlCommand.integer(lun, "lun"));
    return ctl.print(ctl.client().post("/api/targ", req, TargApi.Enabled.class), e -> e.id() + " at " + e.path() + "\n");
  }

  @Command(name = "disable", description = "Disable a LUN (cf. TARGIOCDISABLE): waiting commands fail, its devices leave.")
  int disable(@Parameters(paramLabel = "ID") String id, @Mixin CtlCommand.Help h) {
    return ctl.print(ctl.client().delete("/api/targ/" + CtlClient.enc(id), ApiModel.Ack.class), a -> a.message() + "\n");
  }

  @Command(name = "atio", description = "The next command sent to the LUN (tag, CDB, data-out), waiting at most --wait ms.")
  int atio(@Parameters(paramLabel = "ID") String id,
      @Option(names = "--wait", paramLabel = "MS", defaultValue = "5000", description = "how long to wait (default ${DEFAULT-VALUE})") String wait,
      @Mixin CtlCommand.Help h) {
    return ctl.print(ctl.client().get("/api/targ/" + CtlClient.enc(id) + "/atio?wait=" + CtlCommand.integer(wait, "wait"), TargApi.AtioView.class),
        a -> a == null ? "no command within " + wait + " ms\n" : String.format(Locale.ROOT, "tag %d: cdb %s from initiator %d, %d bytes%s%n",
            a.tag(), a.cdbHex(), a.initiator(), a.dxferLen(), a.dataOutHex().isEmpty() ? "" : ", data-out " + a.dataOutHex()));
  }

  @Command(name = "ctio", description = "Answer command TAG (cf. a CTIO with CAM_SEND_STATUS): --data HEX for data-in, --status, --sense HEX.")
  int ctio(@Parameters(paramLabel = "ID") String id, @Parameters(paramLabel = "TAG") String tag,
      @Option(names = "--status", paramLabel = "S", defaultValue = "0", description = "SCSI status (0 GOOD, 2 CHECK CONDITION, 8 BUSY)") String status,
      @Option(names = "--data", paramLabel = "HEX", description = "data-in, hex") String data,
      @Option(names = "--sense", paramLabel = "HEX", description = "sense data with status 2, hex") String sense,
      @Mixin CtlCommand.Help h) {
    TargApi.CtioRequest req = new TargApi.CtioRequest((long) CtlCommand.integer(tag, "tag"), CtlCommand.integer(status, "status"), data, null, sense);
    return ctl.print(ctl.client().post("/api/targ/" + CtlClient.enc(id) + "/ctio", req, TargApi.CtioDone.class),
        d -> d.id() + ": tag " + d.tag() + " answered, status " + d.status() + ", " + d.dataBytes() + " bytes\n");
  }
}
