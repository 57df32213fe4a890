package org.camstack.stack.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.camstack.persistence.cli.Cli.UsageException;
import org.camstack.stack.node.SmpApi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code ctl smp DEV rg|mi|phylist|pc PHY OP} (cf. camcontrol smprg, smpmaninfo, smpphylist,
 * smppc): SMP functions to a SAS expander through its pass device ({@link SmpApi}).
 */
final class SmpCommands {
  private SmpCommands() {}

  private static String path(String dev) {
    return "/api/smp/" + CtlClient.enc(dev);
  }

  @Command(
      name = "smp",
      description = "SMP functions to a SAS expander through its pass device: rg (REPORT GENERAL), mi (REPORT MANUFACTURER INFORMATION), phylist (DISCOVER LIST + phy error logs), pc PHY OP (PHY CONTROL: linkreset, hardreset, disable, clearerrlog, nop).",
      synopsisSubcommandLabel = "DEV rg|mi|phylist|pc PHY OP")
  static final class SmpVerb implements Callable<Integer> {
    @ParentCommand CtlCommand ctl;

    @Mixin CtlCommand.Help help;

    @Parameters(index = "0", paramLabel = "DEV", description = "the expander's pass device, e.g. pass12 (see devlist)")
    String dev;

    @Parameters(index = "1", paramLabel = "FUNCTION", description = "rg, mi, phylist or pc")
    String function;

    @Parameters(index = "2", paramLabel = "PHY", arity = "0..1", description = "pc: the phy number")
    String phy;

    @Parameters(index = "3", paramLabel = "OP", arity = "0..1", description = "pc: linkreset, hardreset, disable, clearerrlog, nop")
    String op;

    @Override
    public Integer call() {
      switch (function.toLowerCase(Locale.ROOT)) {
        case "rg":
        case "smprg":
          return ctl.print(ctl.client().get(path(dev) + "/rg", SmpApi.General.class), g -> String.format(Locale.ROOT,
              "Report General (%s)%n  Expander Change Count: %d%n  Expander Route Indexes: %d%n  Number of Phys: %d%n"
                  + "  Enclosure Logical Identifier: 0x%s%n", g.device(), g.changeCount(), g.routeIndexes(), g.phys(), g.enclosureId()));
        case "mi":
        case "smpmaninfo":
          return ctl.print(ctl.client().get(path(dev) + "/mi", SmpApi.Manufacturer.class), m -> String.format(Locale.ROOT,
              "Report Manufacturer Information (%s)%n  Vendor: %s%n  Product: %s%n  Revision: %s%n", m.device(), m.vendor(), m.product(),
              m.revision()));
        case "phylist":
        case "smpphylist":
          return ctl.print(ctl.client().get(path(dev) + "/phylist", SmpApi.PhyList.class), SmpCommands::phyList);
        case "pc":
        case "smppc":
          if (phy == null || op == null) {
            throw new UsageException("ctl smp DEV pc PHY OP (OP: linkreset, hardreset, disable, clearerrlog, nop)");
          }
          return ctl.print(
              ctl.client().post(path(dev) + "/pc", new SmpApi.PhyControl(CtlCommand.integer(phy, "phy"), op), SmpApi.Controlled.class),
              c -> c.device() + ": phy " + c.phy() + " " + c.op() + ": " + c.result() + "\n");
        default:
          throw new UsageException("unknown SMP function '" + function + "' (rg, mi, phylist, pc)");
      }
    }
  }

  static String phyList(SmpApi.PhyList l) {
    StringBuilder s = new StringBuilder();
    s.append(l.phys().size()).append(" PHYs:\n");
    s.append(String.format(Locale.ROOT, "%4s  %-18s  %-14s  %-8s  %7s  %s%n", "PHY", "Attached SAS Address", "Attached", "Link", "Changes",
        "Invalid dwords"));
    for (SmpApi.Phy p : l.phys()) {
      s.append(String.format(Locale.ROOT, "%4d  0x%-16s  %-14s  %-8s  %7d  %d%n", p.phy(), p.attachedSasAddress(), p.attached(),
          p.linkRate(), p.changeCount(), p.invalidDwords()));
    }
    return s.toString();
  }
}
