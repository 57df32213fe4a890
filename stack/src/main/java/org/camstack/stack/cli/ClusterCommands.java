package org.camstack.stack.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import org.camstack.persistence.cli.TextTable;
import org.camstack.stack.node.ApiModel;
import org.camstack.stack.node.ClusterApi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/**
 * {@code ctl cluster status} (members, status, reachability, LUNs owned) and the text of {@code ctl
 * devlist --cluster} and {@code ctl lun move} (docs/cluster.md).
 */
@Command(name = "cluster", description = "The cluster the node is a member of.")
final class ClusterCommands implements Callable<Integer> {
  @ParentCommand CtlCommand ctl;

  @Mixin CtlCommand.Help help;

  @Override
  public Integer call() {
    return status(help);
  }

  @Command(name = "status", description = "Members, their status and reachability, the clustered LUNs each owns (the default).")
  int status(@Mixin CtlCommand.Help h) {
    return ctl.print(ctl.client().get("/api/cluster/status", ClusterApi.Status.class), ClusterCommands::statusText);
  }

  static String statusText(ClusterApi.Status s) {
    TextTable t = new TextTable("MEMBER", "STATUS", "REACHABLE", "TPG", "JOURNAL", "LUNS OWNED");
    for (ClusterApi.MemberView m : s.members()) {
      t.add(
          m.address() + (m.self() ? " (this node)" : ""),
          m.status(),
          m.reachable() ? "yes" : "NO",
          m.portGroup(),
          m.journal(),
          m.lunsOwned().isEmpty() ? "-" : String.join(",", m.lunsOwned()));
    }
    return t.render();
  }

  /** {@code ctl devlist --cluster}: every clustered LUN once, its owner, its ALUA state per node. */
  static int devlist(CtlCommand ctl) {
    return ctl.print(ctl.client().get("/api/cluster/luns", ClusterApi.Luns.class), ClusterCommands::lunsText);
  }

  static String lunsText(ClusterApi.Luns l) {
    TextTable t = new TextTable("WWN", "PATH", "OWNER", "ALUA STATE PER NODE", "TPG PER NODE");
    for (ClusterApi.LunView v : l.luns()) {
      StringBuilder st = new StringBuilder();
      for (Map.Entry<String, String> e : v.states().entrySet()) {
        st.append(st.length() == 0 ? "" : " ").append(e.getKey()).append('=').append(e.getValue());
      }
      StringBuilder tpg = new StringBuilder();
      if (v.portGroups() != null) {
        for (Map.Entry<String, Integer> e : v.portGroups().entrySet()) {
          tpg.append(tpg.length() == 0 ? "" : " ").append(e.getKey()).append('=').append(e.getValue());
        }
      }
      t.add("naa." + v.wwn(), v.path(), v.owner().isEmpty() ? "(none yet)" : v.owner(), st.toString(), tpg.length() == 0 ? "-" : tpg.toString());
    }
    return t.render();
  }

  /** {@code ctl lun move WWN --to NODE}. */
  static int move(CtlCommand ctl, String wwn, String to) {
    String w = wwn.startsWith("naa.") ? wwn.substring(4) : wwn;
    return ctl.print(
        ctl.client().post("/api/cluster/luns/" + CtlClient.enc(w) + "/move?to=" + CtlClient.enc(to), null, ApiModel.Ack.class),
        a -> a.message() + "\n");
  }
}
